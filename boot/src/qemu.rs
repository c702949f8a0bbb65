//! The QEMU command line for booting Cyrius, and what QEMU's exit status means.
//!
//! Two boot paths reach the same kernel entry ([`BootPath`]): PVH direct boot
//! (the default: QEMU loads the kernel ELF itself with `-kernel`, started by
//! qboot, the minimal firmware QEMU ships; ~0.05 s from QEMU's start to the
//! kernel's first instruction) and the `bootloader` crate's BIOS disk image
//! (SeaBIOS, the VGA BIOS, and BIOS stages reading the kernel with BIOS disk
//! calls: ~2 s to the same point).

use std::path::PathBuf;
use std::process::Command;

use crate::paths;
use crate::prereq::QEMU;

/// How to boot.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    /// Guest memory in MiB.
    pub memory_mib: u64,
    /// The FAT32 data disk (first virtio-blk device), if any.
    pub data_disk: Option<PathBuf>,
    /// Open the data disk read-only for the guest's writes to vanish at exit
    /// (tests use this so they can share one disk image).
    pub data_disk_snapshot: bool,
    /// Further raw disks, each another virtio-blk device.
    pub extra_disks: Vec<PathBuf>,
    /// Host TCP port -> guest TCP port forwards on the user network.
    pub publish: Vec<(u16, u16)>,
    /// The network card on a host tap device instead of the user network
    /// (`publish` is then unused: the host reaches the guest's address).
    pub tap: Option<crate::tap::TapNet>,
    /// A terminal user: QEMU's monitor on Ctrl-A, Ctrl-C passed to the guest.
    pub interactive: bool,
    /// QEMU's `-cpu` model: [`CPU_DEFAULT`] (no AVX), or e.g. [`CPU_AVX`].
    pub cpu: String,
    /// How the kernel is started.
    pub boot: BootPath,
}

/// How QEMU starts the kernel. Everything else on the command line (machine,
/// devices, memory) is the same for both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BootPath {
    /// `-kernel` with the kernel ELF's PVH entry, firmware qboot.
    #[default]
    Pvh,
    /// The `bootloader` crate's BIOS disk image on IDE, firmware SeaBIOS
    /// (with a VGA card: its BIOS stages hang without one).
    Bios,
}

impl BootPath {
    pub fn parse(s: &str) -> Result<BootPath, String> {
        match s {
            "pvh" => Ok(BootPath::Pvh),
            "bios" => Ok(BootPath::Bios),
            _ => Err(format!("unknown boot path '{s}' (pvh or bios)")),
        }
    }
}

/// The firmware QEMU runs before the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// qboot: no option ROMs, no PCI resource assignment, straight to `-kernel`.
    Qboot,
    /// SeaBIOS, QEMU's default; `vga` adds a VGA card (and so runs its BIOS).
    SeaBios { vga: bool },
}

impl BootPath {
    /// The firmware this boot path needs: qboot for PVH; SeaBIOS with VGA
    /// for the bootloader image, whose BIOS stages probe VESA modes and hang
    /// without a VGA device.
    pub fn firmware(self) -> Firmware {
        match self {
            BootPath::Pvh => Firmware::Qboot,
            BootPath::Bios => Firmware::SeaBios { vga: true },
        }
    }
}

/// QEMU's minimal firmware (Debian's qemu-system-data): no option ROMs, no
/// PCI resource assignment (the kernel does that), straight to the PVH entry.
pub const QBOOT: &str = "/usr/share/qemu/qboot.rom";

/// The CPU model everything boots with by default (SSE2, no XSAVE/AVX).
pub const CPU_DEFAULT: &str = "qemu64,+rdrand";
/// QEMU 7.2's TCG `max` model: XSAVE/XSAVEOPT, AVX and AVX2, for the tests of
/// the kernel's xsave path (QEMU's TCG has no AVX-512).
pub const CPU_AVX: &str = "max";

impl Default for QemuConfig {
    fn default() -> Self {
        QemuConfig {
            memory_mib: 512,
            data_disk: None,
            data_disk_snapshot: true,
            extra_disks: Vec::new(),
            publish: Vec::new(),
            tap: None,
            interactive: false,
            cpu: String::from(CPU_DEFAULT),
            boot: BootPath::default(),
        }
    }
}

/// How the machine ended, from QEMU's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// The kernel powered off (isa-debug-exit 0x10 -> 33), or the user quit QEMU (0).
    PowerOff,
    /// The kernel panicked (isa-debug-exit 0x11 -> 35).
    Panic,
    /// Anything else: QEMU failed or was killed.
    Other(Option<i32>),
}

impl ExitKind {
    pub fn from_status(code: Option<i32>) -> ExitKind {
        match code {
            Some(0) | Some(33) => ExitKind::PowerOff,
            Some(35) => ExitKind::Panic,
            other => ExitKind::Other(other),
        }
    }
}

