//! The Linux guest: built by `scripts/linux-guest` (kernel + initramfs from Debian
//! packages, cached under `build/linux/`), booted with Cyrius' QEMU flags.

use std::path::PathBuf;
use std::process::Command;

use crate::qemu::QemuConfig;

/// What the guest's /init prints first (the "init reached" milestone).
pub const INIT_MARKER: &str = "cyrius-bench: init reached";
/// What the container /init runs at boot prints (its process is `echo hello`).
pub const CONTAINER_OUTPUT: &str = "hello";
/// The guest shell's prompt (PS1 in /init).
pub const PROMPT: &str = "linux# ";
/// The kernel command line: console on the serial port, few kernel messages.
pub const CMDLINE: &str = "console=ttyS0 quiet";

/// The built guest.
#[derive(Clone, Debug)]
pub struct LinuxImages {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
}

/// Builds the guest (or finds it up to date). `Err` says why it cannot be had,
/// e.g. `apt-get download` failing without a network.
pub fn prepare() -> Result<LinuxImages, String> {
    let script = crate::paths::repo_root().join("scripts/linux-guest");
    let out = Command::new(&script).output().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(stderr.lines().last().unwrap_or("scripts/linux-guest failed").to_string());
    }
    let path = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key).map(|p| PathBuf::from(p.trim())))
            .filter(|p| p.is_file())
            .ok_or_else(|| format!("scripts/linux-guest did not report a {}", key.trim()))
    };
    Ok(LinuxImages { kernel: path("kernel ")?, initramfs: path("initramfs ")? })
}

/// Cyrius' QEMU command for `config`, with its boot drive (the IDE disk holding
/// the bootloader image) replaced by the Linux kernel and initramfs: every other
/// flag (machine, CPU, TCG, memory, VGA, virtio-blk data disk, network) is the same.
pub fn command(config: &QemuConfig, images: &LinuxImages) -> Command {
    let cyrius = config.command();
    let mut cmd = Command::new(cyrius.get_program());
    let mut args = cyrius.get_args().peekable();
    while let Some(arg) = args.next() {
        let boot_drive = arg == "-drive" && args.peek().is_some_and(|v| v.to_string_lossy().starts_with("if=ide,"));
        if boot_drive {
            args.next();
        } else {
            cmd.arg(arg);
        }
    }
    cmd.arg("-kernel").arg(&images.kernel).arg("-initrd").arg(&images.initramfs).args(["-append", CMDLINE]);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_command_keeps_every_flag_but_the_boot_drive() {
        let config = QemuConfig { data_disk: Some(PathBuf::from("/d.img")), ..QemuConfig::default() };
        let images = LinuxImages { kernel: "/k".into(), initramfs: "/i".into() };
        let args = |c: &Command| c.get_args().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>();
        let cyrius = args(&config.command());
        let linux = args(&command(&config, &images));
        let ide = cyrius.iter().position(|a| a.starts_with("if=ide,")).expect("Cyrius boots from IDE");
        let mut expected = cyrius.clone();
        expected.drain(ide - 1..=ide);
        assert_eq!(linux[..expected.len()], expected[..]);
        assert_eq!(linux[expected.len()..], ["-kernel", "/k", "-initrd", "/i", "-append", CMDLINE]);
        assert!(linux.iter().any(|a| a.contains("file=/d.img")));
    }
}
