//! The line editor: applies decoded keys to the line buffer, walks the
//! history, and emits the terminal bytes that keep the screen in step.
//!
//! Screen invariant (after every `feed`): the terminal row shows prompt +
//! line and the terminal cursor sits at the buffer cursor, provided the row
//! was showing prompt + line before and the line fits the terminal width.

use alloc::string::String;
use alloc::vec::Vec;

use crate::buffer::{LineBuffer, DEFAULT_LINE_CAPACITY};
use crate::history::{History, DEFAULT_HISTORY_CAPACITY};
use crate::keys::{Key, KeyDecoder};
use crate::term;
use crate::width::chars_width;

/// What a completed input means to the shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Enter was pressed; the line (possibly empty) is handed over and
    /// recorded in the history.
    Line(String),
    /// Ctrl-C: the line was discarded and `^C` + newline echoed.
    Interrupt,
    /// Ctrl-D on an empty line: end of input (a newline is echoed).
    Eof,
}

/// Where Up/Down browsing currently is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Browse {
    /// Editing the line being typed.
    Live,
    /// Showing history entry `index`; `live` is the line being typed, kept
    /// for when the user comes back down.
    Entry { index: usize, live: String },
}

/// An interactive line editor for a VT100/xterm terminal on a byte stream.
///
/// Feed it every received byte; write back what it puts in `out`. It never
/// prints the prompt by itself except while redrawing: call [`LineEditor::redraw`]
/// to show the prompt for a new line or after other output overwrote the row.
#[derive(Clone, Debug)]
pub struct LineEditor {
    prompt: String,
    line: LineBuffer,
    history: History,
    browse: Browse,
    keys: KeyDecoder,
}

impl LineEditor {
    /// An editor with the default history (100 entries) and line capacity.
    pub fn new(prompt: &str) -> LineEditor {
        LineEditor::with_limits(prompt, DEFAULT_HISTORY_CAPACITY, DEFAULT_LINE_CAPACITY)
    }

