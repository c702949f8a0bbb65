//! The host's real binaries (Debian's busybox-static, coreutils `true`,
//! the dynamic loader), parsed and then mutated. Tests skip a file that is
//! not installed.

use std::sync::OnceLock;
use std::vec::Vec;

use crate::*;
use proptest::prelude::*;

const BUSYBOX: &str = "/bin/busybox";
const TRUE: &str = "/bin/true";
const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";

fn read(path: &str) -> Option<&'static [u8]> {
    static FILES: OnceLock<std::collections::BTreeMap<&'static str, Option<Vec<u8>>>> =
        OnceLock::new();
    let files = FILES.get_or_init(|| {
        [BUSYBOX, TRUE, LD_SO]
            .into_iter()
            .map(|p| (p, std::fs::read(p).ok()))
            .collect()
    });
    files.get(path)?.as_deref()
}

/// Checks the invariants every plan must satisfy, whatever the input.
fn check_plan(plan: &LoadPlan, file_len: u64) {
    let mut previous_end = 0;
    for segment in &plan.segments {
        assert!(segment.mem.start % PAGE_SIZE == 0 && segment.mem.end % PAGE_SIZE == 0);
        assert!(segment.mem.start < segment.mem.end && segment.mem.end <= USER_END);
        assert!(
            segment.file.start % PAGE_SIZE == 0
                && segment.file.end <= file_len.max(segment.file.start)
        );
        let copy_end = segment.mem.start + (segment.file.end - segment.file.start);
        assert!(copy_end <= segment.mem.end);
        assert!(segment.mem.start <= segment.zero.start && segment.zero.end == segment.mem.end);
        // Sorted; shared pages allowed, overlap of whole pages is not.
        assert!(segment.mem.start + PAGE_SIZE >= previous_end);
        previous_end = segment.mem.end;
    }
    assert!(plan.span.start <= plan.span.end && plan.span.end <= USER_END);
}

#[test]
fn busybox_static() {
    let Some(data) = read(BUSYBOX) else { return };
    let elf = ElfFile::parse(data).unwrap();
    assert_eq!(elf.kind(), ElfKind::Executable);
    assert_eq!(elf.interpreter(), None);
    let plan = elf.load_plan(0).unwrap();
    check_plan(&plan, data.len() as u64);
    assert!(!plan.segments.is_empty());
    assert_eq!(plan.segments[0].mem.start, 0x40_0000);
    assert_eq!(
        plan.phdr, 0x40_0040,
        "phdrs found through the first PT_LOAD"
    );
    assert!(plan
        .segments
        .iter()
        .any(|s| s.perms.execute && !s.perms.write));
    assert!(plan
        .segments
        .iter()
        .any(|s| s.perms.write && !s.zero.is_empty()));
    assert!(plan.tls.is_some());
    assert!(!plan.executable_stack);
    assert_eq!(plan.brk, plan.span.end);
    assert!(plan
        .segments
        .iter()
        .any(|s| s.mem.contains(&plan.entry) && s.perms.execute));
}

#[test]
fn dynamic_true() {
    let Some(data) = read(TRUE) else { return };
    let elf = ElfFile::parse(data).unwrap();
    assert_eq!(elf.kind(), ElfKind::Dynamic);
    assert_eq!(elf.interpreter(), Some("/lib64/ld-linux-x86-64.so.2"));
    assert_eq!(elf.span().start, 0);
    let bias = 0x5555_5555_4000;
    let plan = elf.load_plan(bias).unwrap();
    check_plan(&plan, data.len() as u64);
    assert_eq!(plan.phdr, bias + elf.header().phoff);
    assert!(plan
        .segments
        .iter()
        .any(|s| s.mem.contains(&plan.entry) && s.perms.execute));
}

#[test]
fn dynamic_loader() {
    let Some(data) = read(LD_SO) else { return };
    let elf = ElfFile::parse(data).unwrap();
    assert_eq!(elf.kind(), ElfKind::Dynamic);
    assert_eq!(elf.interpreter(), None);
    let plan = elf.load_plan(0x7f00_0000_0000).unwrap();
    check_plan(&plan, data.len() as u64);
}

#[test]
fn the_first_page_gives_the_same_plan_as_the_whole_file() {
    for path in [BUSYBOX, TRUE, LD_SO] {
        let Some(data) = read(path) else { continue };
        let whole = ElfFile::parse(data).unwrap();
        let head = ElfFile::parse_head(&data[..4096], data.len() as u64).unwrap();
        assert_eq!(head.interpreter(), whole.interpreter(), "{path}");
        let bias = if whole.kind() == ElfKind::Dynamic { 0x5555_5555_4000 } else { 0 };
        assert_eq!(head.load_plan(bias).unwrap(), whole.load_plan(bias).unwrap(), "{path}");
        // Too short a head says how much is needed; a truncated file is still an error.
        let need = whole.header().phoff + whole.header().phdrs_size();
        assert_eq!(
            ElfFile::parse_head(&data[..100], data.len() as u64).err(),
            Some(ElfError::NeedHead { bytes: need }),
            "{path}"
        );
        assert!(ElfFile::parse_head(&data[..4096], 4096).is_err(), "{path}");
    }
}

#[test]
fn every_truncation_of_a_real_header_is_rejected_cleanly() {
    for path in [BUSYBOX, TRUE] {
        let Some(data) = read(path) else { continue };
        for len in 0..1024.min(data.len()) {
            assert!(
                ElfFile::parse(&data[..len]).is_err(),
                "{path} truncated to {len}"
            );
        }
    }
}

fn mutate(original: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    // Edits target the header and program headers, where parsing happens.
    let mut data = original.to_vec();
    let hot = 64 + 56 * 16;
    for &(at, value) in edits {
        let at = at % hot.min(data.len());
        data[at] = value;
    }
    data
}

fn fuzz_real(path: &str, edits: &[(usize, u8)], bias_pages: u64) {
    let Some(original) = read(path) else { return };
    let data = mutate(original, edits);
    if let Ok(elf) = ElfFile::parse(&data) {
        for bias in [0, bias_pages * PAGE_SIZE] {
            if let Ok(plan) = elf.load_plan(bias) {
                check_plan(&plan, data.len() as u64);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_busybox_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), bias in any::<u64>()) {
        fuzz_real(BUSYBOX, &edits, bias >> 12);
    }

    #[test]
    fn mutated_true_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), bias in any::<u64>()) {
        fuzz_real(TRUE, &edits, bias >> 12);
    }
}
