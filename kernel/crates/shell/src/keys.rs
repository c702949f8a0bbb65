//! Terminal input decoding: turns the byte stream a VT100/xterm terminal (or a
//! script) sends into editing keys.
//!
//! Handles UTF-8 assembly, CSI (`ESC [ params final`) and SS3 (`ESC O final`)
//! sequences with their parameters, Alt (`ESC key`) chords, the emacs control
//! keys and CR / LF / CRLF line ends (a CRLF pair is one `Enter`). Sequences
//! that mean nothing to the editor are consumed whole and yield no key. A C0
//! control byte inside an unfinished sequence aborts it and is then handled as
//! itself, so Ctrl-C always gets through.

/// One editing action decoded from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A printable character to insert.
    Char(char),
    /// CR, LF or CRLF.
    Enter,
    /// DEL (0x7f) or BS (0x08): delete before the cursor.
    Backspace,
    /// `ESC[3~`: delete under the cursor.
    Delete,
    /// Ctrl-D: end of input on an empty line, else delete under the cursor.
    EofOrDelete,
    Left,
    Right,
    /// Alt-b, Ctrl-Left.
    WordLeft,
    /// Alt-f, Ctrl-Right.
    WordRight,
    Home,
    End,
    /// Up arrow, Ctrl-P.
    HistoryPrev,
    /// Down arrow, Ctrl-N.
    HistoryNext,
    /// Ctrl-U.
    KillToStart,
    /// Ctrl-K.
    KillToEnd,
    /// Ctrl-W: back to the previous whitespace (readline `unix-word-rubout`).
    KillUnixWordBack,
    /// Alt-Backspace: back to the start of an alphanumeric word.
    KillWordBack,
    /// Alt-d.
    KillWordForward,
    /// Ctrl-L.
    ClearScreen,
    /// Ctrl-C.
    Interrupt,
}

const ESC: u8 = 0x1b;
const DEL: u8 = 0x7f;
const BS: u8 = 0x08;
const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// Parameters kept per CSI sequence; further ones are parsed but dropped.
const MAX_PARAMS: usize = 4;

/// Where the decoder is inside a multi-byte input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    /// Saw ESC.
    Escape,
    /// Inside `ESC [`.
    Csi(CsiParams),
    /// Inside `ESC O`.
    Ss3,
    /// Inside a UTF-8 sequence: bytes so far and the total length expected.
    Utf8 {
        bytes: [u8; 4],
        have: u8,
        need: u8,
    },
}

/// Numeric parameters of a CSI sequence (`ESC [ 1 ; 5 C` has `[1, 5]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct CsiParams {
    values: [u16; MAX_PARAMS],
    /// Index of the parameter being accumulated.
    current: usize,
    /// A private marker (`<=>?`) or intermediate byte was seen: not a key we know.
    unusual: bool,
}

impl CsiParams {
    fn push_byte(&mut self, byte: u8) {
        match byte {
            b'0'..=b'9' => {
                if let Some(value) = self.values.get_mut(self.current) {
                    *value = value
                        .saturating_mul(10)
                        .saturating_add(u16::from(byte - b'0'));
                }
            }
            b';' | b':' => self.current = self.current.saturating_add(1),
            // Private markers `<=>?` and intermediates 0x20..=0x2f.
            _ => self.unusual = true,
        }
    }

    /// Parameter `index`, with 0 (omitted) read as the default 1.
    fn get(&self, index: usize) -> u16 {
        match self.values.get(index).copied() {
            Some(0) | None => 1,
            Some(value) => value,
        }
    }

    fn has_modifier(&self) -> bool {
        self.current >= 1 && self.get(1) > 1
    }
}

/// Byte-at-a-time terminal input decoder.
#[derive(Clone, Debug)]
pub struct KeyDecoder {
    state: State,
    /// The previous byte was CR: a following LF completes the same Enter.
    after_cr: bool,
}

impl Default for KeyDecoder {
    fn default() -> Self {
        KeyDecoder::new()
    }
}

impl KeyDecoder {
    pub fn new() -> KeyDecoder {
        KeyDecoder {
            state: State::Ground,
            after_cr: false,
        }
    }

    /// Feeds one input byte; returns the key it completes, if any.
    pub fn feed(&mut self, byte: u8) -> Option<Key> {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match self.state {
            State::Ground if after_cr && byte == LF => None,
            State::Ground => self.ground(byte),
            State::Escape => self.escape(byte),
            State::Csi(params) => self.csi(params, byte),
            State::Ss3 => self.ss3(byte),
            State::Utf8 { bytes, have, need } => self.utf8(bytes, have, need, byte),
        }
    }

