//! The terminal: the console as a Linux tty for programs, and the open
//! file a descriptor on it is ([`TtyFile`]).
//!
//! The N_TTY line discipline (`tty` crate) sits between the serial port
//! (`console`: raw bytes in and out) and the program in the foreground,
//! with the terminal's termios, window size, and job control: its
//! foreground process group and session (TIOCSPGRP/TIOCGPGRP/TIOCSCTTY),
//! ^C/^\/^Z as signals to that group, SIGWINCH on a new window size.
//!
//! Ownership of the keyboard: while the host shell reads a command line it
//! takes raw bytes itself; while it runs a program in the foreground
//! ([`foreground`]) the bytes go through the line discipline instead (echo,
//! line editing, ^C/^\/^Z as signals to the foreground process group).
//! Bytes move from the raw ring into the line discipline when the program
//! reads or polls the terminal; a kernel thread ("tty") moves them at once
//! when a signal character arrives, so a program that spins without reading
//! still gets its ^C. Bytes typed ahead that the program never asked for
//! stay in the ring for the shell (as a shared tty queue behaves on Linux);
//! they are echoed when read.
//! Readiness: the terminal's [`Pollee`] is notified by the tty thread when
//! bytes arrive (the input interrupt only wakes that thread) and whenever
//! the line discipline gets something to read.
//! Only the foreground session reads the terminal or changes its state
//! (termios, flushes, window size, FIONREAD): any other caller (a detached
//! container, a process of another namespace) gets `EIO`, so one container
//! can neither read the keys typed to another's shell nor signal or
//! reconfigure it through the shared console. Writing is open to all.
//! Invariants: the line discipline is only touched under its lock, never in
//! interrupt context; terminal stop signals to an orphaned process group are
//! discarded, as on Linux (so a program started by the kernel shell cannot
//! be stopped into a state nobody can continue).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use errno::{Errno, KResult};
use linux_abi::flags::{
    FIONREAD, TCFLSH, TCGETS, TCIFLUSH, TCIOFLUSH, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNOTTY,
    TIOCOUTQ, TIOCSCTTY, TIOCSPGRP, TIOCSWINSZ,
};
use linux_abi::IoctlArg;
use spin::Mutex;
use tty::{LineDiscipline, ReadCall, ReadResult, Termios, Wait, Winsize};

use crate::sched::wait::Interrupted;
use crate::task::{signal, PidNs, Process};
use crate::console::input;

use super::{ev, FileLike, OpenFile, PollTable, Pollee, Sink, Source};

struct Group {
    ns: Arc<PidNs>,
    pgid: u32,
    sid: u32,
}

static LD: Mutex<Option<LineDiscipline>> = Mutex::new(None);
static FG: Mutex<Option<Group>> = Mutex::new(None);
/// True while a program owns the keyboard (the tty thread feeds it).
static PROGRAM_OWNS_INPUT: AtomicBool = AtomicBool::new(false);
/// Notified when the terminal may have become readable.
static POLLEE: spin::LazyLock<Pollee> = spin::LazyLock::new(Pollee::new);

fn readable_now() {
    POLLEE.notify(ev::IN | ev::RDNORM);
}

fn with_ld<R>(f: impl FnOnce(&mut LineDiscipline) -> R) -> R {
    let mut g = LD.lock();
    f(g.get_or_insert_with(LineDiscipline::new))
}

/// Starts the thread that feeds typed bytes to the line discipline.
pub fn init() {
    crate::sched::spawn_kernel("tty", alloc::boxed::Box::new(pump));
}

/// The bytes that raise signals now (ISIG on): VINTR, VQUIT, VSUSP.
fn signal_chars() -> [Option<u8>; 3] {
    use tty::termios::{ISIG, VINTR, VQUIT, VSUSP};
    with_ld(|ld| {
        let t = ld.termios();
        let on = |i: usize| (t.c_lflag & ISIG != 0 && t.c_cc[i] != 0).then_some(t.c_cc[i]);
        [on(VINTR), on(VQUIT), on(VSUSP)]
    })
}

