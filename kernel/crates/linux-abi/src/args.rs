//! Typed decoding of the six syscall argument registers.
//!
//! x86_64 passes arguments in rdi, rsi, rdx, r10, r8, r9. A C parameter of
//! type `int`/`unsigned int` sees only the low 32 bits of its register
//! (SYSCALL_DEFINE casts), so the 32-bit decodings truncate like Linux does.
//!
//! [`SyscallArg`] is how the kernel's front door turns each register into
//! the parameter type of a handler. Decoding never fails: a check that can
//! fail (a descriptor that is not open, a flag Linux rejects, a pointer
//! outside user space) happens when the handler uses the value, so the
//! errors come in the order Linux gives them. Pointers stay [`UserPtr`]s
//! until the user-copy code checks them; flags stay [`FlagArg`]s until the
//! handler asks for them with Linux's unknown-bit policy.

use errno::{Errno, KResult};

use crate::flags::{Flags, UnknownBits, AT_FDCWD};
use crate::user::{UserCStr, UserPtr, UserSlice};

/// A parameter type a syscall handler may take: decoded from one register.
pub trait SyscallArg: Sized {
    fn from_reg(raw: u64) -> Self;
}

/// `unsigned long`, `size_t`, `u64`: the whole register.
impl SyscallArg for u64 {
    fn from_reg(raw: u64) -> Self {
        raw
    }
}

/// `size_t`: the whole register (x86_64 only, so `usize` is 64 bits).
impl SyscallArg for usize {
    fn from_reg(raw: u64) -> Self {
        raw as usize
    }
}

/// `long`, `off_t`, `loff_t`: the whole register, signed.
impl SyscallArg for i64 {
    fn from_reg(raw: u64) -> Self {
        raw as i64
    }
}

/// `int`, `pid_t`: the low 32 bits, signed.
impl SyscallArg for i32 {
    fn from_reg(raw: u64) -> Self {
        raw as u32 as i32
    }
}

/// `unsigned int`, `uid_t`, `gid_t`, `mode_t`: the low 32 bits.
impl SyscallArg for u32 {
    fn from_reg(raw: u64) -> Self {
        raw as u32
    }
}

impl<T> SyscallArg for UserPtr<T> {
    fn from_reg(raw: u64) -> Self {
        UserPtr::new(raw)
    }
}

impl SyscallArg for UserCStr {
    fn from_reg(raw: u64) -> Self {
        UserCStr::new(raw)
    }
}

/// A file descriptor argument: the `int` (or `unsigned int`) Linux sees.
/// Negative values stay as they are; looking them up fails with EBADF.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fd(pub i32);

impl Fd {
    pub const fn raw(self) -> i32 {
        self.0
    }
}

impl From<Fd> for i64 {
    fn from(fd: Fd) -> i64 {
        i64::from(fd.0)
    }
}

impl SyscallArg for Fd {
    fn from_reg(raw: u64) -> Self {
        Fd(raw as u32 as i32)
    }
}

/// A `dirfd` of the `*at` syscalls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirFd {
    /// `AT_FDCWD`: relative to the current directory.
    Cwd,
    /// Any other value; a negative one is EBADF when looked up.
    Fd(i32),
}

impl SyscallArg for DirFd {
    fn from_reg(raw: u64) -> Self {
        match raw as u32 as i32 {
            AT_FDCWD => DirFd::Cwd,
            fd => DirFd::Fd(fd),
        }
    }
}

/// A flag argument as the register holds it, truncated to its C type and
/// not yet checked: the handler takes the flags out with Linux's policy
/// for this syscall, at the point Linux checks them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FlagArg<T>(T);

impl<T: Flags> FlagArg<T> {
    pub fn new(value: T) -> Self {
        FlagArg(value)
    }

    /// The flags under the type's policy ([`Flags::UNKNOWN`]): unknown bits
    /// are EINVAL (`Reject`) or dropped (`Ignore`).
    pub fn known(self) -> KResult<T> {
        let value = self.0.to_register();
        let unknown = value & !T::known_bits();
        match T::UNKNOWN {
            UnknownBits::Reject if unknown != 0 => Err(Errno::EINVAL),
            _ => Ok(T::from_register(value & T::known_bits())),
        }
    }

    /// The flags of a syscall that accepts only `allowed`: any other bit,
    /// known to Linux or not, is EINVAL.
    pub fn within(self, allowed: T) -> KResult<T> {
        if self.0.to_register() & !allowed.to_register() != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(self.0)
    }

    /// Every bit as given, unknown ones included (for syscalls that ignore
    /// unknown bits but pass them on, like clone's exit signal byte).
    pub fn raw(self) -> T {
        self.0
    }
}

impl<T: Flags> SyscallArg for FlagArg<T> {
    fn from_reg(raw: u64) -> Self {
        FlagArg(T::from_register(raw))
    }
}

/// The `unsigned long arg` of ioctl(2) (and fcntl(2)): a number or a
/// pointer, as the request says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IoctlArg(u64);

impl IoctlArg {
    /// The argument as a pointer to the request's struct.
    pub const fn ptr<T>(self) -> UserPtr<T> {
        UserPtr::new(self.0)
    }

    /// The argument as an `unsigned long` number.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The argument as an `int` (the low 32 bits).
    pub const fn int(self) -> i32 {
        self.0 as u32 as i32
    }
}

impl SyscallArg for IoctlArg {
    fn from_reg(raw: u64) -> Self {
        IoctlArg(raw)
    }
}

/// The argument registers of one syscall, in ABI order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SyscallArgs(pub [u64; 6]);

