//! Each thread's seccomp state, as Linux keeps it in `task->seccomp`: a
//! mode (disabled, strict, filter) and a stack of filters (the `seccomp`
//! crate's `FilterStack`, shared by `Arc`). A new thread or process starts
//! with a copy of its creator's state (fork, clone); execve keeps it; the
//! state only ever gets stricter.
//!
//! The state sits on the `Thread` (not the `Task`) because TSYNC sets the
//! filters of the caller's sibling threads. The syscall entry reads only the
//! atomic mode unless a filter is attached.
//! May call: sched.

use core::sync::atomic::{AtomicU8, Ordering};

use errno::Errno;
use seccomp::FilterStack;
use spin::Mutex;

use crate::sched::Thread;

/// `SECCOMP_MODE_*`.
pub const MODE_DISABLED: u8 = 0;
pub const MODE_STRICT: u8 = 1;
pub const MODE_FILTER: u8 = 2;

/// One thread's seccomp mode and filters.
pub struct ThreadSeccomp {
    mode: AtomicU8,
    filters: Mutex<FilterStack>,
}

impl Default for ThreadSeccomp {
    fn default() -> Self {
        ThreadSeccomp::new()
    }
}

impl ThreadSeccomp {
    pub const fn new() -> ThreadSeccomp {
        ThreadSeccomp { mode: AtomicU8::new(MODE_DISABLED), filters: Mutex::new(FilterStack::new()) }
    }

    pub fn mode(&self) -> u8 {
        self.mode.load(Ordering::Acquire)
    }

    /// The filters (a cheap clone: they are shared).
    pub fn filters(&self) -> FilterStack {
        self.filters.lock().clone()
    }

    /// Runs the filters for one call (under the lock: no reference count traffic).
    pub fn evaluate(&self, data: &seccomp::SeccompData) -> seccomp::Verdict {
        self.filters.lock().evaluate(data)
    }

    /// How many filters are attached (`Seccomp_filters:`).
    pub fn filter_count(&self) -> usize {
        self.filters.lock().len()
    }

    /// Sets the mode and filters together (filters first, so a reader that
    /// sees the mode sees them).
    pub fn set(&self, mode: u8, filters: FilterStack) {
        *self.filters.lock() = filters;
        self.mode.store(mode, Ordering::Release);
    }

    /// `seccomp_may_assign_mode`: a thread may enter `mode` only from
    /// disabled or from that same mode.
    pub fn may_assign(&self, mode: u8) -> bool {
        let now = self.mode();
        now == MODE_DISABLED || now == mode
    }
}

/// fork/clone: the new thread starts with `from`'s mode and filters.
pub fn inherit(from: &Thread, to: &Thread) {
    let mode = from.seccomp.mode();
    if mode != MODE_DISABLED {
        to.seccomp.set(mode, from.seccomp.filters());
    }
}

/// Attaches `filters` (the caller's new stack) to the running thread.
pub fn install(me: &Thread, filters: FilterStack) -> Result<(), Errno> {
    if !me.seccomp.may_assign(MODE_FILTER) {
        return Err(Errno::EINVAL);
    }
    me.seccomp.set(MODE_FILTER, filters);
    Ok(())
}

/// A container's `linux.seccomp` compiled and attached to a fresh stack (what
/// runc installs on the container's processes just before their execve).
pub fn from_spec(spec: &oci::runtime::Seccomp) -> Result<FilterStack, alloc::string::String> {
    let compiled = seccomp::compile(spec).map_err(|e| alloc::format!("config.json: {e}"))?;
    let mut stack = FilterStack::new();
    let log = compiled.flags & seccomp::compile::SECCOMP_FILTER_FLAG_LOG != 0;
    stack.push(compiled.program, log).map_err(|e| alloc::format!("linux.seccomp: {e}"))?;
    Ok(stack)
}

/// runc's last step, execve, already runs under the filter: what the filter
/// says about it (`Ok` when the call may run, else the error runc would
/// report).
pub fn check_exec(stack: &FilterStack) -> Result<(), alloc::string::String> {
    let data = seccomp::SeccompData::x86_64(linux_abi::sysno::SYS_EXECVE as i32, [0; 6], 0);
    match stack.evaluate(&data).action() {
        seccomp::Action::Allow | seccomp::Action::Log => Ok(()),
        seccomp::Action::Errno(e) => {
            let name = Errno::from_raw(i32::from(e)).map_or("errno", |e| e.name());
            Err(alloc::format!("the seccomp profile denies execve ({name} {e})"))
        }
        seccomp::Action::Trace(_) | seccomp::Action::UserNotif => {
            Err(alloc::string::String::from("the seccomp profile denies execve (ENOSYS)"))
        }
        _ => Err(alloc::string::String::from("the seccomp profile kills the process at execve (SIGSYS)")),
    }
}

/// Log lines of seccomp actions (LOG, kills, and ERRNO/TRAP of filters
/// installed with SECCOMP_FILTER_FLAG_LOG), rate-limited as Linux's printk
/// is without an audit daemon: at most 10 per 5 seconds, then a count of
/// the lines left out.
pub fn log_action(line: core::fmt::Arguments<'_>) {
    use core::sync::atomic::AtomicU64;
    const BURST: u64 = 10;
    static WINDOW_START: AtomicU64 = AtomicU64::new(0);
    static IN_WINDOW: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
    let now = crate::time::ticks();
    let window = 5 * u64::from(crate::time::HZ);
    let start = WINDOW_START.load(Ordering::Relaxed);
    if now.saturating_sub(start) >= window || start == 0 {
        WINDOW_START.store(now.max(1), Ordering::Relaxed);
        IN_WINDOW.store(0, Ordering::Relaxed);
        let left_out = SUPPRESSED.swap(0, Ordering::Relaxed);
        if left_out > 0 {
            log::info!("seccomp: {left_out} log lines suppressed");
        }
    }
    if IN_WINDOW.fetch_add(1, Ordering::Relaxed) < BURST {
        log::info!("seccomp: {line}");
    } else {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
    }
}
