//! Linux-visible behaviour of the API on an in-memory volume: error codes, renames, nodes
//! removed while looked up, names, readdir paging, times, persistence, and sharing.

mod common;

use std::sync::Arc;

use common::*;
use errno::Errno;
use fat32::{FatFs, MemDevice, NodeId, NodeKind, MAX_FILE_SIZE};

fn fresh() -> FatFs<MemDevice> {
    let dev = MemDevice::zeroed(70_000);
    fat32::format(&dev, "TEST").unwrap();
    FatFs::mount(dev, clock).unwrap()
}

fn remount(fs: FatFs<MemDevice>) -> FatFs<MemDevice> {
    FatFs::mount(fs.unmount().unwrap(), clock).unwrap()
}

fn file_with(fs: &FatFs<MemDevice>, dir: NodeId, name: &str, data: &[u8]) -> NodeId {
    let f = fs.create(dir, name).unwrap();
    assert_eq!(fs.write_at(f, 0, data).unwrap(), data.len());
    f
}

#[test]
fn error_codes_match_linux() {
    let fs = fresh();
    let root = fs.root();
    let f = file_with(&fs, root, "file.txt", b"data");
    let d = fs.mkdir(root, "dir").unwrap();
    file_with(&fs, d, "inner", b"");

    assert_eq!(fs.lookup(f, "x"), Err(Errno::ENOTDIR));
    assert_eq!(fs.readdir(f, 0, 10), Err(Errno::ENOTDIR));
    assert_eq!(fs.create(f, "x"), Err(Errno::ENOTDIR));
    assert_eq!(fs.read_at(d, 0, &mut [0; 4]), Err(Errno::EISDIR));
    assert_eq!(fs.write_at(d, 0, b"x"), Err(Errno::EISDIR));
    assert_eq!(fs.truncate(d, 0), Err(Errno::EISDIR));
    assert_eq!(fs.lookup(root, "missing"), Err(Errno::ENOENT));
    assert_eq!(fs.unlink(root, "missing"), Err(Errno::ENOENT));
    assert_eq!(fs.create(root, "FILE.TXT"), Err(Errno::EEXIST));
    assert_eq!(fs.mkdir(root, "Dir"), Err(Errno::EEXIST));
    assert_eq!(fs.create(root, "."), Err(Errno::EEXIST));
    assert_eq!(fs.create(root, "a:b"), Err(Errno::EINVAL));
    assert_eq!(fs.create(root, "a?"), Err(Errno::EINVAL));
    assert_eq!(fs.create(root, "ends in space "), Err(Errno::EINVAL));
    assert_eq!(fs.create(root, &"n".repeat(256)), Err(Errno::ENAMETOOLONG));
    assert_eq!(fs.unlink(root, "dir"), Err(Errno::EISDIR));
    assert_eq!(fs.unlink(root, "."), Err(Errno::EISDIR));
    assert_eq!(fs.rmdir(root, "file.txt"), Err(Errno::ENOTDIR));
    assert_eq!(fs.rmdir(root, "dir"), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(root, "."), Err(Errno::EINVAL));
    assert_eq!(fs.rmdir(root, ".."), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.write_at(f, MAX_FILE_SIZE, b"x"), Err(Errno::EFBIG));
    assert_eq!(fs.truncate(f, MAX_FILE_SIZE + 1), Err(Errno::EFBIG));
    assert_eq!(fs.metadata(NodeId(999_999)), Err(Errno::ESTALE));
    // Trailing dots and case are ignored, as on Linux vfat; the stored name is reported.
    assert_eq!(fs.lookup_entry(root, "FILE.txt..").unwrap(), (f, "file.txt".to_string()));
    assert_eq!(fs.lookup(root, ".").unwrap(), root);
}

