//! oci-pull against a real registry on this machine: Debian's `docker-registry` (the
//! distribution reference implementation) on a free loopback port with its storage in a
//! temporary directory. skopeo pushes our busybox image (as OCI, as Docker schema 2, and as
//! a two-platform index); oci-pull pulls it back.
//!
//! `docker-registry` is installed by `scripts/setup`; without it these tests fail and say so.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use oci::Digest;
use oci_pull::local_registry::{self, LocalRegistry};
use oci_pull::{pull, Options, PullError, Reference};

/// The registry, started on a free loopback port.
fn start_registry(dir: &Path) -> LocalRegistry {
    assert!(
        LocalRegistry::available(),
        "{} is not installed: run scripts/setup (it installs the Debian package docker-registry)",
        local_registry::BINARY
    );
    LocalRegistry::start(dir).unwrap()
}

fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (run scripts/setup)"));
    assert!(out.status.success(), "{shown} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn digest_at(v: &serde_json::Value) -> Digest {
    Digest::parse(v.as_str().unwrap()).unwrap()
}

/// Our busybox layout: (dir, manifest digest, config digest, layer digest).
fn busybox(dir: &Path) -> (PathBuf, Digest, Digest, Digest) {
    let layout = dir.join("busybox");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/busybox/build.sh");
    run(Command::new("bash").arg(script).arg(&layout));
    let manifest = digest_at(&json(&layout.join("index.json"))["manifests"][0]["digest"]);
    let m = json(&layout.join(manifest.blob_path()));
    (layout, manifest, digest_at(&m["config"]["digest"]), digest_at(&m["layers"][0]["digest"]))
}

fn put_blob(layout: &Path, bytes: &[u8]) -> (Digest, usize) {
    let d = Digest::of(bytes);
    fs::write(layout.join(d.blob_path()), bytes).unwrap();
    (d, bytes.len())
}

/// A copy of the busybox layout whose `multi` entry is an index of an arm64 variant (same
/// layer, config saying arm64) and the real amd64 image, arm64 first.
fn two_platforms(busybox: &Path, manifest: Digest, dir: &Path) -> PathBuf {
    let out = dir.join("multi");
    run(Command::new("cp").arg("-r").arg(busybox).arg(&out));
    let amd = json(&out.join(manifest.blob_path()));
    let mut config = json(&out.join(digest_at(&amd["config"]["digest"]).blob_path()));
    config["architecture"] = "arm64".into();
    let (cfg_d, cfg_n) = put_blob(&out, &serde_json::to_vec(&config).unwrap());
    let mut arm = amd.clone();
    arm["config"]["digest"] = cfg_d.to_string().into();
    arm["config"]["size"] = cfg_n.into();
    let (arm_d, arm_n) = put_blob(&out, &serde_json::to_vec(&arm).unwrap());
    let amd_n = fs::metadata(out.join(manifest.blob_path())).unwrap().len();
    let entry = |d: Digest, n: u64, arch: &str| {
        serde_json::json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d.to_string(), "size": n,
                            "platform": { "os": "linux", "architecture": arch } })
    };
    let index = serde_json::json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry(arm_d, arm_n as u64, "arm64"), entry(manifest, amd_n, "amd64")] });
    let (idx_d, idx_n) = put_blob(&out, &serde_json::to_vec(&index).unwrap());
    let top = serde_json::json!({ "schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": idx_d.to_string(), "size": idx_n,
        "annotations": { "org.opencontainers.image.ref.name": "multi" } }] });
    fs::write(out.join("index.json"), top.to_string()).unwrap();
    out
}

fn push(src: &str, port: u16, dest: &str, extra: &[&str]) {
    run(Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .args(extra)
        .arg(src)
        .arg(format!("docker://127.0.0.1:{port}/{dest}")));
}

fn reference(port: u16, name: &str) -> Reference {
    Reference::parse(&format!("127.0.0.1:{port}/{name}")).unwrap()
}

fn quiet() -> Options {
    Options { insecure: false, verbose: false, store: false }
}

