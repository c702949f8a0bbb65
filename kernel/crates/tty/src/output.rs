//! Output processing (OPOST) and the cursor column n_tty tracks for it
//! (`do_output_char`, and the column side of `__process_echoes`).
//!
//! The column is what lets an erased tab be rubbed out with the right number
//! of backspaces: `column` is the cursor's column as far as this line
//! discipline knows, `canon_column` the column where the line being edited
//! started (after the program's prompt).

use alloc::vec::Vec;

use linux_abi::structs::{
    Termios, IUTF8, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY, XTABS,
};

/// `iscntrl` of the Linux kernel's ctype table: 0..=31 and DEL only.
pub(crate) fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// A UTF-8 continuation byte under IUTF8 (it takes no column).
pub(crate) fn is_continuation(t: &Termios, c: u8) -> bool {
    t.c_iflag & IUTF8 != 0 && c & 0xc0 == 0x80
}

#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct Columns {
    pub column: u32,
    pub canon_column: u32,
}

impl Columns {
    /// One byte of program output or echo, through OPOST when it is set.
    pub fn put(&mut self, t: &Termios, c: u8, out: &mut Vec<u8>) {
        if t.c_oflag & OPOST == 0 {
            out.push(c);
            return;
        }
        let o = t.c_oflag;
        let mut c = c;
        match c {
            b'\n' => {
                if o & ONLRET != 0 {
                    self.column = 0;
                }
                if o & ONLCR != 0 {
                    self.column = 0;
                    self.canon_column = 0;
                    out.extend_from_slice(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if o & ONOCR != 0 && self.column == 0 {
                    return;
                }
                if o & OCRNL != 0 {
                    c = b'\n';
                    if o & ONLRET != 0 {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if o & TABDLY == XTABS {
                    out.extend(core::iter::repeat(b' ').take(spaces as usize));
                    return;
                }
            }
            0x08 => self.column = self.column.saturating_sub(1),
            _ => {
                if !is_cntrl(c) {
                    if o & OLCUC != 0 {
                        c = c.to_ascii_uppercase();
                    }
                    if !is_continuation(t, c) {
                        self.column += 1;
                    }
                }
            }
        }
        out.push(c);
    }

    /// A control character echoed as `^X` (`^?` for DEL); never post-processed.
    pub fn put_ctl(&mut self, c: u8, out: &mut Vec<u8>) {
        out.push(b'^');
        out.push(c ^ 0o100);
        self.column += 2;
    }

    /// Backspaces over an erased tab. `chars` counts the columns used by the
    /// characters between the tab and the previous tab (`after_tab`) or the
    /// start of the line.
    pub fn erase_tab(&mut self, chars: u32, after_tab: bool, out: &mut Vec<u8>) {
        let chars = if after_tab { chars & 7 } else { (chars & 7) + self.canon_column };
        for _ in 0..8 - (chars & 7) {
            out.push(0x08);
            self.column = self.column.saturating_sub(1);
        }
    }
}
