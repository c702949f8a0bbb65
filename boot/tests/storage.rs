//! The storage stack end to end: virtio-blk -> block cache -> FAT32 -> VFS,
//! checked against the independent FAT tools (mkfs.fat, mtools, fsck.fat).

use std::path::Path;
use std::process::Command;

use cyrius::datadisk;
use cyrius::{Machine, QemuConfig};

#[test]
fn reads_a_disk_made_by_mkfs_fat_and_mtools() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run_expect("lsblk", &["vda", "64"]);
    m.run_expect("mount", &["/dev/vda on /mnt type vfat", "devfs on /dev", "tmpfs on /tmp"]);
    m.run_expect("cat /mnt/hello.txt", &["hello from the data disk"]);
    m.run_expect("cat '/mnt/A long file name.txt'", &["long names work"]);
    // Case-insensitive lookup, as Linux vfat.
    m.run_expect("cat /MNT/HELLO.TXT", &["No such file or directory"]);
    m.run_expect("cat /mnt/HELLO.TXT", &["hello from the data disk"]);
    m.run_expect("cat /mnt/docs/nested/deep.txt", &["three levels down"]);
    let ls = m.run("ls /mnt");
    for name in ["A long file name.txt", "big.bin", "docs", "hello.txt"] {
        m.assert(ls.lines().any(|l| l == name), &format!("ls /mnt lacks {name:?}: {ls:?}"));
    }
    m.run_expect("ls -l /mnt/big.bin", &["-rwxr-xr-x", "100000", "big.bin"]);
    m.run_expect("stat /mnt/docs/empty.txt", &["regular empty file"]);
    // The multi-cluster file reads back byte for byte: compare the hexdump tail.
    let expected = datadisk::test_files().into_iter().find(|(p, _)| *p == "big.bin").map(|(_, d)| d).unwrap_or_default();
    let dump = m.run("hexdump -C /mnt/big.bin");
    let last = dump.lines().rev().nth(1).unwrap_or("").to_string();
    let off = (expected.len() - 1) / 16 * 16;
    let want: Vec<String> = expected[off..].iter().map(|b| format!("{b:02x}")).collect();
    let got: Vec<&str> = last.split_whitespace().skip(1).take(want.len()).collect();
    m.assert(last.starts_with(&format!("{off:08x}")) && got == want, &format!("hexdump tail {last:?}, expected bytes {want:?}"));
    let df = m.run_expect("df", &["/mnt", "/tmp"]);
    let mnt = df.lines().find(|l| l.ends_with(" /mnt")).unwrap_or("").to_string();
    let total: u64 = mnt.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    // A 64 MiB disk: the FAT32 data area is a little less than 64 MiB.
    m.assert((60_000..65_536).contains(&total), &format!("df /mnt total {total} KiB: {mnt:?}"));
    m.poweroff();
}

#[test]
fn linux_style_errors_and_tmpfs() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run_expect("cat /nope", &["cat: /nope: No such file or directory"]);
    m.run_expect("ls /nope", &["ls: cannot access '/nope': No such file or directory"]);
    m.run_expect("mkdir /tmp", &["mkdir: cannot create directory '/tmp': File exists"]);
    m.run_expect("cat /tmp", &["cat: /tmp: Is a directory"]);
    m.run_expect("rm /tmp", &["rm: cannot remove '/tmp': Is a directory"]);
    m.run_expect("rmdir /mnt/docs", &["rmdir: failed to remove '/mnt/docs': Directory not empty"]);
    m.run_expect("ln -s x /mnt/link", &["ln: failed to create link '/mnt/link': Operation not permitted"]);
    // tmpfs: files, dirs, symlinks, hard links, rename, redirection.
    m.run("mkdir -p /tmp/a/b/c");
    m.run("echo one > /tmp/a/f");
    m.run("echo two >> /tmp/a/f");
    m.run_expect("cat /tmp/a/f", &["one\ntwo"]);
    m.run("ln -s /tmp/a/f /tmp/a/b/link");
    m.run_expect("cat /tmp/a/b/link", &["one\ntwo"]);
    m.run_expect("ls -l /tmp/a/b", &["link -> /tmp/a/f"]);
    m.run("ln /tmp/a/f /tmp/a/hard");
    m.run_expect("stat /tmp/a/hard", &["Links: 2"]);
    m.run("mv /tmp/a/f /tmp/a/b/c/g");
    m.run_expect("cat /tmp/a/b/link", &["No such file or directory"]);
    m.run_expect("cat /tmp/a/b/c/g", &["one\ntwo"]);
    m.run("cd /tmp/a/b");
    m.run_expect("pwd", &["/tmp/a/b"]);
    m.run_expect("ls ..", &["b", "hard"]);
    m.run("cd /");
    m.run("cp -r /mnt/docs /tmp/a/docs");
    m.run_expect("cat /tmp/a/docs/nested/deep.txt", &["three levels down"]);
    m.run_expect("rm -r /tmp/a", &[]);
    m.run_expect("ls /tmp", &[]);
    // devfs
    m.run_expect("ls -l /dev", &["null", "zero", "full", "random", "urandom", "console", "tty"]);
    m.run_expect("echo gone > /dev/null", &[]);
    m.run_expect("cat /dev/null", &[]);
    m.run_expect("echo x > /dev/full", &["No space left on device"]);
    m.poweroff();
}

