//! Images written by mkfs.fat + mtools (an independent implementation) read correctly here.

mod common;

use std::fs;
use std::time::{Duration, UNIX_EPOCH};

use common::*;
use errno::Errno;
use fat32::NodeKind;

#[test]
fn reads_an_image_made_by_mtools() {
    if !have_tools("reads_an_image_made_by_mtools", &["mkfs.fat", "mcopy", "mmd"]) {
        return;
    }
    let dir = TempDir::new("mtools-read");
    let image = mkfs_image(&dir, 40);
    let img = image.to_str().unwrap();

    // Source tree on the host.
    let src = dir.path().join("src");
    let deep = src.join("dir1/sub dir/deeper");
    fs::create_dir_all(&deep).unwrap();
    fs::create_dir_all(src.join("emptydir")).unwrap();
    let big = pattern(200_000, 7);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("hello.txt", b"hello\n".to_vec()),
        ("A Long File Name With Spaces.txt", b"long\n".to_vec()),
        ("MixedCase.Md", b"# mixed\n".to_vec()),
        ("README", b"upper\n".to_vec()),
        ("empty", Vec::new()),
        ("dir1/big.bin", big.clone()),
        ("dir1/sub dir/deeper/leaf.file.with.dots", b"leaf".to_vec()),
    ];
    for (name, data) in &files {
        fs::write(src.join(name), data).unwrap();
    }
    let mtime = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    fs::File::options().write(true).open(src.join("hello.txt")).unwrap().set_modified(mtime).unwrap();

    let entries: Vec<String> = fs::read_dir(&src).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    let mut args = vec!["-i", img, "-s", "-m"];
    args.extend(entries.iter().map(String::as_str));
    args.push("::/");
    run("mcopy", &args);

    let fs = mount(&image);
    let root = fs.root();
    assert_eq!(
        names(&fs, root),
        ["A Long File Name With Spaces.txt", "MixedCase.Md", "README", "dir1", "empty", "emptydir", "hello.txt"]
    );
    for (name, data) in &files {
        let node = resolve(&fs, name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(fs.metadata(node).unwrap().kind, NodeKind::File);
        assert_eq!(&read_all(&fs, node), data, "{name}");
    }
    // Reads at arbitrary offsets of the multi-cluster file.
    let node = resolve(&fs, "dir1/big.bin").unwrap();
    let mut buf = vec![0u8; 3000];
    assert_eq!(fs.read_at(node, 123_457, &mut buf).unwrap(), 3000);
    assert_eq!(buf, big[123_457..126_457]);
    assert_eq!(fs.read_at(node, 199_000, &mut buf).unwrap(), 1000);
    assert_eq!(fs.read_at(node, 300_000, &mut buf).unwrap(), 0);

    // Case-insensitive lookup returns the stored name's node; metadata from the FAT entry.
    let hello = resolve(&fs, "HELLO.TXT").unwrap();
    assert_eq!(hello, resolve(&fs, "hello.txt").unwrap());
    let meta = fs.metadata(hello).unwrap();
    assert_eq!(meta.mtime, 1_600_000_000);
    assert_eq!(meta.size, 6);
    assert_eq!(resolve(&fs, "a long file name with SPACES.TXT").unwrap(), resolve(&fs, "A Long File Name With Spaces.txt").unwrap());
    assert_eq!(resolve(&fs, "dir1/SUB DIR/Deeper/LEAF.FILE.WITH.DOTS").map(|_| ()), Ok(()));
    assert_eq!(fs.metadata(resolve(&fs, "emptydir").unwrap()).unwrap().kind, NodeKind::Dir);
    assert!(names(&fs, resolve(&fs, "emptydir").unwrap()).is_empty());
    assert_eq!(resolve(&fs, "nope"), Err(Errno::ENOENT));
    assert_eq!(resolve(&fs, "hello.txt/x"), Err(Errno::ENOTDIR));
    // `..` finds the parent.
    let deeper = resolve(&fs, "dir1/sub dir/deeper").unwrap();
    assert_eq!(fs.lookup(deeper, "..").unwrap(), resolve(&fs, "dir1/sub dir").unwrap());
    assert_eq!(fs.lookup(resolve(&fs, "dir1").unwrap(), "..").unwrap(), root);
}
