//! Data disks: the FAT32 image `cargo run` attaches (made by our `mkdisk`
//! tool), and the one the tests use, made with the independent FAT tools
//! (`mkfs.fat` + mtools' `mcopy`) so that what the kernel reads is checked
//! against an implementation that is not ours.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Size of a fresh data disk.
pub const DEFAULT_SIZE_MIB: u64 = 1024;
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
/// into `<root>/images/NAME`, the tree the data disk is made from, each with
/// its image store (`erofs/`, one EROFS image per layer, kept when current).
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
        ociimport::build_store(&out).map_err(|e| format!("{}: image store: {e}", out.display()))?;
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

/// The syscall fuzzer of `userland/fuzz`, a static musl binary (`bin/fuzz`,
/// and in the `/bundles/fuzz` bundle).
fn fuzz_programs() -> Vec<(String, Vec<u8>)> {
    build_c_programs("fuzz", "fuzz", "musl-gcc", &["-static", "-O2"], "bin/", |_| {})
}

/// `config.json` of the test bundle `/bundles/fuzz`: the fuzzer as the
/// container's init (args given on the command line), /proc and a small /tmp,
/// memory and pids limits.
pub const FUZZ_BUNDLE_CONFIG: &str = r#"{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["/bin/fuzz"],
    "env": ["PATH=/bin"],
    "cwd": "/"
  },
  "root": { "path": "rootfs" },
  "hostname": "fuzz",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=16m"] }
  ],
  "linux": { "resources": { "memory": { "limit": 134217728 }, "pids": { "limit": 128 } } }
}
"#;

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

/// Where [`glibc_programs`] builds: `bin/` (the programs) and `lib/` (libtiny.so).
fn glibc_build_dir() -> PathBuf {
    crate::paths::build_dir().join("glibc-programs")
}

/// Path of a built glibc program on the host (for differential runs: it
/// finds libtiny.so through its RUNPATH `$ORIGIN/../lib`, glibc in the host's
/// system directories).
pub fn glibc_program(name: &str) -> PathBuf {
    glibc_build_dir().join("bin").join(name)
}

/// The glibc libraries the glibc programs load, by soname: what `ldd`
/// reports for them, plus libm.so.6, which `dl` opens with dlopen.
pub const GLIBC_LIBS: &[&str] = &["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"];

