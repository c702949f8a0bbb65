//! Paths and descriptors: open, stat, getdents/getdents64, cwd, dup,
//! access, and the calls that change the tree (mkdir, mknod, link,
//! symlink, unlink, rename). Shared helpers for the other path families
//! (`attr`, `fsinfo`, `xattr`): user paths, `*at` bases, descriptor locations.
//! Paths resolve in the process's namespace through `vfs` (confinement
//! and Linux path rules live there).

use alloc::string::String;
use alloc::vec;
use errno::Errno;
use linux_abi::flags::{AtFlags, OpenFlags, PATH_MAX};
use linux_abi::structs::{self, Stat as LinuxStat};
use linux_abi::{DirFd, Fd, FlagArg, UserCStr, UserPtr};
use vfs::{Access, Location};

use super::SysResult;
use crate::file::inotify;
use crate::file::OpenFile;
use crate::task::Task;

const O_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
const O_PATH: u32 = OpenFlags::O_PATH.bits();
/// Flags that act at open time only (F_GETFL does not report them).
const OPEN_ONLY: u32 = OpenFlags::O_CREAT.bits()
    | OpenFlags::O_EXCL.bits()
    | OpenFlags::O_NOCTTY.bits()
    | OpenFlags::O_TRUNC.bits()
    | O_CLOEXEC;

/// A path argument: at most `PATH_MAX` bytes with its NUL (ENAMETOOLONG).
pub(super) fn user_path(p: &Task, path: UserCStr) -> Result<String, Errno> {
    p.space.read_cstr(path, PATH_MAX - 1)
}

/// A path argument that `AT_EMPTY_PATH` lets be NULL (Linux 6.11+: the
/// descriptor itself, as an empty path).
pub(super) fn user_path_or_empty(p: &Task, path: UserCStr, flags: AtFlags) -> Result<String, Errno> {
    if path.is_null() && flags.contains(AtFlags::AT_EMPTY_PATH) {
        return Ok(String::new());
    }
    user_path(p, path)
}

/// The directory a `*at` call starts from.
pub(super) fn base(p: &Task, dirfd: DirFd) -> Result<Location, Errno> {
    let fd = match dirfd {
        DirFd::Cwd => return Ok(p.cwd.clone()),
        DirFd::Fd(fd) => fd,
    };
    match p.files.get(i64::from(fd))?.location() {
        Some(loc) if loc.metadata()?.is_dir() => Ok(loc.clone()),
        _ => Err(Errno::ENOTDIR),
    }
}

/// What a `*at` call names: `path` from `dirfd` (a final symlink followed
/// unless `AT_SYMLINK_NOFOLLOW`), or with `AT_EMPTY_PATH` and an empty path
/// the open file `dirfd` itself (`ENOENT` without the flag).
pub(super) fn at_location(p: &Task, dirfd: DirFd, path: &str, flags: AtFlags) -> Result<Location, Errno> {
    if path.is_empty() {
        if !flags.contains(AtFlags::AT_EMPTY_PATH) {
            return Err(Errno::ENOENT);
        }
        let fd = match dirfd {
            DirFd::Cwd => return Ok(p.cwd.clone()),
            DirFd::Fd(fd) => fd,
        };
        return p.files.get(i64::from(fd))?.location().cloned().ok_or(Errno::EPERM);
    }
    let start = base(p, dirfd)?;
    p.vfs.resolve_as(&p.cred, &start, path, !flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW))
}

/// The file behind a descriptor for the `f*` attribute calls: `EBADF` for
/// an `O_PATH` descriptor (as Linux), `EPERM` for the console and pipes,
/// whose attributes cannot be changed here.
pub(super) fn fd_location(p: &Task, fd: Fd) -> Result<Location, Errno> {
    let file = p.files.get(fd.into())?;
    if *file.status.lock() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    file.location().cloned().ok_or(Errno::EPERM)
}

pub fn openat(p: &mut Task, dirfd: DirFd, path: UserCStr, flags: FlagArg<OpenFlags>, mode: u32) -> SysResult {
    let flags = flags.known()?.bits();
    let path = user_path(p, path)?;
    let of = vfs::OpenFlags::from_linux(flags);
    let start = base(p, dirfd)?;
    let perm = mode & 0o7777 & !p.umask;
    // inotify's IN_CREATE: whether this open makes the file.
    let creating = of.create && inotify::active() && p.vfs.resolve_as(&p.cred, &start, &path, true).is_err();
    let loc = p.vfs.open(&p.cred, &start, &path, of, perm)?;
    if creating {
        inotify::created(&loc);
    }
    if !of.path_only {
        check_openable(&loc)?;
    }
    let file = OpenFile::new(crate::file::inode::open(loc), of.read && !of.path_only, of.write && !of.path_only, flags & !OPEN_ONLY);
    p.files.insert(file, flags & O_CLOEXEC != 0, 0)
}

