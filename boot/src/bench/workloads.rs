//! The workloads: one small function per system and row. A row whose system
//! cannot run it yet says why (`Err(reason)`), and the report shows "n/a".
//! To add a workload: write its functions and add a `Workload` to `all`.

use super::guest::{Guest, System};
use super::options::Options;
use super::BIG_FILE;

/// Measures one sample inside a booted guest.
pub type Measure = fn(&mut Guest, &Options) -> Result<f64, String>;

const FIRST_OUTPUT_TODO: &str = "not measured yet";
const NO_PROCESSES: &str = "no processes yet";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Micros,
    MibPerSecond,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Micros => "us",
            Unit::MibPerSecond => "MiB/s",
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == Unit::MibPerSecond
    }
}

pub struct Workload {
    pub name: &'static str,
    pub unit: Unit,
    pub cyrius: Result<Measure, &'static str>,
    pub linux: Result<Measure, &'static str>,
}

impl Workload {
    /// How `system` measures this workload, or why it cannot yet.
    pub fn on(&self, system: System) -> Result<Measure, &'static str> {
        match system {
            System::Cyrius => self.cyrius,
            System::Linux => self.linux,
        }
    }
}

/// Every workload, in report order (also the order they run in within a boot).
pub fn all() -> Vec<Workload> {
    use Unit::*;
    vec![
        Workload { name: "QEMU start -> prompt / init", unit: Seconds, cyrius: Ok(boot_ready), linux: Ok(boot_ready) },
        Workload {
            name: "QEMU start -> first container output",
            unit: Seconds,
            cyrius: Err(FIRST_OUTPUT_TODO),
            linux: Ok(linux_first_container),
        },
        Workload { name: "runc run echo (create, output, delete)", unit: Seconds, cyrius: Ok(cyrius_run_echo), linux: Ok(linux_runc_run) },
        Workload { name: "read 16 MiB, virtio-blk FAT32", unit: Seconds, cyrius: Ok(cyrius_read_disk), linux: Ok(linux_read_disk) },
        Workload { name: "read 16 MiB, tmpfs", unit: Seconds, cyrius: Ok(cyrius_read_tmpfs), linux: Ok(linux_read_tmpfs) },
        Workload { name: "fork+exec+wait /bin/true", unit: Micros, cyrius: Err(NO_PROCESSES), linux: Ok(linux_spawn) },
        Workload { name: "getpid round trip", unit: Micros, cyrius: Ok(cyrius_getpid), linux: Ok(linux_getpid) },
        Workload { name: "pipe throughput", unit: MibPerSecond, cyrius: Err(NO_PROCESSES), linux: Ok(linux_pipe) },
    ]
}

// ---- boot milestones (read off the console by `guest`) ----

fn boot_ready(g: &mut Guest, _: &Options) -> Result<f64, String> {
    Ok(g.boot.ready)
}

fn linux_first_container(g: &mut Guest, _: &Options) -> Result<f64, String> {
    g.boot.first_container.ok_or_else(|| "no container output at boot".into())
}

// ---- Cyrius: the shell's `time` prefix ----

fn cyrius_read_disk(g: &mut Guest, _: &Options) -> Result<f64, String> {
    real_seconds(&g.run(&format!("time cp /mnt/{BIG_FILE} /dev/null")))
}

fn cyrius_read_tmpfs(g: &mut Guest, _: &Options) -> Result<f64, String> {
    checked(g.run(&format!("cp /mnt/{BIG_FILE} /tmp/{BIG_FILE}")))?;
    real_seconds(&g.run(&format!("time cp /tmp/{BIG_FILE} /dev/null")))
}

/// `oci-runtime run` of an echo container from the busybox image, then delete:
/// the same work as `runc run` of the echo bundle (create, output, delete).
fn cyrius_run_echo(g: &mut Guest, _: &Options) -> Result<f64, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let id = format!("bench{}", N.fetch_add(1, Ordering::Relaxed));
    let out = g.run(&format!("time oci-runtime run --image busybox {id} echo {}", super::linux::CONTAINER_OUTPUT));
    if !out.contains(super::linux::CONTAINER_OUTPUT) {
        return Err(format!("oci-runtime run printed no {:?}: {out:?}", super::linux::CONTAINER_OUTPUT));
    }
    let seconds = real_seconds(&out)?;
    checked(g.run(&format!("oci-runtime delete {id}")))?;
    Ok(seconds)
}

/// The same static `benchtool` as in the Linux guest, run from the data disk.
fn cyrius_getpid(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&checked(g.run(&format!("run /mnt/benchtool getpid {}", o.getpid_calls)))?)
}

