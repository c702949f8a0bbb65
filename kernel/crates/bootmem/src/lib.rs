//! The memory map of a PVH boot.
//!
//! Role: QEMU's `-kernel` PVH loader hands the kernel an `hvm_start_info`
//! whose memory map is a raw E820 table: unsorted, possibly overlapping, with
//! empty entries (qboot's has a trailing all-zero one). [`regions`] turns it
//! into what the kernel's frame allocator expects from a boot loader: sorted,
//! non-overlapping regions, each usable RAM, memory the boot path itself
//! occupies (the kernel image, the page tables and stack it built), or
//! something the firmware reserved (with its E820 type). [`window_end`] says
//! how far the physical-memory window must reach.
//! Invariants: output regions are sorted by start, never overlap and never
//! touch with the same kind (adjacent equal regions are merged); a byte is
//! usable only if some RAM entry covers it and no other entry does.
//! Depends on nothing; no allocation (the boot path has no heap yet).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

use core::ops::Range;

/// `hvm_start_info.magic` (xen/include/public/arch-x86/hvm/start_info.h).
pub const START_INFO_MAGIC: u32 = 0x336e_c578;

/// The PVH start info, as the loader leaves it in guest memory (version 1).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StartInfo {
    pub magic: u32,
    pub version: u32,
    pub flags: u32,
    pub nr_modules: u32,
    pub modlist_paddr: u64,
    pub cmdline_paddr: u64,
    pub rsdp_paddr: u64,
    /// Version 1 and later: the E820-style memory map.
    pub memmap_paddr: u64,
    pub memmap_entries: u32,
    pub reserved: u32,
}

/// One entry of the start info's memory map.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemmapEntry {
    pub addr: u64,
    pub size: u64,
    /// E820 type: 1 RAM, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 unusable, 7 persistent.
    pub kind: u32,
    pub reserved: u32,
}

pub const E820_RAM: u32 = 1;
pub const E820_RESERVED: u32 = 2;
pub const E820_ACPI: u32 = 3;
pub const E820_NVS: u32 = 4;
pub const E820_PMEM: u32 = 7;

/// What a region of physical memory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free RAM for the frame allocator.
    Usable,
    /// RAM the boot path occupies: the kernel image, boot page tables, stack.
    Boot,
    /// Not RAM for us: the E820 type of the (first) entry that says so.
    Firmware(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The map has more entries than [`MAX_ENTRIES`].
    TooManyEntries,
    /// More regions than the output slice holds.
    OutputFull,
    /// A boot range is not entirely RAM.
    BootRangeNotRam,
}

/// The most map entries [`regions`] takes (the E820 table QEMU builds has ~7).
pub const MAX_ENTRIES: usize = 128;
/// The most boot ranges [`regions`] takes.
pub const MAX_BOOT_RANGES: usize = 4;

fn end_of(e: &MemmapEntry) -> u64 {
    e.addr.saturating_add(e.size)
}

/// The kind of the byte range [a, b), which lies entirely inside or outside
/// every entry and boot range (it is between two consecutive boundaries).
fn kind_of(map: &[MemmapEntry], boot: &[Range<u64>], a: u64) -> Option<Kind> {
    let mut ram = false;
    let mut other = None;
    for e in map.iter().filter(|e| e.size != 0 && e.addr <= a && a < end_of(e)) {
        if e.kind == E820_RAM {
            ram = true;
        } else if other.is_none() {
            other = Some(e.kind);
        }
    }
    if let Some(t) = other {
        return Some(Kind::Firmware(t));
    }
    if !ram {
        return None;
    }
    if boot.iter().any(|r| r.start <= a && a < r.end) {
        Some(Kind::Boot)
    } else {
        Some(Kind::Usable)
    }
}

