//! The syscall fuzzer (`userland/fuzz/fuzz.c`) in a container: a fixed-seed
//! run of 10^5 random system calls must not panic or hang the kernel, the
//! host shell must answer within a second meanwhile, and deleting the
//! container must give its memory back. `scripts/fuzz-soak` runs it longer
//! with a new seed each time.
//!
//! "Answers within a second" is measured inside the guest: the shell's
//! `latency` is the longest a typed key waited for its reader, i.e. how long
//! the kernel kept the shell from the CPU. The round trip seen from the host
//! also includes the host's own load (this machine is shared); it is printed.

use std::time::{Duration, Instant};

use cyrius::{Machine, QemuConfig};

/// The fixed seed and size of the `cargo test` run.
const SEED: u64 = 1;
const CALLS: u64 = 100_000;

/// What `mem` reports, in KiB.
#[derive(Debug, Clone)]
struct Mem {
    frames_used: u64,
    heap_mapped_kib: u64,
    heap_used_kib: u64,
    cached_pages: u64,
    live: String,
}

fn number_after(text: &str, label: &str) -> u64 {
    text.split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {text:?}"))
}

fn mem(m: &mut Machine) -> Mem {
    let out = m.run("mem");
    eprintln!("{}", out.trim_end());
    let frames = out.lines().find(|l| l.starts_with("frames:")).unwrap_or_else(|| panic!("no frames line: {out:?}"));
    let heap = out.lines().find(|l| l.starts_with("heap:")).unwrap_or_else(|| panic!("no heap line: {out:?}"));
    let pages = out.lines().find(|l| l.starts_with("pages:")).unwrap_or_else(|| panic!("no pages line: {out:?}"));
    let live = out.lines().find(|l| l.starts_with("live:")).unwrap_or_else(|| panic!("no live line: {out:?}"));
    Mem {
        frames_used: number_after(frames, "total,"),
        heap_mapped_kib: number_after(heap, "heap:"),
        heap_used_kib: number_after(heap, "mapped,"),
        cached_pages: number_after(pages, "files,"),
        live: live.trim_start_matches("live:").trim().to_string(),
    }
}

#[test]
fn syscall_fuzzer_in_a_container_harms_nothing() {
    fuzz(SEED, CALLS, 4);
}

/// `scripts/fuzz-soak`: seed, calls and workers from the environment.
#[test]
#[ignore = "long: run by scripts/fuzz-soak"]
fn soak() {
    let var = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    fuzz(var("CYRIUS_FUZZ_SEED", SEED), var("CYRIUS_FUZZ_CALLS", 10_000_000), var("CYRIUS_FUZZ_WORKERS", 4));
}

