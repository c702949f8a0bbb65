//! An in-memory [`LayerTarget`], for tests and host tools: a map from absolute path to inode.
//!
//! It never follows symlinks (a symlink parent gives `ENOTDIR`), which makes it a strict
//! model of the confinement the kernel's target must provide.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::apply::{LayerTarget, Meta, NodeType, Special};
use crate::path::split;

/// What an inode holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    File(Vec<u8>),
    Dir,
    Symlink(String),
    Special(Special),
}

/// One inode; hard links share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub content: Content,
    pub meta: Meta,
}

/// What [`MemFs::stat`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ino: usize,
    pub kind: NodeType,
    pub meta: Meta,
    /// Number of paths naming the inode.
    pub nlink: usize,
    pub size: usize,
}

/// A filesystem tree in memory. Inode numbers are never reused.
#[derive(Debug, Clone)]
pub struct MemFs {
    names: BTreeMap<String, usize>,
    inodes: Vec<Inode>,
}

const ROOT_META: Meta = Meta { mode: 0o755, uid: 0, gid: 0, mtime: 0 };

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty tree holding only `/`.
    pub fn new() -> Self {
        let mut fs = MemFs { names: BTreeMap::new(), inodes: Vec::new() };
        fs.insert("/", Inode { content: Content::Dir, meta: ROOT_META });
        fs
    }

    /// Metadata of `path` (no symlink following).
    pub fn stat(&self, path: &str) -> Option<Stat> {
        let ino = *self.names.get(path)?;
        let inode = self.inodes.get(ino)?;
        Some(Stat {
            ino,
            kind: kind_of(&inode.content),
            meta: inode.meta,
            nlink: self.names.values().filter(|&&i| i == ino).count(),
            size: match &inode.content {
                Content::File(data) => data.len(),
                Content::Symlink(t) => t.len(),
                _ => 0,
            },
        })
    }

    /// The contents of regular file `path`.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match &self.inode(path)?.content {
            Content::File(data) => Some(data),
            _ => None,
        }
    }

    /// The target of symlink `path`.
    pub fn readlink(&self, path: &str) -> Option<&str> {
        match &self.inode(path)?.content {
            Content::Symlink(target) => Some(target),
            _ => None,
        }
    }

    /// The inode at `path`.
    pub fn inode(&self, path: &str) -> Option<&Inode> {
        self.inodes.get(*self.names.get(path)?)
    }

    /// Every path, in sorted order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    fn insert(&mut self, path: &str, inode: Inode) {
        self.inodes.push(inode);
        self.names.insert(String::from(path), self.inodes.len() - 1);
    }

    /// Checks that `path` is absent and its parent is a directory.
    fn check_new(&self, path: &str) -> KResult<()> {
        if self.names.contains_key(path) {
            return Err(Errno::EEXIST);
        }
        let (parent, name) = split(path);
        if name.is_empty() {
            return Err(Errno::EEXIST);
        }
        match self.inode(parent).map(|i| &i.content) {
            Some(Content::Dir) => Ok(()),
            Some(_) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn create(&mut self, path: &str, content: Content, meta: &Meta) -> KResult<()> {
        self.check_new(path)?;
        self.insert(path, Inode { content, meta: *meta });
        Ok(())
    }

    /// Names strictly below directory `path`.
    fn descendants(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" { String::from("/") } else { alloc::format!("{path}/") };
        self.names.range(prefix.clone()..).map(|(k, _)| k).take_while(|k| k.starts_with(&prefix))
            .filter(|k| k.as_str() != path)
            .cloned()
            .collect()
    }
}

fn kind_of(content: &Content) -> NodeType {
    match content {
        Content::File(_) => NodeType::File,
        Content::Dir => NodeType::Dir,
        Content::Symlink(_) => NodeType::Symlink,
        Content::Special(Special::CharDevice { .. }) => NodeType::CharDevice,
        Content::Special(Special::BlockDevice { .. }) => NodeType::BlockDevice,
        Content::Special(Special::Fifo) => NodeType::Fifo,
    }
}

impl LayerTarget for MemFs {
    fn lookup(&self, path: &str) -> KResult<Option<NodeType>> {
        Ok(self.inode(path).map(|i| kind_of(&i.content)))
    }

    fn mkdir_all(&mut self, path: &str) -> KResult<()> {
        match self.inode(path).map(|i| &i.content) {
            Some(Content::Dir) => return Ok(()),
            Some(_) => return Err(Errno::ENOTDIR),
            None => {}
        }
        let (parent, _) = split(path);
        self.mkdir_all(parent)?;
        self.mkdir(path, &ROOT_META)
    }

    fn mkdir(&mut self, path: &str, meta: &Meta) -> KResult<()> {
        self.create(path, Content::Dir, meta)
    }

    fn write_file(&mut self, path: &str, meta: &Meta, data: &[u8]) -> KResult<()> {
        self.create(path, Content::File(Vec::from(data)), meta)
    }

    fn symlink(&mut self, path: &str, target: &str, meta: &Meta) -> KResult<()> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        self.create(path, Content::Symlink(String::from(target)), meta)
    }

    fn hard_link(&mut self, path: &str, existing: &str) -> KResult<()> {
        let ino = *self.names.get(existing).ok_or(Errno::ENOENT)?;
        if self.inodes.get(ino).map(|i| &i.content) == Some(&Content::Dir) {
            return Err(Errno::EPERM);
        }
        self.check_new(path)?;
        self.names.insert(String::from(path), ino);
        Ok(())
    }

    fn mknod(&mut self, path: &str, node: Special, meta: &Meta) -> KResult<()> {
        self.create(path, Content::Special(node), meta)
    }

    fn remove_all(&mut self, path: &str) -> KResult<()> {
        if path == "/" {
            return Err(Errno::EBUSY);
        }
        for child in self.descendants(path) {
            self.names.remove(&child);
        }
        self.names.remove(path);
        Ok(())
    }

    fn list_dir(&self, path: &str) -> KResult<Vec<String>> {
        match self.inode(path).map(|i| &i.content) {
            Some(Content::Dir) => {}
            Some(_) => return Err(Errno::ENOTDIR),
            None => return Err(Errno::ENOENT),
        }
        Ok(self
            .descendants(path)
            .into_iter()
            .filter_map(|p| {
                let (parent, name) = split(&p);
                (parent == path).then(|| String::from(name))
            })
            .collect())
    }

    fn set_meta(&mut self, path: &str, meta: &Meta) -> KResult<()> {
        let ino = *self.names.get(path).ok_or(Errno::ENOENT)?;
        let inode = self.inodes.get_mut(ino).ok_or(Errno::ENOENT)?;
        inode.meta = *meta;
        Ok(())
    }
}