/// Nodes `open` cannot give data access to: a socket node (`ENXIO`, as on
/// Linux) and a FIFO. Named pipes are not attached to pipe buffers yet, so
/// a FIFO is refused with `ENXIO` (logged once) instead of opening as a
/// file that fails every read.
fn check_openable(loc: &Location) -> Result<(), Errno> {
    static FIFO_REPORTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    match loc.kind()? {
        vfs::FileKind::Socket => Err(Errno::ENXIO),
        vfs::FileKind::Fifo => {
            if !FIFO_REPORTED.swap(true, core::sync::atomic::Ordering::Relaxed) {
                log::warn!("opening a FIFO: named pipes are not supported yet, returning ENXIO");
            }
            Err(Errno::ENXIO)
        }
        _ => Ok(()),
    }
}

pub fn open(p: &mut Task, path: UserCStr, flags: FlagArg<OpenFlags>, mode: u32) -> SysResult {
    openat(p, DirFd::Cwd, path, flags, mode)
}

pub fn close(p: &mut Task, fd: Fd) -> SysResult {
    super::locks::on_close(p, fd.into());
    p.files.close(fd.into()).map(|_| 0)
}

pub(super) use crate::file::inode::linux_stat as encode_stat;

/// `struct stat` of whatever a descriptor holds (`AT_FDCWD`: the cwd).
pub(super) fn stat_fd(p: &Task, fd: DirFd) -> Result<structs::Stat, Errno> {
    let fd = match fd {
        DirFd::Cwd => return Ok(encode_stat(&p.cwd.stat()?)),
        DirFd::Fd(fd) => fd,
    };
    p.files.get(i64::from(fd))?.inner().stat()
}

/// newfstatat(dirfd, path, buf, flags): the path is read first (EFAULT),
/// then the flags are checked (EINVAL), as Linux's `vfs_fstatat`.
pub fn newfstatat(p: &mut Task, dirfd: DirFd, path: UserCStr, buf: UserPtr<LinuxStat>, flags: FlagArg<AtFlags>) -> SysResult {
    let path = user_path_or_empty(p, path, flags.raw())?;
    let flags = flags.within(AtFlags::FSTATAT_VALID)?;
    let st = if path.is_empty() {
        if !flags.contains(AtFlags::AT_EMPTY_PATH) {
            return Err(Errno::ENOENT);
        }
        stat_fd(p, dirfd)?
    } else {
        let start = base(p, dirfd)?;
        let st = if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) {
            p.vfs.lstat(&p.cred, &start, &path)?
        } else {
            p.vfs.stat(&p.cred, &start, &path)?
        };
        encode_stat(&st)
    };
    p.space.write(buf, &st)?;
    Ok(0)
}

pub fn stat(p: &mut Task, path: UserCStr, buf: UserPtr<LinuxStat>) -> SysResult {
    newfstatat(p, DirFd::Cwd, path, buf, FlagArg::new(AtFlags::empty()))
}

pub fn lstat(p: &mut Task, path: UserCStr, buf: UserPtr<LinuxStat>) -> SysResult {
    newfstatat(p, DirFd::Cwd, path, buf, FlagArg::new(AtFlags::AT_SYMLINK_NOFOLLOW))
}

pub fn fstat(p: &mut Task, fd: Fd, buf: UserPtr<LinuxStat>) -> SysResult {
    let st = stat_fd(p, DirFd::Fd(fd.raw()))?;
    p.space.write(buf, &st)?;
    Ok(0)
}

/// One directory record writer: `(buf, ino, next cookie, d_type, name)`.
type PushDirent = fn(&mut [u8], u64, i64, u8, &[u8]) -> Option<usize>;

