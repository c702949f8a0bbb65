//! Threads and the scheduler: kernel stacks, context switches, a round-robin
//! run queue, blocking waits and timed sleeps.
//!
//! Role: every flow of control (the shell, kernel service threads, user
//! threads) is a [`Thread`]. User threads are preempted when their slice ends
//! (on return to user mode from the timer or a syscall); kernel code runs
//! until it blocks or yields. With nothing to run, the CPU halts (`hlt`) until
//! an interrupt makes a thread runnable.
//! Invariants: one CPU. The scheduler's state is changed only with interrupts
//! off; [`schedule`] is entered with interrupts off and returns with them off.
//! A dead thread's stack is freed by the next thread, after the switch.
//! May call: `arch`, `mm`, `time`.

pub mod group;
pub mod wait;
pub mod watchdog;

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};

use crate::arch::usermode::{self, FpuState, Start, TrapFrame, TRAP_FRAME_SIZE};
use crate::sync::IrqMutex;

pub use wait::WaitQueue;

const KERNEL_STACK: usize = 64 * 1024;
/// CPUs of the machine (Linux's `nr_cpu_ids`).
pub const NR_CPUS: usize = 1;
/// Time slice of a user thread, in ticks (ms).
const SLICE_TICKS: u64 = 10;

const RUNNING: u8 = 0;
const RUNNABLE: u8 = 1;
const BLOCKED: u8 = 2;
const DEAD: u8 = 3;

/// A schedulable flow of control with its own kernel stack.
pub struct Thread {
    pub id: u32,
    pub name: IrqMutex<String>,
    state: AtomicU8,
    /// Saved kernel stack pointer while not running.
    ctx: UnsafeCell<u64>,
    kstack: Option<Box<[u8]>>,
    fpu: UnsafeCell<FpuState>,
    /// The user context (None for kernel threads); see [`Thread::task`].
    task: UnsafeCell<Option<crate::task::Task>>,
    /// Set by another thread to make this one end at its next chance.
    pub killed: AtomicBool,
    /// Signals sent to this thread only (tgkill, faults), with their siginfo.
    pub sig_pending: crate::task::signal::PendingSignals,
    /// Blocked signals.
    pub sig_mask: AtomicU64,
    /// The set rt_sigtimedwait waits for (0 otherwise).
    pub sig_waiting: AtomicU64,
    /// The mask to restore after a handler (rt_sigsuspend); u64::MAX = none.
    pub saved_mask: AtomicU64,
    /// Ticks this thread ran (CPU time).
    pub ticks: AtomicU64,
    slice_start: AtomicU64,
    /// When the thread last became runnable (ticks), for [`max_run_wait`].
    queued_at: AtomicU64,
    /// Accounting group (a container's CPU share), 0 = host.
    pub group: AtomicU32,
    /// The process a user thread belongs to (fixed for its life).
    pub process: Option<Arc<crate::task::Process>>,
    /// seccomp mode and filters (on the thread: TSYNC sets them for siblings).
    pub seccomp: crate::task::seccomp::ThreadSeccomp,
    /// Policy, real-time priority and nice value (sched_setscheduler, setpriority).
    pub sched_attr: IrqMutex<schedattr::SchedAttr>,
    /// The CPUs it may run on (sched_setaffinity).
    pub affinity: IrqMutex<schedattr::cpumask::CpuMask>,
    /// Its time slice in ticks, from `sched_attr` (its weight).
    slice_ticks: AtomicU64,
    _live: crate::live::Live,
}

// SAFETY: the UnsafeCells are touched only by the thread itself (`task`,
// `fpu` while running) or by the scheduler with interrupts off on the one
// CPU (`ctx`, `fpu` across a switch).
unsafe impl Sync for Thread {}
// SAFETY: as above; a Thread moves between queues only as an Arc.
unsafe impl Send for Thread {}

