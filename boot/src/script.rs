//! `cargo run` with standard input on a pipe: the script's keystrokes are held
//! back until the shell's first prompt appears, because bytes that reach the
//! UART while firmware and bootloader run can be lost. Output is passed
//! through, with kernel stack traces symbolized (`symbolize::Filter`).

use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::machine::PROMPT;

pub fn run_scripted(mut cmd: Command) -> io::Result<ExitStatus> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut qemu_in = child.stdin.take().ok_or_else(|| io::Error::other("no stdin pipe"))?;
    let mut qemu_out = child.stdout.take().ok_or_else(|| io::Error::other("no stdout pipe"))?;
    let (ready_tx, ready_rx) = mpsc::channel::<()>();

    let pump_out = thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut seen = Vec::new();
        let mut ready = Some(ready_tx);
        let stdout = io::stdout();
        let mut filter = crate::symbolize::Filter::for_kernel();
        while let Ok(n) = qemu_out.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut out = stdout.lock();
            let _ = out.write_all(&filter.feed(&buf[..n])).and_then(|_| out.flush());
            if ready.is_some() {
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(PROMPT.len()).any(|w| w == PROMPT.as_bytes()) {
                    ready.take().map(|tx| tx.send(()));
                }
            }
        }
    });
    thread::spawn(move || {
        if ready_rx.recv().is_err() {
            return; // QEMU ended before the prompt.
        }
        let _ = io::copy(&mut io::stdin().lock(), &mut qemu_in);
        // Keep QEMU's stdin open: closing it is not a power-off.
        std::mem::forget(qemu_in);
    });
    let status = child.wait();
    let _ = pump_out.join();
    status
}

/// `cargo run` on a terminal: the terminal stays QEMU's standard input (raw
/// keys, Ctrl-A for the monitor); its output reaches the terminal through
/// the stack-trace symbolizer.
pub fn run_interactive(mut cmd: Command) -> io::Result<ExitStatus> {
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut qemu_out = child.stdout.take().ok_or_else(|| io::Error::other("no stdout pipe"))?;
    let pump_out = thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut filter = crate::symbolize::Filter::for_kernel();
        let stdout = io::stdout();
        while let Ok(n) = qemu_out.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut out = stdout.lock();
            let _ = out.write_all(&filter.feed(&buf[..n])).and_then(|_| out.flush());
        }
    });
    let status = child.wait();
    let _ = pump_out.join();
    status
}
