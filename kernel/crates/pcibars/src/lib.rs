//! PCI base address registers (BARs): what a probe of one says, and where to
//! put the ones the firmware left unassigned.
//!
//! Role: SeaBIOS assigns every BAR before the kernel runs; qboot (the fast
//! firmware of the PVH boot) assigns none. The kernel's PCI layer sizes each
//! BAR it finds at address 0 (writing all ones and reading back, decoded by
//! [`probe_size`]) and asks [`place`] for naturally aligned addresses inside
//! a window, around the ranges already in use.
//! Invariants: a placed BAR is aligned to its size (a power of two), lies
//! inside its window and overlaps neither a used range nor another placed BAR.
//! Depends on nothing; no allocation.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

use core::ops::Range;

/// Which address space a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    Io,
    Mem32,
    Mem64,
}

/// What a BAR's current value says: its space, and its base (0 = unassigned).
/// `low` is the BAR's dword, `high` the next one (used only for 64-bit BARs).
pub fn decode(low: u32, high: u32) -> (Space, u64) {
    if low & 1 != 0 {
        return (Space::Io, u64::from(low & !0x3));
    }
    match (low >> 1) & 0x3 {
        0x2 => (Space::Mem64, u64::from(low & !0xf) | u64::from(high) << 32),
        _ => (Space::Mem32, u64::from(low & !0xf)),
    }
}

/// The size of a BAR from what it reads after all ones were written to it
/// (`low`, and `high` for the upper dword of a 64-bit BAR). `None` if the BAR
/// is not implemented (reads back 0) or the value is not a valid size mask.
pub fn probe_size(space: Space, low: u32, high: u32) -> Option<u64> {
    let mask = match space {
        // I/O BARs decode 16 bits on x86; the upper half may read as 0.
        Space::Io => u64::from(low & !0x3) | 0xffff_ffff_ffff_0000,
        Space::Mem32 => u64::from(low & !0xf) | 0xffff_ffff_0000_0000,
        Space::Mem64 => u64::from(low & !0xf) | u64::from(high) << 32,
    };
    if mask == 0 || (space == Space::Io && low & !0x3 == 0) || (space == Space::Mem32 && low & !0xf == 0) {
        return None;
    }
    let size = (!mask).wrapping_add(1);
    size.is_power_of_two().then_some(size)
}

/// Places BARs of the given sizes (powers of two) in `window`, each aligned
/// to its size and clear of `used` and of the others. Largest first, so
/// alignment wastes little; `out[i]` gets the address of `sizes[i]`, or
/// `None` if it did not fit. Sizes beyond [`MAX_BARS`] are not placed.
pub fn place(sizes: &[u64], window: Range<u64>, used: &[Range<u64>], out: &mut [Option<u64>]) {
    let n = sizes.len().min(out.len()).min(MAX_BARS);
    let mut order = [0usize; MAX_BARS];
    for (i, slot) in order[..n].iter_mut().enumerate() {
        *slot = i;
    }
    // Insertion sort, largest first (stable): a handful of BARs, and one more
    // instance of core's sort would cost the kernel ~4 KB of code.
    for i in 1..n {
        let mut j = i;
        while j > 0 && sizes[order[j - 1]] < sizes[order[j]] {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut placed: [Range<u64>; MAX_BARS] = [const { 0..0 }; MAX_BARS];
    let mut count = 0;
    for &i in &order[..n] {
        out[i] = None;
        let size = sizes[i];
        if !size.is_power_of_two() {
            continue;
        }
        let mut next = window.start.checked_next_multiple_of(size);
        while let Some((at, end)) = next.and_then(|at| Some((at, at.checked_add(size)?))).filter(|&(_, e)| e <= window.end) {
            let clash = used.iter().chain(&placed[..count]).find(|r| r.start < end && at < r.end);
            match clash {
                Some(r) => next = r.end.checked_next_multiple_of(size),
                None => {
                    out[i] = Some(at);
                    placed[count] = at..end;
                    count += 1;
                    break;
                }
            }
        }
    }
}

/// The most BARs one [`place`] call handles.
pub const MAX_BARS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_spaces_and_bases() {
        assert_eq!(decode(0xc081, 0), (Space::Io, 0xc080));
        assert_eq!(decode(0xfebc_0000, 0), (Space::Mem32, 0xfebc_0000));
        assert_eq!(decode(0xfebf_800c, 0), (Space::Mem64, 0xfebf_8000));
        assert_eq!(decode(0x0000_000c, 0x1), (Space::Mem64, 0x1_0000_0000));
        assert_eq!(decode(0xc, 0), (Space::Mem64, 0));
    }

    #[test]
    fn sizes_of_qemu_virtio_bars() {
        // virtio-net-pci under QEMU 7.2: BAR0 I/O 32 bytes, BAR1 4 KiB, BAR4 64-bit 16 KiB.
        assert_eq!(probe_size(Space::Io, 0xffff_ffe1, 0), Some(0x20));
        assert_eq!(probe_size(Space::Io, 0x0000_ffe1, 0), Some(0x20));
        assert_eq!(probe_size(Space::Mem32, 0xffff_f000, 0), Some(0x1000));
        assert_eq!(probe_size(Space::Mem64, 0xffff_c00c, 0xffff_ffff), Some(0x4000));
        assert_eq!(probe_size(Space::Mem64, 0x0000_000c, 0xffff_fff0), Some(0x10_0000_0000));
    }

    #[test]
    fn unimplemented_or_garbage_bars_have_no_size() {
        assert_eq!(probe_size(Space::Mem32, 0, 0), None);
        assert_eq!(probe_size(Space::Io, 0x1, 0), None);
        assert_eq!(probe_size(Space::Mem64, 0xc, 0), None);
        assert_eq!(probe_size(Space::Mem32, 0xfff0_f000, 0), None); // holes in the mask
    }

    #[test]
    fn places_aligned_largest_first_around_used_ranges() {
        let sizes = [0x1000, 0x4000, 0x1000, 0x4000];
        let mut out = [None; 4];
        place(&sizes, 0xe000_0000..0xfec0_0000, &[0xe000_0000..0xe000_2000], &mut out);
        // The small ones fill the gap the used range left below the first large one.
        assert_eq!(out, [Some(0xe000_2000), Some(0xe000_4000), Some(0xe000_3000), Some(0xe000_8000)]);
        for (i, a) in out.iter().enumerate() {
            let a = a.unwrap();
            assert_eq!(a % sizes[i], 0);
        }
    }

    #[test]
    fn what_does_not_fit_is_none() {
        let mut out = [None; 3];
        place(&[0x20, 0x40, 0x3], 0xc000..0xc060, &[], &mut out);
        assert_eq!(out, [Some(0xc040), Some(0xc000), None]);
        let mut out = [Some(1); 1];
        place(&[0x1000], u64::MAX - 0x800..u64::MAX, &[], &mut out);
        assert_eq!(out, [None]);
    }
}
