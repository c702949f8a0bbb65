//! `cargo run`: build Cyrius (done by boot/build.rs), prepare the data disk,
//! and boot it in QEMU with the serial console on this terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use cyrius::userimages::{self, Source};
use cyrius::{paths, prereq, BootPath, ExitKind, QemuConfig};

const HELP: &str = "\
Boot Cyrius in QEMU (TCG) with the serial console on this terminal.

usage: cargo run -- [OPTIONS]

options:
  -m, --memory SIZE        guest memory, e.g. 512M or 1G (default 512M)
      --data-disk PATH     the FAT32 data disk to attach (default build/data.img,
                           made from images/ when missing)
      --no-data-disk       boot without a data disk
      --disk PATH          attach another raw disk image as virtio-blk (repeatable)
      --image [NAME=]PATH  put an image on the data disk (repeatable): an OCI image
                           layout directory, a `docker save` tarball (legacy or
                           Docker 25+) or an oci-archive tar; NAME (default: from the
                           image's tag, else the file name) is what `images` lists and
                           `oci-runtime run --image NAME` takes; replaces a same-named one
      --pull REF           pull [HOST[:PORT]/]NAME[:TAG|@DIGEST] from a registry
                           (linux/amd64) and add it like --image (repeatable)
      --insecure           plain HTTP for --pull (loopback registries always use it)
  -p, --publish HOST:GUEST forward host TCP port HOST to guest port GUEST (repeatable)
      --boot pvh|bios      how QEMU starts the kernel: pvh (default) loads it directly
                           (-kernel, qboot firmware, ~0.05 s to the kernel); bios boots
                           the bootloader crate's disk image (SeaBIOS, ~2 s)
  -h, --help               this text

Keys: Ctrl-A X quits QEMU, Ctrl-A C opens its monitor; `poweroff` in the shell ends it.
Standard input may be a pipe: a script can type commands, ending with `poweroff`.";

fn parse_size_mib(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.chars().last() {
        Some('G') | Some('g') => (&s[..s.len() - 1], 1024),
        Some('M') | Some('m') => (&s[..s.len() - 1], 1),
        _ => (s, 1),
    };
    let n: u64 = num.parse().map_err(|_| format!("bad memory size '{s}' (try 512M or 1G)"))?;
    let mib = n * mult;
    if !(64..=16384).contains(&mib) {
        return Err(format!("memory size '{s}' out of range (64M..16G)"));
    }
    Ok(mib)
}

fn parse_publish(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("bad port mapping '{s}' (expected HOST:GUEST, e.g. 8080:80)");
    let (h, g) = s.split_once(':').ok_or_else(bad)?;
    Ok((h.parse().map_err(|_| bad())?, g.parse().map_err(|_| bad())?))
}

/// What to boot: the QEMU setup, the data disk, and images to add to it first.
struct Boot {
    config: QemuConfig,
    data_disk: Option<PathBuf>,
    images: Vec<Source>,
    insecure: bool,
}

enum Action {
    Boot(Boot),
    Help,
}

fn parse_args(args: &[String]) -> Result<Action, String> {
    let mut config = QemuConfig { interactive: true, data_disk_snapshot: false, ..QemuConfig::default() };
    let mut data_disk = Some(paths::build_dir().join("data.img"));
    let (mut images, mut insecure) = (Vec::new(), false);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Action::Help),
            "-m" | "--memory" => config.memory_mib = parse_size_mib(&value(arg)?)?,
            "--data-disk" => data_disk = Some(PathBuf::from(value(arg)?)),
            "--no-data-disk" => data_disk = None,
            "--disk" => {
                let p = PathBuf::from(value(arg)?);
                if !p.is_file() {
                    return Err(format!("{}: no such disk image", p.display()));
                }
                config.extra_disks.push(p);
            }
            "-p" | "--publish" => config.publish.push(parse_publish(&value(arg)?)?),
            "--boot" => config.boot = BootPath::parse(&value(arg)?)?,
            "--image" => images.push(userimages::parse_image_arg(&value(arg)?)?),
            "--pull" => images.push(Source::Pull { reference: value(arg)? }),
            "--insecure" => insecure = true,
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    if data_disk.is_none() && !images.is_empty() {
        return Err("--image and --pull put images on the data disk: drop --no-data-disk".into());
    }
    Ok(Action::Boot(Boot { config, data_disk, images, insecure }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Boot { mut config, data_disk, images, insecure } = match parse_args(&args) {
        Ok(Action::Help) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Action::Boot(boot)) => boot,
        Err(msg) => {
            eprintln!("cyrius: {msg}");
            return ExitCode::from(2);
        }
    };
    if let Err(msg) = prereq::check_qemu() {
        eprintln!("cyrius: {msg}");
        return ExitCode::from(2);
    }
    if let Some(disk) = data_disk {
        if let Err(msg) = cyrius::datadisk::ensure(&disk) {
            eprintln!("cyrius: data disk {}: {msg}", disk.display());
            return ExitCode::from(2);
        }
        if !images.is_empty() {
            match userimages::add_to_disk(&disk, &images, insecure) {
                Ok(lines) => lines.iter().for_each(|l| eprintln!("cyrius: {l}")),
                Err(msg) => {
                    eprintln!("cyrius: {msg}");
                    return ExitCode::from(2);
                }
            }
        }
        config.data_disk = Some(disk);
    }
    let started = if std::io::stdin().is_terminal() {
        cyrius::script::run_interactive(config.command())
    } else {
        cyrius::script::run_scripted(config.command())
    };
    let status = match started {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cyrius: cannot start {}: {e}", prereq::QEMU);
            return ExitCode::from(2);
        }
    };
    match ExitKind::from_status(status.code()) {
        ExitKind::PowerOff => ExitCode::SUCCESS,
        ExitKind::Panic => {
            eprintln!("cyrius: the kernel panicked (stack traces above are symbolized with {})", paths::kernel_elf().display());
            ExitCode::from(1)
        }
        ExitKind::Other(code) => {
            eprintln!("cyrius: QEMU ended with status {code:?}");
            ExitCode::from(1)
        }
    }
}