/// Boots, runs `calls` fuzzed calls with `seed` in a detached container
/// while probing the host shell, deletes it, and checks what is left.
fn fuzz(seed: u64, calls: u64, workers: u64) {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    // Kernel warnings about the fuzzer's calls would drown the console.
    m.run("log error");
    let long = Duration::from_secs(300);
    // A short run first: the bundle's files, the image caches and the
    // kernel's lazily made tables exist before the baseline is taken.
    let warm = m.run_with_timeout("oci-runtime run -b /mnt/bundles/fuzz warm /bin/fuzz -s 7 -n 3000 -q", long);
    m.assert(warm.contains("fuzz: done:") && warm.contains("hangs 0"), &format!("the warm-up run: {warm:?}"));
    m.run_expect("oci-runtime delete warm", &[]);
    let before = mem(&mut m);

    m.run("latency reset");
    m.run_with_timeout(&format!("oci-runtime run -d -b /mnt/bundles/fuzz fz /bin/fuzz -s {seed} -n {calls} -j {workers}"), long);
    // 10^5 calls take about a minute; allow ten times that.
    let limit = Duration::from_secs(600 * calls.div_ceil(100_000).max(1));
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    let mut reported = Instant::now();
    loop {
        if reported.elapsed() > Duration::from_secs(60) {
            // A soak runs for hours: say how far it got.
            let t = m.transcript();
            // (A line of the detached fuzzer may follow the shell's prompt.)
            let progress = t.lines().rev().filter_map(|l| l.find("fuzz: ").map(|at| &l[at..])).find(|l| l.contains(" calls, "));
            if let Some(line) = progress {
                eprintln!("[{:>5} s] {line}", started.elapsed().as_secs());
            }
            reported = Instant::now();
        }
        // The host shell answers while the fuzzer runs.
        let t = Instant::now();
        let out = m.run("echo ping");
        let took = t.elapsed();
        m.assert(out.contains("ping"), &format!("echo answered {out:?}"));
        slowest = slowest.max(took);
        probes += 1;
        let state = m.run("oci-runtime state fz");
        if state.contains("\"stopped\"") {
            break;
        }
        m.assert(started.elapsed() < limit, &format!("the fuzzer did not finish within {limit:?}"));
        std::thread::sleep(Duration::from_millis(700));
    }
    let latency = m.run("latency");
    eprintln!("{}", latency.trim_end());
    if let (Some(sym), Some(rip)) = (
        cyrius::symbolize::Symbolizer::for_kernel(),
        latency
            .split("at RIP 0x")
            .nth(1)
            .and_then(|r| u64::from_str_radix(&r.chars().take_while(char::is_ascii_hexdigit).collect::<String>(), 16).ok()),
    ) {
        eprintln!("  (that RIP is in:\n{})", sym.lookup(rip).join("\n"));
    }
    let waited = number_after(&latency, "at most");
    let t = m.transcript();
    let summary = t.lines().rev().find(|l| l.contains("fuzz: done:")).unwrap_or("").to_string();
    eprintln!("{summary}");
    eprintln!(
        "host shell: {probes} probes during the run; a typed key waited at most {waited} ms in the guest; slowest round trip from the host {:.0} ms",
        slowest.as_secs_f64() * 1000.0
    );
    m.assert(summary.contains(&format!("seed {seed}, ")), &format!("the fuzzer's summary line is there: {summary:?}"));
    m.assert(summary.contains("hangs 0"), &format!("no system call outlived SIGKILL: {summary:?}"));
    let made = number_after(&summary, &format!("seed {seed},"));
    m.assert(made >= calls, &format!("{made} calls made, {calls} asked"));
    m.assert(waited < 1000, &format!("a typed key waited {waited} ms for the host shell during the run"));

    m.run_expect("oci-runtime delete fz", &[]);
    m.run("latency reset");
    m.run_expect("echo after", &["after"]);
    let waited = number_after(&m.run("latency"), "at most");
    m.assert(waited < 1000, &format!("a typed key waited {waited} ms for the host shell after the run"));
    let after = mem(&mut m);
    eprintln!("mem before {before:?}, after {after:?}");
    // Every kernel object the container had is gone (processes, threads,
    // address spaces, open files, pipes, sockets, shared mappings, its
    // tmpfs instances).
    m.assert(after.live == before.live, &format!("live objects before and after: {:?} / {:?}", before.live, after.live));
    // Its memory came back, except two things that are bounded and belong
    // to no container: the page cache keeps the images of the files it ran
    // (frames, at most a quarter of RAM, dropped under memory pressure), and
    // the kernel heap keeps the pages it grew to (its high-water mark; the
    // heap never unmaps). Beyond those, 16 frames (64 KiB) and 64 KiB of heap
    // for bookkeeping that grows by steps (the page cache's entries, table
    // capacities).
    let cache_growth = after.cached_pages.saturating_sub(before.cached_pages);
    let heap_growth = after.heap_mapped_kib.saturating_sub(before.heap_mapped_kib) / 4;
    let frames_growth = after.frames_used.saturating_sub(before.frames_used);
    m.assert(
        frames_growth <= cache_growth + heap_growth + 16,
        &format!("frames used grew by {frames_growth} ({cache_growth} page cache, {heap_growth} heap): {before:?} -> {after:?}"),
    );
    m.assert(
        after.heap_used_kib <= before.heap_used_kib + 64,
        &format!("heap used grew by {} KiB: {before:?} -> {after:?}", after.heap_used_kib.saturating_sub(before.heap_used_kib)),
    );
    m.poweroff();
}
