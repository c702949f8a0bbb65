//! Path resolution (Linux's `link_path_walk`): components left to right,
//! `.` and `..`, mount crossing both ways, symlinks (at most
//! [`SYMLINK_MAX`] per resolution), and, given credentials, search
//! permission on every directory walked through.

use alloc::string::String;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use super::Vfs;
use crate::access::{check_access, Access, Cap, Cred};
use crate::location::Location;
use crate::path::{check_name_len, parse, LastComponent};
use crate::types::{FileKind, SYMLINK_MAX};

/// The directory a path's last component lives in, and that component.
#[derive(Clone, Debug)]
pub struct ParentPath {
    pub dir: Location,
    pub last: LastComponent,
    /// The path ended in `/`.
    pub trailing_slash: bool,
}

/// One resolution's state: who asks, and how many symlinks may still be
/// followed.
pub(crate) struct Walker<'a> {
    vfs: &'a Vfs,
    cred: Option<&'a Cred>,
    links_left: u32,
}

impl Vfs {
    /// Resolves `path` from `cwd` (absolute paths from this namespace's
    /// root). A final symlink is followed if `follow_last_symlink` or the
    /// path ends in `/` (which also requires a directory: `ENOTDIR`). No
    /// permission checks: see [`Vfs::resolve_as`].
    pub fn resolve(&self, cwd: &Location, path: &str, follow_last_symlink: bool) -> KResult<Location> {
        Walker::new(self, None).resolve(cwd, path, follow_last_symlink)
    }

    /// [`Vfs::resolve`] with search (`x`) permission checked on every
    /// directory walked through (`EACCES`).
    pub fn resolve_as(&self, cred: &Cred, cwd: &Location, path: &str, follow_last_symlink: bool) -> KResult<Location> {
        Walker::new(self, Some(cred)).resolve(cwd, path, follow_last_symlink)
    }

    /// The directory holding `path`'s last component, and that component as
    /// written: `.`, `..`, or `/` when the path is the root itself (callers
    /// map those to their own errno). See [`Vfs::resolve_parent_full`] for
    /// the trailing-slash flag too.
    pub fn resolve_parent(&self, cwd: &Location, path: &str) -> KResult<(Location, String)> {
        let parent = Walker::new(self, None).parent(cwd, path)?;
        let name = String::from(parent.last.as_str());
        Ok((parent.dir, name))
    }

    /// The parent directory, typed last component and trailing-slash flag of
    /// `path`, checking search permission when `cred` is given.
    pub fn resolve_parent_full(&self, cred: Option<&Cred>, cwd: &Location, path: &str) -> KResult<ParentPath> {
        Walker::new(self, cred).parent(cwd, path)
    }
}

impl<'a> Walker<'a> {
    pub fn new(vfs: &'a Vfs, cred: Option<&'a Cred>) -> Walker<'a> {
        Walker { vfs, cred, links_left: SYMLINK_MAX }
    }

    pub fn resolve(&mut self, cwd: &Location, path: &str, follow_last: bool) -> KResult<Location> {
        let parsed = parse(path)?;
        let start = self.start(cwd, parsed.absolute)?;
        let components = parsed.components.iter().map(|c| String::from(*c)).collect();
        self.walk(start, components, follow_last, parsed.trailing_slash)
    }

    pub fn parent(&mut self, cwd: &Location, path: &str) -> KResult<ParentPath> {
        let parsed = parse(path)?;
        let start = self.start(cwd, parsed.absolute)?;
        let last = LastComponent::of(&parsed);
        let prefix_len = parsed.components.len().saturating_sub(1);
        let prefix = parsed.components.iter().take(prefix_len).map(|c| String::from(*c)).collect();
        let dir = self.walk(start, prefix, true, true)?;
        if last != LastComponent::Root {
            self.enter(&dir)?;
        }
        Ok(ParentPath { dir, last, trailing_slash: parsed.trailing_slash })
    }

    /// Counts one symlink traversal: `ELOOP` past the limit.
    pub fn take_link(&mut self) -> KResult<()> {
        self.links_left = self.links_left.checked_sub(1).ok_or(Errno::ELOOP)?;
        Ok(())
    }

    fn start(&self, cwd: &Location, absolute: bool) -> KResult<Location> {
        self.vfs.check_namespace(cwd)?;
        Ok(if absolute { self.vfs.root() } else { cwd.clone() })
    }

    /// Checks that a component may be looked up in `dir`: it is a directory
    /// (`ENOTDIR`) the caller may search (`EACCES`).
    fn enter(&self, dir: &Location) -> KResult<()> {
        match self.cred {
            // Either capability grants search on every directory.
            Some(cred) if !cred.capable(Cap::DAC_READ_SEARCH) && !cred.capable(Cap::DAC_OVERRIDE) => {
                let meta = dir.metadata()?;
                if !meta.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                check_access(&meta, cred, Access::EXEC)
            }
            _ => match dir.kind()? {
                FileKind::Directory => Ok(()),
                _ => Err(Errno::ENOTDIR),
            },
        }
    }

    /// Walks `components` (in order) from `start`. `must_dir`: the result must
    /// be a directory, and a final symlink is followed regardless.
    fn walk(
        &mut self,
        start: Location,
        components: Vec<String>,
        follow_last: bool,
        mut must_dir: bool,
    ) -> KResult<Location> {
        let mut pending: Vec<String> = components;
        pending.reverse();
        let mut here = start;
        while let Some(name) = pending.pop() {
            self.enter(&here)?;
            match name.as_str() {
                "." => {}
                ".." => here = self.vfs.dotdot(&here),
                _ => {
                    check_name_len(&name)?;
                    let child = here.dentry.lookup(&name)?;
                    let child = self.vfs.cross_mounts(Location::new(here.mount.clone(), child));
                    let is_last = pending.is_empty();
                    let follow = !is_last || follow_last || must_dir;
                    if follow && child.kind()? == FileKind::Symlink {
                        self.take_link()?;
                        let target = child.inode().readlink()?;
                        let parsed = parse(&target)?;
                        if is_last && parsed.trailing_slash {
                            must_dir = true;
                        }
                        if parsed.absolute {
                            here = self.vfs.root();
                        }
                        pending.extend(parsed.components.iter().rev().map(|c| String::from(*c)));
                        continue;
                    }
                    here = child;
                }
            }
        }
        if must_dir && here.kind()? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(here)
    }
}
