//! The workloads: one small function per system and row. A row whose system
//! cannot run it yet says why (`Err(reason)`), and the report shows "n/a".
//! To add a workload: write its functions and add a `Workload` to `all`.

use std::time::Duration;

use super::guest::{Guest, System, WEB_PORT};
use super::http;
use super::options::Options;
use super::{BIG_FILE, PYTHON_IMAGE, PYTHON_LAYERS};

/// Measures one sample inside a booted guest.
pub type Measure = fn(&mut Guest, &Options) -> Result<f64, String>;

/// The small page of the HTTP requests row.
const PAGE: &str = "hello from busybox httpd\n";
/// The busybox binary both systems fork+exec (copied from the data disk to /tmp).
const BUSYBOX: &str = "/tmp/busybox";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Micros,
    MibPerSecond,
    RequestsPerSecond,
    /// Memory, MiB (2^20 bytes).
    Mib,
    /// A quotient of two timings of the same system.
    Ratio,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Micros => "us",
            Unit::MibPerSecond => "MiB/s",
            Unit::RequestsPerSecond => "req/s",
            Unit::Mib => "MiB",
            Unit::Ratio => "x",
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Unit::MibPerSecond | Unit::RequestsPerSecond)
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
    let w = |name, unit, cyrius: Measure, linux: Measure| Workload { name, unit, cyrius: Ok(cyrius), linux: Ok(linux) };
    vec![
        w("QEMU start -> prompt / init", Seconds, boot_ready, boot_ready),
        w("QEMU start -> first container output", Seconds, first_container, first_container),
        w("container run echo, first of the boot", Seconds, first_run, first_run),
        w("container run echo, repeated", Seconds, cyrius_run_echo, linux_runc_run),
        w("python image: run python3 -c 'print(1)', first of the boot", Seconds, cyrius_python_first, linux_python_first),
        w("python image: run python3 -c 'print(1)', repeated", Seconds, cyrius_python_again, linux_python_again),
        w("python image: memory of a second running container", Mib, cyrius_python_memory, linux_python_memory),
        w("read 16 MiB, virtio-blk FAT32", Seconds, cyrius_read_disk, linux_read_disk),
        w("read 16 MiB, tmpfs", Seconds, cyrius_read_tmpfs, linux_read_tmpfs),
        w("fork+exec+wait busybox true", Micros, spawn, spawn),
        w("getpid round trip", Micros, getpid, getpid),
        w("pipe throughput", MibPerSecond, pipe, pipe),
        w("context switch: pipe ping-pong round trip", Micros, pingpong, pingpong),
        w("sched_yield with 100 runnable processes", Micros, sched_yield, sched_yield),
        w("busy loop, 100 processes / 1 process", Ratio, spin, spin),
        w("4 KiB write+fsync, virtio-blk FAT32", Micros, fsync, fsync),
        w("HTTP GET small file, sequential", RequestsPerSecond, http_requests, http_requests),
        w("HTTP GET small file, ab -c 1", RequestsPerSecond, ab_1, ab_1),
        w("HTTP GET small file, ab -c 50", RequestsPerSecond, ab_50, ab_50),
        w("HTTP GET small file, ab -c 200", RequestsPerSecond, ab_200, ab_200),
        w("HTTP download, large file (TCP guest -> host)", MibPerSecond, http_download, http_download),
        w("TCP upload host -> guest (nc -l)", MibPerSecond, tcp_upload, tcp_upload),
    ]
}

// ---- boot milestones (read off the console by `guest`) ----

fn boot_ready(g: &mut Guest, _: &Options) -> Result<f64, String> {
    Ok(g.boot.ready)
}

fn first_container(g: &mut Guest, _: &Options) -> Result<f64, String> {
    Ok(g.boot.first_container)
}

fn first_run(g: &mut Guest, _: &Options) -> Result<f64, String> {
    g.boot.first_run.clone()
}

// ---- the same static benchtool on both systems ----

/// Runs `benchtool ARGS` on `g`'s system: Cyrius runs the data disk's copy with
/// the shell's `run`, Linux the identical build in its initramfs.
fn benchtool(g: &mut Guest, args: &str) -> Result<String, String> {
    let line = match g.system() {
        System::Cyrius => format!("run /mnt/benchtool {args}"),
        System::Linux => format!("benchtool {args}"),
    };
    checked(g.run(&line))
}

fn spawn(g: &mut Guest, o: &Options) -> Result<f64, String> {
    checked(g.run(&format!("cp /mnt/bin/busybox {BUSYBOX}")))?;
    per_op_micros(&benchtool(g, &format!("spawn {} {BUSYBOX} true", o.spawn_rounds))?)
}

