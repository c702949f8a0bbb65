//! The image store of a layout: every layer converted once into an EROFS image,
//! `<layout>/erofs/<chain-id>.erofs` (see `oci::store`), which the kernel mounts (as the
//! lower layers of each container's overlay) instead of unpacking the layers.
//!
//! Each layer is read with the kernel's `oci` crate (blob digest and `diff_id` verified),
//! converted by [`crate::layerfs`] over the layers already converted (mounted with the
//! kernel's own `erofs` and `overlay` crates), written to a temporary name and renamed into
//! place. A store file that already carries the right ChainID and format version is kept
//! (the conversion is deterministic); files of other chains are removed.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use erofs::writer::Options;
use erofs::{Backing, ErofsFs};
use oci::store::{chain_ids, layer_file, uuid_of, STORE_DIR, VOLUME_NAME};
use oci::{open_layout, Digest};
use overlay::OverlayFs;
use vfs::{FileSystem, ManualClock, TmpFs, TmpFsOptions, Timespec, Vfs};

use crate::error::Kind;
use crate::store::DirStore;
use crate::STORE_LAYER_LIMIT;

/// A host file as an EROFS image's store.
pub struct FileBacking {
    file: File,
    size: u64,
}

impl FileBacking {
    pub fn open(path: &Path) -> std::io::Result<FileBacking> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        Ok(FileBacking { file, size })
    }
}

impl Backing for FileBacking {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> errno::KResult<()> {
        self.file.read_exact_at(buf, offset).map_err(|_| errno::Errno::EIO)
    }
}

/// One layer of a built store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreLayer {
    pub chain_id: Digest,
    pub file: PathBuf,
    pub bytes: u64,
    /// Kept from an earlier build rather than converted now.
    pub reused: bool,
}

/// Mounts the store file at `path` if it is whole and belongs to `chain_id`.
pub fn open_layer(path: &Path, chain_id: &Digest) -> Result<Arc<ErofsFs>, String> {
    let backing = FileBacking::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fs = ErofsFs::mount(Arc::new(backing)).map_err(|e| format!("{}: {e}", path.display()))?;
    let sb = fs.image().superblock();
    if sb.uuid != uuid_of(chain_id) || sb.volume_name != VOLUME_NAME {
        return Err(format!("{}: not the store image of layer chain {chain_id}", path.display()));
    }
    Ok(fs)
}

/// A namespace over the overlay of `lowers` (top first), for reading the merged lower tree.
fn lower_view(lowers: &[Arc<dyn FileSystem>]) -> Result<Option<Vfs>, String> {
    if lowers.is_empty() {
        return Ok(None);
    }
    let upper = TmpFs::new(Arc::new(ManualClock::new(Timespec::ZERO)), TmpFsOptions::default());
    let fs = OverlayFs::new(upper, lowers.to_vec()).map_err(|e| format!("stacking the lower layers: {e}"))?;
    Ok(Some(Vfs::new(fs)))
}

/// Builds (or brings up to date) the store of the OCI layout at `layout`.
pub fn build_store(layout: &Path) -> Result<Vec<StoreLayer>, Kind> {
    let store = DirStore::new(layout).map_err(Kind::io(layout))?;
    let image = open_layout(&store, None)?;
    let dir = layout.join(STORE_DIR);
    fs::create_dir_all(&dir).map_err(Kind::io(&dir))?;
    let diff_ids: Vec<Digest> = image.layers.iter().map(|l| l.diff_id).collect();
    let chains = chain_ids(&diff_ids);
    let mut lowers: Vec<Arc<dyn FileSystem>> = Vec::new();
    let mut built = Vec::new();
    for (i, chain) in chains.iter().enumerate() {
        let path = layout.join(layer_file(chain));
        let (fs, reused) = match open_layer(&path, chain) {
            Ok(fs) => (fs, true),
            Err(_) => {
                let tar = image
                    .layer_tar(&store, i, STORE_LAYER_LIMIT)
                    .map_err(|e| Kind::Invalid(format!("layer {i}: {e}")))?;
                let view = lower_view(&lowers).map_err(Kind::Invalid)?;
                let tree = crate::layerfs::convert(&tar, view.as_ref()).map_err(|e| Kind::Invalid(format!("layer {i}: {e}")))?;
                write_image(&tree, chain, &path)?;
                let fs = open_layer(&path, chain).map_err(|e| Kind::Invalid(format!("layer {i}: the store image just written: {e}")))?;
                (fs, false)
            }
        };
        let bytes = fs::metadata(&path).map_err(Kind::io(&path))?.len();
        built.push(StoreLayer { chain_id: *chain, file: path, bytes, reused });
        lowers.insert(0, fs);
    }
    // Store files of other chains (an older version of the image) go.
    let keep: BTreeSet<String> = chains.iter().map(|c| format!("{}.erofs", c.hex())).collect();
    for entry in fs::read_dir(&dir).map_err(Kind::io(&dir))? {
        let entry = entry.map_err(Kind::io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !keep.contains(&name) {
            fs::remove_file(entry.path()).map_err(Kind::io(entry.path()))?;
        }
    }
    Ok(built)
}

fn write_image(tree: &erofs::writer::Tree<'_>, chain: &Digest, path: &Path) -> Result<(), Kind> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let part = tempfile::Builder::new().suffix(".part").tempfile_in(parent).map_err(Kind::io(parent))?;
    let mut out = BufWriter::with_capacity(1 << 20, part.as_file());
    let options = Options { uuid: uuid_of(chain), volume_name: VOLUME_NAME, build_time: None };
    let mut io_error = None;
    let written = tree.write(&options, &mut |chunk| {
        out.write_all(chunk).map_err(|e| {
            io_error = Some(e);
            errno::Errno::EIO
        })
    });
    if let Some(e) = io_error {
        return Err(Kind::Io { path: path.to_path_buf(), error: e });
    }
    written.map_err(|e| Kind::Invalid(format!("{}: {e}", path.display())))?;
    out.flush().map_err(Kind::io(path))?;
    drop(out);
    use std::os::unix::fs::PermissionsExt;
    part.as_file().set_permissions(fs::Permissions::from_mode(0o644)).map_err(Kind::io(path))?;
    part.persist(path).map_err(|e| Kind::Io { path: path.to_path_buf(), error: e.error })?;
    Ok(())
}
