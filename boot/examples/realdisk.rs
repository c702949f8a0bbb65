//! Boots Cyrius with the real-images disk (snapshot mode) and runs each argument as a
//! shell line, printing what it printed: `cargo run --example realdisk -- 'cmd' ...`.
use std::time::Duration;
fn main() {
    let disk = cyrius::realdisk::disk();
    let mut config = cyrius::QemuConfig::default();
    config.memory_mib = 2048;
    config.data_disk = Some(disk);
    config.data_disk_snapshot = true;
    if let Ok(p) = std::env::var("PUBLISH") {
        for pair in p.split(',') {
            let (h, g) = pair.split_once(':').unwrap();
            config.publish.push((h.parse().unwrap(), g.parse().unwrap()));
        }
    }
    let mut m = cyrius::Machine::boot(&config);
    for line in std::env::args().skip(1) {
        if let Some(secs) = line.strip_prefix("SLEEP ") {
            std::thread::sleep(Duration::from_secs(secs.parse().unwrap()));
            continue;
        }
        let out = m.run_with_timeout(&line, Duration::from_secs(600));
        println!("$ {line}\n{out}");
    }
    m.poweroff();
}
