//! [`LineDiscipline`]: input processing, canonical line editing, echo,
//! signal and flow-control characters (Linux `drivers/tty/n_tty.c`).
//!
//! Each received byte goes through, in n_tty's order: ISTRIP, IUCLC, a
//! pending VLNEXT, IXON (VSTART/VSTOP), ISIG (VINTR/VQUIT/VSUSP), IXANY,
//! IGNCR/ICRNL/INLCR, then the canonical specials (VERASE, VKILL, VWERASE,
//! VLNEXT, VREPRINT, newline, VEOF, VEOL, VEOL2), and is otherwise queued.
//! A `c_cc` entry of 0 is disabled (`_POSIX_VDISABLE`): NUL is never special.

use alloc::vec::Vec;

use linux_abi::flags::Signal;
use linux_abi::structs::{
    Termios, Winsize, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, ICANON, ICRNL, IEXTEN,
    IGNCR, INLCR, ISIG, ISTRIP, IUCLC, IXANY, IXON, NOFLSH, PARMRK, TOSTOP, VEOF, VEOL, VEOL2,
    VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE,
};

use crate::output::{is_cntrl, is_continuation, Columns};
use crate::queue::InputQueue;

const BACKSPACE: u8 = 0x08;

/// What a call to [`LineDiscipline::receive`] or
/// [`LineDiscipline::set_termios`] asks of the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Bytes to send to the terminal now: the echo, already output-processed.
    pub echo: Vec<u8>,
    /// Signals for the terminal's foreground process group, in order.
    pub signals: Vec<Signal>,
    /// Blocked readers (read, poll) should check again.
    pub wake_readers: bool,
    /// Discard output queued for the terminal but not yet sent (a signal
    /// character without NOFLSH; Linux's `tty_driver_flush_buffer`).
    pub flush_output: bool,
    /// IXON flow control changed: `Some(true)` after VSTOP (hold program
    /// output), `Some(false)` when output may resume (wake writers).
    pub output_stopped: Option<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kill {
    Erase,
    WordErase,
    Line,
}

/// The N_TTY line discipline of one terminal: its termios, window size,
/// input queue and echo state. Not thread-safe by itself: the kernel keeps
/// it under the terminal's lock.
pub struct LineDiscipline {
    pub(crate) termios: Termios,
    winsize: Winsize,
    pub(crate) queue: InputQueue,
    columns: Columns,
    /// ECHOPRT: inside a `\erased/` sequence.
    erasing: bool,
    /// The previous byte was VLNEXT: the next one is taken literally.
    lnext: bool,
    /// Output held by VSTOP (IXON).
    stopped: bool,
    /// Echo produced while output is stopped, sent when it restarts.
    held_echo: Vec<u8>,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDiscipline {
    /// A console as Linux sets it up: [`Termios::linux_default`], 0x0 window.
    pub fn new() -> Self {
        Self::with_termios(Termios::linux_default())
    }

    pub fn with_termios(termios: Termios) -> Self {
        LineDiscipline {
            termios,
            winsize: Winsize::default(),
            queue: InputQueue::default(),
            columns: Columns::default(),
            erasing: false,
            lnext: false,
            stopped: false,
            held_echo: Vec::new(),
        }
    }

    /// The settings TCGETS reports.
    pub fn termios(&self) -> &Termios {
        &self.termios
    }

    /// TCSETS/TCSETSW/TCSETSF (the caller drains output for W and calls
    /// [`Self::flush_input`] first for F). Turning ICANON off makes the line
    /// being edited readable; turning it on makes pending input one line.
    pub fn set_termios(&mut self, termios: Termios) -> Events {
        let old = core::mem::replace(&mut self.termios, termios);
        let mut events = Events::default();
        if (old.c_lflag ^ termios.c_lflag) & ICANON != 0 {
            self.queue.switch_mode(self.canonical());
            self.erasing = false;
            self.lnext = false;
        }
        if old.c_iflag & IXON != 0 && !self.iflag(IXON) {
            self.start_output(&mut events);
        }
        events.wake_readers = true;
        self.hold_or_release_echo(&mut events);
        events
    }

    /// TIOCGWINSZ.
    pub fn winsize(&self) -> Winsize {
        self.winsize
    }

    /// TIOCSWINSZ: `Some(SIGWINCH)` for the foreground process group when
    /// the size changed (Linux's `tty_do_resize`).
    pub fn set_winsize(&mut self, winsize: Winsize) -> Option<Signal> {
        let changed = self.winsize != winsize;
        self.winsize = winsize;
        changed.then_some(Signal::SIGWINCH)
    }

    /// Bytes a read could return now (FIONREAD/TIOCINQ): in canonical mode
    /// only completed lines count, VEOF markers excluded.
    pub fn available(&self) -> usize {
        if self.canonical() {
            self.queue.canonical_available()
        } else {
            self.queue.len()
        }
    }

    /// POLLIN: a canonical line (or EOF) is complete; in non-canonical mode
    /// at least one byte, or VMIN bytes when VTIME is 0.
    pub fn readable(&self) -> bool {
        if self.canonical() {
            return self.queue.line_ready();
        }
        let min = usize::from(self.termios.c_cc[VMIN]);
        let wanted = if self.termios.c_cc[VTIME] == 0 && min > 0 { min } else { 1 };
        self.queue.len() >= wanted
    }

    /// Output held by VSTOP: the caller should not send program output
    /// until an [`Events::output_stopped`] of `Some(false)`.
    pub fn output_stopped(&self) -> bool {
        self.stopped
    }

    /// TOSTOP is set: a background process group writing gets SIGTTOU.
    pub fn tostop(&self) -> bool {
        self.lflag(TOSTOP)
    }

    /// Discards all input, including the line being edited (TCFLSH TCIFLUSH, TCSETSF).
    pub fn flush_input(&mut self) {
        self.queue.clear();
        self.erasing = false;
    }

    /// Program output through OPOST (ONLCR `\n` → `\r\n`, OCRNL, ONOCR,
    /// ONLRET, OLCUC, XTABS); bytes pass unchanged without OPOST. Takes
    /// `&mut self` because it tracks the cursor column used to erase tabs.
    pub fn write_output(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + data.len() / 8);
        for &c in data {
            self.columns.put(&self.termios, c, &mut out);
        }
        out
    }