/// Fills the user buffer with records from the directory's cookie on;
/// only the bytes written are checked (at the end of the directory,
/// nothing is written and any pointer will do, as on Linux).
fn read_dir(p: &mut Task, fd: Fd, dirp: UserPtr<u8>, count: u32, push: PushDirent) -> SysResult {
    let file = p.files.get(fd.into())?;
    let Some(loc) = file.location() else { return Err(Errno::ENOTDIR) };
    let cap = (count as usize).min(64 * 1024);
    let mut out = vec![0u8; cap];
    let mut used = 0usize;
    let mut cookie = file.offset.lock();
    let start = *cookie;
    while let Some((entry, next)) = loc.readdir(*cookie)? {
        let Some(room) = out.get_mut(used..) else { break };
        let rec = push(room, entry.ino, next as i64, entry.kind.dirent_type(), entry.name.as_bytes());
        match rec {
            Some(len) => used += len,
            None if used == 0 => return Err(Errno::EINVAL),
            None => break,
        }
        *cookie = next;
    }
    if used > 0 {
        if let Err(e) = dirp.array(used).and_then(|dst| p.space.copy_out(dst, &out[..used])) {
            *cookie = start;
            return Err(e);
        }
    }
    Ok(used)
}

pub fn getdents64(p: &mut Task, fd: Fd, dirp: UserPtr<u8>, count: u32) -> SysResult {
    read_dir(p, fd, dirp, count, structs::push_dirent64)
}

/// getdents(78): the old record layout, `d_type` in the last byte.
pub fn getdents(p: &mut Task, fd: Fd, dirp: UserPtr<u8>, count: u32) -> SysResult {
    read_dir(p, fd, dirp, count, structs::push_dirent)
}

pub fn getcwd(p: &mut Task, buf: UserPtr<u8>, size: usize) -> SysResult {
    let mut path = p.vfs.path_of(&p.cwd).into_bytes();
    path.push(0);
    if path.len() > size {
        return Err(Errno::ERANGE);
    }
    p.space.copy_out(buf.array(path.len())?, &path)?;
    Ok(path.len())
}

fn set_cwd(p: &mut Task, loc: Location) -> SysResult {
    if !loc.metadata()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    vfs::check_access(&loc.metadata()?, &p.cred, Access::EXEC)?;
    *p.proc.cwd.lock() = loc.path();
    p.cwd = loc;
    Ok(0)
}

pub fn chdir(p: &mut Task, path: UserCStr) -> SysResult {
    let path = user_path(p, path)?;
    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, &path, true)?;
    set_cwd(p, loc)
}

pub fn fchdir(p: &mut Task, fd: Fd) -> SysResult {
    let loc = p.files.get(fd.into())?.location().cloned().ok_or(Errno::ENOTDIR)?;
    set_cwd(p, loc)
}

pub fn dup(p: &mut Task, fd: Fd) -> SysResult {
    let file = p.files.get(fd.into())?;
    p.files.insert(file, false, 0)
}

/// dup3(old, new, flags): EINVAL for flags other than O_CLOEXEC or for
/// `old == new`, EBADF for a `new` past the table, then `old` is looked up.
pub fn dup3(p: &mut Task, old: Fd, new: Fd, flags: FlagArg<OpenFlags>) -> SysResult {
    let flags = flags.within(OpenFlags::O_CLOEXEC)?;
    if old == new {
        return Err(Errno::EINVAL);
    }
    do_dup2(p, old, new, flags.contains(OpenFlags::O_CLOEXEC))
}

fn do_dup2(p: &mut Task, old: Fd, new: Fd, cloexec: bool) -> SysResult {
    let new = usize::try_from(new.raw()).ok().filter(|&n| n < crate::task::files::MAX_FDS).ok_or(Errno::EBADF)?;
    let file = p.files.get(old.into())?;
    super::locks::on_close(p, new as i64);
    p.files.put(new, file, cloexec)?;
    Ok(new)
}

pub fn dup2(p: &mut Task, old: Fd, new: Fd) -> SysResult {
    if old == new {
        p.files.get(old.into())?;
        return usize::try_from(new.raw()).map_err(|_| Errno::EBADF);
    }
    do_dup2(p, old, new, false)
}

/// faccessat(2) (no flags: judged by the real ids) and faccessat2(2).
fn do_faccessat(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: i32, flags: FlagArg<AtFlags>) -> SysResult {
    let flags = flags.within(AtFlags::FACCESSAT_VALID);
    let mode = u32::try_from(mode).ok().filter(|m| m & !7 == 0);
    let (Ok(flags), Some(mode)) = (flags, mode) else { return Err(Errno::EINVAL) };
    let path = user_path_or_empty(p, path, flags)?;
    let cred = if flags.contains(AtFlags::AT_EACCESS) { p.cred.clone() } else { p.cred.with_real_ids() };
    if !flags.intersects(AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH) {
        let start = base(p, dirfd)?;
        p.vfs.access(&cred, &start, &path, Access::from_bits(mode))?;
        return Ok(0);
    }
    let loc = at_location(p, dirfd, &path, flags)?;
    let meta = loc.metadata()?;
    if mode & 2 != 0 && matches!(meta.kind, vfs::FileKind::Regular | vfs::FileKind::Directory) && loc.mount_flags().read_only {
        return Err(Errno::EROFS);
    }
    vfs::check_access(&meta, &cred, Access::from_bits(mode))?;
    Ok(0)
}

