//! A corrupt volume read through the adapter and the VFS gives errors, never panics.

mod common;

use std::sync::{Arc, OnceLock};

use common::*;
use fat32::MemDevice;
use proptest::prelude::*;
use vfs::{FileKind, OpenFlags};

/// A populated image, built once: nested directories, long and short names, files of a
/// few clusters.
fn image() -> &'static Vec<u8> {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let dev = formatted();
        {
            let env = fat_root(&dev);
            for dir in ["a", "a/Sub Directory", "a/Sub Directory/deep", "b"] {
                env.mkdir(dir);
            }
            for (i, file) in ["a/x.txt", "a/Sub Directory/A long name indeed.bin", "b/SHORT.TXT", "top"].iter().enumerate() {
                env.write(file, &vec![i as u8; 700 * (i + 1)]);
            }
            env.fat.sync().unwrap();
        }
        Arc::into_inner(dev).unwrap().into_bytes()
    })
}

/// Byte ranges worth corrupting: the boot sector, the start of the first FAT, and the
/// first clusters of the data region (root and the directories made above).
fn regions(img: &[u8]) -> [std::ops::Range<usize>; 3] {
    let u16_at = |o: usize| u16::from_le_bytes([img[o], img[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes([img[o], img[o + 1], img[o + 2], img[o + 3]]) as usize;
    let fat_start = u16_at(14) * 512;
    let data_start = fat_start + img[16] as usize * u32_at(36) * 512;
    [0..512, fat_start..fat_start + 1024, data_start..data_start + 16 * 512]
}

/// Everything a user could read: listings, stats and file contents, to a bounded depth.
fn walk(env: &Env, path: &str, depth: u32) {
    let Ok(entries) = env.vfs.open_dir_entries(&env.root, &env.cwd(), path) else { return };
    for entry in entries.into_iter().filter(|e| e.name != "." && e.name != "..") {
        let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
        let _ = env.vfs.lstat(&env.root, &env.cwd(), &child);
        match entry.kind {
            FileKind::Directory if depth > 0 => walk(env, &child, depth - 1),
            FileKind::Regular => {
                if let Ok(file) = env.vfs.open(&env.root, &env.cwd(), &child, OpenFlags::read_only(), 0) {
                    let mut buf = [0u8; 4096];
                    let _ = file.inode().read_at(0, &mut buf);
                    let _ = file.inode().read_at(100_000, &mut buf);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn intact_image_walks() {
    let dev = Arc::new(MemDevice::from_bytes(image().clone()));
    let env = fat_root(&dev);
    assert_eq!(env.names("/"), [".", "..", "a", "b", "top"]);
    walk(&env, "/", 8);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn corrupt_images_never_panic(
        // Region 0 (boot sector) is picked less often: most flips there just fail the mount.
        flips in prop::collection::vec((prop::sample::select(vec![0usize, 1, 1, 2, 2, 2]), any::<prop::sample::Index>(), any::<u8>()), 1..40),
    ) {
        let mut img = image().clone();
        let regions = regions(&img);
        for (region, index, byte) in flips {
            let range = regions[region].clone();
            img[range.start + index.index(range.len())] = byte;
        }
        let dev = Arc::new(MemDevice::from_bytes(img));
        let Ok(fat) = fat32::FatFs::mount(dev, || NOW) else { return Ok(()) };
        let fat = fatvfs::FatVfs::new(fat, clock(), fatvfs::FatVfsOptions::default());
        let env = Env { vfs: vfs::Vfs::new(fat.clone()), fat, prefix: "", root: vfs::Cred::root() };
        walk(&env, "/", 8);
        // Changing calls on a damaged volume may fail, but must not panic either.
        let _ = env.vfs.mkdir(&env.root, &env.cwd(), "/a/new dir", 0o755);
        let _ = env.vfs.write_file(&env.root, &env.cwd(), "/b/new file.txt", b"data", 0o644);
        let _ = env.vfs.rename(&env.root, &env.cwd(), "/a/x.txt", "/b/y.txt");
        let _ = env.vfs.unlink(&env.root, &env.cwd(), "/top");
        let _ = env.vfs.rmdir(&env.root, &env.cwd(), "/a/Sub Directory/deep");
        let _ = env.fat.sync();
    }
}
