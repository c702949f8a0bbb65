//! read(2) on a terminal: canonical lines, and the VMIN/VTIME rules of
//! non-canonical mode as decisions the caller's wait loop carries out
//! (n_tty_read). The line discipline keeps no clock: the caller sleeps,
//! runs the timer, and reports its expiry with [`ReadCall::time_out`].

use linux_abi::structs::{VMIN, VTIME};

use crate::ldisc::LineDiscipline;
use crate::queue::LineRead;

/// Progress of one read(2) call across its sleeps. Non-canonical reads
/// gather bytes into the caller's buffer as they arrive (like Linux, so a
/// later flush cannot take them back); create one per read(2) call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCall {
    copied: usize,
    timed_out: bool,
}

impl ReadCall {
    pub const fn new() -> Self {
        ReadCall { copied: 0, timed_out: false }
    }

    /// Bytes already placed at the start of the caller's buffer. On a
    /// signal or with O_NONBLOCK, return these if non-zero (else EINTR /
    /// EAGAIN).
    pub fn copied(&self) -> usize {
        self.copied
    }

    /// The timer of the last [`Wait::InputOrTimeout`] ran out.
    pub fn time_out(&mut self) {
        self.timed_out = true;
    }
}

/// What read(2) should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadResult {
    /// Return this many bytes from the start of the buffer. May be 0 in
    /// non-canonical mode (VMIN = 0 and nothing came in time), and for a
    /// zero-length buffer.
    Ready(usize),
    /// Canonical end of file (VEOF on an empty line): return 0. The marker
    /// is consumed, so the next read waits for new input.
    Eof,
    /// Not enough input yet: sleep as told, then call `read` again with the
    /// same [`ReadCall`] and buffer.
    WouldBlock(Wait),
}

/// How to sleep before the next `read` attempt. Any sleep also ends on a
/// signal or when [`Events::wake_readers`](crate::Events) is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Until input arrives.
    Input,
    /// Until input arrives or `deciseconds` tenths of a second pass; on
    /// expiry call [`ReadCall::time_out`]. With `restart_on_input` (VMIN > 0:
    /// an inter-byte timer) arm a fresh timer each time you sleep; otherwise
    /// (VMIN = 0: one timer for the whole read) arm it once per read call.
    InputOrTimeout { deciseconds: u8, restart_on_input: bool },
}

impl LineDiscipline {
    /// One attempt of a read(2) into `buf` (a kernel buffer the caller
    /// copies out). Canonical mode returns at most one line; VEOF on an
    /// empty line is [`ReadResult::Eof`], VEOF after text returns the text
    /// without a newline. Non-canonical mode follows VMIN/VTIME
    /// (termios(3)): MIN=0,TIME=0 returns what is there; MIN=0,TIME>0 waits
    /// up to TIME for one byte; MIN>0,TIME=0 waits for MIN bytes;
    /// MIN>0,TIME>0 waits for the first byte, then until MIN bytes or TIME
    /// passes between two bytes. A buffer shorter than MIN is filled.
    pub fn read(&mut self, call: &mut ReadCall, buf: &mut [u8]) -> ReadResult {
        if buf.is_empty() {
            return ReadResult::Ready(0);
        }
        if self.canonical() {
            if call.copied > 0 {
                // Gathered before a switch to canonical mode: hand them over.
                return ReadResult::Ready(call.copied.min(buf.len()));
            }
            return match self.queue.read_line(buf) {
                LineRead::Empty => ReadResult::WouldBlock(Wait::Input),
                LineRead::Data(n) => {
                    call.copied = n;
                    ReadResult::Ready(n)
                }
                LineRead::Eof => ReadResult::Eof,
            };
        }

        let start = call.copied.min(buf.len());
        let new = self.queue.read_raw(&mut buf[start..]);
        if new > 0 {
            call.timed_out = false; // new bytes restart the inter-byte timer
        }
        call.copied = start + new;
        let copied = call.copied;
        if copied == buf.len() {
            return ReadResult::Ready(copied);
        }
        let min = usize::from(self.termios.c_cc[VMIN]);
        let time = self.termios.c_cc[VTIME];
        let timer = |restart_on_input| {
            ReadResult::WouldBlock(Wait::InputOrTimeout { deciseconds: time, restart_on_input })
        };
        match (min, time) {
            (0, 0) => ReadResult::Ready(copied),
            (0, _) if copied > 0 || call.timed_out => ReadResult::Ready(copied),
            (0, _) => timer(false),
            (_, _) if copied >= min => ReadResult::Ready(copied),
            (_, 0) => ReadResult::WouldBlock(Wait::Input),
            (_, _) if copied == 0 => ReadResult::WouldBlock(Wait::Input),
            (_, _) if call.timed_out => ReadResult::Ready(copied),
            (_, _) => timer(true),
        }
    }
}
