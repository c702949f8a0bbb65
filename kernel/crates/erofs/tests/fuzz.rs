//! Corrupt images never panic and every call terminates: random bytes, truncations, and
//! random byte edits of a populated image (half of them with the superblock checksum fixed
//! up, so the damage reaches inodes, directories and data). Each case mounts, walks the
//! whole tree and reads every file, link and xattr it can.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use erofs::format::{put32, super_checksum, SUPER_OFFSET};
use erofs::writer::{Content, Meta, Options, Tree};
use erofs::ErofsFs;
use proptest::prelude::*;
use vfs::{FileKind, FileSystem, Inode};

fn base_image() -> Arc<Vec<u8>> {
    static IMAGE: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let m = |perm, mtime| Meta { perm, uid: 0, gid: 0, mtime, mtime_nsec: 0 };
            let mut t = Tree::new(m(0o755, 1));
            let d = t.add(Tree::ROOT, b"dir", m(0o755, 1), Content::Dir(BTreeMap::new())).unwrap();
            t.set_xattr(d, "trusted.overlay.opaque", b"y");
            for i in 0..300u32 {
                let name = format!("file-{i:03}-{}", "q".repeat(i as usize % 30));
                let data = vec![i as u8; (i as usize * 97) % 10_000];
                let f = t.add(d, name.as_bytes(), m(0o644, u64::from(i)), Content::File(data.into())).unwrap();
                if i % 50 == 0 {
                    t.set_xattr(f, "user.n", name.as_bytes());
                    t.link(Tree::ROOT, format!("hard{i}").as_bytes(), f).unwrap();
                }
            }
            let sub = t.add(d, b"sub", m(0o700, 2), Content::Dir(BTreeMap::new())).unwrap();
            t.add(sub, b"link", m(0o777, 1), Content::Symlink(b"../file-001-q".to_vec())).unwrap();
            t.add(sub, b"long", m(0o777, 1), Content::Symlink(vec![b'a'; 3000])).unwrap();
            t.add(sub, b"dev", m(0o600, 1), Content::CharDevice { major: 1, minor: 3 }).unwrap();
            t.add(sub, b"fifo", m(0o600, 1), Content::Fifo).unwrap();
            t.add(Tree::ROOT, b"big", m(0o644, 1), Content::File(vec![7u8; 70_000].into())).unwrap();
            Arc::new(t.to_vec(&Options::default()).unwrap())
        })
        .clone()
}

/// Walks everything reachable, with bounds (a corrupt image may have cycles).
fn walk(fs: &Arc<dyn FileSystem>) {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(Arc<dyn Inode>, usize)> = vec![(fs.root(), 0)];
    let mut budget = 20_000;
    let mut buf = vec![0u8; 8192];
    while let Some((inode, depth)) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            return;
        }
        let Ok(meta) = inode.metadata() else { continue };
        if !seen.insert(meta.ino) {
            continue;
        }
        let _ = inode.listxattr();
        let _ = inode.getxattr("trusted.overlay.opaque");
        let _ = inode.content_id();
        match meta.kind {
            FileKind::Regular => {
                let mut at = 0u64;
                for _ in 0..16 {
                    match inode.read_at(at, &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => at += n as u64,
                    }
                }
                let _ = inode.read_at(meta.size.saturating_sub(3), &mut buf);
            }
            FileKind::Symlink => {
                let _ = inode.readlink();
            }
            FileKind::Directory if depth < 12 => {
                let mut cookie = 0;
                for _ in 0..2000 {
                    match inode.readdir(cookie) {
                        Ok(Some((e, next))) => {
                            assert!(next > cookie, "readdir cookies advance");
                            cookie = next;
                            if let Ok(child) = inode.lookup(&e.name) {
                                stack.push((child, depth + 1));
                            }
                        }
                        _ => break,
                    }
                }
                let _ = inode.lookup("file-100-qqqqqqqqqq");
                let _ = inode.lookup("zz");
            }
            _ => {}
        }
    }
}

fn try_mount(image: Vec<u8>) {
    if let Ok(fs) = ErofsFs::mount(Arc::new(image)) {
        let fs: Arc<dyn FileSystem> = fs;
        let _ = fs.statfs();
        walk(&fs);
    }
}

fn fix_checksum(image: &mut [u8]) {
    if image.len() >= 4096 {
        let crc = super_checksum(&image[SUPER_OFFSET as usize..4096]);
        put32(image, SUPER_OFFSET as usize + 4, crc);
    }
}

#[test]
fn the_base_image_is_whole() {
    let image = base_image();
    let fs: Arc<dyn FileSystem> = ErofsFs::mount(Arc::new(image.to_vec())).unwrap();
    walk(&fs);
    let big = fs.root().lookup("big").unwrap();
    assert_eq!(big.metadata().unwrap().size, 70_000);
}

#[test]
fn truncated_images_are_refused_or_read_without_panics() {
    let image = base_image();
    for len in (0..image.len()).step_by(517).chain([1023, 1024, 1151, 1152, 4095, 4096]) {
        let cut = image[..len.min(image.len())].to_vec();
        match ErofsFs::mount(Arc::new(cut.clone())) {
            // The superblock's block count covers the whole image: any cut is caught.
            Ok(_) => panic!("a {len}-byte prefix of a {}-byte image mounted", image.len()),
            Err(e) => assert!(!format!("{e}").is_empty()),
        }
    }
}

#[test]
fn checksum_mismatch_is_reported() {
    let mut image = base_image().to_vec();
    image[2000] ^= 0x40;
    let err = ErofsFs::mount(Arc::new(image)).err().expect("a flipped bit in block 0 is caught");
    assert!(matches!(err, erofs::Error::BadChecksum { .. }), "{err}");
    assert_eq!(errno::Errno::from(err), errno::Errno::EBADMSG);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..9000)) {
        try_mount(data);
    }

    #[test]
    fn edited_images(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..24), fix in any::<bool>()) {
        let mut image = base_image().to_vec();
        for (at, byte) in edits {
            // Mostly metadata (block 0 and the first blocks), sometimes anywhere.
            let at = if at % 4 == 0 { at % image.len() } else { at % 12_288.min(image.len()) };
            image[at] = byte;
        }
        if fix {
            fix_checksum(&mut image);
        }
        try_mount(image);
    }

    #[test]
    fn edited_superblock_fields(field in 0usize..128, byte in any::<u8>()) {
        let mut image = base_image().to_vec();
        image[SUPER_OFFSET as usize + field] = byte;
        fix_checksum(&mut image);
        try_mount(image);
    }
}
