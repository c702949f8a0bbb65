//! The built-in host shell on the serial console.
//!
//! Role: read lines with the `shell` crate's editor (history, cursor keys),
//! split them into words, apply `>`/`>>` redirection and a `time` prefix, and run a command from
//! the table in `commands` against a [`Session`] (cwd and credentials in the
//! host namespace).
//! Invariants: a bad command or argument prints one line and the shell goes
//! on; nothing a user types can panic the kernel (except `crash`, on purpose).
//! May call: every layer below it.

mod commands;
mod output;

use alloc::string::String;
use alloc::vec::Vec;
use shell::{parse, Event, LineEditor};
use vfs::{Cred, Location};

pub use output::Out;

pub const PROMPT: &str = "cyrius# ";

/// The shell's state between commands.
pub struct Session {
    pub cwd: Location,
    pub cred: Cred,
}

pub fn run() -> ! {
    crate::println!("\nCyrius {} — type `help` for commands.", crate::VERSION);
    let mut session = Session { cwd: crate::fs::host().root(), cred: crate::fs::root_cred() };
    let mut editor = LineEditor::new(PROMPT);
    let mut echo = Vec::with_capacity(256);
    editor.redraw(&mut echo);
    flush(&mut echo);
    loop {
        let byte = crate::console::input::read_blocking();
        let event = editor.feed(byte, &mut echo);
        flush(&mut echo);
        match event {
            None => continue,
            Some(Event::Line(line)) => execute(&mut session, &line),
            Some(Event::Interrupt) | Some(Event::Eof) => {}
        }
        editor.redraw(&mut echo);
        flush(&mut echo);
    }
}

fn flush(out: &mut Vec<u8>) {
    if !out.is_empty() {
        crate::console::write_bytes(out);
        out.clear();
    }
}

/// Where a command's output goes: `> file`, `>> file`, or the console.
struct Redirect {
    path: String,
    append: bool,
}

/// Splits a trailing `> file` / `>> file` off the words.
fn take_redirect(words: &mut Vec<String>) -> Result<Option<Redirect>, String> {
    let Some(pos) = words.iter().position(|w| w == ">" || w == ">>") else { return Ok(None) };
    if pos + 2 != words.len() {
        return Err(String::from("sh: syntax error: a redirection takes one file name, at the end"));
    }
    let path = words.pop().unwrap_or_default();
    let append = words.pop().is_some_and(|op| op == ">>");
    Ok(Some(Redirect { path, append }))
}

fn execute(session: &mut Session, line: &str) {
    let mut words: Vec<String> = match parse(line) {
        Ok(words) => words,
        Err(e) => {
            crate::println!("sh: {e}");
            return;
        }
    };
    let redirect = match take_redirect(&mut words) {
        Ok(r) => r,
        Err(msg) => {
            crate::println!("{msg}");
            return;
        }
    };
    let timed = words.first().is_some_and(|w| w == "time");
    if timed {
        words.remove(0);
    }
    let started = crate::time::uptime_ms();
    let Some((name, args)) = words.split_first() else { return };
    let Some(cmd) = commands::find(name) else {
        crate::println!("{name}: command not found (try `help`)");
        return;
    };
    let mut out = if redirect.is_some() { Out::buffer() } else { Out::Console };
    if let Err(msg) = (cmd.run)(session, args, &mut out) {
        crate::println!("{}: {msg}", cmd.name);
    }
    if let (Some(r), Out::Buffer(data)) = (redirect, out) {
        if let Err(e) = output::write_to_file(session, &r.path, &data, r.append) {
            crate::println!("sh: {}: {e}", r.path);
        }
    }
    if timed {
        let ms = crate::time::uptime_ms() - started;
        crate::println!("real {}.{:03}s", ms / 1000, ms % 1000);
    }
}
