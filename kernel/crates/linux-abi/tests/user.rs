//! Whatever numbers a process passes, the typed user addresses never name
//! memory outside user space: every constructor either fails or yields a
//! range below `USER_END` (the property the kernel's copies rely on).

use linux_abi::{PageRange, SyscallArgs, UserCStr, UserPtr, UserSlice, PAGE_SIZE, USER_END};
use proptest::prelude::*;

/// Addresses around the interesting edges, and anything else.
fn address() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u64..0x2000),
        (USER_END - 0x2000..USER_END + 0x2000),
        (0x0000_8000_0000_0000u64 - 0x1000..0x0000_8000_0000_1000),
        (0xffff_8000_0000_0000u64..0xffff_8000_0000_1000),
        (u64::MAX - 0x2000..=u64::MAX),
    ]
}

fn length() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), (0u64..0x3000), (u64::MAX - 0x2000..=u64::MAX), Just(1u64 << 47), Just(1u64 << 63)]
}

fn inside(s: UserSlice) -> bool {
    s.addr() <= USER_END && s.end() <= USER_END && s.addr().checked_add(s.len() as u64) == Some(s.end())
}

proptest! {
    #[test]
    fn checked_slices_stay_in_user_space(addr in address(), len in length(), off in length(), n in length()) {
        if let Ok(s) = UserSlice::checked(addr, len as usize) {
            prop_assert!(inside(s));
            for sub in [s.sub(off as usize, n as usize), s.prefix(n as usize), s.skip(off as usize)].into_iter().flatten() {
                prop_assert!(inside(sub) && sub.addr() >= s.addr() && sub.end() <= s.end());
            }
        } else {
            prop_assert!(addr.checked_add(len).is_none_or(|end| end > USER_END));
        }
    }

    #[test]
    fn pointers_from_registers_check_before_use(regs in proptest::array::uniform6(address()), count in length()) {
        let args = SyscallArgs(regs);
        for i in 0..6 {
            for r in [args.get::<UserPtr<u64>>(i).range(), args.get::<UserPtr<u8>>(i).array(count as usize)] {
                if let Ok(s) = r {
                    prop_assert!(inside(s));
                }
            }
            if let Ok(s) = args.get::<UserCStr>(i).start().array(1) {
                prop_assert!(inside(s));
            }
        }
    }

    #[test]
    fn page_ranges_are_whole_user_pages(start in address(), len in length(), other in address()) {
        for r in [PageRange::aligned(start, len), PageRange::covering(start, len), PageRange::between(start, other)].into_iter().flatten() {
            prop_assert!(r.start() % PAGE_SIZE == 0 && r.end() % PAGE_SIZE == 0);
            prop_assert!(r.start() <= r.end() && r.end() <= USER_END);
            for part in [r.prefix(len), r.skip(len), r.moved_to(other & !(PAGE_SIZE - 1))].into_iter().flatten() {
                prop_assert!(part.start() <= part.end() && part.end() <= USER_END);
            }
        }
    }
}

#[test]
fn the_classic_panic_input_is_efault() {
    // A non-canonical user value reached VirtAddr::new and panicked the
    // kernel before pointers were typed; now it cannot become a range.
    for addr in [0x8000_0000_0000_0000u64, 0x0000_8000_0000_0000, 0x1234_5678_9abc_def0, 0xffff_ffff_ffff_fff0] {
        assert!(UserPtr::<u8>::new(addr).array(1).is_err());
        assert!(UserPtr::<u8>::new(addr).array(0).is_err());
        assert!(PageRange::aligned(addr & !0xfff, 0x1000).is_none());
    }
}
