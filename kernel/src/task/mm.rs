//! A process's memory: its address space plus the break and the mmap cursor,
//! behind one lock, shared by the threads of a process (and by a vfork child
//! until it execs).
//!
//! Every method takes the lock for its own duration only; nothing blocks
//! while holding it.

use alloc::string::String;
use alloc::vec::Vec;
use errno::{Errno, KResult};
use linux_abi::structs::Abi;
use linux_abi::{PageRange, UserCStr, UserPtr, UserSlice};
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
    /// membarrier(2) registrations (the REGISTER_* command bits).
    pub membarrier: core::sync::atomic::AtomicU32,
    /// System V shared memory segments attached here (shmat).
    pub shm: Mutex<Vec<crate::abi::linux::ipc::Attachment>>,
}

impl Mm {
    pub fn new(space: AddressSpace, brk: u64) -> Mm {
        Mm { inner: Mutex::new(MmInner { space, brk_base: brk, brk, mmap_top: MMAP_TOP }), membarrier: Default::default(), shm: Mutex::new(Vec::new()) }
    }

    pub fn lock(&self) -> MutexGuard<'_, MmInner> {
        self.inner.lock()
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&self) -> KResult<Mm> {
        let g = self.inner.lock();
        let space = g.space.fork()?;
        let inner = MmInner { space, brk_base: g.brk_base, brk: g.brk, mmap_top: g.mmap_top };
        // membarrier registrations are kept by fork (an exec starts afresh).
        let membarrier = core::sync::atomic::AtomicU32::new(self.membarrier.load(core::sync::atomic::Ordering::Acquire));
        // The copy is attached to the same segments (the child's pid is set by fork).
        let shm = self.shm.lock().iter().map(|a| a.fork()).collect();
        Ok(Mm { inner: Mutex::new(inner), membarrier, shm: Mutex::new(shm) })
    }

    pub fn activate(&self) {
        self.inner.lock().space.activate();
    }

    /// Fills `buf` from the start of `src` (see `AddressSpace::copy_in`).
    pub fn copy_in(&self, src: UserSlice, buf: &mut [u8]) -> KResult<()> {
        self.inner.lock().space.copy_in(src, buf)
    }

    /// Writes `data` to the start of `dst` (see `AddressSpace::copy_out`).
    pub fn copy_out(&self, dst: UserSlice, data: &[u8]) -> KResult<()> {
        self.inner.lock().space.copy_out(dst, data)
    }

    /// Reads the `T` at `ptr`.
    pub fn read<T: Abi>(&self, ptr: UserPtr<T>) -> KResult<T> {
        let range = ptr.range()?;
        let mut small = [0u8; 256];
        if T::SIZE <= small.len() {
            let buf = &mut small[..T::SIZE];
            self.copy_in(range, buf)?;
            return Ok(T::read_from(buf));
        }
        let mut buf = alloc::vec![0u8; T::SIZE];
        self.copy_in(range, &mut buf)?;
        Ok(T::read_from(&buf))
    }

    /// Writes `value` at `ptr`.
    pub fn write<T: Abi>(&self, ptr: UserPtr<T>, value: &T) -> KResult<()> {
        let range = ptr.range()?;
        let mut small = [0u8; 256];
        if T::SIZE <= small.len() {
            let buf = &mut small[..T::SIZE];
            value.write_to(buf);
            return self.copy_out(range, buf);
        }
        self.copy_out(range, &value.to_vec())
    }

    /// Reads `count` consecutive `T`s at `ptr` (one copy).
    pub fn read_array<T: Abi>(&self, ptr: UserPtr<T>, count: usize) -> KResult<Vec<T>> {
        let range = ptr.array(count)?;
        let mut raw = alloc::vec![0u8; range.len()];
        self.copy_in(range, &mut raw)?;
        Ok(raw.chunks_exact(T::SIZE.max(1)).map(T::read_from).collect())
    }

    /// Reads a NUL-terminated string of at most `max` bytes before the NUL
    /// (`ENAMETOOLONG` beyond), as bytes.
    pub fn read_cstr_bytes(&self, s: UserCStr, max: usize) -> KResult<Vec<u8>> {
        match self.inner.lock().space.copy_in_cstr(s.start(), max.saturating_add(1))? {
            (bytes, true) => Ok(bytes),
            (_, false) => Err(Errno::ENAMETOOLONG),
        }
    }

    /// The first bytes of a string, up to its NUL or `max` bytes, whichever
    /// comes first (prctl's name: a longer string is cut).
    pub fn read_cstr_prefix(&self, s: UserCStr, max: usize) -> KResult<Vec<u8>> {
        Ok(self.inner.lock().space.copy_in_cstr(s.start(), max)?.0)
    }

    /// [`Mm::read_cstr_bytes`] as UTF-8 text (`EINVAL` otherwise).
    pub fn read_cstr(&self, s: UserCStr, max: usize) -> KResult<String> {
        String::from_utf8(self.read_cstr_bytes(s, max)?).map_err(|_| Errno::EINVAL)
    }

    pub fn protect(&self, range: PageRange, prot: Prot) -> KResult<()> {
        self.inner.lock().space.protect(range, prot)
    }

    pub fn unmap(&self, range: PageRange) {
        self.inner.lock().space.unmap(range)
    }

    /// True if a mapping covers `addr`: a fault there that cannot be
    /// resolved is an access error (SEGV_ACCERR), not a missing page.
    pub fn covers(&self, addr: u64) -> bool {
        let page = PageRange::covering(addr, 1);
        self.inner.try_lock().is_some_and(|g| page.is_some_and(|p| g.space.is_mapped(p)))
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

    /// The strings of a NULL-terminated user array of string pointers
    /// (execve's argv/envp), at most `max_total` bytes counted as Linux
    /// does (each string, its NUL and its pointer); `E2BIG` beyond.
    pub fn read_cstr_array(&self, array: UserPtr<u64>, max_total: usize) -> KResult<Vec<String>> {
        let mut out = Vec::new();
        if array.is_null() {
            return Ok(out);
        }
        let mut total = 0usize;
        for i in 0..max_total / 8 {
            let ptr = self.read(array.element(i)?)?;
            if ptr == 0 {
                return Ok(out);
            }
            let s = self.read_cstr(UserCStr::new(ptr), 128 * 1024)?;
            total = total.saturating_add(s.len() + 1 + 8);
            if total > max_total {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Err(Errno::E2BIG)
    }
}
