//! Files for the host world: the host's VFS instance and the kernel-side
//! services the VFS crates need (clock, entropy, the console device).
//!
//! Role: build the host namespace at boot — a tmpfs root with `/dev` (devfs),
//! `/tmp` (tmpfs) and `/mnt` (the FAT32 data disk, through `fatvfs` over the
//! block cache over virtio-blk).
//! Invariants: the host namespace is separate from every container's; a data
//! disk that is missing or not FAT32 leaves `/mnt` empty with a warning.
//! May call: `dev` (disks, console), `time`, `arch` (RDRAND).

mod disk;
mod services;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Once;
use vfs::{Cred, DevFs, MountOptions, TmpFs, TmpFsOptions, Vfs};

pub use disk::{cache_stats as disk_cache_stats, mount_data_disk};
pub use services::{ConsoleDevice, HwEntropy, KernelClock};

static HOST: Once<Arc<Vfs>> = Once::new();

/// The host world's namespace (after [`init`]).
pub fn host() -> &'static Arc<Vfs> {
    HOST.get().expect("fs::init runs at boot")
}

/// The root user of the host world.
pub fn root_cred() -> Cred {
    Cred::root()
}

/// A tmpfs's options as Linux mounts one by default: file data up to half of
/// RAM (`size=50%`) and as many inodes as that has pages (`nr_inodes`), so
/// `df` shows its size and one instance cannot take all memory. Its pages
/// (kernel heap) are also charged to [`TmpfsBudget`], shared by every tmpfs.
pub fn tmpfs_options() -> TmpFsOptions {
    let half = crate::mm::stats().total_frames as u64 / 2;
    TmpFsOptions {
        size_limit: Some(half * 4096),
        max_inodes: Some(half),
        charge: Some(Arc::new(TmpfsBudget)),
        ..TmpFsOptions::default()
    }
}

/// Data pages of all tmpfs instances together.
static TMPFS_PAGES: AtomicU64 = AtomicU64::new(0);

/// The memory all tmpfs data may take: half of RAM in all (however many
/// instances), and a new page only while free memory is above twice the
/// kernel's reserve, so file data on the heap never starves the kernel
/// (a write then stops short, `ENOSPC`, as on a full tmpfs).
pub struct TmpfsBudget;

impl vfs::tmpfs::PageCharge for TmpfsBudget {
    fn charge(&self) -> bool {
        let stats = crate::mm::stats();
        if stats.free_frames <= 2 * crate::mm::kernel_reserve_frames() {
            return false;
        }
        let cap = stats.total_frames as u64 / 2;
        TMPFS_PAGES.try_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < cap).then_some(n + 1)).is_ok()
    }

    fn uncharge(&self, pages: u64) {
        let _ = TMPFS_PAGES.try_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(pages)));
    }
}

/// Pages of file data all tmpfs instances hold (for `mem`).
pub fn tmpfs_pages() -> u64 {
    TMPFS_PAGES.load(Ordering::Relaxed)
}

pub fn init() {
    let clock: Arc<dyn vfs::Clock> = Arc::new(KernelClock);
    let root = TmpFs::new(clock.clone(), TmpFsOptions { root_perm: 0o755, ..tmpfs_options() });
    let vfs = HOST.call_once(|| Arc::new(Vfs::new(root)));
    let cred = root_cred();
    let top = vfs.root();
    for dir in ["/dev", "/tmp", "/mnt", "/proc"] {
        if let Err(e) = vfs.mkdir(&cred, &top, dir, 0o755) {
            log::error!("host fs: mkdir {dir}: {e}");
        }
    }
    match DevFs::new(clock.clone(), Arc::new(HwEntropy)) {
        Ok(devfs) => {
            let console: Arc<dyn vfs::CharDevice> = Arc::new(ConsoleDevice);
            for (name, minor, major) in [("console", 1, 5), ("tty", 0, 5), ("ttyS0", 64, 4)] {
                if let Err(e) = devfs.register(name, major, minor, console.clone()) {
                    log::error!("devfs: {name}: {e}");
                }
            }
            if let Err(e) = vfs.mount("/dev", devfs, MountOptions::new("devfs")) {
                log::error!("host fs: mount /dev: {e}");
            }
        }
        Err(e) => log::error!("devfs: {e}"),
    }
    let tmp = TmpFs::new(clock, tmpfs_options());
    if let Err(e) = vfs.mount("/tmp", tmp, MountOptions::new("tmpfs")) {
        log::error!("host fs: mount /tmp: {e}");
    }
    // A microVM's first disk is its bundle (container::microvm), not FAT32.
    if !crate::dev::virtio::console::present() {
        mount_data_disk(vfs);
    }
}

/// Makes every completed write durable before power-off or reboot.
pub fn sync_all() {
    disk::flush();
}
