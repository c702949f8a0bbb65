//! The overlay inode: which real inodes stand behind one name (upper, lowers), name
//! resolution through the layers, and the read side of `vfs::Inode`.
//!
//! A directory caches its live children weakly, and a child holds its parent, so while an
//! inode is in use every lookup of its path returns the same object: its copy-up state is
//! never split between two objects.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use errno::{Errno, KResult};
use spin::{Mutex, RwLock};
use vfs::{CharDevice, DevId, DirEntry, FileKind, FileSystem, Inode, Metadata, NewNode, SetAttr};

use crate::{Shared, OPAQUE_XATTR};

/// Bits of st_ino left for the real inode number (the layer tag sits above).
const INO_BITS: u32 = 56;

/// The st_ino of real inode `ino` of layer `tag` (0 = upper, 1 + n = lower layer n).
pub(crate) fn tag_ino(tag: usize, ino: u64) -> u64 {
    ((tag as u64) << INO_BITS) ^ ino
}

/// Whether `inode` is a whiteout (a character device 0/0).
pub(crate) fn is_whiteout(inode: &Arc<dyn Inode>) -> KResult<bool> {
    Ok(inode.kind()? == FileKind::CharDevice && inode.metadata()?.rdev == DevId::NONE)
}

/// Whether a lower directory is opaque.
pub(crate) fn is_opaque_lower(inode: &Arc<dyn Inode>) -> KResult<bool> {
    match inode.getxattr(OPAQUE_XATTR) {
        Ok(v) => Ok(v == b"y"),
        Err(Errno::ENODATA) | Err(Errno::EOPNOTSUPP) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Where a name lives in the layers.
#[derive(Clone, Default)]
pub(crate) struct State {
    pub upper: Option<Arc<dyn Inode>>,
    /// (layer, inode), top first: the merged lower directories of a directory, or the one
    /// lower inode of anything else.
    pub lowers: Vec<(usize, Arc<dyn Inode>)>,
}

pub(crate) struct Link {
    /// `None` for the root.
    pub parent: Option<Arc<OvlInode>>,
    pub name: String,
}

/// One name of an overlay.
pub struct OvlInode {
    pub(crate) shared: Arc<Shared>,
    pub(crate) me: Weak<OvlInode>,
    pub(crate) kind: FileKind,
    pub(crate) link: RwLock<Link>,
    pub(crate) state: RwLock<State>,
    pub(crate) children: Mutex<BTreeMap<String, Weak<OvlInode>>>,
}

impl OvlInode {
    pub(crate) fn new_root(shared: Arc<Shared>, upper: Arc<dyn Inode>, lowers: Vec<(usize, Arc<dyn Inode>)>) -> Arc<OvlInode> {
        let state = State { upper: Some(upper), lowers };
        Self::make(shared, FileKind::Directory, Link { parent: None, name: String::new() }, state)
    }

    pub(crate) fn make(shared: Arc<Shared>, kind: FileKind, link: Link, state: State) -> Arc<OvlInode> {
        Arc::new_cyclic(|me| OvlInode {
            shared,
            me: me.clone(),
            kind,
            link: RwLock::new(link),
            state: RwLock::new(state),
            children: Mutex::new(BTreeMap::new()),
        })
    }

    pub(crate) fn this(&self) -> KResult<Arc<OvlInode>> {
        self.me.upgrade().ok_or(Errno::ESTALE)
    }

    /// The upper inode, if copied up (or made there).
    pub fn upper(&self) -> Option<Arc<dyn Inode>> {
        self.state.read().upper.clone()
    }

    pub(crate) fn snapshot(&self) -> State {
        self.state.read().clone()
    }

    /// The inode that answers for this name now, with its layer tag.
    pub(crate) fn real(&self) -> KResult<(usize, Arc<dyn Inode>)> {
        let s = self.state.read();
        if let Some(u) = &s.upper {
            return Ok((0, u.clone()));
        }
        s.lowers.first().map(|(layer, i)| (layer + 1, i.clone())).ok_or(Errno::EIO)
    }

    pub(crate) fn is_opaque_upper(&self, dir: &Arc<dyn Inode>) -> KResult<bool> {
        let ino = dir.metadata()?.ino;
        Ok(self.shared.opaque.lock().contains(&ino) || is_opaque_lower(dir)?)
    }

    /// Which layers hold `name` in this directory (uncached); `None`: no such name.
    pub(crate) fn resolve(&self, name: &str) -> KResult<Option<State>> {
        let State { upper, lowers } = self.snapshot();
        let mut found = State::default();
        let mut search_lowers = true;
        if let Some(u) = upper {
            match u.lookup(name) {
                Ok(c) => {
                    if is_whiteout(&c)? {
                        return Ok(None);
                    }
                    if c.kind()? != FileKind::Directory || self.is_opaque_upper(&c)? {
                        search_lowers = false;
                    }
                    found.upper = Some(c);
                }
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
        if search_lowers {
            for (i, (layer, dir)) in lowers.iter().enumerate() {
                let c = match dir.lookup(name) {
                    Ok(c) => c,
                    Err(Errno::ENOENT) => continue,
                    Err(e) => return Err(e),
                };
                if is_whiteout(&c)? {
                    break;
                }
                let is_dir = c.kind()? == FileKind::Directory;
                let above = found.upper.is_some() || !found.lowers.is_empty();
                if above && !is_dir {
                    break; // a non-directory under a directory is hidden
                }
                found.lowers.push((*layer, c.clone()));
                if !is_dir || (i + 1 < lowers.len() && is_opaque_lower(&c)?) {
                    break;
                }
            }
        }
        Ok((found.upper.is_some() || !found.lowers.is_empty()).then_some(found))
    }

    /// The lower entry that `name` would show in this directory if the upper layer did not
    /// have it: `None` when no lower layer provides it (absent or whited out below).
    pub(crate) fn lower_provides(&self, name: &str, lowers: &[(usize, Arc<dyn Inode>)]) -> KResult<Option<(usize, Arc<dyn Inode>)>> {
        for (layer, dir) in lowers {
            match dir.lookup(name) {
                Ok(c) if is_whiteout(&c)? => return Ok(None),
                Ok(c) => return Ok(Some((*layer, c))),
                Err(Errno::ENOENT) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// The child `name` (the live object if there is one).
    pub(crate) fn child(&self, name: &str) -> KResult<Arc<OvlInode>> {
        if self.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        if let Some(c) = self.children.lock().get(name).and_then(Weak::upgrade) {
            return Ok(c);
        }
        let state = self.resolve(name)?.ok_or(Errno::ENOENT)?;
        let top = state.upper.clone().or_else(|| state.lowers.first().map(|(_, i)| i.clone())).ok_or(Errno::EIO)?;
        let node = Self::make(self.shared.clone(), top.kind()?, Link { parent: Some(self.this()?), name: String::from(name) }, state);
        self.remember(name, &node);
        Ok(node)
    }

    /// Caches `node` as child `name`.
    pub(crate) fn remember(&self, name: &str, node: &Arc<OvlInode>) {
        let mut cache = self.children.lock();
        if cache.len() >= 64 && cache.len().is_power_of_two() {
            cache.retain(|_, w| w.strong_count() > 0);
        }
        cache.insert(String::from(name), Arc::downgrade(node));
    }

    /// Forgets child `name` if it is `node`.
    pub(crate) fn forget(&self, name: &str, node: &Arc<OvlInode>) {
        let mut cache = self.children.lock();
        if cache.get(name).is_some_and(|w| core::ptr::eq(w.as_ptr(), Arc::as_ptr(node))) {
            cache.remove(name);
        }
    }

    pub(crate) fn parent_and_name(&self) -> (Option<Arc<OvlInode>>, String) {
        let l = self.link.read();
        (l.parent.clone(), l.name.clone())
    }
}

impl Inode for OvlInode {
    fn metadata(&self) -> KResult<Metadata> {
        let (tag, real) = self.real()?;
        let mut m = real.metadata()?;
        m.ino = tag_ino(tag, m.ino);
        if self.kind == FileKind::Directory {
            let s = self.state.read();
            if s.lowers.len() + usize::from(s.upper.is_some()) > 1 {
                m.nlink = 1; // as overlayfs for merged directories
            }
        }
        Ok(m)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.shared.fs.upgrade().map(|fs| fs as Arc<dyn FileSystem>)
    }

    fn kind(&self) -> KResult<FileKind> {
        Ok(self.kind)
    }

    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        Ok(self.child(name)?)
    }

    fn create(&self, name: &str, node: &NewNode) -> KResult<Arc<dyn Inode>> {
        Ok(self.make_child(name, node.kind, |dir| dir.create(name, node))?)
    }

    fn symlink(&self, name: &str, target: &str, uid: u32, gid: u32) -> KResult<Arc<dyn Inode>> {
        Ok(self.make_child(name, FileKind::Symlink, |dir| dir.symlink(name, target, uid, gid))?)
    }

    fn link(&self, name: &str, target: &Arc<dyn Inode>) -> KResult<()> {
        self.link_to(name, target)
    }

    fn unlink(&self, name: &str) -> KResult<()> {
        self.remove(name, false)
    }

    fn rmdir(&self, name: &str) -> KResult<()> {
        self.remove(name, true)
    }

    fn rename(&self, old_name: &str, new_dir: &Arc<dyn Inode>, new_name: &str) -> KResult<()> {
        self.rename_to(old_name, new_dir, new_name)
    }

    fn readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        self.merged_readdir(cookie)
    }

    fn readlink(&self) -> KResult<String> {
        self.real()?.1.readlink()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        self.real()?.1.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> KResult<usize> {
        if self.kind != FileKind::Regular {
            return self.real()?.1.write_at(offset, data);
        }
        self.copy_up(None)?.write_at(offset, data)
    }

    fn truncate(&self, len: u64) -> KResult<()> {
        if self.kind != FileKind::Regular {
            return self.real()?.1.truncate(len);
        }
        self.copy_up(Some(len))?.truncate(len)
    }

    fn content_id(&self) -> Option<u64> {
        self.real().ok()?.1.content_id()
    }

    fn open_for_write(&self, truncating: bool) -> KResult<()> {
        if self.kind == FileKind::Regular {
            self.copy_up(truncating.then_some(0))?;
        }
        Ok(())
    }

    fn getxattr(&self, name: &str) -> KResult<Vec<u8>> {
        if name.starts_with("trusted.overlay.") {
            return Err(Errno::ENODATA);
        }
        self.real()?.1.getxattr(name)
    }

    fn listxattr(&self) -> KResult<Vec<String>> {
        let mut names = self.real()?.1.listxattr()?;
        names.retain(|n| !n.starts_with("trusted.overlay."));
        Ok(names)
    }

    fn set_attr(&self, attr: &SetAttr) -> KResult<()> {
        self.copy_up(None)?.set_attr(attr)
    }

    fn device(&self) -> Option<Arc<dyn CharDevice>> {
        self.real().ok()?.1.device()
    }
}
