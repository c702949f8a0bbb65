//! System V IPC: shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl,
//! msgget/msgsnd/msgrcv/msgctl, per IPC namespace.
//!
//! The objects and their rules are the `sysvipc` crate's; this module
//! keeps one [`IpcNs`] per container (the host has its own), copies the
//! user structs, maps segments (anonymous shared memory, `mm::filemap`),
//! and sleeps callers that must wait on the namespace's wait queue (every
//! change wakes it; waiters re-check). A segment's attachments live in
//! the attaching memory ([`Attachment`], kept by fork, dropped by exec and
//! exit, which detaches). SEM_UNDO adjustments are applied when the
//! process ends.
//! munmap of a whole attachment detaches it, as shmdt does.
//! Differences from Linux: an attachment partly unmapped (or moved by
//! mremap) stays counted, as a whole, until the rest goes with shmdt, exec
//! or exit; undo lists are per process (CLONE_SYSVSEM between processes is
//! not shared).
//! May call: `task` (memory, credentials), `mm::filemap`, `sched`, `time`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use errno::Errno;
use linux_abi::structs::{
    IpcPerm64, MsqidDs, Msginfo, SemidDs, Seminfo, Sembuf, ShmInfo, ShmidDs, Shminfo64, Timespec,
};
use linux_abi::{PageRange, UserPtr, USER_END};
use spin::Mutex;
use sysvipc::registry::Lookup;
use sysvipc::{msg, sem, shm, IpcPerm, Namespace, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT};

use super::SysResult;
use crate::mm::filemap::{self, SharedFile};
use crate::mm::user::{Backing, Prot};
use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;
use crate::task::Task;

/// One IPC namespace.
pub struct IpcNs {
    objects: Mutex<Namespace<Arc<SharedFile>>>,
    /// Woken by every change a sleeper may wait for.
    changed: WaitQueue,
}

/// The live namespaces by id (0: the host's; a container's id otherwise).
static NAMESPACES: Mutex<BTreeMap<u64, Weak<IpcNs>>> = Mutex::new(BTreeMap::new());

/// The IPC namespace `id` (made on first use; it ends with its last process).
pub fn namespace(id: u64) -> Arc<IpcNs> {
    let mut all = NAMESPACES.lock();
    all.retain(|_, w| w.strong_count() > 0);
    if let Some(ns) = all.get(&id).and_then(Weak::upgrade) {
        return ns;
    }
    let ns = Arc::new(IpcNs { objects: Mutex::new(Namespace::new()), changed: WaitQueue::new() });
    all.insert(id, Arc::downgrade(&ns));
    ns
}

fn now() -> i64 {
    crate::time::now().0
}

fn id_arg(id: i32) -> Result<u32, Errno> {
    u32::try_from(id).map_err(|_| Errno::EINVAL)
}

fn perm64(p: IpcPerm) -> IpcPerm64 {
    IpcPerm64 { key: p.key, uid: p.uid, gid: p.gid, cuid: p.cuid, cgid: p.cgid, mode: p.mode, seq: p.seq, ..Default::default() }
}

// ---- shared memory ----

/// One attachment of a segment in a memory: detached when dropped.
pub struct Attachment {
    pub start: u64,
    pub len: u64,
    ns: Arc<IpcNs>,
    id: u32,
    /// The process holding it, for `shm_lpid`.
    pid: u32,
}

impl Attachment {
    /// The process that holds it (a forked child's copy is re-owned).
    pub fn set_pid(&mut self, pid: u32) {
        self.pid = pid;
    }

    /// The same attachment in a forked child's copy of the memory (the
    /// forking process is the last to have attached it, as on Linux).
    pub fn fork(&self) -> Attachment {
        if let Ok(seg) = self.ns.objects.lock().shm.get_mut(self.id) {
            seg.attached(self.pid, now());
        }
        Attachment { start: self.start, len: self.len, ns: self.ns.clone(), id: self.id, pid: self.pid }
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let mut objs = self.ns.objects.lock();
        let gone = objs.shm.get_mut(self.id).map(|s| s.detached(self.pid, now())).unwrap_or(false);
        if gone {
            objs.shm.remove(self.id);
        }
    }
}

