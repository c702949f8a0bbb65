//! Extended attributes (the getxattr, setxattr, listxattr and removexattr
//! families): no Cyrius filesystem stores any, so these answer as Linux
//! does for a filesystem without xattr support (vfat): the file and the
//! name are checked, then get/set/remove fail with EOPNOTSUPP and list
//! returns an empty list. Tools (coreutils' `ls -l`, libselinux, libacl)
//! take EOPNOTSUPP as "no ACL / no label"; ENOSYS they report as errors.
//! May call: `fs.rs` path helpers.

use errno::Errno;
use linux_abi::flags::{AtFlags, XATTR_CREATE, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX};
use linux_abi::{DirFd, Fd, UserCStr, UserPtr};
use vfs::Location;

use super::fs::{at_location, fd_location, user_path};
use super::SysResult;
use crate::task::Task;

/// Which file a call of a family names by its first argument: a path
/// (`setxattr`), a path whose final symlink is not followed (`lsetxattr`),
/// or a descriptor (`fsetxattr`).
#[derive(Clone, Copy)]
enum On {
    Path(UserCStr),
    LinkPath(UserCStr),
    Fd(Fd),
}

/// Checks that the file `on` names exists (ENOENT, EBADF, EFAULT ... as Linux).
fn locate(p: &Task, on: On) -> Result<Location, Errno> {
    match on {
        On::Fd(fd) => fd_location(p, fd),
        On::Path(path) => at_location(p, DirFd::Cwd, &user_path(p, path)?, AtFlags::empty()),
        On::LinkPath(path) => at_location(p, DirFd::Cwd, &user_path(p, path)?, AtFlags::AT_SYMLINK_NOFOLLOW),
    }
}

/// The attribute name: ERANGE if empty or longer than XATTR_NAME_MAX, as Linux.
fn check_name(p: &Task, name: UserCStr) -> Result<(), Errno> {
    match p.space.read_cstr_bytes(name, XATTR_NAME_MAX) {
        Ok(name) if name.is_empty() => Err(Errno::ERANGE),
        Ok(_) => Ok(()),
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        Err(e) => Err(e),
    }
}

/// setxattr(file, name, value, size, flags)
fn set(p: &Task, on: On, name: UserCStr, size: usize, flags: i32) -> SysResult {
    locate(p, on)?;
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    check_name(p, name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    Err(Errno::EOPNOTSUPP)
}

/// getxattr(file, name, value, size) and removexattr(file, name).
fn get(p: &Task, on: On, name: UserCStr) -> SysResult {
    locate(p, on)?;
    check_name(p, name)?;
    Err(Errno::EOPNOTSUPP)
}

/// listxattr(file, list, size): no attributes, an empty list.
fn list(p: &Task, on: On) -> SysResult {
    locate(p, on)?;
    Ok(0)
}

pub fn setxattr(p: &mut Task, path: UserCStr, name: UserCStr, _value: UserPtr<u8>, size: usize, flags: i32) -> SysResult {
    set(p, On::Path(path), name, size, flags)
}

pub fn lsetxattr(p: &mut Task, path: UserCStr, name: UserCStr, _value: UserPtr<u8>, size: usize, flags: i32) -> SysResult {
    set(p, On::LinkPath(path), name, size, flags)
}

pub fn fsetxattr(p: &mut Task, fd: Fd, name: UserCStr, _value: UserPtr<u8>, size: usize, flags: i32) -> SysResult {
    set(p, On::Fd(fd), name, size, flags)
}

pub fn getxattr(p: &mut Task, path: UserCStr, name: UserCStr) -> SysResult {
    get(p, On::Path(path), name)
}

pub fn lgetxattr(p: &mut Task, path: UserCStr, name: UserCStr) -> SysResult {
    get(p, On::LinkPath(path), name)
}

pub fn fgetxattr(p: &mut Task, fd: Fd, name: UserCStr) -> SysResult {
    get(p, On::Fd(fd), name)
}

pub fn listxattr(p: &mut Task, path: UserCStr) -> SysResult {
    list(p, On::Path(path))
}

pub fn llistxattr(p: &mut Task, path: UserCStr) -> SysResult {
    list(p, On::LinkPath(path))
}

pub fn flistxattr(p: &mut Task, fd: Fd) -> SysResult {
    list(p, On::Fd(fd))
}

pub fn removexattr(p: &mut Task, path: UserCStr, name: UserCStr) -> SysResult {
    get(p, On::Path(path), name)
}

pub fn lremovexattr(p: &mut Task, path: UserCStr, name: UserCStr) -> SysResult {
    get(p, On::LinkPath(path), name)
}

pub fn fremovexattr(p: &mut Task, fd: Fd, name: UserCStr) -> SysResult {
    get(p, On::Fd(fd), name)
}
