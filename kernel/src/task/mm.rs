//! A process's memory: its address space plus the break and the mmap cursor,
//! behind one lock, shared by the threads of a process (and by a vfork child
//! until it execs).
//!
//! Every method takes the lock for its own duration only; nothing blocks
//! while holding it.

use errno::{Errno, KResult};
use spin::{Mutex, MutexGuard};

use crate::mm::user::{AddressSpace, Fault, Prot};

/// mmap allocations grow down from here.
pub const MMAP_TOP: u64 = 0x7fff_0000_0000;

pub struct MmInner {
    pub space: AddressSpace,
    pub brk_base: u64,
    pub brk: u64,
    /// Next free address for mmap, growing down.
    pub mmap_top: u64,
}

pub struct Mm {
    inner: Mutex<MmInner>,
}

impl Mm {
    pub fn new(space: AddressSpace, brk: u64) -> Mm {
        Mm { inner: Mutex::new(MmInner { space, brk_base: brk, brk, mmap_top: MMAP_TOP }) }
    }

    pub fn lock(&self) -> MutexGuard<'_, MmInner> {
        self.inner.lock()
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&self) -> KResult<Mm> {
        let g = self.inner.lock();
        let space = g.space.fork()?;
        Ok(Mm { inner: Mutex::new(MmInner { space, brk_base: g.brk_base, brk: g.brk, mmap_top: g.mmap_top }) })
    }

    pub fn activate(&self) {
        self.inner.lock().space.activate();
    }

    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        self.inner.lock().space.copy_in(addr, buf)
    }

    pub fn copy_out(&self, addr: u64, data: &[u8]) -> KResult<()> {
        self.inner.lock().space.copy_out(addr, data)
    }

    pub fn copy_in_str(&self, addr: u64, max: usize) -> KResult<alloc::string::String> {
        self.inner.lock().space.copy_in_str(addr, max)
    }

    pub fn read_u64(&self, addr: u64) -> KResult<u64> {
        let mut b = [0u8; 8];
        self.copy_in(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn read_u32(&self, addr: u64) -> KResult<u32> {
        let mut b = [0u8; 4];
        self.copy_in(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u32(&self, addr: u64, v: u32) -> KResult<()> {
        self.copy_out(addr, &v.to_le_bytes())
    }

    pub fn protect(&self, start: u64, len: u64, prot: Prot) -> KResult<()> {
        self.inner.lock().space.protect(start, len, prot)
    }

    pub fn unmap(&self, start: u64, len: u64) -> KResult<()> {
        self.inner.lock().space.unmap(start, len)
    }

    /// True if a mapping covers `addr`: a fault there that cannot be
    /// resolved is an access error (SEGV_ACCERR), not a missing page.
    pub fn covers(&self, addr: u64) -> bool {
        self.inner.try_lock().is_some_and(|g| g.space.is_mapped(addr & !0xfff, 1))
    }

    /// A user page fault (see `AddressSpace::handle_fault`).
    pub fn handle_fault(&self, addr: u64, write: bool, present: bool) -> Fault {
        // A fault can interrupt nothing that holds this lock: the faulting
        // thread holds no locks in user mode, and kernel code never blocks
        // with it held; try_lock guards against the impossible anyway.
        match self.inner.try_lock() {
            Some(mut g) => g.space.handle_fault(addr, write, present),
            None => Fault::Segv,
        }
    }

    /// Resident size in pages.
    pub fn resident_pages(&self) -> usize {
        self.inner.lock().space.resident_pages()
    }

    /// A NUL-separated list of strings from a user array of pointers
    /// (execve's argv/envp), at most `max_total` bytes.
    pub fn copy_in_str_array(&self, addr: u64, max_total: usize) -> KResult<alloc::vec::Vec<alloc::string::String>> {
        let mut out = alloc::vec::Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut total = 0usize;
        for i in 0..(max_total / 8) as u64 {
            let ptr = self.read_u64(addr + 8 * i)?;
            if ptr == 0 {
                return Ok(out);
            }
            let s = self.copy_in_str(ptr, 128 * 1024)?;
            total += s.len() + 1 + 8;
            if total > max_total {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Err(Errno::E2BIG)
    }
}
