//! VT100 output: the exact bytes that draw the prompt and line and move the
//! cursor. Every function appends to `out` and never emits a zero-count
//! cursor move (VT100 reads `ESC[0D` as one column).

use alloc::vec::Vec;

use crate::buffer::LineBuffer;
use crate::width::chars_width;

/// Ends the current line on Enter.
pub const NEWLINE: &[u8] = b"\r\n";
/// Echo for Ctrl-C.
pub const INTERRUPT_ECHO: &[u8] = b"^C\r\n";
/// Cursor home, then erase the whole screen.
const CLEAR_SCREEN: &[u8] = b"\x1b[H\x1b[2J";
/// Erase from the cursor to the end of the line.
const CLEAR_TO_EOL: &[u8] = b"\x1b[K";

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            // n % 10 < 10, so the cast cannot truncate.
            *slot = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits.iter().take(len).rev());
}

fn cursor_move(out: &mut Vec<u8>, columns: usize, final_byte: u8) {
    if columns == 0 {
        return;
    }
    out.extend_from_slice(b"\x1b[");
    if columns > 1 {
        push_decimal(out, columns);
    }
    out.push(final_byte);
}

/// Moves the cursor `columns` to the left.
pub fn cursor_left(out: &mut Vec<u8>, columns: usize) {
    cursor_move(out, columns, b'D');
}

/// Moves the cursor `columns` to the right.
pub fn cursor_right(out: &mut Vec<u8>, columns: usize) {
    cursor_move(out, columns, b'C');
}

fn push_chars(out: &mut Vec<u8>, chars: &[char]) {
    let mut utf8 = [0u8; 4];
    for c in chars {
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

/// Echoes one character typed at the end of the line.
pub fn echo_char(out: &mut Vec<u8>, c: char) {
    push_chars(out, &[c]);
}

/// Rewrites the current terminal row: `\r`, prompt, line, erase the rest,
/// then steps back so the terminal cursor sits at the buffer's cursor.
pub fn redraw_line(out: &mut Vec<u8>, prompt: &str, line: &LineBuffer) {
    out.push(b'\r');
    out.extend_from_slice(prompt.as_bytes());
    push_chars(out, line.chars());
    out.extend_from_slice(CLEAR_TO_EOL);
    cursor_left(out, chars_width(line.after_cursor()));
}

/// Clears the screen and draws prompt and line at the top.
pub fn clear_and_redraw(out: &mut Vec<u8>, prompt: &str, line: &LineBuffer) {
    out.extend_from_slice(CLEAR_SCREEN);
    redraw_line(out, prompt, line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_moves() {
        let mut out = Vec::new();
        cursor_left(&mut out, 0);
        cursor_left(&mut out, 1);
        cursor_right(&mut out, 12);
        cursor_left(&mut out, usize::MAX);
        let expected = alloc::format!("\x1b[D\x1b[12C\x1b[{}D", usize::MAX);
        assert_eq!(out, expected.as_bytes());
    }

    #[test]
    fn redraw_mid_line() {
        let mut line = LineBuffer::default();
        line.set("aXbc");
        line.move_to(2);
        let mut out = Vec::new();
        redraw_line(&mut out, "$ ", &line);
        assert_eq!(out, b"\r$ aXbc\x1b[K\x1b[2D");
    }
}
