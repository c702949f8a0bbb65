//! Page arithmetic and the user address-space limit.

/// x86_64 base page size.
pub const PAGE_SIZE: u64 = 4096;

/// First address past user space: Linux's x86_64 `TASK_SIZE`
/// (2^47 minus one guard page). Everything from here up is off limits.
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// Offset of `addr` within its page.
pub fn page_offset(addr: u64) -> u64 {
    addr % PAGE_SIZE
}

/// Start of the page holding `addr`.
pub fn page_down(addr: u64) -> u64 {
    addr - page_offset(addr)
}

/// `addr` rounded up to a page boundary, if that fits in 64 bits.
pub fn page_up(addr: u64) -> Option<u64> {
    addr.checked_add(PAGE_SIZE - 1).map(page_down)
}

pub fn is_page_aligned(addr: u64) -> bool {
    page_offset(addr) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(page_down(0x1fff), 0x1000);
        assert_eq!(page_up(0x1001), Some(0x2000));
        assert_eq!(page_up(0x2000), Some(0x2000));
        assert_eq!(page_up(u64::MAX), None);
        assert!(is_page_aligned(USER_END));
    }
}