#[test]
fn renames_follow_rename_2() {
    let fs = fresh();
    let root = fs.root();
    let a = fs.mkdir(root, "a").unwrap();
    let b = fs.mkdir(a, "b").unwrap();
    let f = file_with(&fs, b, "f", b"payload");
    let empty = fs.mkdir(root, "empty").unwrap();
    file_with(&fs, root, "plain", b"plain");

    assert_eq!(fs.rename(root, "a", b, "inside"), Err(Errno::EINVAL));
    assert_eq!(fs.rename(root, "a", a, "self"), Err(Errno::EINVAL));
    assert_eq!(fs.rename(root, "plain", root, "empty"), Err(Errno::EISDIR));
    assert_eq!(fs.rename(root, "empty", root, "plain"), Err(Errno::ENOTDIR));
    assert_eq!(fs.rename(root, "empty", root, "a"), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rename(root, "missing", root, "x"), Err(Errno::ENOENT));
    assert_eq!(fs.rename(root, "..", root, "x"), Err(Errno::EBUSY));
    // Same entry under another case: nothing happens (as on Linux).
    fs.rename(root, "plain", root, "PLAIN").unwrap();
    assert_eq!(names(&fs, root), ["a", "empty", "plain"]);

    // Moving a directory keeps its node, updates `..`, and may replace an empty directory.
    fs.rename(a, "b", root, "empty").unwrap();
    assert_eq!(fs.lookup(root, "empty").unwrap(), b);
    assert_eq!(fs.lookup(b, "..").unwrap(), root);
    assert_eq!(read_all(&fs, fs.lookup(b, "f").unwrap()), b"payload");
    assert!(names(&fs, a).is_empty());
    assert_eq!(fs.metadata(empty).unwrap().kind, NodeKind::Dir);
    fs.forget(empty, 1).unwrap();
    // Files keep their node id across directories.
    fs.rename(b, "f", a, "renamed file").unwrap();
    assert_eq!(fs.lookup(a, "RENAMED FILE").unwrap(), f);
    assert_eq!(read_all(&fs, f), b"payload");

    let fs = remount(fs);
    let root = fs.root();
    let b = fs.lookup(root, "empty").unwrap();
    assert_eq!(fs.lookup(b, "..").unwrap(), root);
    assert_eq!(names(&fs, root), ["a", "empty", "plain"]);
    assert_eq!(read_all(&fs, resolve(&fs, "a/renamed file").unwrap()), b"payload");
}

#[test]
fn removed_nodes_live_until_forgotten() {
    let fs = fresh();
    let root = fs.root();
    let free0 = fs.statfs().unwrap().free_clusters;
    let f = file_with(&fs, root, "open file", &pattern(5000, 1));
    let used = free0 - fs.statfs().unwrap().free_clusters;
    fs.unlink(root, "open file").unwrap();
    assert_eq!(fs.lookup(root, "open file"), Err(Errno::ENOENT));
    // Still readable and writable, space still held.
    assert_eq!(read_all(&fs, f), pattern(5000, 1));
    assert_eq!(fs.write_at(f, 5000, b"more").unwrap(), 4);
    assert_eq!(fs.statfs().unwrap().free_clusters, free0 - used);
    fs.forget(f, 1).unwrap();
    assert_eq!(fs.statfs().unwrap().free_clusters, free0);
    assert_eq!(fs.metadata(f), Err(Errno::ESTALE));

    // A replaced rename target is kept alive the same way.
    let victim = file_with(&fs, root, "victim", b"old");
    file_with(&fs, root, "new", b"new");
    fs.rename(root, "new", root, "victim").unwrap();
    assert_eq!(read_all(&fs, victim), b"old");
    assert_eq!(read_all(&fs, fs.lookup(root, "victim").unwrap()), b"new");

    // Nothing can be created in a removed directory.
    let d = fs.mkdir(root, "dir").unwrap();
    fs.rmdir(root, "dir").unwrap();
    assert_eq!(fs.create(d, "x"), Err(Errno::ENOENT));
    assert_eq!(fs.lookup(d, "x"), Err(Errno::ENOENT));
    assert!(fs.readdir(d, 0, 10).unwrap().is_empty());

    // Lookups are counted: two lookups need two forgets.
    let g = file_with(&fs, root, "g", b"g");
    assert_eq!(fs.lookup(root, "g").unwrap(), g);
    fs.unlink(root, "g").unwrap();
    fs.forget(g, 1).unwrap();
    assert_eq!(read_all(&fs, g), b"g");
    fs.forget(g, 1).unwrap();
    assert_eq!(fs.metadata(g), Err(Errno::ESTALE));
}

