//! Property tests: random reads and writes through the cache always agree with a plain
//! byte-vector model of the disk (and with the disk itself when writes fail part-way).

mod support;

use blockcache::{BlockCache, DiskError, SECTOR_SIZE};
use proptest::prelude::*;
use support::{pattern, MemDisk, WriteFault};

const SECTORS: u64 = 61; // not a multiple of 8: the last block is partial

#[derive(Clone, Debug)]
enum Op {
    Read { lba: u64, sectors: usize },
    Write { lba: u64, sectors: usize, fill: u8 },
    FailingWrite { lba: u64, sectors: usize, fill: u8, written: usize },
    Invalidate,
}

fn op() -> impl Strategy<Value = Op> {
    // Ranges sometimes run past the end, to exercise the error path too.
    let span = (0..SECTORS + 2, 0usize..40);
    prop_oneof![
        4 => span.clone().prop_map(|(lba, sectors)| Op::Read { lba, sectors }),
        4 => (span.clone(), any::<u8>())
            .prop_map(|((lba, sectors), fill)| Op::Write { lba, sectors, fill }),
        1 => (span, any::<u8>(), 0usize..40).prop_map(|((lba, sectors), fill, written)| {
            Op::FailingWrite { lba, sectors, fill, written }
        }),
        1 => Just(Op::Invalidate),
    ]
}

fn in_range(lba: u64, sectors: usize) -> bool {
    lba + sectors as u64 <= SECTORS
}

/// Bytes of a write: varies per sector so misplaced sectors are caught.
fn write_data(sectors: usize, fill: u8) -> Vec<u8> {
    (0..sectors * SECTOR_SIZE).map(|i| fill ^ (i / SECTOR_SIZE) as u8).collect()
}

fn span(lba: u64, sectors: usize) -> std::ops::Range<usize> {
    let start = lba as usize * SECTOR_SIZE;
    start..start + sectors * SECTOR_SIZE
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn cache_matches_model(capacity in 0usize..6, readahead in 0u64..4, ops in prop::collection::vec(op(), 1..60)) {
        let cache = BlockCache::with_readahead(MemDisk::new(SECTORS), capacity, readahead);
        let mut model: Vec<u8> = (0..SECTORS as usize * SECTOR_SIZE).map(pattern).collect();
        for op in ops {
            match op {
                Op::Read { lba, sectors } => {
                    let mut buf = vec![0u8; sectors * SECTOR_SIZE];
                    let result = cache.read(lba, &mut buf);
                    if in_range(lba, sectors) {
                        prop_assert_eq!(result, Ok(()));
                        prop_assert_eq!(&buf[..], &model[span(lba, sectors)]);
                    } else {
                        prop_assert_eq!(result, Err(DiskError::OutOfRange));
                    }
                }
                Op::Write { lba, sectors, fill } => {
                    let data = write_data(sectors, fill);
                    let result = cache.write(lba, &data);
                    if in_range(lba, sectors) {
                        prop_assert_eq!(result, Ok(()));
                        model[span(lba, sectors)].copy_from_slice(&data);
                    } else {
                        prop_assert_eq!(result, Err(DiskError::OutOfRange));
                    }
                }
                Op::FailingWrite { lba, sectors, fill, written } => {
                    let data = write_data(sectors, fill);
                    cache.disk().set_write_fault(WriteFault::AfterSectors(written));
                    let result = cache.write(lba, &data);
                    cache.disk().set_write_fault(WriteFault::None);
                    if in_range(lba, sectors) {
                        let written = written.min(sectors);
                        prop_assert_eq!(result.is_ok(), written == sectors);
                        model[span(lba, written)]
                            .copy_from_slice(&data[..written * SECTOR_SIZE]);
                    } else {
                        prop_assert_eq!(result, Err(DiskError::OutOfRange));
                    }
                }
                Op::Invalidate => cache.invalidate_all(),
            }
            prop_assert_eq!(&cache.disk().contents(), &model, "write-through: disk == model");
            prop_assert!(cache.stats().cached_blocks <= capacity);
        }
        // Finally every sector reads back as the model says.
        let mut all = vec![0u8; model.len()];
        cache.read(0, &mut all).unwrap();
        prop_assert_eq!(all, model);
    }
}
