//! What this crate writes, renames, deletes and truncates reads back correctly with mtools,
//! and the image passes `fsck.fat -n`, both on our own format and on mkfs.fat's.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use errno::Errno;
use fat32::{FatFs, FileDevice, NodeId};

/// Files written so far: path -> contents.
#[derive(Default)]
struct Expected(BTreeMap<String, Vec<u8>>);

impl Expected {
    /// Creates `path` (whose parent is `dir`) holding `data`, written in uneven chunks and
    /// out of order to exercise offsets, and forgets it as a VFS closing the file would.
    fn put(&mut self, fs: &FatFs<FileDevice>, dir: NodeId, path: &str, data: Vec<u8>) {
        let name = path.rsplit('/').next().unwrap();
        let node = fs.create(dir, name).unwrap();
        let mid = data.len() / 3;
        assert_eq!(fs.write_at(node, mid as u64, &data[mid..]).unwrap(), data.len() - mid);
        assert_eq!(fs.write_at(node, 0, &data[..mid]).unwrap(), mid);
        fs.forget(node, 1).unwrap();
        self.0.insert(path.to_string(), data);
    }

    fn moved(&mut self, from: &str, to: &str) {
        let data = self.0.remove(from).unwrap();
        self.0.insert(to.to_string(), data);
    }
}

/// Builds a tree through the crate; returns the expected files and directories.
fn build(fs: &FatFs<FileDevice>) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let root = fs.root();
    let mut files = Expected::default();
    files.put(fs, root, "hello.txt", b"hello, world\n".to_vec());
    files.put(fs, root, "UPPER.TXT", b"upper\n".to_vec());
    files.put(fs, root, "A long name.With.Dots.txt", pattern(1000, 1));
    let dir_one = fs.mkdir(root, "Dir One").unwrap();
    files.put(fs, dir_one, "Dir One/nested file.bin", pattern(300_000, 2));
    let sub = fs.mkdir(dir_one, "sub").unwrap();
    files.put(fs, sub, "Dir One/sub/x", b"x".to_vec());
    // Many similar long names: unique ~N aliases, and the directory grows past a cluster.
    let many = fs.mkdir(root, "many").unwrap();
    for i in 0..120 {
        files.put(fs, many, &format!("many/longfilename number {i}.txt"), format!("{i}\n").into_bytes());
    }

    // A sparse write: the gap reads back as zeros.
    let sparse = fs.create(root, "sparse.dat").unwrap();
    fs.write_at(sparse, 10_000, b"tail").unwrap();
    let mut expect = vec![0u8; 10_004];
    expect[10_000..].copy_from_slice(b"tail");
    files.0.insert("sparse.dat".into(), expect);

    // Truncate: shrink, then grow (zero-filled), and to zero.
    files.put(fs, root, "trunc.bin", pattern(5000, 3));
    let t = fs.lookup(root, "trunc.bin").unwrap();
    fs.truncate(t, 700).unwrap();
    fs.truncate(t, 1500).unwrap();
    let mut expect = pattern(5000, 3);
    expect.truncate(700);
    expect.resize(1500, 0);
    files.0.insert("trunc.bin".into(), expect);
    files.put(fs, root, "zero.bin", pattern(4000, 4));
    let z = fs.lookup(root, "zero.bin").unwrap();
    fs.truncate(z, 0).unwrap();
    files.0.insert("zero.bin".into(), Vec::new());

    // Renames: within a directory, across directories, replacing a file, moving a directory.
    fs.rename(root, "hello.txt", root, "Hello Renamed.txt").unwrap();
    files.moved("hello.txt", "Hello Renamed.txt");
    fs.rename(root, "UPPER.TXT", dir_one, "moved upper.txt").unwrap();
    files.moved("UPPER.TXT", "Dir One/moved upper.txt");
    files.put(fs, root, "victim.txt", b"old".to_vec());
    fs.rename(dir_one, "moved upper.txt", root, "victim.txt").unwrap();
    files.moved("Dir One/moved upper.txt", "victim.txt");
    fs.rename(dir_one, "sub", many, "moved sub").unwrap();
    files.moved("Dir One/sub/x", "many/moved sub/x");

    // Deletions.
    files.put(fs, root, "doomed.txt", pattern(2000, 5));
    fs.unlink(root, "DOOMED.TXT").unwrap();
    files.0.remove("doomed.txt");
    for i in (0..120).step_by(3) {
        let name = format!("longfilename number {i}.txt");
        fs.unlink(many, &name).unwrap();
        files.0.remove(&format!("many/{name}"));
    }
    let gone = fs.mkdir(root, "gone").unwrap();
    fs.rmdir(root, "gone").unwrap();
    fs.forget(gone, 1).unwrap();
    // A new entry reuses deleted slots.
    files.put(fs, many, "many/after delete.txt", b"reused".to_vec());

    let dirs = vec!["Dir One".into(), "many".into(), "many/moved sub".into()];
    (files.0, dirs)
}

