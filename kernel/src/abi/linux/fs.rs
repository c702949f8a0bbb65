//! Paths and descriptors: open, stat, getdents/getdents64, cwd, dup,
//! access, and the calls that change the tree (mkdir, mknod, link,
//! symlink, unlink, rename). Shared helpers for the other path families
//! (`attr`, `fsinfo`): user paths, `*at` bases, descriptor locations.
//! Paths resolve in the process's namespace through `vfs` (confinement
//! and Linux path rules live there).

use alloc::string::String;
use alloc::vec;
use errno::Errno;
use linux_abi::structs;
use vfs::{Access, Location, OpenFlags, Stat};

use super::SysResult;
use crate::task::files::{Node, OpenFile};
use crate::task::Task;

const AT_FDCWD: i64 = -100;
pub(super) const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_EACCESS: u64 = 0x200;
const AT_SYMLINK_FOLLOW: u64 = 0x400;
pub(super) const AT_EMPTY_PATH: u64 = 0x1000;
const O_CLOEXEC: u32 = 0o2000000;
const O_PATH: u32 = 0o10000000;
/// Flags that act at open time only (F_GETFL does not report them).
const OPEN_ONLY: u32 = 0o100 | 0o200 | 0o400 | 0o1000 | O_CLOEXEC;
const PATH_MAX: usize = 4096;

pub(super) fn user_path(p: &Task, addr: u64) -> Result<String, Errno> {
    p.space.copy_in_str(addr, PATH_MAX)
}

/// The directory a `*at` call starts from.
pub(super) fn base(p: &Task, dirfd: u64) -> Result<Location, Errno> {
    let dirfd = dirfd as i32 as i64;
    if dirfd == AT_FDCWD {
        return Ok(p.cwd.clone());
    }
    match &p.files.get(dirfd)?.node {
        Node::Path(loc) if loc.metadata()?.is_dir() => Ok(loc.clone()),
        Node::Path(_) | Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::ENOTDIR),
    }
}

/// What a `*at` call names: `path` from `dirfd` (a final symlink followed
/// unless `AT_SYMLINK_NOFOLLOW`), or with `AT_EMPTY_PATH` and an empty path
/// the open file `dirfd` itself (`ENOENT` without the flag).
pub(super) fn at_location(p: &Task, dirfd: u64, path: &str, flags: u64) -> Result<Location, Errno> {
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd as i32 as i64 == AT_FDCWD {
            return Ok(p.cwd.clone());
        }
        return match &p.files.get(dirfd as i32 as i64)?.node {
            Node::Path(loc) => Ok(loc.clone()),
            Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::EPERM),
        };
    }
    let start = base(p, dirfd)?;
    p.vfs.resolve_as(&p.cred, &start, path, flags & AT_SYMLINK_NOFOLLOW == 0)
}

/// The file behind a descriptor for the `f*` attribute calls: `EBADF` for
/// an `O_PATH` descriptor (as Linux), `EPERM` for the console and pipes,
/// whose attributes cannot be changed here.
pub(super) fn fd_location(p: &Task, fd: u64) -> Result<Location, Errno> {
    let file = p.files.get(fd as i32 as i64)?;
    if *file.status.lock() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    match &file.node {
        Node::Path(loc) => Ok(loc.clone()),
        Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::EPERM),
    }
}

