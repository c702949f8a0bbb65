//! The input queue: received bytes waiting for read(2), with canonical line
//! boundaries (n_tty's `read_buf` + `read_flags` + `canon_head`).
//!
//! Invariants: at most [`N_TTY_BUF_SIZE`] cells; the first `committed` cells
//! are completed lines, each ending in a `LineEnd` or `Eof` cell; the cells
//! after them are the line being edited. In non-canonical mode `committed` is
//! 0 and no cell is marked.

use alloc::collections::VecDeque;

/// Size of Linux's n_tty read buffer. Ordinary input stops one short of it, so
/// the last slot can always take a canonical line terminator.
pub const N_TTY_BUF_SIZE: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mark {
    Plain,
    /// Ends a canonical line; the byte is part of the data (`\n`, VEOL...).
    LineEnd,
    /// A VEOF marker: ends a canonical line but is not data.
    Eof,
}

#[derive(Clone, Copy, Debug)]
struct Cell {
    byte: u8,
    mark: Mark,
}

/// Outcome of copying from the queue in canonical mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LineRead {
    /// Nothing is readable: no completed line.
    Empty,
    /// `n` bytes copied (a line, or its first `n` bytes if the buffer was short).
    Data(usize),
    /// The next line is an empty one ended by VEOF: end of file.
    Eof,
}

#[derive(Default)]
pub(crate) struct InputQueue {
    cells: VecDeque<Cell>,
    committed: usize,
}

impl InputQueue {
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Room for one more byte: ordinary data stops at `N_TTY_BUF_SIZE - 1`;
    /// a canonical line terminator may use the last slot.
    pub fn has_room(&self, terminator: bool) -> bool {
        let limit = if terminator { N_TTY_BUF_SIZE } else { N_TTY_BUF_SIZE - 1 };
        self.cells.len() < limit
    }

    /// Appends an ordinary byte (the caller checked [`Self::has_room`]).
    pub fn push(&mut self, byte: u8) {
        self.cells.push_back(Cell { byte, mark: Mark::Plain });
    }

    /// Appends a line terminator (`Some(byte)`) or a VEOF marker (`None`)
    /// and makes the whole pending line readable.
    pub fn end_line(&mut self, byte: Option<u8>) {
        let cell = match byte {
            Some(byte) => Cell { byte, mark: Mark::LineEnd },
            None => Cell { byte: 0, mark: Mark::Eof },
        };
        self.cells.push_back(cell);
        self.committed = self.cells.len();
    }

    /// Length of the line being edited (canonical mode).
    pub fn partial_len(&self) -> usize {
        self.cells.len() - self.committed
    }

    /// Byte `i` of the line being edited.
    pub fn partial_byte(&self, i: usize) -> Option<u8> {
        self.cells.get(self.committed + i).map(|cell| cell.byte)
    }

    /// Drops the last `n` bytes of the line being edited.
    pub fn truncate_partial(&mut self, n: usize) {
        let keep = self.cells.len().saturating_sub(n).max(self.committed);
        self.cells.truncate(keep);
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.committed = 0;
    }

    /// Turning ICANON on or off (n_tty_set_termios): line marks are dropped;
    /// VEOF markers become NUL bytes, as in Linux. Entering canonical mode
    /// with pending input makes all of it one readable line.
    pub fn switch_mode(&mut self, canonical: bool) {
        for cell in self.cells.iter_mut() {
            cell.mark = Mark::Plain;
        }
        self.committed = 0;
        if canonical {
            if let Some(last) = self.cells.back_mut() {
                last.mark = Mark::LineEnd;
                self.committed = self.cells.len();
            }
        }
    }

    /// A completed line (or EOF) is waiting: canonical readers may return.
    pub fn line_ready(&self) -> bool {
        self.committed > 0
    }

    /// Readable data bytes in canonical mode (completed lines minus VEOF
    /// markers), as Linux's TIOCINQ reports.
    pub fn canonical_available(&self) -> usize {
        self.cells.iter().take(self.committed).filter(|cell| cell.mark != Mark::Eof).count()
    }

    /// Copies at most one line into `buf` (canonical read). The terminator
    /// is copied unless it is a VEOF marker; a line longer than `buf` is
    /// returned in pieces. When `buf` is filled right up to a VEOF marker,
    /// the marker is consumed too (Linux's `canon_skip_eof`), so the next
    /// read does not report a spurious end of file.
    pub fn read_line(&mut self, buf: &mut [u8]) -> LineRead {
        if self.committed == 0 {
            return LineRead::Empty;
        }
        if let Some(first) = self.cells.front() {
            if first.mark == Mark::Eof {
                self.pop_front();
                return LineRead::Eof;
            }
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(cell) = self.cells.front().copied() else { break };
            if cell.mark == Mark::Eof {
                self.pop_front();
                return LineRead::Data(n);
            }
            buf[n] = cell.byte;
            n += 1;
            self.pop_front();
            if cell.mark == Mark::LineEnd {
                return LineRead::Data(n);
            }
        }
        if self.committed > 0 && self.cells.front().is_some_and(|cell| cell.mark == Mark::Eof) {
            self.pop_front();
        }
        LineRead::Data(n)
    }

    /// Copies up to `buf.len()` bytes (non-canonical read).
    pub fn read_raw(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            let Some(cell) = self.pop_front() else { break };
            buf[n] = cell.byte;
            n += 1;
        }
        n
    }

    fn pop_front(&mut self) -> Option<Cell> {
        let cell = self.cells.pop_front()?;
        self.committed = self.committed.saturating_sub(1);
        Some(cell)
    }
}
