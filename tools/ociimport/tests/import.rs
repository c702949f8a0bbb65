//! Imports of hand-made images in every accepted shape, and the one-line errors for broken
//! ones. The fixtures are built here with `tar`/`flate2`, so each digest is known.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use oci::Digest;
use ociimport::{import, Format, Kind};
use serde_json::json;

fn sha(data: &[u8]) -> Digest {
    Digest::of(data)
}

/// A tar with one directory and `files` (path, contents).
fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    b.append_data(&mut dir, "etc/", &[][..]).unwrap();
    for (path, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn config(diff_ids: &[Digest], arch: &str) -> Vec<u8> {
    let ids: Vec<String> = diff_ids.iter().map(|d| d.to_string()).collect();
    serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "config": { "Cmd": ["/bin/sh"], "Env": ["PATH=/bin"] },
        "rootfs": { "type": "layers", "diff_ids": ids },
    }))
    .unwrap()
}

/// A tar archive of named entries: `Ok(data)` files, `Err(target)` symlinks.
fn archive(entries: &[(String, Result<Vec<u8>, String>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, entry) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match entry {
            Ok(data) => {
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, &data[..]).unwrap();
            }
            Err(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_link_name_literal(target).unwrap();
                b.append_data(&mut h, path, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn file(path: &str, data: &[u8]) -> (String, Result<Vec<u8>, String>) {
    (path.to_string(), Ok(data.to_vec()))
}

fn link(path: &str, target: &str) -> (String, Result<Vec<u8>, String>) {
    (path.to_string(), Err(target.to_string()))
}

struct Legacy {
    tar: Vec<u8>,
    config: Digest,
    layers: Vec<Digest>,
}

/// A legacy `docker save` archive of one image with two layers, the second stored as a
/// symlink to a copy of the first's directory (as Docker does for repeated layers).
fn legacy(tags: &[&str], arch: &str) -> Legacy {
    let l1 = layer(&[("etc/hello", b"hello\n")]);
    let l2 = layer(&[("etc/second", b"two\n")]);
    let cfg = config(&[sha(&l1), sha(&l2)], arch);
    let manifest = json!([{ "Config": format!("{}.json", sha(&cfg).hex()), "RepoTags": tags,
                            "Layers": ["aaa/layer.tar", "bbb/layer.tar"] }]);
    let tar = archive(&[
        file("manifest.json", manifest.to_string().as_bytes()),
        file(&format!("{}.json", sha(&cfg).hex()), &cfg),
        file("aaa/layer.tar", &l1),
        file("ccc/layer.tar", &l2),
        link("bbb/layer.tar", "../ccc/layer.tar"),
    ]);
    Legacy { tar, config: sha(&cfg), layers: vec![sha(&l1), sha(&l2)] }
}

/// An OCI layout directory with one gzip layer, its index entry annotated with `annotations`.
fn oci_layout(dir: &Path, annotations: serde_json::Value) -> (Digest, Digest) {
    let l = layer(&[("etc/os-release", b"ID=test\n")]);
    let gz = gzip(&l);
    let cfg = config(&[sha(&l)], "amd64");
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&cfg).to_string(), "size": cfg.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&gz).to_string(), "size": gz.len() }],
    }))
    .unwrap();
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    for blob in [&gz, &cfg, &manifest] {
        fs::write(blobs.join(sha(blob).hex()), blob).unwrap();
    }
    // An unrelated blob that must not be copied.
    fs::write(blobs.join(sha(b"junk").hex()), b"junk").unwrap();
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({ "schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest).to_string(),
        "size": manifest.len(), "annotations": annotations }] });
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    (sha(&manifest), sha(&gz))
}

/// Every file under `dir` as (relative path, contents), for archiving.
fn tree(dir: &Path) -> Vec<(String, Result<Vec<u8>, String>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, Ok(fs::read(&p).unwrap())));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).unwrap();
    p
}

