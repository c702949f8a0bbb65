//! inotify(7): instances ([`InotifyFile`]) with watches on inodes, and the
//! hooks the namespace calls use to report changes ([`created`],
//! [`removed`], [`moved`], [`modified`], [`closed_write`]).
//!
//! A watch is keyed by the inode's (device, inode number); the registry
//! maps keys to the (instance, wd) pairs watching them, and counts the
//! watches so that a namespace call pays nothing while nobody watches.
//! An event on a directory entry goes to the directory's watches with the
//! entry's name; an event on a file goes to its own watches without one
//! (and to its directory's, with the name). The queue rules are
//! [`fdkinds::inotify::Queue`]'s. Events generated: IN_CREATE, IN_DELETE,
//! IN_MODIFY (write), IN_MOVED_FROM / IN_MOVED_TO (one cookie per rename),
//! IN_CLOSE_WRITE, IN_IGNORED (inotify_rm_watch); IN_ONESHOT honoured.
//! Invariants: the registry lock is never held while an instance's lock
//! is taken the other way round (emission copies the targets first).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use errno::{Errno, KResult};
use fdkinds::inotify::{Event, Queue};
use linux_abi::flags::{
    FIONREAD, IN_ALL_EVENTS, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_IGNORED, IN_ISDIR, IN_MASK_ADD, IN_MASK_CREATE,
    IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, IN_ONESHOT,
};
use linux_abi::{structs, IoctlArg};
use spin::Mutex;
use vfs::{FileKind, Location};

use super::{ev, FileLike, OpenFile, PollTable, Pollee, Sink};
use crate::task::Task;

/// (device, inode number).
pub type Key = (u64, u64);

static WATCHES: Mutex<BTreeMap<Key, Vec<(Weak<Instance>, i32)>>> = Mutex::new(BTreeMap::new());
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static COOKIE: AtomicU32 = AtomicU32::new(1);

/// True while any watch exists (the hooks return at once otherwise).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Acquire) > 0
}

fn key_of(loc: &Location) -> Option<(Key, bool)> {
    let st = loc.stat().ok()?;
    Some(((st.dev, st.meta.ino), st.meta.kind == FileKind::Directory))
}

struct Watch {
    key: Key,
    mask: u32,
}

struct State {
    queue: Queue,
    watches: BTreeMap<i32, Watch>,
    by_key: BTreeMap<Key, i32>,
    next_wd: i32,
}

pub struct Instance {
    state: Mutex<State>,
    pollee: Pollee,
}

impl Instance {
    /// Queues an event for watch `wd` if its mask asks for it.
    fn deliver(&self, wd: i32, mask: u32, cookie: u32, name: &str) {
        let mut st = self.state.lock();
        let Some(w) = st.watches.get(&wd) else { return };
        if w.mask & mask & IN_ALL_EVENTS == 0 {
            return;
        }
        let oneshot = w.mask & IN_ONESHOT != 0;
        let key = w.key;
        st.queue.push(Event { wd, mask, cookie, name: String::from(name) });
        if oneshot {
            st.watches.remove(&wd);
            st.by_key.remove(&key);
            st.queue.push(Event { wd, mask: IN_IGNORED, cookie: 0, name: String::new() });
            drop(st);
            unregister(key, self, wd);
        } else {
            drop(st);
        }
        self.pollee.notify(ev::IN | ev::RDNORM);
    }
}

fn unregister(key: Key, inst: &Instance, wd: i32) {
    let mut w = WATCHES.lock();
    if let Some(list) = w.get_mut(&key) {
        let before = list.len();
        list.retain(|(i, d)| !(core::ptr::eq(i.as_ptr(), inst) && *d == wd));
        ACTIVE.fetch_sub(before - list.len(), Ordering::AcqRel);
        if list.is_empty() {
            w.remove(&key);
        }
    }
}

/// Sends `mask` to the watches of `key`.
fn emit(key: Key, mask: u32, cookie: u32, name: &str) {
    let targets: Vec<(Arc<Instance>, i32)> = match WATCHES.lock().get(&key) {
        Some(list) => list.iter().filter_map(|(i, wd)| i.upgrade().map(|i| (i, *wd))).collect(),
        None => return,
    };
    for (inst, wd) in targets {
        inst.deliver(wd, mask, cookie, name);
    }
}

/// An event on the entry `loc`: its directory's watches (with the name),
/// then its own if `own`.
fn entry_event(loc: &Location, mask: u32, cookie: u32, own: bool) {
    let Some((key, dir)) = key_of(loc) else { return };
    let mask = if dir { mask | IN_ISDIR } else { mask };
    if let Some((parent, name)) = loc.parent_and_name() {
        if let Some((pkey, _)) = key_of(&parent) {
            emit(pkey, mask, cookie, &name);
        }
    }
    if own {
        emit(key, mask, cookie, "");
    }
}

/// `loc` was just created (open O_CREAT, mkdir, mknod, symlink, link).
pub fn created(loc: &Location) {
    if active() {
        entry_event(loc, IN_CREATE, 0, false);
    }
}

/// What a removal needs, taken before it: the directory's key, the name,
/// whether it is a directory.
pub struct Removal {
    dir: Key,
    name: String,
    is_dir: bool,
}

/// Notes `loc` before it is unlinked, renamed away or removed.
pub fn before_removal(loc: &Location) -> Option<Removal> {
    if !active() {
        return None;
    }
    let (_, is_dir) = key_of(loc)?;
    let (parent, name) = loc.parent_and_name()?;
    let (dir, _) = key_of(&parent)?;
    Some(Removal { dir, name, is_dir })
}

