//! User-space addresses as typed values.
//!
//! - [`UserPtr<T>`]: a `T __user *` argument or struct field. It never
//!   dereferences and gives no address out: the only ways to memory are
//!   [`UserPtr::range`] / [`UserPtr::array`], which perform the check.
//! - [`UserCStr`]: a `const char __user *` (a NUL-terminated string).
//! - [`UserSlice`]: a byte range that passed Linux's `access_ok`
//!   ([`UserSlice::checked`], the one place that check lives). The kernel's
//!   user-memory copies take only these.
//! - [`PageRange`]: whole pages of the user half (mmap, munmap, mprotect,
//!   the loader): the mapping calls take only these.
//!
//! Whatever a process passes (non-canonical, kernel-half, wrapping,
//! huge lengths), these constructors return EFAULT or `None`, never a value
//! outside `[0, USER_END)`.

use core::fmt;
use core::marker::PhantomData;

use errno::{Errno, KResult};

/// First address above user space: x86_64 `TASK_SIZE_MAX`
/// (`(1 << 47) - PAGE_SIZE`; the last page below the hole is never mapped).
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// The page size of every user mapping.
pub const PAGE_SIZE: u64 = 4096;

/// Linux `access_ok`: `[addr, addr + len)` lies below [`USER_END`].
/// A zero length is fine at any address up to `USER_END`; overflow is EFAULT.
pub fn check_user_range(addr: u64, len: usize) -> KResult<()> {
    user_range_end(addr, len).map(|_| ())
}

/// End address of `[addr, addr + len)` after the [`check_user_range`] check.
pub fn user_range_end(addr: u64, len: usize) -> KResult<u64> {
    let len = u64::try_from(len).map_err(|_| Errno::EFAULT)?;
    match addr.checked_add(len) {
        Some(end) if end <= USER_END => Ok(end),
        _ => Err(Errno::EFAULT),
    }
}

/// A user address of one `T` (a `T __user *`); not checked until used.
#[repr(transparent)]
pub struct UserPtr<T> {
    addr: u64,
    _points_to: PhantomData<fn() -> T>,
}

impl<T> UserPtr<T> {
    /// A pointer the process gave (a register or a struct field).
    pub const fn new(addr: u64) -> Self {
        UserPtr { addr, _points_to: PhantomData }
    }

    pub const fn null() -> Self {
        UserPtr::new(0)
    }

    pub const fn is_null(self) -> bool {
        self.addr == 0
    }

    /// The number itself, for recording it or giving it back to the
    /// process (never for reaching memory: use [`UserPtr::range`]).
    pub const fn value(self) -> u64 {
        self.addr
    }

    /// True if the address is a multiple of `T`'s alignment (futex words
    /// must be; most pointers need not be).
    pub const fn is_aligned(self) -> bool {
        self.addr % core::mem::align_of::<T>() as u64 == 0
    }

    /// The bytes of the pointed-to `T`, checked (EFAULT).
    pub fn range(self) -> KResult<UserSlice> {
        UserSlice::checked(self.addr, core::mem::size_of::<T>())
    }

    /// The bytes of `count` consecutive `T`s starting here, checked
    /// (EFAULT, also when the size overflows).
    pub fn array(self, count: usize) -> KResult<UserSlice> {
        let len = count.checked_mul(core::mem::size_of::<T>()).ok_or(Errno::EFAULT)?;
        UserSlice::checked(self.addr, len)
    }

    /// The `index`-th `T` of an array starting here (`&ptr[index]`).
    pub fn element(self, index: usize) -> KResult<UserPtr<T>> {
        let offset = index.checked_mul(core::mem::size_of::<T>()).ok_or(Errno::EFAULT)?;
        self.byte_add(offset)
    }

    /// A pointer `offset` bytes further, as another type (a field of a
    /// struct, the next record of a buffer); EFAULT if it wraps.
    pub fn field<U>(self, offset: usize) -> KResult<UserPtr<U>> {
        self.byte_add(offset).map(UserPtr::cast)
    }

