//! A file's owner and O_ASYNC: fcntl F_SETOWN/F_GETOWN/F_SETOWN_EX/
//! F_GETOWN_EX, ioctl FIOASYNC, and the SIGIO they ask for.
//!
//! Role: the owner (a thread, process or process group, by its number in
//! the setter's PID namespace) belongs to the open file, so dup'ed
//! descriptors share it, as on Linux. While O_ASYNC is set (F_SETFL or
//! FIOASYNC) the open file keeps an observer on its object's pollees
//! (`file::PollTable`): when the object reports input, an error or a
//! hang-up, the owner gets SIGIO (SI_KERNEL, as Linux sends it without
//! F_SETSIG). Limits: no SIGIO for room to write (Linux sends POLL_OUT
//! after a full socket drains) and none for urgent data (SIGURG); a
//! thread owner (F_OWNER_TID) is signalled as its process.
//! May call: `task` (files, PID namespace, signals), `file` (pollees).

use alloc::sync::{Arc, Weak};
use errno::Errno;
use linux_abi::flags::OpenFlags;
use linux_abi::signal::Signal;
use linux_abi::{IoctlArg, UserPtr};

use super::SysResult;
use crate::file::{ev, Observer, PollTable};
use crate::task::files::OpenFile;
use crate::task::pidns::PidNs;
use crate::task::Task;

pub const F_OWNER_TID: i32 = 0;
pub const F_OWNER_PID: i32 = 1;
pub const F_OWNER_PGRP: i32 = 2;
const O_ASYNC: u32 = OpenFlags::FASYNC.bits();

/// `struct f_owner_ex`, and the namespace its pid is a number in; pid 0
/// is no owner.
#[derive(Clone, Default)]
pub struct Owner {
    pub kind: i32,
    pub pid: i32,
    ns: Option<Arc<PidNs>>,
}

impl Owner {
    fn to_bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.kind.to_le_bytes());
        b[4..].copy_from_slice(&self.pid.to_le_bytes());
        b
    }

    /// Sends `signal` to the owner, if it still exists.
    fn signal(&self, signal: Signal) {
        let (Some(ns), Ok(n)) = (&self.ns, u32::try_from(self.pid)) else { return };
        if self.kind == F_OWNER_PGRP {
            for p in ns.group(n) {
                crate::task::signal::send_to_process(&p, signal);
            }
        } else if let Some(p) = ns.get(n) {
            crate::task::signal::send_to_process(&p, signal);
        }
    }
}

/// ESRCH unless `pid` names something of `kind` in the caller's namespace.
fn check_exists(p: &Task, kind: i32, pid: i32) -> Result<(), Errno> {
    let n = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let ns = &p.proc.ns;
    let found = ns.get(n).is_some() || (kind == F_OWNER_PGRP && !ns.group(n).is_empty());
    if found {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

fn set(p: &Task, file: &OpenFile, kind: i32, pid: i32) -> SysResult {
    let owner = if pid == 0 {
        Owner::default()
    } else {
        check_exists(p, kind, pid)?;
        Owner { kind, pid, ns: Some(p.proc.ns.clone()) }
    };
    *file.owner.lock() = owner;
    Ok(0)
}

/// F_SETOWN: a pid, or minus a process group; 0 clears.
pub fn setown(p: &Task, file: &OpenFile, arg: i32) -> SysResult {
    match arg {
        // -INT_MIN has no positive value (Linux: EINVAL).
        i32::MIN => Err(Errno::EINVAL),
        n if n < 0 => set(p, file, F_OWNER_PGRP, -n),
        n => set(p, file, F_OWNER_PID, n),
    }
}

/// F_GETOWN: the pid, or minus the process group.
pub fn getown(file: &OpenFile) -> SysResult {
    let o = file.owner.lock().clone();
    let v = if o.kind == F_OWNER_PGRP { -o.pid } else { o.pid };
    Ok(v as isize as usize)
}

pub fn setown_ex(p: &Task, file: &OpenFile, arg: u64) -> SysResult {
    let raw: [u8; 8] = p.space.read(UserPtr::new(arg))?;
    let kind = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let pid = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    if !(F_OWNER_TID..=F_OWNER_PGRP).contains(&kind) {
        return Err(Errno::EINVAL);
    }
    set(p, file, kind, pid)
}

pub fn getown_ex(p: &Task, file: &OpenFile, arg: u64) -> SysResult {
    let o = file.owner.lock().clone();
    // No owner reads as type F_OWNER_PID with pid 0.
    let o = if o.pid == 0 { Owner { kind: F_OWNER_PID, ..Owner::default() } } else { o };
    p.space.write(UserPtr::<[u8; 8]>::new(arg), &o.to_bytes())?;
    Ok(0)
}

/// ioctl FIOASYNC: the int at `arg` turns O_ASYNC on or off.
pub fn fioasync(p: &Task, file: &Arc<OpenFile>, arg: IoctlArg) -> SysResult {
    let on: i32 = p.space.read(arg.ptr())?;
    {
        let mut status = file.status.lock();
        if on != 0 {
            *status |= O_ASYNC;
        } else {
            *status &= !O_ASYNC;
        }
    }
    async_changed(file);
    Ok(0)
}

/// O_ASYNC's observer of one open file.
struct Notifier {
    file: Weak<OpenFile>,
}

impl Observer for Notifier {
    fn on_events(&self, events: u32) -> bool {
        let Some(file) = self.file.upgrade() else { return false };
        let input = ev::IN | ev::PRI | ev::RDNORM | ev::RDHUP | ev::ERR | ev::HUP;
        // 0: the object did not say; ask it.
        let events = if events == 0 { file.poll(ev::ALL, None) } else { events };
        if events & input != 0 {
            let owner = file.owner.lock().clone();
            owner.signal(Signal::SIGIO);
        }
        false
    }
}

/// O_ASYNC may have changed on `file`: start or stop watching its object.
pub fn async_changed(file: &Arc<OpenFile>) {
    let on = *file.status.lock() & O_ASYNC != 0;
    let mut watch = file.fasync.lock();
    match (on, watch.is_some()) {
        (true, false) => {
            let mut table = PollTable::new(Arc::new(Notifier { file: Arc::downgrade(file) }), false);
            file.poll(ev::ALL, Some(&mut table));
            *watch = Some(table);
        }
        (false, true) => *watch = None,
        _ => {}
    }
}
