//! Builds the kernel (a nested cargo build of `kernel/` for x86_64-cyrius.json,
//! in its own target dir) and wraps it into a BIOS disk image with the
//! `bootloader` crate. The image path reaches the runner as CYRIUS_BIOS_IMAGE,
//! the kernel QEMU loads directly (PVH boot) as CYRIUS_BOOT_KERNEL.
//!
//! Why nested: cargo's artifact dependencies panic together with build-std
//! (see ARCHITECTURE.md), so the kernel is its own workspace with its own
//! `.cargo/config.toml`, and we run cargo in that directory.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.parent().expect("boot/ has a parent").to_path_buf();
    let kernel_dir = root.join("kernel");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));

    for watched in ["kernel/src", "kernel/foundation", "kernel/crates", "kernel/Cargo.toml", "kernel/.cargo", "kernel/build.rs", "kernel/linker.ld", "x86_64-cyrius.json", "userland"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let kernel = build_kernel(&root, &kernel_dir);
    let booted = stripped_copy(&kernel, &out_dir);
    let image = out_dir.join("cyrius-bios.img");
    // The bootloader's own log: warnings only, and never drawn on the frame
    // buffer (pixel-by-pixel text is slow under TCG).
    let mut boot_config = bootloader::BootConfig::default();
    boot_config.log_level = bootloader_boot_config::LevelFilter::Warn;
    boot_config.frame_buffer_logging = false;
    bootloader::BiosBoot::new(&booted)
        .set_boot_config(&boot_config)
        .create_disk_image(&image)
        .unwrap_or_else(|e| panic!("creating the BIOS disk image failed: {e:#}"));
    println!("cargo:rustc-env=CYRIUS_KERNEL_ELF={}", kernel.display());
    println!("cargo:rustc-env=CYRIUS_BOOT_KERNEL={}", booted.display());
    println!("cargo:rustc-env=CYRIUS_BIOS_IMAGE={}", image.display());
}

/// The kernel without its symbol table (about a fifth of the file), for the
/// disk image: the BIOS loader reads every byte of the kernel file with BIOS
/// disk calls, ~0.45 s per MB under TCG. The unstripped ELF stays where cargo
/// put it (CYRIUS_KERNEL_ELF), for `addr2line` on a panic's stack trace.
/// Without llvm-objcopy (the `llvm-tools-preview` component) the image gets
/// the unstripped kernel and the build says so.
fn stripped_copy(kernel: &Path, out_dir: &Path) -> PathBuf {
    let stripped = out_dir.join("cyrius-kernel.stripped");
    let objcopy = llvm_tool("llvm-objcopy");
    let ok = objcopy.as_ref().is_some_and(|tool| {
        Command::new(tool)
            .arg("--strip-all")
            .arg(kernel)
            .arg(&stripped)
            .status()
            .is_ok_and(|s| s.success())
    });
    if ok {
        stripped
    } else {
        println!("cargo:warning=llvm-objcopy not found (rustup component add llvm-tools-preview): booting the unstripped kernel");
        kernel.to_path_buf()
    }
}

/// A tool of the `llvm-tools-preview` component, found in the sysroot of the rustc cargo uses.
fn llvm_tool(name: &str) -> Option<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc).args(["--print", "sysroot"]).output().ok()?;
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout).ok()?.trim());
    let host = std::env::var("HOST").ok()?;
    let tool = sysroot.join("lib/rustlib").join(host).join("bin").join(name);
    tool.exists().then_some(tool)
}

/// Runs `cargo build --release` inside kernel/ with a clean environment.
fn build_kernel(root: &Path, kernel_dir: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = root.join("target").join("kernel");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(kernel_dir)
        .args(["build", "--release", "--target-dir"])
        .arg(&target_dir);
    // The outer build's flags and jobserver are not the kernel's business.
    for var in [
        "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_TARGET_DIR", "MAKEFLAGS", "CARGO_MAKEFLAGS",
        "MFLAGS", "CARGO_BUILD_TARGET", "RUSTC", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER",
        "RUSTDOC", "CARGO_BUILD_RUSTFLAGS", "CARGO_PRIMARY_PACKAGE", "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH", "DEBUG", "OPT_LEVEL", "PROFILE", "TARGET", "HOST", "OUT_DIR",
        "NUM_JOBS", "CARGO_PKG_NAME",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("could not run cargo for the kernel: {e}"));
    if !status.success() {
        panic!("building the kernel failed ({status}); run `cd kernel && cargo build --release` to see why");
    }
    target_dir.join("x86_64-cyrius").join("release").join("cyrius-kernel")
}