#[test]
fn long_names_aliases_and_unicode() {
    let fs = fresh();
    let root = fs.root();
    let long_names: Vec<String> = (0..12).map(|i| format!("longfilename{i}.txt")).collect();
    for n in &long_names {
        file_with(&fs, root, n, n.as_bytes());
    }
    let odd = [
        "日本語のファイル名.txt",
        "emoji 😀 name",
        "exactly13char",
        "twenty-six characters long",
        "lower.txt",
        "UPPER.TXT",
        "Mixed.Txt",
        ".hidden",
        "a.b.c.d",
        "with+plus,comma;semi=eq[brackets]",
    ];
    for n in odd {
        file_with(&fs, root, n, n.as_bytes());
    }
    let max = "m".repeat(255);
    file_with(&fs, root, &max, b"max");

    let fs = remount(fs);
    let root = fs.root();
    let mut expected: Vec<String> = long_names.iter().cloned().chain(odd.iter().map(|s| s.to_string())).collect();
    expected.push(max.clone());
    expected.sort();
    assert_eq!(names(&fs, root), expected);
    for n in expected.iter().filter(|n| **n != max) {
        assert_eq!(read_all(&fs, fs.lookup(root, n).unwrap()), n.as_bytes(), "{n}");
    }
    // Aliases are looked up too; numbered in creation order.
    assert_eq!(read_all(&fs, fs.lookup(root, "LONGFI~1.TXT").unwrap()), b"longfilename0.txt");
    assert_eq!(read_all(&fs, fs.lookup(root, "longfi~2.txt").unwrap()), b"longfilename1.txt");
    assert_eq!(fs.lookup_entry(root, "LONGFI~3.TXT").unwrap().1, "longfilename2.txt");
    assert_eq!(fs.lookup(root, "Ⅿ"), Err(Errno::ENOENT));

    // fsck.fat agrees the long names, checksums and aliases are sound.
    let bytes = fs.unmount().unwrap().into_bytes();
    if have_tools("long_names_aliases_and_unicode (fsck part)", &["fsck.fat"]) {
        let dir = TempDir::new("names");
        let image = dir.path().join("names.img");
        std::fs::write(&image, bytes).unwrap();
        assert_fsck_clean(&image);
    }
}

#[test]
fn readdir_pages_with_offsets() {
    let fs = fresh();
    let root = fs.root();
    for i in 0..40 {
        let f = fs.create(root, &format!("entry number {i:02}")).unwrap();
        fs.forget(f, 1).unwrap();
    }
    let all = fs.readdir(root, 0, usize::MAX).unwrap();
    assert_eq!(all.len(), 40);
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = fs.readdir(root, offset, 3).unwrap();
        let Some(last) = page.last() else { break };
        offset = last.next_offset;
        paged.extend(page);
    }
    assert_eq!(paged, all);
    assert_eq!(fs.readdir(root, 7, 3), Err(Errno::EINVAL));
    assert_eq!(fs.readdir(root, 0, 0), Err(Errno::EINVAL));
    // An item's ino is the node id a lookup gives.
    let item = &all[5];
    assert_eq!(fs.lookup(root, &item.name).unwrap().0, item.ino);
    // Removing entries behind the cursor does not disturb paging.
    let page = fs.readdir(root, 0, 10).unwrap();
    for item in &page {
        fs.unlink(root, &item.name).unwrap();
    }
    let rest = fs.readdir(root, page[9].next_offset, usize::MAX).unwrap();
    assert_eq!(rest, all[10..]);
}