/// The tty thread: announces typed bytes to the terminal's pollee (the
/// input interrupt only wakes this thread) and turns signal characters
/// into signals at once.
fn pump() {
    let mut seen = input::pushed();
    loop {
        let (now, signal) = input::INPUT.wait_for(|| {
            let now = input::pushed();
            let signal = PROGRAM_OWNS_INPUT.load(Ordering::Acquire) && {
                let sigs = signal_chars();
                input::contains(|b| sigs.contains(&Some(b)))
            };
            (now != seen || signal).then_some((now, signal))
        });
        if signal {
            pull();
        }
        if now != seen {
            seen = now;
            readable_now();
        }
    }
}

/// Moves what was typed into the line discipline (echo, signals, wake-ups).
fn pull() {
    if !PROGRAM_OWNS_INPUT.load(Ordering::Acquire) {
        return;
    }
    loop {
        let mut bytes = Vec::new();
        while let Some(b) = input::try_read() {
            bytes.push(b);
            if bytes.len() >= 256 {
                break;
            }
        }
        if bytes.is_empty() {
            return;
        }
        let ev = with_ld(|ld| ld.receive(&bytes));
        if !ev.echo.is_empty() {
            crate::console::write_bytes(&ev.echo);
        }
        for sig in &ev.signals {
            signal_foreground(*sig);
        }
        if ev.wake_readers || !ev.signals.is_empty() {
            input::INPUT.wake_all();
            readable_now();
        }
    }
}

/// A signal from the keyboard to the foreground process group.
fn signal_foreground(sig: signal::Signal) {
    let Some((ns, pgid)) = FG.lock().as_ref().map(|g| (g.ns.clone(), g.pgid)) else { return };
    let members: Vec<Arc<Process>> =
        ns.group(pgid).into_iter().filter(|p| !p.is_zombie()).collect();
    let stop = matches!(sig, signal::Signal::SIGTSTP | signal::Signal::SIGTTIN | signal::Signal::SIGTTOU);
    if stop && crate::task::exit::orphaned(&members, pgid) {
        return;
    }
    for p in &members {
        signal::send_to_process(p, sig);
    }
}

/// Runs `wait` while `p` is the terminal's foreground program (its session
/// and group get the keyboard); the host shell gets it back afterwards, and
/// the terminal settings return to their defaults.
pub fn foreground<R>(p: &Arc<Process>, wait: impl FnOnce() -> R) -> R {
    with_ld(|ld| *ld = LineDiscipline::new());
    *FG.lock() = Some(Group { ns: p.ns.clone(), pgid: p.pgid.load(Ordering::Acquire), sid: p.sid.load(Ordering::Acquire) });
    PROGRAM_OWNS_INPUT.store(true, Ordering::Release);
    input::INPUT.wake_all();
    let r = wait();
    PROGRAM_OWNS_INPUT.store(false, Ordering::Release);
    *FG.lock() = None;
    with_ld(|ld| *ld = LineDiscipline::new());
    r
}


/// True if `p` belongs to the terminal's foreground session.
fn in_foreground(p: &Arc<Process>) -> bool {
    FG.lock().as_ref().is_some_and(|g| Arc::ptr_eq(&g.ns, &p.ns) && g.sid == p.sid.load(Ordering::Acquire))
}

/// [`in_foreground`] for the running thread's process.
fn caller_in_foreground() -> bool {
    crate::sched::current().process.as_ref().is_some_and(in_foreground)
}

