//! Prints the Linux syscall compatibility table of Cyrius (Markdown) from
//! the same declaration the kernel dispatches from (`linux_syscalls!`).
//!
//! - `syscall-table`: print the table;
//! - `syscall-table --write FILE`: replace the generated table in FILE
//!   (between its marker lines, as in `docs/syscalls.md`);
//! - `syscall-table --implemented`: the numbers of the implemented
//!   syscalls, one per line (for scripts/syscall-coverage).

use linux_abi::syscalls::{markdown, refresh_doc, Support, TABLE};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => print!("{}", markdown()),
        ["--implemented"] => {
            for e in TABLE.iter().filter(|e| e.support != Support::Missing) {
                println!("{}", e.nr);
            }
        }
        ["--write", path] => {
            let doc = std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
            let new = refresh_doc(&doc).unwrap_or_else(|| fail(&format!("{path}: the table's marker lines are missing")));
            std::fs::write(path, new).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
        }
        _ => fail("usage: syscall-table [--implemented | --write FILE]"),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("syscall-table: {message}");
    std::process::exit(2);
}
