//! Open files: every kind of file behind one trait, [`FileLike`], and
//! Linux's open file description, [`OpenFile`].
//!
//! Role: a descriptor names an `OpenFile` (offset, status flags, access
//! mode; shared by `dup` and `fork`), which holds an `Arc<dyn FileLike>`:
//! the object itself. Kinds: files, directories and device nodes of a
//! namespace, /proc files included ([`inode::InodeFile`]), the terminal
//! ([`tty::TtyFile`]), pipe ends (`task::pipe`), sockets (`net::socket`),
//! epoll instances ([`epoll::EpollFile`]), eventfds, timerfds, signalfds
//! pidfds and inotify instances ([`eventfd`], [`timerfd`], [`signalfd`],
//! [`pidfd`], [`inotify`]). A new kind is one new type
//! implementing the trait; the syscall layer never matches on kinds (the
//! few kind-specific calls find their object with [`OpenFile::downcast`]).
//! Readiness: [`FileLike::poll`] says what holds now and, given a
//! [`PollTable`], registers its observer on the object's [`Pollee`]s;
//! objects notify their own pollees when their state changes, so
//! poll/select/epoll wake only for the objects they watch ([`pollee`]).
//! Invariants: an `OpenFile` is never locked while its object blocks; an
//! epoll watch of an open file ends when the open file's last reference
//! goes (Linux's `eventpoll_release`), keyed by (open file, descriptor).
//! May call: `task` (the caller's memory and process for ioctls), `sched`,
//! `vfs`, `console`, `mm` (file mappings' write-back).

pub mod buf;
pub mod epoll;
pub mod eventfd;
pub mod inode;
pub mod inotify;
pub mod pidfd;
pub mod pollee;
pub mod signalfd;
pub mod timerfd;
pub mod tty;

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use errno::{Errno, KResult};
use linux_abi::structs;
use linux_abi::IoctlArg;
use spin::Mutex;
use vfs::Location;

pub use buf::{Sink, Source, UserBuf};
pub use pollee::{Observer, PollTable, Pollee, Poller};
pub use readiness::ev;

use crate::task::Task;

/// One kind of open file. Defaults are what Linux answers for a file that
/// lacks the operation.
pub trait FileLike: Send + Sync + 'static {
    /// Reads into `dst` at `at`, or at the open file's offset (advancing
    /// it) when `at` is None. 0 is end of file.
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, at: Option<u64>) -> KResult<usize> {
        let _ = (file, dst, at);
        Err(Errno::EINVAL)
    }

    /// Writes from `src`, at `at` or at the open file's offset.
    fn write(&self, file: &OpenFile, src: &mut dyn Source, at: Option<u64>) -> KResult<usize> {
        let _ = (file, src, at);
        Err(Errno::EINVAL)
    }

    /// The readiness bits (`ev::*`) that hold now, of `mask` plus ERR and
    /// HUP. With a table, registers its observer on every pollee whose
    /// changes affect the answer.
    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32;

    /// False for files that are always ready and never notify (regular
    /// files, directories): epoll refuses them with `EPERM`.
    fn can_poll(&self) -> bool {
        true
    }

    /// ioctl(2) beyond the generic FIONBIO/FIOCLEX/FIONCLEX.
    fn ioctl(&self, file: &OpenFile, t: &mut Task, cmd: u32, arg: IoctlArg) -> KResult<usize> {
        let _ = (file, t, cmd, arg);
        Err(Errno::ENOTTY)
    }

    /// lseek(2): the new offset.
    fn seek(&self, file: &OpenFile, offset: i64, whence: u32) -> KResult<u64> {
        let _ = (file, offset, whence);
        Err(Errno::ESPIPE)
    }

    /// True if pread/pwrite may address it (`ESPIPE` otherwise).
    fn positional(&self) -> bool {
        false
    }

    /// fstat(2).
    fn stat(&self) -> KResult<structs::Stat>;

    /// The filesystem magic fstatfs reports for a file that lives on no
    /// filesystem of a namespace.
    fn fs_magic(&self) -> i64 {
        structs::ANON_INODE_FS_MAGIC
    }

    /// The file in a namespace, for the calls that work on paths (fchdir,
    /// `*at` bases, fchmod, mmap, getdents...). None for the others.
    fn location(&self) -> Option<&Location> {
        None
    }

    /// What /proc/<pid>/fd/N links to.
    fn describe(&self) -> String;

    /// Which file a flock(2) lock is on.
    fn lock_key(&self) -> KResult<(u64, u64)>;

    /// fsync(2): `EINVAL` for what cannot be synced.
    fn sync(&self) -> KResult<()> {
        Err(Errno::EINVAL)
    }

    fn as_any(&self) -> &dyn Any;
}