pub fn access(p: &mut Task, path: UserCStr, mode: i32) -> SysResult {
    do_faccessat(p, DirFd::Cwd, path, mode, FlagArg::new(AtFlags::empty()))
}

pub fn faccessat(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: i32) -> SysResult {
    do_faccessat(p, dirfd, path, mode, FlagArg::new(AtFlags::empty()))
}

pub fn faccessat2(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: i32, flags: FlagArg<AtFlags>) -> SysResult {
    do_faccessat(p, dirfd, path, mode, flags)
}

pub fn mkdirat(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: u32) -> SysResult {
    let path = user_path(p, path)?;
    let start = base(p, dirfd)?;
    let loc = p.vfs.mkdir(&p.cred, &start, &path, mode & 0o7777 & !p.umask)?;
    inotify::created(&loc);
    Ok(0)
}

pub fn mkdir(p: &mut Task, path: UserCStr, mode: u32) -> SysResult {
    mkdirat(p, DirFd::Cwd, path, mode)
}

pub fn unlinkat(p: &mut Task, dirfd: DirFd, path: UserCStr, flags: FlagArg<AtFlags>) -> SysResult {
    let flags = flags.within(AtFlags::UNLINKAT_VALID)?;
    let path = user_path(p, path)?;
    let start = base(p, dirfd)?;
    let watched = watched_entry(p, &start, &path);
    if flags.contains(AtFlags::AT_REMOVEDIR) {
        p.vfs.rmdir(&p.cred, &start, &path)?;
    } else {
        p.vfs.unlink(&p.cred, &start, &path)?;
    }
    inotify::removed(watched);
    Ok(0)
}

pub fn unlink(p: &mut Task, path: UserCStr) -> SysResult {
    unlinkat(p, DirFd::Cwd, path, FlagArg::new(AtFlags::empty()))
}

pub fn rmdir(p: &mut Task, path: UserCStr) -> SysResult {
    unlinkat(p, DirFd::Cwd, path, FlagArg::new(AtFlags::AT_REMOVEDIR))
}

/// readlinkat(dirfd, path, buf, bufsiz): EINVAL for a size below 1 first.
pub fn readlinkat(p: &mut Task, dirfd: DirFd, path: UserCStr, buf: UserPtr<u8>, size: i32) -> SysResult {
    let size = usize::try_from(size).ok().filter(|&n| n > 0).ok_or(Errno::EINVAL)?;
    let path = user_path(p, path)?;
    let start = base(p, dirfd)?;
    let target = p.vfs.readlink(&p.cred, &start, &path)?;
    let n = target.len().min(size);
    p.space.copy_out(buf.array(n)?, &target.as_bytes()[..n])?;
    Ok(n)
}

pub fn readlink(p: &mut Task, path: UserCStr, buf: UserPtr<u8>, size: i32) -> SysResult {
    readlinkat(p, DirFd::Cwd, path, buf, size)
}

pub fn renameat2(p: &mut Task, olddir: DirFd, old: UserCStr, newdir: DirFd, new: UserCStr, flags: u32) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL); // RENAME_NOREPLACE/EXCHANGE/WHITEOUT: not supported
    }
    let (old, new) = (user_path(p, old)?, user_path(p, new)?);
    let (ob, nb) = (base(p, olddir)?, base(p, newdir)?);
    let watched = watched_entry(p, &ob, &old);
    p.vfs.rename_at(&p.cred, &ob, &old, &nb, &new)?;
    if inotify::active() {
        if let Ok(to) = p.vfs.resolve_as(&p.cred, &nb, &new, false) {
            inotify::moved(watched, &to);
        }
    }
    Ok(0)
}

/// The entry `path` names (not following a last symlink), noted for
/// inotify before it is removed or renamed; None while nothing is watched.
fn watched_entry(p: &Task, start: &Location, path: &str) -> Option<inotify::Removal> {
    if !inotify::active() {
        return None;
    }
    let loc = p.vfs.resolve_as(&p.cred, start, path, false).ok()?;
    inotify::before_removal(&loc)
}

