//! Data disks: the FAT32 image `cargo run` attaches (made by our `mkdisk`
//! tool), and the one the tests use, made with the independent FAT tools
//! (`mkfs.fat` + mtools' `mcopy`) so that what the kernel reads is checked
//! against an implementation that is not ours.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Size of a fresh data disk.
pub const DEFAULT_SIZE_MIB: u64 = 256;
/// Size of the test data disk.
pub const TEST_SIZE_MIB: u64 = 64;

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("cannot run {shown}: {e} (run `scripts/setup`)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Makes a FAT32 image of `size_mib` at `image` holding the contents of `dir`.
pub fn build_fat32(image: &Path, size_mib: u64, label: &str, dir: Option<&Path>) -> Result<(), String> {
    if let Some(parent) = image.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let tmp = image.with_extension("img.part");
    let _ = fs::remove_file(&tmp);
    let file = fs::File::create(&tmp).map_err(|e| e.to_string())?;
    file.set_len(size_mib * 1024 * 1024).map_err(|e| e.to_string())?;
    drop(file);
    // 1 sector per cluster keeps >= 65525 clusters (FAT32) on small disks.
    let spc = if size_mib < 260 { "1" } else { "8" };
    run(Command::new("mkfs.fat").args(["-F", "32", "-s", spc, "-n", label]).arg(&tmp))?;
    if let Some(dir) = dir {
        let entries: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        if !entries.is_empty() {
            run(Command::new("mcopy").arg("-s").arg("-Q").arg("-i").arg(&tmp).args(&entries).arg("::/"))?;
        }
    }
    fs::rename(&tmp, image).map_err(|e| e.to_string())
}

/// Builds the OCI image layouts of `images/` (each `images/NAME/build.sh`)
/// into `<root>/images/NAME`, the tree the data disk is made from.
pub fn build_images(root: &Path) -> Result<(), String> {
    let sources = crate::paths::repo_root().join("images");
    let mut names: Vec<PathBuf> = fs::read_dir(&sources)
        .map_err(|e| format!("{}: {e}", sources.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("build.sh").is_file())
        .collect();
    names.sort();
    for dir in names {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let out = root.join("images").join(&name);
        run(Command::new("bash").arg(dir.join("build.sh")).arg(&out))?;
    }
    Ok(())
}

/// Makes sure the `cargo run` data disk exists: FAT32 holding the OCI images
/// built from `images/` under `/images/NAME`.
pub fn ensure(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let root = crate::paths::build_dir().join("disk-root");
    build_images(&root)?;
    eprintln!("cyrius: making the data disk {} from {}", path.display(), root.display());
    let options = mkdisk::Options {
        size: DEFAULT_SIZE_MIB * 1024 * 1024,
        output: path.to_path_buf(),
        label: String::from("CYRIUS"),
        inputs: vec![root],
        quiet: false,
    };
    mkdisk::build(&options).map(|_| ()).map_err(|e| e.to_string())
}

/// Compiles each `.c` file of `userland/<dir>` with `cc args -o OUT SRC` into
/// `build/<out>/`, lets `finish` adjust the binary, and names it `<prefix>NAME`
/// on the disk.
fn build_c_programs(dir: &str, out: &str, cc: &str, args: &[&str], prefix: &str, finish: fn(&mut Vec<u8>)) -> Vec<(String, Vec<u8>)> {
    let src = crate::paths::repo_root().join("userland").join(dir);
    let out_dir = crate::paths::build_dir().join(out);
    fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("make build/{out}: {e}"));
    let mut sources: Vec<PathBuf> = fs::read_dir(&src)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    sources.retain(|p| p.extension().is_some_and(|x| x == "c"));
    sources.sort();
    let mut programs = Vec::new();
    for c in sources {
        let name = c.file_stem().and_then(|s| s.to_str()).unwrap_or("prog").to_string();
        let bin = out_dir.join(&name);
        if let Err(e) = run(Command::new(cc).args(args).arg("-o").arg(&bin).arg(&c)) {
            panic!("building {}: {e}", c.display());
        }
        let mut bytes = fs::read(&bin).expect("read built program");
        finish(&mut bytes);
        fs::write(&bin, &bytes).expect("write built program");
        programs.push((format!("{prefix}{name}"), bytes));
    }
    programs
}

/// The C programs of `userland/linux-tests`, static musl binaries (`bin/`).
fn linux_test_programs() -> Vec<(String, Vec<u8>)> {
    build_c_programs("linux-tests", "linux-tests", "musl-gcc", &["-static", "-O1"], "bin/", |_| {})
}

/// The host-world programs of `userland/host` (no libc; their ELF header's
/// OSABI byte 0xC7 makes the kernel serve them with its host OCI-verb
/// table), in `bin/host/`.
fn host_programs() -> Vec<(String, Vec<u8>)> {
    let args = ["-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-pie", "-no-pie", "-O1"];
    build_c_programs("host", "host-programs", "gcc", &args, "bin/host/", |bytes| bytes[7] = 0xc7)
}

/// Dynamically linked musl programs of `userland/dynamic` (`bin/dyn/`), and
/// musl's loader, which is also its libc (`lib/ld-musl-x86_64.so.1`).
fn dynamic_programs() -> Vec<(String, Vec<u8>)> {
    let mut programs = build_c_programs("dynamic", "dynamic-programs", "musl-gcc", &["-O1"], "bin/dyn/", |_| {});
    let loader = fs::read("/lib/ld-musl-x86_64.so.1").expect("musl's loader (apt-get install musl)");
    programs.push((String::from("lib/ld-musl-x86_64.so.1"), loader));
    programs
}

/// A copy of an image layout whose config blob no longer matches its digest.
fn tamper_copy(src: &Path, dst: &Path) {
    let copy = Command::new("cp").arg("-r").arg(src).arg(dst).status();
    assert!(copy.is_ok_and(|s| s.success()), "copying {} failed", src.display());
    let index: serde_json_lite::Index = serde_json_lite::read_index(&dst.join("index.json"));
    let manifest = fs::read_to_string(dst.join("blobs/sha256").join(&index.manifest)).expect("manifest");
    let config = serde_json_lite::config_digest(&manifest);
    let path = dst.join("blobs/sha256").join(config);
    let mut bytes = fs::read(&path).expect("config blob");
    bytes.extend_from_slice(b" ");
    fs::write(&path, bytes).expect("tamper");
}

/// Just enough JSON digging for `tamper_copy` (no JSON dependency in the runner).
mod serde_json_lite {
    pub struct Index {
        pub manifest: String,
    }

    fn digest_after(text: &str, key: &str) -> String {
        let at = text.find(key).unwrap_or_else(|| panic!("{key} not found"));
        let rest = &text[at..];
        let start = rest.find("sha256:").expect("a sha256 digest") + 7;
        rest[start..start + 64].to_string()
    }

    pub fn read_index(path: &std::path::Path) -> Index {
        let text = std::fs::read_to_string(path).expect("index.json");
        Index { manifest: digest_after(&text, "\"manifests\"") }
    }

    pub fn config_digest(manifest: &str) -> String {
        digest_after(manifest, "\"config\"")
    }
}

/// `config.json` of the test bundle directory `/bundles/busybox`: a read-only
/// root, a tmpfs on /scratch, proc (skipped by Cyrius for now), resources.
pub const BUNDLE_DIR_CONFIG: &str = r#"{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["/bin/busybox", "sh", "-c", "echo \"$GREETING in $PWD\"; echo x > /x; echo ok > /scratch/f; read v < /scratch/f; echo scratch $v"],
    "env": ["PATH=/bin", "GREETING=hello from a bundle"],
    "cwd": "/home"
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "bundled",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=65536k"] },
    { "destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nodev", "mode=1777", "size=1m"] }
  ],
  "linux": { "resources": { "memory": { "limit": 67108864 }, "pids": { "limit": 32 } } }
}
"#;

