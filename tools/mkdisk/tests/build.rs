//! Builds images from temporary directories and checks them with the independent FAT tools
//! (mtools, fsck.fat), plus the CLI's one-line errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use mkdisk::{build, Error, Options};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("mkdisk-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn have(tools: &[&str]) -> bool {
    let ok = tools.iter().all(|t| Command::new(t).arg("--version").output().is_ok());
    if !ok {
        eprintln!("note: skipping the mtools/fsck.fat checks: {tools:?} not all installed");
    }
    ok
}

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name).args(args).env("MTOOLS_SKIP_CHECK", "1").env("TZ", "UTC").output().unwrap();
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn fsck_clean(image: &Path) {
    let out = Command::new("fsck.fat").arg("-n").arg(image).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let complaints = text.lines().filter(|l| !l.starts_with("fsck.fat ") && !l.contains(" files, ")).count();
    assert!(out.status.success() && complaints == 0, "fsck.fat -n: {text}");
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn options(dir: &TempDir, size: u64, inputs: Vec<PathBuf>) -> Options {
    Options { size, output: dir.0.join("out/data.img"), label: "CYRIUS".into(), inputs, quiet: true }
}

#[test]
fn builds_an_image_mtools_and_fsck_accept() {
    let dir = TempDir::new("build");
    let a = dir.0.join("a");
    let b = dir.0.join("b");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("hello.txt", b"hello\n".to_vec()),
        ("A Long Name With Spaces.md", b"long".to_vec()),
        ("empty", Vec::new()),
        ("shared/from a.bin", pattern(300_000)),
        ("shared/deep/er/leaf", b"leaf".to_vec()),
    ];
    for (name, data) in &files {
        let path = a.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
    }
    fs::create_dir_all(b.join("shared")).unwrap();
    fs::write(b.join("shared/from b.txt"), b"b").unwrap();
    fs::create_dir_all(b.join("empty dir")).unwrap();
    std::os::unix::fs::symlink("hello.txt", a.join("link")).unwrap();
    let mtime = UNIX_EPOCH + Duration::from_secs(1_650_000_000);
    fs::File::options().write(true).open(a.join("hello.txt")).unwrap().set_modified(mtime).unwrap();

    let opts = options(&dir, 40 << 20, vec![a.clone(), b.clone()]);
    let stats = build(&opts).unwrap();
    assert_eq!((stats.files, stats.dirs), (6, 5));
    assert_eq!(stats.skipped, [a.join("link")]);
    assert_eq!(stats.bytes, 300_000 + 6 + 4 + 4 + 1);
    let image = &opts.output;
    assert_eq!(fs::metadata(image).unwrap().len(), 40 << 20);
    assert!(!image.with_extension("img.part").exists());

    // Read back through the crate: contents and times.
    let fs = fat32::FatFs::mount(fat32::FileDevice::open_read_only(image).unwrap(), || 0).unwrap();
    let hello = fs.lookup(fs.root(), "hello.txt").unwrap();
    assert_eq!(fs.metadata(hello).unwrap().mtime, 1_650_000_000);
    drop(fs);

    if !have(&["mdir", "mtype", "fsck.fat"]) {
        return;
    }
    let img = image.to_str().unwrap();
    fsck_clean(image);
    let listing = String::from_utf8(tool("mdir", &["-/", "-b", "-i", img, "::/"])).unwrap();
    let mut listed: Vec<&str> = listing.lines().map(|l| l.trim_start_matches("::/")).collect();
    listed.sort();
    let mut expected = vec![
        "A Long Name With Spaces.md",
        "empty",
        "empty dir/",
        "hello.txt",
        "shared/",
        "shared/deep/",
        "shared/deep/er/",
        "shared/deep/er/leaf",
        "shared/from a.bin",
        "shared/from b.txt",
    ];
    expected.sort();
    assert_eq!(listed, expected);
    for (name, data) in &files {
        assert_eq!(&tool("mtype", &["-i", img, &format!("::/{name}")]), data, "{name}");
    }
    let volume = String::from_utf8(tool("mdir", &["-i", img, "::/"])).unwrap();
    assert!(volume.contains("Volume in drive : is CYRIUS"), "{volume}");
}

#[test]
fn refuses_what_does_not_fit_and_says_what_would() {
    let dir = TempDir::new("nospace");
    let input = dir.0.join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("big"), pattern(40 << 20)).unwrap();
    let opts = options(&dir, 34 << 20, vec![input.clone()]);
    let err = build(&opts).unwrap_err();
    let Error::NoSpace { suggested, .. } = err else { panic!("{err}") };
    let msg = err.to_string();
    assert!(msg.contains("input needs about 40.0 MiB") && msg.contains("--size"), "{msg}");
    assert!(!opts.output.exists());
    // The suggested size works.
    build(&Options { size: suggested, ..opts }).unwrap();

    let tiny = options(&dir, 8 << 20, vec![input.clone()]);
    let msg = build(&tiny).unwrap_err().to_string();
    assert!(msg.contains("too small for FAT32"), "{msg}");
}

#[test]
fn reports_bad_inputs_with_their_path() {
    let dir = TempDir::new("bad");
    let input = dir.0.join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("README"), b"1").unwrap();
    fs::write(input.join("readme"), b"2").unwrap();
    let err = build(&options(&dir, 40 << 20, vec![input.clone()])).unwrap_err().to_string();
    assert!(err.ends_with("name already used in this directory of the image (FAT names ignore case)"), "{err}");
    assert!(err.contains("readme"), "{err}");

    fs::remove_file(input.join("readme")).unwrap();
    fs::write(input.join("what?"), b"").unwrap();
    let err = build(&options(&dir, 40 << 20, vec![input.clone()])).unwrap_err().to_string();
    assert!(err.contains("what?: name not allowed on FAT"), "{err}");

    let err = build(&options(&dir, 40 << 20, vec![input.join("README")])).unwrap_err().to_string();
    assert!(err.ends_with("README: not a directory"), "{err}");
    assert!(!dir.0.join("out/data.img").exists());
}

#[test]
fn cli_builds_and_fails_with_one_line() {
    let dir = TempDir::new("cli");
    let input = dir.0.join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("f"), b"x").unwrap();
    let image = dir.0.join("cli.img");
    let exe = env!("CARGO_BIN_EXE_mkdisk");
    let out = Command::new(exe)
        .args(["--size", "40M", "--output", image.to_str().unwrap(), "--label=TEST", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 files, 0 directories"));
    assert!(image.exists());

    let missing = dir.0.join("missing");
    let out = Command::new(exe).args(["--size", "40M", "-o", image.to_str().unwrap(), missing.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("mkdisk: {}: ", missing.display())), "{stderr}");

    let out = Command::new(exe).args(["--size", "lots", "-o", "x.img", "d"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("mkdisk: bad size 'lots'"));
}
