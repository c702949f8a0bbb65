//! The real-images data disk of the acceptance tests: Debian-based images
//! (`images/debian/image.sh`) and the static servers (`images/static/image.sh`), each
//! with its image store, plus `scripts/` (the test scripts of `boot/tests/realimages/`)
//! and `data/` (a directory containers get bind-mounted), and the host side of the same
//! runs: each image's root directory, entered with `unshare` + `chroot`.
//!
//! Invariant: the disk is made once per input key (each layout's `index.json`, the
//! scripts, and the sources of the tools that write image stores), under
//! `build/realimages-KEY.img`; older keys' disks are removed when a new one is made. The
//! tests open it in snapshot mode, so it stays as made.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::datadisk::build_fat32;
use crate::userimages::{add_to_disk, Source};

/// The images on the disk and the script that makes each.
pub const IMAGES: [(&str, &str); 9] = [
    ("tools", "debian"),
    ("python", "debian"),
    ("nginx", "debian"),
    ("redis", "debian"),
    ("postgres", "debian"),
    ("node", "debian"),
    ("stress", "debian"),
    ("goserver", "static"),
    ("tokioserver", "static"),
];

/// Size of the (sparse) disk.
const SIZE_MIB: u64 = 4096;

/// The test scripts (`boot/tests/realimages/`), also copied to the disk's `scripts/`.
pub fn scripts_dir() -> PathBuf {
    crate::paths::repo_root().join("boot/tests/realimages")
}

fn image_script(kind: &str) -> PathBuf {
    crate::paths::repo_root().join(format!("images/{kind}/image.sh"))
}

/// `build/images/NAME`, made (or found in the cache) by its image script.
pub fn layout(name: &str) -> Result<PathBuf, String> {
    let kind = IMAGES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k).ok_or_else(|| format!("no image {name}"))?;
    let out = crate::paths::build_dir().join("images").join(name);
    if kind == "static" && out.join("index.json").is_file() {
        // The static servers are rebuilt only when missing (their script has no cache key).
        return Ok(out);
    }
    let made = Command::new("bash").arg(image_script(kind)).arg(name).arg(&out).output().map_err(|e| format!("bash: {e}"))?;
    if !made.status.success() {
        return Err(format!("images/{kind}/image.sh {name} failed (run scripts/setup): {}", String::from_utf8_lossy(&made.stderr)));
    }
    Ok(out)
}