/// `config.json` of the test bundle tar `/bundles/busybox.tar` (the busybox
/// image's layer under `rootfs/`, plus a symlink and a uid-1000 0600 file).
pub const BUNDLE_TAR_CONFIG: &str = r#"{
  "ociVersion": "1.0.2",
  "process": {
    "user": { "uid": 1000, "gid": 1000 },
    "args": ["sh", "-c", "echo tar bundle; read s < /etc/secret; echo secret: $s; echo x > /etc/new; exec stat -c '%N %a %h %u' /bin/sh /etc/secret /bin/shell"],
    "env": ["PATH=/bin:/usr/bin"],
    "cwd": "/"
  },
  "root": { "path": "rootfs" },
  "mounts": [{ "destination": "/proc", "type": "proc", "source": "proc" }]
}
"#;

/// Re-packs the busybox image's layer as a runtime-bundle tar.
const BUNDLE_TAR_SCRIPT: &str = r#"
import json, sys, tarfile, io
layout, out, config = sys.argv[1], sys.argv[2], sys.argv[3].encode()
index = json.load(open(layout + "/index.json"))
manifest = json.load(open(layout + "/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
layer = layout + "/blobs/sha256/" + manifest["layers"][0]["digest"][7:]
def entry(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.size, info.linkname = kind, mode, uid, uid, len(data), link
    return info, io.BytesIO(data)
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    t.addfile(*entry("config.json", data=config))
    t.addfile(*entry("rootfs", tarfile.DIRTYPE, 0o755))
    with tarfile.open(layer, "r:gz") as src:
        for m in src.getmembers():
            data = src.extractfile(m) if m.isfile() else None
            m.name = "rootfs/" + m.name.removeprefix("./")
            if m.islnk():
                m.linkname = "rootfs/" + m.linkname.removeprefix("./")
            t.addfile(m, data)
    t.addfile(*entry("rootfs/etc/secret", mode=0o600, uid=1000, data=b"top secret\n"))
    t.addfile(*entry("rootfs/bin/shell", tarfile.SYMTYPE, 0o777, link="busybox"))
"#;

/// The runtime bundles of the test disk under `/bundles`: `busybox/` (a
/// directory: FAT32 keeps no modes or links, so it holds just the busybox
/// binary), `busybox.tar` (the image's rootfs with its links and modes), and
/// broken ones for the error cases.
fn make_bundles(dir: &Path, layout: &Path, busybox: &Path) {
    let write = |path: &str, data: &[u8]| {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap_or(dir)).expect("make bundle dirs");
        fs::write(&p, data).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    };
    let binary = fs::read(busybox).unwrap_or_else(|e| panic!("{}: {e}", busybox.display()));
    write("busybox/config.json", BUNDLE_DIR_CONFIG.as_bytes());
    write("busybox/rootfs/bin/busybox", &binary);
    write("busybox/rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    write("busybox/rootfs/home/.keep", b"");
    write("noconfig/rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    write("badjson/config.json", BUNDLE_DIR_CONFIG.replace(r#""args": ["#, r#""args": "sh", "x": ["#).as_bytes());
    write("badjson/rootfs/etc/passwd", b"");
    write("norootfs/config.json", BUNDLE_DIR_CONFIG.as_bytes());
    write("broken.tar", &[0x42; 1536]);
    let tar = dir.join("busybox.tar");
    let made = Command::new("python3").arg("-c").arg(BUNDLE_TAR_SCRIPT).arg(layout).arg(&tar).arg(BUNDLE_TAR_CONFIG).status();
    assert!(made.is_ok_and(|s| s.success()), "making {} failed", tar.display());
}

/// FNV-1a over the names and contents of `userland/linux-tests` and `userland/host`.
fn sources_hash() -> u64 {
    let user = crate::paths::repo_root().join("userland");
    let list = |dir: PathBuf| -> Vec<PathBuf> { fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default() };
    let mut paths: Vec<PathBuf> = list(user.join("linux-tests"));
    paths.extend(list(user.join("host")));
    paths.extend(list(user.join("dynamic")));
    paths.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in paths {
        let bytes = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default().into_bytes();
        for b in bytes.iter().chain(fs::read(&p).unwrap_or_default().iter()) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Path of a built Linux test program on the host (for differential runs).
pub fn linux_test_program(name: &str) -> PathBuf {
    crate::paths::build_dir().join("linux-tests").join(name)
}

/// The files the test data disk holds (path, contents).
pub fn test_files() -> Vec<(&'static str, Vec<u8>)> {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    vec![
        ("hello.txt", b"hello from the data disk\n".to_vec()),
        ("A long file name.txt", b"long names work\n".to_vec()),
        ("docs/nested/deep.txt", b"three levels down\n".to_vec()),
        ("docs/empty.txt", Vec::new()),
        ("big.bin", big),
    ]
}

/// The test data disk (the tests open it in snapshot mode, so it stays as made).
pub fn test_disk() -> PathBuf {
    static DISK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DISK.get_or_init(make_test_disk).clone()
}

fn make_test_disk() -> PathBuf {
    // The name carries a version (bump it when `test_files` changes) and a
    // hash of the test programs' sources, so editing one makes a new disk.
    let image = crate::paths::build_dir().join(format!("test-data-v5-{:016x}.img", sources_hash()));
    if image.exists() && linux_test_program("badptr").exists() {
        return image;
    }
    let dir = crate::paths::build_dir().join(format!("test-data.{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let busybox = fs::read("/bin/busybox").unwrap_or_else(|e| panic!("/bin/busybox: {e} (run `scripts/setup`)"));
    let extra = linux_test_programs().into_iter().chain(host_programs()).chain(dynamic_programs()).chain([(String::from("bin/busybox"), busybox)]);
    let files = test_files().into_iter().map(|(p, d)| (p.to_string(), d)).chain(extra);
    for (path, data) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap_or(&dir)).expect("make test-data dirs");
        fs::write(&p, data).expect("write test-data file");
    }
    if let Err(e) = build_images(&dir) {
        panic!("building the OCI images for the test disk: {e}");
    }
    tamper_copy(&dir.join("images/busybox"), &dir.join("images/tampered"));
    make_bundles(&dir.join("bundles"), &dir.join("images/busybox"), Path::new("/bin/busybox"));
    // Parallel test binaries may race to make it: build privately, then rename.
    let private = image.with_extension(format!("{}.img", std::process::id()));
    if let Err(e) = build_fat32(&private, TEST_SIZE_MIB, "CYRTEST", Some(&dir)).and_then(|_| fs::rename(&private, &image).map_err(|e| e.to_string())) {
        panic!("cannot make the test data disk: {e}");
    }
    let _ = fs::remove_dir_all(&dir);
    image
}
