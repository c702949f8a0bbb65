//! Restartable sequences (rseq(2)): the user structs and Linux's rules for
//! registering an area and for aborting a critical section.
//!
//! A thread registers a `struct rseq` ([`RseqArea`]); the kernel writes the
//! CPU number into it before the thread returns to user mode. When the
//! thread is preempted or gets a signal while its instruction pointer is
//! inside the critical section its `rseq_cs` field describes
//! ([`RseqCs`]), the kernel moves it to the section's abort handler, whose
//! preceding 4 bytes must hold the signature given at registration.

use errno::Errno;

use crate::user::USER_END;

/// `struct rseq` as first defined: 32 bytes, 32-byte aligned.
pub const ORIG_RSEQ_SIZE: u32 = 32;
/// `offsetof(struct rseq, end)`: the fields the kernel knows (6.3+).
pub const RSEQ_FEATURE_SIZE: u32 = 28;
/// `__alignof__(struct rseq)`.
pub const RSEQ_ALIGN: u64 = 32;
pub const RSEQ_FLAG_UNREGISTER: i32 = 1;
/// `cpu_id` of an area that is not registered.
pub const RSEQ_CPU_ID_UNINITIALIZED: u32 = u32::MAX;

/// `struct rseq`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RseqArea {
    pub cpu_id_start: u32,
    pub cpu_id: u32,
    pub rseq_cs: u64,
    pub flags: u32,
    pub node_id: u32,
    pub mm_cid: u32,
    pub pad: u32,
}
abi_struct!(RseqArea, 32 { cpu_id_start, cpu_id, rseq_cs, flags, node_id, mm_cid, pad });

/// Byte offsets of the fields the kernel writes.
pub const RSEQ_CPU_ID_START: usize = 0;
pub const RSEQ_CPU_ID: usize = 4;
pub const RSEQ_CS: usize = 8;
pub const RSEQ_NODE_ID: usize = 20;
pub const RSEQ_MM_CID: usize = 24;

/// `struct rseq_cs`: one critical section.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RseqCs {
    pub version: u32,
    pub flags: u32,
    pub start_ip: u64,
    pub post_commit_offset: u64,
    pub abort_ip: u64,
}
abi_struct!(RseqCs, 32 { version, flags, start_ip, post_commit_offset, abort_ip });

/// One thread's registration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Registration {
    pub addr: u64,
    pub len: u32,
    pub sig: u32,
}

/// What rseq(2) does for (addr, len, flags, sig) given the current
/// registration, in Linux's order of checks: `Ok(Some(r))` registers `r`,
/// `Ok(None)` unregisters (the caller resets the area's ids first).
/// EINVAL for bad flags, a mismatch with the registered area or a bad
/// size/alignment; EPERM for a wrong signature; EBUSY if already
/// registered; EFAULT past user space.
pub fn request(current: Option<Registration>, addr: u64, len: u32, flags: i32, sig: u32) -> Result<Option<Registration>, Errno> {
    if flags & RSEQ_FLAG_UNREGISTER != 0 {
        if flags & !RSEQ_FLAG_UNREGISTER != 0 {
            return Err(Errno::EINVAL);
        }
        let Some(cur) = current.filter(|c| c.addr == addr) else { return Err(Errno::EINVAL) };
        if len != cur.len {
            return Err(Errno::EINVAL);
        }
        if sig != cur.sig {
            return Err(Errno::EPERM);
        }
        return Ok(None);
    }
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(cur) = current {
        if cur.addr != addr || cur.len != len {
            return Err(Errno::EINVAL);
        }
        if cur.sig != sig {
            return Err(Errno::EPERM);
        }
        return Err(Errno::EBUSY);
    }
    let aligned = |a: u64| addr % a == 0;
    if len < ORIG_RSEQ_SIZE
        || (len == ORIG_RSEQ_SIZE && !aligned(u64::from(ORIG_RSEQ_SIZE)))
        || (len != ORIG_RSEQ_SIZE && (!aligned(RSEQ_ALIGN) || len < RSEQ_FEATURE_SIZE))
    {
        return Err(Errno::EINVAL);
    }
    crate::user::check_user_range(addr, len as usize)?;
    Ok(Some(Registration { addr, len, sig }))
}

/// What to do with a thread at `ip` whose area's `rseq_cs` names `cs`, on
/// preemption or signal delivery (`rseq_ip_fixup`). `sig_at_abort` reads
/// the 4 bytes before the abort handler (None: unreadable).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fixup {
    /// Outside the section: clear `rseq_cs`, leave the thread where it is.
    Clear,
    /// Inside: clear `rseq_cs` and continue at this address.
    Abort(u64),
    /// A malformed descriptor or a wrong signature: the thread gets SIGSEGV.
    Invalid,
}

