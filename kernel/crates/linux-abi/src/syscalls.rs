//! Which Linux syscalls Cyrius offers, and how completely: one declaration,
//! [`linux_syscalls!`](crate::linux_syscalls), that the kernel's dispatch
//! table is generated from (each implemented entry names the kernel
//! handler of the same name) and that [`TABLE`] and [`markdown`] print for
//! people (`cargo run -p linux-abi --bin syscall-table`, `docs/syscalls.md`).
//!
//! Grammar of an entry: `name = number => Full;`,
//! `name = number => Partial("what is missing");` or
//! `name = number => Missing("why");`. Numbers not listed are not
//! implemented (the kernel answers ENOSYS and logs the first call).
//! Invariants, checked at compile time: entries are sorted by number,
//! each number appears once, and each name is Linux's name for its number
//! (`sysno`).

use alloc::format;
use alloc::string::String;

/// How far a syscall is implemented.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Support {
    /// As Linux, for everything a container can observe.
    Full,
    /// Implemented with the gaps the note names.
    Partial,
    /// Not implemented: ENOSYS.
    Missing,
}

impl Support {
    pub const fn label(self) -> &'static str {
        match self {
            Support::Full => "full",
            Support::Partial => "partial",
            Support::Missing => "not implemented",
        }
    }
}

/// One declared syscall.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entry {
    pub nr: usize,
    pub name: &'static str,
    pub support: Support,
    pub note: &'static str,
}

