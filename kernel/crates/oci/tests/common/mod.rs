//! Shared test helpers: in-memory and directory blob stores, and a layout builder.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use errno::Errno;
use oci::image::{media, REF_NAME};
use oci::{BlobStore, Digest};
use ocitar::builder::TarBuilder;
use serde_json::{json, Value};

/// A layout held in memory: path -> bytes.
#[derive(Default, Clone)]
pub struct MemStore {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl BlobStore for MemStore {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        self.files.get(path).cloned().ok_or(Errno::ENOENT)
    }
}

impl MemStore {
    /// Stores a blob under its digest and returns its descriptor JSON.
    pub fn blob(&mut self, media_type: &str, data: Vec<u8>) -> Value {
        let digest = Digest::of(&data);
        let size = data.len();
        self.files.insert(digest.blob_path(), data);
        json!({"mediaType": media_type, "digest": digest.to_string(), "size": size})
    }

    pub fn put(&mut self, path: &str, data: Vec<u8>) {
        self.files.insert(path.to_string(), data);
    }
}

/// A layout directory on disk.
pub struct DirStore(pub PathBuf);

impl BlobStore for DirStore {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        std::fs::read(self.0.join(path)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Errno::ENOENT,
            _ => Errno::EIO,
        })
    }
}

/// gzip bytes (via a minimal gzip member around miniz-compatible deflate from the system).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .args(["-c", "-n"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}

/// A two-layer image: base (etc/passwd, bin/sh) then an upper layer whiting out a file.
pub struct TestImage {
    pub layers: Vec<Vec<u8>>,
}

impl TestImage {
    pub fn new() -> Self {
        let base = TarBuilder::new()
            .dir("bin", 0o755)
            .file("bin/sh", 0o755, b"#!shell")
            .dir("etc", 0o755)
            .file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n")
            .file("etc/motd", 0o644, b"hello")
            .finish();
        let upper = TarBuilder::new().file("etc/.wh.motd", 0o644, b"").hard_link("bin/ash", "bin/sh").finish();
        TestImage { layers: vec![base, upper] }
    }

    pub fn config_json(&self, arch: &str) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| Digest::of(l).to_string()).collect();
        serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids}
        }))
        .unwrap()
    }

    /// Writes config, gzip layers and manifest into `store`; returns the manifest descriptor.
    pub fn write_manifest(&self, store: &mut MemStore, arch: &str) -> Value {
        let config = store.blob(media::OCI_CONFIG, self.config_json(arch));
        let layers: Vec<Value> = self.layers.iter().map(|l| store.blob(media::OCI_LAYER_GZIP, gzip(l))).collect();
        let manifest = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "config": config, "layers": layers});
        store.blob(media::OCI_MANIFEST, serde_json::to_vec(&manifest).unwrap())
    }
}

/// Writes `oci-layout` and an `index.json` listing `manifests`.
pub fn write_index(store: &mut MemStore, manifests: Vec<Value>) {
    store.put("oci-layout", br#"{"imageLayoutVersion": "1.0.0"}"#.to_vec());
    store.put("index.json", serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap());
}

/// Adds a ref-name annotation to a descriptor.
pub fn with_ref(mut desc: Value, name: &str) -> Value {
    desc["annotations"] = json!({ REF_NAME: name });
    desc
}

/// Adds a platform to a descriptor.
pub fn with_platform(mut desc: Value, arch: &str) -> Value {
    desc["platform"] = json!({"architecture": arch, "os": "linux"});
    desc
}
