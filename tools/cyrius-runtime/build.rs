//! Builds the guest agent (`userland/host/agent.c`, a host-world program:
//! no libc, ELF OSABI byte 0xC7) that every microVM runs; `main.rs` embeds
//! it and puts it on each bundle disk.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../..");
    let src = root.join("userland/host/agent.c");
    println!("cargo:rerun-if-changed={}", src.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("agent");
    let status = Command::new("gcc")
        .args(["-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-pie", "-no-pie", "-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("running gcc for the guest agent: {e} (apt-get install gcc)"));
    assert!(status.success(), "building {} failed", src.display());
    let mut bytes = std::fs::read(&out).expect("read the built agent");
    bytes[7] = 0xc7; // ELF OSABI: a host-world program
    std::fs::write(&out, bytes).expect("write the agent");
    println!("cargo:rustc-env=CYRIUS_AGENT={}", out.display());
}
