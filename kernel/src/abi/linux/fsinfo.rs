//! statx(2) and statfs(2)/fstatfs(2): what a file or its filesystem is,
//! encoded into Linux's structs. `stat` itself is in `fs.rs`; statx is
//! built from the same `struct stat` so both always agree.
//! May call: `fs.rs` helpers, `vfs` through the task's namespace.

use errno::Errno;
use linux_abi::flags::AtFlags;
use linux_abi::structs;
use linux_abi::{DirFd, Fd, FlagArg, UserCStr, UserPtr};

use super::fs::{at_location, encode_stat, stat_fd, user_path, user_path_or_empty};
use super::SysResult;
use crate::task::Task;

fn statx_time(t: structs::Timespec) -> structs::StatxTimestamp {
    structs::StatxTimestamp { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec as u32, __reserved: 0 }
}

/// The statx record of a `struct stat`: the basic fields, all reported.
fn statx_of(st: &structs::Stat) -> structs::Statx {
    let dev = vfs::DevId::decode(st.st_dev);
    let rdev = vfs::DevId::decode(st.st_rdev);
    structs::Statx {
        stx_mask: structs::STATX_BASIC_STATS,
        stx_blksize: st.st_blksize as u32,
        stx_nlink: st.st_nlink as u32,
        stx_uid: st.st_uid,
        stx_gid: st.st_gid,
        stx_mode: st.st_mode as u16,
        stx_ino: st.st_ino,
        stx_size: st.st_size as u64,
        stx_blocks: st.st_blocks as u64,
        stx_atime: statx_time(st.st_atim),
        stx_ctime: statx_time(st.st_ctim),
        stx_mtime: statx_time(st.st_mtim),
        stx_rdev_major: rdev.major,
        stx_rdev_minor: rdev.minor,
        stx_dev_major: dev.major,
        stx_dev_minor: dev.minor,
        ..structs::Statx::default()
    }
}

/// statx(dirfd, path, flags, mask, buf). The sync-type flags do not
/// matter here (nothing is cached remotely); every basic field is filled
/// whatever `mask` asks, as Linux does for local filesystems.
pub fn statx(p: &mut Task, dirfd: DirFd, path: UserCStr, flags: FlagArg<AtFlags>, mask: u32, buf: UserPtr<structs::Statx>) -> SysResult {
    let flags = match flags.within(AtFlags::STATX_VALID) {
        Ok(f) if !f.contains(AtFlags::AT_STATX_SYNC_TYPE) && mask & structs::STATX__RESERVED == 0 => f,
        _ => return Err(Errno::EINVAL),
    };
    // Linux 6.11+: a NULL path with AT_EMPTY_PATH means the descriptor.
    let path = user_path_or_empty(p, path, flags)?;
    let st = if path.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) && dirfd != DirFd::Cwd {
        stat_fd(p, dirfd)?
    } else {
        encode_stat(&at_location(p, dirfd, &path, flags)?.stat()?)
    };
    p.space.write(buf, &statx_of(&st))?;
    Ok(0)
}

fn encode_statfs(st: &vfs::StatFs, dev: u64) -> structs::Statfs {
    structs::Statfs {
        f_type: st.magic as i64,
        f_bsize: st.block_size as i64,
        f_blocks: st.blocks,
        f_bfree: st.blocks_free,
        f_bavail: st.blocks_avail,
        f_files: st.files,
        f_ffree: st.files_free,
        // Linux's u64_to_fsid(huge_encode_dev(s_dev)).
        f_fsid: [dev as u32 as i32, (dev >> 32) as u32 as i32],
        f_namelen: st.name_max as i64,
        f_frsize: st.fragment_size as i64,
        f_flags: (st.flags | structs::ST_VALID) as i64,
        f_spare: [0; 4],
    }
}

/// The pipe filesystem and the terminal's, for fstatfs on those descriptors.
fn pseudo_statfs(magic: i64) -> structs::Statfs {
    structs::Statfs { f_type: magic, f_bsize: 4096, f_namelen: 255, f_frsize: 4096, f_flags: structs::ST_VALID as i64, ..structs::Statfs::default() }
}

pub fn statfs(p: &mut Task, path: UserCStr, buf: UserPtr<structs::Statfs>) -> SysResult {
    let path = user_path(p, path)?;
    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, &path, true)?;
    let out = encode_statfs(&loc.statfs()?, loc.stat()?.dev);
    p.space.write(buf, &out)?;
    Ok(0)
}

pub fn fstatfs(p: &mut Task, fd: Fd, buf: UserPtr<structs::Statfs>) -> SysResult {
    let file = p.files.get(fd.into())?;
    let out = match file.location() {
        Some(loc) => encode_statfs(&loc.statfs()?, loc.stat()?.dev),
        None => pseudo_statfs(file.inner().fs_magic()),
    };
    p.space.write(buf, &out)?;
    Ok(0)
}