/// The root directory a Debian image was made from (`image.sh --rootfs NAME`).
pub fn rootfs(name: &str) -> PathBuf {
    let out = Command::new("bash").arg(image_script("debian")).args(["--rootfs", name]).output().expect("bash");
    assert!(out.status.success(), "images/debian/image.sh --rootfs {name}: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs `sh -c SCRIPT` in image `name`'s root on the host as a container would see it:
/// private mount and PID namespaces, the root an overlay (a tmpfs upper over the cached
/// root, which is not written), Docker's `/etc/hosts` (as Cyrius gives containers), fresh
/// /proc, /dev the host's, the test scripts read-only at /mnt and `data` (if any) at /srv.
pub fn host_run(name: &str, script: &str, data: Option<&Path>) -> Output {
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let root = rootfs(name);
    let scratch = std::env::temp_dir()
        .join(format!("cyrius-hostrun.{}.{}", std::process::id(), RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    fs::create_dir_all(&scratch).expect("a scratch directory");
    let t = scratch.display();
    let r = format!("{t}/m");
    let mut setup = format!(
        "mount -t tmpfs tmpfs {t} && mkdir {t}/u {t}/w {r} && \
         mount -t overlay overlay -o lowerdir={l},upperdir={t}/u,workdir={t}/w {r} && \
         printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > {r}/etc/hosts && \
         mount -t proc proc {r}/proc && mount --rbind /dev {r}/dev && \
         mount --bind {s} {r}/mnt && mount -o remount,bind,ro {r}/mnt",
        l = root.display(),
        s = scripts_dir().display()
    );
    if let Some(d) = data {
        setup.push_str(&format!(" && mount --bind {} {r}/srv", d.display()));
    }
    // The host's environment stays out: the image's Env and HOME, as in a container.
    let env: Vec<String> = image_env(name).iter().map(|e| format!("'{}'", e.replace('\'', "'\\''"))).collect();
    setup.push_str(&format!(" && exec env -i HOME=/root {} chroot {r} sh -c \"$0\"", env.join(" ")));
    let out = Command::new("unshare")
        .args(["--mount", "--pid", "--fork", "--propagation", "private", "sh", "-c", &setup, script])
        .output()
        .expect("unshare (util-linux)");
    let _ = fs::remove_dir(&scratch);
    out
}

/// The `Env` of image `name`'s config (`build/images/NAME`).
pub fn image_env(name: &str) -> Vec<String> {
    let json = |p: PathBuf| -> serde_json::Value {
        serde_json::from_slice(&fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).expect("JSON")
    };
    let dir = crate::paths::build_dir().join("images").join(name);
    let blob = |v: &serde_json::Value| dir.join("blobs/sha256").join(v["digest"].as_str().unwrap_or_default().trim_start_matches("sha256:"));
    let manifest = json(blob(&json(dir.join("index.json"))["manifests"][0]));
    let config = json(blob(&manifest["config"]));
    config["config"]["Env"].as_array().map(|a| a.iter().filter_map(|e| e.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// FNV-1a over byte strings.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h = (*h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
}

/// Every file under `dir` (sorted), for hashing.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The disk, made if its key changed.
pub fn disk() -> PathBuf {
    static DISK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DISK.get_or_init(|| make().unwrap_or_else(|e| panic!("the real-images disk: {e}"))).clone()
}

fn make() -> Result<PathBuf, String> {
    let mut layouts = Vec::new();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, _) in IMAGES {
        let l = layout(name)?;
        fnv(&mut h, name.as_bytes());
        fnv(&mut h, &fs::read(l.join("index.json")).map_err(|e| format!("{}: {e}", l.display()))?);
        layouts.push((name, l));
    }
    let root = crate::paths::repo_root();
    let mut inputs = Vec::new();
    for dir in ["boot/tests/realimages", "tools/ociimport/src", "kernel/crates/erofs/src", "kernel/crates/oci/src/store.rs"] {
        let p = root.join(dir);
        if p.is_file() { inputs.push(p) } else { files_under(&p, &mut inputs) }
    }
    for p in inputs {
        fnv(&mut h, p.to_string_lossy().as_bytes());
        fnv(&mut h, &fs::read(&p).unwrap_or_default());
    }
    let build = crate::paths::build_dir();
    let disk = build.join(format!("realimages-{h:016x}.img"));
    if disk.exists() {
        return Ok(disk);
    }
    let stage = build.join(format!("realimages-stage.{}", std::process::id()));
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(stage.join("data")).map_err(|e| e.to_string())?;
    fs::write(stage.join("data/seed.txt"), "written on the host\n").map_err(|e| e.to_string())?;
    copy_dir(&scripts_dir(), &stage.join("scripts"))?;
    let private = build.join(format!("realimages-{h:016x}.part.{}", std::process::id()));
    let made = build_fat32(&private, SIZE_MIB, "CYRIMAGES", Some(&stage)).and_then(|_| {
        let sources: Vec<Source> =
            layouts.iter().map(|(n, l)| Source::Path { name: Some(n.to_string()), path: l.clone() }).collect();
        add_to_disk(&private, &sources, false).map(|lines| eprintln!("{}", lines.join("\n")))
    });
    let _ = fs::remove_dir_all(&stage);
    if let Err(e) = made {
        let _ = fs::remove_file(&private);
        return Err(e);
    }
    // Older keys' disks are 1-2 GB each: keep only this one.
    if let Ok(entries) = fs::read_dir(&build) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("realimages-") && n.ends_with(".img") && e.path() != disk {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    fs::rename(&private, &disk).map_err(|e| e.to_string())?;
    Ok(disk)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?.flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            fs::copy(&p, to.join(e.file_name())).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}
