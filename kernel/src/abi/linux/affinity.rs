//! sched_getaffinity(204) / sched_setaffinity(203): CPU masks, sized in
//! bytes by the caller and in 64-bit words by the kernel (`nr_cpu_ids`
//! rounded up, as Linux's `cpumask_size`), over the CPUs `sched::cpus`
//! names. The scheduler has one CPU, so every thread's mask is the online
//! set: a new mask is checked (it must hold an online CPU) and not kept.
//! May call: `sched::cpus`, the caller's PID namespace.

use alloc::sync::Arc;
use errno::Errno;
use linux_abi::UserPtr;

use super::SysResult;
use crate::sched::cpus;
use crate::task::{Process, Task};

/// Bytes of a kernel CPU mask.
fn mask_bytes() -> usize {
    cpus::online().div_ceil(64) * 8
}

/// The process of thread `pid` (0: the caller), ESRCH if none.
fn target(p: &Task, pid: i32) -> Result<Arc<Process>, Errno> {
    match pid {
        0 => Ok(p.proc.clone()),
        n if n < 0 => Err(Errno::ESRCH),
        n => p.proc.ns.get(n as u32).ok_or(Errno::ESRCH),
    }
}

/// sched_getaffinity(pid, len, mask): the number of bytes written.
pub fn sched_getaffinity(p: &mut Task, pid: i32, len: u32, mask: UserPtr<u64>) -> SysResult {
    let len = len as usize;
    if len * 8 < cpus::online() || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    target(p, pid)?;
    let n = len.min(mask_bytes());
    let bytes: alloc::vec::Vec<u8> = cpus::online_mask(n / 8).iter().flat_map(|w| w.to_le_bytes()).collect();
    p.space.copy_out(mask.array(n / 8)?, &bytes)?;
    Ok(n)
}

/// sched_setaffinity(pid, len, mask): EINVAL for a mask without an online
/// CPU, EPERM for another user's thread without `CAP_SYS_NICE`.
pub fn sched_setaffinity(p: &mut Task, pid: i32, len: u32, mask: UserPtr<u64>) -> SysResult {
    let words = mask_bytes() / 8;
    let len = (len as usize).min(mask_bytes());
    let mut bytes = alloc::vec![0u8; words * 8];
    let src = mask.cast::<u8>().array(len)?;
    p.space.copy_in(src, &mut bytes[..len])?;
    let target = target(p, pid)?;
    let owner = {
        let c = target.cred.lock();
        p.cred.euid == c.euid || p.cred.euid == c.ruid
    };
    if !owner && !p.cred.capable(creds::Cap::SYS_NICE) {
        return Err(Errno::EPERM);
    }
    let online = cpus::online_mask(words);
    let wanted = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
    if !wanted.zip(online).any(|(w, o)| w & o != 0) {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
