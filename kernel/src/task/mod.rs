//! Processes and the user context of threads.
//!
//! Role: a [`Process`] is the shared identity (pids, parent and children,
//! process group and session, signal dispositions, exit status); a [`Task`]
//! is what one user thread owns (its memory and descriptor table, shared with
//! other threads through `Arc`s, plus cwd, credentials, TLS base, signal
//! mask). Processes live in PID namespaces ([`pidns`]): a container's
//! processes see only each other, its init is PID 1.
//! Invariants: a Task is touched only by its own thread (`sched::with_task`);
//! everything other threads may reach is behind a lock or atomic in
//! `Process`. Locks are never held across a block.
//! May call: `sched`, `mm`, `fs`, `file`, `arch`, `console`, `time`.

mod exec;
pub mod exit;
pub mod fault;
pub mod files;
pub mod fork;
pub mod futex;
pub mod mm;
pub mod pidns;
pub mod pipe;
pub mod procfs;
pub mod rlimits;
pub mod rseq;
pub mod seccomp;
pub mod signal;
pub mod sigframe;
pub mod timer;

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use spin::Mutex;

use crate::arch::usermode::TrapFrame;
use crate::sched::{self, Thread, WaitQueue};

pub use exec::execve;
pub use exit::ExitStatus;
pub use pidns::PidNs;

/// A new thread's timer slack (Linux's `init_task`), in ns.
pub const DEFAULT_TIMER_SLACK_NS: u64 = 50_000;

/// Which syscall table serves a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    Linux,
    /// Host-world programs (`userland/host`): the OCI-verb table.
    Host,
}

/// Life of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    Alive,
    /// Exited, status not yet collected by the parent.
    Zombie(ExitStatus),
}

pub struct Process {
    /// Kernel-wide id.
    pub pid: u32,
    /// The id inside its namespace (what getpid returns).
    pub vpid: u32,
    pub ns: Arc<PidNs>,
    pub abi: Abi,
    /// The container this process belongs to (None: the host).
    pub container: Option<String>,
    pub name: Mutex<String>,
    pub cmdline: Mutex<Vec<String>>,
    pub exe: Mutex<String>,
    /// None: owned by the kernel (started by the shell or a container verb),
    /// which collects its status.
    pub parent: Mutex<Option<Weak<Process>>>,
    pub children: Mutex<Vec<Arc<Process>>>,
    /// Process group and session, as vpids in `ns`.
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    /// Live threads: (vtid, thread).
    pub threads: Mutex<Vec<(u32, Weak<Thread>)>>,
    pub state: Mutex<ProcState>,
    /// Set once by the first thread that starts the process's exit.
    pub exiting: AtomicBool,
    exit_status: Mutex<Option<ExitStatus>>,
    /// Woken when a child changes state (wait4).
    pub child_event: WaitQueue,
    /// Woken when this process becomes a zombie, execs after vfork, stops or continues.
    pub state_event: WaitQueue,
    /// Signals sent to the process as a whole, with their siginfo.
    pub sig_pending: signal::PendingSignals,
    /// Notified whenever a signal becomes pending in the process or one of
    /// its threads (signalfd's readers and pollers wait on it).
    pub sig_pollee: crate::file::Pollee,
    /// Notified when the process becomes a zombie (pidfd's pollers).
    pub exit_pollee: crate::file::Pollee,
    pub signals: Mutex<linux_abi::signal::SigActions>,
    /// Job control: stopped by a signal; and a stop/continue not yet reported to wait4.
    pub stopped: AtomicBool,
    pub report: Mutex<Option<exit::Report>>,
    /// A vfork child that has not yet exec'd or exited.
    pub vfork_pending: AtomicBool,
    /// Reap automatically when it exits (nobody will wait for it).
    pub autoreap: AtomicBool,
    pub start_ticks: u64,
    /// The memory of the main thread, for /proc and accounting.
    pub mm: Mutex<Weak<mm::Mm>>,
    /// Child CPU ticks collected by wait4 (for times/rusage).
    pub child_ticks: AtomicU64,
    /// CPU ticks of its threads that already ended.
    pub dead_ticks: AtomicU64,
    /// The main thread's descriptors and working directory, for /proc.
    pub files: Mutex<Weak<files::Files>>,
    pub cwd: Mutex<String>,
    /// ITIMER_REAL: (deadline tick, interval ticks).
    pub itimer: Mutex<Option<(u64, u64)>>,
    /// The host name its UTS namespace reports (shared by a container's processes).
    pub uts: Arc<Mutex<String>>,
    /// Its network namespace (0: the host's; a container's own id): scopes
    /// abstract AF_UNIX names.
    pub net_ns: u64,
    /// The credentials of its main thread, for others to judge it by
    /// (kill, prlimit, /proc): [`Task::commit_cred`] keeps it current.
    pub cred: Mutex<creds::Cred>,
    /// Resource limits (shared by its threads, inherited by children).
    pub rlimits: Mutex<creds::Rlimits>,
    /// The CPU-time tick at which RLIMIT_CPU next signals (u64::MAX: none).
    pub cpu_limit_at: AtomicU64,
    /// The main thread's umask, for /proc.
    pub umask: AtomicU32,
    /// prctl(PR_SET_PDEATHSIG): the signal it gets when its parent ends (0: none).
    pub pdeath_signal: AtomicU32,
    /// prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented here.
    pub child_subreaper: AtomicBool,
    /// prctl(PR_SET_DUMPABLE) (Linux keeps it on the mm): 1 normally, 0
    /// after an exec that changed credentials or when cleared.
    pub dumpable: AtomicU32,
    /// prctl(PR_SET_THP_DISABLE): kept across fork and exec.
    pub thp_disable: AtomicBool,
    /// Its System V IPC namespace (its container's, or the host's).
    pub ipc: Arc<crate::abi::linux::ipc::IpcNs>,
    /// It used SEM_UNDO: adjustments are applied when it ends.
    pub sem_undo: AtomicBool,
    _live: crate::live::Live,
}

