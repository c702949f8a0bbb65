//! Real-world shapes: our busybox image (images/busybox/build.sh) converted by skopeo into
//! a `docker save` tarball and an `oci-archive`, imported, and read back by skopeo.
//! Needs skopeo and busybox-static (`scripts/setup` installs both).

use std::path::{Path, PathBuf};
use std::process::Command;

use oci::Digest;
use ociimport::{import, Format};

fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (run scripts/setup)"));
    assert!(out.status.success(), "{shown} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The busybox layout, and its manifest, config and layer digests and diff_id.
fn busybox(dir: &Path) -> (PathBuf, Digest, Digest, Digest, Digest) {
    let layout = dir.join("busybox");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/busybox/build.sh");
    run(Command::new("bash").arg(script).arg(&layout));
    let index = json(&layout.join("index.json"));
    let manifest = Digest::parse(index["manifests"][0]["digest"].as_str().unwrap()).unwrap();
    let m = json(&layout.join(manifest.blob_path()));
    let config = Digest::parse(m["config"]["digest"].as_str().unwrap()).unwrap();
    let layer = Digest::parse(m["layers"][0]["digest"].as_str().unwrap()).unwrap();
    let c = json(&layout.join(config.blob_path()));
    let diff_id = Digest::parse(c["rootfs"]["diff_ids"][0].as_str().unwrap()).unwrap();
    (layout, manifest, config, layer, diff_id)
}

/// skopeo reads the imported layout back and sees the same layers.
fn skopeo_sees(layout: &Path, tag: &str, layers: &[Digest]) {
    let out = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:{tag}", layout.display())));
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    let seen: Vec<String> = info["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
    let want: Vec<String> = layers.iter().map(Digest::to_string).collect();
    assert_eq!(seen, want, "skopeo inspect of {}", layout.display());
}

#[test]
fn skopeo_made_archives_import_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    let (layout, manifest, config, layer, diff_id) = busybox(tmp.path());

    // The layout itself: copied unchanged.
    let got = import(&layout, &images, None).unwrap();
    assert_eq!((got.name.as_str(), got.format, got.manifest, got.config), ("busybox", Format::OciLayout, manifest, config));
    assert_eq!(got.layers, [layer]);
    skopeo_sees(&got.dir, "latest", &[layer]);

    // docker save (legacy): skopeo stores the layer uncompressed and keeps the config, so
    // the image id is unchanged and the layer's digest is the source's diff_id.
    let docker = tmp.path().join("d.tar");
    run(Command::new("skopeo").args(["copy", "-q"]).arg(format!("oci:{}:latest", layout.display()))
        .arg(format!("docker-archive:{}:example.org/tools/mybox:latest", docker.display())));
    let got = import(&docker, &images, None).unwrap();
    assert_eq!((got.name.as_str(), got.format), ("mybox", Format::DockerSave));
    assert_eq!(got.config, config, "image id (config digest) unchanged");
    assert_eq!(got.layers, [diff_id], "uncompressed layer = diff_id");
    skopeo_sees(&got.dir, "latest", &[diff_id]);

    // oci-archive: the same manifest as the source.
    let archive = tmp.path().join("bb-oci.tar");
    run(Command::new("skopeo").args(["copy", "-q"]).arg(format!("oci:{}:latest", layout.display()))
        .arg(format!("oci-archive:{}:latest", archive.display())));
    let got = import(&archive, &images, None).unwrap();
    assert_eq!((got.name.as_str(), got.manifest), ("bb-oci", manifest));
    skopeo_sees(&got.dir, "latest", &[layer]);
}
