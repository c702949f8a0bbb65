//! Where things are: the built boot image, the repository, the build folder.

use std::path::PathBuf;

/// The BIOS disk image `boot/build.rs` made (kernel + bootloader).
pub fn bios_image() -> PathBuf {
    PathBuf::from(env!("CYRIUS_BIOS_IMAGE"))
}

/// The kernel ELF QEMU's `-kernel` loads for the PVH boot (the same file as
/// in the BIOS image: without its symbol table).
pub fn boot_kernel() -> PathBuf {
    PathBuf::from(env!("CYRIUS_BOOT_KERNEL"))
}

/// The kernel ELF with its symbols (for symbolizing stack traces).
pub fn kernel_elf() -> PathBuf {
    PathBuf::from(env!("CYRIUS_KERNEL_ELF"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// `build/` at the repository root: data disks and images made at run time.
pub fn build_dir() -> PathBuf {
    repo_root().join("build")
}