impl Thread {
    fn new(
        name: &str,
        kstack: Option<Box<[u8]>>,
        task: Option<crate::task::Task>,
        process: Option<Arc<crate::task::Process>>,
    ) -> Thread {
        Thread {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: IrqMutex::new(String::from(name)),
            state: AtomicU8::new(RUNNABLE),
            ctx: UnsafeCell::new(0),
            kstack,
            fpu: UnsafeCell::new(FpuState::initial()),
            task: UnsafeCell::new(task),
            killed: AtomicBool::new(false),
            sig_pending: crate::task::signal::PendingSignals::new(),
            sig_mask: AtomicU64::new(0),
            sig_waiting: AtomicU64::new(0),
            saved_mask: AtomicU64::new(u64::MAX),
            ticks: AtomicU64::new(0),
            slice_start: AtomicU64::new(0),
            queued_at: AtomicU64::new(crate::time::ticks()),
            group: AtomicU32::new(0),
            process,
            seccomp: crate::task::seccomp::ThreadSeccomp::new(),
            sched_attr: IrqMutex::new(schedattr::SchedAttr::default()),
            affinity: IrqMutex::new(schedattr::cpumask::CpuMask::all(NR_CPUS)),
            slice_ticks: AtomicU64::new(SLICE_TICKS),
            _live: crate::live::Live::new(crate::live::Kind::Thread),
        }
    }

    /// Installs new scheduling attributes; the slice follows the weight.
    /// A FIFO thread gets RR's quantum: the run queue is round-robin, with
    /// no priority preemption (and so no starvation of the others).
    pub fn set_sched_attr(&self, attr: schedattr::SchedAttr) {
        let ms = match attr.policy() {
            schedattr::SCHED_FIFO => schedattr::RR_TIMESLICE_MS,
            _ => attr.slice_ms(SLICE_TICKS * 1000 / u64::from(crate::time::HZ)),
        };
        self.slice_ticks.store((ms * u64::from(crate::time::HZ) / 1000).max(1), Ordering::Relaxed);
        *self.sched_attr.lock() = attr;
    }

    /// The time slice the scheduler gives it, in ms (sched_rr_get_interval).
    pub fn slice_ms(&self) -> u64 {
        self.slice_ticks.load(Ordering::Relaxed) * 1000 / u64::from(crate::time::HZ)
    }

    fn kstack_top(&self) -> u64 {
        self.kstack.as_ref().map_or(0, |s| (s.as_ptr() as u64 + s.len() as u64) & !0xf)
    }

    /// `[lo, hi)` of the thread's kernel stack ((0, 0): the boot stack).
    fn kstack_bounds(&self) -> (u64, u64) {
        self.kstack.as_ref().map_or((0, 0), |s| (s.as_ptr() as u64, s.as_ptr() as u64 + s.len() as u64))
    }

    pub fn is_dead(&self) -> bool {
        self.state.load(Ordering::Acquire) == DEAD
    }

    /// True if the thread is blocked in a wait.
    pub fn is_blocked(&self) -> bool {
        self.state.load(Ordering::Acquire) == BLOCKED
    }

    /// The user context of the *running* thread.
    ///
    /// Only the thread itself may call this (through [`with_task`]); others
    /// reach a process through its shared `Arc` parts.
    #[allow(clippy::mut_from_ref)]
    fn task_mut(&self) -> Option<&mut crate::task::Task> {
        // SAFETY: called only for the current thread, by itself (see above);
        // no second reference is live because `with_task` is not re-entered
        // (the syscall path takes it once).
        unsafe { (*self.task.get()).as_mut() }
    }

