//! flock(2): advisory whole-file locks, shared or exclusive, owned by the
//! open file description (so `dup`ed and inherited descriptors share one
//! lock, and it ends when the last of them is closed).
//!
//! The table maps a file identity (`st_dev`, `st_ino`) to its holders,
//! each a weak reference to the open file: a holder whose file is gone no
//! longer counts. Unlocking wakes waiters at once; a waiter also re-checks
//! every few ticks, which is how it notices a holder that was closed
//! (closing a file does not call back into this module).
//! May call: the descriptor table, `sched` wait queues, `time`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::{OpenFlags, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN};
use linux_abi::Fd;
use spin::Mutex;

use super::SysResult;
use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;
use crate::task::files::OpenFile;
use crate::task::Task;

const O_PATH: u32 = OpenFlags::O_PATH.bits();
/// How often a blocked flock re-checks for holders that were closed.
const RECHECK_TICKS: u64 = 10;

/// Which file a lock is on: (`st_dev`, `st_ino`), or a pipe by address.
type Key = (u64, u64);

struct Holder {
    file: Weak<OpenFile>,
    exclusive: bool,
}

static LOCKS: Mutex<BTreeMap<Key, Vec<Holder>>> = Mutex::new(BTreeMap::new());
static RELEASED: WaitQueue = WaitQueue::new();

fn key_of(file: &OpenFile) -> Result<Key, Errno> {
    file.inner().lock_key()
}

fn is(file: &Arc<OpenFile>, holder: &Holder) -> bool {
    core::ptr::eq(holder.file.as_ptr(), Arc::as_ptr(file))
}

/// Takes the lock if nothing conflicts. A held lock of the other kind is
/// dropped first (Linux converts by unlock + lock, not atomically).
fn try_lock(key: Key, file: &Arc<OpenFile>, exclusive: bool) -> bool {
    let mut table = LOCKS.lock();
    table.retain(|_, holders| {
        holders.retain(|h| h.file.strong_count() > 0);
        !holders.is_empty()
    });
    let holders = table.entry(key).or_default();
    if let Some(mine) = holders.iter_mut().find(|h| is(file, h)) {
        if mine.exclusive == exclusive {
            return true;
        }
        holders.retain(|h| !is(file, h));
        RELEASED.wake_all();
    }
    let conflict = holders.iter().any(|h| h.exclusive || exclusive);
    if !conflict {
        holders.push(Holder { file: Arc::downgrade(file), exclusive });
    }
    !conflict
}

fn unlock(key: Key, file: &Arc<OpenFile>) {
    if let Some(holders) = LOCKS.lock().get_mut(&key) {
        holders.retain(|h| !is(file, h));
    }
    RELEASED.wake_all();
}

pub fn flock(p: &mut Task, fd: Fd, operation: u32) -> SysResult {
    let file = p.files.get(fd.into())?;
    if *file.status.lock() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    let exclusive = match operation & !LOCK_NB {
        LOCK_SH => false,
        LOCK_EX => true,
        LOCK_UN => {
            unlock(key_of(&file)?, &file);
            return Ok(0);
        }
        _ => return Err(Errno::EINVAL),
    };
    let key = key_of(&file)?;
    if try_lock(key, &file, exclusive) {
        return Ok(0);
    }
    if operation & LOCK_NB != 0 {
        return Err(Errno::EWOULDBLOCK);
    }
    loop {
        let deadline = crate::time::ticks().saturating_add(RECHECK_TICKS);
        match RELEASED.wait_interruptible(|| try_lock(key, &file, exclusive).then_some(()), Some(deadline)) {
            Ok(()) => return Ok(0),
            Err(Interrupted::Signal) => return Err(Errno::EINTR),
            Err(Interrupted::TimedOut) => {}
        }
    }
}
