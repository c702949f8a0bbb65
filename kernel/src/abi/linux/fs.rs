//! Paths and descriptors: open, stat, getdents64, cwd, dup, and the calls
//! that change the tree. Paths resolve in the process's namespace through
//! `vfs` (confinement and Linux path rules live there).

use alloc::string::String;
use alloc::vec;
use errno::Errno;
use vfs::{Access, FileKind, Location, OpenFlags, Stat};

use super::SysResult;
use crate::task::files::{Node, OpenFile};
use crate::task::Process;

const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;
const O_CLOEXEC: u32 = 0o2000000;
/// Flags that act at open time only (F_GETFL does not report them).
const OPEN_ONLY: u32 = 0o100 | 0o200 | 0o400 | 0o1000 | O_CLOEXEC;
const PATH_MAX: usize = 4096;

fn user_path(p: &Process, addr: u64) -> Result<String, Errno> {
    p.space.copy_in_str(addr, PATH_MAX)
}

/// The directory a `*at` call starts from.
fn base(p: &Process, dirfd: u64) -> Result<Location, Errno> {
    let dirfd = dirfd as i32 as i64;
    if dirfd == AT_FDCWD {
        return Ok(p.cwd.clone());
    }
    match &p.files.get(dirfd)?.node {
        Node::Path(loc) if loc.metadata()?.is_dir() => Ok(loc.clone()),
        Node::Path(_) | Node::Console => Err(Errno::ENOTDIR),
    }
}

fn vfs() -> &'static vfs::Vfs {
    crate::fs::host()
}

pub fn openat(p: &mut Process, dirfd: u64, path_addr: u64, flags: u64, mode: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let flags = flags as u32;
    let of = OpenFlags::from_linux(flags);
    let start = base(p, dirfd)?;
    let perm = (mode as u32) & 0o7777 & !p.umask;
    let loc = vfs().open(&p.cred, &start, &path, of, perm)?;
    let file = OpenFile::new(Node::Path(loc), of.read && !of.path_only, of.write && !of.path_only, flags & !OPEN_ONLY);
    p.files.insert(file, flags & O_CLOEXEC != 0, 0)
}

pub fn open(p: &mut Process, a: [u64; 6]) -> SysResult {
    openat(p, AT_FDCWD as u64, a[0], a[1], a[2])
}

pub fn close(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.files.close(a[0] as i32 as i64).map(|_| 0)
}

fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (u64::from(major), u64::from(minor));
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

/// `struct stat` as x86_64 Linux lays it out (144 bytes).
fn encode_stat(st: &Stat) -> [u8; 144] {
    let m = &st.meta;
    let mut b = [0u8; 144];
    let mut put = |off: usize, bytes: &[u8]| b[off..off + bytes.len()].copy_from_slice(bytes);
    put(0, &st.dev.to_le_bytes());
    put(8, &m.ino.to_le_bytes());
    put(16, &m.nlink.to_le_bytes());
    put(24, &m.mode().to_le_bytes());
    put(28, &m.uid.to_le_bytes());
    put(32, &m.gid.to_le_bytes());
    put(40, &makedev(m.rdev.major, m.rdev.minor).to_le_bytes());
    put(48, &m.size.to_le_bytes());
    put(56, &u64::from(m.block_size).to_le_bytes());
    put(64, &m.blocks.to_le_bytes());
    for (off, t) in [(72, m.atime), (88, m.mtime), (104, m.ctime)] {
        put(off, &t.sec.to_le_bytes());
        put(off + 8, &u64::from(t.nsec).to_le_bytes());
    }
    b
}

/// The console as `stat` sees it: a character device 5:1.
fn console_stat() -> [u8; 144] {
    let mut b = [0u8; 144];
    b[8..16].copy_from_slice(&1u64.to_le_bytes());
    b[16..24].copy_from_slice(&1u64.to_le_bytes());
    b[24..28].copy_from_slice(&(0o020000u32 | 0o620).to_le_bytes());
    b[40..48].copy_from_slice(&makedev(5, 1).to_le_bytes());
    b[56..64].copy_from_slice(&1024u64.to_le_bytes());
    b
}

fn stat_fd(p: &Process, fd: i64) -> Result<[u8; 144], Errno> {
    match &p.files.get(fd)?.node {
        Node::Console => Ok(console_stat()),
        Node::Path(loc) => Ok(encode_stat(&loc.stat()?)),
    }
}

pub fn newfstatat(p: &mut Process, dirfd: u64, path_addr: u64, buf: u64, flags: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let bytes = if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        stat_fd(p, dirfd as i32 as i64)?
    } else {
        let start = base(p, dirfd)?;
        let st = if flags & AT_SYMLINK_NOFOLLOW != 0 {
            vfs().lstat(&p.cred, &start, &path)?
        } else {
            vfs().stat(&p.cred, &start, &path)?
        };
        encode_stat(&st)
    };
    p.space.copy_out(buf, &bytes)?;
    Ok(0)
}

pub fn stat(p: &mut Process, a: [u64; 6]) -> SysResult {
    newfstatat(p, AT_FDCWD as u64, a[0], a[1], 0)
}

pub fn lstat(p: &mut Process, a: [u64; 6]) -> SysResult {
    newfstatat(p, AT_FDCWD as u64, a[0], a[1], AT_SYMLINK_NOFOLLOW)
}

pub fn fstat(p: &mut Process, a: [u64; 6]) -> SysResult {
    let bytes = stat_fd(p, a[0] as i32 as i64)?;
    p.space.copy_out(a[1], &bytes)?;
    Ok(0)
}

