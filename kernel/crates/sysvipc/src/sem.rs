//! Semaphore sets: semget's limits, semop's all-or-nothing operations with
//! SEM_UNDO adjustments, and the semctl value commands.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use errno::Errno;

use crate::perm::Perm;
use crate::registry::Object;

pub const SEMMSL: usize = 32000;
pub const SEMMNI: usize = 32000;
pub const SEMMNS: usize = SEMMNI * SEMMSL;
pub const SEMOPM: usize = 500;
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
pub const SEM_UNDO: i16 = 0x1000;
pub const IPC_NOWAIT: i16 = 0o4000;

/// semctl commands.
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;

/// `struct sembuf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemBuf {
    pub num: u16,
    pub op: i16,
    pub flg: i16,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sem {
    pub val: i32,
    /// The pid of the last process that changed it.
    pub pid: u32,
}

/// Who owns SEM_UNDO adjustments (a process).
pub type UndoOwner = u64;

pub struct SemSet {
    pub perm: Perm,
    pub sems: Vec<Sem>,
    pub otime: i64,
    pub ctime: i64,
    /// Blocked semop callers: (waiter, semaphore it waits on, waits for zero).
    waiters: BTreeMap<u64, (u16, bool)>,
    /// SEM_UNDO adjustments, per owner.
    undo: BTreeMap<UndoOwner, Vec<i32>>,
}

impl Object for SemSet {
    fn perm(&self) -> &Perm {
        &self.perm
    }
    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

/// semop's verdict when it cannot complete now: the operation that must
/// wait is on semaphore `num`, for it to become zero (`zero`) or to grow;
/// with `nowait` (that operation's IPC_NOWAIT) the call fails with EAGAIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub num: u16,
    pub zero: bool,
    pub nowait: bool,
}

/// semget's check of `nsems` (EINVAL past SEMMSL, or 0 for a new set).
pub fn check_nsems(nsems: i32, creating: bool) -> Result<usize, Errno> {
    let n = usize::try_from(nsems).map_err(|_| Errno::EINVAL)?;
    if n > SEMMSL || (creating && n == 0) {
        return Err(Errno::EINVAL);
    }
    Ok(n)
}

