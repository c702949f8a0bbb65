//! Typed decoding of the six syscall argument registers.
//!
//! x86_64 passes arguments in rdi, rsi, rdx, r10, r8, r9. A C parameter of
//! type `int`/`unsigned int` sees only the low 32 bits of its register
//! (SYSCALL_DEFINE casts), so the 32-bit accessors truncate like Linux does.
//! An index beyond 5 is a kernel bug and decodes as EINVAL, never a panic.

use errno::{Errno, KResult};

use crate::flags::{Flags, UnknownBits, AT_FDCWD};
use crate::user::{UserPtr, UserSlice};

/// The argument registers of one syscall, in ABI order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SyscallArgs(pub [u64; 6]);

/// A `dirfd` argument of the `*at` syscalls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirFd {
    /// `AT_FDCWD`: relative to the current directory.
    Cwd,
    /// A (non-negative) file descriptor.
    Fd(i32),
}

impl SyscallArgs {
    /// From the registers as the entry stub saved them.
    pub const fn new(rdi: u64, rsi: u64, rdx: u64, r10: u64, r8: u64, r9: u64) -> Self {
        SyscallArgs([rdi, rsi, rdx, r10, r8, r9])
    }

    /// Register `i` unchanged (`unsigned long`).
    pub fn raw(&self, i: usize) -> KResult<u64> {
        self.0.get(i).copied().ok_or(Errno::EINVAL)
    }

    /// A `size_t`/`unsigned long` argument.
    pub fn usize(&self, i: usize) -> KResult<usize> {
        usize::try_from(self.raw(i)?).map_err(|_| Errno::EINVAL)
    }

    /// A `long`/`off_t`/`loff_t` argument.
    pub fn i64(&self, i: usize) -> KResult<i64> {
        Ok(self.raw(i)? as i64)
    }

    /// An `int` argument: the low 32 bits, as Linux reads it.
    pub fn i32(&self, i: usize) -> KResult<i32> {
        Ok(self.raw(i)? as u32 as i32)
    }

    /// An `unsigned int` argument: the low 32 bits.
    pub fn u32(&self, i: usize) -> KResult<u32> {
        Ok(self.raw(i)? as u32)
    }

    /// A file descriptor (`int`/`unsigned int fd`): EBADF unless the value
    /// Linux sees (the low 32 bits) is a non-negative `int`.
    pub fn fd(&self, i: usize) -> KResult<i32> {
        match self.i32(i)? {
            fd if fd >= 0 => Ok(fd),
            _ => Err(Errno::EBADF),
        }
    }

    /// A `dirfd` of the `*at` syscalls: `AT_FDCWD` or a descriptor (EBADF
    /// for any other negative value).
    pub fn dirfd(&self, i: usize) -> KResult<DirFd> {
        match self.i32(i)? {
            AT_FDCWD => Ok(DirFd::Cwd),
            fd if fd >= 0 => Ok(DirFd::Fd(fd)),
            _ => Err(Errno::EBADF),
        }
    }

    /// A flag set, truncated to its C type; unknown bits are rejected with
    /// EINVAL or dropped according to `T::UNKNOWN`.
    pub fn flags<T: Flags>(&self, i: usize) -> KResult<T> {
        let value = T::from_register(self.raw(i)?).to_register();
        let unknown = value & !T::known_bits();
        match T::UNKNOWN {
            UnknownBits::Reject if unknown != 0 => Err(Errno::EINVAL),
            _ => Ok(T::from_register(value & T::known_bits())),
        }
    }

    /// A flag set of which this syscall accepts only `allowed`: any other
    /// bit (known to Linux or not) is EINVAL.
    pub fn flags_within<T: Flags>(&self, i: usize, allowed: T) -> KResult<T> {
        let value = T::from_register(self.raw(i)?);
        if value.to_register() & !allowed.to_register() != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(value)
    }

    /// A `T __user *` argument (not range-checked yet; see [`UserPtr::range`]).
    pub fn ptr<T>(&self, i: usize) -> KResult<UserPtr<T>> {
        Ok(UserPtr::new(self.raw(i)?))
    }

    /// A buffer given as pointer `addr_i` and length `len_i` (read/write
    /// style), checked against the user address limit (EFAULT).
    pub fn buffer(&self, addr_i: usize, len_i: usize) -> KResult<UserSlice> {
        UserSlice::checked(self.raw(addr_i)?, self.usize(len_i)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::{AtFlags, MapFlags, OpenFlags, WaitOptions};
    use crate::user::USER_END;

    fn args(values: &[u64]) -> SyscallArgs {
        let mut regs = [0; 6];
        for (reg, value) in regs.iter_mut().zip(values) {
            *reg = *value;
        }
        SyscallArgs(regs)
    }

    #[test]
    fn integers_truncate_like_linux() {
        let a = args(&[0xffff_ffff_0000_0005, (-1i64) as u64, 7]);
        assert_eq!(a.i32(0), Ok(5));
        assert_eq!(a.i32(1), Ok(-1));
        assert_eq!(a.u32(1), Ok(u32::MAX));
        assert_eq!(a.i64(1), Ok(-1));
        assert_eq!(a.usize(2), Ok(7));
        assert_eq!(a.raw(6), Err(Errno::EINVAL));
    }

    #[test]
    fn descriptors() {
        let a = args(&[3, (-1i64) as u64, (-100i64) as u64, 0xffff_ff9c, 1 << 31]);
        assert_eq!(a.fd(0), Ok(3));
        assert_eq!(a.fd(1), Err(Errno::EBADF));
        assert_eq!(a.fd(4), Err(Errno::EBADF));
        assert_eq!(a.dirfd(2), Ok(DirFd::Cwd));
        assert_eq!(a.dirfd(3), Ok(DirFd::Cwd));
        assert_eq!(a.dirfd(0), Ok(DirFd::Fd(3)));
        assert_eq!(a.dirfd(1), Err(Errno::EBADF));
    }

    #[test]
    fn flag_policies() {
        let open = OpenFlags::O_CREAT | OpenFlags::O_CLOEXEC;
        let a = args(&[u64::from(open.bits()) | 0x4000_0000, 0x1_0000, 0x100 | 0x1000, 0x200, 0x10]);
        // open drops unknown bits.
        assert_eq!(a.flags::<OpenFlags>(0), Ok(open));
        // wait4 rejects them.
        assert_eq!(a.flags::<WaitOptions>(1), Err(Errno::EINVAL));
        assert_eq!(
            a.flags_within(2, AtFlags::FSTATAT_VALID),
            Ok(AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH)
        );
        assert_eq!(a.flags_within(3, AtFlags::FSTATAT_VALID), Err(Errno::EINVAL));
        assert_eq!(a.flags_within(3, AtFlags::UNLINKAT_VALID), Ok(AtFlags::AT_REMOVEDIR));
        assert_eq!(a.flags::<MapFlags>(4), Ok(MapFlags::MAP_FIXED));
    }

    #[test]
    fn buffers() {
        let a = args(&[0x1000, 64, USER_END - 8, 16]);
        assert_eq!(a.buffer(0, 1).map(|b| (b.addr(), b.len())), Ok((0x1000, 64)));
        assert_eq!(a.buffer(2, 3), Err(Errno::EFAULT));
        assert_eq!(a.ptr::<u32>(0).map(UserPtr::addr), Ok(0x1000));
    }
}