/// The declaration. `linux_syscalls!(callback)` expands to
/// `callback! { name = nr => Support(...); ... }` with every entry.
#[macro_export]
macro_rules! linux_syscalls {
    ($callback:ident) => {
        $callback! {
            read = 0 => Full;
            write = 1 => Full;
            open = 2 => Partial("FIFOs cannot be opened (ENXIO: named pipes are not attached to pipe buffers); O_TMPFILE is not supported");
            close = 3 => Full;
            stat = 4 => Full;
            fstat = 5 => Full;
            lstat = 6 => Full;
            poll = 7 => Full;
            lseek = 8 => Partial("SEEK_DATA and SEEK_HOLE are EINVAL");
            mmap = 9 => Partial("an address hint without MAP_FIXED is ignored; MAP_POPULATE, MAP_LOCKED, MAP_HUGETLB and MAP_GROWSDOWN have no effect; MAP_DROPPABLE is EINVAL");
            mprotect = 10 => Full;
            munmap = 11 => Full;
            brk = 12 => Full;
            rt_sigaction = 13 => Full;
            rt_sigprocmask = 14 => Full;
            rt_sigreturn = 15 => Full;
            ioctl = 16 => Partial("terminal ioctls on the console, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, FIOASYNC; other requests are ENOTTY");
            pread64 = 17 => Full;
            pwrite64 = 18 => Full;
            readv = 19 => Full;
            writev = 20 => Full;
            access = 21 => Full;
            pipe = 22 => Full;
            select = 23 => Full;
            sched_yield = 24 => Full;
            mremap = 25 => Partial("growing in place is ENOMEM (MREMAP_MAYMOVE moves); MREMAP_FIXED and MREMAP_DONTUNMAP are ENOSYS; an old size of 0 is EINVAL");
            msync = 26 => Full;
            madvise = 28 => Partial("MADV_DONTNEED drops pages; the other advice values are accepted and have no effect");
            shmget = 29 => Full;
            shmat = 30 => Partial("an attachment partly unmapped, or moved by mremap, stays counted as attached until shmdt, exec or exit");
            shmctl = 31 => Partial("SHM_LOCK/SHM_UNLOCK record the flag (nothing is ever swapped out); SHM_INFO reports every page as resident");
            dup = 32 => Full;
            dup2 = 33 => Full;
            pause = 34 => Full;
            nanosleep = 35 => Full;
            getitimer = 36 => Partial("ITIMER_REAL only; ITIMER_VIRTUAL and ITIMER_PROF are ENOSYS");
            alarm = 37 => Full;
            setitimer = 38 => Partial("ITIMER_REAL only; ITIMER_VIRTUAL and ITIMER_PROF are ENOSYS");
            getpid = 39 => Full;
            sendfile = 40 => Full;
            socket = 41 => Partial("AF_INET (TCP, UDP), AF_INET6 (dual-stack: IPv4 peers v4-mapped; IPv6 traffic only over ::1, the stack carries no IPv6) and AF_UNIX (stream, datagram); other families are EAFNOSUPPORT");
            connect = 42 => Full;
            accept = 43 => Full;
            sendto = 44 => Partial("MSG_OOB is EOPNOTSUPP");
            recvfrom = 45 => Partial("MSG_OOB is EINVAL");
            sendmsg = 46 => Partial("SCM_RIGHTS is EOPNOTSUPP; other control messages are ignored");
            recvmsg = 47 => Partial("no control messages are received");
            shutdown = 48 => Full;
            bind = 49 => Full;
            listen = 50 => Full;
            getsockname = 51 => Full;
            getpeername = 52 => Full;
            socketpair = 53 => Partial("AF_UNIX only");
            setsockopt = 54 => Partial("the common SOL_SOCKET, IPPROTO_TCP and IPPROTO_IP options and IPV6_V6ONLY; IP options are stored without effect, other IPPROTO_IPV6 options are ENOPROTOOPT");
            getsockopt = 55 => Partial("the options setsockopt takes, and SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_ACCEPTCONN, SO_PEERCRED");
            clone = 56 => Partial("namespace flags (CLONE_NEW*) are EPERM; CLONE_PIDFD is not supported");
            fork = 57 => Full;
            vfork = 58 => Full;
            execve = 59 => Full;
            exit = 60 => Full;
            wait4 = 61 => Partial("the rusage holds CPU times only");
            kill = 62 => Full;
            uname = 63 => Full;
            semget = 64 => Full;
            semop = 65 => Partial("SEM_UNDO adjustments are per process: CLONE_SYSVSEM does not share them between processes");
            semctl = 66 => Full;
            shmdt = 67 => Full;
            msgget = 68 => Full;
            msgsnd = 69 => Full;
            msgrcv = 70 => Full;
            msgctl = 71 => Full;
            fcntl = 72 => Partial("F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_GETPIPE_SZ/F_SETPIPE_SZ, record locks (F_GETLK/F_SETLK/F_SETLKW with deadlock detection, F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW), owners (F_SETOWN/F_GETOWN(_EX)) and O_ASYNC's SIGIO for input, errors and hang-ups (not for room to write, no SIGURG); leases, F_NOTIFY, F_SETSIG and seals are EINVAL");
            flock = 73 => Full;
            fsync = 74 => Full;
            fdatasync = 75 => Full;
            truncate = 76 => Full;
            ftruncate = 77 => Full;
            getdents = 78 => Full;
            getcwd = 79 => Full;
            chdir = 80 => Full;
            fchdir = 81 => Full;
            rename = 82 => Full;
            mkdir = 83 => Full;
            rmdir = 84 => Full;
            link = 86 => Full;
            unlink = 87 => Full;
            symlink = 88 => Full;
            readlink = 89 => Full;
            chmod = 90 => Full;
            fchmod = 91 => Full;
            chown = 92 => Full;
            fchown = 93 => Full;
            lchown = 94 => Full;
            umask = 95 => Full;
            gettimeofday = 96 => Full;
            getrlimit = 97 => Full;
            getrusage = 98 => Partial("CPU times only");
            sysinfo = 99 => Partial("no load average (0) and no swap");
            times = 100 => Full;
            getuid = 102 => Full;
            getgid = 104 => Full;
            setuid = 105 => Full;
            setgid = 106 => Full;
            geteuid = 107 => Full;
            getegid = 108 => Full;
            setpgid = 109 => Full;
            getppid = 110 => Full;
            getpgrp = 111 => Full;
            setsid = 112 => Full;
            setreuid = 113 => Full;
            setregid = 114 => Full;
            getgroups = 115 => Full;
            setgroups = 116 => Full;
            setresuid = 117 => Full;
            getresuid = 118 => Full;
            setresgid = 119 => Full;
            getresgid = 120 => Full;
            getpgid = 121 => Full;
            setfsuid = 122 => Full;
            setfsgid = 123 => Full;
            getsid = 124 => Full;
            capget = 125 => Full;
            capset = 126 => Full;
            rt_sigpending = 127 => Full;
            rt_sigtimedwait = 128 => Full;
            rt_sigqueueinfo = 129 => Full;
            rt_sigsuspend = 130 => Full;
            sigaltstack = 131 => Full;
            utime = 132 => Full;
            mknod = 133 => Full;
            statfs = 137 => Full;
            fstatfs = 138 => Full;
            getpriority = 140 => Full;
            setpriority = 141 => Full;
            sched_setparam = 142 => Partial("the priority is recorded and reported; the run queue is round-robin, without real-time preemption");
            sched_getparam = 143 => Full;
            sched_setscheduler = 144 => Partial("SCHED_FIFO and SCHED_RR are recorded and reported and RR gets its 100 ms quantum, but the run queue is round-robin: no real-time preemption; SCHED_DEADLINE is EINVAL here as on Linux (it needs sched_setattr)");
            sched_getscheduler = 145 => Full;
            sched_get_priority_max = 146 => Full;
            sched_get_priority_min = 147 => Full;
            sched_rr_get_interval = 148 => Full;
            pivot_root = 155 => Partial("EPERM without CAP_SYS_ADMIN; with it ENOSYS (the root mount of a namespace cannot be replaced)");
            prctl = 157 => Partial("PR_SET/GET_NAME, PR_SET/GET_SECCOMP, the capability options (PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT, PR_GET/SET_KEEPCAPS, PR_GET/SET_SECUREBITS), PR_GET/SET_NO_NEW_PRIVS, PR_SET/GET_PDEATHSIG (sent when the parent process ends, not when the creating thread does), PR_SET/GET_DUMPABLE (no core dumps are written), PR_SET/GET_CHILD_SUBREAPER, PR_SET/GET_TIMERSLACK (recorded; timers have 1 ms resolution), PR_GET_TID_ADDRESS, PR_SET/GET_THP_DISABLE (recorded; no huge pages), PR_GET/SET_TIMING, PR_TASK_PERF_EVENTS_*; PR_SET_VMA is EINVAL as on a kernel without CONFIG_ANON_VMA_NAME; other options are ENOSYS");
            arch_prctl = 158 => Partial("ARCH_SET_FS and ARCH_GET_FS only; other codes are EINVAL");
            setrlimit = 160 => Full;
            chroot = 161 => Partial("the root is per thread: threads do not share it (no CLONE_FS)");
            sync = 162 => Full;
            settimeofday = 164 => Partial("the wall clock to the millisecond (its resolution); the time zone is ignored");
            mount = 165 => Partial("tmpfs, proc and bind mounts (MS_REC binds only the top mount), MS_REMOUNT flag changes, MS_PRIVATE/MS_SLAVE (every mount is private); other filesystem types ENODEV; MS_MOVE, MS_SHARED, MS_UNBINDABLE ENOSYS");
            umount2 = 166 => Partial("MNT_FORCE acts as a plain unmount; MNT_EXPIRE is ENOSYS");
            sethostname = 170 => Full;
            gettid = 186 => Full;
            setxattr = 188 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            lsetxattr = 189 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            fsetxattr = 190 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            getxattr = 191 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            lgetxattr = 192 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            fgetxattr = 193 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            listxattr = 194 => Partial("no attributes are stored: an empty list");
            llistxattr = 195 => Partial("no attributes are stored: an empty list");
            flistxattr = 196 => Partial("no attributes are stored: an empty list");
            removexattr = 197 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            lremovexattr = 198 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            fremovexattr = 199 => Partial("no attributes are stored: EOPNOTSUPP, as a filesystem without xattrs");
            tkill = 200 => Full;
            time = 201 => Full;
            futex = 202 => Partial("WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP and the BITSET variants (the bitset is not matched); priority-inheritance operations are ENOSYS");
            sched_setaffinity = 203 => Full;
            sched_getaffinity = 204 => Full;
            epoll_create = 213 => Full;
            getdents64 = 217 => Full;
            set_tid_address = 218 => Full;
            semtimedop = 220 => Partial("as semop");
            fadvise64 = 221 => Full;
            clock_settime = 227 => Partial("CLOCK_REALTIME only, to the millisecond (its resolution)");
            clock_gettime = 228 => Partial("CLOCK_TAI and the alarm clocks are EINVAL");
            clock_getres = 229 => Full;
            clock_nanosleep = 230 => Partial("CLOCK_TAI and the alarm clocks are EINVAL");
            exit_group = 231 => Full;
            epoll_wait = 232 => Full;
            epoll_ctl = 233 => Partial("EPOLLET reports input while it is present (an edge-triggered reader sees extra wake-ups)");
            tgkill = 234 => Full;
            utimes = 235 => Full;
            waitid = 247 => Partial("the rusage is not filled");
            inotify_init = 253 => Full;
            inotify_add_watch = 254 => Partial("events generated: IN_CREATE, IN_DELETE, IN_MODIFY (write), IN_MOVED_FROM/IN_MOVED_TO, IN_CLOSE_WRITE, IN_IGNORED; other event bits are accepted and never reported");
            inotify_rm_watch = 255 => Full;
            openat = 257 => Partial("FIFOs cannot be opened (ENXIO: named pipes are not attached to pipe buffers); O_TMPFILE is not supported");
            mkdirat = 258 => Full;
            mknodat = 259 => Full;
            fchownat = 260 => Full;
            futimesat = 261 => Full;
            newfstatat = 262 => Full;
            unlinkat = 263 => Full;
            renameat = 264 => Full;
            linkat = 265 => Partial("AT_EMPTY_PATH is ENOENT, as for a caller without CAP_DAC_READ_SEARCH");
            symlinkat = 266 => Full;
            readlinkat = 267 => Full;
            fchmodat = 268 => Full;
            faccessat = 269 => Full;
            pselect6 = 270 => Full;
            ppoll = 271 => Full;
            set_robust_list = 273 => Partial("the list is recorded but not walked when a thread exits");
            splice = 275 => Partial("bytes are copied, not moved by page reference (SPLICE_F_MOVE and SPLICE_F_GIFT mean nothing); regular files, sockets and devices on the non-pipe side");
            tee = 276 => Full;
            vmsplice = 278 => Partial("bytes are copied into the pipe, never mapped (SPLICE_F_GIFT means nothing)");
            utimensat = 280 => Full;
            epoll_pwait = 281 => Full;
            signalfd = 282 => Full;
            timerfd_create = 283 => Partial("CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME; the alarm clocks are EINVAL");
            eventfd = 284 => Full;
            timerfd_settime = 286 => Partial("TFD_TIMER_CANCEL_ON_SET is accepted but a clock change does not cancel the timer; CLOCK_REALTIME deadlines do not follow clock changes; millisecond resolution");
            timerfd_gettime = 287 => Full;
            accept4 = 288 => Full;
            signalfd4 = 289 => Full;
            eventfd2 = 290 => Full;
            epoll_create1 = 291 => Full;
            dup3 = 292 => Full;
            pipe2 = 293 => Partial("O_DIRECT (packet mode) is accepted but the pipe stays a byte stream");
            inotify_init1 = 294 => Full;
            preadv = 295 => Full;
            pwritev = 296 => Full;
            rt_tgsigqueueinfo = 297 => Full;
            recvmmsg = 299 => Partial("the timeout is not honoured; no control messages are received");
            prlimit64 = 302 => Full;
            syncfs = 306 => Full;
            sendmmsg = 307 => Partial("as sendmsg");
            getcpu = 309 => Full;
            renameat2 = 316 => Partial("RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT are EINVAL");
            seccomp = 317 => Partial("no user-notification listeners: SECCOMP_FILTER_FLAG_NEW_LISTENER is EINVAL");
            getrandom = 318 => Full;
            memfd_create = 319 => Partial("MFD_HUGETLB is EINVAL; seals are not supported (MFD_ALLOW_SEALING is accepted, F_ADD_SEALS is EINVAL)");
            membarrier = 324 => Full;
            copy_file_range = 326 => Full;
            preadv2 = 327 => Partial("RWF_NOWAIT, RWF_ATOMIC and RWF_DONTCACHE are EOPNOTSUPP");
            pwritev2 = 328 => Partial("RWF_NOWAIT, RWF_ATOMIC and RWF_DONTCACHE are EOPNOTSUPP");
            statx = 332 => Partial("the basic fields only (no birth time, attributes or mount id)");
            rseq = 334 => Full;
            pidfd_send_signal = 424 => Full;
            pidfd_open = 434 => Full;
            clone3 = 435 => Partial("as clone; set_tid and cgroup are not supported");
            close_range = 436 => Full;
            faccessat2 = 439 => Full;
            epoll_pwait2 = 441 => Full;
            fchmodat2 = 452 => Full;
        }
    };
}