/// An open file description.
pub struct OpenFile {
    file: Arc<dyn FileLike>,
    pub readable: bool,
    pub writable: bool,
    /// File offset, or the directory cookie for getdents64.
    pub offset: Mutex<u64>,
    /// O_APPEND, O_NONBLOCK and the other status flags F_GETFL reports.
    pub status: Mutex<u32>,
    /// The epolls watching this open file, and under which descriptor.
    watches: Mutex<Vec<(Weak<epoll::Instance>, i32)>>,
    /// F_SETOWN's owner.
    pub owner: Mutex<crate::abi::linux::owner::Owner>,
    /// While O_ASYNC is set: the observer that signals the owner.
    pub fasync: Mutex<Option<PollTable>>,
    _live: crate::live::Live,
}

impl OpenFile {
    pub fn new(file: Arc<dyn FileLike>, readable: bool, writable: bool, status: u32) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            file,
            readable,
            writable,
            offset: Mutex::new(0),
            status: Mutex::new(status),
            watches: Mutex::new(Vec::new()),
            owner: Mutex::new(Default::default()),
            fasync: Mutex::new(None),
            _live: crate::live::Live::new(crate::live::Kind::OpenFile),
        })
    }

    /// The object behind this open file.
    pub fn inner(&self) -> &dyn FileLike {
        &*self.file
    }

    /// The object as a `T`, if it is one.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.file.as_any().downcast_ref::<T>()
    }

    pub fn nonblocking(&self) -> bool {
        *self.status.lock() & linux_abi::flags::OpenFlags::O_NONBLOCK.bits() != 0
    }

    pub fn append(&self) -> bool {
        *self.status.lock() & linux_abi::flags::OpenFlags::O_APPEND.bits() != 0
    }

    pub fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        self.file.poll(mask, table)
    }

    pub fn location(&self) -> Option<&Location> {
        self.file.location()
    }

    pub fn describe(&self) -> String {
        self.file.describe()
    }

    /// The identity epoll keys its watches with (with the descriptor).
    pub fn id(&self) -> usize {
        self as *const OpenFile as usize
    }

    fn watched_by(&self, ep: &Arc<epoll::Instance>, fd: i32) {
        let mut w = self.watches.lock();
        w.retain(|(e, _)| e.strong_count() > 0);
        w.push((Arc::downgrade(ep), fd));
    }

    fn unwatched_by(&self, ep: &epoll::Instance, fd: i32) {
        self.watches.lock().retain(|(e, f)| !(core::ptr::eq(e.as_ptr(), ep) && *f == fd));
    }

    /// The epolls watching this file (nesting checks).
    fn watchers(&self) -> Vec<Arc<epoll::Instance>> {
        self.watches.lock().iter().filter_map(|(e, _)| e.upgrade()).collect()
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.writable {
            if let Some(loc) = self.file.location() {
                inotify::closed_write(loc);
            }
        }
        let id = self.id();
        let watches = core::mem::take(&mut *self.watches.lock());
        for (ep, fd) in watches {
            if let Some(ep) = ep.upgrade() {
                ep.forget(id, fd);
            }
        }
    }
}

/// `struct stat` of an object that lives on no filesystem (a socket, an
/// epoll): an anonymous inode with `mode` (type and permission bits).
pub fn anon_stat(mode: u32, ino: u64) -> structs::Stat {
    structs::Stat { st_dev: 0x8, st_ino: ino, st_nlink: 1, st_mode: mode, st_blksize: 4096, ..structs::Stat::default() }
}

/// A small number naming an object in /proc and fstat (`pipe:[N]`).
pub fn object_number<T: ?Sized>(p: *const T) -> u64 {
    (p as *const u8 as u64 >> 4) & 0xffff_ffff
}