/// The checks of semop before the set is looked up: EINVAL for no
/// operation, E2BIG past SEMOPM.
pub fn check_nsops(nsops: usize) -> Result<(), Errno> {
    if nsops < 1 {
        return Err(Errno::EINVAL);
    }
    if nsops > SEMOPM {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

impl SemSet {
    pub fn new(perm: Perm, nsems: usize, now: i64) -> SemSet {
        SemSet { perm, sems: vec![Sem::default(); nsems], otime: 0, ctime: now, waiters: BTreeMap::new(), undo: BTreeMap::new() }
    }

    /// The set's size check and the access semop needs: EFBIG for a
    /// semaphore number past the set, then the permission (altering
    /// operations need write access).
    pub fn check_ops(&self, ops: &[SemBuf], cred: &creds::Cred) -> Result<(), Errno> {
        if ops.iter().any(|o| usize::from(o.num) >= self.sems.len()) {
            return Err(Errno::EFBIG);
        }
        let alter = ops.iter().any(|o| o.op != 0);
        self.perm.check(cred, if alter { 0o222 } else { 0o444 })
    }

    /// Tries the operations all at once (`perform_atomic_semop`): either
    /// every one applies, in order, or none does. ERANGE for a value or
    /// undo adjustment out of range; an operation that must wait makes
    /// the whole call wait (`Ok(Some(Blocked))`).
    pub fn semop(&mut self, ops: &[SemBuf], pid: u32, owner: UndoOwner, now: i64) -> Result<Option<Blocked>, Errno> {
        let mut vals: Vec<i32> = self.sems.iter().map(|s| s.val).collect();
        let mut adj = self.undo.get(&owner).cloned().unwrap_or_else(|| vec![0; self.sems.len()]);
        for o in ops {
            let i = usize::from(o.num);
            let (Some(v), Some(a)) = (vals.get_mut(i), adj.get_mut(i)) else { return Err(Errno::EFBIG) };
            if o.op == 0 {
                if *v != 0 {
                    return Ok(Some(Blocked { num: o.num, zero: true, nowait: o.flg & IPC_NOWAIT != 0 }));
                }
                continue;
            }
            let result = *v + i32::from(o.op);
            if result < 0 {
                return Ok(Some(Blocked { num: o.num, zero: false, nowait: o.flg & IPC_NOWAIT != 0 }));
            }
            if result > SEMVMX {
                return Err(Errno::ERANGE);
            }
            if o.flg & SEM_UNDO != 0 {
                let undo = *a - i32::from(o.op);
                if !(-SEMAEM - 1..=SEMAEM).contains(&undo) {
                    return Err(Errno::ERANGE);
                }
                *a = undo;
            }
            *v = result;
        }
        for (i, (s, v)) in self.sems.iter_mut().zip(&vals).enumerate() {
            if ops.iter().any(|o| usize::from(o.num) == i) {
                s.val = *v;
                s.pid = pid;
            }
        }
        if ops.iter().any(|o| o.flg & SEM_UNDO != 0) {
            self.undo.insert(owner, adj);
        }
        self.otime = now;
        Ok(None)
    }

    /// A caller sleeps in semop (`waiter` is unique to that call).
    pub fn add_waiter(&mut self, waiter: u64, b: Blocked) {
        self.waiters.insert(waiter, (b.num, b.zero));
    }

    pub fn remove_waiter(&mut self, waiter: u64) {
        self.waiters.remove(&waiter);
    }

    /// GETNCNT / GETZCNT.
    pub fn count_waiters(&self, num: u16, zero: bool) -> usize {
        self.waiters.values().filter(|&&(n, z)| n == num && z == zero).count()
    }

    fn sem(&self, num: i32) -> Result<&Sem, Errno> {
        usize::try_from(num).ok().and_then(|i| self.sems.get(i)).ok_or(Errno::EINVAL)
    }

    pub fn getval(&self, num: i32) -> Result<i32, Errno> {
        self.sem(num).map(|s| s.val)
    }

    pub fn getpid(&self, num: i32) -> Result<u32, Errno> {
        self.sem(num).map(|s| s.pid)
    }

    /// SETVAL: ERANGE outside 0..=SEMVMX; clears every SEM_UNDO
    /// adjustment of that semaphore.
    pub fn setval(&mut self, num: i32, val: i32, pid: u32, now: i64) -> Result<(), Errno> {
        let i = usize::try_from(num).ok().filter(|&i| i < self.sems.len()).ok_or(Errno::EINVAL)?;
        if !(0..=SEMVMX).contains(&val) {
            return Err(Errno::ERANGE);
        }
        self.sems[i] = Sem { val, pid };
        for adj in self.undo.values_mut() {
            if let Some(a) = adj.get_mut(i) {
                *a = 0;
            }
        }
        self.ctime = now;
        Ok(())
    }

    /// SETALL: ERANGE for any value past SEMVMX; clears all adjustments.
    pub fn setall(&mut self, vals: &[u16], pid: u32, now: i64) -> Result<(), Errno> {
        if vals.iter().any(|&v| i32::from(v) > SEMVMX) {
            return Err(Errno::ERANGE);
        }
        for (s, &v) in self.sems.iter_mut().zip(vals) {
            *s = Sem { val: i32::from(v), pid };
        }
        self.undo.clear();
        self.ctime = now;
        Ok(())
    }

    pub fn getall(&self) -> Vec<u16> {
        self.sems.iter().map(|s| s.val as u16).collect()
    }

    /// A process ends: its adjustments are applied (each value clamped to
    /// 0..=SEMVMX, as Linux's exit_sem does); true if any value changed.
    pub fn apply_undo(&mut self, owner: UndoOwner, pid: u32) -> bool {
        let Some(adj) = self.undo.remove(&owner) else { return false };
        let mut changed = false;
        for (s, a) in self.sems.iter_mut().zip(adj) {
            if a != 0 {
                s.val = (s.val + a).clamp(0, SEMVMX);
                s.pid = pid;
                changed = true;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn set(n: usize) -> SemSet {
        SemSet::new(Perm::new(0, &creds::Cred::new(0, 0, Vec::new()), 0o600, 0), n, 1)
    }

    fn op(num: u16, op: i16, flg: i16) -> SemBuf {
        SemBuf { num, op, flg }
    }

    #[test]
    fn atomic_operations() {
        let mut s = set(2);
        assert_eq!(s.semop(&[op(0, 1, 0), op(1, -1, 0)], 7, 1, 5), Ok(Some(Blocked { num: 1, zero: false, nowait: false })));
        assert_eq!(s.getall(), vec![0, 0]);
        assert_eq!(s.semop(&[op(0, 2, 0), op(0, -1, 0)], 7, 1, 5), Ok(None));
        assert_eq!((s.getval(0), s.getpid(0), s.getpid(1), s.otime), (Ok(1), Ok(7), Ok(0), 5));
        assert_eq!(s.semop(&[op(1, 0, 0)], 8, 1, 6), Ok(None));
        assert_eq!(s.semop(&[op(0, 0, 0)], 8, 1, 6), Ok(Some(Blocked { num: 0, zero: true, nowait: false })));
        assert_eq!(s.semop(&[op(0, 32767, 0)], 8, 1, 6), Err(Errno::ERANGE));
        assert_eq!(s.semop(&[op(2, 1, 0)], 8, 1, 6), Err(Errno::EFBIG));
        assert_eq!(check_nsops(0), Err(Errno::EINVAL));
        assert_eq!(check_nsops(501), Err(Errno::E2BIG));
        assert_eq!(check_nsems(0, true), Err(Errno::EINVAL));
        assert_eq!(check_nsems(0, false), Ok(0));
        assert_eq!(check_nsems(32001, false), Err(Errno::EINVAL));
        assert_eq!(check_nsems(-1, false), Err(Errno::EINVAL));
    }

    #[test]
    fn undo() {
        let mut s = set(1);
        assert_eq!(s.semop(&[op(0, 3, SEM_UNDO)], 7, 1, 5), Ok(None));
        assert_eq!(s.semop(&[op(0, -1, SEM_UNDO)], 8, 2, 5), Ok(None));
        assert_eq!(s.getval(0), Ok(2));
        assert!(s.apply_undo(1, 7));
        assert_eq!(s.getval(0), Ok(0)); // 2 - 3 clamps to 0
        assert!(s.apply_undo(2, 8));
        assert_eq!(s.getval(0), Ok(1));
        assert!(!s.apply_undo(2, 8));
        s.semop(&[op(0, 5, SEM_UNDO)], 7, 1, 5).unwrap();
        s.setval(0, 9, 9, 6).unwrap();
        assert!(!s.apply_undo(1, 7)); // SETVAL cleared the adjustment
        assert_eq!(s.getval(0), Ok(9));
        assert_eq!(s.setval(0, -1, 9, 6), Err(Errno::ERANGE));
        assert_eq!(s.setval(0, 32768, 9, 6), Err(Errno::ERANGE));
        assert_eq!(s.setval(1, 1, 9, 6), Err(Errno::EINVAL));
        assert_eq!(s.setall(&[40000], 9, 6), Err(Errno::ERANGE));
        s.add_waiter(1, Blocked { num: 0, zero: true, nowait: false });
        s.add_waiter(2, Blocked { num: 0, zero: false, nowait: false });
        s.add_waiter(3, Blocked { num: 0, zero: false, nowait: false });
        assert_eq!(
            s.semop(&[op(0, 1, 0), op(0, -20, IPC_NOWAIT)], 1, 1, 1),
            Ok(Some(Blocked { num: 0, zero: false, nowait: true }))
        );
        assert_eq!((s.count_waiters(0, true), s.count_waiters(0, false)), (1, 2));
        s.remove_waiter(2);
        assert_eq!(s.count_waiters(0, false), 1);
    }
}
