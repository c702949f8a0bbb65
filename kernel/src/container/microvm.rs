//! Cyrius as a microVM for one container: what the kernel does instead of
//! starting the shell when the machine has a virtio-console (the control
//! channel of `tools/cyrius-runtime`).
//!
//! The first disk holds one uncompressed tar written by the host runtime:
//! the bundle (`config.json` at the top, its `root.path` relative) and, under
//! `.cyrius/`, the guest agent (`.cyrius/agent`, a host-world program) and
//! the contents of the bundle's bind-mount sources (`.cyrius/binds/N`). The
//! kernel reads the disk, unpacks `.cyrius/` into a tmpfs on `/run`, keeps
//! the whole archive as `/run/bundle.tar` (the agent creates the container
//! from it with the host OCI-verb table), starts `/run/agent`, and powers
//! the machine off when the agent ends.
//! Invariants: nothing of the disk is run but the agent; a disk that is not
//! such a tar ends the machine with a log line (QEMU exits, the host runtime
//! reports the guest as failed).
//! May call: `dev` (the disk), `fs`, `task`, `power`.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use vfs::{MountOptions, TmpFs, Vfs};

use crate::task;

/// The largest bundle disk read (the same bound as a bundle tar).
const DISK_LIMIT: u64 = 256 * 1024 * 1024;
/// Where the archive's `.cyrius/` goes in the host namespace.
const RUN: &str = "/run";

/// Prepares the bundle, runs the agent to its end, then powers off.
pub fn run() -> ! {
    match prepare().and_then(|()| start_agent()) {
        Ok(agent) => {
            let status = task::wait_exit(&agent);
            if status != task::ExitStatus::Exited(0) {
                log::error!("microvm: the agent ended: {status:?}");
            }
        }
        Err(e) => log::error!("microvm: {e}"),
    }
    crate::fs::sync_all();
    crate::power::poweroff()
}

/// Reads the first disk whole (up to the end of the tar it holds).
fn read_disk() -> Result<Vec<u8>, String> {
    let disk = crate::dev::virtio::blk::disks().into_iter().next().ok_or("no bundle disk")?;
    let bytes = disk.sectors().saturating_mul(512);
    if bytes > DISK_LIMIT {
        return Err(alloc::format!("bundle disk larger than {} MiB", DISK_LIMIT >> 20));
    }
    let mut blob = vec![0u8; bytes as usize];
    disk.read(0, &mut blob).map_err(|_| String::from("bundle disk: read error"))?;
    Ok(blob)
}

fn prepare() -> Result<(), String> {
    let started = crate::time::uptime_ms();
    let blob = read_disk()?;
    let host = crate::fs::host();
    let cred = crate::fs::root_cred();
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
    let run = TmpFs::new(clock, crate::fs::tmpfs_options());
    rootfs::unpack_subtree(&Vfs::new(run.clone()), &blob, "/.cyrius").map_err(|e| alloc::format!("bundle disk: {e}"))?;
    host.mkdir(&cred, &host.root(), RUN, 0o755).map_err(|e| alloc::format!("mkdir {RUN}: {e}"))?;
    host.mount(RUN, run, MountOptions::new("tmpfs")).map_err(|e| alloc::format!("mount {RUN}: {e}"))?;
    host.write_file(&cred, &host.root(), "/run/bundle.tar", &blob, 0o600).map_err(|e| alloc::format!("/run/bundle.tar: {e}"))?;
    log::info!("microvm: bundle disk read ({} KiB) in {} ms", blob.len() / 1024, crate::time::uptime_ms() - started);
    Ok(())
}

fn start_agent() -> Result<Arc<task::Process>, String> {
    let host = crate::fs::host();
    let argv = vec![String::from("agent")];
    task::spawn(task::Spawn {
        path: "/run/agent",
        argv: &argv,
        envp: &[],
        vfs: host.clone(),
        cwd: host.root(),
        ns: task::pidns::host(),
        container: None,
        files: task::files::FdTable::with_console(),
        cred: crate::fs::root_cred(),
        umask: 0o022,
        cpu_group: 0,
        mem: None,
        uts: task::host_uts(),
        rlimits: task::default_rlimits(),
        net_ns: 0,
        seccomp: None,
    })
    .map_err(|e| alloc::format!("/run/agent: {}", e.to_string()))
}