impl Process {
    pub fn is_zombie(&self) -> bool {
        matches!(*self.state.lock(), ProcState::Zombie(_))
    }

    pub fn exit_status(&self) -> Option<ExitStatus> {
        match *self.state.lock() {
            ProcState::Zombie(s) => Some(s),
            ProcState::Alive => None,
        }
    }

    pub fn parent(&self) -> Option<Arc<Process>> {
        self.parent.lock().as_ref().and_then(Weak::upgrade)
    }

    /// The parent's vpid as this process sees it (0 if outside its namespace).
    pub fn ppid(&self) -> u32 {
        match self.parent() {
            Some(p) if Arc::ptr_eq(&p.ns, &self.ns) => p.vpid,
            _ => 0,
        }
    }

    /// Live threads of the process.
    pub fn live_threads(&self) -> Vec<Arc<Thread>> {
        self.threads.lock().iter().filter_map(|(_, t)| t.upgrade()).filter(|t| !t.is_dead()).collect()
    }

    /// CPU ticks of all its threads.
    pub fn cpu_ticks(&self) -> u64 {
        self.live_threads().iter().map(|t| t.ticks.load(Ordering::Relaxed)).sum::<u64>()
            + self.dead_ticks.load(Ordering::Relaxed)
    }
}

/// The user context one thread owns.
pub struct Task {
    pub proc: Arc<Process>,
    /// Thread id inside the namespace (== proc.vpid for the main thread).
    pub tid: u32,
    pub space: Arc<mm::Mm>,
    pub files: Arc<files::Files>,
    pub cwd: vfs::Location,
    /// The namespace the process's paths resolve in (its container's, or the host's).
    pub vfs: Arc<vfs::Vfs>,
    pub cred: vfs::Cred,
    pub umask: u32,
    pub fs_base: u64,
    /// CLONE_CHILD_CLEARTID / set_tid_address: zeroed and woken at exit (NULL: none).
    pub clear_child_tid: linux_abi::UserPtr<u32>,
    pub robust_list: linux_abi::UserPtr<u8>,
    pub altstack: linux_abi::signal::AltStack,
    /// The last CPU fault's vector, error code and address: every signal
    /// frame's sigcontext shows them (as on Linux).
    pub trap: linux_abi::signal::TrapInfo,
    /// Restartable sequences: the registered area, if any.
    pub rseq: rseq::Rseq,
    /// prctl(PR_SET_TIMERSLACK): (current, default) in ns.
    pub timer_slack_ns: (u64, u64),
}