fn blob_names(layout: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(layout.join("blobs/sha256")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn index_annotation(layout: &Path, key: &str) -> Option<String> {
    let index: serde_json::Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["annotations"][key].as_str().map(str::to_string)
}

/// Nothing but finished images is left in the images directory.
fn only_images(images: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(images).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn legacy_docker_save_becomes_an_oci_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    let img = legacy(&["example.com/team/app:1.0"], "amd64");
    let src = write(tmp.path(), "saved.tar", &img.tar);
    let got = import(&src, &images, None).unwrap();
    assert_eq!(got.name, "app-1.0");
    assert_eq!(got.format, Format::DockerSave);
    assert_eq!(got.config, img.config, "the config is kept byte for byte (image id unchanged)");
    assert_eq!(got.layers, img.layers, "uncompressed layers stay as they are");
    assert_eq!(got.dir, images.join("app-1.0"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(got.dir.join(got.manifest.blob_path())).unwrap()).unwrap();
    assert_eq!(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.oci.image.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
    assert_eq!(manifest["layers"][1]["digest"], img.layers[1].to_string());
    let mut want: Vec<String> = [got.manifest, img.config, img.layers[0], img.layers[1]].iter().map(Digest::hex).collect();
    want.sort();
    assert_eq!(blob_names(&got.dir), want);
    assert_eq!(index_annotation(&got.dir, "org.opencontainers.image.ref.name").as_deref(), Some("1.0"));
    assert_eq!(index_annotation(&got.dir, "io.containerd.image.name").as_deref(), Some("example.com/team/app:1.0"));
    // What the kernel runs: oci::open_layout with no reference.
    ociimport::check(&got.dir).unwrap();
    assert_eq!(only_images(&images), ["app-1.0"]);
}

#[test]
fn gzipped_docker_save_and_names_from_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    let img = legacy(&[], "amd64");
    let src = write(tmp.path(), "My Box.tar.gz", &gzip(&img.tar));
    let got = import(&src, &images, None).unwrap();
    assert_eq!(got.name, "my-box");
    assert_eq!(got.layers, img.layers);
    // A chosen name wins, and importing again replaces the image.
    let again = import(&src, &images, Some("mine")).unwrap();
    assert_eq!(again.name, "mine");
    let again = import(&src, &images, Some("mine")).unwrap();
    assert_eq!(again.layers, img.layers);
    assert_eq!(only_images(&images), ["mine", "my-box"]);
}

#[test]
fn unpacked_docker_save_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let img = legacy(&["busybox:latest"], "amd64");
    let dir = tmp.path().join("unpacked");
    tar::Archive::new(&img.tar[..]).unpack(&dir).unwrap();
    let got = import(&dir, &tmp.path().join("images"), None).unwrap();
    assert_eq!((got.name.as_str(), got.format), ("busybox", Format::DockerSave));
}

#[test]
fn oci_layout_directory_is_copied_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("alpine");
    let (manifest, layer) = oci_layout(&src, json!({ "org.opencontainers.image.ref.name": "latest" }));
    let got = import(&src, &tmp.path().join("images"), None).unwrap();
    assert_eq!(got.name, "alpine", "a bare tag: the name comes from the directory");
    assert_eq!(got.format, Format::OciLayout);
    assert_eq!(got.manifest, manifest, "the manifest is kept byte for byte");
    assert_eq!(got.layers, [layer]);
    assert_eq!(blob_names(&got.dir).len(), 3, "the unrelated blob is not copied");
    ociimport::check(&got.dir).unwrap();
}

#[test]
fn oci_archive_and_docker_25_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let (manifest, _) = oci_layout(&layout, json!({ "org.opencontainers.image.ref.name": "v2" }));
    let src = write(tmp.path(), "web.tar", &archive(&tree(&layout)));
    let got = import(&src, &tmp.path().join("images"), None).unwrap();
    assert_eq!((got.name.as_str(), got.manifest), ("web-v2", manifest));

    // Docker 25+: the OCI layout plus a manifest.json; the containerd name wins.
    let d25 = tmp.path().join("d25");
    oci_layout(&d25, json!({ "io.containerd.image.name": "docker.io/library/nginx:1.25", "org.opencontainers.image.ref.name": "1.25" }));
    fs::write(d25.join("manifest.json"), "[]").unwrap();
    let src = write(tmp.path(), "whatever.tar", &archive(&tree(&d25)));
    let got = import(&src, &tmp.path().join("images"), None).unwrap();
    assert_eq!((got.name.as_str(), got.format), ("nginx-1.25", Format::OciLayout));
    assert_eq!(index_annotation(&got.dir, "org.opencontainers.image.ref.name").as_deref(), Some("1.25"));
}