fn getpid(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&benchtool(g, &format!("getpid {}", o.getpid_calls))?)
}

fn pipe(g: &mut Guest, o: &Options) -> Result<f64, String> {
    number_after(&benchtool(g, &format!("pipe {}", o.pipe_mib))?, "throughput ", " MiB/s")
}

fn pingpong(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&benchtool(g, &format!("pingpong {}", o.pingpong_rounds))?)
}

fn sched_yield(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&benchtool(g, &format!("yield {} {}", o.crowd, o.yields_per_process))?)
}

/// Appends 4 KiB records to a file on the data disk, fsync after each.
fn fsync(g: &mut Guest, o: &Options) -> Result<f64, String> {
    per_op_micros(&benchtool(g, &format!("fsync {} /mnt/fsync.dat", o.fsync_records))?)
}

/// The same busy-loop work done by `crowd` processes over done by one.
fn spin(g: &mut Guest, o: &Options) -> Result<f64, String> {
    let one = real_seconds(&benchtool(g, &format!("spin 1 {}", o.spin_iters))?)?;
    let many = real_seconds(&benchtool(g, &format!("spin {} {}", o.crowd, o.spin_iters))?)?;
    if one <= 0.0 {
        return Err(format!("spin 1 {} took no measurable time: raise spin_iters", o.spin_iters));
    }
    Ok(many / one)
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
/// The boot already ran one, so the image is in the cache.
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

// ---- the Debian-based python image (56 MB) from its EROFS store ----
// Cyrius: `oci-runtime run --image python` (the kernel mounts the image's store
// files from the data disk and stacks them under a tmpfs). Linux: /bin/run-image
// (scripts/linux-guest) loop-mounts the same store files, stacks them with
// overlayfs under a tmpfs and `runc run`s a bundle on that root. The first run of
// the boot includes mounting the layers on both.

/// A python3 process, as the arguments of Cyrius' `oci-runtime run` and as
/// run-image's JSON array.
struct Python {
    shell: &'static str,
    json: &'static str,
}

const PRINT_ONE: Python = Python { shell: "python3 -c 'print(1)'", json: r#"["python3","-c","print(1)"]"# };
const SLEEPER: Python =
    Python { shell: "python3 -c 'import time; time.sleep(1000)'", json: r#"["python3","-c","import time; time.sleep(1000)"]"# };
/// Runs in the foreground after a sleeper was started, so that the sleeper has
/// had a python start-up and 3 s to settle before memory is read.
const SETTLE: Python =
    Python { shell: "python3 -c 'import time; time.sleep(3)'", json: r#"["python3","-c","import time; time.sleep(3)"]"# };

fn cyrius_python_first(g: &mut Guest, _: &Options) -> Result<f64, String> {
    cyrius_python(g, "py-first")
}

fn cyrius_python_again(g: &mut Guest, _: &Options) -> Result<f64, String> {
    cyrius_python(g, "py-again")
}

fn cyrius_python(g: &mut Guest, id: &str) -> Result<f64, String> {
    let out = g.run(&format!("time oci-runtime run --image {PYTHON_IMAGE} {id} {}", PRINT_ONE.shell));
    printed_one(&out)?;
    let seconds = real_seconds(&out)?;
    checked(g.run(&format!("oci-runtime delete {id}")))?;
    Ok(seconds)
}

/// Memory in use (`mem`) with two sleeping python containers minus with one.
fn cyrius_python_memory(g: &mut Guest, _: &Options) -> Result<f64, String> {
    let mut used = Vec::new();
    for n in 1..=2 {
        checked(g.run(&format!("oci-runtime run -d --image {PYTHON_IMAGE} py-sleep{n} {}", SLEEPER.shell)))?;
        checked(g.run(&format!("oci-runtime run --image {PYTHON_IMAGE} py-settle{n} {}", SETTLE.shell)))?;
        checked(g.run(&format!("oci-runtime delete py-settle{n}")))?;
        used.push(used_frames(&g.run("mem"))? * 4096);
    }
    for n in 1..=2 {
        checked(g.run(&format!("oci-runtime delete --force py-sleep{n}")))?;
    }
    mib_between(used[0], used[1])
}

fn linux_python_first(g: &mut Guest, _: &Options) -> Result<f64, String> {
    linux_python(g, "py-first")
}

fn linux_python_again(g: &mut Guest, _: &Options) -> Result<f64, String> {
    linux_python(g, "py-again")
}

/// The `run-image` command line of a container `id` running `process`.
fn run_image(id: &str, process: &Python) -> String {
    format!("run-image /mnt/{PYTHON_LAYERS} {id} '{}'", process.json)
}

fn linux_python(g: &mut Guest, id: &str) -> Result<f64, String> {
    let out = g.run(&format!("benchtool time {}", run_image(id, &PRINT_ONE)));
    printed_one(&out)?;
    real_seconds(&out)
}

/// Memory in use (MemTotal - MemFree) with two sleeping python containers minus
/// with one (runc has exited: `run -d`).
fn linux_python_memory(g: &mut Guest, _: &Options) -> Result<f64, String> {
    let mut used = Vec::new();
    for n in 1..=2 {
        checked(g.run(&format!("{} -d", run_image(&format!("py-sleep{n}"), &SLEEPER))))?;
        checked(g.run(&run_image(&format!("py-settle{n}"), &SETTLE)))?;
        used.push(meminfo_used(&g.run("cat /proc/meminfo"))?);
    }
    for n in 1..=2 {
        checked(g.run(&format!("runc delete --force py-sleep{n}; umount /run/c/py-sleep{n}/rootfs /run/c/py-sleep{n}/rw")))?;
    }
    mib_between(used[0], used[1])
}

/// The container printed python's `1` on a line of its own.
fn printed_one(out: &str) -> Result<(), String> {
    let out = checked(out.to_string())?;
    if out.lines().any(|l| l.trim() == "1") {
        Ok(())
    } else {
        Err(format!("python3 printed no 1: {out:?}"))
    }
}

/// `after - before` bytes in MiB; an error if memory in use went down.
fn mib_between(before: u64, after: u64) -> Result<f64, String> {
    match after.checked_sub(before) {
        Some(d) if d > 0 => Ok(d as f64 / (1024.0 * 1024.0)),
        _ => Err(format!("memory in use went from {before} to {after} bytes with a second container running")),
    }
}

/// Frames in use, from Cyrius' `mem` ("frames: T total, U used, F free (K KiB free)").
fn used_frames(mem: &str) -> Result<u64, String> {
    mem.lines()
        .filter_map(|l| l.trim().strip_prefix("frames:"))
        .flat_map(|l| l.split(','))
        .find_map(|part| part.trim().strip_suffix(" used")?.trim().parse().ok())
        .ok_or_else(|| format!("no \"frames: ... N used\" in {mem:?}"))
}

/// Bytes in use from Linux's /proc/meminfo: MemTotal - MemFree.
fn meminfo_used(meminfo: &str) -> Result<u64, String> {
    let kib = |key: &str| {
        meminfo
            .lines()
            .find_map(|l| l.trim().strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("no {key} N kB in {meminfo:?}"))
    };
    let (total, free) = (kib("MemTotal:")?, kib("MemFree:")?);
    total.checked_sub(free).map(|k| k * 1024).ok_or_else(|| format!("MemFree {free} kB > MemTotal {total} kB"))
}

// ---- HTTP: busybox httpd in a container, a client on the host ----

/// Starts busybox httpd (port `WEB_PORT`, serving /www: `index.html` = `PAGE`
/// and `big` = `download_mib` MiB of zeros) in a container, once per boot, and
/// waits until the host gets the page through the port forward.
/// Cyrius: `oci-runtime run -d` of the busybox image; the container writes
/// its own files. Linux: the files go into the bundle's rootfs, then `runc run`
/// of /bundle-web (the same busybox, in the guest's network namespace).
fn start_web(g: &mut Guest, o: &Options) -> Result<(), String> {
    if let Some(done) = &g.web {
        return done.clone();
    }
    let fill = |root: &str| {
        format!(
            "mkdir -p {root}/www && printf '{}' > {root}/www/index.html && head -c {} /dev/zero > {root}/www/big",
            PAGE.replace('\n', "\\n"),
            o.download_mib * 1024 * 1024
        )
    };
    let started = match g.system() {
        System::Cyrius => wait_for_address(g).and_then(|()| {
            let fill = fill("");
            checked(g.run(&format!("oci-runtime run -d --image busybox web sh -c \"{fill} && exec httpd -f -p {WEB_PORT} -h /www\"")))
        }),
        System::Linux => checked(g.run(&fill("/bundle/rootfs")))
            .and_then(|_| checked(g.run("runc run --no-pivot -b /bundle-web web > /tmp/web.log 2>&1 &"))),
    };
    let result = started.and_then(|_| http::wait_until_served(g.web_addr, "/index.html", PAGE.as_bytes(), Duration::from_secs(60)));
    g.web = Some(result.clone());
    result
}

/// Cyrius gets its address by DHCP in the background; QEMU forwards to 10.0.2.15.
/// (On a tap network the address was set after the boot.)
fn wait_for_address(g: &mut Guest) -> Result<(), String> {
    if g.tap_guest.is_some() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    loop {
        if g.run("ifconfig").contains("inet 10.0.2.15") {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("no DHCP address after 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn http_requests(g: &mut Guest, o: &Options) -> Result<f64, String> {
    start_web(g, o)?;
    http::requests_per_second(g.web_addr, "/index.html", PAGE.as_bytes(), o.http_seconds)
}

/// `ab` at `concurrency` (only over the tap network: QEMU's port forward
/// takes one pending connection at a time, whatever the guest).
fn ab_at(g: &mut Guest, o: &Options, concurrency: u32) -> Result<f64, String> {
    if g.tap_guest.is_none() {
        return Err("no tap network (needs root): QEMU's port forward would be measured".into());
    }
    start_web(g, o)?;
    http::ab(g.web_addr, "/index.html", concurrency, o.http_seconds)
}

fn ab_1(g: &mut Guest, o: &Options) -> Result<f64, String> {
    ab_at(g, o, 1)
}

fn ab_50(g: &mut Guest, o: &Options) -> Result<f64, String> {
    ab_at(g, o, 50)
}

fn ab_200(g: &mut Guest, o: &Options) -> Result<f64, String> {
    ab_at(g, o, 200)
}

fn http_download(g: &mut Guest, o: &Options) -> Result<f64, String> {
    start_web(g, o)?;
    http::download(g.web_addr, "/big", (o.download_mib * 1024 * 1024) as usize)
}

/// The guest port of the upload sink.
const SINK_PORT: u16 = 9001;

/// `download_mib` MiB from the host into busybox `nc -l` (output to
/// /dev/null; it closes at end of stream, and a loop starts the next),
/// over the tap network. Cyrius: in a container of the busybox image (its
/// shell has no `&`); Linux: in the background of its shell.
fn tcp_upload(g: &mut Guest, o: &Options) -> Result<f64, String> {
    let Some(guest) = g.tap_guest else {
        return Err("no tap network (needs root)".into());
    };
    let sink = format!("while true; do nc -l -p {SINK_PORT} < /dev/null > /dev/null; done");
    let line = match g.system() {
        System::Cyrius => format!("oci-runtime run -d --image busybox sink sh -c '{sink}'"),
        System::Linux => format!("( {sink} ) &"),
    };
    if !g.sink_started {
        checked(g.run(&line))?;
        g.sink_started = true;
    }
    let addr = std::net::SocketAddr::from((guest, SINK_PORT));
    let started = std::time::Instant::now();
    loop {
        // Until the listener is up (and between two nc runs) a connect is refused.
        match http::upload(addr, (o.download_mib * 1024 * 1024) as usize) {
            Err(e) if e.starts_with("connect to") && started.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(200))
            }
            other => return other,
        }
    }
}

// ---- parsing what the guests print ----

/// Commands whose messages mean failure when a line starts with "NAME: ".
const FAILING: [&str; 11] = ["cp", "dd", "sh", "runc", "benchtool", "time", "run", "oci-runtime", "mount", "umount", "run-image"];

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
pub(super) fn real_seconds(out: &str) -> Result<f64, String> {
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
    fn parses_memory_reports() {
        let mem = "heap: 1234 KiB\nframes: 130000 total, 5000 used, 125000 free (500000 KiB free)\n";
        assert_eq!(used_frames(mem), Ok(5000));
        assert!(used_frames("frames: 10 total").is_err());
        let meminfo = "MemTotal:         492436 kB\nMemFree:          401236 kB\nMemAvailable:     430000 kB\n";
        assert_eq!(meminfo_used(meminfo), Ok((492436 - 401236) * 1024));
        assert!(meminfo_used("MemTotal: 10 kB\n").is_err());
        assert_eq!(mib_between(1 << 20, 3 << 20), Ok(2.0));
        assert!(mib_between(3 << 20, 1 << 20).is_err());
        assert!(printed_one("1\nreal 0.5s\n").is_ok());
        assert!(printed_one("10\nreal 0.5s\n").is_err());
        assert!(printed_one("runc: boom\n1\n").is_err());
        assert_eq!(run_image("p", &PRINT_ONE), r#"run-image /mnt/python-layers p '["python3","-c","print(1)"]'"#);
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
