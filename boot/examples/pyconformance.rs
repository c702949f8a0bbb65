//! Python's regression suite in Cyrius and on the host (`scripts/python-conformance`):
//! runs each module of `pysuite::MODULES` (or those named as arguments) both ways, keeps
//! the results under `build/pyconformance/`, and prints the README's table.
//! `PYSUITE_LIMIT` (seconds, default 900) bounds each module's run; `PYSUITE_HOST_ONLY=1`
//! reruns only the host side, taking Cyrius's results from the last run.
use std::fs;
use std::time::Duration;

use cyrius::pysuite::{self, Results};

fn main() {
    let limit = Duration::from_secs(std::env::var("PYSUITE_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(900));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let modules: Vec<String> = if args.is_empty() { pysuite::MODULES.iter().map(|m| m.to_string()).collect() } else { args };
    let dir = cyrius::paths::build_dir().join("pyconformance");
    fs::create_dir_all(&dir).unwrap();
    let host_modules = modules.clone();
    let host = std::thread::spawn(move || host_modules.iter().map(|m| pysuite::on_host(m, limit)).collect::<Vec<Results>>());
    let host_only = std::env::var("PYSUITE_HOST_ONLY").is_ok_and(|v| v == "1");
    let guest: Vec<Results> = if host_only {
        modules.iter().map(|m| Results::parse(&fs::read_to_string(dir.join(format!("{m}.cyrius.txt"))).unwrap_or_default())).collect()
    } else {
        in_cyrius(&modules, limit)
    };
    let host = host.join().unwrap();
    println!("| module | tests | passed on Linux | passed on Cyrius |\n|---|---:|---:|---:|");
    let (mut t, mut l, mut c) = (0, 0, 0);
    for ((module, h), g) in modules.iter().zip(&host).zip(&guest) {
        let save = |kind: &str, r: &Results| {
            let text: String = r.tests.iter().map(|(id, k)| format!("{k} {id}\n")).collect();
            fs::write(dir.join(format!("{module}.{kind}.txt")), text + if r.complete { "END\n" } else { "" }).unwrap();
        };
        save("linux", h);
        save("cyrius", g);
        let tests = h.tests.len().max(g.tests.len());
        let (lp, cp) = (h.passed().count(), g.passed().count());
        let note = if g.complete { "" } else { " (run ended early)" };
        println!("| {module} | {tests} | {lp} | {cp}{note} |");
        (t, l, c) = (t + tests, l + lp, c + cp);
    }
    println!("| all | {t} | {l} | {c} |");
}

fn in_cyrius(modules: &[String], limit: Duration) -> Vec<Results> {
    let mut config = cyrius::QemuConfig::default();
    config.memory_mib = 2048;
    config.data_disk = Some(cyrius::realdisk::disk());
    config.data_disk_snapshot = true;
    let mut m = cyrius::Machine::boot(&config);
    m.run("log error");
    let mut guest = Vec::new();
    for module in modules {
        let r = pysuite::in_cyrius(&mut m, module, limit);
        eprintln!("{module}: {} passed in Cyrius{}", r.passed().count(), if r.complete { "" } else { " (did not finish)" });
        guest.push(r);
    }
    m.poweroff();
    guest
}