impl SyscallArgs {
    /// From the registers as the entry stub saved them.
    pub const fn new(rdi: u64, rsi: u64, rdx: u64, r10: u64, r8: u64, r9: u64) -> Self {
        SyscallArgs([rdi, rsi, rdx, r10, r8, r9])
    }

    /// Register `i` decoded as `T`; a register past the sixth reads as 0.
    pub fn get<T: SyscallArg>(&self, i: usize) -> T {
        T::from_reg(self.0.get(i).copied().unwrap_or(0))
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
        match self.raw(i).map(DirFd::from_reg)? {
            DirFd::Fd(fd) if fd < 0 => Err(Errno::EBADF),
            dirfd => Ok(dirfd),
        }
    }

    /// A flag set, truncated to its C type; unknown bits are rejected with
    /// EINVAL or dropped according to `T::UNKNOWN`.
    pub fn flags<T: Flags>(&self, i: usize) -> KResult<T> {
        FlagArg::<T>::from_reg(self.raw(i)?).known()
    }

    /// A flag set of which this syscall accepts only `allowed`: any other
    /// bit (known to Linux or not) is EINVAL.
    pub fn flags_within<T: Flags>(&self, i: usize, allowed: T) -> KResult<T> {
        FlagArg::<T>::from_reg(self.raw(i)?).within(allowed)
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
        let a = args(&[0xffff_ffff_0000_0005, (-1i64) as u64, 7, 0x1_0000_0000, 0x8000_0000]);
        assert_eq!(a.i32(0), Ok(5));
        assert_eq!(a.i32(1), Ok(-1));
        assert_eq!(a.u32(1), Ok(u32::MAX));
        assert_eq!(a.i64(1), Ok(-1));
        assert_eq!(a.usize(2), Ok(7));
        assert_eq!(a.raw(6), Err(Errno::EINVAL));
        assert_eq!(a.get::<i32>(0), 5);
        assert_eq!(a.get::<u32>(3), 0);
        assert_eq!(a.get::<i32>(4), i32::MIN);
        assert_eq!(a.get::<u64>(3), 0x1_0000_0000);
        assert_eq!(a.get::<i64>(1), -1);
        assert_eq!(a.get::<usize>(1), usize::MAX);
        assert_eq!(a.get::<u64>(9), 0);
    }

    #[test]
    fn descriptors() {
        let a = args(&[3, (-1i64) as u64, (-100i64) as u64, 0xffff_ff9c, 1 << 31, 0x7_0000_0003]);
        assert_eq!(a.fd(0), Ok(3));
        assert_eq!(a.fd(1), Err(Errno::EBADF));
        assert_eq!(a.fd(4), Err(Errno::EBADF));
        assert_eq!(a.dirfd(2), Ok(DirFd::Cwd));
        assert_eq!(a.dirfd(3), Ok(DirFd::Cwd));
        assert_eq!(a.dirfd(0), Ok(DirFd::Fd(3)));
        assert_eq!(a.dirfd(1), Err(Errno::EBADF));
        // Typed decoding keeps what Linux sees: the low 32 bits.
        assert_eq!(a.get::<Fd>(5), Fd(3));
        assert_eq!(a.get::<Fd>(1), Fd(-1));
        assert_eq!(a.get::<Fd>(4), Fd(i32::MIN));
        assert_eq!(a.get::<DirFd>(3), DirFd::Cwd);
        assert_eq!(a.get::<DirFd>(1), DirFd::Fd(-1));
        assert_eq!(i64::from(a.get::<Fd>(1)), -1);
    }

    #[test]
    fn flag_policies() {
        let open = OpenFlags::O_CREAT | OpenFlags::O_CLOEXEC;
        let a = args(&[u64::from(open.bits()) | 0x4000_0000, 0x1_0000, 0x100 | 0x1000, 0x200, 0x10, 0x1_0000_0001]);
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
        // An `int` flag argument loses the upper half before any check.
        assert_eq!(a.get::<FlagArg<WaitOptions>>(5).known(), Ok(WaitOptions::WNOHANG));
        assert_eq!(a.get::<FlagArg<OpenFlags>>(0).raw().bits(), open.bits() | 0x4000_0000);
        assert_eq!(a.get::<FlagArg<OpenFlags>>(0).within(OpenFlags::ALL), Err(Errno::EINVAL));
    }

    #[test]
    fn buffers() {
        let a = args(&[0x1000, 64, USER_END - 8, 16, 0xffff_8000_0000_0000, 0x8000_0000_0000_0000]);
        assert_eq!(a.buffer(0, 1).map(|b| (b.addr(), b.len())), Ok((0x1000, 64)));
        assert_eq!(a.buffer(2, 3), Err(Errno::EFAULT));
        assert_eq!(a.ptr::<u32>(0).map(UserPtr::value), Ok(0x1000));
        // Pointers decode without a check; using them is EFAULT.
        assert_eq!(a.get::<UserPtr<u8>>(4).array(1), Err(Errno::EFAULT));
        assert_eq!(a.get::<UserPtr<u8>>(5).array(0), Err(Errno::EFAULT));
        assert_eq!(a.get::<UserPtr<u8>>(0).array(usize::MAX), Err(Errno::EFAULT));
        assert!(a.get::<UserCStr>(9).is_null());
        let arg = a.get::<IoctlArg>(5);
        assert_eq!(arg.ptr::<u32>().range(), Err(Errno::EFAULT));
        assert_eq!((arg.int(), a.get::<IoctlArg>(1).value()), (0, 64));
    }
}