pub fn fixup(cs: &RseqCs, ip: u64, sig: u32, sig_at_abort: impl FnOnce(u64) -> Option<u32>) -> Fixup {
    let end = cs.start_ip.checked_add(cs.post_commit_offset);
    let Some(end) = end else { return Fixup::Invalid };
    if cs.version != 0
        || cs.start_ip >= USER_END
        || end > USER_END
        || cs.abort_ip >= USER_END
        || (cs.abort_ip >= cs.start_ip && cs.abort_ip < end)
        || cs.abort_ip < 4
    {
        return Fixup::Invalid;
    }
    // The deprecated RSEQ_CS_FLAG_NO_RESTART_ON_* flags are refused.
    if cs.flags != 0 {
        return Fixup::Invalid;
    }
    if sig_at_abort(cs.abort_ip - 4) != Some(sig) {
        return Fixup::Invalid;
    }
    if ip >= cs.start_ip && ip < end {
        Fixup::Abort(cs.abort_ip)
    } else {
        Fixup::Clear
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: u32 = 0x5305_3053;

    #[test]
    fn registering() {
        let r = Registration { addr: 0x1000, len: 32, sig: SIG };
        assert_eq!(request(None, 0x1000, 32, 0, SIG), Ok(Some(r)));
        assert_eq!(request(None, 0x1010, 32, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(request(None, 0x1000, 31, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(request(None, 0x1000, 64, 0, SIG).map(|r| r.map(|r| r.len)), Ok(Some(64)));
        assert_eq!(request(None, 0x1000, 32, 2, SIG), Err(Errno::EINVAL));
        assert_eq!(request(None, USER_END - 16, 32, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(request(None, USER_END, 32, 0, SIG), Err(Errno::EFAULT));
        assert_eq!(request(Some(r), 0x1000, 32, 0, SIG), Err(Errno::EBUSY));
        assert_eq!(request(Some(r), 0x1000, 32, 0, 1), Err(Errno::EPERM));
        assert_eq!(request(Some(r), 0x2000, 32, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(request(Some(r), 0x1000, 32, RSEQ_FLAG_UNREGISTER, SIG), Ok(None));
        assert_eq!(request(Some(r), 0x1000, 32, RSEQ_FLAG_UNREGISTER, 7), Err(Errno::EPERM));
        assert_eq!(request(Some(r), 0x1000, 64, RSEQ_FLAG_UNREGISTER, SIG), Err(Errno::EINVAL));
        assert_eq!(request(None, 0x1000, 32, RSEQ_FLAG_UNREGISTER, SIG), Err(Errno::EINVAL));
        assert_eq!(request(Some(r), 0x1000, 32, 3, SIG), Err(Errno::EINVAL));
    }

    #[test]
    fn fixups() {
        let cs = RseqCs { version: 0, flags: 0, start_ip: 0x4000, post_commit_offset: 0x10, abort_ip: 0x4100 };
        let good = |a: u64| (a == 0x40fc).then_some(SIG);
        assert_eq!(fixup(&cs, 0x4008, SIG, good), Fixup::Abort(0x4100));
        assert_eq!(fixup(&cs, 0x4010, SIG, good), Fixup::Clear);
        assert_eq!(fixup(&cs, 0x3fff, SIG, good), Fixup::Clear);
        assert_eq!(fixup(&cs, 0x4008, SIG, |_| Some(0)), Fixup::Invalid);
        assert_eq!(fixup(&cs, 0x4008, SIG, |_| None), Fixup::Invalid);
        assert_eq!(fixup(&RseqCs { abort_ip: 0x4008, ..cs }, 0x4000, SIG, |_| Some(SIG)), Fixup::Invalid);
        assert_eq!(fixup(&RseqCs { version: 1, ..cs }, 0x4008, SIG, good), Fixup::Invalid);
        assert_eq!(fixup(&RseqCs { flags: 1, ..cs }, 0x4008, SIG, good), Fixup::Invalid);
        assert_eq!(fixup(&RseqCs { post_commit_offset: u64::MAX, ..cs }, 0x4008, SIG, good), Fixup::Invalid);
        assert_eq!(fixup(&RseqCs { start_ip: USER_END, ..cs }, 0x4008, SIG, good), Fixup::Invalid);
    }
}