pub fn openat(p: &mut Task, dirfd: u64, path_addr: u64, flags: u64, mode: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let flags = flags as u32;
    let of = OpenFlags::from_linux(flags);
    let start = base(p, dirfd)?;
    let perm = (mode as u32) & 0o7777 & !p.umask;
    let loc = p.vfs.open(&p.cred, &start, &path, of, perm)?;
    if !of.path_only {
        check_openable(&loc)?;
    }
    let file = OpenFile::new(Node::Path(loc), of.read && !of.path_only, of.write && !of.path_only, flags & !OPEN_ONLY);
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

pub fn open(p: &mut Task, a: [u64; 6]) -> SysResult {
    openat(p, AT_FDCWD as u64, a[0], a[1], a[2])
}

pub fn close(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.files.close(a[0] as i32 as i64).map(|_| 0)
}

fn timespec(t: vfs::Timespec) -> structs::Timespec {
    structs::Timespec { tv_sec: t.sec, tv_nsec: i64::from(t.nsec) }
}

/// `struct stat` for a VFS node.
pub(super) fn encode_stat(st: &Stat) -> structs::Stat {
    let m = &st.meta;
    structs::Stat {
        st_dev: st.dev,
        st_ino: m.ino,
        st_nlink: m.nlink,
        st_mode: m.mode(),
        st_uid: m.uid,
        st_gid: m.gid,
        st_rdev: structs::encode_dev(m.rdev.major, m.rdev.minor),
        st_size: m.size as i64,
        st_blksize: i64::from(m.block_size),
        st_blocks: m.blocks as i64,
        st_atim: timespec(m.atime),
        st_mtim: timespec(m.mtime),
        st_ctim: timespec(m.ctime),
        ..structs::Stat::default()
    }
}

/// The console as `stat` sees it: a character device 5:1.
fn console_stat() -> structs::Stat {
    structs::Stat {
        st_ino: 1,
        st_nlink: 1,
        st_mode: 0o020000 | 0o620,
        st_rdev: structs::encode_dev(5, 1),
        st_blksize: 1024,
        ..structs::Stat::default()
    }
}

/// A pipe as `fstat` sees it: a FIFO on the pipe filesystem.
fn pipe_stat(end: &crate::task::pipe::PipeEnd) -> structs::Stat {
    structs::Stat {
        st_dev: 0xc,
        st_ino: (alloc::sync::Arc::as_ptr(&end.pipe) as u64 >> 4) & 0xffff_ffff,
        st_nlink: 1,
        st_mode: 0o010000 | 0o600,
        st_blksize: 4096,
        ..structs::Stat::default()
    }
}

/// `struct stat` of whatever a descriptor holds.
pub(super) fn stat_fd(p: &Task, fd: i64) -> Result<structs::Stat, Errno> {
    match &p.files.get(fd)?.node {
        Node::Console => Ok(console_stat()),
        Node::Path(loc) => Ok(encode_stat(&loc.stat()?)),
        Node::Pipe(end) => Ok(pipe_stat(end)),
        node @ (Node::Socket(_) | Node::Epoll(_)) => Ok(super::socket::anon_stat(node)),
    }
}

pub fn newfstatat(p: &mut Task, dirfd: u64, path_addr: u64, buf: u64, flags: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let bytes = if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        stat_fd(p, dirfd as i32 as i64)?.to_bytes()
    } else {
        let start = base(p, dirfd)?;
        let st = if flags & AT_SYMLINK_NOFOLLOW != 0 {
            p.vfs.lstat(&p.cred, &start, &path)?
        } else {
            p.vfs.stat(&p.cred, &start, &path)?
        };
        encode_stat(&st).to_bytes()
    };
    p.space.copy_out(buf, &bytes)?;
    Ok(0)
}

pub fn stat(p: &mut Task, a: [u64; 6]) -> SysResult {
    newfstatat(p, AT_FDCWD as u64, a[0], a[1], 0)
}

pub fn lstat(p: &mut Task, a: [u64; 6]) -> SysResult {
    newfstatat(p, AT_FDCWD as u64, a[0], a[1], AT_SYMLINK_NOFOLLOW)
}

pub fn fstat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let bytes = stat_fd(p, a[0] as i32 as i64)?.to_bytes();
    p.space.copy_out(a[1], &bytes)?;
    Ok(0)
}

/// One directory record writer: `(buf, ino, next cookie, d_type, name)`.
type PushDirent = fn(&mut [u8], u64, i64, u8, &[u8]) -> Option<usize>;

/// Fills the user buffer with records from the directory's cookie on.
fn read_dir(p: &mut Task, a: [u64; 6], push: PushDirent) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    let Node::Path(loc) = &file.node else { return Err(Errno::ENOTDIR) };
    let cap = (a[2] as usize).min(64 * 1024);
    let mut out = vec![0u8; cap];
    let mut used = 0usize;
    let mut cookie = file.offset.lock();
    while let Some((entry, next)) = loc.readdir(*cookie)? {
        let rec = push(&mut out[used..], entry.ino, next as i64, entry.kind.dirent_type(), entry.name.as_bytes());
        match rec {
            Some(len) => used += len,
            None if used == 0 => return Err(Errno::EINVAL),
            None => break,
        }
        *cookie = next;
    }
    p.space.copy_out(a[1], &out[..used])?;
    Ok(used)
}

pub fn getdents64(p: &mut Task, a: [u64; 6]) -> SysResult {
    read_dir(p, a, structs::push_dirent64)
}

/// getdents(78): the old record layout, `d_type` in the last byte.
pub fn getdents(p: &mut Task, a: [u64; 6]) -> SysResult {
    read_dir(p, a, structs::push_dirent)
}

pub fn getcwd(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mut path = p.vfs.path_of(&p.cwd).into_bytes();
    path.push(0);
    if path.len() > a[1] as usize {
        return Err(Errno::ERANGE);
    }
    p.space.copy_out(a[0], &path)?;
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

pub fn chdir(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = user_path(p, a[0])?;
    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, &path, true)?;
    set_cwd(p, loc)
}

pub fn fchdir(p: &mut Task, a: [u64; 6]) -> SysResult {
    match &p.files.get(a[0] as i32 as i64)?.node {
        Node::Path(loc) => {
            let loc = loc.clone();
            set_cwd(p, loc)
        }
        Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::ENOTDIR),
    }
}

pub fn dup(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    p.files.insert(file, false, 0)
}

pub fn dup3(p: &mut Task, old: u64, new: u64, flags: u64) -> SysResult {
    if flags & !(O_CLOEXEC as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = p.files.get(old as i32 as i64)?;
    let new = usize::try_from(new as i32).map_err(|_| Errno::EBADF)?;
    p.files.put(new, file, flags != 0)?;
    Ok(new)
}

pub fn dup2(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] as i32 == a[1] as i32 {
        p.files.get(a[0] as i32 as i64)?;
        return Ok(a[1] as i32 as usize);
    }
    dup3(p, a[0], a[1], 0)
}

