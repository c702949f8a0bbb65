//! An overlay filesystem with Linux overlayfs semantics: read-only lower layers (the image's
//! EROFS layers) under one writable upper layer (a container's tmpfs), merged into one
//! `vfs::FileSystem`.
//!
//! Rules (Documentation/filesystems/overlayfs.rst, without redirect_dir, index or metacopy):
//! - A name resolves in the upper layer first, then in each lower layer, top first. A
//!   non-directory (in any layer) hides everything of that name below it; directories of
//!   the same name merge, down to the first opaque one.
//! - Whiteouts are character devices 0/0; opaque directories carry the xattr
//!   `trusted.overlay.opaque` = `y` (in the lower layers, as the image store writes them;
//!   in the upper layer the overlay keeps its own record, as tmpfs stores no xattrs).
//! - Copy-up: the first change to a lower file (write, open for writing, truncate, chmod,
//!   chown, utimes, rename, a hard link to it) copies it, with its owner, mode and times, to
//!   the upper layer, creating its parent directories there first (with their metadata);
//!   `O_TRUNC` copies no data. Lower hard links are broken by copy-up, as in overlayfs.
//! - Removing a name that a lower layer provides leaves a whiteout; a directory made where
//!   a whiteout was is opaque. `rmdir` needs the merged directory to be empty.
//! - Renaming a directory that has lower parts fails with `EXDEV` (userspace `mv` then
//!   copies), as overlayfs without redirect_dir; files and upper-only directories move.
//! - `readdir` merges the layers: lower entries first (each layer once, top first, an entry
//!   shown where its topmost layer lists it), then entries only the upper layer has;
//!   whiteouts never show. Cookies name (layer, position) and stay valid across changes.
//! - st_dev is the overlay's; st_ino is the real inode's number tagged with its layer, so it
//!   changes on copy-up (as overlayfs without xino). Merged directories report one link.
//!
//! Invariants: the lower layers are never written; the upper layer is only reached through
//! the overlay; no overlay lock is held while another overlay inode's lock is taken, except
//! a directory's child cache (leaf lock); copy-up never recurses (ancestors are walked
//! iteratively).
//!
//! Depends on `vfs`, `errno`, `spin`, `alloc`. No `unsafe`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod copy_up;
mod inode;
mod ops;
mod readdir;

use alloc::collections::BTreeSet;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::AtomicU64;

use errno::{Errno, KResult};
use spin::Mutex;
use vfs::{FileSystem, Inode, SetAttr, SetTime, StatFs};

pub use inode::OvlInode;

/// `f_type` of an overlay mount (`OVERLAYFS_SUPER_MAGIC`).
pub const OVERLAY_MAGIC: u64 = 0x794c_7630;
/// The xattr that makes a lower directory opaque.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// Most lower layers one overlay stacks (readdir cookies carry the layer in 7 bits).
pub const MAX_LOWERS: usize = 126;

/// What every inode of one overlay shares.
pub(crate) struct Shared {
    id: u64,
    upper: Arc<dyn FileSystem>,
    /// Upper directories that hide the lower layers, by inode number.
    opaque: Mutex<BTreeSet<u64>>,
    fs: Weak<OverlayFs>,
    /// For temporary names in the upper layer.
    seq: AtomicU64,
}

/// One mounted overlay.
pub struct OverlayFs {
    shared: Arc<Shared>,
    root: Arc<OvlInode>,
}

impl OverlayFs {
    /// Stacks `upper` (writable, normally empty) over `lowers` (top layer first). The upper
    /// root directory takes the mode, owner and times of the top lower root (the root of
    /// the merged tree is the image's).
    pub fn new(upper: Arc<dyn FileSystem>, lowers: Vec<Arc<dyn FileSystem>>) -> KResult<Arc<OverlayFs>> {
        if lowers.len() > MAX_LOWERS {
            return Err(Errno::EINVAL);
        }
        let upper_root = upper.root();
        if let Some(top) = lowers.first() {
            let m = top.root().metadata()?;
            let attr = SetAttr {
                mode: Some(m.perm),
                uid: Some(m.uid),
                gid: Some(m.gid),
                atime: Some(SetTime::At(m.atime)),
                mtime: Some(SetTime::At(m.mtime)),
            };
            upper_root.set_attr(&attr)?;
        }
        let mut roots = Vec::new();
        for (layer, fs) in lowers.iter().enumerate() {
            let root = fs.root();
            let opaque = layer + 1 < lowers.len() && inode::is_opaque_lower(&root)?;
            roots.push((layer, root));
            if opaque {
                break;
            }
        }
        Ok(Arc::new_cyclic(|me: &Weak<OverlayFs>| {
            let shared = Arc::new(Shared {
                id: vfs::alloc_fs_id(),
                upper,
                opaque: Mutex::new(BTreeSet::new()),
                fs: me.clone(),
                seq: AtomicU64::new(0),
            });
            let root = OvlInode::new_root(shared.clone(), upper_root, roots);
            OverlayFs { shared, root }
        }))
    }

    /// The upper layer.
    pub fn upper(&self) -> &Arc<dyn FileSystem> {
        &self.shared.upper
    }
}

impl FileSystem for OverlayFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    /// The upper layer's figures (where writes go), as overlayfs reports.
    fn statfs(&self) -> KResult<StatFs> {
        let mut st = self.shared.upper.statfs()?;
        st.magic = OVERLAY_MAGIC;
        Ok(st)
    }

    fn fs_type(&self) -> &'static str {
        "overlay"
    }

    fn id(&self) -> u64 {
        self.shared.id
    }
}