#[test]
fn several_images_need_a_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let a = legacy(&["one:latest"], "amd64");
    let b = legacy(&["two:latest"], "amd64");
    // One archive with both manifest entries (same blobs: the fixtures share nothing but names).
    let ma: serde_json::Value = serde_json::from_slice(&tar_file(&a.tar, "manifest.json")).unwrap();
    let mb: serde_json::Value = serde_json::from_slice(&tar_file(&b.tar, "manifest.json")).unwrap();
    let both = json!([ma[0], mb[0]]);
    let mut entries: Vec<_> = tar::Archive::new(&a.tar[..])
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            match e.header().entry_type() {
                tar::EntryType::Symlink => link(&path, &e.link_name().unwrap().unwrap().to_string_lossy()),
                _ => file(&path, &data),
            }
        })
        .filter(|(p, _)| p != "manifest.json")
        .collect();
    entries.push(file("manifest.json", both.to_string().as_bytes()));
    let src = write(tmp.path(), "two.tar", &archive(&entries));
    let images = tmp.path().join("images");
    let err = import(&src, &images, None).unwrap_err();
    assert!(matches!(err.kind, Kind::Choose(_)), "{err}");
    assert!(err.to_string().contains("several images (one, two)"), "{err}");
    assert_eq!(import(&src, &images, Some("two")).unwrap().name, "two");
    let err = import(&src, &images, Some("three")).unwrap_err();
    assert!(err.to_string().contains("no image named \"three\" (available: one, two)"), "{err}");
}

fn tar_file(tar: &[u8], name: &str) -> Vec<u8> {
    for e in tar::Archive::new(tar).entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some(name) {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            return v;
        }
    }
    panic!("{name} not in the tar");
}

/// The error for `data` written as `name`.
fn import_error(name: &str, data: &[u8]) -> ociimport::Error {
    let tmp = tempfile::tempdir().unwrap();
    let src = write(tmp.path(), name, data);
    let images = tmp.path().join("images");
    let err = import(&src, &images, None).expect_err("import must fail");
    assert_eq!(err.to_string().lines().count(), 1, "one line: {err}");
    assert!(err.to_string().starts_with(&src.display().to_string()), "names the source: {err}");
    assert!(only_images(&images).is_empty(), "a failed import leaves nothing: {:?}", only_images(&images));
    err
}