fn dirent_type(kind: FileKind) -> u8 {
    match kind {
        FileKind::Fifo => 1,
        FileKind::CharDevice => 2,
        FileKind::Directory => 4,
        FileKind::BlockDevice => 6,
        FileKind::Regular => 8,
        FileKind::Symlink => 10,
        FileKind::Socket => 12,
    }
}

pub fn getdents64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    let Node::Path(loc) = &file.node else { return Err(Errno::ENOTDIR) };
    let cap = (a[2] as usize).min(64 * 1024);
    let mut out = vec![0u8; cap];
    let mut used = 0usize;
    let mut cookie = file.offset.lock();
    while let Some((entry, next)) = loc.readdir(*cookie)? {
        let name = entry.name.as_bytes();
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        if used + reclen > cap {
            if used == 0 {
                return Err(Errno::EINVAL);
            }
            break;
        }
        let rec = &mut out[used..used + reclen];
        rec[0..8].copy_from_slice(&entry.ino.to_le_bytes());
        rec[8..16].copy_from_slice(&next.to_le_bytes());
        rec[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
        rec[18] = dirent_type(entry.kind);
        rec[19..19 + name.len()].copy_from_slice(name);
        used += reclen;
        *cookie = next;
    }
    p.space.copy_out(a[1], &out[..used])?;
    Ok(used)
}

pub fn getcwd(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut path = p.cwd.path().into_bytes();
    path.push(0);
    if path.len() > a[1] as usize {
        return Err(Errno::ERANGE);
    }
    p.space.copy_out(a[0], &path)?;
    Ok(path.len())
}

fn set_cwd(p: &mut Process, loc: Location) -> SysResult {
    if !loc.metadata()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    vfs::check_access(&loc.metadata()?, &p.cred, Access::EXEC)?;
    p.cwd = loc;
    Ok(0)
}

pub fn chdir(p: &mut Process, a: [u64; 6]) -> SysResult {
    let path = user_path(p, a[0])?;
    let loc = vfs().resolve_as(&p.cred, &p.cwd, &path, true)?;
    set_cwd(p, loc)
}

pub fn fchdir(p: &mut Process, a: [u64; 6]) -> SysResult {
    match &p.files.get(a[0] as i32 as i64)?.node {
        Node::Path(loc) => {
            let loc = loc.clone();
            set_cwd(p, loc)
        }
        Node::Console => Err(Errno::ENOTDIR),
    }
}

pub fn dup(p: &mut Process, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    p.files.insert(file, false, 0)
}

pub fn dup3(p: &mut Process, old: u64, new: u64, flags: u64) -> SysResult {
    if flags & !(O_CLOEXEC as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = p.files.get(old as i32 as i64)?;
    let new = usize::try_from(new as i32).map_err(|_| Errno::EBADF)?;
    p.files.put(new, file, flags != 0)?;
    Ok(new)
}

pub fn dup2(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[0] as i32 == a[1] as i32 {
        p.files.get(a[0] as i32 as i64)?;
        return Ok(a[1] as i32 as usize);
    }
    dup3(p, a[0], a[1], 0)
}

pub fn faccessat(p: &mut Process, dirfd: u64, path_addr: u64, mode: u64) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    vfs().access(&p.cred, &start, &path, Access::from_bits(mode as u32))?;
    Ok(0)
}

pub fn mkdirat(p: &mut Process, dirfd: u64, path_addr: u64, mode: u64) -> SysResult {
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    vfs().mkdir(&p.cred, &start, &path, (mode as u32) & 0o7777 & !p.umask)?;
    Ok(0)
}

pub fn unlinkat(p: &mut Process, dirfd: u64, path_addr: u64, flags: u64) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    if flags & AT_REMOVEDIR != 0 {
        vfs().rmdir(&p.cred, &start, &path)?;
    } else {
        vfs().unlink(&p.cred, &start, &path)?;
    }
    Ok(0)
}

pub fn readlinkat(p: &mut Process, dirfd: u64, path_addr: u64, buf: u64, size: u64) -> SysResult {
    if size as i64 <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let start = base(p, dirfd)?;
    let target = vfs().readlink(&p.cred, &start, &path)?;
    let n = target.len().min(size as usize);
    p.space.copy_out(buf, &target.as_bytes()[..n])?;
    Ok(n)
}

pub fn renameat2(p: &mut Process, olddir: u64, old: u64, newdir: u64, new: u64, flags: u64) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL); // RENAME_NOREPLACE/EXCHANGE/WHITEOUT: not supported
    }
    let (old, new) = (user_path(p, old)?, user_path(p, new)?);
    let (ob, nb) = (base(p, olddir)?, base(p, newdir)?);
    vfs().rename_at(&p.cred, &ob, &old, &nb, &new)?;
    Ok(0)
}

pub fn ftruncate(p: &mut Process, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i32 as i64)?;
    if !file.writable {
        return Err(Errno::EINVAL);
    }
    match &file.node {
        Node::Path(loc) => loc.truncate(i64::try_from(a[1]).map_err(|_| Errno::EINVAL)? as u64).map(|_| 0),
        Node::Console => Err(Errno::EINVAL),
    }
}

pub fn umask(p: &mut Process, a: [u64; 6]) -> SysResult {
    let old = p.umask;
    p.umask = (a[0] as u32) & 0o777;
    Ok(old as usize)
}
