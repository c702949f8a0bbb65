//! fcntl(2) record locks: F_GETLK/F_SETLK/F_SETLKW (owned by the process,
//! released when it closes any descriptor of the file, execs one away or
//! ends) and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW (owned by the open file
//! description, released when it is closed for the last time).
//!
//! The rules are the `reclock` crate's (one table for every file, keyed
//! like flock(2) by the file's identity); this module decodes `struct
//! flock`, blocks F_SETLKW callers on a wait queue and releases locks at
//! the close points. An OFD owner whose open file is gone no longer
//! counts: its locks are pruned when the file is next locked or tested,
//! and a waiter re-checks every few ticks to notice that.
//! May call: the descriptor table, `sched` wait queues, `time`, `task`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use errno::Errno;
pub use linux_abi::flags::{F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW};
use linux_abi::flags::{F_RDLCK, F_UNLCK, F_WRLCK};
use linux_abi::structs::Flock;
use linux_abi::UserPtr;
use reclock::{Kind, LockTable, Owner, Refusal};
use spin::Mutex;

use super::SysResult;
use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;
use crate::task::files::OpenFile;
use crate::task::Task;

/// Which file a lock is on: (`st_dev`, `st_ino`), or another kind of open
/// object by address (as flock(2) keys them).
type Key = (u64, u64);

static TABLE: Mutex<LockTable<Key>> = Mutex::new(LockTable::new());
/// The open files that own OFD locks, by their owner id.
static OFD_FILES: Mutex<BTreeMap<u64, Weak<OpenFile>>> = Mutex::new(BTreeMap::new());
static RELEASED: WaitQueue = WaitQueue::new();
/// How often a blocked F_SETLKW re-checks for OFD owners that were closed.
const RECHECK_TICKS: u64 = 10;

fn key_of(file: &OpenFile) -> Result<Key, Errno> {
    file.inner().lock_key()
}

/// The file's size, for SEEK_END ranges (0 for what has none).
fn size_of(file: &OpenFile) -> u64 {
    file.location().and_then(|loc| loc.stat().ok()).map_or(0, |st| st.meta.size)
}

fn ofd_id(file: &Arc<OpenFile>) -> u64 {
    Arc::as_ptr(file) as u64
}

/// False for an OFD owner whose open file was closed (or replaced at the same address).
fn alive(owner: Owner) -> bool {
    match owner {
        Owner::Posix(_) => true,
        Owner::Ofd(id) => OFD_FILES.lock().get(&id).is_some_and(|w| w.strong_count() > 0),
    }
}

/// Forgets locks of closed open files on `key`; wakes waiters if any went.
fn prune(table: &mut LockTable<Key>, key: Key) {
    if table.prune(key, alive) {
        RELEASED.wake_all();
    }
}

/// The owner a command locks as; registers an OFD owner's open file.
fn owner_of(p: &Task, file: &Arc<OpenFile>, ofd: bool, table: &mut LockTable<Key>) -> Owner {
    if !ofd {
        return Owner::Posix(p.proc.pid);
    }
    let id = ofd_id(file);
    let mut files = OFD_FILES.lock();
    files.retain(|_, w| w.strong_count() > 0);
    let same = files.get(&id).is_some_and(|w| core::ptr::eq(w.as_ptr(), Arc::as_ptr(file)));
    if !same {
        // A new open file at the address of a closed one: not its locks.
        drop(files);
        table.release_all(Owner::Ofd(id));
        OFD_FILES.lock().insert(id, Arc::downgrade(file));
    }
    Owner::Ofd(id)
}

/// `l_pid` of a conflicting lock: its process as the caller's namespace
/// names it (0 if not visible there), -1 for an OFD lock.
fn l_pid(p: &Task, owner: Owner) -> i32 {
    match owner {
        Owner::Ofd(_) => -1,
        Owner::Posix(pid) => crate::task::process_by_pid(pid)
            .filter(|q| Arc::ptr_eq(&q.ns, &p.proc.ns))
            .map_or(0, |q| q.vpid as i32),
    }
}

