//! User-space addresses as typed values: [`UserPtr`] and [`UserSlice`].
//!
//! They hold an address (and a length) and never dereference: the kernel's
//! user-copy code does that. Construction is free; [`UserPtr::range`] and
//! [`UserSlice::checked`] perform Linux's `access_ok` check.

use core::fmt;
use core::marker::PhantomData;

use errno::{Errno, KResult};

/// First address above user space: x86_64 `TASK_SIZE_MAX`
/// (`(1 << 47) - PAGE_SIZE`; the last page below the hole is never mapped).
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

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
pub struct UserPtr<T> {
    addr: u64,
    _points_to: PhantomData<fn() -> T>,
}

impl<T> UserPtr<T> {
    pub const fn new(addr: u64) -> Self {
        UserPtr { addr, _points_to: PhantomData }
    }

    pub const fn addr(self) -> u64 {
        self.addr
    }

    pub const fn is_null(self) -> bool {
        self.addr == 0
    }

    /// The bytes of the pointed-to `T`, checked against [`USER_END`].
    pub fn range(self) -> KResult<UserSlice> {
        UserSlice::checked(self.addr, core::mem::size_of::<T>())
    }

    /// The `index`-th `T` of an array starting here (`&ptr[index]`).
    pub fn element(self, index: usize) -> KResult<UserPtr<T>> {
        let offset = index.checked_mul(core::mem::size_of::<T>()).ok_or(Errno::EFAULT)?;
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
impl<T> fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserPtr({:#x})", self.addr)
    }
}

/// A user byte range `[addr, addr + len)`.
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

    pub const fn addr(self) -> u64 {
        self.addr
    }

    pub const fn len(self) -> usize {
        self.len
    }

    pub const fn is_empty(self) -> bool {
        self.len == 0
    }

    /// One past the last byte; cannot overflow for a checked slice.
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

    /// Splits at `mid` bytes (EFAULT if `mid > len`).
    pub fn split_at(self, mid: usize) -> KResult<(UserSlice, UserSlice)> {
        let rest = self.len.checked_sub(mid).ok_or(Errno::EFAULT)?;
        Ok((self.sub(0, mid)?, self.sub(mid, rest)?))
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
    fn pointer_ranges() {
        let p = UserPtr::<u64>::new(0x1000);
        assert_eq!(p.range(), UserSlice::checked(0x1000, 8));
        assert_eq!(p.element(3).map(UserPtr::addr), Ok(0x1018));
        assert_eq!(p.element(usize::MAX), Err(Errno::EFAULT));
        assert_eq!(UserPtr::<u64>::new(USER_END - 4).range(), Err(Errno::EFAULT));
        assert!(UserPtr::<u8>::new(0).is_null());
        assert_eq!(p.cast::<u8>().addr(), 0x1000);
    }

    #[test]
    fn slice_splitting() {
        let s = UserSlice::checked(0x2000, 16).unwrap();
        let (a, b) = s.split_at(10).unwrap();
        assert_eq!((a.addr(), a.len(), b.addr(), b.len()), (0x2000, 10, 0x200a, 6));
        assert_eq!(s.split_at(17), Err(Errno::EFAULT));
        assert_eq!(s.sub(8, 9), Err(Errno::EFAULT));
        assert_eq!(s.sub(usize::MAX, 2), Err(Errno::EFAULT));
        assert_eq!(s.end(), 0x2010);
    }
}