    fn ground(&mut self, byte: u8) -> Option<Key> {
        self.state = State::Ground;
        match byte {
            0x01 => Some(Key::Home),
            0x02 => Some(Key::Left),
            0x03 => Some(Key::Interrupt),
            0x04 => Some(Key::EofOrDelete),
            0x05 => Some(Key::End),
            0x06 => Some(Key::Right),
            BS | DEL => Some(Key::Backspace),
            0x0b => Some(Key::KillToEnd),
            0x0c => Some(Key::ClearScreen),
            CR => {
                self.after_cr = true;
                Some(Key::Enter)
            }
            LF => Some(Key::Enter),
            0x0e => Some(Key::HistoryNext),
            0x10 => Some(Key::HistoryPrev),
            0x15 => Some(Key::KillToStart),
            0x17 => Some(Key::KillUnixWordBack),
            ESC => {
                self.state = State::Escape;
                None
            }
            0x20..=0x7e => Some(Key::Char(char::from(byte))),
            0xc2..=0xdf => self.start_utf8(byte, 2),
            0xe0..=0xef => self.start_utf8(byte, 3),
            0xf0..=0xf4 => self.start_utf8(byte, 4),
            // Other C0 controls (Tab included) and invalid UTF-8 lead bytes.
            _ => None,
        }
    }

    fn start_utf8(&mut self, lead: u8, need: u8) -> Option<Key> {
        self.state = State::Utf8 {
            bytes: [lead, 0, 0, 0],
            have: 1,
            need,
        };
        None
    }

    fn utf8(&mut self, mut bytes: [u8; 4], have: u8, need: u8, byte: u8) -> Option<Key> {
        if !(0x80..=0xbf).contains(&byte) {
            // Truncated sequence: drop it and treat this byte afresh.
            return self.ground(byte);
        }
        let index = usize::from(have);
        let Some(slot) = bytes.get_mut(index) else {
            return self.ground(byte);
        };
        *slot = byte;
        let have = have.saturating_add(1);
        if have < need {
            self.state = State::Utf8 { bytes, have, need };
            return None;
        }
        self.state = State::Ground;
        let complete = bytes.get(..usize::from(need))?;
        // from_utf8 rejects overlong forms, surrogates and values past U+10FFFF.
        let c = core::str::from_utf8(complete).ok()?.chars().next()?;
        // C1 controls are not printable.
        (!c.is_control()).then_some(Key::Char(c))
    }

    fn escape(&mut self, byte: u8) -> Option<Key> {
        self.state = State::Ground;
        match byte {
            b'[' => {
                self.state = State::Csi(CsiParams::default());
                None
            }
            b'O' => {
                self.state = State::Ss3;
                None
            }
            b'b' | b'B' => Some(Key::WordLeft),
            b'f' | b'F' => Some(Key::WordRight),
            b'd' | b'D' => Some(Key::KillWordForward),
            DEL | BS => Some(Key::KillWordBack),
            // Any other Alt chord is swallowed.
            0x20..=0x7e => None,
            // ESC ESC, a control byte or non-ASCII: the first ESC stood alone.
            _ => self.ground(byte),
        }
    }

    fn csi(&mut self, mut params: CsiParams, byte: u8) -> Option<Key> {
        match byte {
            0x20..=0x3f => {
                params.push_byte(byte);
                self.state = State::Csi(params);
                None
            }
            0x40..=0x7e => {
                self.state = State::Ground;
                if params.unusual {
                    None
                } else {
                    csi_key(&params, byte)
                }
            }
            _ => self.ground(byte),
        }
    }

    fn ss3(&mut self, byte: u8) -> Option<Key> {
        match byte {
            // Some terminals put a modifier digit before the final byte.
            b'0'..=b'9' | b';' => None,
            0x40..=0x7e => {
                self.state = State::Ground;
                cursor_key(byte, false)
            }
            _ => self.ground(byte),
        }
    }
}

/// The key a complete, well-formed CSI sequence stands for.
fn csi_key(params: &CsiParams, final_byte: u8) -> Option<Key> {
    if final_byte == b'~' {
        return match params.get(0) {
            1 | 7 => Some(Key::Home),
            3 => Some(Key::Delete),
            4 | 8 => Some(Key::End),
            // Insert, PageUp/Down, F-keys, bracketed-paste markers.
            _ => None,
        };
    }
    cursor_key(final_byte, params.has_modifier())
}

