//! Copying a scanned [`Tree`] into a mounted volume, with modification times, merging
//! directories that several inputs share, and progress lines for large inputs.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use errno::Errno;
use fat32::{BlockDevice, FatFs, NodeId, NodeKind};

use crate::error::Error;
use crate::size::mib;
use crate::tree::Item;

/// Bytes copied per write.
const CHUNK: usize = 1 << 20;
/// Inputs at least this large get a progress line per tenth.
const PROGRESS_MIN_TOTAL: u64 = 16 << 20;
/// Files at least this large get a line of their own.
const LARGE_FILE: u64 = 64 << 20;

/// Progress lines on stderr: one per tenth of the bytes, one per large file.
pub struct Progress {
    total: u64,
    done: u64,
    next_tenth: u64,
    quiet: bool,
}

impl Progress {
    pub fn new(total: u64, quiet: bool) -> Progress {
        Progress { total, done: 0, next_tenth: 1, quiet }
    }

    fn file_started(&self, path: &Path, size: u64) {
        if !self.quiet && size >= LARGE_FILE {
            eprintln!("mkdisk: copying {} ({})", path.display(), mib(size));
        }
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        if self.quiet || self.total < PROGRESS_MIN_TOTAL {
            return;
        }
        while self.next_tenth <= 10 && self.done * 10 >= self.next_tenth * self.total {
            eprintln!("mkdisk: {}% ({} of {})", self.next_tenth * 10, mib(self.done), mib(self.total));
            self.next_tenth += 1;
        }
    }
}

/// Copies `items` into directory `dir`.
pub fn copy_items<D: BlockDevice>(
    fs: &FatFs<D>,
    dir: NodeId,
    items: &[Item],
    progress: &mut Progress,
) -> Result<(), Error> {
    for item in items {
        match item {
            Item::File { name, source, meta } => {
                progress.file_started(source, meta.len());
                let node = fs.create(dir, name).map_err(Error::fat(source))?;
                let copied = copy_file(fs, node, source, progress);
                let timed = copied.and_then(|()| set_times(fs, node, meta).map_err(Error::fat(source)));
                fs.forget(node, 1).map_err(Error::fat(source))?;
                timed?;
            }
            Item::Dir { name, source, meta, children } => {
                let node = make_dir(fs, dir, name).map_err(Error::fat(source))?;
                let copied = copy_items(fs, node, children, progress);
                let timed = copied.and_then(|()| set_times(fs, node, meta).map_err(Error::fat(source)));
                fs.forget(node, 1).map_err(Error::fat(source))?;
                timed?;
            }
        }
    }
    Ok(())
}

/// Directory `name` in `dir`: new, or the one an earlier input made.
fn make_dir<D: BlockDevice>(fs: &FatFs<D>, dir: NodeId, name: &str) -> Result<NodeId, Errno> {
    match fs.mkdir(dir, name) {
        Err(Errno::EEXIST) => {
            let node = fs.lookup(dir, name)?;
            if fs.metadata(node)?.kind == NodeKind::Dir {
                return Ok(node);
            }
            fs.forget(node, 1)?;
            Err(Errno::EEXIST)
        }
        other => other,
    }
}

fn copy_file<D: BlockDevice>(
    fs: &FatFs<D>,
    node: NodeId,
    source: &Path,
    progress: &mut Progress,
) -> Result<(), Error> {
    let mut file = File::open(source).map_err(Error::io(source))?;
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(Error::io(source))?;
        if n == 0 {
            return Ok(());
        }
        let mut written = 0;
        while written < n {
            let w = fs.write_at(node, offset, &buf[written..n]).map_err(Error::fat(source))?;
            written += w;
            offset += w as u64;
        }
        progress.advance(n as u64);
    }
}

fn set_times<D: BlockDevice>(fs: &FatFs<D>, node: NodeId, meta: &Metadata) -> Result<(), Errno> {
    let unix = |t: std::io::Result<SystemTime>| {
        t.ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64)
    };
    fs.set_times(node, unix(meta.accessed()), unix(meta.modified()))
}
