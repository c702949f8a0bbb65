//! The line being edited: characters plus a cursor, and the editing operations
//! on them. Knows nothing about terminals.
//!
//! Invariant: `cursor <= chars.len() <= capacity`.

use alloc::string::String;
use alloc::vec::Vec;

/// Characters a line may hold unless told otherwise.
pub const DEFAULT_LINE_CAPACITY: usize = 4096;

/// An editable line of characters with a cursor (an insertion point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineBuffer {
    chars: Vec<char>,
    cursor: usize,
    capacity: usize,
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::new(DEFAULT_LINE_CAPACITY)
    }
}

/// Word characters for Alt-b / Alt-f / Alt-d, as in readline.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

impl LineBuffer {
    /// An empty line holding at most `capacity` characters.
    pub fn new(capacity: usize) -> LineBuffer {
        LineBuffer {
            chars: Vec::new(),
            cursor: 0,
            capacity,
        }
    }

    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Characters before the cursor.
    pub fn before_cursor(&self) -> &[char] {
        self.chars.get(..self.cursor).unwrap_or(&[])
    }

    /// Characters from the cursor on.
    pub fn after_cursor(&self) -> &[char] {
        self.chars.get(self.cursor..).unwrap_or(&[])
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn at_end(&self) -> bool {
        self.cursor == self.chars.len()
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Replaces the whole line (truncated to capacity), cursor at the end.
    pub fn set(&mut self, text: &str) {
        self.chars = text.chars().take(self.capacity).collect();
        self.cursor = self.chars.len();
    }

    /// Empties the line.
    pub fn clear(&mut self) {
        self.chars.clear();
        self.cursor = 0;
    }

    /// Inserts `c` at the cursor; false if the line is full.
    pub fn insert(&mut self, c: char) -> bool {
        if self.chars.len() >= self.capacity {
            return false;
        }
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
        true
    }

    /// Deletes the character before the cursor; false if there is none.
    pub fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.cursor -= 1;
        self.chars.remove(self.cursor);
        true
    }

    /// Deletes the character under the cursor; false if there is none.
    pub fn delete(&mut self) -> bool {
        if self.at_end() {
            return false;
        }
        self.chars.remove(self.cursor);
        true
    }

    /// Moves the cursor to `position` (clamped to the line).
    pub fn move_to(&mut self, position: usize) {
        self.cursor = position.min(self.chars.len());
    }

    /// Position one character left of the cursor.
    pub fn left_of_cursor(&self) -> usize {
        self.cursor.saturating_sub(1)
    }

    /// Position one character right of the cursor.
    pub fn right_of_cursor(&self) -> usize {
        self.cursor.saturating_add(1).min(self.chars.len())
    }

    /// Start of the word left of the cursor (readline `backward-word`).
    pub fn word_left(&self) -> usize {
        let before = self.before_cursor();
        let end = before
            .iter()
            .rposition(|&c| is_word_char(c))
            .map_or(0, |i| i + 1);
        before
            .get(..end)
            .and_then(|s| s.iter().rposition(|&c| !is_word_char(c)))
            .map_or(0, |i| i + 1)
    }

    /// End of the word right of the cursor (readline `forward-word`).
    pub fn word_right(&self) -> usize {
        let after = self.after_cursor();
        let start = after
            .iter()
            .position(|&c| is_word_char(c))
            .unwrap_or(after.len());
        let rest = after.get(start..).unwrap_or(&[]);
        let len = rest
            .iter()
            .position(|&c| !is_word_char(c))
            .unwrap_or(rest.len());
        self.cursor + start + len
    }

    /// Start of the whitespace-delimited word before the cursor (Ctrl-W,
    /// readline `unix-word-rubout`).
    pub fn unix_word_left(&self) -> usize {
        let before = self.before_cursor();
        let end = before
            .iter()
            .rposition(|c| !c.is_whitespace())
            .map_or(0, |i| i + 1);
        before
            .get(..end)
            .and_then(|s| s.iter().rposition(|c| c.is_whitespace()))
            .map_or(0, |i| i + 1)
    }

    /// Deletes between the cursor and `position` (either side); the cursor
    /// ends at the start of the deleted range. Returns whether anything went.
    pub fn kill_to(&mut self, position: usize) -> bool {
        let position = position.min(self.chars.len());
        let (start, end) = if position < self.cursor {
            (position, self.cursor)
        } else {
            (self.cursor, position)
        };
        if start == end {
            return false;
        }
        self.chars.drain(start..end);
        self.cursor = start;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(text: &str, cursor: usize) -> LineBuffer {
        let mut b = LineBuffer::default();
        b.set(text);
        b.move_to(cursor);
        b
    }

    #[test]
    fn insert_and_delete_at_cursor() {
        let mut b = buffer("abc", 1);
        assert!(b.insert('X'));
        assert_eq!((b.text().as_str(), b.cursor()), ("aXbc", 2));
        assert!(b.backspace());
        assert!(b.delete());
        assert_eq!((b.text().as_str(), b.cursor()), ("ac", 1));
        b.move_to(0);
        assert!(!b.backspace());
        b.move_to(99);
        assert_eq!(b.cursor(), 2);
        assert!(!b.delete());
    }

    #[test]
    fn capacity_is_enforced() {
        let mut b = LineBuffer::new(2);
        assert!(b.insert('a') && b.insert('b'));
        assert!(!b.insert('c'));
        b.set("xyz");
        assert_eq!(b.text(), "xy");
    }

    #[test]
    fn word_motions() {
        let b = buffer("echo  foo-bar baz", 13);
        assert_eq!(b.word_left(), 10);
        assert_eq!(b.unix_word_left(), 6);
        let b = buffer("echo  foo-bar baz  ", 19);
        assert_eq!(b.unix_word_left(), 14);
        let b = buffer("echo  foo-bar", 4);
        assert_eq!(b.word_right(), 9);
        let b = buffer("  ", 2);
        assert_eq!((b.word_left(), b.unix_word_left()), (0, 0));
        assert_eq!(b.word_right(), 2);
    }

    #[test]
    fn kill_either_direction() {
        let mut b = buffer("hello world", 5);
        assert!(b.kill_to(0));
        assert_eq!((b.text().as_str(), b.cursor()), (" world", 0));
        assert!(b.kill_to(3));
        assert_eq!((b.text().as_str(), b.cursor()), ("rld", 0));
        assert!(!b.kill_to(0));
    }
}
