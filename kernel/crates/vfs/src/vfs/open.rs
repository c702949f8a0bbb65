//! `open(2)` path handling: `O_CREAT` (following dangling symlinks to create
//! their target), `O_EXCL`, `O_NOFOLLOW`, `O_DIRECTORY`, `O_TRUNC`,
//! `O_PATH`, and the access checks of Linux's `may_open`. The kernel wraps
//! the returned [`Location`] in an open file description.

use alloc::string::String;

use errno::{Errno, KResult};

use super::walk::Walker;
use super::{new_owner, Vfs};
use crate::access::{check_access, Access, Cred};
use crate::location::Location;
use crate::path::{check_name_len, parse, LastComponent};
use crate::types::{DevId, FileKind, PERM_MASK};

/// The path-relevant part of `open(2)` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    pub read: bool,
    pub write: bool,
    pub create: bool,
    pub exclusive: bool,
    pub truncate: bool,
    pub directory: bool,
    pub nofollow: bool,
    /// `O_PATH`: only locate; no access checks, other flags but
    /// `directory` and `nofollow` ignored.
    pub path_only: bool,
}

const O_WRONLY: u32 = 0o1;
const O_RDWR: u32 = 0o2;
const O_ACCMODE: u32 = 0o3;
const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;
const O_TRUNC: u32 = 0o1000;
const O_DIRECTORY: u32 = 0o200000;
const O_NOFOLLOW: u32 = 0o400000;
const O_PATH: u32 = 0o10000000;

impl OpenFlags {
    /// From the x86_64 Linux `O_*` bits (others are ignored here).
    pub fn from_linux(flags: u32) -> OpenFlags {
        let mode = flags & O_ACCMODE;
        let has = |bit: u32| flags & bit != 0;
        OpenFlags {
            // Access mode 3 asks for read and write permission, like O_RDWR.
            read: mode != O_WRONLY,
            write: mode == O_WRONLY || mode == O_RDWR || mode == O_ACCMODE,
            create: has(O_CREAT),
            exclusive: has(O_EXCL),
            truncate: has(O_TRUNC),
            directory: has(O_DIRECTORY),
            nofollow: has(O_NOFOLLOW),
            path_only: has(O_PATH),
        }
    }

    /// `O_RDONLY`.
    pub fn read_only() -> OpenFlags {
        OpenFlags { read: true, ..OpenFlags::default() }
    }
}

impl Vfs {
    /// Resolves `path` for `open(2)`, creating a regular file with `perm`
    /// (umask already applied) under `O_CREAT`, checking access, and
    /// truncating under `O_TRUNC`.
    pub fn open(&self, cred: &Cred, cwd: &Location, path: &str, flags: OpenFlags, perm: u32) -> KResult<Location> {
        let mut walker = Walker::new(self, Some(cred));
        if !flags.create || flags.path_only {
            let loc = walker.resolve(cwd, path, !flags.nofollow)?;
            return finish_open(cred, loc, flags, false);
        }
        let mut base = cwd.clone();
        let mut path = String::from(path);
        loop {
            let parent = walker.parent(&base, &path)?;
            let LastComponent::Name(name) = &parent.last else { return Err(Errno::EISDIR) };
            if parent.trailing_slash {
                return Err(Errno::EISDIR);
            }
            check_name_len(name)?;
            match parent.dir.dentry.lookup(name) {
                Ok(child) => {
                    if flags.exclusive {
                        return Err(Errno::EEXIST);
                    }
                    let loc = self.cross_mounts(Location::new(parent.dir.mount.clone(), child));
                    match loc.kind()? {
                        FileKind::Symlink if flags.nofollow => return Err(Errno::ELOOP),
                        FileKind::Symlink => {
                            walker.take_link()?;
                            path = loc.inode().readlink()?;
                            parse(&path)?;
                            base = parent.dir;
                        }
                        FileKind::Directory => return Err(Errno::EISDIR),
                        _ => return finish_open(cred, loc, flags, false),
                    }
                }
                Err(Errno::ENOENT) => {
                    parent.dir.check_writable()?;
                    let dir_meta = parent.dir.metadata()?;
                    check_access(&dir_meta, cred, Access::WRITE | Access::EXEC)?;
                    let owner = new_owner(&dir_meta, cred, FileKind::Regular, perm & PERM_MASK);
                    let inode = parent.dir.inode().create(name, &owner.node(FileKind::Regular, DevId::NONE))?;
                    let loc = Location::new(parent.dir.mount.clone(), parent.dir.dentry.child_for(name, inode));
                    return finish_open(cred, loc, flags, true);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Linux's `do_open`/`may_open` checks on the resolved file.
fn finish_open(cred: &Cred, loc: Location, flags: OpenFlags, created: bool) -> KResult<Location> {
    let meta = loc.metadata()?;
    if flags.directory && !meta.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if flags.path_only {
        return Ok(loc);
    }
    let regular = meta.kind == FileKind::Regular;
    match meta.kind {
        FileKind::Symlink => return Err(Errno::ELOOP),
        FileKind::Directory if flags.write => return Err(Errno::EISDIR),
        FileKind::CharDevice | FileKind::BlockDevice if loc.mount_flags().nodev => return Err(Errno::EACCES),
        _ => {}
    }
    let will_truncate = flags.truncate && regular && !created;
    if will_truncate {
        loc.check_writable()?;
    }
    if !created {
        let mut mask = Access::NONE;
        if flags.read {
            mask = mask | Access::READ;
        }
        if flags.write || will_truncate {
            mask = mask | Access::WRITE;
        }
        check_access(&meta, cred, mask)?;
    }
    if flags.write && matches!(meta.kind, FileKind::Regular | FileKind::Directory) {
        loc.check_writable()?;
    }
    // A device node reaches a driver only through its filesystem's device
    // registry; no block devices are offered (chrdev_open/blkdev_open: ENXIO).
    if matches!(meta.kind, FileKind::CharDevice | FileKind::BlockDevice) && loc.inode().device().is_none() {
        return Err(Errno::ENXIO);
    }
    if flags.write && regular && !created {
        loc.inode().open_for_write(will_truncate)?;
    }
    if will_truncate {
        loc.inode().truncate(0)?;
    }
    Ok(loc)
}