/// The record-lock commands of fcntl(2), with Linux's checks in Linux's
/// order: the struct (EFAULT), the type (EINVAL) and the range (EINVAL,
/// EOVERFLOW; F_GETLK checks the type first, the setters the range), the
/// access mode (EBADF), an OFD command's l_pid (EINVAL).
pub fn fcntl_lock(p: &mut Task, file: &Arc<OpenFile>, cmd: u32, arg: UserPtr<Flock>) -> SysResult {
    let mut fl = p.space.read(arg)?;
    let ofd = cmd >= linux_abi::flags::F_OFD_GETLK;
    let getlk = cmd == F_GETLK || cmd == F_OFD_GETLK;
    let kind = match fl.l_type {
        F_RDLCK => Ok(Some(Kind::Read)),
        F_WRLCK => Ok(Some(Kind::Write)),
        F_UNLCK if !getlk => Ok(None),
        _ => Err(Errno::EINVAL),
    };
    // F_GETLK checks the type first; the setters check the range first.
    if getlk {
        kind?;
    }
    let pos = *file.offset.lock();
    let (start, end) = reclock::range(fl.l_whence, fl.l_start, fl.l_len, pos, size_of(file))?;
    let kind = kind?;
    let key = key_of(file)?;
    if getlk {
        if ofd && fl.l_pid != 0 {
            return Err(Errno::EINVAL);
        }
        let conflict = {
            let mut table = TABLE.lock();
            prune(&mut table, key);
            let owner = owner_of(p, file, ofd, &mut table);
            table.test(key, owner, kind.unwrap_or(Kind::Write), start, end)
        };
        match conflict {
            None => fl.l_type = F_UNLCK,
            Some(l) => {
                let (s, len) = l.start_len();
                fl = Flock { l_type: if l.kind == Kind::Write { F_WRLCK } else { F_RDLCK }, l_whence: 0, l_start: s, l_len: len, l_pid: l_pid(p, l.owner) };
            }
        }
        p.space.write(arg, &fl)?;
        return Ok(0);
    }
    match kind {
        Some(Kind::Read) if !file.readable => return Err(Errno::EBADF),
        Some(Kind::Write) if !file.writable => return Err(Errno::EBADF),
        _ => {}
    }
    if ofd && fl.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    let attempt = || -> Result<(), Refusal> {
        let mut table = TABLE.lock();
        prune(&mut table, key);
        let owner = owner_of(p, file, ofd, &mut table);
        let result = table.set(key, owner, kind, start, end, wait);
        match &result {
            Err(Refusal::Blocked(b)) if wait => table.wait_for(owner, Some(b.owner)),
            _ => table.wait_for(owner, None),
        }
        result
    };
    let stop_waiting = || {
        let mut table = TABLE.lock();
        let owner = if ofd { Owner::Ofd(ofd_id(file)) } else { Owner::Posix(p.proc.pid) };
        table.wait_for(owner, None);
    };
    loop {
        match attempt() {
            Ok(()) => {
                // An unlock or a downgrade may let others in.
                RELEASED.wake_all();
                return Ok(0);
            }
            Err(Refusal::Deadlock) => return Err(Errno::EDEADLK),
            Err(Refusal::Blocked(_)) if !wait => return Err(Errno::EAGAIN),
            Err(Refusal::Blocked(_)) => {
                let deadline = crate::time::ticks().saturating_add(RECHECK_TICKS);
                let ready = || {
                    let mut table = TABLE.lock();
                    prune(&mut table, key);
                    let owner = if ofd { Owner::Ofd(ofd_id(file)) } else { Owner::Posix(p.proc.pid) };
                    table.test(key, owner, kind.unwrap_or(Kind::Write), start, end).is_none().then_some(())
                };
                match RELEASED.wait_interruptible(ready, Some(deadline)) {
                    Ok(()) | Err(Interrupted::TimedOut) => {}
                    Err(Interrupted::Signal) => {
                        stop_waiting();
                        return Err(Errno::EINTR);
                    }
                }
            }
        }
    }
}

/// Descriptor `fd` of the calling process is being closed (close, dup2
/// over it, close_range): its process loses its POSIX locks on the file.
pub fn on_close(p: &Task, fd: i64) {
    let Ok(file) = p.files.get(fd) else { return };
    let Ok(key) = key_of(&file) else { return };
    if TABLE.lock().release(key, Owner::Posix(p.proc.pid)) {
        RELEASED.wake_all();
    }
}

/// execve is about to close the close-on-exec descriptors.
pub fn before_exec(p: &Task) {
    for (fd, _) in p.files.entries() {
        if p.files.cloexec(fd as i64).unwrap_or(false) {
            on_close(p, fd as i64);
        }
    }
}

/// A process ended: its POSIX locks go.
pub fn process_ended(pid: u32) {
    if TABLE.lock().release_all(Owner::Posix(pid)) {
        RELEASED.wake_all();
    }
}
