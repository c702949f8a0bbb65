//! The per-process descriptor table.
//!
//! An [`OpenFile`] (`file`) is Linux's open file description (offset,
//! status flags), shared by descriptors that `dup` made; the table maps
//! small integers to them, lowest free number first, below the calling
//! process's RLIMIT_NOFILE (and never past [`MAX_FDS`], `fs.nr_open`).

use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::{Errno, KResult};
use spin::Mutex;

pub use crate::file::OpenFile;

pub const MAX_FDS: usize = creds::rlimit::NR_OPEN as usize;

/// The descriptor numbers the running process may use: its RLIMIT_NOFILE
/// (kernel threads setting up a process: [`MAX_FDS`]).
fn fd_limit() -> usize {
    crate::task::current_process()
        .map_or(MAX_FDS, |p| usize::try_from(p.rlimits.lock().cur(creds::Resource::NOFILE)).unwrap_or(MAX_FDS))
        .min(MAX_FDS)
}

#[derive(Clone)]
pub struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

/// A descriptor table shared by the threads of a process (CLONE_FILES).
/// Each method locks for its own duration; files are handed out as `Arc`s,
/// so no lock is held while a read or write blocks.
pub struct Files {
    table: Mutex<FdTable>,
}

impl Files {
    pub fn new(table: FdTable) -> Files {
        Files { table: Mutex::new(table) }
    }

    /// A copy for a forked child (same open files, own numbering).
    pub fn duplicate(&self) -> Files {
        Files::new(self.table.lock().clone())
    }

    pub fn get(&self, fd: i64) -> KResult<Arc<OpenFile>> {
        self.table.lock().get(fd)
    }

    pub fn insert(&self, file: Arc<OpenFile>, cloexec: bool, min: usize) -> KResult<usize> {
        self.table.lock().insert(file, cloexec, min)
    }

    pub fn put(&self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> KResult<()> {
        let old = self.table.lock().replace(fd, file, cloexec)?;
        drop(old); // closing the old file may wake others: outside the lock
        Ok(())
    }

    pub fn close(&self, fd: i64) -> KResult<()> {
        let old = self.table.lock().take(fd)?;
        drop(old);
        Ok(())
    }

    pub fn cloexec(&self, fd: i64) -> KResult<bool> {
        self.table.lock().cloexec(fd)
    }

    pub fn set_cloexec(&self, fd: i64, on: bool) -> KResult<()> {
        self.table.lock().set_cloexec(fd, on)
    }

    /// Closes every close-on-exec descriptor (execve).
    pub fn close_on_exec(&self) {
        let closed: Vec<Slot> = {
            let mut t = self.table.lock();
            let mut out = Vec::new();
            for slot in t.slots.iter_mut() {
                if slot.as_ref().is_some_and(|s| s.cloexec) {
                    out.extend(slot.take());
                }
            }
            out
        };
        drop(closed);
    }

}

impl FdTable {
    /// 0, 1 and 2 on the console, as a terminal login gets them.
    pub fn with_console() -> FdTable {
        let tty = Arc::new(crate::file::tty::TtyFile::console());
        let console = OpenFile::new(tty, true, true, linux_abi::flags::OpenFlags::O_RDWR.bits());
        let slot = Some(Slot { file: console, cloexec: false });
        FdTable { slots: alloc::vec![slot.clone(), slot.clone(), slot] }
    }

    pub fn get(&self, fd: i64) -> KResult<Arc<OpenFile>> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get(i).and_then(|s| s.as_ref()).map(|s| s.file.clone()).ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free number >= `min`: `EMFILE` when
    /// none is free below RLIMIT_NOFILE, `EINVAL` for a `min` at or past it
    /// (fcntl F_DUPFD).
    pub fn insert(&mut self, file: Arc<OpenFile>, cloexec: bool, min: usize) -> KResult<usize> {
        let limit = fd_limit();
        if min > 0 && min >= limit {
            return Err(Errno::EINVAL);
        }
        let free = (min..limit).find(|&i| self.slots.get(i).is_none_or(|s| s.is_none())).ok_or(Errno::EMFILE)?;
        self.put(free, file, cloexec)?;
        Ok(free)
    }

    /// Installs `file` at `fd`, closing what was there (dup2): `EBADF` at
    /// or past RLIMIT_NOFILE.
    pub fn put(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> KResult<()> {
        if fd >= fd_limit() {
            return Err(Errno::EBADF);
        }
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(Slot { file, cloexec });
        Ok(())
    }

    /// Removes `fd` and returns what it held (dropped by the caller).
    pub fn take(&mut self, fd: i64) -> KResult<Slot> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get_mut(i).and_then(Option::take).ok_or(Errno::EBADF)
    }

    /// Installs `file` at `fd` and returns what was there.
    pub fn replace(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> KResult<Option<Slot>> {
        if fd >= fd_limit() {
            return Err(Errno::EBADF);
        }
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        Ok(self.slots[fd].replace(Slot { file, cloexec }))
    }

    pub fn cloexec(&self, fd: i64) -> KResult<bool> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get(i).and_then(|s| s.as_ref()).map(|s| s.cloexec).ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&mut self, fd: i64, on: bool) -> KResult<()> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get_mut(i).and_then(|s| s.as_mut()) {
            Some(slot) => {
                slot.cloexec = on;
                Ok(())
            }
            None => Err(Errno::EBADF),
        }
    }
}

impl Files {
    /// (descriptor, open file) pairs, for /proc/<pid>/fd.
    pub fn entries(&self) -> Vec<(usize, Arc<OpenFile>)> {
        self.table.lock().slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i, s.file.clone()))).collect()
    }
}