/// `(support, note)` of one entry.
#[doc(hidden)]
#[macro_export]
macro_rules! __syscall_support {
    (Full) => {
        ($crate::syscalls::Support::Full, "")
    };
    (Partial($note:literal)) => {
        ($crate::syscalls::Support::Partial, $note)
    };
    (Missing($note:literal)) => {
        ($crate::syscalls::Support::Missing, $note)
    };
}

macro_rules! declare_table {
    ($($name:ident = $nr:literal => $support:ident $(($note:literal))?;)*) => {
        /// Every declared syscall, sorted by number.
        pub const TABLE: &[Entry] = &[$(
            Entry {
                nr: $nr,
                name: stringify!($name),
                support: __syscall_support!($support $(($note))?).0,
                note: __syscall_support!($support $(($note))?).1,
            },
        )*];
    };
}

linux_syscalls!(declare_table);

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Compile-time check of the declaration's invariants.
const fn table_is_consistent() -> bool {
    let mut i = 0;
    while i < TABLE.len() {
        let e = TABLE[i];
        if i > 0 && TABLE[i - 1].nr >= e.nr {
            return false; // unsorted or duplicate
        }
        if e.nr >= crate::sysno::NAMES.len() {
            return false;
        }
        match crate::sysno::NAMES[e.nr] {
            Some(name) if same_str(name, e.name) => {}
            _ => return false, // not Linux's name for this number
        }
        if matches!(e.support, Support::Partial | Support::Missing) && e.note.is_empty() {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(table_is_consistent(), "linux_syscalls!: entries must be sorted, unique and named as in sysno");

/// The declared entry of syscall `nr` (`None`: not implemented).
pub fn entry(nr: usize) -> Option<&'static Entry> {
    TABLE.binary_search_by_key(&nr, |e| e.nr).ok().map(|i| &TABLE[i])
}

/// How far syscall `nr` is implemented.
pub fn support(nr: usize) -> Support {
    entry(nr).map_or(Support::Missing, |e| e.support)
}

/// The compatibility table in Markdown: every x86_64 syscall Linux
/// defines, with its number, support and note.
pub fn markdown() -> String {
    let count = |s: Support| TABLE.iter().filter(|e| e.support == s).count();
    let known = crate::sysno::NAMES.iter().filter(|n| n.is_some()).count();
    let mut out = format!(
        "{} of {} x86_64 syscalls are implemented: {} fully, {} partially.\n\n\
         | nr | syscall | support | note |\n|---:|---|---|---|\n",
        count(Support::Full) + count(Support::Partial),
        known,
        count(Support::Full),
        count(Support::Partial),
    );
    for (nr, name) in crate::sysno::NAMES.iter().enumerate() {
        let Some(name) = name else { continue };
        let (support, note) = entry(nr).map_or((Support::Missing, ""), |e| (e.support, e.note));
        out.push_str(&format!("| {nr} | {name} | {} | {note} |\n", support.label()));
    }
    out
}

/// The lines around the generated table in `docs/syscalls.md`.
pub const DOC_BEGIN: &str = "<!-- table generated by scripts/syscall-table: begin -->\n";
pub const DOC_END: &str = "<!-- table generated by scripts/syscall-table: end -->\n";

/// `doc` with the text between [`DOC_BEGIN`] and [`DOC_END`] replaced by
/// [`markdown`]; `None` if the markers are missing.
pub fn refresh_doc(doc: &str) -> Option<String> {
    let start = doc.find(DOC_BEGIN)? + DOC_BEGIN.len();
    let end = start + doc.get(start..)?.find(DOC_END)?;
    Some(format!("{}{}{}", &doc[..start], markdown(), &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshing_a_doc() {
        let doc = format!("intro\n{DOC_BEGIN}old\n{DOC_END}outro\n");
        let new = refresh_doc(&doc).unwrap();
        assert!(new.starts_with("intro\n") && new.ends_with(&format!("{DOC_END}outro\n")));
        assert!(new.contains("| 0 | read | full |"));
        assert_eq!(refresh_doc(&new).as_deref(), Some(new.as_str()));
        assert_eq!(refresh_doc("no markers"), None);
    }

    #[test]
    fn lookups() {
        assert_eq!(entry(0).map(|e| e.name), Some("read"));
        assert_eq!(support(0), Support::Full);
        assert_eq!(support(9), Support::Partial);
        assert_eq!(support(27), Support::Missing);
        assert_eq!(support(100_000), Support::Missing);
        assert!(entry(crate::sysno::SYS_CLONE3).is_some_and(|e| !e.note.is_empty()));
    }

    #[test]
    fn markdown_lists_every_syscall() {
        let md = markdown();
        assert!(md.contains("| 0 | read | full |  |\n"));
        assert!(md.contains("| 27 | mincore | not implemented |  |\n"));
        assert!(md.contains("| 9 | mmap | partial | an address hint"));
        let rows = md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| nr")).count();
        assert_eq!(rows, crate::sysno::NAMES.iter().filter(|n| n.is_some()).count());
    }
}
