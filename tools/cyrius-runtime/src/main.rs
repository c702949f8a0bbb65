//! `cyrius-runtime`: an OCI runtime with runc's command line that runs each
//! container in its own Cyrius microVM (QEMU), for Podman (`--runtime`),
//! Docker, conmon and containerd's runc shim.
//!
//! Modules: `cli` (runc's flags, messages and exit codes), `disk` (the
//! bundle disk the guest boots with), `monitor` (the per-container host
//! process that owns QEMU and is the container's pid), `channel` (the
//! agent protocol), `state` (what `--root` holds), `sys` (libc wrappers).

mod channel;
mod cli;
mod commands;
mod disk;
mod monitor;
mod state;
mod sys;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cli::main(&args));
}
