//! The built-in host shell on the serial console.
//!
//! Role: read lines with the `shell` crate's editor (history, cursor keys),
//! split them into words, run a command from the table in `commands`.
//! Invariants: a bad command or argument prints one line and the shell goes
//! on; nothing a user types can panic the kernel (except `crash`, on purpose).
//! May call: every layer below it.

mod commands;

use alloc::string::String;
use alloc::vec::Vec;
use shell::{parse, Event, LineEditor};

pub const PROMPT: &str = "cyrius# ";

pub fn run() -> ! {
    crate::println!("\nCyrius {} — type `help` for commands.", crate::VERSION);
    let mut editor = LineEditor::new(PROMPT);
    let mut out = Vec::with_capacity(256);
    editor.redraw(&mut out);
    flush(&mut out);
    loop {
        let byte = crate::console::input::read_blocking();
        let event = editor.feed(byte, &mut out);
        flush(&mut out);
        match event {
            Some(Event::Line(line)) => execute(&line),
            Some(Event::Interrupt) | Some(Event::Eof) | None => {
                if event.is_none() {
                    continue;
                }
            }
        }
        editor.redraw(&mut out);
        flush(&mut out);
    }
}

fn flush(out: &mut Vec<u8>) {
    if !out.is_empty() {
        crate::console::write_bytes(out);
        out.clear();
    }
}

fn execute(line: &str) {
    let words: Vec<String> = match parse(line) {
        Ok(words) => words,
        Err(e) => {
            crate::println!("sh: {e}");
            return;
        }
    };
    let Some((name, args)) = words.split_first() else { return };
    match commands::find(name) {
        Some(cmd) => {
            if let Err(msg) = (cmd.run)(args) {
                crate::println!("{}: {msg}", cmd.name);
            }
        }
        None => crate::println!("{name}: command not found (try `help`)"),
    }
}
