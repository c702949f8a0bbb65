//! OCI images on the data disk, read and verified by the kernel.

use cyrius::datadisk::test_disk;
use cyrius::{Machine, QemuConfig};

/// The config digest of the busybox layout the test disk was made from, as
/// skopeo would report it (read with python3's json on the host).
fn host_image_id() -> String {
    let layout = cyrius::paths::build_dir().join("images-for-tests/busybox");
    let built = std::process::Command::new("bash")
        .arg(cyrius::paths::repo_root().join("images/busybox/build.sh"))
        .arg(&layout)
        .output()
        .expect("build.sh");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let script = "import json,sys; d=sys.argv[1]; i=json.load(open(d+'/index.json')); \
                  m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['config']['digest'][7:19])";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&layout).output().expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn images_are_listed_and_a_tampered_one_is_refused_alone() {
    test_disk();
    let id = host_image_id();
    assert_eq!(id.len(), 12, "host image id {id:?}");
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let out = m.run_with_timeout("images", std::time::Duration::from_secs(60));
    let busybox = out.lines().find(|l| l.starts_with("busybox ")).unwrap_or("").to_string();
    m.assert(busybox.contains(&id) && busybox.contains("amd64"), &format!("busybox line {busybox:?} lacks id {id} / amd64:\n{out}"));
    let tampered = out.lines().find(|l| l.starts_with("tampered ")).unwrap_or("").to_string();
    m.assert(tampered.contains("error: blob sha256:"), &format!("tampered image not refused: {tampered:?}"));
    m.poweroff();
}
