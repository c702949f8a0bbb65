//! `cargo run --bin bench -- [--quick] [--runs N] [--out DIR]`: Cyrius against
//! Linux + runc in the same QEMU. Prints the table, writes bench.csv and bench.svg.
//! Exit status 1 when any measurement failed, 2 on bad usage or setup.

use std::process::ExitCode;

use cyrius::bench::{self, options::USAGE, Options};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match Options::parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("bench: {msg}");
            return ExitCode::from(2);
        }
    };
    let report = match bench::run(&options, &mut |line| eprintln!("{line}")) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("bench: {msg}");
            return ExitCode::from(2);
        }
    };
    println!("{}", report.table());
    if let Err(msg) = report.write_files(&options.out) {
        eprintln!("bench: {msg}");
        return ExitCode::from(2);
    }
    println!("wrote {}/bench.csv and bench.svg", options.out.display());
    let failures = report.failures();
    for f in &failures {
        eprintln!("bench: failed: {f}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
