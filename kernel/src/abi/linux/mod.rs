//! The Linux x86_64 syscall front door and table, split by family.
//!
//! One way in: [`dispatch`] takes the syscall number and the six argument
//! registers, asks [`seccomp::entry`] (the seccomp hook), then finds the handler
//! through the table generated from `linux_abi::linux_syscalls!`, the same
//! declaration `docs/syscalls.md` is printed from. Each handler is named
//! after its syscall (re-exported in [`sys`]) and takes typed parameters
//! (`Fd`, `DirFd`, `UserPtr<T>`, `UserCStr`, `FlagArg<T>`, integers
//! truncated as Linux's C types): [`handler`] decodes every register once,
//! into exactly those types, before the call. No handler sees a raw
//! register; user memory is reached only through `task::mm::Mm`'s typed
//! copies, which perform the `access_ok` check (`linux_abi::user`).
//! A number the table does not implement is `-ENOSYS`, logged once with
//! its number and name.
//! May call: `task`, `sched`, `mm`, `fs`, `net`, `console`, `time`.

mod attr;
mod epoll;
mod fdkinds;
mod fdrange;
mod flock;
mod fs;
mod fsinfo;
mod handler;
mod ids;
mod io;
pub mod ipc;
pub mod locks;
mod memory;
mod misc;
mod mount;
pub mod owner;
mod privileges;
mod process;
mod procctl;
mod scheduling;
pub mod seccomp;
mod select;
mod sendfile;
mod signal;
mod splice;
mod socket;
mod sync;
mod vectored;
mod xattr;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use errno::Errno;
use linux_abi::structs::{Iovec, Timespec};
use linux_abi::{SyscallArgs, UserPtr, UserSlice};

use super::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::task::Task;

pub type SysResult = Result<usize, Errno>;

/// Every implemented syscall's handler, under its syscall's name: the
/// names `linux_syscalls!` declares as implemented must all be here.
mod sys {
    pub use super::attr::{
        chmod, chown, fchmod, fchmodat, fchmodat2, fchown, fchownat, futimesat, lchown, truncate, utime, utimensat, utimes,
    };
    pub use super::epoll::{epoll_create, epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2, epoll_wait};
    pub use super::fdkinds::{
        eventfd, eventfd2, inotify_add_watch, inotify_init, inotify_init1, inotify_rm_watch, memfd_create, pidfd_open,
        pidfd_send_signal, signalfd, signalfd4, timerfd_create, timerfd_gettime, timerfd_settime,
    };
    pub use super::fdrange::close_range;
    pub use super::flock::flock;
    pub use super::fs::{
        access, chdir, close, dup, dup2, dup3, faccessat, faccessat2, fchdir, fstat, ftruncate, getcwd, getdents, getdents64,
        link, linkat, lstat, mkdir, mkdirat, mknod, mknodat, newfstatat, open, openat, readlink, readlinkat, rename, renameat,
        renameat2, rmdir, stat, symlink, symlinkat, umask, unlink, unlinkat,
    };
    pub use super::fsinfo::{fstatfs, statfs, statx};
    pub use super::ids::{
        getegid, geteuid, getgid, getgroups, getresgid, getresuid, getuid, setfsgid, setfsuid, setgid, setgroups, setregid,
        setresgid, setresuid, setreuid, setuid,
    };
    pub use super::ipc::{msgctl, msgget, msgrcv, msgsnd, semctl, semget, semop, semtimedop, shmat, shmctl, shmdt, shmget};
    pub use super::io::{fcntl, ioctl, lseek, poll, ppoll, pread64, pwrite64, read, readv, write, writev};
    pub use super::memory::{brk, madvise, mmap, mprotect, mremap, msync, munmap};
    pub use super::misc::{
        arch_prctl, clock_getres, clock_gettime, getrandom, gettimeofday, set_robust_list, set_tid_address, sethostname,
        sysinfo, time, uname,
    };
    pub use super::mount::{chroot, mount, pivot_root, umount2};
    pub use super::privileges::{capget, capset, clock_settime, getrlimit, prlimit64, setrlimit, settimeofday};
    pub use super::process::{
        clock_nanosleep, clone, clone3, execve, exit, exit_group, fork, futex, getpgid, getpgrp, getpid, getppid, getrusage,
        getsid, gettid, nanosleep, pipe, pipe2, prctl, sched_yield, setpgid, setsid, times, vfork, wait4, waitid,
    };
    pub use super::procctl::{membarrier, rseq};
    pub use super::scheduling::{
        getcpu, getpriority, sched_get_priority_max, sched_get_priority_min, sched_getaffinity, sched_getparam,
        sched_getscheduler, sched_rr_get_interval, sched_setaffinity, sched_setparam, sched_setscheduler, setpriority,
    };
    pub use super::seccomp::seccomp;
    pub use super::select::{pselect6, select};
    pub use super::sendfile::sendfile;
    pub use super::signal::{
        alarm, getitimer, kill, pause, rt_sigaction, rt_sigpending, rt_sigprocmask, rt_sigqueueinfo, rt_sigreturn,
        rt_sigsuspend, rt_sigtimedwait, rt_tgsigqueueinfo, setitimer, sigaltstack, tgkill, tkill,
    };
    pub use super::socket::{
        accept, accept4, bind, connect, getpeername, getsockname, getsockopt, listen, recvfrom, recvmmsg, recvmsg, sendmmsg,
        sendmsg, sendto, setsockopt, shutdown, socket, socketpair,
    };
    pub use super::sync::{fadvise64, fdatasync, fsync, sync, syncfs};
    pub use super::splice::{copy_file_range, splice, tee, vmsplice};
    pub use super::vectored::{preadv, preadv2, pwritev, pwritev2};
    pub use super::xattr::{
        fgetxattr, flistxattr, fremovexattr, fsetxattr, getxattr, lgetxattr, listxattr, llistxattr, lremovexattr,
        lsetxattr, removexattr, setxattr,
    };
}

