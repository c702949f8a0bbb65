//! What the VFS crates ask of the kernel: time, randomness, the console.

use vfs::{CharDevice, Clock, EntropySource, Timespec};
use errno::KResult;

/// Wall-clock time from `time::now`.
pub struct KernelClock;

impl Clock for KernelClock {
    fn now(&self) -> Timespec {
        let (sec, nsec) = crate::time::now();
        Timespec { sec, nsec }
    }
}

impl fat32::Clock for KernelClock {
    fn now(&self) -> i64 {
        crate::time::now().0
    }
}

/// RDRAND, with a TSC-seeded xorshift when the CPU lacks it.
pub struct HwEntropy;

impl EntropySource for HwEntropy {
    fn fill(&self, buf: &mut [u8]) {
        let mut fallback = crate::arch::cpu::rdtsc() | 1;
        for chunk in buf.chunks_mut(8) {
            let v = crate::arch::cpu::rdrand64().unwrap_or_else(|| {
                fallback ^= fallback << 13;
                fallback ^= fallback >> 7;
                fallback ^= fallback << 17;
                fallback
            });
            chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// `/dev/console` and `/dev/tty` of the host: the serial console.
pub struct ConsoleDevice;

impl CharDevice for ConsoleDevice {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> KResult<usize> {
        crate::file::tty::read(buf, false)
    }

    fn write(&self, _offset: u64, data: &[u8]) -> KResult<usize> {
        Ok(crate::file::tty::write(data))
    }
}