/// Dynamically linked glibc programs of `userland/dynamic/glibc`, built
/// with Debian's gcc, and what they need at run time, under `glibc/` as in
/// a Debian root: `glibc/bin/NAME`, `glibc/lib/libtiny.so` (a DT_NEEDED of
/// `dl`, found through RUNPATH `$ORIGIN/../lib`), the host's own loader and
/// libraries in `glibc/lib/x86_64-linux-gnu/`, and a copy of the loader
/// at the PT_INTERP path `glibc/lib64/ld-linux-x86-64.so.2` (FAT32 has no
/// symlinks; the tests link `/lib64` and `/lib/x86_64-linux-gnu` to these).
fn glibc_programs() -> Vec<(String, Vec<u8>)> {
    let src = crate::paths::repo_root().join("userland/dynamic/glibc");
    let out = glibc_build_dir();
    for dir in ["bin", "lib"] {
        fs::create_dir_all(out.join(dir)).unwrap_or_else(|e| panic!("make {}: {e}", out.join(dir).display()));
    }
    let tiny = out.join("lib/libtiny.so");
    let built = run(Command::new("gcc").args(["-O1", "-shared", "-fPIC", "-o"]).arg(&tiny).arg(src.join("lib/tiny.c")));
    built.unwrap_or_else(|e| panic!("building libtiny.so: {e}"));
    let mut files = vec![(String::from("glibc/lib/libtiny.so"), fs::read(&tiny).expect("read libtiny.so"))];
    let mut sources: Vec<PathBuf> = fs::read_dir(&src)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    sources.retain(|p| p.extension().is_some_and(|x| x == "c"));
    sources.sort();
    for c in sources {
        let name = c.file_stem().and_then(|s| s.to_str()).unwrap_or("prog").to_string();
        let bin = out.join("bin").join(&name);
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-pthread", "-o"]).arg(&bin).arg(&c).arg("-L").arg(out.join("lib"));
        cmd.args(["-Wl,-rpath,$ORIGIN/../lib", "-Wl,--as-needed", "-ltiny"]);
        run(&mut cmd).unwrap_or_else(|e| panic!("building {}: {e}", c.display()));
        files.push((format!("glibc/bin/{name}"), fs::read(&bin).expect("read a built glibc program")));
    }
    // The libraries, from where the host's loader finds them (ldd of a program).
    let ldd = Command::new("ldd").arg(out.join("bin/hello")).output().expect("ldd (glibc's, apt-get install libc-bin)");
    let text = String::from_utf8_lossy(&ldd.stdout);
    let libc = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("libc.so.6 => ").and_then(|r| r.split_whitespace().next()))
        .expect("ldd names libc.so.6");
    let libdir = fs::canonicalize(libc).expect("libc.so.6's path").parent().expect("libc's directory").to_path_buf();
    for lib in GLIBC_LIBS {
        let bytes = fs::read(libdir.join(lib)).unwrap_or_else(|e| panic!("{}: {e}", libdir.join(lib).display()));
        if *lib == "ld-linux-x86-64.so.2" {
            files.push((format!("glibc/lib64/{lib}"), bytes.clone()));
        }
        files.push((format!("glibc/lib/x86_64-linux-gnu/{lib}"), bytes));
    }
    // getpwuid reads /etc/passwd (nss "files", built into libc.so.6).
    files.push((String::from("glibc/etc/passwd"), GLIBC_PASSWD.as_bytes().to_vec()));
    files
}

/// Debian's own dynamically linked tools (name in the bundle's /bin, host
/// command), put into `/bundles/glibc.tar` unchanged with the libraries `ldd`
/// names for them.
pub const DEBIAN_TOOLS: &[(&str, &str)] =
    &[("bash", "bash"), ("ls", "ls"), ("cat", "cat"), ("sort", "sort"), ("grep", "grep"), ("sed", "sed"), ("awk", "mawk")];

/// A bash script using [`DEBIAN_TOOLS`] (and busybox's mkdir, chmod, rm in
/// the bundle), `/root/tools.sh` in the bundle; the tests run it on the host
/// too and compare.
pub const DEBIAN_TOOLS_SCRIPT: &str = r#"set -e
for i in 1 2 3; do echo "square $((i * i))"; done
printf '%05.1f|%s|%x\n' 3.14159 "$(echo command substitution)" 255
declare -A colour=([sky]=blue [grass]=green)
echo "assoc ${colour[grass]} ${#colour[@]}"
greet() { echo "function $1 with $# args"; }
greet one two three
echo "hello world" | while read -r a b; do echo "$b $a"; done
printf 'pear\napple\nfig\n' | sort
printf 'pear\napple\nfig\n' | sort -r | grep -n p
printf 'foo\nbar\nfoooo\n' | grep -E -c 'o+'
echo 'a-b-c' | sed -e 's/-/+/g' -e 's/^/[/' -e 's/$/]/'
awk 'BEGIN { for (i = 1; i <= 5; i++) s += i * i; printf "%d %.3f %s\n", s, sqrt(2), toupper("awk") }'
d=/tmp/tools.$$
mkdir -p "$d/sub"
printf abc > "$d/file"
printf 'line one\nline two\n' > "$d/lines"
chmod 640 "$d/file"
ls -1 "$d"
ls -ln "$d" | awk '/^-/ { print $1, $5, $9 }'
cat "$d/lines" "$d/file"
echo
ls "$d/nothing" 2>&1 | sed -e "s|$d|DIR|"
rm -r "$d"
echo "pipeline status: $(false | true; echo $?)"
(exit 3) || echo "subshell exit $?"
echo done
"#;

