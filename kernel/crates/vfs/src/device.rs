//! Character devices: the driver trait and the registry mapping device
//! numbers to drivers, consulted by device nodes on any filesystem.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use errno::{Errno, KResult};
use spin::RwLock;

use crate::types::DevId;

/// A character-device driver (`/dev/null`, a serial console, a tty...).
pub trait CharDevice: Send + Sync {
    /// Reads into `buf`; the offset is the open file's position (most
    /// devices ignore it). Returns 0 for end of file.
    fn read(&self, offset: u64, buf: &mut [u8]) -> KResult<usize>;

    /// Writes `data`; returns how much was accepted.
    fn write(&self, offset: u64, data: &[u8]) -> KResult<usize>;

    /// Device-specific control (`ioctl(2)`); `ENOTTY` unless supported.
    fn ioctl(&self, _cmd: u32, _arg: u64) -> KResult<i64> {
        Err(Errno::ENOTTY)
    }

    /// Permission bits of the node devfs creates for this device.
    fn default_perm(&self) -> u32 {
        0o666
    }
}

/// Drivers by device number. Shared by devfs and any tmpfs whose device
/// nodes should reach real drivers (a container's `mknod`ed `/dev/null`).
#[derive(Default)]
pub struct DeviceRegistry {
    devices: RwLock<BTreeMap<DevId, Arc<dyn CharDevice>>>,
}

impl DeviceRegistry {
    pub fn new() -> DeviceRegistry {
        DeviceRegistry::default()
    }

    /// Registers `driver` for `dev`: `EBUSY` if the number is taken.
    pub fn register(&self, dev: DevId, driver: Arc<dyn CharDevice>) -> KResult<()> {
        let mut devices = self.devices.write();
        if devices.contains_key(&dev) {
            return Err(Errno::EBUSY);
        }
        devices.insert(dev, driver);
        Ok(())
    }

    /// The driver for `dev`, if registered.
    pub fn get(&self, dev: DevId) -> Option<Arc<dyn CharDevice>> {
        self.devices.read().get(&dev).cloned()
    }
}
