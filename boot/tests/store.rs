//! The image store in the kernel: containers run from an image's EROFS layers mounted under
//! a per-container tmpfs (overlay), not from unpacked copies (a layout without a store is
//! still unpacked). Each container's writes,
//! deletions (whiteouts) and replaced directories (opaque) stay its own; a damaged store
//! file is refused with a message naming it, and the other images keep working. A
//! Debian-based image (python, 50+ MB) runs from its store, with the time of the first and
//! a repeated `python3 -c 'print(1)'` and the memory a running container costs measured.

use std::path::PathBuf;
use std::time::Duration;

use cyrius::datadisk::{build_fat32, test_disk};
use cyrius::machine::Machine;
use cyrius::qemu::QemuConfig;
use cyrius::userimages::{add_to_disk, Source};

/// `real 0.123s` (the shell's `time` prefix) in seconds.
fn real_seconds(out: &str) -> f64 {
    let line = out.lines().find_map(|l| l.trim().strip_prefix("real ")).unwrap_or_else(|| panic!("no time in {out:?}"));
    line.trim_end_matches('s').parse().unwrap_or_else(|_| panic!("bad time {line:?}"))
}

/// Frames in use, from the shell's `mem`.
fn used_frames(mem: &str) -> u64 {
    let line = mem.lines().find(|l| l.starts_with("frames:")).unwrap_or_else(|| panic!("no frames line in {mem:?}"));
    let used = line.split(',').find(|p| p.trim_end().ends_with(" used")).unwrap_or_else(|| panic!("{line}"));
    used.trim().trim_end_matches(" used").parse().unwrap_or_else(|_| panic!("{line}"))
}

#[test]
fn containers_run_from_the_store_and_keep_their_changes_apart() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let long = Duration::from_secs(60);
    m.run("log info");
    let out = m.run_with_timeout("oci-runtime run --image busybox c0 echo from-the-store", long);
    m.assert(out.contains("image busybox: 1 layer(s) mounted from its store"), &format!("not mounted from the store: {out:?}"));
    m.assert(out.contains("from-the-store"), &format!("{out:?}"));
    m.run("log error");
    m.run_expect("images", &["busybox", "mounted"]);

    // One container changes files, removes files and directories of the image, replaces a
    // directory and moves one (busybox `mv` copies on EXDEV, as on overlayfs).
    let script = "echo changed > /etc/passwd; echo new > /etc/new; rm /bin/ls; rm -r /var; mkdir /var; \
                  echo fresh > /var/only; mv /home /home2; ls -a /var; cat /etc/passwd; ls /bin/ls || echo ls-gone; \
                  ls -d /home2 /home";
    let out = m.run_with_timeout(&format!("oci-runtime run --image busybox c1 sh -c '{script}'"), long);
    for want in ["only", "changed", "ls-gone", "/home2"] {
        m.assert(out.lines().any(|l| l.trim() == want || l.contains(want)), &format!("c1 lacks {want:?}: {out:?}"));
    }
    m.assert(out.contains("can't access '/home'") || out.contains("/home: No such file"), &format!("c1 still has /home: {out:?}"));
    // Another container of the image sees none of it.
    let check = "cat /etc/passwd; ls /etc/new || echo no-new; ls /bin/ls; ls /var/only || echo no-only; ls -d /home /home2 || echo no-home2";
    let out = m.run_with_timeout(&format!("oci-runtime run --image busybox c2 sh -c '{check}'"), long);
    for want in ["root:x:0:0:root:/root:/bin/sh", "no-new", "/bin/ls", "no-only", "/home", "no-home2"] {
        m.assert(out.contains(want), &format!("c2 lacks {want:?} (sees c1's changes?): {out:?}"));
    }

    // Damaged store files: one clear line each, nothing else disturbed.
    let out = m.run_with_timeout("oci-runtime run --image badstore b1 echo should-not-run", long);
    m.assert(
        out.contains("image 'badstore': layer 0: store file erofs/") && out.contains("superblock checksum mismatch"),
        &format!("a corrupt superblock was not reported: {out:?}"),
    );
    m.assert(!out.contains("should-not-run"), &format!("{out:?}"));
    let out = m.run_with_timeout("oci-runtime run --image shortstore b2 echo should-not-run", long);
    m.assert(
        out.contains("image 'shortstore': layer 0: store file erofs/") && out.contains("image truncated"),
        &format!("a truncated store file was not reported: {out:?}"),
    );
    let out = m.run_with_timeout("oci-runtime run --image busybox c3 echo still-fine", long);
    m.assert(out.contains("still-fine"), &format!("{out:?}"));
    // A layout without a store is unpacked, as before the store.
    let out = m.run_with_timeout("oci-runtime run --image nostore n1 sh -c 'echo unpacked > /etc/x; cat /etc/x'", long);
    m.assert(out.contains("unpacked"), &format!("{out:?}"));
    m.run_expect("images", &["nostore", "unpacked"]);
    m.poweroff();
}

/// A fresh 1 GiB data disk holding the python image (built by images/debian/image.sh) and
/// its store.
fn python_disk(dir: &std::path::Path) -> PathBuf {
    let layout = dir.join("python");
    let script = cyrius::paths::repo_root().join("images/debian/image.sh");
    let built = std::process::Command::new("bash").arg(&script).arg("python").arg(&layout).output().expect("bash");
    assert!(built.status.success(), "images/debian/image.sh python failed (run scripts/setup): {}", String::from_utf8_lossy(&built.stderr));
    let disk = dir.join("data.img");
    build_fat32(&disk, 1024, "CYRSTORE", None).expect("a FAT32 disk");
    let lines = add_to_disk(&disk, &[Source::Path { name: Some(String::from("python")), path: layout }], false).expect("the python image onto the disk");
    eprintln!("{}", lines.join("\n"));
    disk
}

