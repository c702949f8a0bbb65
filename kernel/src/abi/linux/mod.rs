//! The Linux x86_64 syscall table, split by family. Each handler takes the
//! current process and the six argument registers and returns
//! `Result<usize, Errno>`.

mod fs;
mod io;
mod memory;
mod misc;

use core::sync::atomic::{AtomicU64, Ordering};
use errno::Errno;

use super::Outcome;
use crate::arch::usermode::SyscallFrame;
use crate::task::Process;

pub type SysResult = Result<usize, Errno>;

/// `AT_FDCWD` as the register holds it.
const AT_FDCWD: u64 = -100i64 as u64;

pub fn dispatch(p: &mut Process, frame: &SyscallFrame) -> Outcome {
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
        17 => io::pread64(p, a),
        18 => io::pwrite64(p, a),
        19 => io::readv(p, a),
        21 => fs::faccessat(p, AT_FDCWD, a[0], a[1]),
        32 => fs::dup(p, a),
        33 => fs::dup2(p, a),
        77 => fs::ftruncate(p, a),
        79 => fs::getcwd(p, a),
        80 => fs::chdir(p, a),
        81 => fs::fchdir(p, a),
        82 => fs::renameat2(p, AT_FDCWD, a[0], AT_FDCWD, a[1], 0),
        83 => fs::mkdirat(p, AT_FDCWD, a[0], a[1]),
        84 => fs::unlinkat(p, AT_FDCWD, a[0], 0x200),
        87 => fs::unlinkat(p, AT_FDCWD, a[0], 0),
        89 => fs::readlinkat(p, AT_FDCWD, a[0], a[1], a[2]),
        95 => fs::umask(p, a),
        217 => fs::getdents64(p, a),
        257 => fs::openat(p, a[0], a[1], a[2], a[3]),
        258 => fs::mkdirat(p, a[0], a[1], a[2]),
        262 => fs::newfstatat(p, a[0], a[1], a[2], a[3]),
        263 => fs::unlinkat(p, a[0], a[1], a[2]),
        264 => fs::renameat2(p, a[0], a[1], a[2], a[3], 0),
        271 => io::ppoll(p, a),
        267 => fs::readlinkat(p, a[0], a[1], a[2], a[3]),
        269 | 439 => fs::faccessat(p, a[0], a[1], a[2]),
        292 => fs::dup3(p, a[0], a[1], a[2]),
        316 => fs::renameat2(p, a[0], a[1], a[2], a[3], a[4]),
        9 => memory::mmap(p, a),
        10 => memory::mprotect(p, a),
        11 => memory::munmap(p, a),
        12 => memory::brk(p, a),
        16 => io::ioctl(p, a),
        20 => io::writev(p, a),
        72 => io::fcntl(p, a),
        39 | 186 => Ok(p.pid as usize),
        110 => Ok(0), // the parent is outside this process's view
        102 | 104 | 107 | 108 => Ok(0), // uid, gid, euid, egid: root
        60 | 231 => return Outcome::Exit((a[0] & 0xff) as i32),
        63 => misc::uname(p, a),
        96 => misc::gettimeofday(p, a),
        158 => misc::arch_prctl(p, a),
        201 => misc::time(p, a),
        218 => misc::set_tid_address(p, a),
        228 => misc::clock_gettime(p, a),
        273 => misc::set_robust_list(p, a),
        302 => misc::prlimit64(p, a),
        318 => misc::getrandom(p, a),
        _ => Err(unimplemented(nr)),
    };
    Outcome::Return(result)
}

/// Bit per syscall number already reported.
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

/// `ENOSYS`, logged the first time each number is seen.
fn unimplemented(nr: u64) -> Errno {
    let (word, bit) = ((nr / 64) as usize, nr % 64);
    let first = REPORTED.get(word).is_none_or(|w| w.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0);
    if first {
        let name = usize::try_from(nr).ok().and_then(linux_abi::sysno::name).unwrap_or("unknown");
        log::warn!("unimplemented Linux syscall {nr} ({name}): returning ENOSYS");
    }
    Errno::ENOSYS
}