pub fn shmget(p: &mut Task, key: i32, size: usize, flags: i32) -> SysResult {
    let ns = p.proc.ipc.clone();
    let mut objs = ns.objects.lock();
    match objs.shm.lookup(key, flags, &p.cred)? {
        Lookup::Existing(id) => {
            objs.shm.get(id)?.check_size(size as u64)?;
            Ok(id as usize)
        }
        Lookup::Create => {
            let pages = shm::check_new_size(size as u64)?;
            let total: u64 = objs.shm.iter().map(|(_, s)| s.pages()).sum();
            if total.checked_add(pages).is_none_or(|t| t > shm::SHMALL) {
                return Err(Errno::ENOSPC);
            }
            let memory = filemap::anonymous(p.space.lock().space.charge());
            let (cred, pid, t) = (p.cred.clone(), p.proc.vpid, now());
            let id = objs.shm.insert(key, |seq| {
                shm::Segment::new(sysvipc::Perm::new(key, &cred, flags as u32, seq), size as u64, pid, t, memory)
            })?;
            Ok(id as usize)
        }
    }
}

/// shmat(id, addr, flags): the address rules (EINVAL), the segment
/// (EINVAL), the permission (EACCES), then the mapping: at `addr` (a
/// mapping already there is EINVAL unless SHM_REMAP) or where mmap would
/// put it.
pub fn shmat(p: &mut Task, id: i32, addr: u64, flags: i32) -> SysResult {
    let (at, writable, exec, need) = shm::attach_request(addr, flags)?;
    let id = id_arg(id)?;
    let ns = p.proc.ipc.clone();
    let (memory, size) = {
        let objs = ns.objects.lock();
        let seg = objs.shm.get(id)?;
        seg.perm.check(&p.cred, need)?;
        (seg.memory.clone(), seg.size)
    };
    let len = size.checked_next_multiple_of(shm::SHMLBA).ok_or(Errno::EINVAL)?;
    let prot = Prot { read: true, write: writable, exec };
    let start = {
        let mut mm = p.space.lock();
        let range = match at {
            Some(a) => {
                let range = PageRange::aligned(a, len).filter(|_| a.checked_add(len).is_some_and(|e| e <= USER_END));
                let range = range.ok_or(Errno::EINVAL)?;
                if flags & shm::SHM_REMAP == 0 && mm.space.is_mapped(range) {
                    return Err(Errno::EINVAL);
                }
                range
            }
            None => {
                let range = mm.mmap_top.checked_sub(len).and_then(|s| PageRange::aligned(s, len)).ok_or(Errno::ENOMEM)?;
                mm.mmap_top = range.start();
                range
            }
        };
        mm.space.map(range, prot, writable, Backing::Shared { object: memory, offset: 0 })?;
        range.start()
    };
    let pid = p.proc.vpid;
    {
        let mut objs = ns.objects.lock();
        match objs.shm.get_mut(id) {
            Ok(seg) => seg.attached(pid, now()),
            Err(e) => {
                drop(objs);
                if let Some(range) = PageRange::aligned(start, len) {
                    p.space.unmap(range);
                }
                return Err(e);
            }
        }
    }
    p.space.shm.lock().push(Attachment { start, len, ns, id, pid });
    Ok(start as usize)
}

/// shmdt(addr): EINVAL unless a segment is attached exactly there.
pub fn shmdt(p: &mut Task, addr: u64) -> SysResult {
    if addr % shm::SHMLBA != 0 {
        return Err(Errno::EINVAL);
    }
    let found = {
        let mut list = p.space.shm.lock();
        let i = list.iter().position(|a| a.start == addr).ok_or(Errno::EINVAL)?;
        list.remove(i)
    };
    if let Some(range) = PageRange::aligned(found.start, found.len) {
        p.space.unmap(range);
    }
    drop(found);
    Ok(0)
}

/// munmap took `range` away: a segment attached wholly inside it is
/// detached, as Linux counts attachments by their mappings.
pub fn unmapped(mm: &crate::task::mm::Mm, range: PageRange) {
    let gone: Vec<Attachment> = {
        let mut list = mm.shm.lock();
        let (gone, kept) = core::mem::take(&mut *list)
            .into_iter()
            .partition(|a| range.start() <= a.start && a.start.saturating_add(a.len) <= range.end());
        *list = kept;
        gone
    };
    drop(gone);
}