impl QemuConfig {
    /// What the integration tests boot: the default machine with the test data
    /// disk (see `datadisk::test_disk`) attached in snapshot mode.
    pub fn for_tests() -> QemuConfig {
        QemuConfig { data_disk: Some(crate::datadisk::test_disk()), ..QemuConfig::default() }
    }

    /// The QEMU command that boots Cyrius.
    pub fn command(&self) -> Command {
        self.command_with(self.boot.firmware(), |cmd| match self.boot {
            BootPath::Pvh => {
                cmd.arg("-kernel").arg(paths::boot_kernel());
            }
            BootPath::Bios => {
                cmd.arg("-drive").arg(format!(
                    "if=ide,index=0,format=raw,snapshot=on,file={}",
                    paths::bios_image().display()
                ));
            }
        })
    }

    /// This machine (devices, console) under `firmware`, with the system to
    /// boot added by `boot` (the benchmark boots Linux this way).
    pub fn command_with(&self, firmware: Firmware, boot: impl FnOnce(&mut Command)) -> Command {
        let mut cmd = Command::new(QEMU);
        cmd.args(["-machine", "pc", "-cpu", &self.cpu, "-accel", "tcg"]);
        cmd.args(["-m", &format!("{}M", self.memory_mib)]);
        cmd.args(["-display", "none", "-no-user-config", "-nodefaults"]);
        cmd.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        match firmware {
            Firmware::Qboot => {
                cmd.args(["-bios", QBOOT]);
            }
            Firmware::SeaBios { vga } => {
                if vga {
                    cmd.args(["-vga", "std"]);
                }
            }
        }
        boot(&mut cmd);
        let disks = self.data_disk.iter().map(|d| (d, self.data_disk_snapshot));
        let extra = self.extra_disks.iter().map(|d| (d, false));
        for (i, (disk, snapshot)) in disks.chain(extra).enumerate() {
            cmd.arg("-drive").arg(format!(
                "if=none,id=disk{i},format=raw,file={}{}",
                disk.display(),
                if snapshot { ",snapshot=on" } else { "" }
            ));
            cmd.args(["-device", &format!("virtio-blk-pci,drive=disk{i}")]);
        }
        let netdev = match &self.tap {
            Some(tap) => format!("tap,id=net0,ifname={},script=no,downscript=no", tap.ifname),
            None => {
                let mut netdev = String::from("user,id=net0");
                for (host, guest) in &self.publish {
                    netdev.push_str(&format!(",hostfwd=tcp::{host}-:{guest}"));
                }
                netdev
            }
        };
        cmd.args(["-netdev", &netdev, "-device", "virtio-net-pci,netdev=net0"]);
        if self.interactive {
            // Serial and monitor multiplexed on stdio, focus on the serial:
            // Ctrl-A X quits, Ctrl-A C is the monitor; Ctrl-C goes to the guest.
            cmd.args(["-serial", "mon:stdio"]);
        } else {
            cmd.args(["-chardev", "stdio,id=con0,signal=off", "-serial", "chardev:con0"]);
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: &QemuConfig) -> Vec<String> {
        config.command().get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn each_boot_path_brings_its_firmware_and_kernel() {
        let pvh = args(&QemuConfig::default());
        let at = pvh.iter().position(|a| a == "-kernel").expect("PVH loads the kernel with -kernel");
        assert_eq!(pvh[at + 1], paths::boot_kernel().to_string_lossy());
        assert!(pvh.windows(2).any(|w| w == ["-bios", QBOOT]));
        assert!(!pvh.iter().any(|a| a == "-vga" || a.starts_with("if=ide")));

        let bios = args(&QemuConfig { boot: BootPath::Bios, ..QemuConfig::default() });
        assert!(bios.windows(2).any(|w| w == ["-vga", "std"]), "the bootloader's BIOS stages need VGA");
        assert!(bios.iter().any(|a| a.starts_with("if=ide,") && a.ends_with(&*paths::bios_image().to_string_lossy())));
        assert!(!bios.iter().any(|a| a == "-kernel" || a == "-bios"));
        // Everything else is the same machine.
        for flag in ["-machine", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-nodefaults"] {
            assert!(pvh.iter().any(|a| a == flag) && bios.iter().any(|a| a == flag), "{flag}");
        }
    }

    #[test]
    fn boot_path_names() {
        assert_eq!(BootPath::parse("pvh"), Ok(BootPath::Pvh));
        assert_eq!(BootPath::parse("bios"), Ok(BootPath::Bios));
        assert!(BootPath::parse("PVH").is_err());
        assert_eq!(BootPath::default(), BootPath::Pvh);
    }
}