// ---- Linux: the guest's `benchtool` (scripts/linux-guest-benchtool.c) ----

fn linux_runc_run(g: &mut Guest, _: &Options) -> Result<f64, String> {
    let out = g.run("benchtool time runc run --no-pivot -b /bundle bench");
    if !out.contains(super::linux::CONTAINER_OUTPUT) {
        return Err(format!("runc run printed no {:?}: {out:?}", super::linux::CONTAINER_OUTPUT));
    }
    real_seconds(&out)
}

fn linux_read_disk(g: &mut Guest, _: &Options) -> Result<f64, String> {
    checked(g.run("sync; echo 3 > /proc/sys/vm/drop_caches"))?;
    real_seconds(&g.run(&format!("benchtool time dd if=/mnt/{BIG_FILE} of=/dev/null bs=1M")))
}

fn linux_read_tmpfs(g: &mut Guest, _: &Options) -> Result<f64, String> {
    checked(g.run(&format!("cp /mnt/{BIG_FILE} /tmp/{BIG_FILE}")))?;
    real_seconds(&g.run(&format!("benchtool time dd if=/tmp/{BIG_FILE} of=/dev/null bs=1M")))
}

fn linux_spawn(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&g.run(&format!("benchtool spawn {} /bin/true", o.spawn_rounds)))
}

fn linux_getpid(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&g.run(&format!("benchtool getpid {}", o.getpid_calls)))
}

fn linux_pipe(g: &mut Guest, o: &Options) -> Result<f64, String> {
    let out = checked(g.run(&format!("benchtool pipe {}", o.pipe_mib)))?;
    number_after(&out, "throughput ", " MiB/s")
}

// ---- parsing what the guests print ----

/// Commands whose messages mean failure when a line starts with "NAME: ".
const FAILING: [&str; 8] = ["cp", "dd", "sh", "runc", "benchtool", "time", "run", "oci-runtime"];

/// The output, or `Err` when a line of it is an error message.
fn checked(out: String) -> Result<String, String> {
    let bad = out.lines().find(|l| {
        l.contains("level=error") || FAILING.iter().any(|c| l.strip_prefix(c).is_some_and(|r| r.starts_with(": ")))
    });
    match bad {
        Some(line) => Err(line.trim().to_string()),
        None => Ok(out),
    }
}

/// The number between `prefix` and `suffix` on the first line holding both.
fn number_after(out: &str, prefix: &str, suffix: &str) -> Result<f64, String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(prefix)?.strip_suffix(suffix)?.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no \"{prefix}N{suffix}\" in {out:?}"))
}

/// "real 1.234s" (Cyrius' `time`, and `benchtool time`) -> seconds.
fn real_seconds(out: &str) -> Result<f64, String> {
    let out = checked(out.to_string())?;
    number_after(&out, "real ", "s")
}

/// "per-op 636.2 ns" -> microseconds.
fn per_op_micros(out: &str) -> Result<f64, String> {
    let out = checked(out.to_string())?;
    number_after(&out, "per-op ", " ns").map(|ns| ns / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_guest_output() {
        assert_eq!(real_seconds("real 0.123s\n"), Ok(0.123));
        assert_eq!(real_seconds("16+0 records in\n16+0 records out\nreal 0.035068s\n"), Ok(0.035068));
        assert_eq!(per_op_micros("per-op 636.0 ns\n"), Ok(0.636));
        assert_eq!(number_after("throughput 225.6 MiB/s\n", "throughput ", " MiB/s"), Ok(225.6));
    }

    #[test]
    fn errors_are_not_numbers() {
        let e = real_seconds("dd: can't open '/mnt/x': No such file or directory\nreal 0.03s\n").unwrap_err();
        assert!(e.starts_with("dd: can't open"), "{e}");
        assert!(real_seconds("cp: /mnt/x: No such file or directory\nreal 0.001s").is_err());
        assert!(real_seconds("time=\"...\" level=error msg=\"boom\"\nreal 0.1s").is_err());
        assert!(real_seconds("nothing").unwrap_err().contains("no \"real N"));
    }

    #[test]
    fn every_cyrius_gap_says_why() {
        for w in all() {
            for system in [System::Cyrius, System::Linux] {
                if let Err(reason) = w.on(system) {
                    assert!(!reason.is_empty(), "{}", w.name);
                }
            }
            assert!(w.linux.is_ok(), "{}: Linux runs every workload", w.name);
        }
    }
}