impl Task {
    /// Installs new credentials for this thread (Linux's `commit_creds`):
    /// the main thread's are also what others see of the process, and a
    /// new real uid moves the thread's count for RLIMIT_NPROC.
    pub fn commit_cred(&mut self, new: creds::Cred) {
        if new.ruid != self.cred.ruid {
            self.proc.ns.recharge(self.tid, new.ruid);
        }
        let old = &self.cred;
        if old.euid != new.euid
            || old.egid != new.egid
            || old.fsuid != new.fsuid
            || old.fsgid != new.fsgid
            || !new.caps.permitted.is_subset_of(old.caps.permitted)
        {
            // Linux's commit_creds: the process stops being dumpable
            // (suid_dumpable is 0) and forgets its parent-death signal.
            self.proc.dumpable.store(0, Ordering::Relaxed);
            self.proc.pdeath_signal.store(0, Ordering::Relaxed);
        }
        if self.tid == self.proc.vpid {
            *self.proc.cred.lock() = new.clone();
        }
        self.cred = new;
    }

    /// The soft limit of `r` for this process.
    pub fn rlimit(&self, r: creds::Resource) -> u64 {
        self.proc.rlimits.lock().cur(r)
    }
}

impl Task {
    /// Loads this task's address space and TLS base into the CPU.
    pub fn activate(&self) {
        self.space.activate();
        crate::arch::usermode::set_fs_base(self.fs_base);
    }

    pub fn pid(&self) -> u32 {
        self.proc.vpid
    }
}

static PROCS: Mutex<alloc::collections::BTreeMap<u32, Weak<Process>>> = Mutex::new(alloc::collections::BTreeMap::new());
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

pub fn init() {
    crate::mm::user::init();
    sched::init();
    pidns::init();
}

/// The live or zombie process with kernel-wide id `pid`.
pub fn process_by_pid(pid: u32) -> Option<Arc<Process>> {
    PROCS.lock().get(&pid).and_then(Weak::upgrade)
}

/// Every live or zombie process (kernel-wide).
pub fn all_processes() -> Vec<Arc<Process>> {
    PROCS.lock().values().filter_map(Weak::upgrade).collect()
}

