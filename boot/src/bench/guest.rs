//! Booting one system for a benchmark run and typing commands into its shell.
//!
//! Both systems boot from `QemuConfig` with the same flags, the same data disk and
//! the same network: a host tap device (`crate::tap`; the host reaches the
//! guest's address directly, each system's address set by hand after its
//! boot milestones), or, where no tap can be made (not root), QEMU's user
//! network with a port forward (a free host port -> guest port `WEB_PORT`);
//! Linux only swaps the Cyrius kernel for its own `-kernel`/`-initrd` (see `linux`).
//! Each boot runs its first container right away: Linux's /init runs the echo
//! bundle; on Cyrius the harness types `oci-runtime run` of the busybox image as
//! soon as the prompt shows (the image is not in the cache yet).
//! `Machine` panics (with the console transcript) on a timeout or a dead guest;
//! `with_booted` turns that into an `Err` so one bad boot spoils only its samples.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use super::linux::{self, LinuxImages};
use crate::machine::{self, Machine};
use crate::qemu::QemuConfig;
use crate::tap::Tap;

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

/// The guest port busybox httpd listens on for the HTTP rows.
pub const WEB_PORT: u16 = 8080;

/// The boot milestones, read off the console.
#[derive(Clone, Debug)]
pub struct BootTimes {
    /// Seconds from QEMU's start to the shell prompt (Cyrius) or the marker
    /// the init script prints first (Linux).
    pub ready: f64,
    /// Seconds from QEMU's start to the first container's output.
    pub first_container: f64,
    /// The first container run of the boot, timed inside the guest (seconds).
    pub first_run: Result<f64, String>,
}

/// A booted system at its shell prompt.
pub struct Guest {
    machine: Machine,
    system: System,
    pub boot: BootTimes,
    /// Where the host reaches the guest's `WEB_PORT`.
    pub web_addr: SocketAddr,
    /// The guest's address seen from the host on the tap network (`None`:
    /// QEMU's user network, only `web_addr` is forwarded).
    pub tap_guest: Option<Ipv4Addr>,
    /// The tap device, deleted when the guest is done.
    _tap: Option<Tap>,
    /// Whether the HTTP rows' server was started (and how that went).
    pub web: Option<Result<(), String>>,
    /// The upload row's sink runs.
    pub sink_started: bool,
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
    let tap = Tap::create().map_err(|e| eprintln!("bench: {e}; using QEMU's user network")).ok();
    let mut config = QemuConfig { data_disk: Some(disk.to_path_buf()), ..QemuConfig::default() };
    let web_addr = match &tap {
        Some(tap) => {
            config.tap = Some(tap.net());
            SocketAddr::from((tap.net().guest, WEB_PORT))
        }
        None => {
            let web_port = free_port()?;
            config.publish = vec![(web_port, WEB_PORT)];
            SocketAddr::from((Ipv4Addr::LOCALHOST, web_port))
        }
    };
    let seconds = |m: &Machine| m.elapsed().as_secs_f64();
    let (machine, boot) = match system {
        System::Cyrius => {
            let mut machine = Machine::spawn(config.command());
            machine.wait_for(machine::PROMPT, BOOT_TIMEOUT);
            let ready = seconds(&machine);
            let id = "first";
            machine.send(format!("time oci-runtime run --image busybox {id} echo {}\r", linux::CONTAINER_OUTPUT).as_bytes());
            machine.wait_for("\n", BOOT_TIMEOUT); // the echo of the line
            machine.wait_for(linux::CONTAINER_OUTPUT, BOOT_TIMEOUT);
            let first_container = seconds(&machine);
            let first_run = super::workloads::real_seconds(&machine.wait_for(machine::PROMPT, BOOT_TIMEOUT));
            machine.send(format!("oci-runtime delete {id}\r").as_bytes());
            machine.wait_for("\n", BOOT_TIMEOUT);
            machine.wait_for(machine::PROMPT, BOOT_TIMEOUT);
            if let Some(tap) = &tap {
                machine.send(format!("{}\r", tap.net().guest_ifconfig()).as_bytes());
                machine.wait_for("\n", BOOT_TIMEOUT);
                machine.wait_for(machine::PROMPT, BOOT_TIMEOUT);
            }
            (machine, BootTimes { ready, first_container, first_run })
        }
        System::Linux => {
            let images = linux_images.ok_or("the Linux guest was not built")?;
            let mut machine = Machine::spawn(linux::command(&config, images));
            machine.wait_for(linux::INIT_MARKER, BOOT_TIMEOUT);
            let ready = seconds(&machine);
            machine.wait_for(linux::CONTAINER_OUTPUT, BOOT_TIMEOUT);
            let first_container = seconds(&machine);
            let first_run = super::workloads::real_seconds(&machine.wait_for(linux::PROMPT, BOOT_TIMEOUT));
            if let Some(tap) = &tap {
                // /init gave eth0 QEMU's user-network address: the tap's instead.
                let n = tap.net();
                machine.send(
                    format!("ip addr flush dev eth0 && ip addr add {}/{} dev eth0 && ip route replace default via {}\r", n.guest, n.prefix_len, n.host)
                        .as_bytes(),
                );
                machine.wait_for("\n", BOOT_TIMEOUT);
                machine.wait_for(linux::PROMPT, BOOT_TIMEOUT);
            }
            (machine, BootTimes { ready, first_container, first_run })
        }
    };
    let tap_guest = tap.as_ref().map(|t| t.net().guest);
    Ok(Guest { machine, system, boot, web_addr, tap_guest, _tap: tap, web: None, sink_started: false })
}

/// A TCP port free on the host now (bound, then released for QEMU to take).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free host port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
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