#[test]
fn timestamps_and_metadata() {
    let fs = fresh();
    let root = fs.root();
    let f = file_with(&fs, root, "t", &[1; 1000]);
    let m = fs.metadata(f).unwrap();
    assert_eq!((m.kind, m.size, m.blocks), (NodeKind::File, 1000, 2));
    assert_eq!(m.mtime, NOW - NOW % 2);
    assert_eq!(m.ctime, m.mtime);
    assert_eq!(m.crtime, m.mtime);
    assert_eq!(m.atime, NOW - NOW % 86_400);
    assert!(!m.readonly);
    fs.set_times(f, Some(1_000_000_000), Some(1_234_567_891)).unwrap();
    let fs = remount(fs);
    let root = fs.root();
    let m = fs.metadata(fs.lookup(root, "t").unwrap()).unwrap();
    assert_eq!(m.mtime, 1_234_567_890);
    assert_eq!(m.atime, 1_000_000_000 - 1_000_000_000 % 86_400);
    let r = fs.metadata(root).unwrap();
    assert_eq!((r.kind, r.mtime, r.ino), (NodeKind::Dir, 0, NodeId::ROOT));
    assert_eq!(r.size, 512);
    fs.set_times(root, None, Some(5)).unwrap();
}

#[test]
fn writes_truncates_and_sparse_files() {
    let fs = fresh();
    let root = fs.root();
    let f = fs.create(root, "f").unwrap();
    assert_eq!(fs.write_at(f, 0, b"").unwrap(), 0);
    assert_eq!(fs.metadata(f).unwrap().size, 0);
    fs.write_at(f, 2000, b"end").unwrap();
    let mut want = vec![0u8; 2003];
    want[2000..].copy_from_slice(b"end");
    assert_eq!(read_all(&fs, f), want);
    // Shrink then grow again: the old bytes do not come back.
    fs.truncate(f, 1).unwrap();
    fs.truncate(f, 2003).unwrap();
    assert_eq!(read_all(&fs, f), vec![0u8; 2003]);
    fs.write_at(f, 1000, &pattern(10_000, 3)).unwrap();
    let mut want = vec![0u8; 11_000];
    want[1000..].copy_from_slice(&pattern(10_000, 3));
    assert_eq!(read_all(&fs, f), want);
    fs.truncate(f, 0).unwrap();
    assert_eq!(fs.metadata(f).unwrap().blocks, 0);
    let fs = remount(fs);
    assert_eq!(fs.metadata(fs.lookup(fs.root(), "f").unwrap()).unwrap().size, 0);
}

#[test]
fn shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FatFs<MemDevice>>();
    let fs = Arc::new(fresh());
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let fs = Arc::clone(&fs);
            std::thread::spawn(move || {
                let dir = fs.mkdir(fs.root(), &format!("worker {t}")).unwrap();
                for i in 0..10 {
                    let data = pattern(3000 + i * 100, t * 100 + i as u32);
                    let f = fs.create(dir, &format!("file {i}")).unwrap();
                    for (k, chunk) in data.chunks(700).enumerate() {
                        fs.write_at(f, (k * 700) as u64, chunk).unwrap();
                    }
                    assert_eq!(read_all(&fs, f), data);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let fs = remount(Arc::into_inner(fs).unwrap());
    for t in 0..4u32 {
        for i in 0..10usize {
            let f = resolve(&fs, &format!("worker {t}/file {i}")).unwrap();
            assert_eq!(read_all(&fs, f), pattern(3000 + i * 100, t * 100 + i as u32));
        }
    }
}

#[test]
fn truncated_device_is_refused() {
    let dev = MemDevice::zeroed(70_000);
    fat32::format(&dev, "").unwrap();
    let mut bytes = dev.into_bytes();
    bytes.truncate(60_000 * 512);
    let err = FatFs::mount(MemDevice::from_bytes(bytes), clock).err().unwrap();
    assert_eq!(err, fat32::MountError::Truncated { needed_blocks: 70_000, device_blocks: 60_000 });
    assert_eq!(Errno::from(err), Errno::EINVAL);
    assert!(FatFs::mount(MemDevice::zeroed(0), clock).is_err());
    assert!(FatFs::mount(MemDevice::zeroed(100), clock).is_err());
}
