//! devfs: `/dev` as Linux's devtmpfs presents it. It is a tmpfs (so `mkdir`,
//! symlinks and `mknod` work as usual) whose character-device nodes reach
//! drivers through a [`DeviceRegistry`]. It starts with `null` (1:3), `zero`
//! (1:5), `full` (1:7), `random` (1:8), `urandom` (1:9), the `fd`, `stdin`,
//! `stdout`, `stderr` symlinks into `/proc/self/fd`, and empty `pts` and `shm`
//! directories to mount on. The kernel adds `console` (5:1), `tty` (5:0) and
//! its other drivers with [`DevFs::register`].

mod devices;

use alloc::sync::Arc;

use errno::{Errno, KResult};

use crate::device::{CharDevice, DeviceRegistry};
use crate::node::{FileSystem, Inode};
use crate::time::Clock;
use crate::tmpfs::{TmpFs, TmpFsOptions};
use crate::types::{DevId, FileKind, NewNode, StatFs};

pub use devices::{EntropySource, Full, Null, Random, Zero};

/// Device number of `/dev/console`.
pub const CONSOLE: DevId = DevId::new(5, 1);
/// Device number of `/dev/tty`.
pub const TTY: DevId = DevId::new(5, 0);

/// A devfs instance.
pub struct DevFs {
    fs: Arc<TmpFs>,
    registry: Arc<DeviceRegistry>,
}

impl DevFs {
    /// A devfs with the memory devices, taking random bytes from `entropy`.
    pub fn new(clock: Arc<dyn Clock>, entropy: Arc<dyn EntropySource>) -> KResult<Arc<DevFs>> {
        let registry = Arc::new(DeviceRegistry::new());
        let options = TmpFsOptions {
            root_perm: 0o755,
            fs_type: "devtmpfs",
            devices: Some(registry.clone()),
            ..TmpFsOptions::default()
        };
        let devfs = DevFs { fs: TmpFs::new(clock, options), registry };
        devfs.register("null", 1, 3, Arc::new(Null))?;
        devfs.register("zero", 1, 5, Arc::new(Zero))?;
        devfs.register("full", 1, 7, Arc::new(Full))?;
        devfs.register("random", 1, 8, Arc::new(Random::new(entropy.clone())))?;
        devfs.register("urandom", 1, 9, Arc::new(Random::new(entropy)))?;
        let root = devfs.fs.root();
        for (name, target) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            root.symlink(name, target, 0, 0)?;
        }
        for (name, perm) in [("pts", 0o755), ("shm", 0o1777)] {
            let dir = NewNode { kind: FileKind::Directory, perm, uid: 0, gid: 0, rdev: DevId::NONE };
            root.create(name, &dir)?;
        }
        Ok(Arc::new(devfs))
    }

    /// Registers `driver` as `major:minor` and creates its node `name`
    /// (owned by root, mode from [`CharDevice::default_perm`]): `EBUSY` if
    /// the number is taken, `EEXIST` if the name is.
    pub fn register(&self, name: &str, major: u32, minor: u32, driver: Arc<dyn CharDevice>) -> KResult<()> {
        let rdev = DevId::new(major, minor);
        let perm = driver.default_perm();
        if self.fs.root().lookup(name).is_ok() {
            return Err(Errno::EEXIST);
        }
        self.registry.register(rdev, driver)?;
        let node = NewNode { kind: FileKind::CharDevice, perm, uid: 0, gid: 0, rdev };
        self.fs.root().create(name, &node)?;
        Ok(())
    }

    /// The driver table, to share with other filesystems' device nodes.
    pub fn registry(&self) -> &Arc<DeviceRegistry> {
        &self.registry
    }
}

impl FileSystem for DevFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.fs.root()
    }

    fn statfs(&self) -> KResult<StatFs> {
        self.fs.statfs()
    }

    fn fs_type(&self) -> &'static str {
        self.fs.fs_type()
    }

    fn id(&self) -> u64 {
        self.fs.id()
    }
}