    /// Feeds bytes received from the terminal.
    pub fn receive(&mut self, input: &[u8]) -> Events {
        let mut events = Events::default();
        for &c in input {
            self.receive_byte(c, &mut events);
        }
        self.hold_or_release_echo(&mut events);
        events
    }

    /// While output is stopped the echo waits (n_tty keeps it in its echo
    /// buffer); once output restarts it goes out before the new echo.
    fn hold_or_release_echo(&mut self, events: &mut Events) {
        if self.stopped {
            self.held_echo.append(&mut events.echo);
            // Bounded like n_tty's echo buffer: the oldest echo is lost.
            let excess = self.held_echo.len().saturating_sub(crate::N_TTY_BUF_SIZE);
            self.held_echo.drain(..excess);
        } else if !self.held_echo.is_empty() {
            self.held_echo.append(&mut events.echo);
            events.echo = core::mem::take(&mut self.held_echo);
        }
    }

    pub(crate) fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    fn lflag(&self, bit: u32) -> bool {
        self.termios.c_lflag & bit != 0
    }

    fn iflag(&self, bit: u32) -> bool {
        self.termios.c_iflag & bit != 0
    }

    /// `c` is the (enabled) control character `c_cc[index]`.
    fn is_cc(&self, c: u8, index: usize) -> bool {
        let value = self.termios.c_cc[index];
        value != 0 && c == value
    }

