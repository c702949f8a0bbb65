//! `mkdisk --size 256M --output build/data.img [--label CYRIUS] [--quiet] <DIR>...`

use std::path::PathBuf;
use std::process::ExitCode;

use mkdisk::{build, mib, parse_size, Options};

const USAGE: &str = "usage: mkdisk --size SIZE --output IMAGE [--label LABEL] [--quiet] DIR...
  Builds a FAT32 image of SIZE bytes (suffixes K, M, G, T) holding the contents of each DIR.";

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("mkdisk: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match build(&opts) {
        Ok(stats) => {
            println!(
                "mkdisk: wrote {} ({}): {} files, {} directories, {} used, {} free{}",
                opts.output.display(),
                mib(opts.size),
                stats.files,
                stats.dirs,
                mib(stats.used_bytes),
                mib(stats.free_bytes),
                match stats.skipped.len() {
                    0 => String::new(),
                    n => format!(", {n} skipped"),
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mkdisk: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The options, or `None` for `--help`.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut opts = Options {
        size: 0,
        output: PathBuf::new(),
        label: "CYRIUS".into(),
        inputs: Vec::new(),
        quiet: false,
    };
    let (mut size, mut output) = (None, None);
    let mut args = args;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quiet" | "-q" => opts.quiet = true,
            "--size" | "-s" => {
                let v = value("--size")?;
                size = Some(parse_size(&v).ok_or(format!("bad size '{v}' (e.g. 256M, 1G)"))?);
            }
            "--output" | "-o" => output = Some(PathBuf::from(value("--output")?)),
            "--label" | "-l" => opts.label = value("--label")?,
            f if f.starts_with('-') && f.len() > 1 => return Err(format!("unknown option '{f}'")),
            _ => opts.inputs.push(PathBuf::from(arg)),
        }
    }
    opts.size = size.ok_or("--size is required")?;
    opts.output = output.ok_or("--output is required")?;
    if opts.inputs.is_empty() {
        return Err("no input directory given".into());
    }
    Ok(Some(opts))
}
