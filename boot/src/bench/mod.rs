//! The benchmark harness: Cyrius against Linux + runc in the same QEMU.
//!
//! Role: boot each system N times with the same QEMU flags (`QemuConfig`, 512 MiB,
//! TCG, the same FAT32 data disk as the first virtio-blk device), run the same
//! workloads in each boot, and report the median and min..max per workload and
//! system as a table, `bench.csv` and a hand-written SVG chart.
//! Invariants: every workload cell is either samples, an explicit "n/a" with its
//! reason (a feature Cyrius lacks yet, or no Linux guest), or an error; a failing
//! boot never aborts the others. Timings come from inside the guest (Cyrius' shell
//! `time`, and the same static `benchtool` binary on both systems) except the boot
//! metrics, which count from QEMU's start, and the HTTP rows, which a client on
//! the host times through QEMU's port forward.
//! Depends on: `machine` (serial console driver), `qemu`, `datadisk`, and
//! `scripts/linux-guest` (which builds the Linux kernel + initramfs from .debs).
//!
//! Modules: `options` (what to run), `guest` (booting a system, typing commands),
//! `linux` (building the Linux guest), `workloads` (one small function each; add
//! a row by adding a `Workload`), `http` (the host's HTTP client for the
//! busybox httpd rows), `stats` (median/min/max), `report` (table, CSV, SVG). Entry points: `run` (the whole harness) and `Report::write_files`.

pub mod guest;
pub mod http;
pub mod linux;
pub mod options;
pub mod report;
pub mod stats;
pub mod workloads;

pub use guest::{Guest, System};
pub use options::Options;
pub use report::{Cell, Report, Row};

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::datadisk;

/// Name of the 16 MiB file on the bench data disk.
pub const BIG_FILE: &str = "file16m";
const BIG_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Room for the python image (56 MB of layer blobs + 177 MB of store) and the rest.
const DISK_MIB: u64 = 512;
/// The Debian-based image of the start-time and memory rows (`images/debian/image.sh`).
pub const PYTHON_IMAGE: &str = "python";
/// The file on the bench disk naming the python image's EROFS store files, one per
/// line, base layer first (paths relative to the disk's root): what the Linux
/// guest stacks under overlayfs, as a snapshotter's metadata would tell it.
pub const PYTHON_LAYERS: &str = "python-layers";

