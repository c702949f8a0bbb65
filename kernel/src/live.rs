//! Live-object counts, for finding leaks: each counted object holds a
//! [`Live`] token that counts it while it exists. `mem` prints the counts,
//! so "create and delete a container" can be checked to return to where it
//! started (boot/tests/fuzz.rs).

use core::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy)]
pub enum Kind {
    Process,
    Thread,
    AddressSpace,
    OpenFile,
    Pipe,
    Socket,
    SharedFile,
}

const KINDS: usize = 7;
const NAMES: [&str; KINDS] = ["processes", "threads", "address spaces", "open files", "pipes", "sockets", "shared file maps"];
static COUNTS: [AtomicUsize; KINDS] = [const { AtomicUsize::new(0) }; KINDS];

/// Counts its owner as live until dropped.
pub struct Live(Kind);

impl Live {
    pub fn new(kind: Kind) -> Live {
        COUNTS[kind as usize].fetch_add(1, Ordering::Relaxed);
        Live(kind)
    }
}

impl Clone for Live {
    fn clone(&self) -> Live {
        Live::new(self.0)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        COUNTS[self.0 as usize].fetch_sub(1, Ordering::Relaxed);
    }
}

impl core::fmt::Debug for Live {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Live")
    }
}

/// (name, count) of every kind.
pub fn counts() -> impl Iterator<Item = (&'static str, usize)> {
    NAMES.iter().zip(COUNTS.iter()).map(|(n, c)| (*n, c.load(Ordering::Relaxed)))
}
