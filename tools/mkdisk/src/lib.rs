//! mkdisk: builds the FAT32 data disk that `cargo run` attaches. [`build`] formats a fresh
//! image with the `fat32` crate (the kernel's own FAT driver, over a host file) and copies
//! the contents of each input directory into its root: files, directories and their
//! modification times; symlinks and special files are skipped with a warning.
//!
//! Invariants: the output path only ever holds a complete image (it is written under
//! `<output>.part` and renamed at the end; a failed build removes the partial file); an input
//! that cannot fit is refused before copying, with the disk size that would hold it. Progress
//! (a line per tenth of the bytes for inputs of 16 MiB or more, and per file of 64 MiB or
//! more) and warnings go to stderr unless `quiet`.
//!
//! [`add`] copies directories into a folder of an existing image instead (replacing entries of
//! the same name there): how the runner puts `--image` imports on the data disk.
//!
//! Depends on `fat32` (feature `std`) and `errno`; host-only (std).

mod add;
mod copy;
mod error;
mod size;
mod space;
mod tree;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use fat32::{FatFs, FileDevice};

pub use add::add;
pub use error::Error;
pub use size::{mib, parse_size};

/// What to build.
#[derive(Clone, Debug)]
pub struct Options {
    /// Image size in bytes (rounded down to 512-byte sectors).
    pub size: u64,
    pub output: PathBuf,
    /// Volume label (up to 11 characters valid in 8.3 names).
    pub label: String,
    /// Directories whose contents go into the image's root, merged in order.
    pub inputs: Vec<PathBuf>,
    /// No progress lines or warnings on stderr.
    pub quiet: bool,
}

/// What was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub dirs: u64,
    /// Bytes of file data copied.
    pub bytes: u64,
    /// Inputs skipped (symlinks, special files).
    pub skipped: Vec<PathBuf>,
    /// Bytes in use and free on the finished image.
    pub used_bytes: u64,
    pub free_bytes: u64,
}

/// Builds the image described by `opts`.
pub fn build(opts: &Options) -> Result<Stats, Error> {
    let quiet = opts.quiet;
    let mut warn = |path: &Path, what: &str| {
        if !quiet {
            eprintln!("mkdisk: warning: {}: {what}", path.display());
        }
    };
    let tree = tree::scan(&opts.inputs, &mut warn)?;
    if let Some(parent) = opts.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(Error::io(parent))?;
    }
    let mut part = opts.output.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    match write_image(&part, opts, &tree) {
        Ok(stats) => {
            fs::rename(&part, &opts.output).map_err(Error::io(&opts.output))?;
            Ok(stats)
        }
        Err(e) => {
            let _ = fs::remove_file(&part);
            Err(e)
        }
    }
}

fn write_image(path: &Path, opts: &Options, tree: &tree::Tree) -> Result<Stats, Error> {
    let dev = FileDevice::create(path, opts.size).map_err(Error::io(path))?;
    fat32::format(&dev, &opts.label)
        .map_err(|source| Error::Format { output: opts.output.clone(), size: opts.size, source })?;
    let fs = FatFs::mount(dev, now)
        .map_err(|source| Error::Mount { output: opts.output.clone(), source })?;
    let st = fs.statfs().map_err(Error::fat(path))?;
    let cluster = u64::from(st.cluster_size);
    let free = u64::from(st.free_clusters) * cluster;
    let needed = space::clusters_needed(tree, cluster) * cluster;
    let no_space = || Error::NoSpace {
        output: opts.output.clone(),
        disk: opts.size,
        needed,
        free,
        suggested: space::minimum_disk(tree, opts.size, &opts.label),
    };
    if needed > free {
        return Err(no_space());
    }
    let mut progress = copy::Progress::new(tree.bytes, opts.quiet);
    match copy::copy_items(&fs, fs.root(), &tree.roots, &mut progress) {
        Err(Error::Fat { errno: errno::Errno::ENOSPC, .. }) => return Err(no_space()),
        other => other?,
    }
    let st = fs.statfs().map_err(Error::fat(path))?;
    fs.unmount().map_err(Error::fat(path))?;
    let free_bytes = u64::from(st.free_clusters) * cluster;
    Ok(Stats {
        files: tree.files,
        dirs: tree.dirs,
        bytes: tree.bytes,
        skipped: tree.skipped.clone(),
        used_bytes: u64::from(st.total_clusters) * cluster - free_bytes,
        free_bytes,
    })
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
