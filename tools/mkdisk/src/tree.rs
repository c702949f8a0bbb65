//! Scanning the input directories into a [`Tree`] of what to copy (sorted by name, so images
//! are reproducible), skipping what FAT cannot hold (symlinks, devices, FIFOs, sockets).

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use fat32::MAX_FILE_SIZE;

use crate::error::Error;

/// A file or directory to copy.
pub enum Item {
    File { name: String, source: PathBuf, meta: Metadata },
    Dir { name: String, source: PathBuf, meta: Metadata, children: Vec<Item> },
}

impl Item {
    pub fn name(&self) -> &str {
        match self {
            Item::File { name, .. } | Item::Dir { name, .. } => name,
        }
    }
}

/// Everything to copy into the image's root, with totals.
pub struct Tree {
    /// The contents of every input directory, in input order.
    pub roots: Vec<Item>,
    pub files: u64,
    pub dirs: u64,
    pub bytes: u64,
    /// Inputs skipped because FAT cannot hold them.
    pub skipped: Vec<PathBuf>,
}

/// Scans the contents of each input directory; `warn` hears of every skipped path.
pub fn scan(inputs: &[PathBuf], warn: &mut dyn FnMut(&Path, &str)) -> Result<Tree, Error> {
    let mut tree = Tree { roots: Vec::new(), files: 0, dirs: 0, bytes: 0, skipped: Vec::new() };
    for input in inputs {
        let meta = fs::metadata(input).map_err(Error::io(input))?;
        if !meta.is_dir() {
            return Err(Error::NotADirectory { path: input.clone() });
        }
        let mut items = scan_dir(input, &mut tree, warn)?;
        tree.roots.append(&mut items);
    }
    Ok(tree)
}

fn scan_dir(dir: &Path, tree: &mut Tree, warn: &mut dyn FnMut(&Path, &str)) -> Result<Vec<Item>, Error> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(Error::io(dir))?;
    paths.sort();
    let mut items = Vec::new();
    for source in paths {
        let meta = fs::symlink_metadata(&source).map_err(Error::io(&source))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            warn(&source, "symbolic link skipped (FAT cannot hold links)");
            tree.skipped.push(source);
            continue;
        }
        if !kind.is_dir() && !kind.is_file() {
            warn(&source, "special file skipped (FAT holds only files and directories)");
            tree.skipped.push(source);
            continue;
        }
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Fat { path: source.clone(), errno: errno::Errno::EINVAL })?
            .to_string();
        if kind.is_dir() {
            let children = scan_dir(&source, tree, warn)?;
            tree.dirs += 1;
            items.push(Item::Dir { name, source, meta, children });
        } else {
            if meta.len() > MAX_FILE_SIZE {
                return Err(Error::FileTooLarge { path: source, size: meta.len() });
            }
            tree.files += 1;
            tree.bytes += meta.len();
            items.push(Item::File { name, source, meta });
        }
    }
    Ok(items)
}
