//! A disk filled until ENOSPC keeps every earlier file intact, a failed extend leaves its
//! file as it was, and the image still passes fsck.fat.

mod common;

use common::*;
use errno::Errno;

#[test]
fn full_disk_loses_nothing() {
    let dir = TempDir::new("enospc");
    let image = own_image(&dir, 34);
    let fs = mount(&image);
    let root = fs.root();

    let keep: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("keep file {i}.bin"), pattern(10_000 + i * 777, i as u32))).collect();
    for (name, data) in &keep {
        let f = fs.create(root, name).unwrap();
        fs.write_at(f, 0, data).unwrap();
        fs.forget(f, 1).unwrap();
    }
    let small = fs.create(root, "small.txt").unwrap();
    fs.write_at(small, 0, b"0123456789").unwrap();

    // Fill: writes succeed, the last one short, then ENOSPC.
    let filler = fs.create(root, "filler").unwrap();
    let chunk = pattern(1 << 20, 99);
    let mut written = 0u64;
    loop {
        match fs.write_at(filler, written, &chunk) {
            Ok(n) => {
                written += n as u64;
                if n < chunk.len() {
                    break;
                }
            }
            Err(e) => panic!("expected a short write before ENOSPC, got {e:?}"),
        }
    }
    assert_eq!(fs.statfs().unwrap().free_clusters, 0);
    assert_eq!(fs.write_at(filler, written, b"more"), Err(Errno::ENOSPC));
    assert_eq!(fs.metadata(filler).unwrap().size, written);

    // Failed extends leave files as they were.
    assert_eq!(fs.truncate(small, 5000), Err(Errno::ENOSPC));
    assert_eq!(fs.write_at(small, 4000, b"x"), Err(Errno::ENOSPC));
    assert_eq!(read_all(&fs, small), b"0123456789");
    assert_eq!(fs.mkdir(root, "no room"), Err(Errno::ENOSPC));
    assert_eq!(fs.lookup(root, "no room"), Err(Errno::ENOENT));
    // Within the last cluster there is still room.
    assert_eq!(fs.write_at(small, 10, b"abc").unwrap(), 3);
    assert_eq!(read_all(&fs, small), b"0123456789abc");
    // Creating empty files works until the root directory needs another cluster.
    let mut created = 0;
    let err = loop {
        match fs.create(root, &format!("empty {created}")) {
            Ok(node) => {
                fs.forget(node, 1).unwrap();
                created += 1;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(created < 100);
    for (name, data) in &keep {
        let f = fs.lookup(root, name).unwrap();
        assert_eq!(&read_all(&fs, f), data, "{name}");
    }
    fs.unmount().unwrap();

    if have_tools("full_disk_loses_nothing (fsck part)", &["fsck.fat", "mcopy"]) {
        assert_fsck_clean(&image);
        let seen = files_via_mtools(&image);
        for (name, data) in &keep {
            assert!(seen.get(name) == Some(data), "{name} differs through mtools");
        }
    }

    // Freeing the filler gives the space back.
    let fs = mount(&image);
    let total = fs.statfs().unwrap().total_clusters;
    fs.unlink(fs.root(), "filler").unwrap();
    let free = fs.statfs().unwrap().free_clusters;
    assert_eq!(u64::from(free), written.div_ceil(512));
    assert!(free < total);
    fs.unmount().unwrap();
    if have_tools("full_disk_loses_nothing (fsck after delete)", &["fsck.fat"]) {
        assert_fsck_clean(&image);
    }
}
