//! Builds the real busybox image with images/busybox/build.sh and reads it back through
//! `layout` + `ocitar`; cross-checks with skopeo and umoci when they are installed.
//! Skipped (with a note) when bash, python3 or /bin/busybox are missing.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::DirStore;
use oci::{open_layout, parse_config, spec_from_image, ConvertOptions, UserDb};
use ocitar::memfs::MemFs;
use ocitar::{apply_layer, NodeType};

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok_and(|o| o.status.success())
}

fn build_script() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap();
    crate_dir.join("../../../images/busybox/build.sh")
}

fn run_build(out: &Path) -> String {
    let o = Command::new("bash").arg(build_script()).arg(out).output().expect("bash");
    assert!(o.status.success(), "build.sh failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn busybox_image_builds_and_reads_back() {
    if !(have("bash", "--version") && have("python3", "--version") && Path::new("/bin/busybox").exists()) {
        eprintln!("note: skipping busybox image test (needs bash, python3 and busybox-static)");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("oci-busybox-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let layout = tmp.join("layout");
    run_build(&layout);
    assert!(run_build(&layout).contains("up to date"), "second build is skipped");

    let store = DirStore(layout.clone());
    let image = open_layout(&store, Some("latest")).unwrap();
    assert_eq!(image.config.config.cmd, ["sh"]);
    assert_eq!(image.config.config.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    assert_eq!((image.config.os.as_str(), image.config.architecture.as_str()), ("linux", "amd64"));
    assert_eq!(image.layers.len(), 1);

    let tar = image.layer_tar(&store, 0, 64 << 20).unwrap();
    let mut fs = MemFs::new();
    apply_layer(&mut fs, &tar).unwrap();
    let busybox = fs.stat("/bin/busybox").unwrap();
    assert_eq!(busybox.kind, NodeType::File);
    assert_eq!(busybox.meta.mode, 0o755);
    assert_eq!(fs.read("/bin/busybox").unwrap(), std::fs::read("/bin/busybox").unwrap());
    assert_eq!(fs.stat("/bin/sh").unwrap().ino, busybox.ino, "/bin/sh is a link to busybox");
    let applets = Command::new("/bin/busybox").arg("--list-full").output().unwrap();
    let applets = String::from_utf8(applets.stdout).unwrap();
    for applet in applets.lines() {
        assert_eq!(fs.stat(&format!("/{applet}")).map(|s| s.ino), Some(busybox.ino), "{applet}");
    }
    assert_eq!(busybox.nlink, applets.lines().count());
    assert_eq!(fs.stat("/tmp").unwrap().meta.mode, 0o1777);
    assert_eq!(fs.stat("/root").unwrap().meta.mode, 0o700);
    for dir in ["/dev", "/proc", "/sys", "/etc", "/home", "/var", "/usr/sbin"] {
        assert_eq!(fs.stat(dir).map(|s| s.kind), Some(NodeType::Dir), "{dir}");
    }

    let users = UserDb::parse(fs.read("/etc/passwd").unwrap(), fs.read("/etc/group").unwrap());
    let spec = spec_from_image(&image.config, &ConvertOptions { container_id: "bb", terminal: true }, &users).unwrap();
    assert_eq!(spec.process.args, ["sh"]);
    assert!(spec.process.env.contains(&"HOME=/root".to_string()));

    cross_check_with_skopeo(&layout);
    cross_check_with_umoci(&tmp, &layout, &spec);
    let _ = std::fs::remove_dir_all(&tmp);
}

fn cross_check_with_skopeo(layout: &Path) {
    if !have("skopeo", "--version") {
        eprintln!("note: skopeo not installed, skipping its check");
        return;
    }
    let o = Command::new("skopeo").arg("inspect").arg(format!("oci:{}:latest", layout.display())).output().unwrap();
    assert!(o.status.success(), "skopeo inspect: {}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["Architecture"], "amd64");
    assert_eq!(v["Layers"].as_array().unwrap().len(), 1);
}

fn cross_check_with_umoci(tmp: &Path, layout: &Path, ours: &oci::Spec) {
    if !have("umoci", "--version") {
        eprintln!("note: umoci not installed, skipping its check");
        return;
    }
    let bundle = tmp.join("bundle");
    let o = Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:latest", layout.display()))
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(o.status.success(), "umoci unpack: {}", String::from_utf8_lossy(&o.stderr));
    // umoci's config.json goes through our parser, and agrees with our conversion.
    let theirs = parse_config(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(theirs.process.args, ours.process.args);
    assert_eq!(theirs.process.cwd, ours.process.cwd);
    assert_eq!(theirs.process.env, ours.process.env);
    assert_eq!(theirs.process.terminal, ours.process.terminal);
    for key in ["org.opencontainers.image.os", "org.opencontainers.image.architecture", "org.opencontainers.image.created"] {
        assert_eq!(theirs.annotations.get(key), ours.annotations.get(key), "{key}");
    }
    let rootfs = bundle.join("rootfs");
    let ino = |p: &str| std::fs::symlink_metadata(rootfs.join(p)).unwrap().ino();
    assert_eq!(ino("bin/sh"), ino("bin/busybox"));
}