/// read(2) on the console: `EIO` outside the foreground session.
pub fn read(buf: &mut [u8], nonblock: bool) -> KResult<usize> {
    let mut call = ReadCall::new();
    let mut timer: Option<u64> = None;
    loop {
        if !caller_in_foreground() {
            return Err(Errno::EIO);
        }
        pull();
        match with_ld(|ld| ld.read(&mut call, buf)) {
            ReadResult::Ready(n) => return Ok(n),
            ReadResult::Eof => return Ok(0),
            ReadResult::WouldBlock(wait) => {
                if nonblock {
                    return if call.copied() > 0 { Ok(call.copied()) } else { Err(Errno::EAGAIN) };
                }
                let deadline = match wait {
                    Wait::Input => None,
                    Wait::InputOrTimeout { deciseconds, restart_on_input } => {
                        let ticks = u64::from(deciseconds) * u64::from(crate::time::HZ) / 10;
                        if restart_on_input || timer.is_none() {
                            timer = Some(crate::time::ticks() + ticks);
                        }
                        timer
                    }
                };
                let before = with_ld(|ld| ld.available());
                // New raw bytes for a program that owns the keyboard (the
                // shell's own bytes are not ours: waking for them would spin
                // while the shell waits for the CPU), or the line discipline
                // changed (tty thread, TCSETS), or the foreground changed.
                let woke = || {
                    let raw = PROGRAM_OWNS_INPUT.load(Ordering::Acquire) && input::has_input();
                    let moved = with_ld(|ld| ld.available()) != before || with_ld(|ld| ld.readable());
                    (raw || moved || !PROGRAM_OWNS_INPUT.load(Ordering::Acquire)).then_some(())
                };
                match input::INPUT.wait_interruptible(woke, deadline) {
                    Ok(()) => {}
                    Err(Interrupted::TimedOut) => call.time_out(),
                    Err(i) => return if call.copied() > 0 { Ok(call.copied()) } else { Err(i.errno()) },
                }
            }
        }
    }
}

/// write(2) on the console: output processing (ONLCR) then the serial port.
pub fn write(data: &[u8]) -> usize {
    let out = with_ld(|ld| ld.write_output(data));
    crate::console::write_bytes(&out);
    data.len()
}

/// True if a read would not block (poll).
pub fn readable() -> bool {
    pull();
    with_ld(|ld| ld.readable())
}

/// The terminal ioctls for process `p` (user memory through `space`).
/// Those that change the terminal or look at its input are for the
/// foreground session only (`EIO` otherwise).
pub fn ioctl(p: &Arc<Process>, space: &crate::task::mm::Mm, cmd: u32, arg: IoctlArg) -> KResult<usize> {
    if matches!(cmd, TCSETS | TCSETSW | TCSETSF | TCFLSH | TIOCSWINSZ | FIONREAD) && !in_foreground(p) {
        return Err(Errno::EIO);
    }
    match cmd {
        TCGETS => {
            let t = with_ld(|ld| ld.termios().clone());
            space.write(arg.ptr(), &t)?;
            Ok(0)
        }
        TCSETS | TCSETSW | TCSETSF => {
            let t: Termios = space.read(arg.ptr())?;
            let ev = with_ld(|ld| {
                if cmd == TCSETSF {
                    ld.flush_input();
                }
                ld.set_termios(t)
            });
            if !ev.echo.is_empty() {
                crate::console::write_bytes(&ev.echo);
            }
            input::INPUT.wake_all();
            readable_now();
            Ok(0)
        }
        TCFLSH => {
            let queue = arg.int();
            if queue == TCIFLUSH as i32 || queue == TCIOFLUSH as i32 {
                with_ld(|ld| ld.flush_input());
            }
            POLLEE.notify(ev::OUT);
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = with_ld(|ld| ld.winsize());
            space.write(arg.ptr(), &w)?;
            Ok(0)
        }
        TIOCSWINSZ => {
            let w: Winsize = space.read(arg.ptr())?;
            if let Some(sig) = with_ld(|ld| ld.set_winsize(w)) {
                signal_foreground(sig);
            }
            Ok(0)
        }
        FIONREAD => {
            let n = u32::try_from(with_ld(|ld| ld.available())).unwrap_or(u32::MAX);
            space.write(arg.ptr(), &n)?;
            Ok(0)
        }
        TIOCOUTQ => {
            space.write(arg.ptr(), &0u32)?;
            Ok(0)
        }
        TIOCGPGRP => {
            let fg = FG.lock().as_ref().filter(|g| Arc::ptr_eq(&g.ns, &p.ns)).map(|g| g.pgid);
            // No foreground group visible from here: Linux reports a pgid no process has.
            space.write(arg.ptr(), &fg.unwrap_or(0x7fff_ffff))?;
            Ok(0)
        }
        TIOCSPGRP => {
            let pgid: i32 = space.read(arg.ptr())?;
            if pgid < 0 {
                return Err(Errno::EINVAL);
            }
            let mut fg = FG.lock();
            let Some(g) = fg.as_mut() else { return Err(Errno::ENOTTY) };
            if !Arc::ptr_eq(&g.ns, &p.ns) || g.sid != p.sid.load(Ordering::Acquire) {
                return Err(Errno::ENOTTY);
            }
            let exists = p.ns.processes().iter().any(|q| q.pgid.load(Ordering::Acquire) == pgid as u32 && q.sid.load(Ordering::Acquire) == g.sid);
            if !exists {
                return Err(Errno::EPERM);
            }
            g.pgid = pgid as u32;
            Ok(0)
        }
        TIOCGSID => {
            let sid = FG.lock().as_ref().filter(|g| Arc::ptr_eq(&g.ns, &p.ns)).map(|g| g.sid).ok_or(Errno::ENOTTY)?;
            space.write(arg.ptr(), &sid)?;
            Ok(0)
        }
        TIOCSCTTY => {
            // The console already is the controlling terminal of the foreground session.
            let mut fg = FG.lock();
            match fg.as_mut() {
                Some(g) if Arc::ptr_eq(&g.ns, &p.ns) => {
                    g.sid = p.sid.load(Ordering::Acquire);
                    g.pgid = p.pgid.load(Ordering::Acquire);
                    Ok(0)
                }
                _ => Err(Errno::EPERM),
            }
        }
        TIOCNOTTY => Ok(0),
        _ => Err(Errno::ENOTTY),
    }
}

