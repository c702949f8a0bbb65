//! Which CPUs exist: the one place the CPU count comes from (affinity
//! masks, /proc, sysconf's sources). The scheduler runs on one CPU today;
//! bringing up more means answering here.

/// CPUs online (numbered 0..n, all of them possible).
pub fn online() -> usize {
    1
}

/// The online CPUs as a bit mask of `words` 64-bit words (CPU i is bit i).
pub fn online_mask(words: usize) -> alloc::vec::Vec<u64> {
    let n = online();
    (0..words)
        .map(|w| {
            let lo = w * 64;
            match n.saturating_sub(lo) {
                0 => 0,
                k if k >= 64 => u64::MAX,
                k => (1u64 << k) - 1,
            }
        })
        .collect()
}
