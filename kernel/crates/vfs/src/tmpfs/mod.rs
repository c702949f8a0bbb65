//! tmpfs: a filesystem in RAM with Linux tmpfs behaviour (hard links, sparse
//! files, timestamps from an injected clock, a byte and inode limit giving
//! `ENOSPC`). Space is charged per allocated 4 KiB data page and returned when
//! the last reference to a file goes away (an unlinked file held open still
//! counts, as on Linux).
//!
//! [`TmpFs::snapshot`] makes a copy-on-write clone of a whole instance: the
//! tree and metadata are copied, file pages are shared and copied one page at
//! a time on first write (see `pages`). Each instance charges the pages its
//! files reference, shared or not, so its limits read as if it owned a full
//! copy; the memory actually used is lower.
//!
//! Locking: each inode has one `RwLock`. Operations lock a directory before
//! any child; a cross-directory rename first takes the per-instance rename
//! lock, then both directories in inode-number order. Parent links of
//! directories sit in their own leaf lock, so ancestry can be checked while
//! directories are locked.

mod dir;
mod inode;
mod pages;
mod snapshot;

use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU64, Ordering};

use errno::{Errno, KResult};
use spin::Mutex;

use crate::device::DeviceRegistry;
use crate::node::{alloc_fs_id, FileSystem, Inode};
use crate::time::Clock;
use crate::types::{FileKind, StatFs, Timespec, NAME_MAX};

pub use inode::TmpInode;
pub use pages::PAGE_SIZE;

/// `f_type` tmpfs reports in `statfs`.
pub const TMPFS_MAGIC: u64 = 0x0102_1994;

/// How a tmpfs instance is set up.
#[derive(Clone)]
pub struct TmpFsOptions {
    /// Maximum bytes of file data (rounded up to pages); `None`: unlimited.
    pub size_limit: Option<u64>,
    /// Maximum number of inodes; `None`: unlimited.
    pub max_inodes: Option<u64>,
    /// Permission bits of the root directory (Linux default `1777`).
    pub root_perm: u32,
    pub root_uid: u32,
    pub root_gid: u32,
    /// Type name for `/proc/mounts`.
    pub fs_type: &'static str,
    /// Drivers that character-device nodes read and write through.
    pub devices: Option<Arc<DeviceRegistry>>,
    /// Who else pays for new data pages (the kernel: its memory budget, a
    /// container's memory limit); `None`: only `size_limit` counts.
    pub charge: Option<Arc<dyn PageCharge>>,
}

/// Memory accounting beyond the instance's size limit: asked before each new
/// data page; a refusal makes the write stop short (`ENOSPC` if nothing was
/// written), as a full tmpfs does. Pages shared with a snapshot's source are
/// not new memory and are not charged.
pub trait PageCharge: Send + Sync {
    /// One more page; false to refuse it.
    fn charge(&self) -> bool;
    /// `pages` charged pages were freed.
    fn uncharge(&self, pages: u64);
}

impl Default for TmpFsOptions {
    fn default() -> Self {
        TmpFsOptions {
            size_limit: None,
            max_inodes: None,
            root_perm: 0o1777,
            root_uid: 0,
            root_gid: 0,
            fs_type: "tmpfs",
            devices: None,
            charge: None,
        }
    }
}

/// One tmpfs instance.
pub struct TmpFs {
    shared: Arc<Shared>,
    root: Arc<TmpInode>,
}

/// State every inode of an instance shares (kept alive by the inodes, so an
/// open file outlives an unmounted instance safely).
pub(crate) struct Shared {
    id: u64,
    fs_type: &'static str,
    clock: Arc<dyn Clock>,
    page_limit: Option<u64>,
    pages_used: AtomicU64,
    inode_limit: Option<u64>,
    inodes_used: AtomicU64,
    next_ino: AtomicU64,
    /// Shared pages copied on write (a measure of what snapshots saved).
    page_copies: AtomicU64,
    /// Serializes cross-directory renames (Linux's `s_vfs_rename_mutex`).
    rename_lock: Mutex<()>,
    devices: Option<Arc<DeviceRegistry>>,
    charge: Option<Arc<dyn PageCharge>>,
    /// Pages `charge` accepted and not yet given back.
    charged: AtomicU64,
    fs: Weak<TmpFs>,
    _counted: Counted,
}

/// tmpfs instances whose data still exists (an instance's data lives while
/// any of its inodes does, even unmounted: an open file keeps it).
static INSTANCES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Counts its owner in [`INSTANCES`] while it exists.
struct Counted;

