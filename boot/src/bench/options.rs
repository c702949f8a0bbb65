//! What a benchmark run does: repetitions, workload sizes, where results go.

use std::path::PathBuf;

pub const USAGE: &str = "\
Benchmark Cyrius against Linux + runc in the same QEMU (TCG, 512 MiB).

usage: cargo run --bin bench -- [--quick] [--runs N] [--out DIR]

  --quick      one boot per system and smaller loops (what `cargo test` runs)
  --runs N     boots per system; each figure is the median of N (default 3)
  --out DIR    where bench.csv and bench.svg go (default build/bench)
  -h, --help   this text";

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Boots per system; every workload is measured once per boot.
    pub runs: usize,
    pub out: PathBuf,
    /// getpid calls per sample.
    pub getpid_calls: u64,
    /// fork+exec+wait rounds per sample.
    pub spawn_rounds: u64,
    /// MiB pushed through the pipe per sample.
    pub pipe_mib: u64,
    /// One-byte round trips between two processes per sample.
    pub pingpong_rounds: u64,
    /// Runnable processes in the scheduler rows.
    pub crowd: u64,
    /// sched_yield calls per process per sample (with `crowd` processes).
    pub yields_per_process: u64,
    /// Busy-loop iterations shared by 1 and by `crowd` processes.
    pub spin_iters: u64,
    /// How long the host sends sequential HTTP GETs per sample.
    pub http_seconds: f64,
    /// Size of the file the HTTP download row fetches (and the upload row sends).
    pub download_mib: u64,
    /// 4 KiB records written (each with fsync) per sample.
    pub fsync_records: u64,
}

impl Options {
    pub fn full() -> Options {
        Options {
            runs: 3,
            out: crate::paths::build_dir().join("bench"),
            getpid_calls: 1_000_000,
            spawn_rounds: 100,
            pipe_mib: 64,
            pingpong_rounds: 20_000,
            crowd: 100,
            yields_per_process: 200,
            spin_iters: 200_000_000,
            http_seconds: 3.0,
            download_mib: 32,
            fsync_records: 500,
        }
    }

    /// One boot per system, small loops: for `cargo test`.
    pub fn quick() -> Options {
        Options {
            runs: 1,
            getpid_calls: 100_000,
            spawn_rounds: 20,
            pipe_mib: 16,
            pingpong_rounds: 5_000,
            yields_per_process: 50,
            spin_iters: 50_000_000,
            http_seconds: 1.0,
            download_mib: 8,
            fsync_records: 100,
            ..Options::full()
        }
    }

    /// Parses the command line; `Ok(None)` means `--help`.
    pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut options = if quick { Options::quick() } else { Options::full() };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => {}
                "--runs" => {
                    let v = value()?;
                    options.runs = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or_else(|| format!("bad --runs '{v}' (a number from 1 to 100)"))?;
                }
                "--out" => options.out = PathBuf::from(value()?),
                other => return Err(format!("unknown option '{other}' (see --help)")),
            }
        }
        Ok(Some(options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        Options::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        assert_eq!(parse(&[]), Ok(Some(Options::full())));
        let o = parse(&["--runs", "5", "--quick", "--out", "/x"]).unwrap().unwrap();
        assert_eq!((o.runs, o.out, o.spawn_rounds), (5, PathBuf::from("/x"), Options::quick().spawn_rounds));
        assert_eq!(parse(&["--help"]), Ok(None));
        assert!(parse(&["--runs", "0"]).unwrap_err().contains("bad --runs"));
        assert!(parse(&["--runs"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--bogus"]).unwrap_err().contains("unknown option"));
    }
}
