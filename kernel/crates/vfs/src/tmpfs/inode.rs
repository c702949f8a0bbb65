//! tmpfs inodes: attributes plus file pages, directory entries, a symlink
//! target, or nothing (FIFOs, sockets, device nodes).

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use errno::{Errno, KResult};
use spin::{Mutex, RwLock};

use super::dir::DirData;
use super::pages::{PagedData, PAGE_SIZE};
use super::{creatable, Shared};
use crate::device::CharDevice;
use crate::node::{FileSystem, Inode};
use crate::path::{check_name_len, check_new_name};
use crate::types::{
    DevId, DirEntry, FileKind, Metadata, NewNode, SetAttr, SetTime, Timespec, PATH_MAX, PERM_MASK,
};

/// `st_blksize`.
const BLOCK_SIZE: u32 = PAGE_SIZE as u32;
/// Linux tmpfs counts this many bytes of directory size per entry.
const BOGO_DIRENT_SIZE: u64 = 20;
/// relatime: atime is refreshed at least this often even without changes.
const RELATIME_SECS: i64 = 24 * 60 * 60;

/// A tmpfs inode.
pub struct TmpInode {
    ino: u64,
    kind: FileKind,
    shared: Arc<Shared>,
    me: Weak<TmpInode>,
    /// The containing directory, for directories (a leaf lock: nothing else
    /// is locked while it is held).
    parent: Mutex<Weak<TmpInode>>,
    state: RwLock<State>,
}

struct State {
    attrs: Attrs,
    content: Content,
}

#[derive(Clone)]
struct Attrs {
    perm: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    rdev: DevId,
}

enum Content {
    File(PagedData),
    Dir(Directory),
    Symlink(String),
    Special,
}

#[derive(Default)]
struct Directory {
    entries: DirData<TmpInode>,
    /// Set by rmdir: lookups and creation fail with `ENOENT`.
    removed: bool,
}

/// Ownership, permissions, device number and content of a new inode.
struct Init {
    kind: FileKind,
    perm: u32,
    uid: u32,
    gid: u32,
    rdev: DevId,
    content: Content,
}

impl Attrs {
    fn modified(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }

    /// Linux's relatime rule.
    fn atime_due(&self, now: Timespec) -> bool {
        self.atime <= self.mtime || self.atime <= self.ctime || now.sec.saturating_sub(self.atime.sec) >= RELATIME_SECS
    }

    fn link_added(&mut self) -> KResult<()> {
        self.nlink = self.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
        Ok(())
    }

    fn link_dropped(&mut self) {
        self.nlink = self.nlink.saturating_sub(1);
    }
}