#[test]
fn bad_sources_give_one_line_errors() {
    let err = import(Path::new("/nonexistent/x.tar"), Path::new("/tmp/unused-images"), None).unwrap_err();
    assert_eq!(err.to_string(), "/nonexistent/x.tar: no such file or directory");

    let err = import_error("empty.tar", b"");
    assert!(matches!(err.kind, Kind::NotAnImage(_)), "{err}");
    let err = import_error("noise.tar", &[0x5a; 2048]);
    assert!(matches!(err.kind, Kind::CorruptTar(_)), "{err}");
    let err = import_error("bad.tar.gz", &gzip(b"not a tar at all")[..20]);
    assert!(matches!(err.kind, Kind::CorruptTar(_)), "{err}");
    let err = import_error("other.tar", &archive(&[file("README", b"hi")]));
    assert!(err.to_string().contains("not an OCI image layout or docker save archive"), "{err}");

    let img = legacy(&["x:latest"], "amd64");
    let truncated = &img.tar[..img.tar.len() / 2 + 100];
    let err = import_error("cut.tar", truncated);
    assert!(matches!(err.kind, Kind::CorruptTar(_) | Kind::Missing(_)), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let err = import(tmp.path(), &tmp.path().join("images"), None).unwrap_err();
    assert!(err.to_string().contains("no oci-layout or manifest.json in the directory"), "{err}");
    let err = import(&write(tmp.path(), "a.tar", &img.tar), &tmp.path().join("images"), Some("Bad/Name")).unwrap_err();
    assert!(matches!(err.kind, Kind::BadName(_)), "{err}");
}

/// `img.tar` with the entry `path` replaced (or removed with `None`).
fn edit(tar: &[u8], path: &str, with: Option<(String, Result<Vec<u8>, String>)>) -> Vec<u8> {
    let mut entries = Vec::new();
    for e in tar::Archive::new(tar).entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        let entry = match e.header().entry_type() {
            tar::EntryType::Symlink => link(&p, &e.link_name().unwrap().unwrap().to_string_lossy()),
            _ => file(&p, &data),
        };
        if p == path {
            entries.extend(with.clone());
        } else {
            entries.push(entry);
        }
    }
    archive(&entries)
}

#[test]
fn broken_docker_saves_are_refused() {
    let img = legacy(&["x:latest"], "amd64");
    let err = import_error("missing.tar", &edit(&img.tar, "aaa/layer.tar", None));
    assert_eq!(err.kind.to_string(), "missing aaa/layer.tar (the image is incomplete)");

    let other = layer(&[("etc/evil", b"x")]);
    let err = import_error("swapped.tar", &edit(&img.tar, "aaa/layer.tar", Some(file("aaa/layer.tar", &other))));
    assert!(matches!(err.kind, Kind::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("layer 0 (aaa/layer.tar), the config's diff_id"), "{err}");

    let cfg_name = format!("{}.json", img.config.hex());
    let err = import_error("config.tar", &edit(&img.tar, &cfg_name, Some(file(&cfg_name, b"{}"))));
    assert!(matches!(err.kind, Kind::DigestMismatch { .. }), "{err}");

    // Links that leave the archive are never followed.
    for target in ["../../../etc/passwd", "/etc/passwd"] {
        let err = import_error("escape.tar", &edit(&img.tar, "bbb/layer.tar", Some(link("bbb/layer.tar", target))));
        assert_eq!(err.kind.to_string(), "missing bbb/layer.tar (the image is incomplete)", "{target}");
    }

    let arm = legacy(&["x:latest"], "arm64");
    let err = import_error("arm.tar", &arm.tar);
    assert!(err.to_string().contains("image is for linux/arm64, not linux/amd64"), "{err}");
}

#[test]
fn broken_oci_layouts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("img");
    let (manifest, layer) = oci_layout(&src, json!({}));
    let images = tmp.path().join("images");

    fs::write(src.join(layer.blob_path()), b"tampered").unwrap();
    let err = import(&src, &images, None).unwrap_err();
    assert!(matches!(err.kind, Kind::SizeMismatch { .. } | Kind::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("layer 0"), "{err}");

    fs::remove_file(src.join(layer.blob_path())).unwrap();
    let err = import(&src, &images, None).unwrap_err();
    assert!(matches!(err.kind, Kind::Missing(_)), "{err}");
    assert!(err.to_string().contains(&layer.hex()), "names the blob: {err}");

    fs::remove_file(src.join(manifest.blob_path())).unwrap();
    let err = import(&src, &images, None).unwrap_err();
    assert!(err.to_string().contains(&format!("missing blobs/sha256/{}", manifest.hex())), "{err}");

    fs::write(src.join("oci-layout"), br#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();
    let err = import(&src, &images, None).unwrap_err();
    assert!(matches!(err.kind, Kind::NotAnImage(_)), "{err}");
    assert!(only_images(&images).is_empty());
}