#[test]
fn pulls_what_skopeo_pushed_to_a_real_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start_registry(tmp.path());
    let port = server.port;
    let (layout, manifest, config, layer) = busybox(tmp.path());
    let src = format!("oci:{}:latest", layout.display());

    // OCI as is: skopeo does not convert, so the manifest digest survives the round trip.
    push(&src, port, "busybox:latest", &[]);
    let dest = tmp.path().join("pulled");
    let got = pull(&reference(port, "busybox:latest"), &dest, &quiet()).unwrap();
    assert_eq!((got.manifest, got.top_digest, got.config, &got.layers[..]), (manifest, manifest, config, &[layer][..]));
    ociimport::check(&dest).unwrap();
    let index = json(&dest.join("index.json"));
    assert_eq!(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
    assert_eq!(index["manifests"][0]["annotations"]["io.containerd.image.name"], format!("127.0.0.1:{port}/busybox:latest"));
    let imported = ociimport::import(&dest, &tmp.path().join("images"), None).unwrap();
    assert_eq!(imported.name, "busybox");

    // Docker schema 2: a new manifest, but the same config and layer blobs.
    push(&src, port, "tools/busybox:v2s2", &["--format", "v2s2"]);
    let dest = tmp.path().join("pulled-v2s2");
    let got = pull(&reference(port, "tools/busybox:v2s2"), &dest, &quiet()).unwrap();
    assert_ne!(got.manifest, manifest, "skopeo rewrote the manifest as Docker schema 2");
    assert_eq!((got.config, &got.layers[..]), (config, &[layer][..]));
    let m = json(&dest.join(got.manifest.blob_path()));
    assert_eq!(m["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
    ociimport::check(&dest).unwrap();

    // By digest.
    let dest = tmp.path().join("pulled-digest");
    let got = pull(&reference(port, &format!("busybox@{manifest}")), &dest, &quiet()).unwrap();
    assert_eq!(got.manifest, manifest);

    // A two-platform index: linux/amd64 is chosen.
    let multi = two_platforms(&layout, manifest, tmp.path());
    push(&format!("oci:{}:multi", multi.display()), port, "busybox:multi", &["--all"]);
    let dest = tmp.path().join("pulled-multi");
    let got = pull(&reference(port, "busybox:multi"), &dest, &quiet()).unwrap();
    assert_ne!(got.top_digest, got.manifest, "the tag names the index");
    assert_eq!((got.manifest, &got.layers[..]), (manifest, &[layer][..]));
    ociimport::check(&dest).unwrap();

    // Errors: one line each, nothing left behind.
    let dest = tmp.path().join("nothing");
    let err = pull(&reference(port, "busybox:nosuch"), &dest, &quiet()).unwrap_err();
    assert!(matches!(err, PullError::Status { status: 404, .. }), "{err}");
    assert!(err.to_string().contains("not found") && err.to_string().contains("MANIFEST_UNKNOWN"), "{err}");
    assert!(!dest.exists());
    let err = pull(&reference(port, "busybox:latest"), &tmp.path().join("pulled"), &quiet()).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    drop(server);
    let err = pull(&reference(port, "busybox:latest"), &dest, &quiet()).unwrap_err();
    assert!(matches!(err, PullError::Connect { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("cannot reach http://127.0.0.1:{port}/v2/")), "{err}");
    assert!(!dest.exists());
}

#[test]
fn the_cli_pulls_and_reports_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start_registry(tmp.path());
    let (layout, manifest, _, _) = busybox(tmp.path());
    push(&format!("oci:{}:latest", layout.display()), server.port, "busybox:1.35", &[]);
    let bin = env!("CARGO_BIN_EXE_oci-pull");
    let dest = tmp.path().join("out");
    let out = Command::new(bin).args(["--quiet", &format!("127.0.0.1:{}/busybox:1.35", server.port)]).arg(&dest).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&manifest.to_string()));
    // The CLI's layout carries its image store, one EROFS image per layer.
    let store: Vec<_> = std::fs::read_dir(dest.join("erofs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(store.len(), 1, "{store:?}");
    assert!(ociimport::build_store(&dest).unwrap().iter().all(|l| l.reused));
    let out = Command::new(bin).args(["Bad:Ref", "/tmp/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("oci-pull: bad image reference"), "{err}");
}
