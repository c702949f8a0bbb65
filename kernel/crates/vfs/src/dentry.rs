//! Dentries: the VFS's tree of names over one mount's inodes. A dentry knows
//! its parent and name, so `..` and absolute paths (getcwd) need nothing from
//! the filesystem, and a rename done through the VFS moves the dentry, so
//! every [`crate::Location`] below it sees the new path.
//!
//! Children are cached weakly: a dentry lives as long as some location (or a
//! mount, or a child dentry) holds it. Each lookup asks the filesystem first,
//! and reuses the cached dentry only if it still names the same inode, so a
//! change made behind the VFS's back (another namespace sharing the
//! filesystem) never makes resolution wrong; it can only leave an old path in
//! a location that was inside a moved directory.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicUsize, Ordering};

use errno::KResult;
use spin::{Mutex, RwLock};

use crate::node::{same_inode, Inode};

pub(crate) struct Dentry {
    inode: Arc<dyn Inode>,
    link: RwLock<Link>,
    children: Mutex<ChildCache>,
    /// How many mounts sit on this dentry.
    mounts: AtomicUsize,
}

struct Link {
    /// `None` only for the root of a mount's tree.
    parent: Option<Arc<Dentry>>,
    name: String,
    /// Removed through the VFS (unlink, rmdir, replaced by rename).
    unlinked: bool,
}

#[derive(Default)]
struct ChildCache {
    map: BTreeMap<String, Weak<Dentry>>,
    /// Size at which dead entries are swept next.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 32;

impl Dentry {
    /// The root of a mount's tree.
    pub fn root(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Self::new(inode, None, String::new())
    }

    fn new(inode: Arc<dyn Inode>, parent: Option<Arc<Dentry>>, name: String) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode,
            link: RwLock::new(Link { parent, name, unlinked: false }),
            children: Mutex::new(ChildCache::default()),
            mounts: AtomicUsize::new(0),
        })
    }

    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.inode
    }

    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.link.read().parent.clone()
    }

    pub fn name(&self) -> String {
        self.link.read().name.clone()
    }

    pub fn is_unlinked(&self) -> bool {
        self.link.read().unlinked
    }

    pub fn is_mountpoint(&self) -> bool {
        self.mounts.load(Ordering::Acquire) != 0
    }

    pub fn mount_added(&self) {
        self.mounts.fetch_add(1, Ordering::AcqRel);
    }

    pub fn mount_removed(&self) {
        self.mounts.fetch_sub(1, Ordering::AcqRel);
    }

    /// The child `name`, asking the filesystem.
    pub fn lookup(self: &Arc<Self>, name: &str) -> KResult<Arc<Dentry>> {
        let inode = self.inode.lookup(name)?;
        Ok(self.child_for(name, inode))
    }

    /// The dentry for `inode` as child `name`: the cached one if it still
    /// names that inode, else a new one.
    pub fn child_for(self: &Arc<Self>, name: &str, inode: Arc<dyn Inode>) -> Arc<Dentry> {
        let mut cache = self.children.lock();
        if let Some(existing) = cache.map.get(name).and_then(Weak::upgrade) {
            if same_inode(&existing.inode, &inode) {
                return existing;
            }
        }
        let child = Self::new(inode, Some(self.clone()), String::from(name));
        cache.map.insert(String::from(name), Arc::downgrade(&child));
        if cache.map.len() >= cache.sweep_at {
            cache.map.retain(|_, weak| weak.strong_count() != 0);
            cache.sweep_at = (cache.map.len() * 2).max(MIN_SWEEP);
        }
        child
    }

    /// Records that child `name` (this dentry) was removed.
    pub fn unlink_from(self: &Arc<Self>, parent: &Dentry, name: &str) {
        parent.forget_child(name, self);
        self.link.write().unlinked = true;
    }

    /// Records a rename: this dentry is now `new_name` in `new_parent`.
    pub fn move_to(self: &Arc<Self>, old_parent: &Dentry, old_name: &str, new_parent: &Arc<Dentry>, new_name: &str) {
        old_parent.forget_child(old_name, self);
        {
            let mut link = self.link.write();
            link.parent = Some(new_parent.clone());
            link.name = String::from(new_name);
        }
        new_parent.children.lock().map.insert(String::from(new_name), Arc::downgrade(self));
    }

    fn forget_child(&self, name: &str, child: &Arc<Dentry>) {
        let mut cache = self.children.lock();
        if cache.map.get(name).is_some_and(|weak| core::ptr::eq(weak.as_ptr(), Arc::as_ptr(child))) {
            cache.map.remove(name);
        }
    }

    /// Whether `self` is `other` or one of its ancestors in this tree.
    pub fn is_ancestor_of(self: &Arc<Self>, other: &Arc<Dentry>) -> bool {
        let mut current = Some(other.clone());
        while let Some(dentry) = current {
            if Arc::ptr_eq(self, &dentry) {
                return true;
            }
            current = dentry.parent();
        }
        false
    }
}

impl Drop for Dentry {
    /// Releases the parent chain iteratively: a deep chain must not recurse.
    fn drop(&mut self) {
        let mut parent = self.link.get_mut().parent.take();
        while let Some(dentry) = parent {
            parent = match Arc::into_inner(dentry) {
                Some(mut owned) => owned.link.get_mut().parent.take(),
                None => None,
            };
        }
    }
}
