//! Corrupt images never panic and every call terminates: random bytes, a valid small
//! geometry over random contents, and random mutations of a populated volume. Each case
//! mounts, walks the whole tree, reads every file, then tries a few changes.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use fat32::{BlockDevice, FatFs, IoError, MemDevice, NodeId, NodeKind, BLOCK_SIZE};
use proptest::prelude::*;

/// A read-only base image with a private overlay of patched blocks (cheap per case).
struct Overlay {
    base: Arc<Vec<u8>>,
    patches: Mutex<HashMap<u64, [u8; BLOCK_SIZE]>>,
}

impl Overlay {
    fn new(base: Arc<Vec<u8>>, edits: &[(usize, u8)]) -> Overlay {
        let dev = Overlay { base, patches: Mutex::new(HashMap::new()) };
        for &(at, byte) in edits {
            let at = at % dev.base.len();
            let mut block = [0u8; BLOCK_SIZE];
            let lba = (at / BLOCK_SIZE) as u64;
            dev.read_blocks(lba, &mut block).unwrap();
            block[at % BLOCK_SIZE] = byte;
            dev.write_blocks(lba, &block).unwrap();
        }
        dev
    }
}

impl BlockDevice for Overlay {
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let r = fat32::request_range(lba, buf.len(), self.base.len() as u64)?;
        let patches = self.patches.lock().unwrap();
        for (i, chunk) in buf.chunks_mut(BLOCK_SIZE).enumerate() {
            let block = lba + i as u64;
            match patches.get(&block) {
                Some(p) => chunk.copy_from_slice(p),
                None => {
                    let at = r.start as usize + i * BLOCK_SIZE;
                    chunk.copy_from_slice(&self.base[at..at + BLOCK_SIZE]);
                }
            }
        }
        Ok(())
    }

    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        fat32::request_range(lba, buf.len(), self.base.len() as u64)?;
        let mut patches = self.patches.lock().unwrap();
        for (i, chunk) in buf.chunks(BLOCK_SIZE).enumerate() {
            patches.insert(lba + i as u64, chunk.try_into().unwrap());
        }
        Ok(())
    }

    fn block_count(&self) -> u64 {
        (self.base.len() / BLOCK_SIZE) as u64
    }

    fn flush(&self) -> Result<(), IoError> {
        Ok(())
    }
}

/// A populated volume: nested directories, long names, deleted entries, files of several
/// sizes (empty, multi-cluster).
fn base_image() -> Arc<Vec<u8>> {
    static IMAGE: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let dev = MemDevice::zeroed(66_600);
            fat32::format(&dev, "FUZZ").unwrap();
            let fs = FatFs::mount(dev, clock).unwrap();
            let root = fs.root();
            let a = fs.mkdir(root, "Directory A").unwrap();
            let b = fs.mkdir(a, "b").unwrap();
            for (dir, name, len) in [
                (root, "readme.txt", 100),
                (root, "A rather long file name.bin", 3000),
                (root, "empty", 0),
                (a, "x", 700),
                (b, "deep file with long name", 1500),
                (b, "gone", 10),
            ] {
                let f = fs.create(dir, name).unwrap();
                fs.write_at(f, 0, &pattern(len, len as u32)).unwrap();
            }
            fs.unlink(b, "gone").unwrap();
            Arc::new(fs.unmount().unwrap().into_bytes())
        })
        .clone()
}

/// Walks and reads everything reachable, then tries changes. Errors are fine; panics and
/// hangs are not.
fn exercise<D: BlockDevice>(fs: &FatFs<D>) {
    let mut budget = 3000u32;
    walk(fs, fs.root(), 0, &mut budget);
    let root = fs.root();
    let _ = fs.statfs();
    if let Ok(f) = fs.create(root, "new file.txt") {
        let _ = fs.write_at(f, 3, &[7; 2000]);
        let _ = fs.truncate(f, 100);
        let _ = fs.rename(root, "new file.txt", root, "readme.txt");
    }
    if let Ok(d) = fs.mkdir(root, "new dir") {
        let _ = fs.rename(root, "Directory A", d, "moved");
    }
    let _ = fs.unlink(root, "A rather long file name.bin");
    let _ = fs.rmdir(root, "new dir");
    let _ = fs.sync();
}

