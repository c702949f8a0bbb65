//! Fuzz-style properties: random and mutated archives never panic, in reading or applying.

use ocitar::builder::{HeaderSpec, TarBuilder};
use ocitar::memfs::MemFs;
use ocitar::{apply_layer, apply_layer_blob, Archive};
use proptest::prelude::*;

fn sample_archive() -> Vec<u8> {
    TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/passwd", 0o644, b"root:x:0:0::/root:/bin/sh\n")
        .pax(&[("path", "long/path/name"), ("mtime", "12.5")])
        .file("short", 0o644, b"data")
        .hard_link("etc/hard", "etc/passwd")
        .symlink("etc/sym", "passwd")
        .entry(&HeaderSpec { dev: (1, 3), ..HeaderSpec::new("dev/null", b'3', 0o666) }, &[])
        .file("etc/.wh.sym", 0o644, b"")
        .file("etc/.wh..wh..opq", 0o644, b"")
        .finish()
}

fn exercise(tar: &[u8]) {
    for entry in Archive::new(tar) {
        let _ = entry.map(|e| e.data.len());
    }
    let _ = apply_layer(&mut MemFs::new(), tar);
    let _ = apply_layer_blob(&mut MemFs::new(), tar, 1 << 16);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        exercise(&data);
    }

    #[test]
    fn mutated_archives_never_panic(
        edits in proptest::collection::vec((0usize..6000, any::<u8>()), 1..8),
        cut in 0usize..6000,
        fix_checksums in any::<bool>(),
    ) {
        let mut tar = sample_archive();
        for (pos, byte) in edits {
            let i = pos % tar.len();
            tar[i] = byte;
        }
        if fix_checksums {
            // Re-sign every block so mutations reach the field parsers, not just the checksum.
            for block in tar.chunks_exact_mut(512) {
                let block: &mut [u8; 512] = block.try_into().unwrap();
                if block.iter().any(|&b| b != 0) {
                    ocitar::builder::set_checksum(block);
                }
            }
        }
        tar.truncate(cut.max(1).min(tar.len()));
        exercise(&tar);
    }

    #[test]
    fn arbitrary_entry_names_stay_under_the_root(names in proptest::collection::vec("[a-z./]{0,12}", 1..6)) {
        let mut b = TarBuilder::new();
        for name in &names {
            b.file(name, 0o644, b"x");
        }
        let mut fs = MemFs::new();
        let _ = apply_layer(&mut fs, &b.finish());
        for path in fs.paths() {
            prop_assert!(path.starts_with('/'));
            prop_assert!(!path.split('/').any(|c| c == ".." || c == "."));
        }
    }
}