/// The front door: the seccomp hook (the one place a thread's filters are
/// evaluated, before any handler runs, over what `struct seccomp_data`
/// holds: the number, the raw argument registers, the instruction pointer;
/// see [`seccomp::entry`]), then the handler the table names. The number is
/// an `int` to Linux (the upper half of rax is ignored).
pub fn dispatch(t: &mut Task, frame: &mut TrapFrame) -> Outcome {
    if let Some(outcome) = seccomp::entry(t, frame) {
        return outcome;
    }
    let nr = u64::from(frame.nr() as u32);
    let args = SyscallArgs(frame.args());
    table(t, frame, nr, &args)
}

/// One `match` arm per implemented syscall (a jump table), generated from
/// the declaration; `Missing` entries and undeclared numbers are ENOSYS.
macro_rules! dispatch_table {
    (@arm Missing $name:ident, $t:ident, $frame:ident, $args:ident, $nr:ident) => {
        Outcome::Return(Err(unimplemented($nr)))
    };
    (@arm $support:ident $name:ident, $t:ident, $frame:ident, $args:ident, $nr:ident) => {
        handler::call(sys::$name, $t, $frame, $args)
    };
    ($($name:ident = $nr:literal => $support:ident $(($note:literal))?;)*) => {
        fn table(t: &mut Task, frame: &mut TrapFrame, nr: u64, args: &SyscallArgs) -> Outcome {
            match nr {
                $( $nr => dispatch_table!(@arm $support $name, t, frame, args, nr), )*
                _ => Outcome::Return(Err(unimplemented(nr))),
            }
        }
    };
}

linux_abi::linux_syscalls!(dispatch_table);