    /// An editor keeping `history_entries` lines of history and accepting
    /// lines of up to `line_chars` characters (further typing is ignored).
    pub fn with_limits(prompt: &str, history_entries: usize, line_chars: usize) -> LineEditor {
        LineEditor {
            prompt: String::from(prompt),
            line: LineBuffer::new(line_chars),
            history: History::new(history_entries),
            browse: Browse::Live,
            keys: KeyDecoder::new(),
        }
    }

    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Changes the prompt; takes effect at the next redraw.
    pub fn set_prompt(&mut self, prompt: &str) {
        self.prompt = String::from(prompt);
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn history_mut(&mut self) -> &mut History {
        &mut self.history
    }

    /// The line as currently edited.
    pub fn line(&self) -> String {
        self.line.text()
    }

    /// Cursor position in characters from the start of the line.
    pub fn cursor(&self) -> usize {
        self.line.cursor()
    }

    /// Draws prompt and line on the current row (used to show the prompt for a
    /// fresh line, or after other output interrupted the line).
    pub fn redraw(&self, out: &mut Vec<u8>) {
        term::redraw_line(out, &self.prompt, &self.line);
    }

    /// Processes one input byte. `out` receives exactly the bytes to send to
    /// the terminal; the return value is set when a line is complete.
    pub fn feed(&mut self, byte: u8, out: &mut Vec<u8>) -> Option<Event> {
        let key = self.keys.feed(byte)?;
        self.apply(key, out)
    }

    fn apply(&mut self, key: Key, out: &mut Vec<u8>) -> Option<Event> {
        match key {
            Key::Char(c) => self.insert(c, out),
            Key::Enter => return Some(self.accept(out)),
            Key::Interrupt => {
                self.reset();
                out.extend_from_slice(term::INTERRUPT_ECHO);
                return Some(Event::Interrupt);
            }
            Key::EofOrDelete if self.line.is_empty() => {
                self.reset();
                out.extend_from_slice(term::NEWLINE);
                return Some(Event::Eof);
            }
            Key::EofOrDelete | Key::Delete => self.edit(out, LineBuffer::delete),
            Key::Backspace => self.edit(out, LineBuffer::backspace),
            Key::Left => self.move_cursor(self.line.left_of_cursor(), out),
            Key::Right => self.move_cursor(self.line.right_of_cursor(), out),
            Key::WordLeft => self.move_cursor(self.line.word_left(), out),
            Key::WordRight => self.move_cursor(self.line.word_right(), out),
            Key::Home => self.move_cursor(0, out),
            Key::End => self.move_cursor(self.line.len(), out),
            Key::KillToStart => self.edit(out, |line| line.kill_to(0)),
            Key::KillToEnd => self.edit(out, |line| line.kill_to(line.len())),
            Key::KillUnixWordBack => self.edit(out, |line| line.kill_to(line.unix_word_left())),
            Key::KillWordBack => self.edit(out, |line| line.kill_to(line.word_left())),
            Key::KillWordForward => self.edit(out, |line| line.kill_to(line.word_right())),
            Key::HistoryPrev => self.history_prev(out),
            Key::HistoryNext => self.history_next(out),
            Key::ClearScreen => term::clear_and_redraw(out, &self.prompt, &self.line),
        }
        None
    }

    /// Clears the line and leaves history browsing.
    fn reset(&mut self) {
        self.line.clear();
        self.browse = Browse::Live;
    }

    fn accept(&mut self, out: &mut Vec<u8>) -> Event {
        let text = self.line.text();
        self.reset();
        self.history.push(&text);
        out.extend_from_slice(term::NEWLINE);
        Event::Line(text)
    }

    fn insert(&mut self, c: char, out: &mut Vec<u8>) {
        let appending = self.line.at_end();
        if !self.line.insert(c) {
            return;
        }
        if appending {
            term::echo_char(out, c);
        } else {
            self.redraw(out);
        }
    }

    /// Runs an edit on the line and redraws if it changed anything.
    fn edit(&mut self, out: &mut Vec<u8>, change: impl FnOnce(&mut LineBuffer) -> bool) {
        if change(&mut self.line) {
            self.redraw(out);
        }
    }

    fn move_cursor(&mut self, target: usize, out: &mut Vec<u8>) {
        let from = self.line.cursor();
        let chars = self.line.chars();
        if target < from {
            term::cursor_left(out, chars.get(target..from).map_or(0, chars_width));
        } else {
            term::cursor_right(out, chars.get(from..target).map_or(0, chars_width));
        }
        self.line.move_to(target);
    }

    fn show_history_entry(&mut self, index: usize, live: String, out: &mut Vec<u8>) {
        let Some(entry) = self.history.get(index) else {
            return;
        };
        self.line.set(entry);
        self.browse = Browse::Entry { index, live };
        self.redraw(out);
    }

    fn history_prev(&mut self, out: &mut Vec<u8>) {
        match core::mem::replace(&mut self.browse, Browse::Live) {
            Browse::Live => {
                if let Some(newest) = self.history.len().checked_sub(1) {
                    self.show_history_entry(newest, self.line.text(), out);
                }
            }
            Browse::Entry { index, live } => match index.checked_sub(1) {
                Some(older) => self.show_history_entry(older, live, out),
                // Already at the oldest entry: stay there.
                None => self.browse = Browse::Entry { index, live },
            },
        }
    }

    fn history_next(&mut self, out: &mut Vec<u8>) {
        let Browse::Entry { index, live } = core::mem::replace(&mut self.browse, Browse::Live)
        else {
            return;
        };
        let newer = index.saturating_add(1);
        if newer < self.history.len() {
            self.show_history_entry(newer, live, out);
        } else {
            self.line.set(&live);
            self.redraw(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::Screen;
    use crate::width::str_width;
    use alloc::vec;
    use proptest::prelude::*;

    const PROMPT: &str = "cyrius$ ";
    const LEFT: &str = "\x1b[D";
    const RIGHT: &str = "\x1b[C";
    const UP: &str = "\x1b[A";
    const DOWN: &str = "\x1b[B";

    /// An editor whose prompt is already on a simulated screen.
    struct Session {
        editor: LineEditor,
        screen: Screen,
        events: Vec<Event>,
    }

    impl Session {
        fn new() -> Session {
            let editor = LineEditor::new(PROMPT);
            let mut screen = Screen::default();
            let mut out = Vec::new();
            editor.redraw(&mut out);
            screen.write(&out);
            Session {
                editor,
                screen,
                events: Vec::new(),
            }
        }

        /// Types `input`; after each completed line shows a fresh prompt like
        /// the shell does, and checks the screen matches the editor after
        /// every byte.
        fn type_str(&mut self, input: &str) -> &mut Session {
            for &byte in input.as_bytes() {
                let mut out = Vec::new();
                let event = self.editor.feed(byte, &mut out);
                self.screen.write(&out);
                if let Some(event) = event {
                    self.events.push(event);
                    let mut prompt = Vec::new();
                    self.editor.redraw(&mut prompt);
                    self.screen.write(&prompt);
                }
                self.assert_screen_in_step();
            }
            self
        }

        fn assert_screen_in_step(&self) {
            let line = self.editor.line();
            let expected: String = alloc::format!("{PROMPT}{line}")
                .chars()
                .filter(|&c| char_width(c) > 0)
                .collect();
            assert_eq!(self.screen.current_text(), expected);
            let before: String = line.chars().take(self.editor.cursor()).collect();
            assert_eq!(
                self.screen.col,
                str_width(PROMPT) + str_width(&before),
                "cursor column for {line:?}"
            );
        }

        fn lines(&self) -> Vec<String> {
            self.events
                .iter()
                .filter_map(|e| match e {
                    Event::Line(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        }
    }

    use crate::width::char_width;

    fn output_of(editor: &mut LineEditor, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in input {
            editor.feed(b, &mut out);
        }
        out
    }

    #[test]
    fn insert_in_the_middle() {
        let mut s = Session::new();
        s.type_str(&alloc::format!("abc{LEFT}{LEFT}X\r"));
        assert_eq!(s.lines(), ["aXbc"]);
    }

    #[test]
    fn exact_echo_bytes() {
        let mut e = LineEditor::new("$ ");
        assert_eq!(output_of(&mut e, b"ab"), b"ab");
        assert_eq!(output_of(&mut e, b"\x1b[D"), b"\x1b[D");
        assert_eq!(output_of(&mut e, b"X"), b"\r$ aXb\x1b[K\x1b[D");
        assert_eq!(output_of(&mut e, b"\x7f"), b"\r$ ab\x1b[K\x1b[D");
        assert_eq!(output_of(&mut e, b"\r\n"), b"\r\n");
        assert_eq!(output_of(&mut e, b"\x03"), b"^C\r\n");
        assert_eq!(output_of(&mut e, b"\x04"), b"\r\n");
        // Cursor keys at the edges of the line send nothing.
        assert_eq!(output_of(&mut e, b"\x1b[D\x1b[C\x7f\x1b[3~"), b"");
    }

    #[test]
    fn line_end_variants_give_one_line_each() {
        let mut s = Session::new();
        s.type_str("a\r\nb\rc\nd\r\r\n");
        assert_eq!(s.lines(), ["a", "b", "c", "d", ""]);
    }

    #[test]
    fn ctrl_c_discards_the_line() {
        let mut s = Session::new();
        s.type_str("rm -rf /\x03ls\r");
        assert_eq!(s.events, [Event::Interrupt, Event::Line("ls".into())]);
        assert_eq!(s.editor.history().iter().collect::<Vec<_>>(), ["ls"]);
    }

    #[test]
    fn ctrl_d_is_eof_only_on_an_empty_line() {
        let mut s = Session::new();
        s.type_str(&alloc::format!("ab{LEFT}\x04\x04\x04\r\x04"));
        assert_eq!(s.events, [Event::Line("a".into()), Event::Eof]);
    }

    #[test]
    fn utf8_backspace_removes_the_whole_char() {
        let mut s = Session::new();
        s.type_str("caf\u{e9}\x7f\r");
        assert_eq!(s.lines(), ["caf"]);
        s.type_str(&alloc::format!("中文{LEFT}\x08x\r"));
        assert_eq!(s.lines(), ["caf", "x文"]);
    }

    #[test]
    fn delete_home_end_and_kills() {
        let mut s = Session::new();
        s.type_str("hello world\x01\x1b[3~\x05!\r");
        s.type_str(&alloc::format!("hello world\x1b[1~{RIGHT}{RIGHT}\x0b\r"));
        s.type_str(&alloc::format!(
            "hello world\x1b[H{RIGHT}{RIGHT}\x1b[F{LEFT}{LEFT}\x15\r"
        ));
        s.type_str("echo foo bar  \x17\x17baz\r");
        s.type_str("echo foo-bar\x1bb\x1bb\x1bd\x1b[4~ \x1b\x7fX\r");
        assert_eq!(
            s.lines(),
            ["ello world!", "he", "ld", "echo baz", "echo -X"]
        );
    }

    #[test]
    fn word_moves() {
        let mut s = Session::new();
        s.type_str("one two three\x1b[1;5D\x1b[1;5D_\x1b[1;5C_\r");
        assert_eq!(s.lines(), ["one _two_ three"]);
    }

    #[test]
    fn history_walk_keeps_the_typed_line() {
        let mut s = Session::new();
        s.type_str("first\rsecond\rsecond\r\r");
        assert_eq!(
            s.editor.history().iter().collect::<Vec<_>>(),
            ["first", "second"]
        );
        s.type_str(&alloc::format!("dra{UP}"));
        assert_eq!(s.editor.line(), "second");
        s.type_str(&alloc::format!("{UP}{UP}{UP}"));
        assert_eq!(s.editor.line(), "first");
        s.type_str(DOWN);
        assert_eq!(s.editor.line(), "second");
        s.type_str(&alloc::format!("{DOWN}{DOWN}"));
        assert_eq!(s.editor.line(), "dra");
        s.type_str(&alloc::format!("ft{UP}{UP}!\r"));
        assert_eq!(s.lines().last().map(String::as_str), Some("first!"));
        // Enter resets browsing; Up now starts from the newest entry.
        s.type_str("\x10");
        assert_eq!(s.editor.line(), "first!");
        s.type_str("\x0e");
        assert_eq!(s.editor.line(), "");
    }

    #[test]
    fn up_with_no_history_does_nothing() {
        let mut s = Session::new();
        s.type_str(&alloc::format!("abc{UP}{DOWN}"));
        assert_eq!(s.editor.line(), "abc");
    }

    #[test]
    fn clear_screen_redraws_prompt_and_line() {
        let mut s = Session::new();
        s.type_str(&alloc::format!("\r\rls -l{LEFT}{LEFT}\x0c"));
        assert_eq!((s.screen.row, s.screen.col), (0, PROMPT.len() + 3));
        assert_eq!(s.screen.row_text(0), "cyrius$ ls -l");
    }

    #[test]
    fn prompt_change_and_redraw_after_foreign_output() {
        let mut s = Session::new();
        s.type_str(&alloc::format!("abc{LEFT}"));
        s.screen.write(b"\r\nkernel: link up\r\n");
        s.editor.set_prompt("# ");
        let mut out = Vec::new();
        s.editor.redraw(&mut out);
        assert_eq!(out, b"\r# abc\x1b[K\x1b[D");
    }

    #[test]
    fn line_capacity_ignores_extra_input() {
        let mut e = LineEditor::with_limits("", 1, 3);
        let mut out = Vec::new();
        let events: Vec<_> = b"abcdef\r"
            .iter()
            .filter_map(|&b| e.feed(b, &mut out))
            .collect();
        assert_eq!(events, [Event::Line("abc".into())]);
        assert_eq!(out, b"abc\r\n");
    }

    #[test]
    fn unknown_escapes_do_not_leak_into_the_line() {
        let mut s = Session::new();
        s.type_str("a\x1b[15~\x1b[?25h\x1bOPb\x1b[200~c\x1b[201~\r");
        assert_eq!(s.lines(), ["abc"]);
    }

    fn keystroke() -> impl Strategy<Value = &'static str> {
        let keys = vec![
            "a",
            "b",
            " ",
            "-",
            "\u{e9}",
            "中",
            "e\u{301}",
            LEFT,
            RIGHT,
            UP,
            DOWN,
            "\x1bOD",
            "\x01",
            "\x05",
            "\x7f",
            "\x08",
            "\x1b[3~",
            "\x04",
            "\x15",
            "\x0b",
            "\x17",
            "\x0c",
            "\x1bb",
            "\x1bf",
            "\x1bd",
            "\x1b\x7f",
            "\r",
            "\n",
            "\r\n",
            "\x03",
            "\x1b[1;5C",
            "\x1b[5~",
        ];
        proptest::sample::select(keys)
    }

    proptest! {
        #[test]
        fn screen_always_matches_the_buffer(strokes in proptest::collection::vec(keystroke(), 0..60)) {
            let mut s = Session::new();
            for stroke in strokes {
                s.type_str(stroke);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut e = LineEditor::with_limits("> ", 4, 16);
            let mut out = Vec::new();
            for b in bytes {
                e.feed(b, &mut out);
            }
            prop_assert!(e.line().chars().count() <= 16);
            prop_assert!(core::str::from_utf8(&out).is_ok());
        }
    }
}