/// The bench data disk (FAT32, 512 MiB sparse, holding `BIG_FILE`, the OCI images
/// with their stores, the python image, `benchtool` and `bin/busybox`), made once
/// with the independent FAT tools; both systems open it in snapshot mode.
pub fn data_disk() -> Result<PathBuf, String> {
    let tool = crate::paths::repo_root().join("scripts/linux-guest-benchtool.c");
    let source = std::fs::read(&tool).map_err(|e| format!("{}: {e}", tool.display()))?;
    // The python image's layout, cached by images/debian/image.sh under a name that
    // carries the key of all its inputs.
    let python = python_layout()?;
    let key = std::fs::canonicalize(&python).map_err(|e| format!("{}: {e}", python.display()))?;
    // The name carries a version (bump it when the contents change) and a hash
    // of benchtool's source and the python image's key, so changing either makes a new disk.
    let inputs = [source.as_slice(), key.as_os_str().as_encoded_bytes()].concat();
    let hash = inputs.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    let image = crate::paths::build_dir().join(format!("bench-data-v6-{hash:016x}.img"));
    if image.exists() {
        return Ok(image);
    }
    let dir = crate::paths::build_dir().join(format!("bench-data.{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let made = fill_disk_dir(&dir, &tool, &python).and_then(|_| {
        let private = image.with_extension(format!("{}.img", std::process::id()));
        datadisk::build_fat32(&private, DISK_MIB, "CYRBENCH", Some(&dir))
            .and_then(|_| std::fs::rename(&private, &image).map_err(|e| e.to_string()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    made.map(|_| image)
}

/// Builds (or finds cached) the python image's OCI layout; returns its path.
fn python_layout() -> Result<PathBuf, String> {
    let script = crate::paths::repo_root().join("images/debian/image.sh");
    let out = crate::paths::build_dir().join("images").join(PYTHON_IMAGE);
    let built = std::process::Command::new("bash")
        .arg(&script)
        .arg(PYTHON_IMAGE)
        .arg(&out)
        .output()
        .map_err(|e| format!("bash {}: {e}", script.display()))?;
    if !built.status.success() {
        let stderr = String::from_utf8_lossy(&built.stderr);
        return Err(format!("images/debian/image.sh {PYTHON_IMAGE} failed (run scripts/setup): {}", stderr.trim()));
    }
    Ok(out)
}

/// The bench disk's files, staged in `dir`.
fn fill_disk_dir(dir: &std::path::Path, tool: &std::path::Path, python: &std::path::Path) -> Result<(), String> {
    // Deterministic, incompressible-looking bytes.
    let data: Vec<u8> = (0..BIG_FILE_BYTES as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(dir.join(BIG_FILE), data).map_err(|e| e.to_string())?;
    // The OCI images, for the container workloads.
    datadisk::build_images(dir)?;
    // The python image with its store, and the list of its store files.
    let imported = ociimport::import(python, &dir.join("images"), Some(PYTHON_IMAGE)).map_err(|e| e.to_string())?;
    let layers = ociimport::build_store(&imported.dir).map_err(|e| format!("{}: {e}", imported.dir.display()))?;
    let list: String = layers
        .iter()
        .map(|l| format!("images/{PYTHON_IMAGE}/{}\n", oci::store::layer_file(&l.chain_id)))
        .collect();
    std::fs::write(dir.join(PYTHON_LAYERS), list).map_err(|e| e.to_string())?;
    // The Linux guest's static benchtool, built as scripts/linux-guest builds
    // it (musl-gcc), so both systems run the same binary.
    let built = std::process::Command::new("musl-gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(dir.join("benchtool"))
        .arg(tool)
        .status()
        .map_err(|e| format!("musl-gcc: {e} (run `scripts/setup`)"))?;
    if !built.success() {
        return Err(format!("building {} failed", tool.display()));
    }
    // The busybox the fork+exec row runs on both systems (the image's busybox).
    std::fs::create_dir_all(dir.join("bin")).map_err(|e| e.to_string())?;
    std::fs::copy("/bin/busybox", dir.join("bin/busybox")).map_err(|e| format!("/bin/busybox: {e} (run `scripts/setup`)"))?;
    Ok(())
}

/// Runs every workload `options.runs` times on each system and collects the report.
/// `log` receives one progress line per boot.
pub fn run(options: &Options, log: &mut dyn FnMut(&str)) -> Result<Report, String> {
    crate::prereq::check_qemu()?;
    let disk = data_disk()?;
    let linux = match linux::prepare() {
        Ok(images) => Ok(images),
        Err(e) => {
            log(&format!("bench: no Linux guest ({e}); its column is n/a"));
            Err(e)
        }
    };
    let list = workloads::all();
    let mut samples: BTreeMap<(System, usize), Result<Vec<f64>, String>> = BTreeMap::new();
    for run in 1..=options.runs {
        for system in [System::Cyrius, System::Linux] {
            if system == System::Linux && linux.is_err() {
                continue;
            }
            log(&format!("bench: {system} boot {run}/{}", options.runs));
            let images = linux.as_ref().ok();
            let results = guest::with_booted(system, &disk, images, |g| {
                list.iter().map(|w| w.on(system).ok().map(|measure| measure(g, options))).collect::<Vec<_>>()
            });
            for (i, w) in list.iter().enumerate() {
                if w.on(system).is_err() {
                    continue;
                }
                let entry = samples.entry((system, i)).or_insert_with(|| Ok(Vec::new()));
                let outcome = match &results {
                    Ok(per_workload) => per_workload.get(i).cloned().flatten().unwrap_or_else(|| Err("not run".into())),
                    Err(boot_error) => Err(boot_error.clone()),
                };
                match (entry, outcome) {
                    (Ok(v), Ok(x)) => v.push(x),
                    (entry @ Ok(_), Err(e)) => *entry = Err(e),
                    (Err(_), _) => {}
                }
            }
        }
    }
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let cell = |system: System| match (w.on(system), system, &linux) {
                (Err(reason), _, _) => Cell::NotApplicable(reason.to_string()),
                (Ok(_), System::Linux, Err(e)) => Cell::NotApplicable(format!("no Linux guest: {e}")),
                (Ok(_), _, _) => match samples.get(&(system, i)) {
                    Some(Ok(v)) if !v.is_empty() => Cell::Samples(v.clone()),
                    Some(Err(e)) => Cell::Failed(e.clone()),
                    _ => Cell::Failed("no samples".into()),
                },
            };
            Row { workload: w.name.to_string(), unit: w.unit, cyrius: cell(System::Cyrius), linux: cell(System::Linux) }
        })
        .collect();
    Ok(Report { runs: options.runs, rows })
}