    /// Takes the user context out (at thread exit).
    fn take_task(&self) -> Option<crate::task::Task> {
        // SAFETY: as in `task_mut`: only the running thread itself calls this.
        unsafe { (*self.task.get()).take() }
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

struct Sched {
    run: VecDeque<Arc<Thread>>,
    current: Option<Arc<Thread>>,
    /// The thread that just died; freed after the switch away from it.
    dead: Option<Arc<Thread>>,
    sleepers: BTreeMap<(u64, u32), Arc<Thread>>,
    /// Every live thread (for `ps`, `top` and killing).
    all: BTreeMap<u32, Arc<Thread>>,
    /// CPU groups by id (0, the host, is implicit and unlimited).
    groups: BTreeMap<u32, group::Group>,
    next_group: u32,
}

static SCHED: IrqMutex<Sched> = IrqMutex::new(Sched {
    run: VecDeque::new(),
    current: None,
    dead: None,
    sleepers: BTreeMap::new(),
    all: BTreeMap::new(),
    groups: BTreeMap::new(),
    next_group: 1,
});

impl Sched {
    fn throttled(&self, t: &Thread) -> bool {
        let g = t.group.load(Ordering::Relaxed);
        g != 0 && self.groups.get(&g).is_some_and(|g| g.throttled)
    }

    /// Puts a runnable thread aside until its group's next period.
    fn park(&mut self, t: Arc<Thread>) {
        let g = t.group.load(Ordering::Relaxed);
        match self.groups.get_mut(&g) {
            Some(group) => group.parked.push(t),
            None => self.run.push_back(t),
        }
    }
}

/// A new CPU group (a container's), unlimited until [`set_cpu_limits`].
pub fn new_group() -> u32 {
    let mut s = SCHED.lock();
    let id = s.next_group;
    s.next_group += 1;
    let now = crate::time::ticks();
    s.groups.insert(id, group::Group::new(now));
    id
}

/// Sets a group's bandwidth cap (quota/period in microseconds; None = no
/// cap) and weight (shares, default 1024).
pub fn set_cpu_limits(id: u32, quota_us: Option<u64>, period_us: Option<u64>, shares: Option<u64>) {
    let tick_us = 1_000_000 / u64::from(crate::time::HZ);
    let mut s = SCHED.lock();
    let mut release = Vec::new();
    if let Some(g) = s.groups.get_mut(&id) {
        if let Some(p) = period_us {
            g.period = (p / tick_us).max(1);
        }
        if let Some(q) = quota_us {
            g.quota = if q == 0 { 0 } else { (q / tick_us).max(1) };
        }
        if let Some(sh) = shares {
            g.shares = sh.clamp(2, 262_144);
        }
        if g.quota == 0 && g.throttled {
            g.throttled = false;
            release = core::mem::take(&mut g.parked);
        }
    }
    s.run.extend(release);
}

/// (quota ticks, period ticks, shares, CPU ticks used in total) of a group.
pub fn group_stats(id: u32) -> Option<(u64, u64, u64, u64)> {
    SCHED.lock().groups.get(&id).map(|g| (g.quota, g.period, g.shares, g.total))
}

/// Forgets a group (its threads are gone).
pub fn remove_group(id: u32) {
    let parked = SCHED.lock().groups.remove(&id).map(|g| g.parked).unwrap_or_default();
    let mut s = SCHED.lock();
    s.run.extend(parked);
}
static CURRENT: AtomicPtr<Thread> = AtomicPtr::new(core::ptr::null_mut());
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
static IDLE_TICKS: AtomicU64 = AtomicU64::new(0);
/// The longest a runnable host thread (group 0: kernel threads, host
/// programs) waited for the CPU, in ticks, and which thread it was.
static MAX_RUN_WAIT: AtomicU64 = AtomicU64::new(0);
static MAX_RUN_WAIT_THREAD: AtomicU32 = AtomicU32::new(0);
static MAX_RUN_WAIT_QUEUE: AtomicU32 = AtomicU32::new(0);

/// The longest a runnable host thread waited for the CPU (ms) and that
/// thread's id, since boot or the last reset.
pub fn max_run_wait(reset: bool) -> (u64, u32, u32) {
    let r = (
        MAX_RUN_WAIT.load(Ordering::Relaxed) * 1000 / u64::from(crate::time::HZ),
        MAX_RUN_WAIT_THREAD.load(Ordering::Relaxed),
        MAX_RUN_WAIT_QUEUE.load(Ordering::Relaxed),
    );
    if reset {
        MAX_RUN_WAIT.store(0, Ordering::Relaxed);
    }
    r
}
static SWITCHES: AtomicU64 = AtomicU64::new(0);

/// Context switches so far.
pub fn switches() -> u64 {
    SWITCHES.load(Ordering::Relaxed)
}

/// Threads waiting to run, plus the running one.
pub fn runnable() -> usize {
    SCHED.lock().run.len() + 1
}

/// Makes the boot flow of control thread 0 ("kernel", running the shell).
pub fn init() {
    let boot = Arc::new(Thread::new("kernel", None, None, None));
    boot.state.store(RUNNING, Ordering::Release);
    CURRENT.store(Arc::as_ptr(&boot) as *mut Thread, Ordering::Release);
    let mut s = SCHED.lock();
    s.all.insert(boot.id, boot.clone());
    s.current = Some(boot);
}

/// The running thread.
pub fn current() -> Arc<Thread> {
    SCHED.lock().current.clone().expect("sched::init ran")
}

/// Runs `f` on the running thread's user context (None in a kernel thread).
pub fn with_task<R>(f: impl FnOnce(&mut crate::task::Task) -> R) -> Option<R> {
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: CURRENT points at the running thread, kept alive by
    // `Sched::current` while it runs.
    let thread = unsafe { ptr.as_ref() }?;
    thread.task_mut().map(f)
}

/// Runs `f` on the running thread without taking the scheduler lock.
pub fn with_current<R>(f: impl FnOnce(&Thread) -> R) -> Option<R> {
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `with_task`.
    unsafe { ptr.as_ref() }.map(f)
}

/// Takes the running thread's user context (thread exit).
pub fn take_task() -> Option<crate::task::Task> {
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `with_task`.
    let thread = unsafe { ptr.as_ref() }?;
    thread.take_task()
}

/// Id of the running thread.
pub fn current_id() -> u32 {
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `with_task`.
    unsafe { ptr.as_ref() }.map_or(0, |t| t.id)
}

/// Creates a user thread that starts by returning to user mode with `frame`,
/// owning `task`. It is runnable at once.
pub fn spawn_user(
    name: &str,
    frame: &TrapFrame,
    task: crate::task::Task,
    fpu: Option<&FpuState>,
    process: Option<Arc<crate::task::Process>>,
) -> Arc<Thread> {
    let mut stack = alloc::vec![0u8; KERNEL_STACK].into_boxed_slice();
    let top = (stack.as_ptr() as u64 + stack.len() as u64) & !0xf;
    let base = stack.as_ptr() as u64;
    let at = (top - TRAP_FRAME_SIZE - base) as usize;
    // SAFETY: TrapFrame is repr(C) plain u64s; `at..at+size` lies inside the
    // stack (the stack is far larger than a frame); unaligned write is allowed.
    unsafe { core::ptr::write_unaligned(stack.as_mut_ptr().add(at) as *mut TrapFrame, frame.clone()) };
    let rsp = usermode::prepare_stack(&mut stack, top, Start::User);
    let thread = Thread::new(name, Some(stack), Some(task), process);
    // SAFETY: the thread is not running; nothing else references it yet.
    unsafe { *thread.ctx.get() = rsp };
    if let Some(f) = fpu {
        // SAFETY: as above.
        unsafe { *thread.fpu.get() = f.clone() };
    }
    let thread = Arc::new(thread);
    let mut s = SCHED.lock();
    s.all.insert(thread.id, thread.clone());
    s.run.push_back(thread.clone());
    thread
}

/// Starts a kernel thread running `f`.
pub fn spawn_kernel(name: &str, f: Box<dyn FnOnce() + Send>) -> Arc<Thread> {
    let mut stack = alloc::vec![0u8; KERNEL_STACK].into_boxed_slice();
    let top = (stack.as_ptr() as u64 + stack.len() as u64) & !0xf;
    let arg = Box::into_raw(Box::new(f)) as u64;
    let rsp = usermode::prepare_stack(&mut stack, top, Start::Kernel(arg));
    let thread = Thread::new(name, Some(stack), None, None);
    // SAFETY: the thread is not running; nothing else references it yet.
    unsafe { *thread.ctx.get() = rsp };
    let thread = Arc::new(thread);
    let mut s = SCHED.lock();
    s.all.insert(thread.id, thread.clone());
    s.run.push_back(thread.clone());
    thread
}

/// First code of a kernel thread (called from the switch stub).
pub fn kthread_main(arg: u64) -> ! {
    finish_switch();
    // SAFETY: `arg` is the pointer `spawn_kernel` leaked for exactly this call.
    let f = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) };
    crate::arch::enable_interrupts();
    f();
    exit_current()
}

