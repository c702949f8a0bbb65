//! The Linux x86_64 syscall table, split by family. Each handler takes the
//! current process and the six argument registers and returns
//! `Result<usize, Errno>`.

mod io;
mod memory;
mod misc;

use core::sync::atomic::{AtomicU64, Ordering};
use errno::Errno;

use super::Outcome;
use crate::arch::usermode::SyscallFrame;
use crate::task::Process;

pub type SysResult = Result<usize, Errno>;

pub fn dispatch(p: &mut Process, frame: &SyscallFrame) -> Outcome {
    let a = frame.args();
    let nr = frame.nr();
    let result = match nr {
        0 => io::read(p, a),
        1 => io::write(p, a),
        4 | 5 | 6 | 262 => io::stat_family(p, nr, a),
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
        89 | 267 => misc::readlink(p, nr, a),
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
        log::warn!("unimplemented Linux syscall {nr}: returning ENOSYS");
    }
    Errno::ENOSYS
}