fn mtools(image: &Path, args: &[&str]) -> String {
    let out = Command::new(args[0]).arg("-i").arg(image).args(&args[1..]).output().expect("mtools installed (scripts/setup)");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn writes_survive_power_off_and_pass_fsck() {
    let dir = tempdir();
    let image = dir.join("rw.img");
    std::fs::copy(datadisk::test_disk(), &image).expect("copy the test disk");
    let config = QemuConfig { data_disk: Some(image.clone()), data_disk_snapshot: false, ..QemuConfig::default() };
    let mut m = Machine::boot(&config);
    m.run("mkdir '/mnt/New Directory With Long Name'");
    m.run("echo written by cyrius > '/mnt/New Directory With Long Name/note.txt'");
    m.run("cp /mnt/big.bin /mnt/copy.bin");
    m.run("mv /mnt/hello.txt /mnt/docs/moved.txt");
    m.run("rm /mnt/docs/empty.txt");
    m.run("echo short > /mnt/short.txt");
    m.run_expect("cat /mnt/short.txt", &["short"]);
    m.poweroff();

    let note = mtools(&image, &["mtype", "::/New Directory With Long Name/note.txt"]);
    assert_eq!(note, "written by cyrius\n");
    assert_eq!(mtools(&image, &["mtype", "::/docs/moved.txt"]), "hello from the data disk\n");
    let listing = mtools(&image, &["mdir", "-b", "::/docs"]);
    assert!(!listing.contains("empty.txt"), "deleted file still listed: {listing}");
    assert!(!mtools(&image, &["mdir", "-b", "::/"]).contains("hello.txt"));
    let copy = dir.join("copy.bin");
    let out = Command::new("mcopy").arg("-i").arg(&image).arg("::/copy.bin").arg(&copy).output().expect("mcopy");
    assert!(out.status.success());
    let big = datadisk::test_files().into_iter().find(|(p, _)| *p == "big.bin").map(|(_, d)| d).unwrap_or_default();
    assert!(std::fs::read(&copy).expect("read copy") == big, "copy.bin differs from big.bin");
    let fsck = Command::new("fsck.fat").arg("-n").arg(&image).output().expect("fsck.fat installed");
    let report = String::from_utf8_lossy(&fsck.stdout);
    assert!(fsck.status.success(), "fsck.fat -n failed:\n{report}{}", String::from_utf8_lossy(&fsck.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("cyrius-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn a_corrupt_data_disk_is_refused_and_the_kernel_carries_on() {
    let dir = tempdir();
    let image = dir.join("garbage.img");
    // A FAT32 boot sector with its fields scrambled, then noise.
    let mut bytes = std::fs::read(datadisk::test_disk()).expect("read test disk");
    bytes.truncate(40 * 1024 * 1024);
    for (i, b) in bytes.iter_mut().enumerate().take(4096).skip(11) {
        *b = (i as u8).wrapping_mul(37) ^ 0x5a;
    }
    std::fs::write(&image, &bytes).expect("write corrupt disk");
    let config = QemuConfig { data_disk: Some(image), data_disk_snapshot: true, ..QemuConfig::default() };
    let mut m = Machine::boot(&config);
    let boot_log = m.transcript();
    m.assert(boot_log.contains("vda: no FAT32 filesystem"), "the boot log does not say why /mnt is empty");
    m.run_expect("ls /mnt", &[]);
    m.run_expect("echo still fine > /tmp/x", &[]);
    m.run_expect("cat /tmp/x", &["still fine"]);
    m.poweroff();
    let _ = std::fs::remove_dir_all(&dir);
}