/// Makes `t` runnable if it is blocked. Safe from interrupt handlers.
pub fn wake(t: &Arc<Thread>) {
    if t.state.compare_exchange(BLOCKED, RUNNABLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        t.queued_at.store(crate::time::ticks(), Ordering::Relaxed);
        SCHED.lock().run.push_back(t.clone());
    }
}

/// Blocks the running thread until [`wake`]. The caller has registered it
/// somewhere a waker will find it, with interrupts off since its last check.
pub fn block() {
    let were = x86_64::instructions::interrupts::are_enabled();
    x86_64::instructions::interrupts::disable();
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `with_task`.
    if let Some(t) = unsafe { ptr.as_ref() } {
        t.state.store(BLOCKED, Ordering::Release);
    }
    schedule();
    if were {
        x86_64::instructions::interrupts::enable();
    }
}

/// Blocks the running thread until `deadline` (in ticks) or an earlier wake.
pub fn block_until(deadline: u64) {
    let were = x86_64::instructions::interrupts::are_enabled();
    x86_64::instructions::interrupts::disable();
    if crate::time::ticks() < deadline {
        let me = current();
        me.state.store(BLOCKED, Ordering::Release);
        SCHED.lock().sleepers.insert((deadline, me.id), me.clone());
        drop(me);
        schedule();
        let id = current_id();
        SCHED.lock().sleepers.remove(&(deadline, id));
    }
    if were {
        x86_64::instructions::interrupts::enable();
    }
}

