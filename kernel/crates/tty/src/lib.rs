//! A Linux-compatible terminal line discipline (N_TTY semantics).
//!
//! Role: everything between a terminal's wire and read(2)/write(2) of the
//! processes using it, without hardware, locks or clocks: input processing
//! (ICRNL, INLCR, IGNCR, ISTRIP, IXON), canonical line editing (VERASE,
//! VKILL, VWERASE, VLNEXT, VREPRINT, VEOF, VEOL), echo (ECHO, ECHOE,
//! ECHOK, ECHOKE, ECHOCTL, ECHONL, ECHOPRT), signal characters (ISIG), the
//! VMIN/VTIME rules of non-canonical reads and output processing (OPOST).
//! Behaviour follows Linux's `drivers/tty/n_tty.c` and termios(3).
//!
//! Invariants: no `unsafe`, no panics on any input; the input queue holds at
//! most 4096 bytes like Linux's (extra input is dropped, but a canonical
//! line can always be ended). Depends on `linux-abi` (the kernel's 36-byte
//! `struct termios`, `struct winsize`, their constants, signal numbers).
//!
//! Use from the kernel (one [`LineDiscipline`] per terminal, under a lock):
//! - Input from the device: `let ev = ld.receive(bytes)`; write `ev.echo` to
//!   the device, send `ev.signals` to the foreground process group, drop
//!   queued output if `ev.flush_output`, wake readers if `ev.wake_readers`,
//!   and hold or resume program output on `ev.output_stopped`.
//! - write(2): send `ld.write_output(data)` (ONLCR etc.) to the device.
//! - read(2): `let mut call = ReadCall::new();` then loop on
//!   `ld.read(&mut call, &mut kbuf)`: `Ready(n)` → return n, `Eof` → return
//!   0, `WouldBlock(wait)` → with O_NONBLOCK return `call.copied()` or
//!   EAGAIN; else sleep per [`Wait`] (a signal: return `call.copied()` or
//!   EINTR; a timer expiry: `call.time_out()`) and call `read` again.
//! - ioctls: TCGETS `ld.termios().to_bytes()`; TCSETS/W/F
//!   `ld.set_termios(Termios::from_bytes(..)?)` (F: `flush_input` first);
//!   TIOCGWINSZ/TIOCSWINSZ `winsize`/`set_winsize` (SIGWINCH on change);
//!   FIONREAD `available`; TCFLSH `flush_input`; poll POLLIN `readable`.
//!
//! Known gaps: no PENDIN/FLUSHO/VDISCARD (Linux ignores them too), no
//! EXTPROC/packet mode, no parity/break handling (IGNBRK, BRKINT, INPCK);
//! when the queue is full, special characters still work and ordinary input
//! is dropped (Linux leaves it in the driver's buffer instead).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod ldisc;
mod output;
mod queue;
mod read;
#[cfg(test)]
mod tests;

pub use ldisc::{Events, LineDiscipline};
pub use queue::N_TTY_BUF_SIZE;
pub use read::{ReadCall, ReadResult, Wait};

pub use linux_abi::flags::Signal;

/// The kernel's `struct termios`/`struct winsize` and their constants,
/// re-exported from `linux-abi` (where they are checked against the C headers).
pub mod termios {
    pub use linux_abi::structs::{
        Termios, Winsize, B38400, B9600, BRKINT, CBAUD, CLOCAL, CREAD, CS8, CSIZE, CSTOPB, ECHO,
        ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, EXTPROC, FLUSHO, HUPCL, ICANON, ICRNL,
        IEXTEN, IGNBRK, IGNCR, IGNPAR, IMAXBEL, INLCR, INPCK, ISIG, ISTRIP, IUCLC, IUTF8, IXANY,
        IXOFF, IXON, NCCS, NOFLSH, OCRNL, OFDEL, OFILL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, PARENB,
        PARMRK, PENDIN, TABDLY, TOSTOP, VDISCARD, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT,
        VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VSWTC, VTIME, VWERASE, XCASE, XTABS,
    };
}

pub use termios::{Termios, Winsize};
