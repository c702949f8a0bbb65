//! devfs device semantics and driver registration.

use std::sync::{Arc, Mutex};

use errno::{Errno, KResult};
use vfs::{CharDevice, Cred, DevFs, DevId, EntropySource, FileKind, ManualClock, MountOptions, TmpFs, TmpFsOptions, Vfs};

use crate::common::T0;

struct Counter;

impl EntropySource for Counter {
    fn fill(&self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = i as u8 ^ 0x5a;
        }
    }
}

/// A console that records what is written and reads back a fixed line.
#[derive(Default)]
struct Console {
    written: Mutex<Vec<u8>>,
}

impl CharDevice for Console {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KResult<usize> {
        let line = b"input\n";
        let n = line.len().min(buf.len());
        buf[..n].copy_from_slice(&line[..n]);
        Ok(n)
    }
    fn write(&self, _offset: u64, data: &[u8]) -> KResult<usize> {
        self.written.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn ioctl(&self, cmd: u32, _arg: u64) -> KResult<i64> {
        if cmd == 0x5401 { Ok(0) } else { Err(Errno::ENOTTY) }
    }
    fn default_perm(&self) -> u32 {
        0o600
    }
}

struct Dev {
    devfs: Arc<DevFs>,
    vfs: Vfs,
    root: Cred,
}

fn dev() -> Dev {
    let clock = Arc::new(ManualClock::new(T0));
    let rootfs = TmpFs::new(clock.clone(), TmpFsOptions::default());
    let vfs = Vfs::new(rootfs);
    let root = Cred::root();
    vfs.mkdir(&root, &vfs.root(), "/dev", 0o755).unwrap();
    let devfs = DevFs::new(clock, Arc::new(Counter)).unwrap();
    vfs.mount("/dev", devfs.clone(), MountOptions::new("devtmpfs")).unwrap();
    Dev { devfs, vfs, root }
}

impl Dev {
    fn read(&self, path: &str, len: usize) -> KResult<Vec<u8>> {
        let loc = self.vfs.open(&self.root, &self.vfs.root(), path, vfs::OpenFlags::read_only(), 0)?;
        let mut buf = vec![0xffu8; len];
        let n = loc.inode().read_at(0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
    fn write(&self, path: &str, data: &[u8]) -> KResult<usize> {
        let loc = self.vfs.open(&self.root, &self.vfs.root(), path, vfs::OpenFlags::from_linux(1), 0)?;
        loc.inode().write_at(0, data)
    }
}

#[test]
fn standard_nodes_and_device_numbers() {
    let d = dev();
    let names: Vec<String> = d.vfs.open_dir_entries(&d.root, &d.vfs.root(), "/dev").unwrap().into_iter().map(|e| e.name).collect();
    for name in ["null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr", "pts", "shm"] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    for (name, major, minor) in [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9)] {
        let st = d.vfs.stat(&d.root, &d.vfs.root(), &format!("/dev/{name}")).unwrap().meta;
        assert_eq!((st.kind, st.rdev, st.perm), (FileKind::CharDevice, DevId::new(major, minor), 0o666), "{name}");
    }
    assert_eq!(d.vfs.readlink(&d.root, &d.vfs.root(), "/dev/stdout").unwrap(), "/proc/self/fd/1");
    assert_eq!(d.vfs.mounts()[1].fs_type, "devtmpfs");
}

#[test]
fn memory_device_semantics() {
    let d = dev();
    assert_eq!(d.read("/dev/null", 16).unwrap(), b"");
    assert_eq!(d.write("/dev/null", b"discard").unwrap(), 7);
    assert_eq!(d.read("/dev/zero", 8).unwrap(), [0; 8]);
    assert_eq!(d.write("/dev/zero", b"x").unwrap(), 1);
    assert_eq!(d.read("/dev/full", 4).unwrap(), [0; 4]);
    assert_eq!(d.write("/dev/full", b"x").unwrap_err(), Errno::ENOSPC);
    assert_eq!(d.read("/dev/urandom", 4).unwrap(), [0x5a, 0x5b, 0x58, 0x59]);
    assert_eq!(d.read("/dev/random", 2).unwrap(), [0x5a, 0x5b]);
    assert_eq!(d.write("/dev/random", b"seed").unwrap(), 4);
    assert_eq!(d.vfs.write_file(&d.root, &d.vfs.root(), "/dev/null", b"ok", 0).map(|_| ()), Ok(()));
    assert_eq!(d.vfs.read_file(&d.root, &d.vfs.root(), "/dev/zero").unwrap_err(), Errno::EINVAL);
}

#[test]
fn kernel_registers_console_and_tty() {
    let d = dev();
    let console = Arc::new(Console::default());
    d.devfs.register("console", 5, 1, console.clone()).unwrap();
    d.devfs.register("tty", 5, 0, Arc::new(Console::default())).unwrap();
    let st = d.vfs.stat(&d.root, &d.vfs.root(), "/dev/console").unwrap().meta;
    assert_eq!((st.rdev, st.perm), (vfs::devfs::CONSOLE, 0o600));
    let tty = d.vfs.stat(&d.root, &d.vfs.root(), "/dev/tty").unwrap().meta;
    assert_eq!(tty.rdev, vfs::devfs::TTY);
    assert_eq!(d.write("/dev/console", b"hello").unwrap(), 5);
    assert_eq!(*console.written.lock().unwrap(), b"hello");
    assert_eq!(d.read("/dev/console", 64).unwrap(), b"input\n");
    let loc = d.vfs.resolve(&d.vfs.root(), "/dev/console", true).unwrap();
    assert_eq!(loc.inode().device().unwrap().ioctl(0x5401, 0), Ok(0));
    assert!(Arc::ptr_eq(&d.devfs.registry().get(DevId::new(5, 1)).unwrap(), &(console.clone() as Arc<dyn CharDevice>)));
    assert_eq!(d.devfs.register("console", 9, 9, Arc::new(Console::default())).unwrap_err(), Errno::EEXIST);
    assert_eq!(d.devfs.register("other", 5, 1, Arc::new(Console::default())).unwrap_err(), Errno::EBUSY);
}

#[test]
fn mknod_in_devfs_and_shared_registry() {
    let d = dev();
    d.vfs.mknod(&d.root, &d.vfs.root(), "/dev/mynull", FileKind::CharDevice, 0o666, DevId::new(1, 3)).unwrap();
    assert_eq!(d.write("/dev/mynull", b"abc").unwrap(), 3);
    d.vfs.mknod(&d.root, &d.vfs.root(), "/dev/nodriver", FileKind::CharDevice, 0o666, DevId::new(42, 0)).unwrap();
    assert_eq!(d.read("/dev/nodriver", 1).unwrap_err(), Errno::ENXIO);
    // A container rootfs sharing the registry: its mknod'ed /dev/zero works.
    let clock = Arc::new(ManualClock::new(T0));
    let opts = TmpFsOptions { devices: Some(d.devfs.registry().clone()), ..TmpFsOptions::default() };
    let rootfs = TmpFs::new(clock, opts);
    let c = Vfs::new(rootfs);
    c.mknod(&d.root, &c.root(), "/zero", FileKind::CharDevice, 0o666, DevId::new(1, 5)).unwrap();
    let mut buf = [7u8; 3];
    assert_eq!(c.resolve(&c.root(), "/zero", true).unwrap().inode().read_at(0, &mut buf), Ok(3));
    assert_eq!(buf, [0; 3]);
}

#[test]
fn nodev_mounts_refuse_device_opens() {
    let d = dev();
    d.vfs.umount("/dev").unwrap();
    let mut opts = MountOptions::new("devtmpfs");
    opts.flags.nodev = true;
    d.vfs.mount("/dev", d.devfs.clone(), opts).unwrap();
    assert_eq!(d.read("/dev/null", 1).unwrap_err(), Errno::EACCES);
}