/// Gives the CPU to another runnable thread, if any.
pub fn yield_now() {
    let were = x86_64::instructions::interrupts::are_enabled();
    x86_64::instructions::interrupts::disable();
    schedule();
    if were {
        x86_64::instructions::interrupts::enable();
    }
}

/// A preemption point for long loops inside a system call (Linux's
/// `cond_resched`): the kernel is not preempted, so a copy of gigabytes
/// would otherwise hold the CPU for seconds. Gives the CPU away if the
/// running thread's slice is over and another thread waits.
pub fn cond_resched() {
    if should_yield() {
        yield_now();
    }
}

/// Ends the running thread for good.
pub fn exit_current() -> ! {
    x86_64::instructions::interrupts::disable();
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `with_task`.
    if let Some(t) = unsafe { ptr.as_ref() } {
        t.state.store(DEAD, Ordering::Release);
    }
    schedule();
    unreachable!("a dead thread was scheduled again");
}

/// True if the running user thread should give up the CPU (its slice ended
/// and someone else is waiting).
pub fn should_yield() -> bool {
    NEED_RESCHED.load(Ordering::Acquire)
}

/// The timer's work (IRQ 0, interrupts off): wake due sleepers, account the
/// tick, and ask for a switch when the running thread's slice is over.
pub fn on_tick(now: u64, elapsed: u64) {
    let mut s = SCHED.lock();
    while let Some((&(deadline, _), _)) = s.sleepers.first_key_value() {
        if deadline > now {
            break;
        }
        if let Some((_, t)) = s.sleepers.pop_first() {
            if t.state.compare_exchange(BLOCKED, RUNNABLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                t.queued_at.store(now, Ordering::Relaxed);
                s.run.push_back(t);
            }
        }
    }
    let mut released = Vec::new();
    for g in s.groups.values_mut() {
        released.extend(g.roll(now));
    }
    s.run.extend(released);
    let cur = s.current.clone();
    match cur {
        Some(cur) if cur.state.load(Ordering::Acquire) == RUNNING => {
            cur.ticks.fetch_add(elapsed, Ordering::Relaxed);
            let gid = cur.group.load(Ordering::Relaxed);
            let mut slice = cur.slice_ticks.load(Ordering::Relaxed);
            if let Some(g) = s.groups.get_mut(&gid) {
                if g.charge(elapsed) {
                    NEED_RESCHED.store(true, Ordering::Release);
                }
                slice = g.slice(slice);
            }
            if !s.run.is_empty() && now.saturating_sub(cur.slice_start.load(Ordering::Relaxed)) >= slice {
                NEED_RESCHED.store(true, Ordering::Release);
            }
        }
        _ => {
            IDLE_TICKS.fetch_add(elapsed, Ordering::Relaxed);
        }
    }
}