/// inotify's IN_CREATE for the entry `path` just made (link, symlink).
fn created_entry(p: &Task, start: &Location, path: &str) {
    if inotify::active() {
        if let Ok(loc) = p.vfs.resolve_as(&p.cred, start, path, false) {
            inotify::created(&loc);
        }
    }
}

pub fn renameat(p: &mut Task, olddir: DirFd, old: UserCStr, newdir: DirFd, new: UserCStr) -> SysResult {
    renameat2(p, olddir, old, newdir, new, 0)
}

pub fn rename(p: &mut Task, old: UserCStr, new: UserCStr) -> SysResult {
    renameat2(p, DirFd::Cwd, old, DirFd::Cwd, new, 0)
}

/// ftruncate(fd, length): a negative length is EINVAL before the
/// descriptor is looked up, as Linux's `do_sys_ftruncate`.
pub fn ftruncate(p: &mut Task, fd: Fd, length: i64) -> SysResult {
    let len = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    let file = p.files.get(fd.into())?;
    if !file.writable {
        return Err(Errno::EINVAL);
    }
    let loc = file.location().ok_or(Errno::EINVAL)?;
    crate::task::rlimits::check_truncate(len, loc.metadata()?.size)?;
    loc.truncate(len)?;
    crate::mm::filemap::truncated(loc.inode(), len);
    Ok(0)
}

pub fn umask(p: &mut Task, mask: u32) -> SysResult {
    let old = p.umask;
    p.umask = mask & 0o777;
    if p.tid == p.proc.vpid {
        p.proc.umask.store(p.umask, core::sync::atomic::Ordering::Relaxed);
    }
    Ok(old as usize)
}

/// linkat(2): `AT_SYMLINK_FOLLOW` follows a final symlink of `old`.
/// `AT_EMPTY_PATH` (linking an open file by descriptor) is not offered:
/// an empty `old` is `ENOENT`, as Linux gives callers without
/// `CAP_DAC_READ_SEARCH`.
pub fn linkat(p: &mut Task, olddir: DirFd, old: UserCStr, newdir: DirFd, new: UserCStr, flags: FlagArg<AtFlags>) -> SysResult {
    let flags = flags.within(AtFlags::LINKAT_VALID)?;
    let (old, new) = (user_path(p, old)?, user_path(p, new)?);
    if old.is_empty() || new.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (ob, nb) = (base(p, olddir)?, base(p, newdir)?);
    p.vfs.link_at(&p.cred, &ob, &old, &nb, &new, flags.contains(AtFlags::AT_SYMLINK_FOLLOW))?;
    created_entry(p, &nb, &new);
    Ok(0)
}

pub fn link(p: &mut Task, old: UserCStr, new: UserCStr) -> SysResult {
    linkat(p, DirFd::Cwd, old, DirFd::Cwd, new, FlagArg::new(AtFlags::empty()))
}

pub fn symlinkat(p: &mut Task, target: UserCStr, newdir: DirFd, path: UserCStr) -> SysResult {
    let target = user_path(p, target)?;
    let path = user_path(p, path)?;
    let start = base(p, newdir)?;
    p.vfs.symlink(&p.cred, &start, &target, &path)?;
    created_entry(p, &start, &path);
    Ok(0)
}

pub fn symlink(p: &mut Task, target: UserCStr, path: UserCStr) -> SysResult {
    symlinkat(p, target, DirFd::Cwd, path)
}

/// mknodat(2): regular files, FIFOs, sockets and (root) device nodes.
/// A directory type is `EPERM`, an unknown one `EINVAL`, as Linux.
pub fn mknodat(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: u32, dev: u32) -> SysResult {
    let kind = match mode & vfs::S_IFMT {
        0 => vfs::FileKind::Regular,
        bits => match vfs::FileKind::from_mode(bits) {
            Some(vfs::FileKind::Directory) => return Err(Errno::EPERM),
            Some(vfs::FileKind::Symlink) | None => return Err(Errno::EINVAL),
            Some(kind) => kind,
        },
    };
    let (major, minor) = structs::decode_dev(dev);
    let rdev = vfs::DevId::new(major, minor);
    let path = user_path(p, path)?;
    let start = base(p, dirfd)?;
    let loc = p.vfs.mknod(&p.cred, &start, &path, kind, mode & 0o7777 & !p.umask, rdev)?;
    inotify::created(&loc);
    Ok(0)
}

pub fn mknod(p: &mut Task, path: UserCStr, mode: u32, dev: u32) -> SysResult {
    mknodat(p, DirFd::Cwd, path, mode, dev)
}
