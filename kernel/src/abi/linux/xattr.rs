//! Extended attributes (the getxattr, setxattr, listxattr and removexattr
//! families): no Cyrius filesystem stores any, so these answer as Linux
//! does for a filesystem without xattr support (vfat): the file and the
//! name are checked, then get/set/remove fail with EOPNOTSUPP and list
//! returns an empty list. Tools (coreutils' `ls -l`, libselinux, libacl)
//! take EOPNOTSUPP as "no ACL / no label"; ENOSYS they report as errors.
//! May call: `fs.rs` path helpers.

use errno::Errno;
use vfs::Location;

use super::fs::{at_location, fd_location, user_path, AT_SYMLINK_NOFOLLOW};
use super::{SysResult, AT_FDCWD};
use crate::task::Task;

/// XATTR_NAME_MAX and XATTR_SIZE_MAX.
const NAME_MAX: usize = 255;
const SIZE_MAX: u64 = 65536;
const XATTR_CREATE: u64 = 1;
const XATTR_REPLACE: u64 = 2;

/// The file a path variant names (`follow`: not the l* variant).
fn path_target(p: &Task, path_addr: u64, follow: bool) -> Result<Location, Errno> {
    let path = user_path(p, path_addr)?;
    at_location(p, AT_FDCWD, &path, if follow { 0 } else { AT_SYMLINK_NOFOLLOW })
}

/// The attribute name: ERANGE if empty or longer than NAME_MAX, as Linux.
fn check_name(p: &Task, addr: u64) -> Result<(), Errno> {
    match p.space.copy_in_str(addr, NAME_MAX) {
        Ok(name) if name.is_empty() => Err(Errno::ERANGE),
        Ok(_) => Ok(()),
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        Err(e) => Err(e),
    }
}

fn get(p: &Task, name: u64) -> SysResult {
    check_name(p, name)?;
    Err(Errno::EOPNOTSUPP)
}

fn set(p: &Task, name: u64, size: u64, flags: u64) -> SysResult {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    check_name(p, name)?;
    if size > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    Err(Errno::EOPNOTSUPP)
}

/// setxattr(path, name, value, size, flags)
pub fn setxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], true)?;
    set(p, a[1], a[3], a[4])
}

pub fn lsetxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], false)?;
    set(p, a[1], a[3], a[4])
}

pub fn fsetxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?;
    set(p, a[1], a[3], a[4])
}

/// getxattr(path, name, value, size)
pub fn getxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], true)?;
    get(p, a[1])
}

pub fn lgetxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], false)?;
    get(p, a[1])
}

pub fn fgetxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?;
    get(p, a[1])
}

/// listxattr(path, list, size): no attributes, an empty list.
pub fn listxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], true)?;
    Ok(0)
}

pub fn llistxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], false)?;
    Ok(0)
}

pub fn flistxattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?;
    Ok(0)
}

/// removexattr(path, name)
pub fn removexattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], true)?;
    get(p, a[1])
}

pub fn lremovexattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    path_target(p, a[0], false)?;
    get(p, a[1])
}

pub fn fremovexattr(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?;
    get(p, a[1])
}
