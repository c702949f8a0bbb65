//! Mount-namespace calls: chroot, mount, umount2, pivot_root.
//!
//! Each needs a capability (`CAP_SYS_CHROOT`, `CAP_SYS_ADMIN`), checked
//! where Linux checks it (chroot after resolving the path, umount2 and
//! pivot_root before). Mounts change the caller's own mount namespace (its
//! container's, shared by the container's processes), never another's.
//! mount(2) makes tmpfs and proc filesystems, bind mounts (`MS_REC` binds
//! only the top mount), per-mount flag changes (`MS_REMOUNT`), and accepts
//! `MS_PRIVATE`/`MS_SLAVE` (every mount here is private); other filesystem
//! types are `ENODEV` (no such filesystem in this kernel); `MS_MOVE`,
//! `MS_SHARED`, `MS_UNBINDABLE` and pivot_root with the capability are
//! `ENOSYS`, logged once, as is umount2's `MNT_EXPIRE`.
//! May call: `task`, `fs`, `container` (tmpfs options).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use creds::Cap;
use errno::Errno;
use linux_abi::flags::{
    MNT_DETACH, MNT_EXPIRE, MNT_FORCE, MS_BIND, MS_MGC_MSK, MS_MGC_VAL, MS_MOVE, MS_NODEV, MS_NOEXEC, MS_NOSUID,
    MS_NOUSER, MS_PRIVATE, MS_RDONLY, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_UNBINDABLE, UMOUNT_NOFOLLOW,
};
use linux_abi::UserCStr;
use vfs::{Access, FileKind, MountFlags, MountOptions};

use super::fs::user_path;
use super::SysResult;
use crate::task::Task;

/// chroot(path): the calling thread's `/` becomes `path` (its cwd stays).
pub fn chroot(p: &mut Task, path: UserCStr) -> SysResult {
    let path = user_path(p, path)?;
    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, &path, true)?;
    let meta = loc.metadata()?;
    if meta.kind != FileKind::Directory {
        return Err(Errno::ENOTDIR);
    }
    vfs::check_access(&meta, &p.cred, Access::EXEC)?;
    if !p.cred.capable(Cap::SYS_CHROOT) {
        return Err(Errno::EPERM);
    }
    p.vfs = Arc::new(p.vfs.chroot(&loc)?);
    Ok(0)
}

/// A NUL-terminated user string of at most `max` bytes, or `None` for a
/// NULL pointer.
fn optional_string(p: &Task, s: UserCStr, max: usize) -> Result<Option<String>, Errno> {
    if s.is_null() {
        return Ok(None);
    }
    p.space.read_cstr(s, max).map(Some)
}

fn flags_of(bits: u64) -> MountFlags {
    MountFlags {
        read_only: bits & MS_RDONLY != 0,
        nosuid: bits & MS_NOSUID != 0,
        nodev: bits & MS_NODEV != 0,
        noexec: bits & MS_NOEXEC != 0,
    }
}

/// mount(source, target, fstype, flags, data).
pub fn mount(p: &mut Task, source: UserCStr, target: UserCStr, fstype: UserCStr, flags: u64, data: UserCStr) -> SysResult {
    let source = optional_string(p, source, vfs::PATH_MAX - 1)?;
    let target = user_path(p, target)?;
    let fstype = optional_string(p, fstype, 4095)?;
    let mut flags = flags;
    let data = optional_string(p, data, 4095)?.unwrap_or_default();
    let at = p.vfs.resolve_as(&p.cred, &p.cwd, &target, true)?;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & MS_NOUSER != 0 {
        return Err(Errno::EINVAL);
    }
    if !p.cred.capable(Cap::SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    if flags & MS_REMOUNT != 0 {
        p.vfs.remount(&at, flags_of(flags))?;
        return Ok(0);
    }
    if flags & MS_BIND != 0 {
        let from = source.ok_or(Errno::EFAULT)?;
        let from = p.vfs.resolve_as(&p.cred, &p.cwd, &from, true)?;
        let mut options = MountOptions::new(&p.vfs.path_of(&from));
        options.flags = flags_of(flags);
        p.vfs.bind(&from, &at, options)?;
        return Ok(0);
    }
    if flags & (MS_SHARED | MS_UNBINDABLE) != 0 {
        return Err(super::unimplemented_op("mount (propagation)", flags & (MS_SHARED | MS_UNBINDABLE)));
    }
    if flags & (MS_PRIVATE | MS_SLAVE) != 0 {
        // Every mount is private already (no propagation between mounts).
        return Ok(0);
    }
    if flags & MS_MOVE != 0 {
        return Err(super::unimplemented_op("mount", MS_MOVE));
    }
    let fstype = fstype.ok_or(Errno::EINVAL)?;
    let words: Vec<String> = data.split(',').filter(|w| !w.is_empty()).map(String::from).collect();
    let source = source.unwrap_or_else(|| fstype.clone());
    match fstype.as_str() {
        "tmpfs" => {
            let (fs_options, mut options) =
                crate::container::namespace::tmpfs_mount_options(&source, &words).map_err(|_| Errno::EINVAL)?;
            options.flags = flags_of(flags);
            let fs = vfs::TmpFs::new(Arc::new(crate::fs::KernelClock), fs_options);
            p.vfs.mount_at(&at, fs, options)?;
        }
        "proc" => {
            let fs = crate::task::procfs::filesystem(&p.vfs, &p.proc.ns);
            let mut options = MountOptions::new(&source);
            options.flags = flags_of(flags);
            p.vfs.mount_at(&at, fs, options)?;
        }
        _ => return Err(Errno::ENODEV),
    }
    Ok(0)
}

/// umount2(target, flags): `EPERM` without `CAP_SYS_ADMIN`, before the
/// target is looked at (as Linux).
pub fn umount2(p: &mut Task, target: UserCStr, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    if !p.cred.capable(Cap::SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    if flags & MNT_EXPIRE != 0 {
        if flags & (MNT_FORCE | MNT_DETACH) != 0 {
            return Err(Errno::EINVAL);
        }
        return Err(super::unimplemented_op("umount2", u64::from(MNT_EXPIRE)));
    }
    let path = user_path(p, target)?;
    let target = p.vfs.resolve_as(&p.cred, &p.cwd, &path, flags & UMOUNT_NOFOLLOW == 0)?;
    p.vfs.umount_at(target, flags & MNT_DETACH != 0)?;
    Ok(0)
}

/// pivot_root(new_root, put_old): `EPERM` without `CAP_SYS_ADMIN`; not
/// offered with it (`ENOSYS`).
pub fn pivot_root(p: &mut Task, _new_root: UserCStr, _put_old: UserCStr) -> SysResult {
    if !p.cred.capable(Cap::SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    Err(super::unimplemented_op("pivot_root", 0))
}