impl State {
    fn dir(&self) -> KResult<&Directory> {
        match &self.content {
            Content::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self) -> KResult<&mut Directory> {
        match &mut self.content {
            Content::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The directory, if it still accepts new entries.
    fn live_dir_mut(&mut self) -> KResult<&mut Directory> {
        let dir = self.dir_mut()?;
        if dir.removed {
            return Err(Errno::ENOENT);
        }
        Ok(dir)
    }
}

impl TmpInode {
    pub(super) fn new_root(shared: &Arc<Shared>, perm: u32, uid: u32, gid: u32) -> Arc<TmpInode> {
        let ino = shared.next_ino.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        shared.inodes_used.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let init = Init { kind: FileKind::Directory, perm, uid, gid, rdev: DevId::NONE, content: dir_content() };
        Self::build(shared, ino, init, Weak::new())
    }

    fn build(shared: &Arc<Shared>, ino: u64, init: Init, parent: Weak<TmpInode>) -> Arc<TmpInode> {
        let now = shared.now();
        let nlink = if init.kind == FileKind::Directory { 2 } else { 1 };
        Arc::new_cyclic(|me| TmpInode {
            ino,
            kind: init.kind,
            shared: shared.clone(),
            me: me.clone(),
            parent: Mutex::new(parent),
            state: RwLock::new(State {
                attrs: Attrs {
                    perm: init.perm & PERM_MASK,
                    uid: init.uid,
                    gid: init.gid,
                    nlink,
                    atime: now,
                    mtime: now,
                    ctime: now,
                    rdev: init.rdev,
                },
                content: init.content,
            }),
        })
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// A copy of this inode for the snapshot instance `shared`: the same
    /// number, attributes and content, with file pages shared rather than
    /// copied; a directory comes out empty (the snapshot walk fills it with
    /// [`TmpInode::fill_dir`]). Charged to `shared`'s page and inode counts.
    pub(super) fn snapshot_copy(&self, shared: &Arc<Shared>, parent: Weak<TmpInode>) -> Arc<TmpInode> {
        let state = self.state.read();
        let content = match &state.content {
            Content::File(data) => {
                shared.pages_used.fetch_add(data.page_count(), core::sync::atomic::Ordering::Relaxed);
                Content::File(data.share())
            }
            Content::Dir(_) => dir_content(),
            Content::Symlink(target) => Content::Symlink(target.clone()),
            Content::Special => Content::Special,
        };
        shared.inodes_used.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let attrs = state.attrs.clone();
        Arc::new_cyclic(|me| TmpInode {
            ino: self.ino,
            kind: self.kind,
            shared: shared.clone(),
            me: me.clone(),
            parent: Mutex::new(parent),
            state: RwLock::new(State { attrs, content }),
        })
    }

    /// The entries of this directory in readdir order (empty for anything else).
    pub(super) fn dir_entries(&self) -> Vec<(String, Arc<TmpInode>)> {
        let state = self.state.read();
        let Ok(dir) = state.dir() else { return Vec::new() };
        let mut out = Vec::with_capacity(dir.entries.len());
        let mut cookie = 0;
        while let Some((name, node, next)) = dir.entries.entry_at(cookie) {
            out.push((String::from(name), node.clone()));
            cookie = next;
        }
        out
    }

    /// Gives a directory made by [`TmpInode::snapshot_copy`] its entries.
    pub(super) fn fill_dir(&self, entries: DirData<TmpInode>) {
        if let Content::Dir(dir) = &mut self.state.write().content {
            dir.entries = entries;
        }
    }

    /// The link count.
    pub(super) fn nlink(&self) -> u64 {
        self.state.read().attrs.nlink
    }

    /// The file data, for tests comparing snapshots.
    #[cfg(test)]
    pub(super) fn with_pages<R>(&self, f: impl FnOnce(&PagedData) -> R) -> Option<R> {
        match &self.state.read().content {
            Content::File(data) => Some(f(data)),
            _ => None,
        }
    }

    /// Creates `name` in this directory from `init`.
    fn add_child(&self, name: &str, init: Init) -> KResult<Arc<TmpInode>> {
        check_new_name(name)?;
        let is_dir = init.kind == FileKind::Directory;
        let mut state = self.state.write();
        let dir = state.live_dir_mut()?;
        if dir.entries.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let ino = self.shared.alloc_ino()?;
        let parent = if is_dir { self.me.clone() } else { Weak::new() };
        let child = Self::build(&self.shared, ino, init, parent);
        dir.entries.insert(name, child.clone())?;
        if is_dir {
            state.attrs.link_added()?;
        }
        state.attrs.modified(self.shared.now());
        Ok(child)
    }

    fn touch_atime(&self) {
        let now = self.shared.now();
        let mut state = self.state.write();
        if state.attrs.atime_due(now) {
            state.attrs.atime = now;
        }
    }

    fn char_device(&self) -> KResult<Arc<dyn CharDevice>> {
        self.device().ok_or(Errno::ENXIO)
    }

    /// Whether `self` is `node` or one of its ancestors.
    fn is_ancestor_of(&self, node: &TmpInode) -> bool {
        let mut current = node.me.upgrade();
        while let Some(inode) = current {
            if core::ptr::eq(self, &*inode) {
                return true;
            }
            current = inode.parent.lock().upgrade();
        }
        false
    }

    fn same_instance(&self, other: &TmpInode) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

fn dir_content() -> Content {
    Content::Dir(Directory::default())
}

/// The tmpfs inode behind a trait object, if it is one.
fn downcast(inode: &Arc<dyn Inode>) -> Option<&TmpInode> {
    inode.as_any().downcast_ref::<TmpInode>()
}

fn resolve_time(t: SetTime, now: Timespec) -> Timespec {
    match t {
        SetTime::Now => now,
        SetTime::At(t) => t,
    }
}

impl Inode for TmpInode {
    fn metadata(&self) -> KResult<Metadata> {
        let state = self.state.read();
        let (size, blocks) = match &state.content {
            Content::File(data) => (data.size(), data.page_count() * (PAGE_SIZE as u64 / 512)),
            Content::Dir(dir) => ((dir.entries.len() as u64 + 2) * BOGO_DIRENT_SIZE, 0),
            Content::Symlink(target) => (target.len() as u64, 0),
            Content::Special => (0, 0),
        };
        let a = &state.attrs;
        Ok(Metadata {
            ino: self.ino,
            kind: self.kind,
            perm: a.perm,
            nlink: a.nlink,
            uid: a.uid,
            gid: a.gid,
            size,
            blocks,
            block_size: BLOCK_SIZE,
            atime: a.atime,
            mtime: a.mtime,
            ctime: a.ctime,
            rdev: a.rdev,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.shared.fs()
    }

    fn kind(&self) -> KResult<FileKind> {
        Ok(self.kind)
    }

    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        check_name_len(name)?;
        let state = self.state.read();
        let dir = state.dir()?;
        match dir.entries.get(name) {
            Some(child) => Ok(child.clone()),
            None => Err(Errno::ENOENT),
        }
    }

    fn create(&self, name: &str, node: &NewNode) -> KResult<Arc<dyn Inode>> {
        if !creatable(node.kind) {
            return Err(Errno::EINVAL);
        }
        let content = match node.kind {
            FileKind::Regular => Content::File(PagedData::default()),
            FileKind::Directory => dir_content(),
            _ => Content::Special,
        };
        let rdev = match node.kind {
            FileKind::CharDevice | FileKind::BlockDevice => node.rdev,
            _ => DevId::NONE,
        };
        let init = Init { kind: node.kind, perm: node.perm, uid: node.uid, gid: node.gid, rdev, content };
        Ok(self.add_child(name, init)?)
    }

    fn symlink(&self, name: &str, target: &str, uid: u32, gid: u32) -> KResult<Arc<dyn Inode>> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let content = Content::Symlink(String::from(target));
        let init = Init { kind: FileKind::Symlink, perm: 0o777, uid, gid, rdev: DevId::NONE, content };
        Ok(self.add_child(name, init)?)
    }

    fn link(&self, name: &str, target: &Arc<dyn Inode>) -> KResult<()> {
        check_new_name(name)?;
        let node = downcast(target).filter(|t| self.same_instance(t)).ok_or(Errno::EXDEV)?;
        if node.kind == FileKind::Directory {
            return Err(Errno::EPERM);
        }
        let node_arc = node.me.upgrade().ok_or(Errno::ENOENT)?;
        let now = self.shared.now();
        let mut state = self.state.write();
        let dir = state.live_dir_mut()?;
        if dir.entries.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        {
            let mut target_state = node.state.write();
            if target_state.attrs.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            target_state.attrs.link_added()?;
            target_state.attrs.ctime = now;
        }
        dir.entries.insert(name, node_arc)?;
        state.attrs.modified(now);
        Ok(())
    }

    fn unlink(&self, name: &str) -> KResult<()> {
        let now = self.shared.now();
        let mut state = self.state.write();
        let dir = state.dir_mut()?;
        let child = dir.entries.get(name).cloned().ok_or(Errno::ENOENT)?;
        if child.kind == FileKind::Directory {
            return Err(Errno::EISDIR);
        }
        dir.entries.remove(name);
        {
            let mut child_state = child.state.write();
            child_state.attrs.link_dropped();
            child_state.attrs.ctime = now;
        }
        state.attrs.modified(now);
        Ok(())
    }

    fn rmdir(&self, name: &str) -> KResult<()> {
        let now = self.shared.now();
        let mut state = self.state.write();
        let dir = state.dir_mut()?;
        let child = dir.entries.get(name).cloned().ok_or(Errno::ENOENT)?;
        if child.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        {
            let mut child_state = child.state.write();
            let child_dir = child_state.dir_mut()?;
            if !child_dir.entries.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
            child_dir.removed = true;
            child_state.attrs.nlink = 0;
            child_state.attrs.ctime = now;
        }
        dir.entries.remove(name);
        state.attrs.link_dropped();
        state.attrs.modified(now);
        Ok(())
    }

    fn rename(&self, old_name: &str, new_dir: &Arc<dyn Inode>, new_name: &str) -> KResult<()> {
        check_new_name(new_name)?;
        let target_dir = downcast(new_dir).filter(|d| self.same_instance(d)).ok_or(Errno::EXDEV)?;
        if self.kind != FileKind::Directory || target_dir.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let now = self.shared.now();
        if core::ptr::eq(self, target_dir) {
            let mut state = self.state.write();
            return rename_locked(Dirs { old: self, new: self }, &mut state, None, old_name, new_name, now);
        }
        let _serialized = self.shared.rename_lock.lock();
        // Lock an ancestor before its descendant, as every other operation does.
        let (mut old_state, mut new_state) = if self.is_ancestor_of(target_dir) {
            let o = self.state.write();
            (o, target_dir.state.write())
        } else {
            let n = target_dir.state.write();
            (self.state.write(), n)
        };
        let dirs = Dirs { old: self, new: target_dir };
        rename_locked(dirs, &mut old_state, Some(&mut new_state), old_name, new_name, now)
    }

    fn readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        let entry = {
            let state = self.state.read();
            let dir = state.dir()?;
            dir.entries.entry_at(cookie).map(|(name, node, next)| {
                (DirEntry { ino: node.ino, kind: node.kind, name: String::from(name) }, next)
            })
        };
        if cookie == 0 {
            self.touch_atime();
        }
        Ok(entry)
    }

    fn readlink(&self) -> KResult<String> {
        let target = match &self.state.read().content {
            Content::Symlink(target) => target.clone(),
            _ => return Err(Errno::EINVAL),
        };
        self.touch_atime();
        Ok(target)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        match self.kind {
            FileKind::Regular => {
                let read = match &self.state.read().content {
                    Content::File(data) => data.read(offset, buf),
                    _ => return Err(Errno::EINVAL),
                };
                if !buf.is_empty() {
                    self.touch_atime();
                }
                Ok(read)
            }
            FileKind::CharDevice => self.char_device()?.read(offset, buf),
            FileKind::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> KResult<usize> {
        match self.kind {
            FileKind::Regular => {
                let mut state = self.state.write();
                let Content::File(pages) = &mut state.content else { return Err(Errno::EINVAL) };
                let shared = &self.shared;
                let written = pages.write(offset, data, || shared.reserve_page(), || shared.page_copied())?;
                if written > 0 {
                    state.attrs.modified(shared.now());
                }
                Ok(written)
            }
            FileKind::CharDevice => self.char_device()?.write(offset, data),
            FileKind::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn truncate(&self, len: u64) -> KResult<()> {
        match self.kind {
            FileKind::Regular => {
                let mut state = self.state.write();
                let Content::File(pages) = &mut state.content else { return Err(Errno::EINVAL) };
                let shared = &self.shared;
                let freed = pages.truncate(len, || shared.page_copied())?;
                self.shared.release_pages(freed);
                state.attrs.modified(self.shared.now());
                Ok(())
            }
            FileKind::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn content_id(&self) -> Option<u64> {
        match &self.state.read().content {
            Content::File(data) => Some(data.id()),
            _ => None,
        }
    }

    fn set_attr(&self, attr: &SetAttr) -> KResult<()> {
        let now = self.shared.now();
        let mut state = self.state.write();
        let a = &mut state.attrs;
        if let Some(mode) = attr.mode {
            a.perm = mode & PERM_MASK;
        }
        if let Some(uid) = attr.uid {
            a.uid = uid;
        }
        if let Some(gid) = attr.gid {
            a.gid = gid;
        }
        if let Some(t) = attr.atime {
            a.atime = resolve_time(t, now);
        }
        if let Some(t) = attr.mtime {
            a.mtime = resolve_time(t, now);
        }
        a.ctime = now;
        Ok(())
    }

    fn device(&self) -> Option<Arc<dyn CharDevice>> {
        if self.kind != FileKind::CharDevice {
            return None;
        }
        let rdev = self.state.read().attrs.rdev;
        self.shared.devices.as_ref()?.get(rdev)
    }
}

/// The two directories of a rename (the same one for a rename in place).
#[derive(Clone, Copy)]
struct Dirs<'a> {
    old: &'a TmpInode,
    new: &'a TmpInode,
}

/// The rename itself, with both directories locked (`new_state` is `None`
/// when they are the same directory). Fails before changing anything.
fn rename_locked(
    dirs: Dirs<'_>,
    old_state: &mut State,
    mut new_state: Option<&mut State>,
    old_name: &str,
    new_name: &str,
    now: Timespec,
) -> KResult<()> {
    let cross_dir = new_state.is_some();
    let source = old_state.dir()?.entries.get(old_name).cloned().ok_or(Errno::ENOENT)?;
    let victim = {
        let new_dir = match new_state.as_deref() {
            Some(state) => state.dir()?,
            None => old_state.dir()?,
        };
        if new_dir.removed {
            return Err(Errno::ENOENT);
        }
        new_dir.entries.get(new_name).cloned()
    };
    if let Some(victim) = &victim {
        if Arc::ptr_eq(victim, &source) {
            return Ok(());
        }
    }
    // Linux's order: source above target, target above source, then types.
    let moving_dir = source.kind == FileKind::Directory;
    if moving_dir && cross_dir && source.is_ancestor_of(dirs.new) {
        return Err(Errno::EINVAL);
    }
    if let Some(victim) = &victim {
        if victim.is_ancestor_of(dirs.old) {
            return Err(Errno::ENOTEMPTY);
        }
        match (moving_dir, victim.kind == FileKind::Directory) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            _ => {}
        }
    }
    let victim_was_dir = match &victim {
        Some(victim) => retire_victim(victim, now)?,
        None => false,
    };

    // Nothing fails from here on.
    source.state.write().attrs.ctime = now;
    if moving_dir && cross_dir {
        *source.parent.lock() = dirs.new.me.clone();
    }
    if let Ok(dir) = old_state.dir_mut() {
        dir.entries.remove(old_name);
    }
    if moving_dir && cross_dir {
        old_state.attrs.link_dropped();
    }
    old_state.attrs.modified(now);
    let new_state = match new_state.as_deref_mut() {
        Some(state) => state,
        None => old_state,
    };
    if let Ok(dir) = new_state.dir_mut() {
        dir.entries.remove(new_name);
        dir.entries.insert(new_name, source)?;
    }
    if moving_dir && cross_dir {
        new_state.attrs.nlink = new_state.attrs.nlink.saturating_add(1);
    }
    if victim_was_dir {
        new_state.attrs.link_dropped();
    }
    new_state.attrs.modified(now);
    Ok(())
}

/// Drops the link of a rename's replaced entry: `ENOTEMPTY` for a directory
/// with entries. Returns whether it was a directory.
fn retire_victim(victim: &TmpInode, now: Timespec) -> KResult<bool> {
    let mut state = victim.state.write();
    let was_dir = match &mut state.content {
        Content::Dir(dir) => {
            if !dir.entries.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
            dir.removed = true;
            true
        }
        _ => false,
    };
    if was_dir {
        state.attrs.nlink = 0;
    } else {
        state.attrs.link_dropped();
    }
    state.attrs.ctime = now;
    Ok(was_dir)
}

impl Drop for TmpInode {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        if let Content::File(data) = &state.content {
            self.shared.release_pages(data.page_count());
        }
        self.shared.release_inode();
        // Tear a directory tree down iteratively: a deep tree must not recurse.
        let Content::Dir(dir) = &mut state.content else { return };
        let mut pending: Vec<Arc<TmpInode>> = dir.entries.drain().collect();
        while let Some(child) = pending.pop() {
            if let Some(mut child) = Arc::into_inner(child) {
                if let Content::Dir(child_dir) = &mut child.state.get_mut().content {
                    pending.extend(child_dir.entries.drain());
                }
            }
        }
    }
}
