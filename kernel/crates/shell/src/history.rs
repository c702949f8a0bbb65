//! Bounded command history: oldest entries fall off the front, empty lines and
//! an immediate repeat of the newest entry are never stored.

use alloc::collections::VecDeque;
use alloc::string::String;

/// Number of entries a [`History`] keeps unless told otherwise.
pub const DEFAULT_HISTORY_CAPACITY: usize = 100;

/// A bounded list of previously entered lines, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    entries: VecDeque<String>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        History::new(DEFAULT_HISTORY_CAPACITY)
    }
}

impl History {
    /// An empty history holding at most `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> History {
        History {
            entries: VecDeque::new(),
            capacity,
        }
    }

    /// Records `line` unless it is empty (or only whitespace) or equal to the
    /// newest entry. Drops the oldest entry when full.
    pub fn push(&mut self, line: &str) {
        if self.capacity == 0 || line.trim().is_empty() {
            return;
        }
        if self.entries.back().map(String::as_str) == Some(line) {
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(String::from(line));
    }

    /// Entry `index`, counting from the oldest (0).
    pub fn get(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(String::as_str)
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Maximum number of entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries, oldest first (what a `history` command prints).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.entries.iter().map(String::as_str)
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn all(h: &History) -> Vec<&str> {
        h.iter().collect()
    }

    #[test]
    fn skips_empty_blank_and_consecutive_duplicates() {
        let mut h = History::default();
        h.push("");
        h.push("   ");
        h.push("ls");
        h.push("ls");
        h.push("ps");
        h.push("ls");
        assert_eq!(all(&h), ["ls", "ps", "ls"]);
        assert_eq!(h.capacity(), DEFAULT_HISTORY_CAPACITY);
    }

    #[test]
    fn bounded_drops_oldest() {
        let mut h = History::new(3);
        for line in ["a", "b", "c", "d"] {
            h.push(line);
        }
        assert_eq!(all(&h), ["b", "c", "d"]);
        assert_eq!(h.get(0), Some("b"));
        assert_eq!(h.get(3), None);
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let mut h = History::new(0);
        h.push("ls");
        assert!(h.is_empty());
    }
}
