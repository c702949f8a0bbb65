//! `docker save` archives: manifest.json + <hex>.json + <id>/layer.tar, with symlinks.

mod common;

use common::{MemStore, TestImage};
use oci::image::media;
use oci::{open_docker_archive, ArchiveStore, Digest, LayoutError};
use ocitar::builder::TarBuilder;
use serde_json::json;

const LIMIT: usize = 1 << 20;

/// A classic `docker save` tar; the second layer is a symlink to the first's file, as
/// Docker writes for repeated layers.
fn docker_save(img: &TestImage, tags: &[&str]) -> Vec<u8> {
    let config = img.config_json("amd64");
    let config_name = format!("{}.json", Digest::of(&config).hex());
    let manifest = json!([{"Config": config_name, "RepoTags": tags, "Layers": ["aaa/layer.tar", "bbb/layer.tar"]}]);
    let repositories = json!({"busybox": {"latest": "bbb"}});
    TarBuilder::new()
        .file(&config_name, 0o644, &config)
        .dir("aaa", 0o755)
        .file("aaa/layer.tar", 0o644, &img.layers[0])
        .dir("bbb", 0o755)
        .file("ccc/layer.tar", 0o644, &img.layers[1])
        .symlink("bbb/layer.tar", "../ccc/layer.tar")
        .file("manifest.json", 0o644, &serde_json::to_vec(&manifest).unwrap())
        .file("repositories", 0o644, &serde_json::to_vec(&repositories).unwrap())
        .finish()
}

#[test]
fn reads_a_docker_save_archive() {
    let img = TestImage::new();
    let tar = docker_save(&img, &["busybox:latest"]);
    let store = ArchiveStore::new(&tar).unwrap();
    for reference in [Some("busybox:latest"), Some("busybox"), None] {
        let image = open_docker_archive(&store, reference).unwrap();
        assert_eq!(image.config.config.cmd, ["sh"]);
        assert_eq!(image.layer_tar(&store, 0, LIMIT).unwrap(), img.layers[0]);
        assert_eq!(image.layer_tar(&store, 1, LIMIT).unwrap(), img.layers[1], "through the symlink");
    }
    assert_eq!(
        open_docker_archive(&store, Some("alpine")).unwrap_err(),
        LayoutError::NoSuchImage { reference: "alpine".into(), available: vec!["busybox:latest".into()] }
    );
    // A gzipped archive is read after decompression.
    let gz = common::gzip(&tar);
    let plain = ocitar::decompress(&gz, LIMIT).unwrap();
    assert!(open_docker_archive(&ArchiveStore::new(&plain).unwrap(), None).is_ok());
}

#[test]
fn detects_tampering() {
    let img = TestImage::new();
    let mut tampered = TestImage::new();
    tampered.layers[1] = TarBuilder::new().file("evil", 0o644, b"x").finish();
    // Config (and so diff_ids) from `img`, layer files from `tampered`.
    let config = img.config_json("amd64");
    let config_name = format!("{}.json", Digest::of(&config).hex());
    let manifest = json!([{"Config": config_name, "RepoTags": null, "Layers": ["a/layer.tar", "b/layer.tar"]}]);
    let tar = TarBuilder::new()
        .file(&config_name, 0o644, &config)
        .file("a/layer.tar", 0o644, &tampered.layers[0])
        .file("b/layer.tar", 0o644, &tampered.layers[1])
        .file("manifest.json", 0o644, &serde_json::to_vec(&manifest).unwrap())
        .finish();
    let store = ArchiveStore::new(&tar).unwrap();
    let image = open_docker_archive(&store, None).unwrap();
    assert!(image.layer_tar(&store, 0, LIMIT).is_ok());
    assert!(matches!(image.layer_tar(&store, 1, LIMIT).unwrap_err(), LayoutError::DiffIdMismatch { layer: 1, .. }));

    // A config whose content does not match its file name.
    let wrong_name = format!("{}.json", Digest::of(b"other").hex());
    let manifest = json!([{"Config": wrong_name, "Layers": ["a/layer.tar", "b/layer.tar"]}]);
    let tar = TarBuilder::new()
        .file(&wrong_name, 0o644, &config)
        .file("a/layer.tar", 0o644, &img.layers[0])
        .file("b/layer.tar", 0o644, &img.layers[1])
        .file("manifest.json", 0o644, &serde_json::to_vec(&manifest).unwrap())
        .finish();
    let store = ArchiveStore::new(&tar).unwrap();
    assert!(matches!(open_docker_archive(&store, None).unwrap_err(), LayoutError::DigestMismatch { .. }));
}

#[test]
fn missing_layer_and_symlink_loops() {
    let img = TestImage::new();
    let config = img.config_json("amd64");
    let config_name = format!("{}.json", Digest::of(&config).hex());
    let manifest = json!([{"Config": config_name, "Layers": ["a/layer.tar", "loop/layer.tar"]}]);
    let tar = TarBuilder::new()
        .file(&config_name, 0o644, &config)
        .file("a/layer.tar", 0o644, &img.layers[0])
        .symlink("loop/layer.tar", "layer.tar")
        .file("manifest.json", 0o644, &serde_json::to_vec(&manifest).unwrap())
        .finish();
    let store = ArchiveStore::new(&tar).unwrap();
    let err = open_docker_archive(&store, None).unwrap_err();
    assert_eq!(err, LayoutError::Read { path: "loop/layer.tar".into(), errno: errno::Errno::ELOOP });
}

#[test]
fn docker_25_archives_with_an_oci_layout_inside() {
    // Without manifest.json, the OCI layout in the archive is used.
    let img = TestImage::new();
    let mut store = MemStore::default();
    let m = img.write_manifest(&mut store, "amd64");
    common::write_index(&mut store, vec![common::with_ref(m, "latest")]);
    let mut b = TarBuilder::new();
    for (path, data) in &store.files {
        b.file(path, 0o644, data);
    }
    let tar = b.finish();
    let archive = ArchiveStore::new(&tar).unwrap();
    let image = open_docker_archive(&archive, Some("latest")).unwrap();
    assert_eq!(image.layer_tar(&archive, 1, LIMIT).unwrap(), img.layers[1]);
    let _ = media::OCI_LAYER;
}
