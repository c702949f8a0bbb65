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

/// Which file a call of a family names by its first argument: a path
/// (`setxattr`), a path whose final symlink is not followed (`lsetxattr`),
/// or a descriptor (`fsetxattr`).
#[derive(Clone, Copy)]
pub enum On {
    Path,
    LinkPath,
    Fd,
}

/// Checks that the file `arg` names exists (ENOENT, EBADF, EFAULT ... as Linux).
fn locate(p: &Task, on: On, arg: u64) -> Result<Location, Errno> {
    match on {
        On::Fd => fd_location(p, arg),
        On::Path | On::LinkPath => {
            let path = user_path(p, arg)?;
            at_location(p, AT_FDCWD, &path, if matches!(on, On::LinkPath) { AT_SYMLINK_NOFOLLOW } else { 0 })
        }
    }
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

/// setxattr(file, name, value, size, flags)
pub fn setxattr(p: &mut Task, a: [u64; 6], on: On) -> SysResult {
    locate(p, on, a[0])?;
    set(p, a[1], a[3], a[4])
}

/// getxattr(file, name, value, size)
pub fn getxattr(p: &mut Task, a: [u64; 6], on: On) -> SysResult {
    locate(p, on, a[0])?;
    get(p, a[1])
}

/// listxattr(file, list, size): no attributes, an empty list.
pub fn listxattr(p: &mut Task, a: [u64; 6], on: On) -> SysResult {
    locate(p, on, a[0])?;
    Ok(0)
}

/// removexattr(file, name)
pub fn removexattr(p: &mut Task, a: [u64; 6], on: On) -> SysResult {
    locate(p, on, a[0])?;
    get(p, a[1])
}