/// The files of [`DEBIAN_TOOLS`] for the bundle's root: `bin/NAME` and
/// `lib/x86_64-linux-gnu/LIB` for every library ldd names.
fn debian_tools() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, command) in DEBIAN_TOOLS {
        let which = Command::new("which").arg(command).output().expect("which");
        let path = String::from_utf8_lossy(&which.stdout).trim().to_string();
        let path = fs::canonicalize(&path).unwrap_or_else(|e| panic!("{command} ({path:?}): {e}"));
        files.push((format!("bin/{name}"), fs::read(&path).expect("read a Debian tool")));
        let ldd = Command::new("ldd").arg(&path).output().expect("ldd");
        for line in String::from_utf8_lossy(&ldd.stdout).lines() {
            let Some((soname, rest)) = line.trim().split_once(" => ") else { continue };
            let Some(lib) = rest.split_whitespace().next() else { continue };
            let at = format!("lib/x86_64-linux-gnu/{soname}");
            if !files.iter().any(|(p, _)| *p == at) {
                files.push((at, fs::read(lib).unwrap_or_else(|e| panic!("{lib}: {e}"))));
            }
        }
    }
    files
}

/// `config.json` of the test bundle `/bundles/glibc.tar`.
pub const GLIBC_BUNDLE_CONFIG: &str = r#"{
  "ociVersion": "1.0.2",
  "process": {
    "user": { "uid": 0, "gid": 0 },
    "args": ["/bin/hello", "from", "a container"],
    "env": ["PATH=/bin", "HOME=/root"],
    "cwd": "/"
  },
  "root": { "path": "rootfs" },
  "hostname": "glibc"
}
"#;

/// `/bundles/glibc.tar`: a runtime bundle whose root is laid out like
/// Debian's: the glibc programs in /bin, libtiny.so in /lib, the libraries in
/// /lib/x86_64-linux-gnu, and PT_INTERP /lib64/ld-linux-x86-64.so.2 a symlink
/// to the loader there, as on the host; Debian's bash, coreutils, grep, sed
/// and mawk ([`DEBIAN_TOOLS`]) with their libraries; busybox as /bin/sh.
fn make_glibc_bundle(bundles: &Path, glibc: &[(String, Vec<u8>)], busybox: &[u8]) {
    let stage = bundles.with_file_name(format!("glibc-bundle.{}", std::process::id()));
    let _ = fs::remove_dir_all(&stage);
    let root = stage.join("rootfs");
    let write = |path: &Path, data: &[u8], mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(path.parent().expect("a parent")).expect("make bundle dirs");
        fs::write(path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    };
    write(&stage.join("config.json"), GLIBC_BUNDLE_CONFIG.as_bytes(), 0o644);
    for (path, data) in glibc {
        let Some(rel) = path.strip_prefix("glibc/") else { continue };
        if rel.starts_with("lib64/") {
            continue; // a symlink below
        }
        let mode = if rel.starts_with("bin/") || rel.ends_with(".so.2") { 0o755 } else { 0o644 };
        write(&root.join(rel), data, mode);
    }
    for (path, data) in debian_tools() {
        let at = root.join(&path);
        if !at.exists() {
            write(&at, &data, if path.starts_with("bin/") { 0o755 } else { 0o644 });
        }
    }
    write(&root.join("root/tools.sh"), DEBIAN_TOOLS_SCRIPT.as_bytes(), 0o644);
    write(&root.join("bin/busybox"), busybox, 0o755);
    for dir in ["lib64", "tmp"] {
        fs::create_dir_all(root.join(dir)).expect("make bundle dirs");
    }
    let link = |target: &str, at: &str| {
        std::os::unix::fs::symlink(target, root.join(at)).unwrap_or_else(|e| panic!("symlink {at}: {e}"));
    };
    link("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2");
    for applet in ["sh", "mkdir", "chmod", "rm"] {
        link("busybox", &format!("bin/{applet}"));
    }
    fs::create_dir_all(bundles).expect("make bundles");
    let tar = Command::new("tar")
        .args(["--owner=0", "--group=0", "--numeric-owner", "-cf"])
        .arg(bundles.join("glibc.tar"))
        .arg("-C")
        .arg(&stage)
        .args(["config.json", "rootfs"])
        .status();
    assert!(tar.is_ok_and(|s| s.success()), "making bundles/glibc.tar failed");
    let _ = fs::remove_dir_all(&stage);
}

