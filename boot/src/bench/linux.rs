//! The Linux guest: built by `scripts/linux-guest` (kernel + initramfs from Debian
//! packages, cached under `build/linux/`), booted with Cyrius' QEMU flags.

use std::path::PathBuf;
use std::process::Command;

use crate::qemu::{Firmware, QemuConfig};

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

/// Cyrius' QEMU command for `config` booting the Linux kernel and initramfs
/// instead of Cyrius: every other flag (machine, CPU, TCG, memory, virtio-blk
/// data disk, network) is the same. The firmware is each system's fastest:
/// Linux boots its bzImage through SeaBIOS's `-kernel` loader, ~0.45 s
/// sooner to init than under qboot (median of 5 each, see README), which
/// Cyrius' PVH boot uses.
pub fn command(config: &QemuConfig, images: &LinuxImages) -> Command {
    config.command_with(FIRMWARE, |cmd| {
        cmd.arg("-kernel").arg(&images.kernel).arg("-initrd").arg(&images.initramfs).args(["-append", CMDLINE]);
    })
}

/// The firmware the Linux guest boots under.
pub const FIRMWARE: Firmware = Firmware::SeaBios { vga: false };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_command_keeps_every_flag_but_firmware_and_kernel() {
        use crate::qemu::{BootPath, QBOOT};
        for boot in [BootPath::Pvh, BootPath::Bios] {
            let config = QemuConfig { data_disk: Some(PathBuf::from("/d.img")), boot, ..QemuConfig::default() };
            let images = LinuxImages { kernel: "/k".into(), initramfs: "/i".into() };
            let args = |c: &Command| c.get_args().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>();
            let linux = args(&command(&config, &images));
            // Cyrius' arguments without its firmware and its kernel are Linux's
            // without its kernel, initramfs and command line.
            let strip = |a: Vec<String>, flags: &[&str]| {
                let mut out = Vec::new();
                let mut it = a.into_iter().peekable();
                while let Some(arg) = it.next() {
                    let ide = arg == "-drive" && it.peek().is_some_and(|v| v.starts_with("if=ide,"));
                    if ide || flags.contains(&arg.as_str()) {
                        it.next();
                    } else {
                        out.push(arg);
                    }
                }
                out
            };
            let cyrius = strip(args(&config.command()), &["-bios", "-vga", "-kernel"]);
            assert_eq!(strip(linux.clone(), &["-kernel", "-initrd", "-append"]), cyrius);
            assert!(linux.windows(2).any(|w| w == ["-kernel", "/k"]));
            assert!(linux.windows(2).any(|w| w == ["-append", CMDLINE]));
            assert!(linux.iter().any(|a| a.contains("file=/d.img")));
            assert!(!linux.iter().any(|a| a == QBOOT || a == "-vga"), "Linux boots under SeaBIOS, without VGA");
        }
    }
}