/// Creates a process record in `ns` (not yet running).
#[allow(clippy::too_many_arguments)]
fn new_process(
    ns: &Arc<PidNs>,
    container: Option<String>,
    name: &str,
    parent: Option<&Arc<Process>>,
    pgid_sid: Option<(u32, u32)>,
    signals: linux_abi::signal::SigActions,
    uts: &Arc<Mutex<String>>,
    abi: Abi,
    ids: Identity,
) -> Result<Arc<Process>, errno::Errno> {
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    let vpid = ns.alloc(pid)?;
    let (pgid, sid) = pgid_sid.unwrap_or((vpid, vpid));
    let p = Arc::new(Process {
        _live: crate::live::Live::new(crate::live::Kind::Process),
        pid,
        vpid,
        ns: ns.clone(),
        abi,
        container,
        name: Mutex::new(String::from(name)),
        cmdline: Mutex::new(Vec::new()),
        exe: Mutex::new(String::new()),
        parent: Mutex::new(parent.map(Arc::downgrade)),
        children: Mutex::new(Vec::new()),
        pgid: AtomicU32::new(pgid),
        sid: AtomicU32::new(sid),
        threads: Mutex::new(Vec::new()),
        state: Mutex::new(ProcState::Alive),
        exiting: AtomicBool::new(false),
        exit_status: Mutex::new(None),
        child_event: WaitQueue::new(),
        state_event: WaitQueue::new(),
        sig_pollee: crate::file::Pollee::new(),
        exit_pollee: crate::file::Pollee::new(),
        sig_pending: signal::PendingSignals::new(),
        signals: Mutex::new(signals),
        stopped: AtomicBool::new(false),
        report: Mutex::new(None),
        vfork_pending: AtomicBool::new(false),
        autoreap: AtomicBool::new(false),
        start_ticks: crate::time::ticks(),
        mm: Mutex::new(Weak::new()),
        child_ticks: AtomicU64::new(0),
        dead_ticks: AtomicU64::new(0),
        files: Mutex::new(Weak::new()),
        cwd: Mutex::new(String::from("/")),
        itimer: Mutex::new(None),
        uts: uts.clone(),
        net_ns: ids.net_ns,
        cpu_limit_at: AtomicU64::new(cpu_limit_tick(&ids.rlimits, 0)),
        umask: AtomicU32::new(ids.umask),
        cred: Mutex::new(ids.cred),
        rlimits: Mutex::new(ids.rlimits),
        pdeath_signal: AtomicU32::new(0),
        child_subreaper: AtomicBool::new(false),
        dumpable: AtomicU32::new(1),
        thp_disable: AtomicBool::new(false),
        // A container's namespaces are made together: its network id names its IPC namespace too.
        ipc: crate::abi::linux::ipc::namespace(ids.net_ns),
        sem_undo: AtomicBool::new(false),
    });
    ns.insert(vpid, &p, p.cred.lock().ruid);
    PROCS.lock().insert(pid, Arc::downgrade(&p));
    if let Some(parent) = parent {
        parent.children.lock().push(p.clone());
    }
    Ok(p)
}

/// Who a new process is: its credentials, limits, umask and network namespace.
pub struct Identity {
    pub cred: creds::Cred,
    pub rlimits: creds::Rlimits,
    pub umask: u32,
    pub net_ns: u64,
}

/// The CPU tick at which a process that has used `used` ticks must next be
/// checked against RLIMIT_CPU (u64::MAX if unlimited).
pub fn cpu_limit_tick(limits: &creds::Rlimits, used: u64) -> u64 {
    limits.cpu_check_at(used, u64::from(crate::time::HZ))
}

/// The limits a process of the host starts with (Linux's init defaults for
/// this machine's memory).
pub fn default_rlimits() -> creds::Rlimits {
    // Linux: max_threads = RAM / (8 * THREAD_SIZE); NPROC and SIGPENDING half of it.
    let frames = crate::mm::stats().total_frames as u64;
    creds::Rlimits::linux_defaults((frames / 32).max(40))
}

/// What a new program needs: path, arguments, environment, where it runs.
pub struct Spawn<'a> {
    pub path: &'a str,
    pub argv: &'a [String],
    pub envp: &'a [String],
    pub vfs: Arc<vfs::Vfs>,
    pub cwd: vfs::Location,
    pub ns: Arc<PidNs>,
    pub container: Option<String>,
    pub files: files::FdTable,
    pub cred: vfs::Cred,
    pub umask: u32,
    /// CPU group (sched) and memory limit of its container.
    pub cpu_group: u32,
    pub mem: Option<Arc<crate::mm::user::MemLimit>>,
    /// Host name of its UTS namespace.
    pub uts: Arc<Mutex<String>>,
    /// Resource limits and network namespace (0: the host's).
    pub rlimits: creds::Rlimits,
    pub net_ns: u64,
    /// seccomp filters it starts under (a container's `linux.seccomp`).
    pub seccomp: Option<::seccomp::FilterStack>,
}

static HOST_UTS: spin::Once<Arc<Mutex<String>>> = spin::Once::new();

/// The host's UTS namespace (host name "cyrius").
pub fn host_uts() -> Arc<Mutex<String>> {
    HOST_UTS.call_once(|| Arc::new(Mutex::new(String::from("cyrius")))).clone()
}

