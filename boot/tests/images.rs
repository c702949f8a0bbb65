//! `cargo run -- --image PATH`: a `docker save` tarball (made by skopeo from our busybox
//! image) is converted, put on the data disk, listed by the kernel's `images`, and run as a
//! container. Bad images are refused in one line before QEMU starts, the disk untouched.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn runner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cyrius"))
}

fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (run scripts/setup)"));
    assert!(out.status.success(), "{shown} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch directory under build/ removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = cyrius::paths::build_dir().join(format!("test-images-{tag}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The busybox layout and the short id (config digest) `images` shows for it.
fn busybox_layout(dir: &Path) -> (PathBuf, String) {
    let layout = dir.join("busybox");
    run(Command::new("bash").arg(cyrius::paths::repo_root().join("images/busybox/build.sh")).arg(&layout));
    let index: serde_json::Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"][0]["digest"].as_str().unwrap()[7..].to_string();
    let m: serde_json::Value = serde_json::from_slice(&fs::read(layout.join("blobs/sha256").join(manifest)).unwrap()).unwrap();
    (layout, m["config"]["digest"].as_str().unwrap()[7..19].to_string())
}

/// A private, writable copy of the test data disk.
fn disk_copy(dir: &Path) -> PathBuf {
    let disk = dir.join("data.img");
    fs::copy(cyrius::datadisk::test_disk(), &disk).unwrap();
    disk
}

fn fsck_clean(image: &Path) {
    let out = Command::new("fsck.fat").arg("-n").arg(image).output().expect("fsck.fat (run scripts/setup)");
    let text = String::from_utf8_lossy(&out.stdout);
    let complaints = text.lines().filter(|l| !l.starts_with("fsck.fat ") && !l.contains(" files, ")).count();
    assert!(out.status.success() && complaints == 0, "fsck.fat -n: {text}");
}

#[test]
fn a_docker_save_tarball_runs_as_a_container() {
    let scratch = Scratch::new("run");
    let (layout, id) = busybox_layout(&scratch.0);
    let tarball = scratch.0.join("x.tar");
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(format!("docker-archive:{}:example.org/team/mybox:latest", tarball.display())));
    let disk = disk_copy(&scratch.0);

    let mut child = runner()
        .args(["--memory", "256M", "--data-disk"])
        .arg(&disk)
        .arg("--image")
        .arg(&tarball)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner");
    let script = b"log error\rimages\roci-runtime run --image mybox t1 echo hi\roci-runtime run --image busybox t2 echo still-here\rpoweroff\r";
    child.stdin.take().expect("stdin").write_all(script).expect("type");
    let started = Instant::now();
    let out = child.wait_with_output().expect("runner output");
    let text = cyrius::machine::clean(&String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(started.elapsed() < Duration::from_secs(120), "took too long");
    assert!(out.status.success(), "runner status {:?}\n{text}\n{err}", out.status);
    assert!(err.contains(&format!("image 'mybox' from {}", tarball.display())), "{err}");

    let mybox = text.lines().find(|l| l.starts_with("mybox ")).unwrap_or_default();
    assert!(mybox.contains(&id) && mybox.contains("amd64"), "`images` line {mybox:?} lacks id {id}:\n{text}");
    assert!(text.lines().any(|l| l.trim() == "hi"), "container output missing:\n{text}");
    assert!(text.lines().any(|l| l.trim() == "still-here"), "the built-in image is gone:\n{text}");

    // The disk is sound for an independent checker, and the image is where the kernel looks.
    fsck_clean(&disk);
    let listing = run(Command::new("mdir").env("MTOOLS_SKIP_CHECK", "1").args(["-/", "-b", "-i"]).arg(&disk).arg("::/images/mybox"));
    assert!(listing.contains("index.json") && listing.contains("oci-layout"), "{listing}");
}

#[test]
fn bad_images_are_refused_before_boot_and_leave_the_disk_alone() {
    let scratch = Scratch::new("bad");
    let disk = disk_copy(&scratch.0);
    let before = fs::read(&disk).unwrap();
    let noise = scratch.0.join("noise.tar");
    fs::write(&noise, vec![0x42u8; 4096]).unwrap();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["--image".into(), "/nonexistent/img.tar".into()], "cyrius: /nonexistent/img.tar: no such file or directory".into()),
        (vec!["--image".into(), noise.display().to_string()], format!("cyrius: {}: corrupt archive", noise.display())),
        (vec!["--image".into(), format!("Bad/Name={}", noise.display())], "cyrius: Bad/Name=".into()),
        (vec!["--image".into(), format!("-x={}", noise.display())], "cyrius: -x=".into()),
        (vec!["--no-data-disk".into(), "--image".into(), "x.tar".into()], "cyrius: --image and --pull put images on the data disk".into()),
        (vec!["--pull".into(), "UPPER".into()], "cyrius: bad image reference \"UPPER\"".into()),
    ];
    for (args, expected) in cases {
        let out = runner().arg("--data-disk").arg(&disk).args(&args).stdin(Stdio::null()).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(&expected), "{args:?}: {err}");
    }
    assert!(fs::read(&disk).unwrap() == before, "a refused image changed the disk");
}

#[test]
fn pull_from_a_local_registry_onto_the_disk() {
    use cyrius::userimages::{add_to_disk, Source};
    use oci_pull::local_registry::{LocalRegistry, BINARY};
    assert!(LocalRegistry::available(), "{BINARY} is not installed: run scripts/setup (it installs the Debian package docker-registry)");
    let scratch = Scratch::new("pull");
    let registry = LocalRegistry::start(&scratch.0).unwrap();
    let (layout, _) = busybox_layout(&scratch.0);
    run(Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(format!("docker://{}/tools/pulledbox:v1", registry.host())));
    let disk = disk_copy(&scratch.0);
    let reference = format!("{}/tools/pulledbox:v1", registry.host());
    let lines = add_to_disk(&disk, &[Source::Pull { reference: reference.clone() }], false).unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(&format!("image 'pulledbox-v1' from {reference}")), "{lines:?}");
    fsck_clean(&disk);
    let listing = run(Command::new("mdir").env("MTOOLS_SKIP_CHECK", "1").args(["-/", "-b", "-i"]).arg(&disk).arg("::/images"));
    assert!(listing.contains("images/pulledbox-v1/index.json") && listing.contains("images/busybox/index.json"), "{listing}");

    let before = fs::read(&disk).unwrap();
    let missing = format!("{}/tools/nosuch:v1", registry.host());
    let err = add_to_disk(&disk, &[Source::Pull { reference: missing }], false).unwrap_err();
    assert!(err.contains("not found") && err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert!(fs::read(&disk).unwrap() == before, "a failed pull changed the disk");
}

#[test]
fn help_documents_image_options() {
    let out = runner().arg("--help").output().expect("run --help");
    let text = String::from_utf8_lossy(&out.stdout);
    for opt in ["--image [NAME=]PATH", "docker save", "oci-archive", "--pull REF", "--insecure"] {
        assert!(text.contains(opt), "--help lacks {opt}:\n{text}");
    }
}
