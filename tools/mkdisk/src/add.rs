//! [`add`]: copies directories into a folder of an existing image (the runner's
//! `--image`), replacing entries of the same name there, without touching the rest.

use std::path::{Path, PathBuf};

use errno::Errno;
use fat32::{BlockDevice, FatFs, FileDevice, NodeId, NodeKind};

use crate::error::Error;
use crate::{copy, now, space, tree, Stats};

/// Copies the contents of each input directory into `folder` (`/`-separated, made if
/// missing) of the FAT32 image at `image`. An entry of the same name already there is
/// removed first (so a re-added image replaces the old one). The image is checked for
/// space after that removal and refused, unchanged beyond it, if the inputs do not fit.
pub fn add(image: &Path, folder: &str, inputs: &[PathBuf], quiet: bool) -> Result<Stats, Error> {
    let mut warn = |path: &Path, what: &str| {
        if !quiet {
            eprintln!("mkdisk: warning: {}: {what}", path.display());
        }
    };
    let tree = tree::scan(inputs, &mut warn)?;
    let dev = FileDevice::open(image).map_err(Error::io(image))?;
    let fs = FatFs::mount(dev, now).map_err(|source| Error::NotFat { image: image.to_path_buf(), source })?;
    let dir = make_path(&fs, folder).map_err(Error::fat(image))?;
    for item in &tree.roots {
        match fs.lookup(dir, item.name()) {
            Ok(node) => {
                fs.forget(node, 1).map_err(Error::fat(image))?;
                remove_tree(&fs, dir, item.name()).map_err(Error::fat(image))?;
            }
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(Error::Fat { path: image.to_path_buf(), errno: e }),
        }
    }
    let st = fs.statfs().map_err(Error::fat(image))?;
    let cluster = u64::from(st.cluster_size);
    let free = u64::from(st.free_clusters) * cluster;
    let needed = space::clusters_needed(&tree, cluster) * cluster;
    if needed > free {
        let _ = fs.unmount();
        return Err(Error::Full { image: image.to_path_buf(), needed, free });
    }
    let mut progress = copy::Progress::new(tree.bytes, quiet);
    let copied = copy::copy_items(&fs, dir, &tree.roots, &mut progress);
    if dir != fs.root() {
        fs.forget(dir, 1).map_err(Error::fat(image))?;
    }
    let st = fs.statfs().map_err(Error::fat(image))?;
    fs.unmount().map_err(Error::fat(image))?;
    copied?;
    let free_bytes = u64::from(st.free_clusters) * cluster;
    Ok(Stats {
        files: tree.files,
        dirs: tree.dirs,
        bytes: tree.bytes,
        skipped: tree.skipped,
        used_bytes: u64::from(st.total_clusters) * cluster - free_bytes,
        free_bytes,
    })
}

/// The directory at `folder`, made (with its parents) if missing. The caller forgets it
/// unless it is the root.
fn make_path<D: BlockDevice>(fs: &FatFs<D>, folder: &str) -> Result<NodeId, Errno> {
    let mut dir = fs.root();
    for part in folder.split('/').filter(|p| !p.is_empty()) {
        let next = match fs.mkdir(dir, part) {
            Err(Errno::EEXIST) => fs.lookup(dir, part)?,
            other => other?,
        };
        if dir != fs.root() {
            fs.forget(dir, 1)?;
        }
        if fs.metadata(next)?.kind != NodeKind::Dir {
            fs.forget(next, 1)?;
            return Err(Errno::ENOTDIR);
        }
        dir = next;
    }
    Ok(dir)
}

/// Removes `name` from `dir`, with everything under it.
fn remove_tree<D: BlockDevice>(fs: &FatFs<D>, dir: NodeId, name: &str) -> Result<(), Errno> {
    let node = fs.lookup(dir, name)?;
    let kind = fs.metadata(node).map(|m| m.kind);
    let emptied = match kind {
        Ok(NodeKind::Dir) => empty_dir(fs, node),
        Ok(NodeKind::File) => Ok(()),
        Err(e) => Err(e),
    };
    fs.forget(node, 1)?;
    emptied?;
    match kind? {
        NodeKind::Dir => fs.rmdir(dir, name),
        NodeKind::File => fs.unlink(dir, name),
    }
}

fn empty_dir<D: BlockDevice>(fs: &FatFs<D>, dir: NodeId) -> Result<(), Errno> {
    loop {
        let items = fs.readdir(dir, 0, 64)?;
        let names: Vec<String> = items.into_iter().map(|i| i.name).filter(|n| n != "." && n != "..").collect();
        if names.is_empty() {
            return Ok(());
        }
        for name in names {
            remove_tree(fs, dir, &name)?;
        }
    }
}
