//! Python's own regression tests (the python image's `libpython3.11-testsuite`) as a
//! conformance suite: one module at a time through `boot/tests/realimages/pytests.py`
//! (one line per test: `ok|fail|error|skip|xfail|xpass ID`, then `END n`), in a Cyrius
//! container and on the host in the same image root, and the results compared.
//!
//! In Cyrius the module runs in a detached container writing to the data disk's `data/`
//! (bound at /srv), polled from the shell, killed at its deadline: a hang costs one module,
//! not the boot.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::machine::Machine;
use crate::realdisk;

/// The modules of the table, in its order.
pub const MODULES: [&str; 20] = [
    "test_os", "test_posix", "test_signal", "test_subprocess", "test_socket", "test_select", "test_selectors",
    "test_epoll", "test_fcntl", "test_mmap", "test_threading", "test_time", "test_asyncio", "test_tempfile",
    "test_shutil", "test_pty", "test_resource", "test_file", "test_io", "test_pipes",
];

/// Seconds one test may take before the run of its module ends.
pub const PER_TEST: u32 = 120;

/// One module's results: test id -> outcome (`ok`, `fail`, ...), and whether it ran to
/// its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Results {
    pub tests: BTreeMap<String, String>,
    pub complete: bool,
}

impl Results {
    pub fn parse(text: &str) -> Results {
        let mut r = Results::default();
        for line in text.lines() {
            let line = line.trim_end();
            if line == "END" || line.starts_with("END ") {
                r.complete = true;
                continue;
            }
            if let Some((kind, id)) = line.split_once(' ') {
                if ["ok", "fail", "error", "skip", "xfail", "xpass"].contains(&kind) && id.starts_with("test.") {
                    // A test with failing subtests is reported once per failure, then ok: keep the worst.
                    let e = r.tests.entry(id.to_string()).or_insert_with(|| kind.to_string());
                    if kind == "fail" || kind == "error" {
                        *e = kind.to_string();
                    }
                }
            }
        }
        r
    }

    /// The ids that passed.
    pub fn passed(&self) -> impl Iterator<Item = &str> {
        self.tests.iter().filter(|(_, k)| *k == "ok" || *k == "xfail").map(|(id, _)| id.as_str())
    }
}

/// Runs `module` on the host (same image root, as a container would see it).
pub fn on_host(module: &str, limit: Duration) -> Results {
    let script = format!("timeout {} python3 /mnt/pytests.py {module} {PER_TEST} 2>/dev/null", limit.as_secs());
    let out = realdisk::host_run("python", &script, None);
    Results::parse(&String::from_utf8_lossy(&out.stdout))
}

/// Runs `module` in Cyrius in a detached container, within `limit`.
pub fn in_cyrius(m: &mut Machine, module: &str, limit: Duration) -> Results {
    let id = format!("py-{}", module.trim_start_matches("test_").replace('_', "-"));
    let step = Duration::from_secs(300);
    m.run_with_timeout(
        &format!(
            "oci-runtime run -d --image python -v /mnt/scripts:/mnt:ro -v /mnt/data:/srv {id} sh -c \
             'python3 /mnt/pytests.py {module} {PER_TEST} > /srv/{module}.txt 2>/dev/null; echo > /srv/{module}.end'"
        ),
        step,
    );
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_secs(3));
        let ls = m.run_with_timeout("ls /mnt/data", step);
        if ls.split_whitespace().any(|w| w == format!("{module}.end")) {
            break;
        }
        if started.elapsed() > limit {
            m.run_with_timeout(&format!("oci-runtime kill {id} KILL"), step);
            break;
        }
    }
    let text = m.run_with_timeout(&format!("cat /mnt/data/{module}.txt"), step);
    m.run_with_timeout(&format!("oci-runtime delete --force {id}"), step);
    Results::parse(&text)
}