/// A `struct timespec` duration from user memory, in milliseconds rounded
/// up (a timeout or sleep never ends early); EINVAL if out of range.
fn timespec_ms(p: &Task, ts: UserPtr<Timespec>) -> Result<u64, Errno> {
    let ts = p.space.read(ts)?.validate()?;
    Ok((ts.tv_sec as u64).saturating_mul(1000).saturating_add((ts.tv_nsec as u64).div_ceil(1_000_000)))
}

/// [`timespec_ms`] for an optional timeout (NULL: wait forever).
fn timeout_ms(p: &Task, ts: UserPtr<Timespec>) -> Result<Option<u64>, Errno> {
    if ts.is_null() {
        return Ok(None);
    }
    timespec_ms(p, ts).map(Some)
}

/// The user buffers of an iovec array of `count` entries (readv, writev,
/// sendmsg, recvmsg), checked as Linux's `import_iovec` does: the array is
/// copied (EFAULT), a length that is negative as `ssize_t` is EINVAL, each
/// buffer must pass `access_ok` (EFAULT), and the total is cut at
/// `MAX_RW_COUNT`. The caller has checked `count` (its errno differs).
fn user_iovecs(p: &Task, iov: UserPtr<Iovec>, count: usize) -> Result<Vec<UserSlice>, Errno> {
    let entries = p.space.read_array(iov, count)?;
    if entries.iter().any(|v| (v.iov_len as i64) < 0) {
        return Err(Errno::EINVAL);
    }
    let mut total = 0usize;
    let mut out = Vec::with_capacity(entries.len());
    for v in entries {
        let slice = v.user_slice()?;
        let len = slice.len().min(linux_abi::flags::MAX_RW_COUNT - total);
        total += len;
        out.push(slice.prefix(len)?);
    }
    Ok(out)
}

/// Runs `body` with the signal mask at `mask` (of `size` bytes) in force,
/// as ppoll, pselect6 and epoll_pwait do; a signal that interrupts keeps
/// the temporary mask until its handler returns. A NULL mask changes
/// nothing; a size other than 8 is EINVAL.
fn with_sigmask(
    p: &mut Task,
    mask: UserPtr<u64>,
    size: usize,
    body: impl FnOnce(&mut Task) -> SysResult,
) -> SysResult {
    if mask.is_null() {
        return body(p);
    }
    if size != linux_abi::signal::SigSet::SIZE {
        return Err(Errno::EINVAL);
    }
    let set = linux_abi::signal::SigSet(p.space.read(mask)?);
    let t = crate::sched::current();
    let old = t.sig_mask.swap(set.blockable().0, Ordering::AcqRel);
    crate::task::signal::set_saved_mask(&t, old);
    let result = body(p);
    if !matches!(result, Err(Errno::EINTR)) {
        crate::task::signal::restore_saved_mask();
    }
    result
}

/// Bit per (syscall, operation) pair already reported, by a small hash.
static REPORTED_OPS: AtomicU64 = AtomicU64::new(0);

/// `ENOSYS` for an operation of a syscall we do not offer, logged once.
fn unimplemented_op(name: &str, op: u64) -> Errno {
    let bit = (name.len() as u64).wrapping_mul(31).wrapping_add(op) % 64;
    if REPORTED_OPS.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0 {
        log::warn!("unimplemented {name} operation {op}: returning ENOSYS");
    }
    Errno::ENOSYS
}

/// Bit per syscall number already reported; the last word's top bit
/// stands for every number past the table (none of them exists).
static REPORTED: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];

/// `ENOSYS`, logged the first time each number is seen (numbers of 512 and
/// up, which Linux does not assign on x86_64, once for all of them).
fn unimplemented(nr: u64) -> Errno {
    let (word, bit) = if nr < 512 { ((nr / 64) as usize, nr % 64) } else { (8, 63) };
    let first = REPORTED.get(word).is_some_and(|w| w.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0);
    if first {
        let name = usize::try_from(nr).ok().and_then(linux_abi::sysno::name).unwrap_or("unknown");
        log::warn!("unimplemented Linux syscall {nr} ({name}): returning ENOSYS");
    }
    Errno::ENOSYS
}

