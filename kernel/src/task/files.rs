//! Open files and the per-process descriptor table.
//!
//! An [`OpenFile`] is Linux's open file description (offset, status flags),
//! shared by descriptors that `dup` made; the table maps small integers to
//! them, lowest free number first, up to [`MAX_FDS`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::{Errno, KResult};
use spin::Mutex;
use vfs::Location;

pub const MAX_FDS: usize = 1024;

pub enum Node {
    /// The serial console (the host's terminal).
    Console,
    /// A file, directory or device node in the process's namespace.
    Path(Location),
}

pub struct OpenFile {
    pub node: Node,
    pub readable: bool,
    pub writable: bool,
    /// File offset, or the directory cookie for getdents64.
    pub offset: Mutex<u64>,
    /// O_APPEND, O_NONBLOCK and the other status flags F_GETFL reports.
    pub status: Mutex<u32>,
}

impl OpenFile {
    pub fn new(node: Node, readable: bool, writable: bool, status: u32) -> Arc<OpenFile> {
        Arc::new(OpenFile { node, readable, writable, offset: Mutex::new(0), status: Mutex::new(status) })
    }
}

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    /// 0, 1 and 2 on the console, as a terminal login gets them.
    pub fn with_console() -> FdTable {
        const O_RDWR: u32 = 2;
        let console = OpenFile::new(Node::Console, true, true, O_RDWR);
        let slot = Some(Slot { file: console, cloexec: false });
        FdTable { slots: alloc::vec![slot.clone(), slot.clone(), slot] }
    }

    pub fn get(&self, fd: i64) -> KResult<Arc<OpenFile>> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get(i).and_then(|s| s.as_ref()).map(|s| s.file.clone()).ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free number >= `min`.
    pub fn insert(&mut self, file: Arc<OpenFile>, cloexec: bool, min: usize) -> KResult<usize> {
        let free = (min..MAX_FDS).find(|&i| self.slots.get(i).is_none_or(|s| s.is_none())).ok_or(Errno::EMFILE)?;
        self.put(free, file, cloexec)?;
        Ok(free)
    }

    /// Installs `file` at `fd`, closing what was there (dup2).
    pub fn put(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> KResult<()> {
        if fd >= MAX_FDS {
            return Err(Errno::EBADF);
        }
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(Slot { file, cloexec });
        Ok(())
    }

    pub fn close(&mut self, fd: i64) -> KResult<()> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get_mut(i) {
            Some(slot @ Some(_)) => {
                *slot = None;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
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
