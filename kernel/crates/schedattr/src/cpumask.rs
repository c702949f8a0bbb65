//! CPU affinity masks as `sched_getaffinity`/`sched_setaffinity` read and
//! write them: a bitmap of `unsigned long`s, CPU n at bit n % 64 of word
//! n / 64, on a machine with `nr_cpus` CPUs (Linux's `nr_cpu_ids`, all of
//! them online and active).

use alloc::vec;
use alloc::vec::Vec;

use errno::Errno;

const LONG: usize = 8;

/// `cpumask_size()`: bytes of a kernel CPU mask (whole `unsigned long`s).
pub fn mask_size(nr_cpus: usize) -> usize {
    nr_cpus.max(1).div_ceil(64) * LONG
}

/// A set of CPUs of a machine.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CpuMask {
    words: Vec<u64>,
    nr_cpus: usize,
}

impl CpuMask {
    /// Every CPU of the machine.
    pub fn all(nr_cpus: usize) -> CpuMask {
        let mut m = CpuMask { words: vec![0; mask_size(nr_cpus) / LONG], nr_cpus: nr_cpus.max(1) };
        for cpu in 0..m.nr_cpus {
            m.words[cpu / 64] |= 1 << (cpu % 64);
        }
        m
    }

    pub fn contains(&self, cpu: usize) -> bool {
        cpu < self.nr_cpus && self.words.get(cpu / 64).is_some_and(|w| w & (1 << (cpu % 64)) != 0)
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// `get_user_cpu_mask`: a user mask of `user.len()` bytes. A shorter
    /// one leaves the missing CPUs out, a longer one is cut; bits past the
    /// machine's CPUs are dropped.
    pub fn from_user(nr_cpus: usize, user: &[u8]) -> CpuMask {
        let all = CpuMask::all(nr_cpus);
        let mut words = vec![0u64; all.words.len()];
        for (i, byte) in user.iter().take(mask_size(nr_cpus)).enumerate() {
            words[i / LONG] |= u64::from(*byte) << ((i % LONG) * 8);
        }
        for (w, a) in words.iter_mut().zip(&all.words) {
            *w &= a;
        }
        CpuMask { words, nr_cpus: all.nr_cpus }
    }

    /// The mask as the user receives it: `mask_size` bytes.
    pub fn to_user(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// The CPUs in both.
    pub fn and(&self, other: &CpuMask) -> CpuMask {
        let words = self.words.iter().zip(&other.words).map(|(a, b)| a & b).collect();
        CpuMask { words, nr_cpus: self.nr_cpus }
    }
}

/// sched_getaffinity's length rule: EINVAL if `len` bytes cannot hold
/// `nr_cpus` bits or is not a whole number of `unsigned long`s; the
/// number of bytes to copy out otherwise.
pub fn getaffinity_len(nr_cpus: usize, len: u32) -> Result<usize, Errno> {
    let len = len as usize;
    if len * 8 < nr_cpus || len % LONG != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(len.min(mask_size(nr_cpus)))
}

/// sched_setaffinity's outcome for a requested mask: EINVAL if it holds no
/// CPU of the machine (`__set_cpus_allowed_ptr`), the mask to keep otherwise.
pub fn setaffinity(nr_cpus: usize, user: &[u8]) -> Result<CpuMask, Errno> {
    let m = CpuMask::from_user(nr_cpus, user);
    if m.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(mask_size(1), 8);
        assert_eq!(mask_size(64), 8);
        assert_eq!(mask_size(65), 16);
        assert_eq!(getaffinity_len(1, 0), Err(Errno::EINVAL));
        assert_eq!(getaffinity_len(1, 4), Err(Errno::EINVAL));
        assert_eq!(getaffinity_len(1, 8), Ok(8));
        assert_eq!(getaffinity_len(1, 128), Ok(8));
        assert_eq!(getaffinity_len(100, 8), Err(Errno::EINVAL));
        assert_eq!(getaffinity_len(100, 16), Ok(16));
    }

    #[test]
    fn setting() {
        assert_eq!(setaffinity(1, &[]), Err(Errno::EINVAL));
        assert_eq!(setaffinity(1, &[0b10]), Err(Errno::EINVAL));
        assert_eq!(setaffinity(1, &[0, 0, 0, 0, 0, 0, 0, 0, 1]), Err(Errno::EINVAL));
        let m = setaffinity(1, &[0xff; 128]).unwrap();
        assert_eq!((m.count(), m.contains(0), m.contains(1)), (1, true, false));
        assert_eq!(m.to_user(), vec![1, 0, 0, 0, 0, 0, 0, 0]);
        let m = setaffinity(70, &[0, 0, 0, 0, 0, 0, 0, 0, 0x20]).unwrap();
        assert!(m.contains(69) && m.count() == 1);
        assert_eq!(CpuMask::all(70).count(), 70);
        assert_eq!(CpuMask::all(2).and(&m).count(), 0);
    }
}
