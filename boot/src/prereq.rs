//! Prerequisites that cargo cannot fetch. Each missing one is reported in one
//! line that names the exact command to run.

use std::process::{Command, Stdio};

pub const QEMU: &str = "qemu-system-x86_64";

/// Ok, or the one-line message for the user.
pub fn check_qemu() -> Result<(), String> {
    let found = Command::new(QEMU)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        return Err(format!("{QEMU} not found: run `scripts/setup` (or `apt-get install -y qemu-system-x86`)"));
    }
    // The PVH boot's firmware; Debian's qemu-system-data ships it.
    if !std::path::Path::new(crate::qemu::QBOOT).is_file() {
        return Err(format!(
            "{} not found: run `scripts/setup` (or `apt-get install -y qemu-system-data`), or boot with `--boot bios`",
            crate::qemu::QBOOT
        ));
    }
    Ok(())
}