/// Arrow / Home / End finals shared by CSI and SS3; a modifier (Ctrl, Alt)
/// turns Left/Right into word moves.
fn cursor_key(final_byte: u8, modified: bool) -> Option<Key> {
    match (final_byte, modified) {
        (b'A', _) => Some(Key::HistoryPrev),
        (b'B', _) => Some(Key::HistoryNext),
        (b'C', false) => Some(Key::Right),
        (b'D', false) => Some(Key::Left),
        (b'C', true) => Some(Key::WordRight),
        (b'D', true) => Some(Key::WordLeft),
        (b'H', _) => Some(Key::Home),
        (b'F', _) => Some(Key::End),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Vec<Key> {
        let mut d = KeyDecoder::new();
        bytes.iter().filter_map(|&b| d.feed(b)).collect()
    }

    #[test]
    fn printable_and_utf8() {
        assert_eq!(decode(b"a~"), [Key::Char('a'), Key::Char('~')]);
        assert_eq!(
            decode("é中🎉".as_bytes()),
            [Key::Char('é'), Key::Char('中'), Key::Char('🎉')]
        );
    }

    #[test]
    fn invalid_utf8_is_dropped_without_eating_the_next_byte() {
        // Overlong, surrogate, stray continuation, truncated lead then ASCII.
        assert_eq!(decode(b"\xc0\xaf\xed\xa0\x80\x80x"), [Key::Char('x')]);
        assert_eq!(decode(b"\xc3y"), [Key::Char('y')]);
        assert_eq!(decode(b"\xe4\xb8\x03"), [Key::Interrupt]);
        // U+0085 (NEL) is a C1 control.
        assert_eq!(decode(b"\xc2\x85"), []);
    }

    #[test]
    fn line_ends() {
        assert_eq!(decode(b"\r\n"), [Key::Enter]);
        assert_eq!(decode(b"\r"), [Key::Enter]);
        assert_eq!(decode(b"\n\n"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\r\r\n"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\n\r"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\ra\n"), [Key::Enter, Key::Char('a'), Key::Enter]);
    }

    #[test]
    fn cursor_sequences() {
        assert_eq!(
            decode(b"\x1b[D\x1b[C\x1bOD\x1bOC"),
            [Key::Left, Key::Right, Key::Left, Key::Right]
        );
        assert_eq!(
            decode(b"\x1b[A\x1b[B\x1bOA"),
            [Key::HistoryPrev, Key::HistoryNext, Key::HistoryPrev]
        );
        assert_eq!(
            decode(b"\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1bOH\x1bOF"),
            [
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Home,
                Key::End
            ]
        );
        assert_eq!(decode(b"\x1b[3~"), [Key::Delete]);
        assert_eq!(
            decode(b"\x1b[1;5D\x1b[1;3C"),
            [Key::WordLeft, Key::WordRight]
        );
        assert_eq!(decode(b"\x1b[1;1D"), [Key::Left]);
    }

    #[test]
    fn control_keys() {
        let expected = [
            Key::Home,
            Key::Left,
            Key::Interrupt,
            Key::EofOrDelete,
            Key::End,
            Key::Right,
            Key::Backspace,
            Key::KillToEnd,
            Key::ClearScreen,
            Key::HistoryNext,
            Key::HistoryPrev,
            Key::KillToStart,
            Key::KillUnixWordBack,
            Key::Backspace,
        ];
        assert_eq!(
            decode(b"\x01\x02\x03\x04\x05\x06\x08\x0b\x0c\x0e\x10\x15\x17\x7f"),
            expected
        );
        assert_eq!(decode(b"\t\x07\x00"), []);
    }

    #[test]
    fn alt_chords() {
        assert_eq!(
            decode(b"\x1bb\x1bf\x1bd\x1b\x7f\x1bz"),
            [
                Key::WordLeft,
                Key::WordRight,
                Key::KillWordForward,
                Key::KillWordBack
            ]
        );
    }

    #[test]
    fn unknown_sequences_are_swallowed_whole() {
        // F5, PageUp with modifiers, bracketed paste markers, a private-mode report,
        // a huge parameter, F1 via SS3 and an SGR mouse report.
        let noise =
            b"\x1b[15~\x1b[5;5~\x1b[200~x\x1b[201~\x1b[?1;2c\x1b[99999999999D\x1bOP\x1b[<0;10;20M";
        assert_eq!(decode(noise), [Key::Char('x'), Key::Left]);
    }

    #[test]
    fn control_byte_aborts_a_sequence() {
        assert_eq!(decode(b"\x1b[12\x03a"), [Key::Interrupt, Key::Char('a')]);
        assert_eq!(decode(b"\x1b\x1b[D"), [Key::Left]);
        assert_eq!(decode(b"\x1b\r"), [Key::Enter]);
    }

    proptest! {
        #[test]
        fn never_panics_and_recovers(noise in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut d = KeyDecoder::new();
            for b in noise {
                let _ = d.feed(b);
            }
            // Whatever state the noise left, a C0 control byte brings it back to ground.
            let _ = d.feed(0x03);
            prop_assert_eq!(d.feed(b'q'), Some(Key::Char('q')));
        }
    }
}