/// Ticks the CPU spent halted.
pub fn idle_ticks() -> u64 {
    IDLE_TICKS.load(Ordering::Relaxed)
}

/// Switches to the next runnable thread (or halts until there is one).
/// The running thread is requeued if it is still RUNNING (a yield).
/// Interrupts must be off; they are off again on return.
fn schedule() {
    NEED_RESCHED.store(false, Ordering::Release);
    watchdog::progress();
    let prev = current();
    {
        // A yield: the running thread goes to the back of the queue, or aside
        // if its group has used up its CPU quota.
        let mut s = SCHED.lock();
        if prev.state.compare_exchange(RUNNING, RUNNABLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            prev.queued_at.store(crate::time::ticks(), Ordering::Relaxed);
            if s.throttled(&prev) {
                s.park(prev.clone());
            } else {
                s.run.push_back(prev.clone());
            }
        }
    }
    let next = loop {
        let mut s = SCHED.lock();
        let mut found = None;
        while let Some(t) = s.run.pop_front() {
            if t.is_dead() {
                continue;
            }
            if s.throttled(&t) {
                s.park(t);
                continue;
            }
            found = Some(t);
            break;
        }
        if let Some(t) = found {
            break t;
        }
        drop(s);
        // Nothing to run: sleep until an interrupt makes something runnable.
        crate::arch::cpu::enable_and_halt();
        x86_64::instructions::interrupts::disable();
        watchdog::progress();
    };
    next.state.store(RUNNING, Ordering::Release);
    let now = crate::time::ticks();
    next.slice_start.store(now, Ordering::Relaxed);
    if next.group.load(Ordering::Relaxed) == 0 {
        let waited = now.saturating_sub(next.queued_at.load(Ordering::Relaxed));
        if waited > MAX_RUN_WAIT.load(Ordering::Relaxed) {
            MAX_RUN_WAIT.store(waited, Ordering::Relaxed);
            MAX_RUN_WAIT_THREAD.store(next.id, Ordering::Relaxed);
            MAX_RUN_WAIT_QUEUE.store(SCHED.lock().run.len() as u32, Ordering::Relaxed);
        }
    }
    if Arc::ptr_eq(&next, &prev) {
        return;
    }
    // Save the outgoing user state; install the incoming one.
    // SAFETY: interrupts are off on the one CPU: neither thread's FPU area
    // is touched by anyone else during the switch.
    unsafe {
        if (*prev.task.get()).is_some() {
            (*prev.fpu.get()).save();
        }
        if let Some(task) = (*next.task.get()).as_ref() {
            task.activate();
            (*next.fpu.get()).restore();
        }
    }
    if next.kstack.is_some() {
        usermode::set_kernel_stack(next.kstack_top());
    }
    let (lo, hi) = next.kstack_bounds();
    crate::arch::backtrace::set_current_stack(lo, hi);
    let save = prev.ctx.get();
    // SAFETY: `next` is not running, so its saved context is stable.
    let to = unsafe { *next.ctx.get() };
    {
        let mut s = SCHED.lock();
        if prev.is_dead() {
            s.all.remove(&prev.id);
            s.dead = Some(prev.clone());
        }
        s.current = Some(next.clone());
    }
    CURRENT.store(Arc::as_ptr(&next) as *mut Thread, Ordering::Release);
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    drop(next);
    drop(prev);
    // SAFETY: interrupts are off; `to` was saved by `switch` or prepared by
    // `prepare_stack` for a stack that `Sched::all`/`current` keep alive; the
    // outgoing thread is kept alive by `all` or `dead` until `finish_switch`.
    unsafe { usermode::switch(save, to) };
    finish_switch();
}

/// Bookkeeping right after a switch, on the incoming thread: free the stack
/// of a thread that just died.
pub fn finish_switch() {
    let dead = SCHED.lock().dead.take();
    drop(dead);
}

