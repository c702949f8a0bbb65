//! Helpers shared by the integration tests: temporary images, the external FAT tools
//! (mkfs.fat, mtools, fsck.fat) that serve as independent implementations, and a fixed clock.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use fat32::{FatFs, FileDevice, NodeId};

/// 2024-01-02T03:04:06Z, the time every test volume sees.
pub const NOW: i64 = 1_704_164_646;

pub fn clock() -> i64 {
    NOW
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("fat32-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether every tool is installed; prints a note naming the test that is skipped if not.
pub fn have_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| Command::new(t).arg("--version").output().is_err())
        .collect();
    if !missing.is_empty() {
        eprintln!("note: skipping {test}: {} not installed", missing.join(", "));
    }
    missing.is_empty()
}

/// Runs a tool; panics with its output if it fails. Returns stdout.
pub fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .env("MTOOLS_SKIP_CHECK", "1")
        .env("TZ", "UTC")
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Every file of the image, as mtools reads it: path (from the root) -> contents. Copies
/// the whole tree out with one `mcopy -s`.
pub fn files_via_mtools(image: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let out = TempDir::new("extract");
    run("mcopy", &["-s", "-n", "-i", image.to_str().unwrap(), "::/*", &format!("{}/", out.path().display())]);
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(out.path()).unwrap().to_str().unwrap().to_string();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// `fsck.fat -n` must exit 0 and print nothing but its banner and the summary line.
pub fn assert_fsck_clean(image: &Path) {
    let out = Command::new("fsck.fat").arg("-n").arg(image).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.starts_with("fsck.fat ") && !l.contains(" files, ") && !l.trim().is_empty())
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "fsck.fat -n complained (status {}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// A sparse image file of `mib` MiB formatted by `mkfs.fat -F 32` with 512-byte clusters.
pub fn mkfs_image(dir: &TempDir, mib: u64) -> PathBuf {
    mkfs_image_with(dir, mib, &["-s", "1"])
}

/// A sparse image file of `mib` MiB formatted by `mkfs.fat -F 32` with extra options.
pub fn mkfs_image_with(dir: &TempDir, mib: u64, options: &[&str]) -> PathBuf {
    let path = dir.path().join("mkfs.img");
    std::fs::File::create(&path).unwrap().set_len(mib << 20).unwrap();
    let mut args = vec!["-F", "32", "-n", "TESTVOL"];
    args.extend_from_slice(options);
    args.push(path.to_str().unwrap());
    run("mkfs.fat", &args);
    path
}

/// A sparse image of `mib` MiB formatted by this crate.
pub fn own_image(dir: &TempDir, mib: u64) -> PathBuf {
    let path = dir.path().join("own.img");
    let dev = FileDevice::create(&path, mib << 20).unwrap();
    fat32::format(&dev, "CYRIUS").unwrap();
    path
}

pub fn mount(path: &Path) -> FatFs<FileDevice> {
    FatFs::mount(FileDevice::open(path).unwrap(), clock).unwrap()
}

/// Resolves a `/`-separated path from the root.
pub fn resolve<D: fat32::BlockDevice>(fs: &FatFs<D>, path: &str) -> errno::KResult<NodeId> {
    let mut node = fs.root();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        node = fs.lookup(node, part)?;
    }
    Ok(node)
}

/// The whole contents of a file.
pub fn read_all<D: fat32::BlockDevice>(fs: &FatFs<D>, node: NodeId) -> Vec<u8> {
    let size = fs.metadata(node).unwrap().size as usize;
    let mut buf = vec![0u8; size + 10];
    let n = fs.read_at(node, 0, &mut buf).unwrap();
    assert_eq!(n, size);
    buf.truncate(n);
    buf
}

/// All entry names of a directory, sorted.
pub fn names<D: fat32::BlockDevice>(fs: &FatFs<D>, dir: NodeId) -> Vec<String> {
    let mut out: Vec<String> = fs.readdir(dir, 0, usize::MAX).unwrap().into_iter().map(|i| i.name).collect();
    out.sort();
    out
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
