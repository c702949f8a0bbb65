//! Builds the kernel (a nested cargo build of `kernel/` for x86_64-cyrius.json,
//! in its own target dir) and wraps it into a BIOS disk image with the
//! `bootloader` crate. The image path reaches the runner as CYRIUS_BIOS_IMAGE.
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

    for watched in ["kernel/src", "kernel/crates", "kernel/Cargo.toml", "kernel/.cargo", "x86_64-cyrius.json", "userland"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let kernel = build_kernel(&root, &kernel_dir);
    let image = out_dir.join("cyrius-bios.img");
    // The bootloader's own log: warnings only, and never drawn on the frame
    // buffer (pixel-by-pixel text is slow under TCG).
    let mut boot_config = bootloader::BootConfig::default();
    boot_config.log_level = bootloader_boot_config::LevelFilter::Warn;
    boot_config.frame_buffer_logging = false;
    bootloader::BiosBoot::new(&kernel)
        .set_boot_config(&boot_config)
        .create_disk_image(&image)
        .unwrap_or_else(|e| panic!("creating the BIOS disk image failed: {e:#}"));
    println!("cargo:rustc-env=CYRIUS_KERNEL_ELF={}", kernel.display());
    println!("cargo:rustc-env=CYRIUS_BIOS_IMAGE={}", image.display());
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
