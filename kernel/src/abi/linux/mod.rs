//! The Linux x86_64 syscall table, split by family. Each handler takes the
//! current process and the six argument registers and returns
//! `Result<usize, Errno>`.

mod attr;
mod epoll;
mod flock;
mod fs;
mod fsinfo;
mod ids;
mod io;
mod memory;
mod misc;
mod process;
mod select;
mod sendfile;
mod signal;
mod socket;
mod sync;
mod xattr;

pub use epoll::Epoll;

use core::sync::atomic::{AtomicU64, Ordering};
use errno::Errno;

use super::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::task::Task;

pub type SysResult = Result<usize, Errno>;

/// `AT_FDCWD` as the register holds it.
const AT_FDCWD: u64 = -100i64 as u64;

pub fn dispatch(p: &mut Task, frame: &mut TrapFrame) -> Outcome {
    let a = frame.args();
    let nr = frame.nr();
    let result = match nr {
        0 => io::read(p, a),
        1 => io::write(p, a),
        2 => fs::open(p, a),
        3 => fs::close(p, a),
        4 => fs::stat(p, a),
        5 => fs::fstat(p, a),
        6 => fs::lstat(p, a),
        7 => io::poll_ms(p, a),
        8 => io::lseek(p, a),
        9 => memory::mmap(p, a),
        10 => memory::mprotect(p, a),
        11 => memory::munmap(p, a),
        12 => memory::brk(p, a),
        13 => signal::rt_sigaction(p, a),
        14 => signal::rt_sigprocmask(p, a),
        15 => return signal::rt_sigreturn(p, frame),
        16 => io::ioctl(p, a),
        17 => io::pread64(p, a),
        18 => io::pwrite64(p, a),
        19 => io::readv(p, a),
        20 => io::writev(p, a),
        21 => fs::faccessat(p, AT_FDCWD, a[0], a[1], 0),
        22 => process::pipe2(p, [a[0], 0, 0, 0, 0, 0]),
        23 => select::select(p, a),
        24 => process::sched_yield(p),
        25 => memory::mremap(p, a),
        26 => memory::msync(p, a),
        28 => memory::madvise(p, a),
        32 => fs::dup(p, a),
        33 => fs::dup2(p, a),
        34 => signal::pause(p),
        35 => process::nanosleep(p, a),
        36 => signal::getitimer(p, a),
        37 => signal::alarm(p, a),
        38 => signal::setitimer(p, a),
        39 => Ok(p.pid() as usize),
        40 => sendfile::sendfile(p, a),
        41 => socket::socket(p, a),
        42 => socket::connect(p, a),
        43 => socket::accept(p, a),
        44 => socket::sendto(p, a),
        45 => socket::recvfrom(p, a),
        46 => socket::sendmsg(p, a),
        47 => socket::recvmsg(p, a),
        48 => socket::shutdown(p, a),
        49 => socket::bind(p, a),
        50 => socket::listen(p, a),
        51 => socket::getsockname(p, a),
        52 => socket::getpeername(p, a),
        53 => socket::socketpair(p, a),
        54 => socket::setsockopt(p, a),
        55 => socket::getsockopt(p, a),
        56 => process::clone(p, frame, a),
        57 => process::fork(p, frame),
        58 => process::vfork(p, frame),
        59 => return process::execve(p, frame, a),
        60 => return Outcome::ExitThread((a[0] & 0xff) as i32),
        61 => process::wait4(p, a),
        62 => signal::kill(p, a),
        63 => misc::uname(p, a),
        72 => io::fcntl(p, a),
        73 => flock::flock(p, a),
        74 | 75 => sync::fsync(p, a),
        76 => attr::truncate(p, a),
        77 => fs::ftruncate(p, a),
        78 => fs::getdents(p, a),
        79 => fs::getcwd(p, a),
        80 => fs::chdir(p, a),
        81 => fs::fchdir(p, a),
        82 => fs::renameat2(p, AT_FDCWD, a[0], AT_FDCWD, a[1], 0),
        83 => fs::mkdirat(p, AT_FDCWD, a[0], a[1]),
        84 => fs::unlinkat(p, AT_FDCWD, a[0], 0x200),
        86 => fs::linkat(p, AT_FDCWD, a[0], AT_FDCWD, a[1], 0),
        87 => fs::unlinkat(p, AT_FDCWD, a[0], 0),
        88 => fs::symlinkat(p, a[0], AT_FDCWD, a[1]),
        89 => fs::readlinkat(p, AT_FDCWD, a[0], a[1], a[2]),
        90 => attr::chmod(p, a),
        91 => attr::fchmod(p, a),
        92 => attr::chown(p, a),
        93 => attr::fchown(p, a),
        94 => attr::lchown(p, a),
        95 => fs::umask(p, a),
        96 => misc::gettimeofday(p, a),
        98 => process::getrusage(p, a),
        99 => misc::sysinfo(p, a),
        100 => process::times(p, a),
        102 => ids::getuid(p),
        104 => ids::getgid(p),
        105 => ids::setuid(p, a),
        106 => ids::setgid(p, a),
        107 => ids::geteuid(p),
        108 => ids::getegid(p),
        109 => process::setpgid(p, a),
        110 => process::getppid(p),
        111 => process::getpgid(p, 0),
        112 => process::setsid(p),
        113 => ids::setreuid(p, a),
        114 => ids::setregid(p, a),
        115 => ids::getgroups(p, a),
        116 => ids::setgroups(p, a),
        117 => ids::setresuid(p, a),
        118 => ids::getresuid(p, a),
        119 => ids::setresgid(p, a),
        120 => ids::getresgid(p, a),
        121 => process::getpgid(p, a[0]),
        124 => process::getsid(p, a[0]),
        127 => signal::rt_sigpending(p, a),
        128 => signal::rt_sigtimedwait(p, a),
        129 => signal::rt_sigqueueinfo(p, a),
        130 => signal::rt_sigsuspend(p, a),
        131 => signal::sigaltstack(p, a, frame.rsp),
        132 => attr::utime(p, a),
        133 => fs::mknodat(p, AT_FDCWD, a[0], a[1], a[2]),
        137 => fsinfo::statfs(p, a),
        138 => fsinfo::fstatfs(p, a),
        157 => process::prctl(p, a),
        158 => misc::arch_prctl(p, a),
        170 => misc::sethostname(p, a),
        162 => sync::sync(p),
        186 => Ok(p.tid as usize),
        188 => xattr::setxattr(p, a, xattr::On::Path),
        189 => xattr::setxattr(p, a, xattr::On::LinkPath),
        190 => xattr::setxattr(p, a, xattr::On::Fd),
        191 => xattr::getxattr(p, a, xattr::On::Path),
        192 => xattr::getxattr(p, a, xattr::On::LinkPath),
        193 => xattr::getxattr(p, a, xattr::On::Fd),
        194 => xattr::listxattr(p, a, xattr::On::Path),
        195 => xattr::listxattr(p, a, xattr::On::LinkPath),
        196 => xattr::listxattr(p, a, xattr::On::Fd),
        197 => xattr::removexattr(p, a, xattr::On::Path),
        198 => xattr::removexattr(p, a, xattr::On::LinkPath),
        199 => xattr::removexattr(p, a, xattr::On::Fd),
        200 => signal::tgkill(p, None, a[0], a[1]),
        201 => misc::time(p, a),
        202 => process::futex(p, a),
        213 => epoll::epoll_create(p, a),
        217 => fs::getdents64(p, a),
        218 => misc::set_tid_address(p, a),
        221 => sync::fadvise64(p, a),
        228 => misc::clock_gettime(p, a),
        229 => misc::clock_getres(p, a),
        230 => process::clock_nanosleep(p, a),
        231 => return Outcome::ExitGroup((a[0] & 0xff) as i32),
        232 => epoll::epoll_wait(p, a),
        233 => epoll::epoll_ctl(p, a),
        234 => signal::tgkill(p, Some(a[0]), a[1], a[2]),
        235 => attr::utimes(p, a),
        247 => process::waitid(p, a),
        257 => fs::openat(p, a[0], a[1], a[2], a[3]),
        258 => fs::mkdirat(p, a[0], a[1], a[2]),
        259 => fs::mknodat(p, a[0], a[1], a[2], a[3]),
        260 => attr::fchownat(p, a[0], a[1], a[2], a[3], a[4]),
        261 => attr::futimesat(p, a),
        262 => fs::newfstatat(p, a[0], a[1], a[2], a[3]),
        263 => fs::unlinkat(p, a[0], a[1], a[2]),
        264 => fs::renameat2(p, a[0], a[1], a[2], a[3], 0),
        265 => fs::linkat(p, a[0], a[1], a[2], a[3], a[4]),
        266 => fs::symlinkat(p, a[0], a[1], a[2]),
        267 => fs::readlinkat(p, a[0], a[1], a[2], a[3]),
        268 => attr::fchmodat(p, a),
        269 => fs::faccessat(p, a[0], a[1], a[2], 0),
        270 => select::pselect6(p, a),
        271 => io::ppoll(p, a),
        273 => misc::set_robust_list(p, a),
        280 => attr::utimensat(p, a),
        281 => epoll::epoll_pwait(p, a),
        288 => socket::accept4(p, a),
        291 => epoll::epoll_create1(p, a),
        292 => fs::dup3(p, a[0], a[1], a[2]),
        293 => process::pipe2(p, a),
        297 => signal::rt_tgsigqueueinfo(p, a),
        299 => socket::recvmmsg(p, a),
        302 => misc::prlimit64(p, a),
        306 => sync::syncfs(p, a),
        307 => socket::sendmmsg(p, a),
        316 => fs::renameat2(p, a[0], a[1], a[2], a[3], a[4]),
        318 => misc::getrandom(p, a),
        332 => fsinfo::statx(p, a),
        435 => process::clone3(p, frame, a),
        439 => fs::faccessat(p, a[0], a[1], a[2], a[3]),
        441 => epoll::epoll_pwait2(p, a),
        452 => attr::fchmodat2(p, a),
        _ => Err(unimplemented(nr)),
    };
    Outcome::Return(result)
}