fn check_with_mtools(image: &Path, files: &BTreeMap<String, Vec<u8>>, dirs: &[String]) {
    let img = image.to_str().unwrap();
    let listing = run("mdir", &["-/", "-b", "-i", img, "::/"]);
    let mut listed: Vec<String> = listing.lines().map(|l| l.trim_start_matches("::/").to_string()).collect();
    listed.sort();
    let mut expected: Vec<String> = files.keys().cloned().chain(dirs.iter().map(|d| format!("{d}/"))).collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(files_via_mtools(image) == *files, "mcopy read different contents");
    assert_fsck_clean(image);
}

fn check_with_crate(image: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let fs = mount(image);
    for (path, data) in files {
        let node = resolve(&fs, path).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(&read_all(&fs, node), data, "{path}");
    }
}

fn scenario(image: &Path) {
    let fs = mount(image);
    let (files, dirs) = build(&fs);
    let root = fs.root();
    assert_eq!(fs.create(root, "HELLO RENAMED.TXT"), Err(Errno::EEXIST));
    fs.unmount().unwrap();
    check_with_mtools(image, &files, &dirs);
    check_with_crate(image, &files);
}

#[test]
fn writes_read_back_with_mtools_on_own_format() {
    if !have_tools("writes_read_back_with_mtools_on_own_format", &["mdir", "mcopy", "fsck.fat"]) {
        return;
    }
    let dir = TempDir::new("write-own");
    scenario(&own_image(&dir, 40));
}

#[test]
fn writes_read_back_with_mtools_on_mkfs_format() {
    if !have_tools("writes_read_back_with_mtools_on_mkfs_format", &["mkfs.fat", "mdir", "mcopy", "fsck.fat"]) {
        return;
    }
    let dir = TempDir::new("write-mkfs");
    scenario(&mkfs_image(&dir, 40));
}

#[test]
fn mtools_sees_lowercase_short_names_and_times() {
    if !have_tools("mtools_sees_lowercase_short_names_and_times", &["mdir", "fsck.fat"]) {
        return;
    }
    let dir = TempDir::new("write-case");
    let image = own_image(&dir, 40);
    let fs = mount(&image);
    let root = fs.root();
    let f = fs.create(root, "lower.txt").unwrap();
    fs.create(root, "Mixed.txt").unwrap();
    fs.set_times(f, None, Some(1_500_000_000)).unwrap();
    fs.unmount().unwrap();
    let listing = run("mdir", &["-i", image.to_str().unwrap(), "::/"]);
    assert!(listing.contains("lower    txt"), "{listing}");
    assert!(listing.contains("2017-07-14   2:40"), "{listing}");
    assert!(listing.contains("Mixed.txt"), "{listing}");
    assert_fsck_clean(&image);
}

#[test]
fn writes_read_back_with_mtools_on_4k_sectors_and_clusters() {
    let test = "writes_read_back_with_mtools_on_4k_sectors_and_clusters";
    if !have_tools(test, &["mkfs.fat", "mdir", "mcopy", "fsck.fat"]) {
        return;
    }
    let dir = TempDir::new("write-4k");
    scenario(&mkfs_image_with(&dir, 300, &["-S", "4096", "-s", "1"]));
    let dir = TempDir::new("write-4k-clusters");
    scenario(&mkfs_image_with(&dir, 300, &["-s", "8", "-f", "1"]));
}
