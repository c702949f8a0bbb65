//! select(2) and pselect6(2) over the same readiness as poll
//! (`FileLike::poll`) and the same waiting (a `file::Poller` registered on
//! the pollees of the files in the sets, on the first look).
//!
//! Linux rules kept: `nfds` < 0 is `EINVAL` and is capped at the table
//! size; a set bit on a closed descriptor is `EBADF`; "readable" also means
//! hang-up or error, "writable" also error; the sets come back holding only
//! ready descriptors (unchanged on `EINTR`); the timeout is written back
//! with the time that was left. pselect6's signal mask is in force during
//! the wait and, if a signal interrupts it, until that handler returns.
//! May call: `file` (readiness), the descriptor table, `task::signal`, `sched`, `time`.

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::structs::{Timespec, Timeval};
use linux_abi::UserPtr;

use super::SysResult;
use crate::file::{ev, Poller};
use crate::sched::wait::Interrupted;
use crate::task::files::MAX_FDS;
use crate::task::Task;

/// Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET.
const IN_SET: u32 = ev::IN | ev::RDNORM | ev::RDBAND | ev::HUP | ev::ERR;
const OUT_SET: u32 = ev::OUT | ev::WRNORM | ev::WRBAND | ev::ERR;
const EX_SET: u32 = ev::PRI;

/// One `fd_set` argument: an array of 64-bit words (NULL: no set).
type FdSetPtr = UserPtr<u64>;

/// The three fd sets as 64-bit words (an absent set is empty).
type Sets = [Vec<u64>; 3];

fn words(nfds: usize) -> usize {
    nfds.div_ceil(64)
}

fn read_sets(p: &Task, addrs: [FdSetPtr; 3], nfds: usize) -> Result<Sets, Errno> {
    let mut sets: Sets = Default::default();
    for (set, addr) in sets.iter_mut().zip(addrs) {
        if addr.is_null() {
            *set = vec![0u64; words(nfds)];
            continue;
        }
        *set = p.space.read_array(addr, words(nfds))?;
        // Bits at or past nfds are not looked at.
        if nfds % 64 != 0 {
            if let Some(last) = set.last_mut() {
                *last &= (1u64 << (nfds % 64)) - 1;
            }
        }
    }
    Ok(sets)
}

fn write_sets(p: &Task, addrs: [FdSetPtr; 3], sets: &Sets) -> Result<(), Errno> {
    for (set, addr) in sets.iter().zip(addrs) {
        if !addr.is_null() {
            let raw: Vec<u8> = set.iter().flat_map(|w| w.to_le_bytes()).collect();
            p.space.copy_out(addr.array(set.len())?, &raw)?;
        }
    }
    Ok(())
}

fn is_set(set: &[u64], fd: usize) -> bool {
    set.get(fd / 64).is_some_and(|w| w & (1 << (fd % 64)) != 0)
}

/// One pass: the ready subsets and how many bits they hold; with a
/// poller, registers it on every file's pollees.
fn scan(files: &crate::task::files::Files, want: &Sets, nfds: usize, mut poller: Option<&mut Poller>) -> Result<(Sets, usize), Errno> {
    let mut out: Sets = Default::default();
    for set in out.iter_mut() {
        *set = vec![0u64; words(nfds)];
    }
    let mut count = 0;
    for fd in 0..nfds {
        let (r, w, e) = (is_set(&want[0], fd), is_set(&want[1], fd), is_set(&want[2], fd));
        if !(r || w || e) {
            continue;
        }
        let file = files.get(fd as i64)?;
        let mask = if r { IN_SET } else { 0 } | if w { OUT_SET } else { 0 } | if e { EX_SET } else { 0 };
        let events = file.poll(mask | ev::ALWAYS, poller.as_deref_mut().map(Poller::table));
        let hits = [r && events & IN_SET != 0, w && events & OUT_SET != 0, e && events & EX_SET != 0];
        for (set, hit) in out.iter_mut().zip(hits) {
            if hit {
                set[fd / 64] |= 1 << (fd % 64);
                count += 1;
            }
        }
    }
    Ok((out, count))
}