    fn byte_add(self, offset: usize) -> KResult<UserPtr<T>> {
        let offset = u64::try_from(offset).map_err(|_| Errno::EFAULT)?;
        self.addr.checked_add(offset).map(UserPtr::new).ok_or(Errno::EFAULT)
    }

    /// The same address seen as another type.
    pub const fn cast<U>(self) -> UserPtr<U> {
        UserPtr::new(self.addr)
    }
}

// Manual impls: deriving would wrongly require `T: Clone` etc.
impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UserPtr<T> {}
impl<T> PartialEq for UserPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}
impl<T> Eq for UserPtr<T> {}
impl<T> Default for UserPtr<T> {
    fn default() -> Self {
        UserPtr::null()
    }
}
impl<T> fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserPtr({:#x})", self.addr)
    }
}

/// A `const char __user *`: a NUL-terminated string in user memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UserCStr(UserPtr<u8>);

impl UserCStr {
    pub const fn new(addr: u64) -> Self {
        UserCStr(UserPtr::new(addr))
    }

    pub const fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The first byte of the string.
    pub const fn start(self) -> UserPtr<u8> {
        self.0
    }
}

/// A user byte range `[addr, addr + len)` that passed `access_ok`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UserSlice {
    addr: u64,
    len: usize,
}

impl UserSlice {
    /// A range that passed [`check_user_range`] (EFAULT otherwise).
    pub fn checked(addr: u64, len: usize) -> KResult<Self> {
        check_user_range(addr, len)?;
        Ok(UserSlice { addr, len })
    }

    /// The first address; below [`USER_END`].
    pub const fn addr(self) -> u64 {
        self.addr
    }

    pub const fn len(self) -> usize {
        self.len
    }

    pub const fn is_empty(self) -> bool {
        self.len == 0
    }

    /// One past the last byte; at most [`USER_END`].
    pub fn end(self) -> u64 {
        self.addr.saturating_add(self.len as u64)
    }

    /// The sub-range `[offset, offset + len)` of this one (EFAULT if outside).
    pub fn sub(self, offset: usize, len: usize) -> KResult<UserSlice> {
        let stop = offset.checked_add(len).ok_or(Errno::EFAULT)?;
        if stop > self.len {
            return Err(Errno::EFAULT);
        }
        let addr = self.addr.checked_add(offset as u64).ok_or(Errno::EFAULT)?;
        UserSlice::checked(addr, len)
    }

    /// The first `len` bytes (EFAULT if longer than the range).
    pub fn prefix(self, len: usize) -> KResult<UserSlice> {
        self.sub(0, len)
    }

    /// Everything from `offset` on (EFAULT if past the end).
    pub fn skip(self, offset: usize) -> KResult<UserSlice> {
        let rest = self.len.checked_sub(offset).ok_or(Errno::EFAULT)?;
        self.sub(offset, rest)
    }

    /// Splits at `mid` bytes (EFAULT if `mid > len`).
    pub fn split_at(self, mid: usize) -> KResult<(UserSlice, UserSlice)> {
        let rest = self.len.checked_sub(mid).ok_or(Errno::EFAULT)?;
        Ok((self.sub(0, mid)?, self.sub(mid, rest)?))
    }
}

/// Whole pages of user address space, `[start, end)`: both page-aligned,
/// `start <= end <= USER_END`. What the mapping calls of the kernel take.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PageRange {
    start: u64,
    end: u64,
}

impl PageRange {
    /// `[start, start + len)` with `start` page-aligned and `len` rounded up
    /// to whole pages; `None` if `start` is not aligned, the end wraps or
    /// lies past [`USER_END`].
    pub fn aligned(start: u64, len: u64) -> Option<PageRange> {
        if start % PAGE_SIZE != 0 {
            return None;
        }
        PageRange::covering(start, len)
    }

    /// The pages that `[start, start + len)` touches (start rounded down,
    /// end rounded up); `None` if the end wraps or lies past [`USER_END`].
    pub fn covering(start: u64, len: u64) -> Option<PageRange> {
        let end = start.checked_add(len)?.checked_next_multiple_of(PAGE_SIZE)?;
        if end > USER_END {
            return None;
        }
        Some(PageRange { start: start - start % PAGE_SIZE, end })
    }