fn walk<D: BlockDevice>(fs: &FatFs<D>, dir: NodeId, depth: u32, budget: &mut u32) {
    // FAT allows directory cycles on corrupt volumes; the walk itself is bounded here.
    if depth > 6 {
        return;
    }
    let _ = fs.lookup(dir, "..");
    let mut offset = 0;
    while let Ok(items) = fs.readdir(dir, offset, 16) {
        let Some(last) = items.last() else { break };
        offset = last.next_offset;
        for item in items {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            let Ok(node) = fs.lookup(dir, &item.name) else { continue };
            let _ = fs.metadata(node);
            match item.kind {
                NodeKind::Dir => walk(fs, node, depth + 1, budget),
                NodeKind::File => read_file(fs, node),
            }
        }
    }
}

fn read_file<D: BlockDevice>(fs: &FatFs<D>, node: NodeId) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    while offset < 4 << 20 {
        match fs.read_at(node, offset, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => offset += n as u64,
        }
    }
}

/// A valid boot sector + FSInfo for a tiny volume: 512-byte sectors and clusters, 2 reserved
/// sectors, `fats` FATs of 2 sectors, 200 clusters, root at cluster 2.
fn tiny_volume(fats: u8, rest: &[u8]) -> Vec<u8> {
    let total: u32 = 2 + u32::from(fats) * 2 + 200;
    let mut img = vec![0u8; total as usize * 512];
    let b = &mut img[..512];
    b[11..13].copy_from_slice(&512u16.to_le_bytes());
    b[13] = 1;
    b[14..16].copy_from_slice(&2u16.to_le_bytes());
    b[16] = fats;
    b[32..36].copy_from_slice(&total.to_le_bytes());
    b[36..40].copy_from_slice(&2u32.to_le_bytes());
    b[44..48].copy_from_slice(&2u32.to_le_bytes());
    b[48..50].copy_from_slice(&1u16.to_le_bytes());
    b[50..52].copy_from_slice(&6u16.to_le_bytes());
    let s = &mut img[512..1024];
    s[0..4].copy_from_slice(&0x4161_5252u32.to_le_bytes());
    s[484..488].copy_from_slice(&0x6141_7272u32.to_le_bytes());
    s[508..512].copy_from_slice(&0xAA55_0000u32.to_le_bytes());
    for (d, s) in img[1024..].iter_mut().zip(rest.iter().cycle()) {
        *d = *s;
    }
    img
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..16 * 1024)) {
        if let Ok(fs) = FatFs::mount(MemDevice::from_bytes(bytes), clock) {
            exercise(&fs);
        }
    }

    #[test]
    fn random_contents_behind_a_valid_boot_sector(
        fats in 1u8..=2,
        rest in proptest::collection::vec(any::<u8>(), 1..4096),
        sparse in proptest::collection::vec((0usize..200 * 512, any::<u8>()), 0..64),
    ) {
        // Either pure noise, or mostly zeros with a few random bytes (more plausible FATs
        // and directories).
        let mut img = tiny_volume(fats, &rest);
        if rest.len() % 2 == 0 {
            img[1024..].iter_mut().for_each(|b| *b = 0);
            for (at, byte) in sparse {
                let len = img.len() - 1024;
                img[1024 + at % len] = byte;
            }
        }
        let fs = FatFs::mount(MemDevice::from_bytes(img), clock).unwrap();
        exercise(&fs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn mutated_valid_image_never_panics(
        edits in proptest::collection::vec((0usize..6, 0usize..0x1_0000, any::<u8>()), 1..32)
    ) {
        let base = base_image();
        let bs = &base[..512];
        let reserved = u16::from_le_bytes([bs[14], bs[15]]) as usize * 512;
        let fat = u32::from_le_bytes([bs[36], bs[37], bs[38], bs[39]]) as usize * 512;
        let data = reserved + 2 * fat;
        // Aim at the metadata: boot sector, FSInfo, the used part of both FATs, the root
        // directory, and the first clusters of the data region (directories, small files).
        let regions = [(0, 512), (512, 512), (reserved, 256), (reserved + fat, 256), (data, 512), (data, 0x4000)];
        let edits: Vec<(usize, u8)> = edits
            .into_iter()
            .map(|(region, off, byte)| {
                let (start, len) = regions[region];
                (start + off % len, byte)
            })
            .collect();
        if let Ok(fs) = FatFs::mount(Overlay::new(base, &edits), clock) {
            exercise(&fs);
        }
    }
}

#[test]
fn unmutated_base_image_walks_fully() {
    let fs = FatFs::mount(Overlay::new(base_image(), &[]), clock).unwrap();
    let root = fs.root();
    assert_eq!(names(&fs, root), ["A rather long file name.bin", "Directory A", "empty", "readme.txt"]);
    let deep = resolve(&fs, "Directory A/b/deep file with long name").unwrap();
    assert_eq!(read_all(&fs, deep), pattern(1500, 1500));
    exercise(&fs);
}
