//! Booting one system for a benchmark run and typing commands into its shell.
//!
//! Both systems boot from `QemuConfig` with the same flags and the same data disk;
//! Linux only swaps the Cyrius boot drive for `-kernel`/`-initrd` (see `linux`).
//! `Machine` panics (with the console transcript) on a timeout or a dead guest;
//! `with_booted` turns that into an `Err` so one bad boot spoils only its samples.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Duration;

use super::linux::{self, LinuxImages};
use crate::machine::{self, Machine};
use crate::qemu::QemuConfig;

/// How long one benchmark command may take (TCG on a busy 2-core host).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a boot milestone may take: longer than the tests' `BOOT_TIMEOUT`,
/// as Linux decompresses a 14 MB kernel and a 7 MB initramfs under TCG.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum System {
    Cyrius,
    Linux,
}

impl System {
    /// The shell prompt a command's output ends at.
    pub fn prompt(self) -> &'static str {
        match self {
            System::Cyrius => machine::PROMPT,
            System::Linux => linux::PROMPT,
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            System::Cyrius => "Cyrius",
            System::Linux => "Linux",
        })
    }
}

/// Seconds from QEMU's start to the boot milestones, read off the console.
#[derive(Clone, Copy, Debug)]
pub struct BootTimes {
    /// Cyrius: the shell prompt; Linux: the marker the init script prints first.
    pub ready: f64,
    /// Linux: the first output of the container the init script runs.
    pub first_container: Option<f64>,
}

/// A booted system at its shell prompt.
pub struct Guest {
    machine: Machine,
    system: System,
    pub boot: BootTimes,
}

impl Guest {
    pub fn system(&self) -> System {
        self.system
    }

    /// Types `line` and Enter, waits for the next prompt, and returns what the
    /// command printed (cleaned, without the echo of the line).
    pub fn run(&mut self, line: &str) -> String {
        self.machine.send(format!("{line}\r").as_bytes());
        self.machine.wait_for("\n", COMMAND_TIMEOUT);
        let prompt = self.system.prompt();
        let out = self.machine.wait_for(prompt, COMMAND_TIMEOUT);
        out.strip_suffix(prompt).unwrap_or(&out).to_string()
    }
}

fn boot(system: System, disk: &Path, linux_images: Option<&LinuxImages>) -> Result<Guest, String> {
    let config = QemuConfig { data_disk: Some(disk.to_path_buf()), ..QemuConfig::default() };
    let seconds = |m: &Machine| m.elapsed().as_secs_f64();
    match system {
        System::Cyrius => {
            let mut machine = Machine::spawn(config.command());
            machine.wait_for(machine::PROMPT, BOOT_TIMEOUT);
            let boot = BootTimes { ready: seconds(&machine), first_container: None };
            Ok(Guest { machine, system, boot })
        }
        System::Linux => {
            let images = linux_images.ok_or("the Linux guest was not built")?;
            let mut machine = Machine::spawn(linux::command(&config, images));
            machine.wait_for(linux::INIT_MARKER, BOOT_TIMEOUT);
            let ready = seconds(&machine);
            machine.wait_for(linux::CONTAINER_OUTPUT, BOOT_TIMEOUT);
            let first_container = Some(seconds(&machine));
            machine.wait_for(linux::PROMPT, BOOT_TIMEOUT);
            Ok(Guest { machine, system, boot: BootTimes { ready, first_container } })
        }
    }
}

/// Boots `system`, hands it to `f`, and ends the machine. A panic inside (a
/// `Machine` timeout, a kernel panic) becomes `Err` with its first line.
pub fn with_booted<T>(
    system: System,
    disk: &Path,
    linux_images: Option<&LinuxImages>,
    f: impl FnOnce(&mut Guest) -> T,
) -> Result<T, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| boot(system, disk, linux_images).map(|mut g| f(&mut g))));
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Err(msg.lines().next().unwrap_or("panicked").to_string())
        }
    }
}