/// Waits for readiness; `timeout_ms` None waits for ever. Returns the
/// count and the milliseconds left of the timeout.
fn do_select(p: &mut Task, nfds: i32, addrs: [FdSetPtr; 3], timeout_ms: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    let nfds = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?.min(MAX_FDS);
    let want = read_sets(p, addrs, nfds)?;
    let files = p.files.clone();
    // A closed descriptor in a set fails the call before any waiting.
    let mut poller = Poller::new();
    let (mut ready, mut count) = scan(&files, &want, nfds, (timeout_ms != Some(0)).then_some(&mut poller))?;
    let hz = u64::from(crate::time::HZ);
    let deadline = timeout_ms.map(|t| crate::time::ticks().saturating_add(t.saturating_mul(hz) / 1000));
    if count == 0 && timeout_ms != Some(0) {
        let result = poller.wait(
            || match scan(&files, &want, nfds, None) {
                Ok((sets, n)) if n > 0 => Some(Ok((sets, n))),
                Ok(_) => None,
                Err(e) => Some(Err(e)), // closed meanwhile by another thread
            },
            deadline,
        );
        match result {
            Ok(r) => (ready, count) = r?,
            Err(Interrupted::TimedOut) => {}
            Err(Interrupted::Signal) => return Err(Errno::EINTR),
        }
    }
    write_sets(p, addrs, &ready)?;
    let left = deadline.map(|d| d.saturating_sub(crate::time::ticks()).saturating_mul(1000) / hz);
    Ok((count, left))
}

/// select(nfds, readfds, writefds, exceptfds, struct timeval *timeout).
pub fn select(p: &mut Task, nfds: i32, r: FdSetPtr, w: FdSetPtr, e: FdSetPtr, timeout: UserPtr<Timeval>) -> SysResult {
    let timeout_ms = if timeout.is_null() {
        None
    } else {
        // Linux folds whole seconds out of tv_usec; only negatives are EINVAL.
        let tv = p.space.read(timeout)?;
        let sec = tv.tv_sec.checked_add(tv.tv_usec / 1_000_000).ok_or(Errno::EINVAL)?;
        let usec = tv.tv_usec % 1_000_000;
        if sec < 0 || usec < 0 {
            return Err(Errno::EINVAL);
        }
        Some((sec as u64).saturating_mul(1000).saturating_add((usec as u64).div_ceil(1000)))
    };
    let (n, left) = do_select(p, nfds, [r, w, e], timeout_ms)?;
    if let Some(ms) = left {
        let tv = Timeval { tv_sec: (ms / 1000) as i64, tv_usec: ((ms % 1000) * 1000) as i64 };
        p.space.write(timeout, &tv)?;
    }
    Ok(n)
}

/// pselect6(nfds, r, w, e, struct timespec *timeout, { sigset_t *ss; size_t len } *).
pub fn pselect6(p: &mut Task, nfds: i32, r: FdSetPtr, w: FdSetPtr, e: FdSetPtr, timeout: UserPtr<Timespec>, sig: UserPtr<[u64; 2]>) -> SysResult {
    let timeout_ms = super::timeout_ms(p, timeout)?;
    let mask = sigmask_arg(p, sig)?;
    if let Some(mask) = mask {
        let t = crate::sched::current();
        let old = t.sig_mask.swap(linux_abi::signal::SigSet(mask).blockable().0, Ordering::AcqRel);
        crate::task::signal::set_saved_mask(&t, old);
    }
    let result = do_select(p, nfds, [r, w, e], timeout_ms);
    // Unless a signal ended the wait (its handler runs under the temporary
    // mask, the old one comes back after it), the old mask returns now.
    if mask.is_some() && !matches!(result, Err(Errno::EINTR)) {
        crate::task::signal::restore_saved_mask();
    }
    let (n, left) = result?;
    if let Some(ms) = left {
        let ts = Timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 };
        p.space.write(timeout, &ts)?;
    }
    Ok(n)
}

/// pselect6's sixth argument: the temporary signal mask, if one is given
/// (`EINVAL` unless its size is 8 bytes).
fn sigmask_arg(p: &Task, sig: UserPtr<[u64; 2]>) -> Result<Option<u64>, Errno> {
    if sig.is_null() {
        return Ok(None);
    }
    let [set, len] = p.space.read(sig)?;
    let set = UserPtr::<u64>::new(set);
    if set.is_null() {
        return Ok(None);
    }
    if len != linux_abi::signal::SigSet::SIZE as u64 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(p.space.read(set)?))
}