impl Counted {
    fn new() -> Counted {
        INSTANCES.fetch_add(1, Ordering::Relaxed);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        INSTANCES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many tmpfs instances exist (for finding leaks).
pub fn live_instances() -> usize {
    INSTANCES.load(Ordering::Relaxed)
}

impl TmpFs {
    /// A new, empty instance.
    pub fn new(clock: Arc<dyn Clock>, options: TmpFsOptions) -> Arc<TmpFs> {
        Arc::new_cyclic(|fs| {
            let shared = Arc::new(Shared {
                id: alloc_fs_id(),
                fs_type: options.fs_type,
                clock,
                page_limit: options.size_limit.map(|bytes| bytes.div_ceil(PAGE_SIZE as u64)),
                pages_used: AtomicU64::new(0),
                inode_limit: options.max_inodes,
                inodes_used: AtomicU64::new(0),
                next_ino: AtomicU64::new(1),
                page_copies: AtomicU64::new(0),
                rename_lock: Mutex::new(()),
                devices: options.devices.clone(),
                charge: options.charge.clone(),
                charged: AtomicU64::new(0),
                fs: fs.clone(),
                _counted: Counted::new(),
            });
            let root = TmpInode::new_root(&shared, options.root_perm, options.root_uid, options.root_gid);
            TmpFs { shared, root }
        })
    }

    /// Bytes of file data its files reference (pages shared with a snapshot
    /// count in both instances).
    pub fn bytes_used(&self) -> u64 {
        self.shared.pages_used.load(Ordering::Relaxed) * PAGE_SIZE as u64
    }

    /// How many shared pages a write or truncate in this instance copied.
    pub fn page_copies(&self) -> u64 {
        self.shared.page_copies.load(Ordering::Relaxed)
    }

    /// A copy-on-write clone of the whole tree as a new instance (its own
    /// `st_dev`, same options and inode numbers): directories, attributes,
    /// symlinks, device nodes and hard links (link counts and identity) are
    /// copied; file data is shared page by page until either side writes it,
    /// so no change in one instance shows in the other. Costs one inode copy
    /// per node and no page copies. The tree is walked without recursion.
    /// Not atomic against concurrent changes to `self` (snapshot an instance
    /// nobody writes, such as an image template).
    pub fn snapshot(&self) -> Arc<TmpFs> {
        self.snapshot_charged(self.shared.charge.clone())
    }

    /// [`TmpFs::snapshot`] whose new pages are charged to `charge`.
    pub fn snapshot_charged(&self, charge: Option<Arc<dyn PageCharge>>) -> Arc<TmpFs> {
        Arc::new_cyclic(|fs| {
            let shared = Arc::new(Shared {
                id: alloc_fs_id(),
                fs_type: self.shared.fs_type,
                clock: self.shared.clock.clone(),
                page_limit: self.shared.page_limit,
                pages_used: AtomicU64::new(0),
                inode_limit: self.shared.inode_limit,
                inodes_used: AtomicU64::new(0),
                next_ino: AtomicU64::new(self.shared.next_ino.load(Ordering::Relaxed)),
                page_copies: AtomicU64::new(0),
                rename_lock: Mutex::new(()),
                devices: self.shared.devices.clone(),
                charge,
                charged: AtomicU64::new(0),
                fs: fs.clone(),
                _counted: Counted::new(),
            });
            let root = snapshot::copy_tree(&self.root, &shared);
            TmpFs { shared, root }
        })
    }
}

impl FileSystem for TmpFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn statfs(&self) -> KResult<StatFs> {
        let pages_used = self.shared.pages_used.load(Ordering::Relaxed);
        let inodes_used = self.shared.inodes_used.load(Ordering::Relaxed);
        let blocks = self.shared.page_limit.unwrap_or(0);
        let files = self.shared.inode_limit.unwrap_or(0);
        Ok(StatFs {
            magic: TMPFS_MAGIC,
            block_size: PAGE_SIZE as u64,
            blocks,
            blocks_free: blocks.saturating_sub(pages_used),
            blocks_avail: blocks.saturating_sub(pages_used),
            files,
            files_free: files.saturating_sub(inodes_used),
            name_max: NAME_MAX as u64,
            fragment_size: PAGE_SIZE as u64,
            flags: 0,
        })
    }

    fn fs_type(&self) -> &'static str {
        self.shared.fs_type
    }

    fn id(&self) -> u64 {
        self.shared.id
    }
}

impl Shared {
    fn now(&self) -> Timespec {
        self.clock.now()
    }

    /// Charges one data page; false when the size limit is reached or the
    /// instance's [`PageCharge`] refuses it.
    fn reserve_page(&self) -> bool {
        if !charge(&self.pages_used, self.page_limit.unwrap_or(u64::MAX)) {
            return false;
        }
        if let Some(c) = &self.charge {
            if !c.charge() {
                self.pages_used.fetch_sub(1, Ordering::Relaxed);
                return false;
            }
            self.charged.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    fn page_copied(&self) {
        self.page_copies.fetch_add(1, Ordering::Relaxed);
    }

    fn release_pages(&self, count: u64) {
        self.pages_used.fetch_sub(count, Ordering::Relaxed);
        if let Some(c) = &self.charge {
            // Freed pages may be snapshot pages that were never charged:
            // give back at most what was charged.
            let back = self
                .charged
                .try_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(count)))
                .map_or(0, |before| before.min(count));
            if back > 0 {
                c.uncharge(back);
            }
        }
    }

    /// A fresh inode number, charged against the inode limit (`ENOSPC`).
    fn alloc_ino(&self) -> KResult<u64> {
        if !charge(&self.inodes_used, self.inode_limit.unwrap_or(u64::MAX)) {
            return Err(Errno::ENOSPC);
        }
        Ok(self.next_ino.fetch_add(1, Ordering::Relaxed))
    }

    fn release_inode(&self) {
        self.inodes_used.fetch_sub(1, Ordering::Relaxed);
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.fs.upgrade().map(|fs| fs as Arc<dyn FileSystem>)
    }
}

/// Adds one to `counter` unless it has reached `limit`.
fn charge(counter: &AtomicU64, limit: u64) -> bool {
    let mut used = counter.load(Ordering::Acquire);
    while used < limit {
        match counter.compare_exchange_weak(used, used + 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return true,
            Err(now) => used = now,
        }
    }
    false
}

/// Whether a kind may be created by [`Inode::create`] (symlinks have their
/// own call).
fn creatable(kind: FileKind) -> bool {
    kind != FileKind::Symlink
}