    /// The pages between two page-aligned addresses (`None` otherwise).
    pub fn between(start: u64, end: u64) -> Option<PageRange> {
        if start % PAGE_SIZE != 0 || end % PAGE_SIZE != 0 || start > end || end > USER_END {
            return None;
        }
        Some(PageRange { start, end })
    }

    pub const fn start(self) -> u64 {
        self.start
    }

    pub const fn end(self) -> u64 {
        self.end
    }

    /// Length in bytes (a multiple of [`PAGE_SIZE`]).
    pub const fn len(self) -> u64 {
        self.end - self.start
    }

    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The first `len` bytes rounded up to pages (`None` past the end).
    pub fn prefix(self, len: u64) -> Option<PageRange> {
        let r = PageRange::covering(self.start, len)?;
        (r.end <= self.end).then_some(r)
    }

    /// Everything from `offset` bytes on, rounded down to a page (`None` past the end).
    pub fn skip(self, offset: u64) -> Option<PageRange> {
        let at = self.start.checked_add(offset)?;
        let at = at - at % PAGE_SIZE;
        (at <= self.end).then_some(PageRange { start: at, end: self.end })
    }

    /// The same number of pages starting at the page-aligned `start`.
    pub fn moved_to(self, start: u64) -> Option<PageRange> {
        PageRange::aligned(start, self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_ok_boundaries() {
        assert_eq!(check_user_range(0, 0), Ok(()));
        assert_eq!(check_user_range(USER_END - 8, 8), Ok(()));
        assert_eq!(check_user_range(USER_END, 0), Ok(()));
        assert_eq!(check_user_range(USER_END - 8, 9), Err(Errno::EFAULT));
        assert_eq!(check_user_range(USER_END + 1, 0), Err(Errno::EFAULT));
        assert_eq!(check_user_range(u64::MAX, 2), Err(Errno::EFAULT));
        assert_eq!(check_user_range(1, usize::MAX), Err(Errno::EFAULT));
    }

    #[test]
    fn non_canonical_and_kernel_half_are_efault() {
        for addr in [0x0000_8000_0000_0000, 0x8000_0000_0000_0000, 0xffff_8000_0000_0000, 0xffff_ffff_ffff_f000, u64::MAX] {
            assert_eq!(UserSlice::checked(addr, 0), Err(Errno::EFAULT), "{addr:#x}");
            assert_eq!(UserSlice::checked(addr, 1), Err(Errno::EFAULT), "{addr:#x}");
            assert_eq!(UserPtr::<u64>::new(addr).range(), Err(Errno::EFAULT), "{addr:#x}");
            assert_eq!(PageRange::aligned(addr & !0xfff, 4096), None, "{addr:#x}");
        }
        // The guard page below the hole.
        assert_eq!(UserPtr::<u8>::new(USER_END).range(), Err(Errno::EFAULT));
        assert_eq!(UserPtr::<u8>::new(USER_END - 1).range().map(UserSlice::len), Ok(1));
    }

    #[test]
    fn huge_lengths_and_wrapping_are_efault() {
        let p = UserPtr::<u8>::new(0x1000);
        assert_eq!(p.array(usize::MAX), Err(Errno::EFAULT));
        assert_eq!(p.array(1 << 63), Err(Errno::EFAULT));
        assert_eq!(UserPtr::<u64>::new(0x1000).array(usize::MAX / 4), Err(Errno::EFAULT));
        assert_eq!(p.array((USER_END - 0x1000) as usize).map(UserSlice::end), Ok(USER_END));
        assert_eq!(p.array((USER_END - 0x1000 + 1) as usize), Err(Errno::EFAULT));
        assert_eq!(UserPtr::<u8>::new(u64::MAX).field::<u8>(1), Err(Errno::EFAULT));
    }

    #[test]
    fn zero_length() {
        assert_eq!(UserPtr::<u8>::new(0).array(0).map(UserSlice::is_empty), Ok(true));
        assert_eq!(UserPtr::<u8>::new(USER_END).array(0).map(UserSlice::len), Ok(0));
        assert_eq!(UserPtr::<u8>::new(USER_END + 1).array(0), Err(Errno::EFAULT));
        let s = UserSlice::checked(0x2000, 0).unwrap();
        assert_eq!(s.prefix(0), Ok(s));
        assert_eq!(s.prefix(1), Err(Errno::EFAULT));
    }

    #[test]
    fn alignment() {
        assert!(UserPtr::<u32>::new(0x1004).is_aligned());
        assert!(!UserPtr::<u32>::new(0x1002).is_aligned());
        assert!(UserPtr::<u8>::new(0x1003).is_aligned());
        assert!(!UserPtr::<u64>::new(0x1004).is_aligned());
        // Misaligned pointers are still valid ranges (copies do not care).
        assert_eq!(UserPtr::<u64>::new(0x1003).range().map(UserSlice::len), Ok(8));
    }

    #[test]
    fn pointer_ranges() {
        let p = UserPtr::<u64>::new(0x1000);
        assert_eq!(p.range(), UserSlice::checked(0x1000, 8));
        assert_eq!(p.element(3).map(UserPtr::value), Ok(0x1018));
        assert_eq!(p.element(usize::MAX), Err(Errno::EFAULT));
        assert_eq!(p.field::<u32>(56).map(UserPtr::value), Ok(0x1038));
        assert_eq!(UserPtr::<u64>::new(USER_END - 4).range(), Err(Errno::EFAULT));
        assert!(UserPtr::<u8>::new(0).is_null());
        assert_eq!(p.cast::<u8>().value(), 0x1000);
        assert!(UserCStr::new(0).is_null());
        assert_eq!(UserCStr::new(5).start().value(), 5);
    }

    #[test]
    fn slice_splitting() {
        let s = UserSlice::checked(0x2000, 16).unwrap();
        let (a, b) = s.split_at(10).unwrap();
        assert_eq!((a.addr(), a.len(), b.addr(), b.len()), (0x2000, 10, 0x200a, 6));
        assert_eq!(s.split_at(17), Err(Errno::EFAULT));
        assert_eq!(s.sub(8, 9), Err(Errno::EFAULT));
        assert_eq!(s.sub(usize::MAX, 2), Err(Errno::EFAULT));
        assert_eq!(s.skip(4).map(|r| (r.addr(), r.len())), Ok((0x2004, 12)));
        assert_eq!(s.skip(17), Err(Errno::EFAULT));
        assert_eq!(s.end(), 0x2010);
    }

    #[test]
    fn page_ranges() {
        let r = PageRange::aligned(0x1000, 1).unwrap();
        assert_eq!((r.start(), r.end(), r.len()), (0x1000, 0x2000, 0x1000));
        assert_eq!(PageRange::aligned(0x1001, 1), None);
        assert_eq!(PageRange::aligned(0x1000, 0).map(PageRange::is_empty), Some(true));
        assert_eq!(PageRange::aligned(0x1000, u64::MAX), None);
        assert_eq!(PageRange::aligned(0x1000, u64::MAX - 0x1000), None);
        assert_eq!(PageRange::aligned(USER_END - 0x1000, 0x1000).map(PageRange::end), Some(USER_END));
        assert_eq!(PageRange::aligned(USER_END, 1), None);
        let c = PageRange::covering(0x1ff0, 0x20).unwrap();
        assert_eq!((c.start(), c.end()), (0x1000, 0x3000));
        assert_eq!(PageRange::between(0x3000, 0x1000), None);
        assert_eq!(PageRange::between(0x1000, 0x1001), None);
        let big = PageRange::aligned(0x10000, 0x4000).unwrap();
        assert_eq!(big.prefix(0x1001).map(PageRange::end), Some(0x12000));
        assert_eq!(big.prefix(0x5000), None);
        assert_eq!(big.skip(0x1fff).map(PageRange::start), Some(0x11000));
        assert_eq!(big.skip(u64::MAX), None);
        assert_eq!(big.moved_to(0x20000).map(PageRange::end), Some(0x24000));
        assert_eq!(big.moved_to(USER_END - 0x1000), None);
    }
}