/// `glibc/etc/passwd`: what the host's own has for root.
pub const GLIBC_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";

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

/// How [`damage_store_copy`] breaks an image's store file.
enum StoreDamage {
    /// A byte of the superblock changes (its checksum no longer matches).
    FlipSuperblockByte,
    /// The last block is cut off.
    Truncate,
    /// The store is removed (a layout copied without one: the kernel unpacks it).
    Remove,
}

/// A copy of an image layout whose (only) store file is damaged; its blobs are intact.
fn damage_store_copy(src: &Path, dst: &Path, how: StoreDamage) {
    let copy = Command::new("cp").arg("-r").arg(src).arg(dst).status();
    assert!(copy.is_ok_and(|s| s.success()), "copying {} failed", src.display());
    let store = dst.join(oci::store::STORE_DIR);
    if let StoreDamage::Remove = how {
        fs::remove_dir_all(&store).expect("remove the image store");
        return;
    }
    let file = fs::read_dir(&store).expect("the image store").next().expect("a store file").expect("a store file").path();
    let mut bytes = fs::read(&file).expect("store file");
    match how {
        StoreDamage::FlipSuperblockByte => bytes[1024 + 40] ^= 0x01,
        StoreDamage::Truncate => bytes.truncate(bytes.len() - 4096),
        StoreDamage::Remove => {}
    }
    fs::write(&file, bytes).expect("damage the store file");
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

/// The capability sets of the isolation and credential tests' bundles:
/// `runc spec`'s default, and a wide set (no CAP_NET_RAW, CAP_SYS_RESOURCE,
/// CAP_SYS_TIME...). The host runs of the same cases get the same sets
/// through `setpriv --bounding-set`.
pub const DEFAULT_CAPS: [&str; 3] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
pub const WIDE_CAPS: [&str; 13] = [
    "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_ADMIN", "CAP_SYS_CHROOT",
];
/// The limits those bundles set (type, soft, hard; u64::MAX is unlimited),
/// which the host runs get from `prlimit`.
pub const ISO_RLIMITS: [(&str, u64, u64); 8] = [
    ("RLIMIT_NOFILE", 1024, 1024),
    ("RLIMIT_CORE", 0, 0),
    ("RLIMIT_FSIZE", u64::MAX, u64::MAX),
    ("RLIMIT_CPU", u64::MAX, u64::MAX),
    ("RLIMIT_AS", u64::MAX, u64::MAX),
    ("RLIMIT_STACK", 8 << 20, u64::MAX),
    ("RLIMIT_NPROC", 512, 512),
    ("RLIMIT_MEMLOCK", 65536, 65536),
];

/// One bundle of the isolation tests (`/bundles/iso-NAME`), all over the
/// same root `/mnt/bundles/iso-rootfs` (busybox, a few files), with the test
/// programs bound read-only at `/t`, a tmpfs `/tmp`, /proc, masked and
/// read-only paths and extra devices.
pub struct IsoBundle {
    pub name: &'static str,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: &'static [u32],
    pub umask: Option<u32>,
    pub caps: &'static [&'static str],
    pub no_new_privileges: bool,
    pub readonly_root: bool,
    /// linux.resources: memory limit in bytes and pids limit.
    pub memory: u64,
    pub pids: u32,
}