/// faccessat(2) (no flags: judged by the real ids) and faccessat2(2).
pub fn faccessat(p: &mut Task, dirfd: u64, path_addr: u64, mode: u64, flags: u64) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let cred = if flags & AT_EACCESS != 0 { p.cred.clone() } else { p.cred.with_real_ids() };
    if flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) == 0 {
        let start = base(p, dirfd)?;
        p.vfs.access(&cred, &start, &path, Access::from_bits(mode as u32))?;
        return Ok(0);
    }
    let loc = at_location(p, dirfd, &path, flags)?;
    let meta = loc.metadata()?;
    if mode & 2 != 0 && matches!(meta.kind, vfs::FileKind::Regular | vfs::FileKind::Directory) && loc.mount_flags().read_only {
        return Err(Errno::EROFS);
    }
    vfs::check_access(&meta, &cred, Access::from_bits(mode as u32))?;
    Ok(0)
}

pub fn mkdirat(p: &mut Task, dirfd: u64, path_addr: u64, mode: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    p.vfs.mkdir(&p.cred, &start, &path, (mode as u32) & 0o7777 & !p.umask)?;
    Ok(0)
}

pub fn unlinkat(p: &mut Task, dirfd: u64, path_addr: u64, flags: u64) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    if flags & AT_REMOVEDIR != 0 {
        p.vfs.rmdir(&p.cred, &start, &path)?;
    } else {
        p.vfs.unlink(&p.cred, &start, &path)?;
    }
    Ok(0)
}

pub fn readlinkat(p: &mut Task, dirfd: u64, path_addr: u64, buf: u64, size: u64) -> SysResult {
    if size as i64 <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    let target = p.vfs.readlink(&p.cred, &start, &path)?;
    let n = target.len().min(size as usize);
    p.space.copy_out(buf, &target.as_bytes()[..n])?;
    Ok(n)
}

pub fn renameat2(p: &mut Task, olddir: u64, old: u64, newdir: u64, new: u64, flags: u64) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL); // RENAME_NOREPLACE/EXCHANGE/WHITEOUT: not supported
    }
    let (old, new) = (user_path(p, old)?, user_path(p, new)?);
    let (ob, nb) = (base(p, olddir)?, base(p, newdir)?);
    p.vfs.rename_at(&p.cred, &ob, &old, &nb, &new)?;
    Ok(0)
}

pub fn ftruncate(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    if !file.writable {
        return Err(Errno::EINVAL);
    }
    match &file.node {
        Node::Path(loc) => {
            let len = i64::try_from(a[1]).map_err(|_| Errno::EINVAL)? as u64;
            crate::task::rlimits::check_truncate(len, loc.metadata()?.size)?;
            loc.truncate(len)?;
            crate::mm::filemap::truncated(loc.inode(), len);
            Ok(0)
        }
        Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::EINVAL),
    }
}

pub fn umask(p: &mut Task, a: [u64; 6]) -> SysResult {
    let old = p.umask;
    p.umask = (a[0] as u32) & 0o777;
    Ok(old as usize)
}

/// linkat(2): `AT_SYMLINK_FOLLOW` follows a final symlink of `old`.
/// `AT_EMPTY_PATH` (linking an open file by descriptor) is not offered:
/// an empty `old` is `ENOENT`, as Linux gives callers without
/// `CAP_DAC_READ_SEARCH`.
pub fn linkat(p: &mut Task, olddir: u64, old: u64, newdir: u64, new: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (old, new) = (user_path(p, old)?, user_path(p, new)?);
    if old.is_empty() || new.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (ob, nb) = (base(p, olddir)?, base(p, newdir)?);
    p.vfs.link_at(&p.cred, &ob, &old, &nb, &new, flags & AT_SYMLINK_FOLLOW != 0)?;
    Ok(0)
}

pub fn symlinkat(p: &mut Task, target: u64, newdir: u64, path: u64) -> SysResult {
    let target = user_path(p, target)?;
    let path = user_path(p, path)?;
    let start = base(p, newdir)?;
    p.vfs.symlink(&p.cred, &start, &target, &path)?;
    Ok(0)
}

/// mknodat(2): regular files, FIFOs, sockets and (root) device nodes.
/// A directory type is `EPERM`, an unknown one `EINVAL`, as Linux.
pub fn mknodat(p: &mut Task, dirfd: u64, path_addr: u64, mode: u64, dev: u64) -> SysResult {
    let mode = mode as u32;
    let kind = match mode & vfs::S_IFMT {
        0 => vfs::FileKind::Regular,
        bits => match vfs::FileKind::from_mode(bits) {
            Some(vfs::FileKind::Directory) => return Err(Errno::EPERM),
            Some(vfs::FileKind::Symlink) | None => return Err(Errno::EINVAL),
            Some(kind) => kind,
        },
    };
    // The 32-bit dev_t of the syscall (Linux's new_decode_dev).
    let dev = dev as u32;
    let rdev = vfs::DevId::new((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    p.vfs.mknod(&p.cred, &start, &path, kind, mode & 0o7777 & !p.umask, rdev)?;
    Ok(0)
}