fn shmid_ds(seg: &shm::Segment<Arc<SharedFile>>) -> ShmidDs {
    ShmidDs {
        shm_perm: perm64(seg.perm.to_user()),
        shm_segsz: seg.size,
        shm_atime: seg.atime,
        shm_dtime: seg.dtime,
        shm_ctime: seg.ctime,
        shm_cpid: seg.cpid as i32,
        shm_lpid: seg.lpid as i32,
        shm_nattch: seg.nattch,
        ..Default::default()
    }
}

pub fn shmctl(p: &mut Task, id: i32, cmd: i32, buf: u64) -> SysResult {
    if cmd < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = p.proc.ipc.clone();
    match cmd {
        IPC_INFO => {
            let info = Shminfo64 {
                shmmax: shm::SHMMAX,
                shmmin: shm::SHMMIN as u64,
                shmmni: shm::SHMMNI as u64,
                shmseg: shm::SHMSEG as u64,
                shmall: shm::SHMALL,
                unused: [0; 4],
            };
            let max = ns.objects.lock().shm.max_index();
            p.space.write(UserPtr::new(buf), &info)?;
            Ok(max as usize)
        }
        shm::SHM_INFO => {
            let (info, max) = {
                let objs = ns.objects.lock();
                let pages: u64 = objs.shm.iter().map(|(_, s)| s.pages()).sum();
                let info = ShmInfo { used_ids: objs.shm.len() as i32, shm_tot: pages, shm_rss: pages, ..Default::default() };
                (info, objs.shm.max_index())
            };
            p.space.write(UserPtr::new(buf), &info)?;
            Ok(max as usize)
        }
        IPC_STAT | shm::SHM_STAT | shm::SHM_STAT_ANY => {
            let (ds, ret) = {
                let objs = ns.objects.lock();
                let id = if cmd == IPC_STAT { id as u32 } else { objs.shm.id_at(id as u32)? };
                let seg = objs.shm.get(id)?;
                if cmd != shm::SHM_STAT_ANY {
                    seg.perm.check(&p.cred, 0o444)?;
                }
                (shmid_ds(seg), if cmd == IPC_STAT { 0 } else { id as usize })
            };
            p.space.write(UserPtr::new(buf), &ds)?;
            Ok(ret)
        }
        IPC_SET => {
            let ds: ShmidDs = p.space.read(UserPtr::new(buf))?;
            let mut objs = ns.objects.lock();
            let seg = objs.shm.get_mut(id as u32)?;
            seg.perm.check_owner(&p.cred)?;
            seg.perm.set(ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.mode);
            seg.ctime = now();
            Ok(0)
        }
        IPC_RMID => {
            let mut objs = ns.objects.lock();
            let seg = objs.shm.get_mut(id as u32)?;
            seg.perm.check_owner(&p.cred)?;
            if seg.mark_removed() {
                objs.shm.remove(id as u32);
            } else {
                objs.shm.forget_key(id as u32);
            }
            Ok(0)
        }
        shm::SHM_LOCK | shm::SHM_UNLOCK => {
            let mut objs = ns.objects.lock();
            let seg = objs.shm.get_mut(id as u32)?;
            if !p.cred.capable(creds::Cap::IPC_LOCK) {
                seg.perm.check_owner(&p.cred)?;
                // Without CAP_IPC_LOCK, locking needs an RLIMIT_MEMLOCK.
                if cmd == shm::SHM_LOCK && p.rlimit(creds::Resource::MEMLOCK) == 0 {
                    return Err(Errno::EPERM);
                }
            }
            // Nothing is ever swapped out: the flag is recorded and reported.
            if cmd == shm::SHM_LOCK {
                seg.perm.mode |= shm::SHM_LOCKED;
            } else {
                seg.perm.mode &= !shm::SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

// ---- semaphores ----

pub fn semget(p: &mut Task, key: i32, nsems: i32, flags: i32) -> SysResult {
    let ns = p.proc.ipc.clone();
    let mut objs = ns.objects.lock();
    sem::check_nsems(nsems, false)?;
    match objs.sem.lookup(key, flags, &p.cred)? {
        Lookup::Existing(id) => {
            if nsems as usize > objs.sem.get(id)?.sems.len() {
                return Err(Errno::EINVAL);
            }
            Ok(id as usize)
        }
        Lookup::Create => {
            let n = sem::check_nsems(nsems, true)?;
            let total: usize = objs.sem.iter().map(|(_, s)| s.sems.len()).sum();
            if total + n > sem::SEMMNS {
                return Err(Errno::ENOSPC);
            }
            let (cred, t) = (p.cred.clone(), now());
            let id = objs.sem.insert(key, |seq| sem::SemSet::new(sysvipc::Perm::new(key, &cred, flags as u32, seq), n, t))?;
            Ok(id as usize)
        }
    }
}

pub fn semop(p: &mut Task, id: i32, sops: UserPtr<Sembuf>, nsops: usize) -> SysResult {
    semtimedop(p, id, sops, nsops, UserPtr::null())
}

/// A unique number per sleeping semop call (its entry in the set's waiters).
static NEXT_WAITER: AtomicU64 = AtomicU64::new(1);

/// semtimedop(id, sops, nsops, timeout): Linux's order of checks: the
/// counts (EINVAL, E2BIG), the operations and timeout (EFAULT, EINVAL),
/// the set (EINVAL), the semaphore numbers (EFBIG), the access (EACCES);
/// then all the operations at once, or a wait until they can be (EAGAIN
/// with IPC_NOWAIT or when the timeout passes, EIDRM if the set goes,
/// EINTR for a signal).
pub fn semtimedop(p: &mut Task, id: i32, sops: UserPtr<Sembuf>, nsops: usize, timeout: UserPtr<Timespec>) -> SysResult {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    sem::check_nsops(nsops)?;
    let ops: Vec<sem::SemBuf> =
        p.space.read_array(sops, nsops)?.into_iter().map(|b| sem::SemBuf { num: b.sem_num, op: b.sem_op, flg: b.sem_flg }).collect();
    let deadline = match super::timeout_ms(p, timeout)? {
        None => None,
        Some(ms) => Some(crate::time::ticks().saturating_add(ms.saturating_mul(u64::from(crate::time::HZ)) / 1000)),
    };
    let id = id as u32;
    let ns = p.proc.ipc.clone();
    ns.objects.lock().sem.get(id)?.check_ops(&ops, &p.cred)?;
    let (pid, owner) = (p.proc.vpid, u64::from(p.proc.pid));
    if ops.iter().any(|o| o.flg & sem::SEM_UNDO != 0) {
        p.proc.sem_undo.store(true, Ordering::Relaxed);
    }
    let waiter = NEXT_WAITER.fetch_add(1, Ordering::Relaxed);
    let attempt = || -> Option<Result<(), Errno>> {
        let mut objs = ns.objects.lock();
        let Ok(set) = objs.sem.get_mut(id) else { return Some(Err(Errno::EIDRM)) };
        set.remove_waiter(waiter);
        match set.semop(&ops, pid, owner, now()) {
            Err(e) => Some(Err(e)),
            Ok(None) => Some(Ok(())),
            Ok(Some(blocked)) if blocked.nowait => Some(Err(Errno::EAGAIN)),
            Ok(Some(blocked)) => {
                set.add_waiter(waiter, blocked);
                None
            }
        }
    };
    let result = match ns.changed.wait_interruptible(attempt, deadline) {
        Ok(r) => r,
        Err(why) => {
            if let Ok(set) = ns.objects.lock().sem.get_mut(id) {
                set.remove_waiter(waiter);
            }
            Err(why.errno())
        }
    };
    if result.is_ok() {
        // Values changed: others may now proceed.
        ns.changed.wake_all();
    }
    result.map(|_| 0)
}

fn semid_ds(set: &sem::SemSet) -> SemidDs {
    SemidDs {
        sem_perm: perm64(set.perm.to_user()),
        sem_otime: set.otime,
        sem_ctime: set.ctime,
        sem_nsems: set.sems.len() as u64,
        ..Default::default()
    }
}

/// `SEMUSZ`, IPC_INFO's fixed `semusz` (the size of Linux's undo struct).
const SEMUSZ: i32 = 20;

fn seminfo(objs: &Namespace<Arc<SharedFile>>, usage: bool) -> Seminfo {
    let mut info = Seminfo {
        semmap: sem::SEMMNS as i32,
        semmni: sem::SEMMNI as i32,
        semmns: sem::SEMMNS as i32,
        semmnu: sem::SEMMNS as i32,
        semmsl: sem::SEMMSL as i32,
        semopm: sem::SEMOPM as i32,
        semume: sem::SEMOPM as i32,
        semusz: SEMUSZ,
        semvmx: sem::SEMVMX,
        semaem: sem::SEMAEM,
    };
    if usage {
        // SEM_INFO: sets in use and semaphores in use.
        info.semusz = objs.sem.len() as i32;
        info.semaem = objs.sem.iter().map(|(_, s)| s.sems.len()).sum::<usize>() as i32;
    }
    info
}

/// semctl(id, num, cmd, arg): `arg` is the `union semun` (a value for
/// SETVAL, a pointer otherwise).
pub fn semctl(p: &mut Task, id: i32, num: i32, cmd: i32, arg: u64) -> SysResult {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = p.proc.ipc.clone();
    let (pid, t) = (p.proc.vpid, now());
    let changed = |r: SysResult| {
        if r.is_ok() {
            ns.changed.wake_all();
        }
        r
    };
    match cmd {
        IPC_INFO | sem::SEM_INFO => {
            let (info, max) = {
                let objs = ns.objects.lock();
                (seminfo(&objs, cmd == sem::SEM_INFO), objs.sem.max_index())
            };
            p.space.write(UserPtr::new(arg), &info)?;
            Ok(max as usize)
        }
        IPC_STAT | sem::SEM_STAT | sem::SEM_STAT_ANY => {
            let (ds, ret) = {
                let objs = ns.objects.lock();
                let id = if cmd == IPC_STAT { id as u32 } else { objs.sem.id_at(id as u32)? };
                let set = objs.sem.get(id)?;
                if cmd != sem::SEM_STAT_ANY {
                    set.perm.check(&p.cred, 0o444)?;
                }
                (semid_ds(set), if cmd == IPC_STAT { 0 } else { id as usize })
            };
            p.space.write(UserPtr::new(arg), &ds)?;
            Ok(ret)
        }
        IPC_SET => {
            let ds: SemidDs = p.space.read(UserPtr::new(arg))?;
            let mut objs = ns.objects.lock();
            let set = objs.sem.get_mut(id as u32)?;
            set.perm.check_owner(&p.cred)?;
            set.perm.set(ds.sem_perm.uid, ds.sem_perm.gid, ds.sem_perm.mode);
            set.ctime = t;
            Ok(0)
        }
        IPC_RMID => {
            let mut objs = ns.objects.lock();
            objs.sem.get(id as u32)?.perm.check_owner(&p.cred)?;
            objs.sem.remove(id as u32);
            drop(objs);
            changed(Ok(0))
        }
        sem::GETVAL | sem::GETPID | sem::GETNCNT | sem::GETZCNT => {
            let objs = ns.objects.lock();
            let set = objs.sem.get(id as u32)?;
            set.perm.check(&p.cred, 0o444)?;
            let n = u16::try_from(num).ok().filter(|&n| usize::from(n) < set.sems.len()).ok_or(Errno::EINVAL)?;
            Ok(match cmd {
                sem::GETVAL => set.getval(num)? as usize,
                sem::GETPID => set.getpid(num)? as usize,
                sem::GETNCNT => set.count_waiters(n, false),
                _ => set.count_waiters(n, true),
            })
        }
        sem::GETALL => {
            let vals = {
                let objs = ns.objects.lock();
                let set = objs.sem.get(id as u32)?;
                set.perm.check(&p.cred, 0o444)?;
                set.getall()
            };
            p.space.copy_out(UserPtr::<u16>::new(arg).array(vals.len())?, &u16_bytes(&vals))?;
            Ok(0)
        }
        sem::SETVAL => {
            let val = arg as u32 as i32;
            if !(0..=sem::SEMVMX).contains(&val) {
                return Err(Errno::ERANGE);
            }
            let mut objs = ns.objects.lock();
            let set = objs.sem.get_mut(id as u32)?;
            if usize::try_from(num).map_or(true, |n| n >= set.sems.len()) {
                return Err(Errno::EINVAL);
            }
            set.perm.check(&p.cred, 0o222)?;
            set.setval(num, val, pid, t)?;
            drop(objs);
            changed(Ok(0))
        }
        sem::SETALL => {
            let n = {
                let objs = ns.objects.lock();
                let set = objs.sem.get(id as u32)?;
                set.perm.check(&p.cred, 0o222)?;
                set.sems.len()
            };
            let mut raw = vec![0u8; n * 2];
            p.space.copy_in(UserPtr::<u16>::new(arg).array(n)?, &mut raw)?;
            let vals: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let mut objs = ns.objects.lock();
            let set = objs.sem.get_mut(id as u32)?;
            if set.sems.len() != vals.len() {
                return Err(Errno::EIDRM);
            }
            set.setall(&vals, pid, t)?;
            drop(objs);
            changed(Ok(0))
        }
        _ => Err(Errno::EINVAL),
    }
}

fn u16_bytes(vals: &[u16]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A process that used SEM_UNDO ends: its adjustments are applied.
pub fn exit_sem(p: &crate::task::Process) {
    if !p.sem_undo.load(Ordering::Relaxed) {
        return;
    }
    let ns = p.ipc.clone();
    let mut any = false;
    {
        let mut objs = ns.objects.lock();
        for id in objs.sem.ids() {
            if let Ok(set) = objs.sem.get_mut(id) {
                any |= set.apply_undo(u64::from(p.pid), p.vpid);
            }
        }
    }
    if any {
        ns.changed.wake_all();
    }
}

// ---- message queues ----

pub fn msgget(p: &mut Task, key: i32, flags: i32) -> SysResult {
    let ns = p.proc.ipc.clone();
    let mut objs = ns.objects.lock();
    match objs.msg.lookup(key, flags, &p.cred)? {
        Lookup::Existing(id) => Ok(id as usize),
        Lookup::Create => {
            let (cred, t) = (p.cred.clone(), now());
            let id = objs.msg.insert(key, |seq| msg::Queue::new(sysvipc::Perm::new(key, &cred, flags as u32, seq), t))?;
            Ok(id as usize)
        }
    }
}

/// msgsnd(id, msgp, size, flags): the type is read first (EFAULT), then
/// the size and type checked (EINVAL), the text copied, the queue found
/// (EINVAL) and its access checked (EACCES); a full queue makes the caller
/// wait (EAGAIN with IPC_NOWAIT, EIDRM if the queue goes, EINTR).
pub fn msgsnd(p: &mut Task, id: i32, msgp: u64, size: usize, flags: i32) -> SysResult {
    let mtype: i64 = p.space.read(UserPtr::new(msgp))?;
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    msg::check_send(size, mtype)?;
    let mut text = vec![0u8; size];
    p.space.copy_in(UserPtr::<u8>::new(msgp.checked_add(8).ok_or(Errno::EFAULT)?).array(size)?, &mut text)?;
    let id = id as u32;
    let ns = p.proc.ipc.clone();
    ns.objects.lock().msg.get(id)?.perm.check(&p.cred, 0o222)?;
    let pid = p.proc.vpid;
    let attempt = || -> Option<Result<(), Errno>> {
        let mut objs = ns.objects.lock();
        let Ok(q) = objs.msg.get_mut(id) else { return Some(Err(Errno::EIDRM)) };
        if q.send(mtype, &text, pid, now()) {
            Some(Ok(()))
        } else if flags & IPC_NOWAIT != 0 {
            Some(Err(Errno::EAGAIN))
        } else {
            None
        }
    };
    let result = ns.changed.wait_interruptible(attempt, None).unwrap_or_else(|why: Interrupted| Err(why.errno()));
    if result.is_ok() {
        ns.changed.wake_all();
    }
    result.map(|_| 0)
}

/// msgrcv(id, msgp, size, msgtyp, flags): the message is taken (or
/// copied with MSG_COPY) when one matches, else the caller waits (ENOMSG
/// with IPC_NOWAIT). Returns the text's length.
pub fn msgrcv(p: &mut Task, id: i32, msgp: u64, size: usize, msgtyp: i64, flags: i32) -> SysResult {
    if id < 0 || (size as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let copy = flags & msg::MSG_COPY != 0;
    if copy && (flags & msg::MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL);
    }
    let id = id as u32;
    let ns = p.proc.ipc.clone();
    ns.objects.lock().msg.get(id)?.perm.check(&p.cred, 0o444)?;
    let pid = p.proc.vpid;
    let attempt = || -> Option<Result<msg::Message, Errno>> {
        let mut objs = ns.objects.lock();
        let Ok(q) = objs.msg.get_mut(id) else { return Some(Err(Errno::EIDRM)) };
        let taken = if copy {
            q.peek(usize::try_from(msgtyp).unwrap_or(usize::MAX), size, flags)
        } else {
            q.receive(size, msgtyp, flags, pid, now())
        };
        match taken {
            Err(e) => Some(Err(e)),
            Ok(Some(m)) => Some(Ok(m)),
            Ok(None) if flags & IPC_NOWAIT != 0 => Some(Err(Errno::ENOMSG)),
            Ok(None) => None,
        }
    };
    let m = ns.changed.wait_interruptible(attempt, None).unwrap_or_else(|why: Interrupted| Err(why.errno()))?;
    if !copy {
        // Room appeared for senders.
        ns.changed.wake_all();
    }
    p.space.write(UserPtr::<i64>::new(msgp), &m.mtype)?;
    let text_at = UserPtr::<u8>::new(msgp.checked_add(8).ok_or(Errno::EFAULT)?);
    p.space.copy_out(text_at.array(m.text.len())?, &m.text)?;
    Ok(m.text.len())
}

fn msqid_ds(q: &msg::Queue) -> MsqidDs {
    MsqidDs {
        msg_perm: perm64(q.perm.to_user()),
        msg_stime: q.stime,
        msg_rtime: q.rtime,
        msg_ctime: q.ctime,
        msg_cbytes: q.cbytes as u64,
        msg_qnum: q.messages.len() as u64,
        msg_qbytes: q.qbytes as u64,
        msg_lspid: q.lspid as i32,
        msg_lrpid: q.lrpid as i32,
        ..Default::default()
    }
}

pub fn msgctl(p: &mut Task, id: i32, cmd: i32, buf: u64) -> SysResult {
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = p.proc.ipc.clone();
    match cmd {
        IPC_INFO | msg::MSG_INFO => {
            let (info, max) = {
                let objs = ns.objects.lock();
                let mut info = Msginfo {
                    msgpool: msg::MSGPOOL as i32,
                    msgmap: msg::MSGMAP as i32,
                    msgmax: msg::MSGMAX as i32,
                    msgmnb: msg::MSGMNB as i32,
                    msgmni: msg::MSGMNI as i32,
                    msgssz: msg::MSGSSZ as i32,
                    msgtql: msg::MSGTQL as i32,
                    msgseg: msg::MSGSEG as u16,
                    pad: 0,
                };
                if cmd == msg::MSG_INFO {
                    // Usage instead: queues in use, messages and bytes queued.
                    info.msgpool = objs.msg.len() as i32;
                    info.msgmap = objs.msg.iter().map(|(_, q)| q.messages.len()).sum::<usize>() as i32;
                    info.msgtql = objs.msg.iter().map(|(_, q)| q.cbytes).sum::<usize>() as i32;
                }
                (info, objs.msg.max_index())
            };
            p.space.write(UserPtr::new(buf), &info)?;
            Ok(max as usize)
        }
        IPC_STAT | msg::MSG_STAT | msg::MSG_STAT_ANY => {
            let (ds, ret) = {
                let objs = ns.objects.lock();
                let id = if cmd == IPC_STAT { id as u32 } else { objs.msg.id_at(id as u32)? };
                let q = objs.msg.get(id)?;
                if cmd != msg::MSG_STAT_ANY {
                    q.perm.check(&p.cred, 0o444)?;
                }
                (msqid_ds(q), if cmd == IPC_STAT { 0 } else { id as usize })
            };
            p.space.write(UserPtr::new(buf), &ds)?;
            Ok(ret)
        }
        IPC_SET => {
            let ds: MsqidDs = p.space.read(UserPtr::new(buf))?;
            let mut objs = ns.objects.lock();
            let q = objs.msg.get_mut(id as u32)?;
            q.perm.check_owner(&p.cred)?;
            if ds.msg_qbytes > msg::MSGMNB as u64 && !p.cred.capable(creds::Cap::SYS_RESOURCE) {
                return Err(Errno::EPERM);
            }
            q.qbytes = usize::try_from(ds.msg_qbytes).unwrap_or(usize::MAX);
            q.perm.set(ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.mode);
            q.ctime = now();
            drop(objs);
            ns.changed.wake_all();
            Ok(0)
        }
        IPC_RMID => {
            let mut objs = ns.objects.lock();
            objs.msg.get(id as u32)?.perm.check_owner(&p.cred)?;
            objs.msg.remove(id as u32);
            drop(objs);
            ns.changed.wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