/// The isolation bundles: `default` (runc's defaults: three capabilities,
/// no_new_privs, read-only root; memory and pids limits for the
/// exhaustion checks), `priv` (the wide set, writable root), `user`
/// (uid 1000 with supplementary groups and a umask).
pub const ISO_BUNDLES: [IsoBundle; 3] = [
    IsoBundle { name: "default", uid: 0, gid: 0, additional_gids: &[], umask: None, caps: &DEFAULT_CAPS, no_new_privileges: true, readonly_root: true, memory: 48 << 20, pids: 48 },
    IsoBundle { name: "priv", uid: 0, gid: 0, additional_gids: &[], umask: None, caps: &WIDE_CAPS, no_new_privileges: false, readonly_root: false, memory: 128 << 20, pids: 128 },
    IsoBundle { name: "user", uid: 1000, gid: 1000, additional_gids: &[10, 20], umask: Some(0o027), caps: &DEFAULT_CAPS, no_new_privileges: false, readonly_root: false, memory: 128 << 20, pids: 128 },
];

impl IsoBundle {
    /// Its config.json.
    pub fn config(&self) -> String {
        let list = |items: &[&str]| items.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let caps = list(self.caps);
        let rlimits = ISO_RLIMITS
            .iter()
            .map(|(t, soft, hard)| format!("{{ \"type\": \"{t}\", \"soft\": {soft}, \"hard\": {hard} }}"))
            .collect::<Vec<_>>()
            .join(", ");
        let gids = self.additional_gids.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", ");
        let umask = self.umask.map(|u| format!(", \"umask\": {u}")).unwrap_or_default();
        format!(
            r#"{{
  "ociVersion": "1.0.2",
  "process": {{
    "user": {{ "uid": {uid}, "gid": {gid}, "additionalGids": [{gids}]{umask} }},
    "args": ["/bin/busybox", "sh"],
    "env": ["PATH=/bin:/t", "HOME=/"],
    "cwd": "/",
    "capabilities": {{ "bounding": [{caps}], "effective": [{caps}], "permitted": [{caps}] }},
    "rlimits": [{rlimits}],
    "noNewPrivileges": {nnp}
  }},
  "root": {{ "path": "/mnt/bundles/iso-rootfs", "readonly": {ro} }},
  "hostname": "iso-{name}",
  "mounts": [
    {{ "destination": "/proc", "type": "proc", "source": "proc" }},
    {{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=65536k"] }},
    {{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=16m"] }},
    {{ "destination": "/t", "type": "bind", "source": "/mnt/bin", "options": ["rbind", "ro"] }}
  ],
  "linux": {{
    "resources": {{ "memory": {{ "limit": {memory} }}, "pids": {{ "limit": {pids} }} }},
    "maskedPaths": ["/etc/masked-file", "/masked-dir", "/proc/kcore", "/no/such/path"],
    "readonlyPaths": ["/ro-dir", "/proc/sys"],
    "devices": [
      {{ "path": "/dev/extra-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438 }},
      {{ "path": "/dev/vdz", "type": "b", "major": 254, "minor": 0, "fileMode": 432 }}
    ]
  }}
}}
"#,
            uid = self.uid,
            gid = self.gid,
            nnp = self.no_new_privileges,
            ro = self.readonly_root,
            name = self.name,
            memory = self.memory,
            pids = self.pids,
        )
    }
}

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
fn make_bundles(dir: &Path, layout: &Path, busybox: &Path, fuzz: &[u8]) {
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
    for b in &ISO_BUNDLES {
        write(&format!("iso-{}/config.json", b.name), b.config().as_bytes());
    }
    write("iso-rootfs/bin/busybox", &binary);
    write("iso-rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home:/bin/sh\n");
    write("iso-rootfs/etc/masked-file", b"must not be readable in a container\n");
    write("iso-rootfs/masked-dir/inside", b"must not be listed\n");
    write("iso-rootfs/ro-dir/file", b"read-only\n");
    write("iso-rootfs/home/.keep", b"");
    write("noconfig/rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    write("badjson/config.json", BUNDLE_DIR_CONFIG.replace(r#""args": ["#, r#""args": "sh", "x": ["#).as_bytes());
    write("badjson/rootfs/etc/passwd", b"");
    write("norootfs/config.json", BUNDLE_DIR_CONFIG.as_bytes());
    write("broken.tar", &[0x42; 1536]);
    write("fuzz/config.json", FUZZ_BUNDLE_CONFIG.as_bytes());
    write("fuzz/rootfs/bin/fuzz", fuzz);
    write("fuzz/rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    let tar = dir.join("busybox.tar");
    let made = Command::new("python3").arg("-c").arg(BUNDLE_TAR_SCRIPT).arg(layout).arg(&tar).arg(BUNDLE_TAR_CONFIG).status();
    assert!(made.is_ok_and(|s| s.success()), "making {} failed", tar.display());
}

/// The custom profile of the test bundle `/bundles/seccomp-custom`: ERRNO
/// with and without argument conditions, LOG, TRAP and KILL_PROCESS.
pub const SECCOMP_CUSTOM_PROFILE: &str = r#"{
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      { "names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
      { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO" },
      { "names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "args": [{ "index": 0, "value": 1000, "op": "SCMP_CMP_GE" }] },
      { "names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
        "args": [{ "index": 0, "value": 2, "op": "SCMP_CMP_EQ" }, { "index": 1, "value": 15, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ" }] },
      { "names": ["ptrace"], "action": "SCMP_ACT_ERRNO" },
      { "names": ["uname"], "action": "SCMP_ACT_LOG" },
      { "names": ["getpgid"], "action": "SCMP_ACT_TRAP" },
      { "names": ["sync"], "action": "SCMP_ACT_KILL_PROCESS" },
      { "names": ["no_such_syscall"], "action": "SCMP_ACT_KILL" }
    ]
  }"#;

/// Docker's default seccomp profile (moby 20.10, vendored by the `seccomp`
/// crate) as dockerd hands it to runc for an amd64 container with Docker's
/// default capabilities on Cyrius's kernel version (6.1), as `linux.seccomp` JSON.
pub fn seccomp_docker_profile() -> String {
    let profile = include_bytes!("../../kernel/crates/seccomp/tests/data/docker-default.json");
    let spec = seccomp::docker::from_docker_profile(profile, &seccomp::docker::Target::docker_default((6, 1)))
        .unwrap_or_else(|e| panic!("Docker's default profile: {e}"));
    serde_json::to_string_pretty(&spec).expect("serialize linux.seccomp")
}

/// `config.json` of a seccomp probe bundle: `/bin/probe CASES...` under `profile`.
pub fn seccomp_bundle_config(profile: &str, cases: &[&str]) -> String {
    let args: Vec<String> = std::iter::once("/bin/probe").chain(cases.iter().copied()).map(|a| format!("{a:?}")).collect();
    format!(
        r#"{{
  "ociVersion": "1.0.2",
  "process": {{ "user": {{ "uid": 0, "gid": 0 }}, "args": [{}], "env": ["PATH=/bin"], "cwd": "/" }},
  "root": {{ "path": "rootfs" }},
  "mounts": [
    {{ "destination": "/proc", "type": "proc", "source": "proc" }},
    {{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs" }}
  ],
  "linux": {{ "seccomp": {profile} }}
}}
"#,
        args.join(", ")
    )
}

/// The seccomp probe bundles: (directory under `/bundles`, probe cases, profile).
pub fn seccomp_bundles() -> Vec<(&'static str, Vec<&'static str>, String)> {
    vec![
        ("seccomp-custom", vec!["allowed", "custom"], SECCOMP_CUSTOM_PROFILE.to_string()),
        ("seccomp-docker", vec!["allowed", "docker_denied"], seccomp_docker_profile()),
    ]
}

/// `/bundles/seccomp-*`: the probe program under each profile.
fn make_seccomp_bundles(dir: &Path) {
    let probe = fs::read(linux_test_program("scprobe")).expect("the built scprobe program");
    for (name, cases, profile) in seccomp_bundles() {
        let root = dir.join(name);
        fs::create_dir_all(root.join("rootfs/bin")).expect("make bundle dirs");
        // Mount points (FAT32 keeps a directory only with something in it).
        for keep in ["rootfs/proc/.keep", "rootfs/tmp/.keep"] {
            fs::create_dir_all(root.join(keep).parent().unwrap_or(&root)).expect("make bundle dirs");
            fs::write(root.join(keep), b"").expect("write .keep");
        }
        fs::write(root.join("config.json"), seccomp_bundle_config(&profile, &cases)).expect("write config.json");
        fs::write(root.join("rootfs/bin/probe"), &probe).expect("write the probe");
    }
    let bad = r#"{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{ "names": ["read"], "action": "SCMP_ACT_MAYBE" }] }"#;
    fs::create_dir_all(dir.join("seccomp-bad/rootfs/bin")).expect("make bundle dirs");
    fs::write(dir.join("seccomp-bad/config.json"), seccomp_bundle_config(bad, &["allowed"])).expect("write config.json");
    fs::write(dir.join("seccomp-bad/rootfs/bin/probe"), &probe).expect("write the probe");
}

/// FNV-1a over the names and contents of `userland/linux-tests`, `userland/host`, `userland/fuzz` and `userland/dynamic`.
fn sources_hash() -> u64 {
    let user = crate::paths::repo_root().join("userland");
    let list = |dir: PathBuf| -> Vec<PathBuf> { fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default() };
    let mut paths: Vec<PathBuf> = list(user.join("linux-tests"));
    paths.extend(list(user.join("host")));
    paths.extend(list(user.join("fuzz")));
    paths.extend(list(user.join("dynamic")));
    paths.extend(list(user.join("dynamic/glibc")));
    paths.extend(list(user.join("dynamic/glibc/lib")));
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
    let image = crate::paths::build_dir().join(format!("test-data-v10-{:016x}.img", sources_hash()));
    if image.exists() && linux_test_program("badptr").exists() && glibc_program("hello").exists() {
        return image;
    }
    let dir = crate::paths::build_dir().join(format!("test-data.{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let busybox = fs::read("/bin/busybox").unwrap_or_else(|e| panic!("/bin/busybox: {e} (run `scripts/setup`)"));
    let glibc = glibc_programs();
    make_glibc_bundle(&dir.join("bundles"), &glibc, &busybox);
    let fuzz = fuzz_programs();
    let fuzz_binary = fuzz.iter().find(|(p, _)| p == "bin/fuzz").map(|(_, d)| d.clone()).expect("bin/fuzz was built");
    let extra = linux_test_programs().into_iter().chain(host_programs()).chain(fuzz).chain(dynamic_programs()).chain(glibc).chain([(String::from("bin/busybox"), busybox)]);
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
    damage_store_copy(&dir.join("images/busybox"), &dir.join("images/badstore"), StoreDamage::FlipSuperblockByte);
    damage_store_copy(&dir.join("images/busybox"), &dir.join("images/shortstore"), StoreDamage::Truncate);
    damage_store_copy(&dir.join("images/busybox"), &dir.join("images/nostore"), StoreDamage::Remove);
    make_bundles(&dir.join("bundles"), &dir.join("images/busybox"), Path::new("/bin/busybox"), &fuzz_binary);
    make_seccomp_bundles(&dir.join("bundles"));
    // Parallel test binaries may race to make it: build privately, then rename.
    let private = image.with_extension(format!("{}.img", std::process::id()));
    if let Err(e) = build_fat32(&private, TEST_SIZE_MIB, "CYRTEST", Some(&dir)).and_then(|_| fs::rename(&private, &image).map_err(|e| e.to_string())) {
        panic!("cannot make the test data disk: {e}");
    }
    let _ = fs::remove_dir_all(&dir);
    image
}