    fn receive_byte(&mut self, c: u8, events: &mut Events) {
        let mut c = c;
        if self.iflag(ISTRIP) {
            c &= 0x7f;
        }
        if self.iflag(IUCLC) && self.lflag(IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.lnext {
            self.lnext = false;
            self.queue_char(c, false, events);
            return;
        }
        if self.iflag(IXON) {
            if self.is_cc(c, VSTART) {
                self.start_output(events);
                return;
            }
            if self.is_cc(c, VSTOP) {
                if !self.stopped {
                    self.stopped = true;
                    events.output_stopped = Some(true);
                }
                return;
            }
        }
        if self.lflag(ISIG) {
            let signal = if self.is_cc(c, VINTR) {
                Some(Signal::SIGINT)
            } else if self.is_cc(c, VQUIT) {
                Some(Signal::SIGQUIT)
            } else if self.is_cc(c, VSUSP) {
                Some(Signal::SIGTSTP)
            } else {
                None
            };
            if let Some(signal) = signal {
                self.signal_char(signal, c, events);
                return;
            }
        }
        if self.stopped && self.iflag(IXON) && self.iflag(IXANY) {
            self.start_output(events);
        }
        let from_cr = c == b'\r';
        if c == b'\r' {
            if self.iflag(IGNCR) {
                return;
            }
            if self.iflag(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.iflag(INLCR) {
            c = b'\r';
        }
        if self.canonical() && self.canonical_special(c, events) {
            return;
        }
        self.queue_char(c, from_cr && c == b'\n', events);
    }

    /// An ordinary character: echo and queue it. `newline` is a CR turned
    /// into NL by ICRNL, which echoes as a newline even with ECHOCTL (a
    /// literal NL in non-canonical mode echoes as `^J`, as in Linux).
    fn queue_char(&mut self, c: u8, newline: bool, events: &mut Events) {
        let doubled = c == 0xff && self.iflag(PARMRK);
        if !self.queue.has_room(false) || (doubled && self.queue.len() + 2 >= crate::N_TTY_BUF_SIZE) {
            return; // Input queue full: dropped (Linux leaves it in the driver).
        }
        if self.lflag(ECHO) {
            self.finish_erasing(events);
            if newline {
                self.echo_raw(b'\n', events);
            } else {
                self.mark_line_start();
                self.echo_char(c, events);
            }
        }
        if doubled {
            self.queue.push(c);
        }
        self.queue.push(c);
        if !self.canonical() {
            events.wake_readers = true;
        }
    }

    /// Canonical-mode special characters; `false` if `c` is not one.
    fn canonical_special(&mut self, c: u8, events: &mut Events) -> bool {
        let iexten = self.lflag(IEXTEN);
        if self.is_cc(c, VERASE) || self.is_cc(c, VKILL) || (iexten && self.is_cc(c, VWERASE)) {
            self.eraser(c, events);
            return true;
        }
        if iexten && self.is_cc(c, VLNEXT) {
            self.lnext = true;
            if self.lflag(ECHO) {
                self.finish_erasing(events);
                if self.lflag(ECHOCTL) {
                    // "^" then back over it: the literal character overwrites it.
                    self.echo_raw(b'^', events);
                    self.echo_raw(BACKSPACE, events);
                }
            }
            return true;
        }
        if iexten && self.lflag(ECHO) && self.is_cc(c, VREPRINT) {
            self.finish_erasing(events);
            self.echo_char(c, events);
            self.echo_raw(b'\n', events);
            for i in 0..self.queue.partial_len() {
                if let Some(byte) = self.queue.partial_byte(i) {
                    self.echo_char(byte, events);
                }
            }
            return true;
        }
        if c == b'\n' {
            if self.queue.has_room(true) {
                if self.lflag(ECHO) || self.lflag(ECHONL) {
                    self.echo_raw(b'\n', events);
                }
                self.end_line(Some(c), events);
            }
            return true;
        }
        if self.is_cc(c, VEOF) {
            // Not echoed; ends the line without adding data.
            if self.queue.has_room(true) {
                self.end_line(None, events);
            }
            return true;
        }
        if self.is_cc(c, VEOL) || (iexten && self.is_cc(c, VEOL2)) {
            if self.queue.has_room(true) {
                if self.lflag(ECHO) {
                    self.mark_line_start();
                    self.echo_char(c, events);
                }
                if c == 0xff && self.iflag(PARMRK) {
                    self.queue.push(c);
                }
                self.end_line(Some(c), events);
            }
            return true;
        }
        false
    }

    fn end_line(&mut self, terminator: Option<u8>, events: &mut Events) {
        self.queue.end_line(terminator);
        events.wake_readers = true;
    }

    /// VERASE, VWERASE and VKILL on the line being edited (n_tty `eraser`).
    /// Nothing happens on an empty line: completed lines cannot be edited.
    fn eraser(&mut self, c: u8, events: &mut Events) {
        if self.queue.partial_len() == 0 {
            return;
        }
        let echo = self.lflag(ECHO);
        let kind = if self.is_cc(c, VERASE) {
            Kill::Erase
        } else if self.is_cc(c, VWERASE) {
            Kill::WordErase
        } else {
            if !echo {
                self.queue.truncate_partial(self.queue.partial_len());
                return;
            }
            if !self.lflag(ECHOK) || !self.lflag(ECHOKE) || !self.lflag(ECHOE) {
                // Echo the kill character itself (plus NL with ECHOK).
                self.queue.truncate_partial(self.queue.partial_len());
                self.finish_erasing(events);
                self.echo_char(c, events);
                if self.lflag(ECHOK) {
                    self.echo_raw(b'\n', events);
                }
                return;
            }
            Kill::Line
        };

        let mut seen_alnums = 0;
        while self.queue.partial_len() > 0 {
            let len = self.queue.partial_len();
            // One character: a UTF-8 lead byte and its continuations under IUTF8.
            let mut head = len;
            let mut ch;
            loop {
                head -= 1;
                ch = self.partial(head);
                if !is_continuation(&self.termios, ch) || head == 0 {
                    break;
                }
            }
            if is_continuation(&self.termios, ch) {
                break; // never erase half a character
            }
            if kind == Kill::WordErase {
                if is_word_char(ch) {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            if echo {
                self.echo_erase(kind, ch, head, len, events);
            }
            self.queue.truncate_partial(len - head);
            if kind == Kill::Erase {
                break;
            }
        }
        if self.queue.partial_len() == 0 && echo {
            self.finish_erasing(events);
        }
    }

    /// The echo for erasing the character `ch` at `head..len` of the line.
    fn echo_erase(&mut self, kind: Kill, ch: u8, head: usize, len: usize, events: &mut Events) {
        if self.lflag(ECHOPRT) {
            if !self.erasing {
                self.echo_raw(b'\\', events);
                self.erasing = true;
            }
            self.echo_char(ch, events);
            for i in head + 1..len {
                let byte = self.partial(i);
                self.echo_raw(byte, events);
            }
        } else if kind == Kill::Erase && !self.lflag(ECHOE) {
            let erase = self.termios.c_cc[VERASE];
            self.echo_char(erase, events);
        } else if ch == b'\t' {
            // Columns used since the previous tab or the start of the line.
            let mut chars = 0u32;
            let mut after_tab = false;
            for i in (0..head).rev() {
                let byte = self.partial(i);
                if byte == b'\t' {
                    after_tab = true;
                    break;
                } else if is_cntrl(byte) {
                    if self.lflag(ECHOCTL) {
                        chars += 2;
                    }
                } else if !is_continuation(&self.termios, byte) {
                    chars += 1;
                }
            }
            self.columns.erase_tab(chars, after_tab, &mut events.echo);
        } else {
            let ctl = self.lflag(ECHOCTL);
            // A control character echoed as "^X" takes two columns.
            let rubouts = usize::from(is_cntrl(ch) && ctl) + usize::from(!is_cntrl(ch) || ctl);
            for _ in 0..rubouts {
                for byte in [BACKSPACE, b' ', BACKSPACE] {
                    self.echo_raw(byte, events);
                }
            }
        }
    }

    fn partial(&self, i: usize) -> u8 {
        self.queue.partial_byte(i).unwrap_or(0)
    }

    /// VINTR/VQUIT/VSUSP: the signal, a flush unless NOFLSH, the echo.
    fn signal_char(&mut self, signal: Signal, c: u8, events: &mut Events) {
        if !self.lflag(NOFLSH) {
            // Linux also drops echo not yet sent and the driver's output.
            events.echo.clear();
            self.held_echo.clear();
            events.flush_output = true;
            self.flush_input();
        }
        events.signals.push(signal);
        if self.iflag(IXON) {
            self.start_output(events);
        }
        if self.lflag(ECHO) {
            self.echo_char(c, events);
        }
    }

    fn start_output(&mut self, events: &mut Events) {
        if self.stopped {
            self.stopped = false;
            events.output_stopped = Some(false);
        }
    }

    /// The first character of a line records the column it starts at.
    fn mark_line_start(&mut self) {
        if self.queue.partial_len() == 0 {
            self.columns.canon_column = self.columns.column;
        }
    }

    fn finish_erasing(&mut self, events: &mut Events) {
        if self.erasing {
            self.echo_raw(b'/', events);
            self.erasing = false;
        }
    }

    /// Echo of `c` as typed: control characters as `^X` under ECHOCTL
    /// (except TAB; NL too becomes `^J`), everything else through OPOST.
    fn echo_char(&mut self, c: u8, events: &mut Events) {
        if self.lflag(ECHOCTL) && is_cntrl(c) && c != b'\t' {
            self.columns.put_ctl(c, &mut events.echo);
        } else {
            self.echo_raw(c, events);
        }
    }

    fn echo_raw(&mut self, c: u8, events: &mut Events) {
        self.columns.put(&self.termios, c, &mut events.echo);
    }
}

/// VWERASE word characters: Linux's `isalnum` (ASCII and Latin-1 letters,
/// which also covers UTF-8 lead bytes) or `_`.
fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}
