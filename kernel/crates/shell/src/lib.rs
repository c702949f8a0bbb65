//! The Cyrius host shell's input side: a line editor for a serial console,
//! a POSIX-sh-like word parser and the argument helpers shell commands share.
//!
//! Role: hardware-independent logic behind the kernel's built-in shell. The
//! kernel feeds every byte received on the console to [`LineEditor::feed`] and
//! writes back the bytes it returns; completed lines go through [`parse`] and
//! each command parses its arguments with [`Flags`] and [`parse_size`].
//!
//! Invariants: no `unsafe`; no input can make this crate panic; all output is
//! valid UTF-8 made of printable text, CR, LF and the CSI sequences `ESC[K`,
//! `ESC[<n>D`, `ESC[<n>C`, `ESC[H`, `ESC[2J` (plain VT100).
//! Depends on: `alloc` and the shared `errno` crate only.
//!
//! Summary of the API:
//! - [`LineEditor`] (`new(prompt)`, `with_limits`, `feed(byte, &mut out) ->
//!   Option<Event>`, `redraw(&mut out)`, `set_prompt`, `history()`): emacs-style
//!   editing (arrows, Home/End, Delete, Ctrl-A/E/B/F/U/K/W/L/P/N, Alt-b/f/d),
//!   UTF-8 input, CR / LF / CRLF all ending one line. [`Event`] is `Line`,
//!   `Interrupt` (Ctrl-C, echoes `^C\r\n`) or `Eof` (Ctrl-D on an empty line).
//! - [`History`]: bounded (default 100), skips blank lines and repeats.
//! - [`parse`] → words, or a [`ParseError`] for an unterminated quote.
//! - [`Flags::parse`] with [`Flag`] specs (GNU getopt-style messages) and
//!   [`parse_size`] (`4096`, `512K`, `64M`, `1G`, `2T`).
//! - Known gaps: lines wider than the terminal are not wrapped (the terminal's
//!   width is unknown on a serial line); character widths approximate wcwidth.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod buffer;
mod decimal;
mod editor;
mod flags;
mod history;
mod keys;
#[cfg(test)]
mod screen;
mod size;
mod term;
mod width;
mod words;

pub use decimal::{parse_millis, Tenths};
pub use editor::{Event, LineEditor};
pub use flags::{Flag, FlagError, Flags};
pub use history::{History, DEFAULT_HISTORY_CAPACITY};
pub use size::{parse_size, SizeError};
pub use width::{char_width, str_width};
pub use words::{parse, ParseError};