/// A `struct timespec` duration from user memory, in milliseconds rounded
/// up (a timeout or sleep never ends early).
fn timespec_ms(p: &Task, addr: u64) -> Result<u64, Errno> {
    let mut raw = [0u8; 16];
    p.space.copy_in(addr, &mut raw)?;
    let ts = linux_abi::structs::Timespec::from_bytes(&raw)?.validate()?;
    Ok((ts.tv_sec as u64).saturating_mul(1000).saturating_add((ts.tv_nsec as u64).div_ceil(1_000_000)))
}

/// [`timespec_ms`] for an optional timeout (NULL: wait forever).
fn timeout_ms(p: &Task, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    timespec_ms(p, addr).map(Some)
}

/// Bit per (syscall, operation) pair already reported, by a small hash.
static REPORTED_OPS: AtomicU64 = AtomicU64::new(0);

/// `ENOSYS` for an operation of a syscall we do not offer, logged once.
fn unimplemented_op(name: &str, op: u64) -> Errno {
    let bit = (name.len() as u64 * 31 + op) % 64;
    if REPORTED_OPS.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0 {
        log::warn!("unimplemented {name} operation {op}: returning ENOSYS");
    }
    Errno::ENOSYS
}

/// Bit per syscall number already reported.
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

/// `ENOSYS`, logged the first time each number is seen.
fn unimplemented(nr: u64) -> Errno {
    let (word, bit) = ((nr / 64) as usize, nr % 64);
    let first = match REPORTED.get(word) {
        Some(w) => w.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0,
        // Numbers past the table: the first one only (a program trying
        // random numbers must not flood the console).
        None => !REPORTED_BEYOND.swap(true, Ordering::Relaxed),
    };
    if first {
        let name = usize::try_from(nr).ok().and_then(linux_abi::sysno::name).unwrap_or("unknown");
        let more = if REPORTED.get(word).is_none() { "; later numbers past the table are not logged" } else { "" };
        log::warn!("unimplemented Linux syscall {nr} ({name}): returning ENOSYS{more}");
    }
    Errno::ENOSYS
}

/// A number past `REPORTED`'s range was logged.
static REPORTED_BEYOND: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
