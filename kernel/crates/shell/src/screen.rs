//! Test-only model of a VT100 screen: interprets exactly the output subset
//! the editor emits, so tests can check what the user would see.

use alloc::string::String;
use alloc::vec::Vec;

use crate::width::char_width;

/// Marks the second cell of a double-width character.
const CONTINUATION: char = '\0';

#[derive(Default)]
pub struct Screen {
    rows: Vec<Vec<char>>,
    pub row: usize,
    pub col: usize,
}

impl Screen {
    fn current(&mut self) -> &mut Vec<char> {
        while self.rows.len() <= self.row {
            self.rows.push(Vec::new());
        }
        &mut self.rows[self.row]
    }

    fn put(&mut self, c: char) {
        let width = char_width(c);
        if width == 0 {
            return;
        }
        let col = self.col;
        let row = self.current();
        while row.len() < col + width {
            row.push(' ');
        }
        row[col] = c;
        if width == 2 {
            row[col + 1] = CONTINUATION;
        }
        self.col += width;
    }

    /// Text of row `index` as displayed.
    pub fn row_text(&self, index: usize) -> String {
        self.rows.get(index).map_or_else(String::new, |r| {
            r.iter().filter(|&&c| c != CONTINUATION).collect()
        })
    }

    pub fn current_text(&self) -> String {
        self.row_text(self.row)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        let text = core::str::from_utf8(bytes).expect("editor output is UTF-8");
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => self.col = 0,
                '\n' => self.row += 1,
                '\x08' => self.col = self.col.saturating_sub(1),
                '\x07' => {}
                '\x1b' => {
                    assert_eq!(chars.next(), Some('['), "only CSI output expected");
                    let mut digits = String::new();
                    while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        digits.push(d);
                        chars.next();
                    }
                    let n: usize = if digits.is_empty() {
                        1
                    } else {
                        digits.parse().unwrap()
                    };
                    assert!(n > 0, "zero-count moves are ambiguous on a VT100");
                    match chars.next() {
                        Some('D') => {
                            self.col = self.col.checked_sub(n).expect("cursor moved past column 0")
                        }
                        Some('C') => self.col += n,
                        Some('K') => {
                            let col = self.col;
                            self.current().truncate(col);
                        }
                        Some('H') => (self.row, self.col) = (0, 0),
                        Some('J') => {
                            assert_eq!(digits, "2");
                            self.rows.clear();
                        }
                        other => panic!("unexpected CSI final {other:?}"),
                    }
                }
                c if c.is_control() => panic!("unexpected control {c:?}"),
                c => self.put(c),
            }
        }
    }
}
