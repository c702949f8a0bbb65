//! Terminal column width of characters, so cursor movement stays in step
//! with what the terminal draws.
//!
//! An approximation of `wcwidth`: combining marks and zero-width format
//! characters take 0 columns, East Asian wide/fullwidth characters and most
//! emoji take 2, everything else 1. Control characters never reach the line.

/// Ranges (inclusive) of characters drawn with no width of their own.
const ZERO_WIDTH: &[(u32, u32)] = &[
    (0x0300, 0x036f),
    (0x0483, 0x0489),
    (0x0591, 0x05bd),
    (0x0610, 0x061a),
    (0x064b, 0x065f),
    (0x0e31, 0x0e31),
    (0x0e34, 0x0e3a),
    (0x1ab0, 0x1aff),
    (0x1dc0, 0x1dff),
    (0x200b, 0x200f),
    (0x2060, 0x2064),
    (0x20d0, 0x20ff),
    (0xfe00, 0xfe0f),
    (0xfe20, 0xfe2f),
    (0xfeff, 0xfeff),
    (0xe0100, 0xe01ef),
];

/// Ranges (inclusive) of characters drawn two columns wide.
const DOUBLE_WIDTH: &[(u32, u32)] = &[
    (0x1100, 0x115f),
    (0x231a, 0x231b),
    (0x2329, 0x232a),
    (0x23e9, 0x23ec),
    (0x2614, 0x2615),
    (0x2e80, 0x303e),
    (0x3041, 0x33ff),
    (0x3400, 0x4dbf),
    (0x4e00, 0x9fff),
    (0xa000, 0xa4cf),
    (0xa960, 0xa97f),
    (0xac00, 0xd7a3),
    (0xf900, 0xfaff),
    (0xfe10, 0xfe19),
    (0xfe30, 0xfe6f),
    (0xff00, 0xff60),
    (0xffe0, 0xffe6),
    (0x1f300, 0x1f64f),
    (0x1f900, 0x1f9ff),
    (0x20000, 0x2fffd),
    (0x30000, 0x3fffd),
];

fn in_ranges(c: char, ranges: &[(u32, u32)]) -> bool {
    let code = u32::from(c);
    ranges
        .iter()
        .any(|&(low, high)| (low..=high).contains(&code))
}

/// Columns the terminal advances when drawing `c`.
pub fn char_width(c: char) -> usize {
    if in_ranges(c, ZERO_WIDTH) {
        0
    } else if in_ranges(c, DOUBLE_WIDTH) {
        2
    } else {
        1
    }
}

/// Columns taken by a run of characters.
pub fn chars_width(chars: &[char]) -> usize {
    chars.iter().map(|&c| char_width(c)).sum()
}

/// Columns taken by a string (for aligning shell output in columns).
pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(char_width('a'), 1);
        assert_eq!(char_width('é'), 1);
        assert_eq!(char_width('\u{301}'), 0);
        assert_eq!(char_width('中'), 2);
        assert_eq!(char_width('🎉'), 2);
        assert_eq!(chars_width(&['a', '中', '\u{301}']), 3);
        assert_eq!(str_width("e\u{301}中"), 3);
    }
}