/// Starts a program as a new kernel-owned process (the shell's `run`, a
/// container's init). The caller collects it with [`wait_exit`].
pub fn spawn(s: Spawn<'_>) -> Result<Arc<Process>, errno::Errno> {
    let image = exec::load(s.path, s.argv, s.envp, &s.vfs, &s.cwd, &s.cred, s.mem.clone(), &s.rlimits)?;
    let name = exec::comm_of(s.path);
    if image.host_world && s.container.is_some() {
        // The host table is out of reach from inside a container.
        return Err(errno::Errno::ENOEXEC);
    }
    // The new program's credentials, as execve gives them.
    let cred = image.cred.clone();
    let abi = if image.host_world { Abi::Host } else { Abi::Linux };
    let ids = Identity { cred: cred.clone(), rlimits: s.rlimits, umask: s.umask, net_ns: s.net_ns };
    let proc = new_process(&s.ns, s.container.clone(), &name, None, None, linux_abi::signal::SigActions::new(), &s.uts, abi, ids)?;
    *proc.cmdline.lock() = s.argv.to_vec();
    *proc.exe.lock() = image.exe.clone();
    let space = Arc::new(mm::Mm::new(image.space, image.brk));
    *proc.mm.lock() = Arc::downgrade(&space);
    let files = Arc::new(files::Files::new(s.files));
    *proc.files.lock() = Arc::downgrade(&files);
    *proc.cwd.lock() = s.cwd.path();
    let task = Task {
        proc: proc.clone(),
        tid: proc.vpid,
        space,
        files,
        cwd: s.cwd,
        vfs: s.vfs,
        cred,
        umask: s.umask,
        fs_base: 0,
        clear_child_tid: linux_abi::UserPtr::null(),
        robust_list: linux_abi::UserPtr::null(),
        altstack: linux_abi::signal::AltStack::default(),
        trap: Default::default(),
        rseq: rseq::Rseq::default(),
        timer_slack_ns: (DEFAULT_TIMER_SLACK_NS, DEFAULT_TIMER_SLACK_NS),
    };
    let frame = TrapFrame::user(image.entry, image.rsp);
    let thread = sched::spawn_user(&name, &frame, task, None, Some(proc.clone()));
    thread.group.store(s.cpu_group, Ordering::Relaxed);
    if let Some(filters) = s.seccomp {
        // Before the thread first runs (kernel code is not preempted).
        thread.seccomp.set(seccomp::MODE_FILTER, filters);
    }
    proc.threads.lock().push((proc.vpid, Arc::downgrade(&thread)));
    Ok(proc)
}

/// Waits until a kernel-owned process ends, collects it and returns how it ended.
pub fn wait_exit(p: &Arc<Process>) -> ExitStatus {
    let status = p.state_event.wait_for(|| p.exit_status());
    exit::reap(p);
    status
}

/// The process of the running thread.
pub fn current_process() -> Option<Arc<Process>> {
    sched::current().process.clone()
}

/// True if the running thread has a signal to handle (or is being killed):
/// interruptible waits end early.
pub fn signal_pending() -> bool {
    signal::pending_for_current()
}

/// Work on the way back to user mode: give up the CPU if the slice is over,
/// die if killed, deliver pending signals.
pub fn return_to_user(frame: &mut TrapFrame) {
    rlimits::check_cpu();
    loop {
        let mut preempted = false;
        if sched::should_yield() {
            sched::yield_now();
            preempted = true;
        }
        rseq::on_return(frame, preempted);
        if !signal::handle_pending(frame) {
            break;
        }
    }
    signal::restore_saved_mask();
}

/// The `ps` state letter: R running, S sleeping, T stopped, Z zombie.
pub fn state_letter(p: &Process) -> char {
    if p.is_zombie() {
        'Z'
    } else if p.stopped.load(Ordering::Acquire) {
        'T'
    } else if p.live_threads().iter().any(|t| !t.is_blocked()) {
        'R'
    } else {
        'S'
    }
}