fn isdir(r: &Removal, mask: u32) -> u32 {
    if r.is_dir {
        mask | IN_ISDIR
    } else {
        mask
    }
}

/// The entry noted by [`before_removal`] was removed.
pub fn removed(r: Option<Removal>) {
    if let Some(r) = r {
        emit(r.dir, isdir(&r, IN_DELETE), 0, &r.name);
    }
}

/// The entry noted by [`before_removal`] was renamed to `to`.
pub fn moved(from: Option<Removal>, to: &Location) {
    let Some(from) = from else {
        // Nothing watched the source when the rename began.
        if active() {
            entry_event(to, IN_MOVED_TO, COOKIE.fetch_add(1, Ordering::Relaxed), false);
        }
        return;
    };
    let cookie = COOKIE.fetch_add(1, Ordering::Relaxed);
    emit(from.dir, isdir(&from, IN_MOVED_FROM), cookie, &from.name);
    entry_event(to, IN_MOVED_TO, cookie, false);
}

/// Data of the file at `loc` was written.
pub fn modified(loc: &Location) {
    if active() {
        entry_event(loc, IN_MODIFY, 0, true);
    }
}

/// A file opened for writing at `loc` was closed (its last descriptor).
pub fn closed_write(loc: &Location) {
    if active() {
        entry_event(loc, IN_CLOSE_WRITE, 0, true);
    }
}

/// An inotify instance's open file.
pub struct InotifyFile {
    inst: Arc<Instance>,
}

impl InotifyFile {
    pub fn new() -> Arc<InotifyFile> {
        let state = State { queue: Queue::new(), watches: BTreeMap::new(), by_key: BTreeMap::new(), next_wd: 1 };
        Arc::new(InotifyFile { inst: Arc::new(Instance { state: Mutex::new(state), pollee: Pollee::new() }) })
    }

    /// inotify_add_watch on a resolved `loc`: the watch descriptor.
    pub fn add_watch(&self, loc: &Location, mask: u32) -> KResult<i32> {
        let (key, _) = key_of(loc).ok_or(Errno::ENOENT)?;
        let mut st = self.inst.state.lock();
        if let Some(&wd) = st.by_key.get(&key) {
            if mask & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            if let Some(w) = st.watches.get_mut(&wd) {
                let keep = if mask & IN_MASK_ADD != 0 { w.mask } else { 0 };
                w.mask = keep | (mask & !(IN_MASK_ADD | IN_MASK_CREATE));
            }
            return Ok(wd);
        }
        let wd = st.next_wd;
        st.next_wd = st.next_wd.checked_add(1).ok_or(Errno::ENOSPC)?;
        st.watches.insert(wd, Watch { key, mask: mask & !(IN_MASK_ADD | IN_MASK_CREATE) });
        st.by_key.insert(key, wd);
        drop(st);
        WATCHES.lock().entry(key).or_default().push((Arc::downgrade(&self.inst), wd));
        ACTIVE.fetch_add(1, Ordering::AcqRel);
        Ok(wd)
    }

    /// inotify_rm_watch: queues IN_IGNORED; `EINVAL` for an unknown wd.
    pub fn rm_watch(&self, wd: i32) -> KResult<()> {
        let mut st = self.inst.state.lock();
        let w = st.watches.remove(&wd).ok_or(Errno::EINVAL)?;
        st.by_key.remove(&w.key);
        st.queue.push(Event { wd, mask: IN_IGNORED, cookie: 0, name: String::new() });
        drop(st);
        unregister(w.key, &self.inst, wd);
        self.inst.pollee.notify(ev::IN | ev::RDNORM);
        Ok(())
    }

    fn take(&self, room: usize) -> KResult<Option<Vec<u8>>> {
        self.inst.state.lock().queue.take(room)
    }
}

impl Drop for InotifyFile {
    fn drop(&mut self) {
        let watches = core::mem::take(&mut self.inst.state.lock().watches);
        for (wd, w) in watches {
            unregister(w.key, &self.inst, wd);
        }
    }
}

impl FileLike for InotifyFile {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        let room = dst.len();
        let bytes = match self.take(room)? {
            Some(b) => b,
            None if file.nonblocking() => return Err(Errno::EAGAIN),
            None => {
                let r = self.inst.pollee.wait(
                    || match self.take(room) {
                        Ok(None) => None,
                        other => Some(other),
                    },
                    None,
                );
                match r {
                    Ok(Ok(Some(b))) => b,
                    Ok(Ok(None)) => return Err(Errno::EAGAIN),
                    Ok(Err(e)) => return Err(e),
                    Err(e) => return Err(e.errno()),
                }
            }
        };
        dst.put(0, &bytes)?;
        Ok(bytes.len())
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.inst.pollee);
        }
        let ready = if self.inst.state.lock().queue.is_empty() { 0 } else { ev::IN | ev::RDNORM };
        ready & mask
    }

    fn ioctl(&self, _file: &OpenFile, t: &mut Task, cmd: u32, arg: IoctlArg) -> KResult<usize> {
        match cmd {
            FIONREAD => {
                let n = u32::try_from(self.inst.state.lock().queue.bytes()).unwrap_or(u32::MAX);
                t.space.write(arg.ptr::<u32>(), &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:inotify")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, Arc::as_ptr(&self.inst) as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