/// Sorted, non-overlapping regions of `map`, with `boot` (ranges the boot
/// path occupies, which must be RAM) marked [`Kind::Boot`]. Gaps no entry
/// covers are left out. Returns how many regions were written to `out`.
pub fn regions(map: &[MemmapEntry], boot: &[Range<u64>], out: &mut [Region]) -> Result<usize, Error> {
    if map.len() > MAX_ENTRIES || boot.len() > MAX_BOOT_RANGES {
        return Err(Error::TooManyEntries);
    }
    // Every place where the kind may change, sorted and deduplicated.
    let mut cuts = [0u64; 2 * (MAX_ENTRIES + MAX_BOOT_RANGES)];
    let mut n = 0;
    for e in map.iter().filter(|e| e.size != 0) {
        cuts[n] = e.addr;
        cuts[n + 1] = end_of(e);
        n += 2;
    }
    for r in boot.iter().filter(|r| r.start < r.end) {
        cuts[n] = r.start;
        cuts[n + 1] = r.end;
        n += 2;
    }
    let cuts = &mut cuts[..n];
    // Insertion sort: a few dozen values, and no instance of core's sort (~2 KB).
    for i in 1..cuts.len() {
        let mut j = i;
        while j > 0 && cuts[j - 1] > cuts[j] {
            cuts.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut m = 0;
    for i in 0..cuts.len() {
        if m == 0 || cuts[i] != cuts[m - 1] {
            cuts[m] = cuts[i];
            m += 1;
        }
    }
    let cuts = &cuts[..m];

    let mut count = 0;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let kind = kind_of(map, boot, a);
        let in_boot = boot.iter().any(|r| r.start <= a && a < r.end);
        if in_boot && kind != Some(Kind::Boot) {
            return Err(Error::BootRangeNotRam);
        }
        let Some(kind) = kind else { continue };
        if count > 0 && out[count - 1].end == a && out[count - 1].kind == kind {
            out[count - 1].end = b;
            continue;
        }
        let slot = out.get_mut(count).ok_or(Error::OutputFull)?;
        *slot = Region { start: a, end: b, kind };
        count += 1;
    }
    Ok(count)
}

/// Where the physical-memory window must end: past all RAM, ACPI and
/// persistent memory, and at least 4 GiB (the MMIO of the local APIC, the
/// IO-APIC and 32-bit PCI BARs lies below 4 GiB). Reserved ranges above
/// 4 GiB (QEMU's 12 GiB AMD HyperTransport hole at 1012 GiB) are not
/// covered: nothing there is ours to touch. Rounded up to `align`.
pub fn window_end(map: &[MemmapEntry], align: u64) -> u64 {
    let top = map
        .iter()
        .filter(|e| matches!(e.kind, E820_RAM | E820_ACPI | E820_NVS | E820_PMEM))
        .map(end_of)
        .fold(1u64 << 32, u64::max);
    top.div_ceil(align).saturating_mul(align)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(addr: u64, size: u64, kind: u32) -> MemmapEntry {
        MemmapEntry { addr, size, kind, reserved: 0 }
    }

    fn run(map: &[MemmapEntry], boot: &[Range<u64>]) -> Result<([Region; 32], usize), Error> {
        let mut out = [Region { start: 0, end: 0, kind: Kind::Usable }; 32];
        let n = regions(map, boot, &mut out)?;
        Ok((out, n))
    }

    /// qboot's table for `-m 512M` (as QEMU 7.2 hands it over): unsorted,
    /// with a trailing empty entry.
    fn qboot_512m() -> [MemmapEntry; 7] {
        [
            e(0, 0x9fc00, 1),
            e(0x9fc00, 0x400, 2),
            e(0xd0000, 0x20000, 4),
            e(0xf0000, 0x10000, 2),
            e(0xfd_0000_0000, 0x3_0000_0000, 2),
            e(0x10_0000, 0x1ff0_0000, 1),
            e(0, 0, 0),
        ]
    }

    #[test]
    fn qboot_map_sorted_with_boot_range() {
        let (out, n) = run(&qboot_512m(), &[0x20_0000..0x40_0000]).unwrap();
        let got: Vec<(u64, u64, Kind)> = out[..n].iter().map(|r| (r.start, r.end, r.kind)).collect();
        assert_eq!(
            got,
            vec![
                (0, 0x9fc00, Kind::Usable),
                (0x9fc00, 0xa0000, Kind::Firmware(2)),
                (0xd0000, 0xf0000, Kind::Firmware(4)),
                (0xf0000, 0x10_0000, Kind::Firmware(2)),
                (0x10_0000, 0x20_0000, Kind::Usable),
                (0x20_0000, 0x40_0000, Kind::Boot),
                (0x40_0000, 0x2000_0000, Kind::Usable),
                (0xfd_0000_0000, 0x100_0000_0000, Kind::Firmware(2)),
            ]
        );
    }

    #[test]
    fn overlapping_reserved_wins_over_ram() {
        let map = [e(0, 0x10_0000, 1), e(0x8000, 0x1000, 2), e(0x8800, 0x1000, 3)];
        let (out, n) = run(&map, &[]).unwrap();
        let got: Vec<(u64, u64, Kind)> = out[..n].iter().map(|r| (r.start, r.end, r.kind)).collect();
        assert_eq!(
            got,
            vec![
                (0, 0x8000, Kind::Usable),
                (0x8000, 0x9000, Kind::Firmware(2)),
                (0x9000, 0x9800, Kind::Firmware(3)),
                (0x9800, 0x10_0000, Kind::Usable),
            ]
        );
    }

    #[test]
    fn adjacent_ram_entries_merge() {
        let map = [e(0x10_0000, 0x10_0000, 1), e(0, 0x10_0000, 1)];
        let (out, n) = run(&map, &[]).unwrap();
        assert_eq!(n, 1);
        assert_eq!(out[0], Region { start: 0, end: 0x20_0000, kind: Kind::Usable });
    }

    #[test]
    fn boot_ranges_must_be_ram() {
        let map = qboot_512m();
        assert_eq!(run(&map, &[0x9f000..0xa1000]).unwrap_err(), Error::BootRangeNotRam);
        assert_eq!(run(&map, &[0x3000_0000..0x3000_1000]).unwrap_err(), Error::BootRangeNotRam);
        // Two boot ranges side by side are one region.
        let (out, n) = run(&map, &[0x20_0000..0x30_0000, 0x30_0000..0x31_0000]).unwrap();
        assert!(out[..n].contains(&Region { start: 0x20_0000, end: 0x31_0000, kind: Kind::Boot }));
    }

    #[test]
    fn limits_are_errors_not_panics() {
        let map = [e(0, 0x1000, 1); MAX_ENTRIES + 1];
        assert_eq!(run(&map, &[]).unwrap_err(), Error::TooManyEntries);
        let many: Vec<MemmapEntry> = (0..40).map(|i| e(i * 0x2000, 0x1000, 1)).collect();
        let mut out = [Region { start: 0, end: 0, kind: Kind::Usable }; 8];
        assert_eq!(regions(&many, &[], &mut out).unwrap_err(), Error::OutputFull);
        // An entry that runs past the end of the address space is clipped, not a panic.
        let (out, n) = run(&[e(u64::MAX - 0xfff, 0x2000, 1)], &[]).unwrap();
        assert_eq!((n, out[0].end), (1, u64::MAX));
        assert_eq!(run(&[], &[]).unwrap().1, 0);
    }

    #[test]
    fn window_covers_ram_and_the_low_4g() {
        assert_eq!(window_end(&qboot_512m(), 2 << 20), 1 << 32);
        let big = [e(0, 0x9fc00, 1), e(0x1_0000_0000, 0x1_0000_0001, 1), e(0xfd_0000_0000, 0x3_0000_0000, 2)];
        assert_eq!(window_end(&big, 2 << 20), 0x2_0020_0000);
        assert_eq!(window_end(&big, 1 << 30), 0x2_4000_0000);
    }
}
