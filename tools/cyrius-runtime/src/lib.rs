//! `cyrius-runtime`: an OCI runtime with runc's command line that runs each
//! container in its own Cyrius microVM (QEMU), for Podman (`--runtime`),
//! Docker, conmon and containerd's runc shim; and the library the
//! containerd shim v2 (`tools/containerd-shim-cyrius`) is built on.
//!
//! Modules: `api` (the verbs as library calls), `cli` + `commands` (runc's
//! flags, messages and exit codes), `disk` (the bundle disk the guest boots
//! with), `monitor` (the per-container host process that owns QEMU and is
//! the container's pid), `channel` (the agent protocol), `state` (what
//! `--root` holds), `sys` (libc wrappers).

pub mod api;
pub mod channel;
pub mod cli;
mod commands;
pub mod disk;
pub mod monitor;
pub mod state;
pub mod sys;

/// The runc-style command line: runs `args` (without the program name)
/// and returns the exit status. A process started as a container's
/// monitor runs the monitor instead.
pub fn main(args: &[String]) -> i32 {
    if let Some(code) = monitor::main_if_requested() {
        return code;
    }
    cli::main(args)
}