/// The root directory the python image was made from (cached by images/debian/image.sh).
fn python_rootfs() -> PathBuf {
    let script = cyrius::paths::repo_root().join("images/debian/image.sh");
    let out = std::process::Command::new("bash").arg(&script).args(["--rootfs", "python"]).output().expect("bash");
    assert!(out.status.success(), "images/debian/image.sh --rootfs python: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn a_debian_python_image_runs_from_its_store() {
    let dir = cyrius::paths::build_dir().join(format!("test-store-python.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let disk = python_disk(&dir);
    let config = QemuConfig { memory_mib: 1024, data_disk: Some(disk), data_disk_snapshot: true, ..QemuConfig::default() };
    let mut m = Machine::boot(&config);
    let long = Duration::from_secs(120);
    m.run("log error");
    let before = used_frames(&m.run("mem"));
    // Timed by the guest (`time`) and, as a check on the guest clock, by the host (from
    // sending the line to the prompt coming back: typing and echo included).
    let clock = std::time::Instant::now();
    let first = m.run_with_timeout("time oci-runtime run --image python p1 python3 -c 'print(1)'", long);
    let h1 = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    let again = m.run_with_timeout("time oci-runtime run --image python p2 python3 -c 'print(2)'", long);
    let h2 = clock.elapsed().as_secs_f64();
    m.assert(first.lines().any(|l| l.trim() == "1") && again.lines().any(|l| l.trim() == "2"), &format!("{first:?} / {again:?}"));
    let (t1, t2) = (real_seconds(&first), real_seconds(&again));
    eprintln!("python3 -c 'print(1)' from the store: first of the boot {t1:.3} s (host {h1:.3} s), repeated {t2:.3} s (host {h2:.3} s)");
    // Unpacking this image took ~26 s; mounting it must not come near that.
    m.assert(t1 < 10.0, &format!("the first run took {t1} s"));
    m.assert(t2 < t1, &format!("the repeated run ({t2} s) is not faster than the first ({t1} s)"));

    // The whole tree as the container sees it (EROFS on the data disk, the overlay, stat
    // and getdents) is the tree mmdebstrap made: names, types, modes, link counts, owners,
    // sizes and symlink targets of every file, and every directory (merged directories
    // report one link, as on overlayfs: directories are listed without it). Times differ
    // on purpose (the image's tar clamps them to SOURCE_DATE_EPOCH).
    let rootfs = python_rootfs();
    let listing = "cd / && find usr var etc ! -type d ! -path etc/hosts -printf \"%M %n %U %G %s %p -> %l\\n\" | LC_ALL=C sort | md5sum; \
                   find usr var etc -type d -printf \"%M %U %G %p\\n\" | LC_ALL=C sort | md5sum";
    let host = std::process::Command::new("sh").arg("-c").arg(listing.replace("cd /", &format!("cd {}", rootfs.display()))).output().expect("find on the host");
    let host = String::from_utf8_lossy(&host.stdout).into_owned();
    let guest = m.run_with_timeout(&format!("oci-runtime run --image python l1 sh -c '{listing}'"), long);
    let sums = |text: &str| text.lines().filter(|l| l.trim_end().ends_with("  -")).map(|l| l.trim().to_string()).collect::<Vec<_>>();
    m.assert(sums(&host).len() == 2 && sums(&host) == sums(&guest), &format!("the container's tree differs from the image's root: host {host:?}, container {guest:?}"));

    // Changes stay in their container (Debian's dash and coreutils here).
    let out = m.run_with_timeout("oci-runtime run --image python w1 sh -c 'echo changed > /etc/debian_version; rm /usr/bin/python3; cat /etc/debian_version'", long);
    m.assert(out.contains("changed"), &format!("{out:?}"));
    let out = m.run_with_timeout("oci-runtime run --image python w2 python3 -c 'print(open(\"/etc/debian_version\").read().strip())'", long);
    m.assert(out.lines().any(|l| l.trim().starts_with("12.")), &format!("w2 sees w1's changes: {out:?}"));

    // What a running container costs: a second one of the same image adds only its own
    // process memory (the image's pages and blocks are shared and already cached).
    let sleeper = "python3 -c 'import time; time.sleep(1000)'";
    m.run(&format!("oci-runtime run -d --image python s1 {sleeper}"));
    m.run_with_timeout("oci-runtime run --image python wait1 python3 -c 'import time; time.sleep(3)'", long);
    let one = used_frames(&m.run("mem"));
    m.run(&format!("oci-runtime run -d --image python s2 {sleeper}"));
    m.run_with_timeout("oci-runtime run --image python wait2 python3 -c 'import time; time.sleep(3)'", long);
    let two = used_frames(&m.run("mem"));
    let stats = m.run("oci-runtime events --stats s2");
    let cost = (two.saturating_sub(one)) * 4096;
    eprintln!(
        "memory: {} KiB in use after boot, {} KiB with one python container running, a second one adds {} KiB; {stats}",
        before * 4,
        one * 4,
        cost / 1024
    );
    m.assert(cost <= 5 << 20, &format!("a second running container costs {} KiB", cost / 1024));
    m.run("oci-runtime delete --force s1");
    m.run("oci-runtime delete --force s2");
    m.poweroff();
    let _ = std::fs::remove_dir_all(&dir);
}
