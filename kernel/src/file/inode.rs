//! Files, directories and device nodes of a namespace (/proc files too):
//! an [`InodeFile`] over a `vfs::Location`.
//!
//! Reads and writes go through a kernel buffer of at most [`CHUNK`] bytes
//! per call (reads: one chunk, a short read; writes: chunk by chunk);
//! MAP_SHARED mappings of the file are kept coherent (`mm::filemap`).
//! Device nodes reach their driver (`vfs::CharDevice`); the terminal's
//! nodes open as the terminal instead ([`open`]). poll(2) sees regular
//! files and most devices as always ready (Linux's `DEFAULT_POLLMASK`);
//! epoll refuses them (`EPERM`), as Linux does for files without a poll
//! operation.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use core::any::Any;
use errno::{Errno, KResult};
use linux_abi::flags::{SEEK_CUR, SEEK_END, SEEK_SET};
use linux_abi::structs;
use vfs::{FileKind, Location, Stat};

use super::{ev, FileLike, OpenFile, PollTable, Sink, Source};

/// The largest kernel buffer one read or write goes through.
pub const CHUNK: usize = 64 * 1024;

/// What poll reports for a file without readiness of its own.
pub const DEFAULT_POLLMASK: u32 = ev::IN | ev::OUT | ev::RDNORM | ev::WRNORM;

/// The device numbers of the terminal's nodes: /dev/tty (5:0),
/// /dev/console (5:1), /dev/ttyS0 (4:64).
fn is_terminal(major: u32, minor: u32) -> bool {
    matches!((major, minor), (5, 0) | (5, 1) | (4, 64))
}

/// The object an opened `loc` is: the terminal for its device nodes, an
/// [`InodeFile`] for everything else.
pub fn open(loc: Location) -> Arc<dyn FileLike> {
    if let Ok(m) = loc.metadata() {
        if m.kind == FileKind::CharDevice && is_terminal(m.rdev.major, m.rdev.minor) {
            return Arc::new(super::tty::TtyFile::at(loc));
        }
    }
    Arc::new(InodeFile { loc })
}

pub struct InodeFile {
    loc: Location,
}

fn timespec(t: vfs::Timespec) -> structs::Timespec {
    structs::Timespec { tv_sec: t.sec, tv_nsec: i64::from(t.nsec) }
}

/// `struct stat` for a VFS node.
pub fn linux_stat(st: &Stat) -> structs::Stat {
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

impl InodeFile {
    /// A write, chunk by chunk through a kernel buffer.
    fn write_chunks(&self, file: &OpenFile, src: &mut dyn Source, at: Option<u64>) -> KResult<usize> {
        let inode = self.loc.inode();
        let dev = inode.device();
        let len = src.len();
        if len == 0 {
            return Ok(0);
        }
        let mut buf = vec![0u8; len.min(CHUNK)];
        let mut pos = file.offset.lock();
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(CHUNK);
            if let Err(e) = src.get(done, &mut buf[..n]) {
                return if done > 0 { Ok(done) } else { Err(e) };
            }
            let place = match at {
                Some(o) => o.checked_add(done as u64).ok_or(Errno::EFBIG)?,
                None if file.append() => self.loc.metadata()?.size,
                None => *pos,
            };
            let wrote = match &dev {
                Some(d) => d.write(place, &buf[..n]),
                None => {
                    // RLIMIT_FSIZE cuts writes to regular files (SIGXFSZ, EFBIG).
                    let n = if self.loc.kind()? == FileKind::Regular {
                        match crate::task::rlimits::fsize_allows(place, n) {
                            Ok(n) => n,
                            Err(_) if done > 0 => return Ok(done),
                            Err(e) => return Err(e),
                        }
                    } else {
                        n
                    };
                    inode.write_at(place, &buf[..n]).inspect(|&w| {
                        crate::mm::filemap::wrote(inode, place, &buf[..w.min(n)]);
                    })
                }
            };
            let wrote = match wrote {
                Ok(w) => w,
                Err(_) if done > 0 => return Ok(done),
                Err(e) => return Err(e),
            };
            if at.is_none() {
                *pos = place + wrote as u64;
            }
            done += wrote;
            // As Linux: a signal ends a long write with what went out so far.
            if wrote < n || crate::task::signal_pending() {
                break;
            }
            // A preemption point (the offset lock is a spin lock: not held
            // while another thread runs).
            if crate::sched::should_yield() {
                drop(pos);
                crate::sched::cond_resched();
                pos = file.offset.lock();
            }
        }
        Ok(done)
    }
}

impl FileLike for InodeFile {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, at: Option<u64>) -> KResult<usize> {
        if self.loc.metadata()?.is_dir() {
            return Err(Errno::EISDIR);
        }
        let inode = self.loc.inode();
        let mut kbuf = vec![0u8; dst.len().min(CHUNK)];
        let mut pos = file.offset.lock();
        let start = at.unwrap_or(*pos);
        let n = match inode.device() {
            Some(d) => d.read(start, &mut kbuf)?,
            None => {
                crate::mm::filemap::before_read(inode, start, kbuf.len() as u64);
                inode.read_at(start, &mut kbuf)?
            }
        };
        dst.put(0, &kbuf[..n])?;
        if at.is_none() {
            *pos = start + n as u64;
        }
        Ok(n)
    }

    fn write(&self, file: &OpenFile, src: &mut dyn Source, at: Option<u64>) -> KResult<usize> {
        let n = self.write_chunks(file, src, at)?;
        if n > 0 {
            super::inotify::modified(&self.loc);
        }
        Ok(n)
    }

    fn poll(&self, mask: u32, _table: Option<&mut PollTable>) -> u32 {
        mask & DEFAULT_POLLMASK
    }

    fn can_poll(&self) -> bool {
        // /dev/random and /dev/urandom poll on Linux; other nodes and files do not.
        self.loc.metadata().is_ok_and(|m| m.kind == FileKind::CharDevice && matches!((m.rdev.major, m.rdev.minor), (1, 8) | (1, 9)))
    }

    fn seek(&self, file: &OpenFile, offset: i64, whence: u32) -> KResult<u64> {
        let mut pos = file.offset.lock();
        let base = match whence {
            SEEK_SET => 0i64,
            SEEK_CUR => i64::try_from(*pos).map_err(|_| Errno::EOVERFLOW)?,
            SEEK_END => i64::try_from(self.loc.metadata()?.size).map_err(|_| Errno::EOVERFLOW)?,
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).filter(|n| *n >= 0).ok_or(Errno::EINVAL)?;
        *pos = new as u64;
        Ok(new as u64)
    }

    fn positional(&self) -> bool {
        true
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(linux_stat(&self.loc.stat()?))
    }

    fn location(&self) -> Option<&Location> {
        Some(&self.loc)
    }

    fn describe(&self) -> String {
        // As Linux's d_path: an unlinked file's last name, marked.
        let mut path = self.loc.path();
        if self.loc.is_unlinked() {
            path.push_str(" (deleted)");
        }
        path
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        let st = self.loc.stat()?;
        Ok((st.dev, st.meta.ino))
    }

    fn sync(&self) -> KResult<()> {
        crate::fs::sync_all();
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
