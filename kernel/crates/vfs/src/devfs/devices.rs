//! The memory character devices of major 1: `null`, `zero`, `full`,
//! `random` and `urandom`, with Linux's semantics.

use alloc::sync::Arc;

use errno::{Errno, KResult};

use crate::device::CharDevice;

/// Where `random` and `urandom` get their bytes (the kernel's CSPRNG).
pub trait EntropySource: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// Bytes written to the device, for the source to mix in if it likes.
    fn mix(&self, _data: &[u8]) {}
}

/// `/dev/null` (1:3): reads hit end of file, writes vanish.
pub struct Null;

impl CharDevice for Null {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> KResult<usize> {
        Ok(0)
    }

    fn write(&self, _offset: u64, data: &[u8]) -> KResult<usize> {
        Ok(data.len())
    }
}

/// `/dev/zero` (1:5): reads give zeros, writes vanish.
pub struct Zero;

impl CharDevice for Zero {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KResult<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, data: &[u8]) -> KResult<usize> {
        Ok(data.len())
    }
}

/// `/dev/full` (1:7): reads give zeros, writes fail with `ENOSPC`.
pub struct Full;

impl CharDevice for Full {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KResult<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, _data: &[u8]) -> KResult<usize> {
        Err(Errno::ENOSPC)
    }
}

/// `/dev/random` (1:8) and `/dev/urandom` (1:9): reads come from the
/// entropy source (neither blocks, as on Linux 5.6+); writes are mixed in.
pub struct Random {
    source: Arc<dyn EntropySource>,
}

impl Random {
    pub fn new(source: Arc<dyn EntropySource>) -> Random {
        Random { source }
    }
}

impl CharDevice for Random {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KResult<usize> {
        self.source.fill(buf);
        Ok(buf.len())
    }

    fn write(&self, _offset: u64, data: &[u8]) -> KResult<usize> {
        self.source.mix(data);
        Ok(data.len())
    }
}