/// An open file on the terminal: the descriptors a program gets from the
/// shell, or /dev/tty, /dev/console, /dev/ttyS0 opened by path (`at`).
pub struct TtyFile {
    loc: Option<vfs::Location>,
}

impl TtyFile {
    /// The terminal as a login gets it (stdin/stdout/stderr).
    pub fn console() -> TtyFile {
        TtyFile { loc: None }
    }

    /// The terminal opened through its device node `loc`.
    pub fn at(loc: vfs::Location) -> TtyFile {
        TtyFile { loc: Some(loc) }
    }
}

/// The console as `stat` sees it without a node: a character device 5:1.
fn console_stat() -> linux_abi::structs::Stat {
    use linux_abi::structs;
    structs::Stat {
        st_ino: 1,
        st_nlink: 1,
        st_mode: structs::S_IFCHR | 0o620,
        st_rdev: structs::encode_dev(5, 1),
        st_blksize: 1024,
        ..structs::Stat::default()
    }
}

impl FileLike for TtyFile {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        let mut buf = alloc::vec![0u8; dst.len().min(4096)];
        let n = read(&mut buf, file.nonblocking())?;
        dst.put(0, &buf[..n])?;
        Ok(n)
    }

    fn write(&self, _file: &OpenFile, src: &mut dyn Source, _at: Option<u64>) -> KResult<usize> {
        let mut done = 0;
        let mut buf = alloc::vec![0u8; src.len().min(4096)];
        while done < src.len() {
            let n = (src.len() - done).min(buf.len());
            if let Err(e) = src.get(done, &mut buf[..n]) {
                return if done > 0 { Ok(done) } else { Err(e) };
            }
            done += write(&buf[..n]);
        }
        Ok(done)
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&POLLEE);
        }
        let mut bits = ev::OUT | ev::WRNORM;
        if readable() {
            bits |= ev::IN | ev::RDNORM;
        }
        bits & mask
    }

    fn ioctl(&self, _file: &OpenFile, t: &mut crate::task::Task, cmd: u32, arg: IoctlArg) -> KResult<usize> {
        ioctl(&t.proc, &t.space, cmd, arg)
    }

    fn stat(&self) -> KResult<linux_abi::structs::Stat> {
        match &self.loc {
            Some(loc) => Ok(super::inode::linux_stat(&loc.stat()?)),
            None => Ok(console_stat()),
        }
    }

    fn fs_magic(&self) -> i64 {
        linux_abi::structs::DEVPTS_SUPER_MAGIC
    }

    fn location(&self) -> Option<&vfs::Location> {
        self.loc.as_ref()
    }

    fn describe(&self) -> alloc::string::String {
        match &self.loc {
            Some(loc) => loc.path(),
            None => alloc::string::String::from("/dev/console"),
        }
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        match &self.loc {
            Some(loc) => {
                let st = loc.stat()?;
                Ok((st.dev, st.meta.ino))
            }
            None => Ok((u64::MAX - 1, 0)),
        }
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
