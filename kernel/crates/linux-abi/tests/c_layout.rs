//! Sizes, offsets and constants checked against the C headers: each group
//! becomes a small C program compiled with the host `gcc`, whose printed
//! values must equal the Rust ones. Skipped (with a note) when gcc is absent.

use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use linux_abi::flags::*;
use linux_abi::structs::*;

/// (Rust value, C expression) pairs.
type Checks = Vec<(i128, &'static str)>;

/// Compiles `prelude` + one printf per expression and returns the values.
fn c_values(name: &str, prelude: &str, checks: &Checks) -> Option<Vec<i128>> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("c_layout_{name}"));
    std::fs::create_dir_all(&dir).ok()?;
    let mut source = String::from(prelude);
    source.push_str("\n#include <stdio.h>\n#include <stddef.h>\nint main(void) {\n");
    for (_, expr) in checks {
        source.push_str(&format!("    printf(\"%lld\\n\", (long long)({expr}));\n"));
    }
    source.push_str("    return 0;\n}\n");
    let c_file = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&c_file, source).ok()?;
    let compiled = Command::new("gcc").arg("-o").arg(&exe).arg(&c_file).output().ok()?;
    assert!(compiled.status.success(), "{name}: {}", String::from_utf8_lossy(&compiled.stderr));
    let run = Command::new(&exe).output().expect("probe runs");
    let text = String::from_utf8(run.stdout).expect("utf-8");
    Some(text.lines().map(|line| line.parse::<i128>().expect("number")).collect())
}

fn compare(name: &str, prelude: &str, checks: Checks) {
    let Some(values) = c_values(name, prelude, &checks) else {
        eprintln!("{name}: gcc not available, skipped");
        return;
    };
    assert_eq!(values.len(), checks.len());
    let mut bad = Vec::new();
    for ((rust, expr), c) in checks.iter().zip(&values) {
        // C prints through `long long`: compare modulo 2^64.
        if (*rust as i64) != (*c as i64) {
            bad.push(format!("{expr}: Rust {rust:#x}, C {c:#x}"));
        }
    }
    assert!(bad.is_empty(), "{name} mismatches:\n{}", bad.join("\n"));
}

macro_rules! layout {
    ($checks:ident, $rust:ty, $c:literal { $($field:ident $(= $cfield:literal)?),* $(,)? }) => {
        $checks.push((size_of::<$rust>() as i128, concat!("sizeof(", $c, ")")));
        $(
            $checks.push((
                offset_of!($rust, $field) as i128,
                concat!("offsetof(", $c, ", ", layout!(@c $field $($cfield)?), ")"),
            ));
        )*
    };
    (@c $field:ident) => { stringify!($field) };
    (@c $field:ident $cfield:literal) => { $cfield };
}

macro_rules! consts {
    ($checks:ident, $($value:expr => $c:literal),* $(,)?) => {
        $( $checks.push((($value) as i128, $c)); )*
    };
}

#[test]
fn glibc_struct_layouts() {
    let mut c = Checks::new();
    layout!(c, Stat, "struct stat" {
        st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, st_rdev, st_size, st_blksize,
        st_blocks, st_atim, st_mtim, st_ctim,
    });
    layout!(c, Statx, "struct statx" {
        stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode, stx_ino,
        stx_size, stx_blocks, stx_attributes_mask, stx_atime, stx_btime, stx_ctime, stx_mtime,
        stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor,
    });
    layout!(c, Statfs, "struct statfs" {
        f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
        f_frsize, f_flags, f_spare,
    });
    layout!(c, StatxTimestamp, "struct statx_timestamp" { tv_sec, tv_nsec });
    layout!(c, Timespec, "struct timespec" { tv_sec, tv_nsec });
    layout!(c, Timeval, "struct timeval" { tv_sec, tv_usec });
    layout!(c, Utsname, "struct utsname" { sysname, nodename, release, version, machine, domainname });
    layout!(c, Sysinfo, "struct sysinfo" {
        uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap, procs,
        totalhigh, freehigh, mem_unit,
    });
    layout!(c, Rlimit, "struct rlimit" { rlim_cur, rlim_max });
    layout!(c, Iovec, "struct iovec" { iov_base, iov_len });
    layout!(c, Tms, "struct tms" { tms_utime, tms_stime, tms_cutime, tms_cstime });
    layout!(c, Rusage, "struct rusage" {
        ru_utime, ru_stime, ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap,
        ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw,
    });
    layout!(c, Winsize, "struct winsize" { ws_row, ws_col, ws_xpixel, ws_ypixel });
    layout!(c, Pollfd, "struct pollfd" { fd, events, revents });
    layout!(c, EpollEvent, "struct epoll_event" { events, data });
    layout!(c, SockaddrIn, "struct sockaddr_in" { sin_family, sin_port, sin_addr, sin_zero });
    layout!(c, SockaddrIn6, "struct sockaddr_in6" { sin6_family, sin6_port, sin6_flowinfo, sin6_addr, sin6_scope_id });
    layout!(c, StackT, "stack_t" { ss_sp, ss_flags, ss_size });
    layout!(c, Siginfo, "siginfo_t" { si_signo, si_errno, si_code, fields = "_sifields" });
    // siginfo union members reached through the accessors' offsets.
    let info = Siginfo::child(CLD_EXITED, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555);
    let bytes = info.to_bytes();
    let at = |off: usize| i128::from(u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()));
    consts!(c,
        16 => "offsetof(siginfo_t, si_pid)",
        20 => "offsetof(siginfo_t, si_uid)",
        24 => "offsetof(siginfo_t, si_status)",
        32 => "offsetof(siginfo_t, si_utime)",
        40 => "offsetof(siginfo_t, si_stime)",
        16 => "offsetof(siginfo_t, si_addr)",
        24 => "offsetof(siginfo_t, si_value)",
        at(16) => "0x1111", at(20) => "0x2222", at(24) => "0x3333",
        at(32) => "0x4444", at(40) => "0x5555",
    );
    // glibc's dirent64 carries a 256-byte name; only the offsets are shared.
    consts!(c,
        offset_of!(LinuxDirent64, d_ino) => "offsetof(struct dirent64, d_ino)",
        offset_of!(LinuxDirent64, d_off) => "offsetof(struct dirent64, d_off)",
        offset_of!(LinuxDirent64, d_reclen) => "offsetof(struct dirent64, d_reclen)",
        offset_of!(LinuxDirent64, d_type) => "offsetof(struct dirent64, d_type)",
        DIRENT64_NAME_OFFSET => "offsetof(struct dirent64, d_name)",
        DT_UNKNOWN => "DT_UNKNOWN", DT_FIFO => "DT_FIFO", DT_CHR => "DT_CHR", DT_DIR => "DT_DIR",
        DT_BLK => "DT_BLK", DT_REG => "DT_REG", DT_LNK => "DT_LNK", DT_SOCK => "DT_SOCK",
        DT_WHT => "DT_WHT",
    );
    compare(
        "glibc",
        "#define _GNU_SOURCE\n#include <sys/stat.h>\n#include <sys/statfs.h>\n#include <time.h>\n#include <sys/time.h>\n\
         #include <sys/utsname.h>\n#include <sys/sysinfo.h>\n#include <sys/resource.h>\n\
         #include <sys/uio.h>\n#include <sys/ioctl.h>\n#include <poll.h>\n#include <sys/epoll.h>\n\
         #include <netinet/in.h>\n#include <signal.h>\n#include <dirent.h>\n#include <sys/times.h>\n",
        c,
    );
}

#[test]
fn kernel_uapi_struct_layouts() {
    let mut c = Checks::new();
    layout!(c, Termios, "struct termios" { c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc });
    layout!(c, CloneArgs, "struct clone_args" {
        flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup,
    });
    consts!(c, CLONE_ARGS_SIZE_VER0 => "CLONE_ARGS_SIZE_VER0");
    consts!(c, NCCS => "NCCS");
    layout!(c, KernelSigaction, "struct sigaction" { sa_handler, sa_flags, sa_restorer, sa_mask });
    layout!(c, Sigcontext, "struct sigcontext" {
        r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
        eflags, cs, gs, fs, ss, err, trapno, oldmask, cr2, fpstate, reserved1,
    });
    layout!(c, Ucontext, "struct ucontext" { uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask });
    layout!(c, RtSigframe, "struct rt_sigframe" { pretcode, uc, info });
    consts!(c,
        UC_FP_XSTATE => "UC_FP_XSTATE",
        UC_SIGCONTEXT_SS => "UC_SIGCONTEXT_SS",
        UC_STRICT_RESTORE_SS => "UC_STRICT_RESTORE_SS",
    );
    compare(
        "uapi_structs",
        "#include <linux/types.h>\n#include <linux/sched.h>\n#include <asm/termbits.h>\n#include <asm/signal.h>\n\
         #include <asm/siginfo.h>\n#include <asm/sigcontext.h>\n#include <asm/ucontext.h>\n\
         /* arch/x86/include/asm/sigframe.h */\n\
         struct rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; };\n",
        c,
    );
}

#[test]
fn kernel_uapi_constants() {
    let mut c = Checks::new();
    for (name, value) in [
        ("O_WRONLY", OpenFlags::O_WRONLY), ("O_RDWR", OpenFlags::O_RDWR),
        ("O_ACCMODE", OpenFlags::O_ACCMODE), ("O_CREAT", OpenFlags::O_CREAT),
        ("O_EXCL", OpenFlags::O_EXCL), ("O_NOCTTY", OpenFlags::O_NOCTTY),
        ("O_TRUNC", OpenFlags::O_TRUNC), ("O_APPEND", OpenFlags::O_APPEND),
        ("O_NONBLOCK", OpenFlags::O_NONBLOCK), ("O_DSYNC", OpenFlags::O_DSYNC),
        ("FASYNC", OpenFlags::FASYNC), ("O_DIRECT", OpenFlags::O_DIRECT),
        ("O_LARGEFILE", OpenFlags::O_LARGEFILE), ("O_DIRECTORY", OpenFlags::O_DIRECTORY),
        ("O_NOFOLLOW", OpenFlags::O_NOFOLLOW), ("O_NOATIME", OpenFlags::O_NOATIME),
        ("O_CLOEXEC", OpenFlags::O_CLOEXEC), ("O_SYNC", OpenFlags::O_SYNC),
        ("O_PATH", OpenFlags::O_PATH), ("O_TMPFILE", OpenFlags::O_TMPFILE),
        ("O_NDELAY", OpenFlags::O_NDELAY),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    for (name, value) in [
        ("AT_SYMLINK_NOFOLLOW", AtFlags::AT_SYMLINK_NOFOLLOW), ("AT_REMOVEDIR", AtFlags::AT_REMOVEDIR),
        ("AT_SYMLINK_FOLLOW", AtFlags::AT_SYMLINK_FOLLOW), ("AT_NO_AUTOMOUNT", AtFlags::AT_NO_AUTOMOUNT),
        ("AT_EMPTY_PATH", AtFlags::AT_EMPTY_PATH), ("AT_STATX_FORCE_SYNC", AtFlags::AT_STATX_FORCE_SYNC),
        ("AT_STATX_DONT_SYNC", AtFlags::AT_STATX_DONT_SYNC), ("AT_RECURSIVE", AtFlags::AT_RECURSIVE),
        ("AT_EACCESS", AtFlags::AT_EACCESS), ("AT_STATX_SYNC_TYPE", AtFlags::AT_STATX_SYNC_TYPE),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    consts!(c, AT_FDCWD => "AT_FDCWD");
    for (name, value) in [
        ("PROT_READ", ProtFlags::PROT_READ), ("PROT_WRITE", ProtFlags::PROT_WRITE),
        ("PROT_EXEC", ProtFlags::PROT_EXEC), ("PROT_SEM", ProtFlags::PROT_SEM),
        ("PROT_GROWSDOWN", ProtFlags::PROT_GROWSDOWN), ("PROT_GROWSUP", ProtFlags::PROT_GROWSUP),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    for (name, value) in [
        ("MAP_SHARED", MapFlags::MAP_SHARED), ("MAP_PRIVATE", MapFlags::MAP_PRIVATE),
        ("MAP_SHARED_VALIDATE", MapFlags::MAP_SHARED_VALIDATE), ("MAP_TYPE", MapFlags::MAP_TYPE),
        ("MAP_FIXED", MapFlags::MAP_FIXED), ("MAP_ANONYMOUS", MapFlags::MAP_ANONYMOUS),
        ("MAP_32BIT", MapFlags::MAP_32BIT), ("MAP_GROWSDOWN", MapFlags::MAP_GROWSDOWN),
        ("MAP_DENYWRITE", MapFlags::MAP_DENYWRITE), ("MAP_EXECUTABLE", MapFlags::MAP_EXECUTABLE),
        ("MAP_LOCKED", MapFlags::MAP_LOCKED), ("MAP_NORESERVE", MapFlags::MAP_NORESERVE),
        ("MAP_POPULATE", MapFlags::MAP_POPULATE), ("MAP_NONBLOCK", MapFlags::MAP_NONBLOCK),
        ("MAP_STACK", MapFlags::MAP_STACK), ("MAP_HUGETLB", MapFlags::MAP_HUGETLB),
        ("MAP_SYNC", MapFlags::MAP_SYNC), ("MAP_FIXED_NOREPLACE", MapFlags::MAP_FIXED_NOREPLACE),
        ("MAP_UNINITIALIZED", MapFlags::MAP_UNINITIALIZED),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    consts!(c,
        MADV_DONTNEED => "MADV_DONTNEED", MADV_FREE => "MADV_FREE", MADV_PAGEOUT => "MADV_PAGEOUT",
        MADV_POPULATE_READ => "MADV_POPULATE_READ", MADV_POPULATE_WRITE => "MADV_POPULATE_WRITE",
        MADV_DONTNEED_LOCKED => "MADV_DONTNEED_LOCKED", MADV_COLLAPSE => "MADV_COLLAPSE",
        MADV_HWPOISON => "MADV_HWPOISON", MADV_SOFT_OFFLINE => "MADV_SOFT_OFFLINE",
        MADV_WIPEONFORK => "MADV_WIPEONFORK", MREMAP_MAYMOVE => "MREMAP_MAYMOVE",
        MREMAP_FIXED => "MREMAP_FIXED", MREMAP_DONTUNMAP => "MREMAP_DONTUNMAP",
    );
    for (name, value) in [
        ("CSIGNAL", CloneFlags::CSIGNAL), ("CLONE_NEWTIME", CloneFlags::CLONE_NEWTIME),
        ("CLONE_VM", CloneFlags::CLONE_VM), ("CLONE_FS", CloneFlags::CLONE_FS),
        ("CLONE_FILES", CloneFlags::CLONE_FILES), ("CLONE_SIGHAND", CloneFlags::CLONE_SIGHAND),
        ("CLONE_PIDFD", CloneFlags::CLONE_PIDFD), ("CLONE_PTRACE", CloneFlags::CLONE_PTRACE),
        ("CLONE_VFORK", CloneFlags::CLONE_VFORK), ("CLONE_PARENT", CloneFlags::CLONE_PARENT),
        ("CLONE_THREAD", CloneFlags::CLONE_THREAD), ("CLONE_NEWNS", CloneFlags::CLONE_NEWNS),
        ("CLONE_SYSVSEM", CloneFlags::CLONE_SYSVSEM), ("CLONE_SETTLS", CloneFlags::CLONE_SETTLS),
        ("CLONE_PARENT_SETTID", CloneFlags::CLONE_PARENT_SETTID),
        ("CLONE_CHILD_CLEARTID", CloneFlags::CLONE_CHILD_CLEARTID),
        ("CLONE_DETACHED", CloneFlags::CLONE_DETACHED), ("CLONE_UNTRACED", CloneFlags::CLONE_UNTRACED),
        ("CLONE_CHILD_SETTID", CloneFlags::CLONE_CHILD_SETTID),
        ("CLONE_NEWCGROUP", CloneFlags::CLONE_NEWCGROUP), ("CLONE_NEWUTS", CloneFlags::CLONE_NEWUTS),
        ("CLONE_NEWIPC", CloneFlags::CLONE_NEWIPC), ("CLONE_NEWUSER", CloneFlags::CLONE_NEWUSER),
        ("CLONE_NEWPID", CloneFlags::CLONE_NEWPID), ("CLONE_NEWNET", CloneFlags::CLONE_NEWNET),
        ("CLONE_IO", CloneFlags::CLONE_IO), ("CLONE_CLEAR_SIGHAND", CloneFlags::CLONE_CLEAR_SIGHAND),
        ("CLONE_INTO_CGROUP", CloneFlags::CLONE_INTO_CGROUP),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    for (name, value) in [
        ("WNOHANG", WaitOptions::WNOHANG), ("WUNTRACED", WaitOptions::WUNTRACED),
        ("WSTOPPED", WaitOptions::WSTOPPED), ("WEXITED", WaitOptions::WEXITED),
        ("WCONTINUED", WaitOptions::WCONTINUED), ("WNOWAIT", WaitOptions::WNOWAIT),
        ("__WNOTHREAD", WaitOptions::__WNOTHREAD), ("__WALL", WaitOptions::__WALL),
        ("__WCLONE", WaitOptions::__WCLONE),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    consts!(c, P_ALL => "P_ALL", P_PID => "P_PID", P_PGID => "P_PGID", P_PIDFD => "P_PIDFD");
    for (name, value) in [
        ("SA_NOCLDSTOP", SaFlags::SA_NOCLDSTOP), ("SA_NOCLDWAIT", SaFlags::SA_NOCLDWAIT),
        ("SA_SIGINFO", SaFlags::SA_SIGINFO), ("SA_UNSUPPORTED", SaFlags::SA_UNSUPPORTED),
        ("SA_EXPOSE_TAGBITS", SaFlags::SA_EXPOSE_TAGBITS), ("SA_RESTORER", SaFlags::SA_RESTORER),
        ("SA_ONSTACK", SaFlags::SA_ONSTACK), ("SA_RESTART", SaFlags::SA_RESTART),
        ("SA_NODEFER", SaFlags::SA_NODEFER), ("SA_RESETHAND", SaFlags::SA_RESETHAND),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    consts!(c,
        SIG_BLOCK => "SIG_BLOCK", SIG_UNBLOCK => "SIG_UNBLOCK", SIG_SETMASK => "SIG_SETMASK",
        SS_ONSTACK => "SS_ONSTACK", SS_DISABLE => "SS_DISABLE", SS_AUTODISARM => "SS_AUTODISARM",
        MINSIGSTKSZ => "MINSIGSTKSZ", SIGSTKSZ => "SIGSTKSZ", SIGRTMIN => "SIGRTMIN",
        SI_USER => "SI_USER", SI_KERNEL => "SI_KERNEL", SI_QUEUE => "SI_QUEUE",
        SI_TIMER => "SI_TIMER", SI_MESGQ => "SI_MESGQ", SI_ASYNCIO => "SI_ASYNCIO",
        SI_SIGIO => "SI_SIGIO", SI_TKILL => "SI_TKILL", CLD_EXITED => "CLD_EXITED",
        CLD_KILLED => "CLD_KILLED", CLD_DUMPED => "CLD_DUMPED", CLD_TRAPPED => "CLD_TRAPPED",
        CLD_STOPPED => "CLD_STOPPED", CLD_CONTINUED => "CLD_CONTINUED",
        SEGV_MAPERR => "SEGV_MAPERR", SEGV_ACCERR => "SEGV_ACCERR", BUS_ADRALN => "BUS_ADRALN",
        BUS_ADRERR => "BUS_ADRERR", ILL_ILLOPC => "ILL_ILLOPC", FPE_INTDIV => "FPE_INTDIV",
        TRAP_BRKPT => "TRAP_BRKPT", ILL_ILLOPN => "ILL_ILLOPN",
        FPE_INTOVF => "FPE_INTOVF", FPE_FLTDIV => "FPE_FLTDIV", FPE_FLTOVF => "FPE_FLTOVF",
        FPE_FLTUND => "FPE_FLTUND", FPE_FLTRES => "FPE_FLTRES", FPE_FLTINV => "FPE_FLTINV",
        TRAP_TRACE => "TRAP_TRACE",
    );
    for number in 1..=31 {
        let signal = Signal::new(number).unwrap();
        let name: &'static str = signal.name();
        c.push((i128::from(signal.number()), name));
    }
    consts!(c, Signal::SIGIOT.number() => "SIGIOT", Signal::SIGPOLL.number() => "SIGPOLL");
    for (name, value) in fcntl_names() {
        c.push((i128::from(value), name));
    }
    consts!(c, FD_CLOEXEC => "FD_CLOEXEC", F_RDLCK => "F_RDLCK", F_WRLCK => "F_WRLCK", F_UNLCK => "F_UNLCK");
    for (name, value) in ioctl_names() {
        c.push((i128::from(value), name));
    }
    consts!(c, TIOCINQ => "TIOCINQ", TCIFLUSH => "TCIFLUSH", TCOFLUSH => "TCOFLUSH", TCIOFLUSH => "TCIOFLUSH");
    for (name, value) in [
        ("POLLIN", PollEvents::POLLIN), ("POLLPRI", PollEvents::POLLPRI), ("POLLOUT", PollEvents::POLLOUT),
        ("POLLERR", PollEvents::POLLERR), ("POLLHUP", PollEvents::POLLHUP), ("POLLNVAL", PollEvents::POLLNVAL),
        ("POLLRDNORM", PollEvents::POLLRDNORM), ("POLLRDBAND", PollEvents::POLLRDBAND),
        ("POLLWRNORM", PollEvents::POLLWRNORM), ("POLLWRBAND", PollEvents::POLLWRBAND),
        ("POLLMSG", PollEvents::POLLMSG), ("POLLREMOVE", PollEvents::POLLREMOVE),
        ("POLLRDHUP", PollEvents::POLLRDHUP),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    for (name, value) in [
        ("EPOLLIN", EpollEvents::EPOLLIN), ("EPOLLOUT", EpollEvents::EPOLLOUT),
        ("EPOLLRDHUP", EpollEvents::EPOLLRDHUP), ("EPOLLEXCLUSIVE", EpollEvents::EPOLLEXCLUSIVE),
        ("EPOLLWAKEUP", EpollEvents::EPOLLWAKEUP), ("EPOLLONESHOT", EpollEvents::EPOLLONESHOT),
        ("EPOLLET", EpollEvents::EPOLLET),
    ] {
        c.push((i128::from(value.bits()), name));
    }
    consts!(c,
        EPOLL_CTL_ADD => "EPOLL_CTL_ADD", EPOLL_CTL_DEL => "EPOLL_CTL_DEL",
        EPOLL_CTL_MOD => "EPOLL_CTL_MOD", EPOLL_CLOEXEC => "EPOLL_CLOEXEC",
    );
    consts!(c,
        STATX_BASIC_STATS => "STATX_BASIC_STATS", STATX_BTIME => "STATX_BTIME",
        STATX_MNT_ID => "STATX_MNT_ID", STATX__RESERVED => "STATX__RESERVED",
        S_IFMT => "S_IFMT", S_IFSOCK => "S_IFSOCK", S_IFLNK => "S_IFLNK", S_IFREG => "S_IFREG",
        S_IFBLK => "S_IFBLK", S_IFDIR => "S_IFDIR", S_IFCHR => "S_IFCHR", S_IFIFO => "S_IFIFO",
        UTIME_NOW => "UTIME_NOW", UTIME_OMIT => "UTIME_OMIT",
        RLIMIT_NOFILE => "RLIMIT_NOFILE", RLIMIT_STACK => "RLIMIT_STACK", RLIMIT_AS => "RLIMIT_AS",
        RLIMIT_RTTIME => "RLIMIT_RTTIME", RLIM_NLIMITS => "RLIM_NLIMITS",
        VINTR => "VINTR", VEOF => "VEOF", VMIN => "VMIN", VSUSP => "VSUSP", VEOL2 => "VEOL2",
        ICRNL => "ICRNL", IXON => "IXON", IUTF8 => "IUTF8", OPOST => "OPOST", ONLCR => "ONLCR",
        B38400 => "B38400", CBAUD => "CBAUD", CS8 => "CS8", CREAD => "CREAD", HUPCL => "HUPCL",
        CLOCAL => "CLOCAL", ISIG => "ISIG", ICANON => "ICANON", ECHO => "ECHO", ECHOCTL => "ECHOCTL",
        ECHOKE => "ECHOKE", IEXTEN => "IEXTEN", TOSTOP => "TOSTOP",
        OFILL => "OFILL", OFDEL => "OFDEL", TABDLY => "TABDLY", XTABS => "XTABS",
        XCASE => "XCASE", FLUSHO => "FLUSHO", PENDIN => "PENDIN", EXTPROC => "EXTPROC",
        ECHONL => "ECHONL", NOFLSH => "NOFLSH", ECHOPRT => "ECHOPRT", ECHOE => "ECHOE",
        ECHOK => "ECHOK", INLCR => "INLCR", IGNCR => "IGNCR", ISTRIP => "ISTRIP", IUCLC => "IUCLC",
        IXANY => "IXANY", OLCUC => "OLCUC", OCRNL => "OCRNL", ONOCR => "ONOCR", ONLRET => "ONLRET",
        VQUIT => "VQUIT", VERASE => "VERASE", VKILL => "VKILL", VTIME => "VTIME",
        VSTART => "VSTART", VSTOP => "VSTOP", VEOL => "VEOL", VREPRINT => "VREPRINT",
        VWERASE => "VWERASE", VLNEXT => "VLNEXT",
    );
    compare(
        "uapi_consts",
        "#include <linux/types.h>\n#include <linux/fcntl.h>\n#include <linux/mman.h>\n\
         #include <linux/sched.h>\n#include <linux/wait.h>\n#include <linux/signal.h>\n\
         #include <asm/siginfo.h>\n#include <asm/ioctls.h>\n#include <asm/termbits.h>\n\
         #include <linux/poll.h>\n#include <linux/eventpoll.h>\n#include <linux/stat.h>\n\
         #include <linux/resource.h>\n#include <linux/time.h>\n\
         #ifndef UTIME_NOW\n#define UTIME_NOW ((1l << 30) - 1l)\n#define UTIME_OMIT ((1l << 30) - 2l)\n#endif\n",
        c,
    );
}

/// Every name of the `fcntl_name` table, for checking against C.
fn fcntl_names() -> Vec<(&'static str, u32)> {
    (0..2048).filter_map(|v| fcntl_name(v).map(|n| (n, v))).collect()
}

/// Every name of the `ioctl_name` table (scanning the ranges they live in).
fn ioctl_names() -> Vec<(&'static str, u32)> {
    let mut names = Vec::new();
    for base in [0u32, 0x8000_0000, 0x4000_0000] {
        for size in [0u32, 4, 0x2c] {
            for nr in 0x5400..0x5480 {
                let value = base | (size << 16) | nr;
                if let Some(name) = ioctl_name(value) {
                    names.push((name, value));
                }
            }
        }
    }
    assert!(names.len() > 50);
    names
}

#[test]
fn socket_layouts_and_constants() {
    let mut c = Checks::new();
    layout!(c, SockaddrUn, "struct sockaddr_un" { sun_family, sun_path });
    layout!(c, Msghdr, "struct msghdr" { msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags });
    layout!(c, Mmsghdr, "struct mmsghdr" { msg_hdr, msg_len });
    layout!(c, Cmsghdr, "struct cmsghdr" { cmsg_len, cmsg_level, cmsg_type });
    layout!(c, Linger, "struct linger" { l_onoff, l_linger });
    layout!(c, Ucred, "struct ucred" { pid, uid, gid });
    consts!(c,
        AF_UNIX => "AF_UNIX", AF_INET => "AF_INET", AF_INET6 => "AF_INET6", AF_NETLINK => "AF_NETLINK", AF_PACKET => "AF_PACKET",
        SOCK_STREAM => "SOCK_STREAM", SOCK_DGRAM => "SOCK_DGRAM", SOCK_RAW => "SOCK_RAW",
        SOCK_SEQPACKET => "SOCK_SEQPACKET", SOCK_NONBLOCK => "SOCK_NONBLOCK", SOCK_CLOEXEC => "SOCK_CLOEXEC",
        SOL_SOCKET => "SOL_SOCKET", IPPROTO_TCP => "IPPROTO_TCP", IPPROTO_UDP => "IPPROTO_UDP",
        IPPROTO_IPV6 => "IPPROTO_IPV6", IPV6_V6ONLY => "IPV6_V6ONLY", IP_TOS => "IP_TOS", IP_TTL => "IP_TTL", IP_PKTINFO => "IP_PKTINFO",
        IP_MTU_DISCOVER => "IP_MTU_DISCOVER", IP_RECVERR => "IP_RECVERR", IP_FREEBIND => "IP_FREEBIND",
        SO_REUSEADDR => "SO_REUSEADDR", SO_TYPE => "SO_TYPE", SO_ERROR => "SO_ERROR",
        SO_BROADCAST => "SO_BROADCAST", SO_SNDBUF => "SO_SNDBUF", SO_RCVBUF => "SO_RCVBUF",
        SO_KEEPALIVE => "SO_KEEPALIVE", SO_LINGER => "SO_LINGER", SO_REUSEPORT => "SO_REUSEPORT",
        SO_PASSCRED => "SO_PASSCRED", SO_PEERCRED => "SO_PEERCRED", SO_RCVTIMEO => "SO_RCVTIMEO",
        SO_SNDTIMEO => "SO_SNDTIMEO", SO_ACCEPTCONN => "SO_ACCEPTCONN", SO_PROTOCOL => "SO_PROTOCOL",
        SO_DOMAIN => "SO_DOMAIN", TCP_NODELAY => "TCP_NODELAY", TCP_MAXSEG => "TCP_MAXSEG",
        TCP_CORK => "TCP_CORK", TCP_KEEPIDLE => "TCP_KEEPIDLE", TCP_KEEPINTVL => "TCP_KEEPINTVL",
        TCP_KEEPCNT => "TCP_KEEPCNT", TCP_DEFER_ACCEPT => "TCP_DEFER_ACCEPT", TCP_QUICKACK => "TCP_QUICKACK",
        MSG_OOB => "MSG_OOB", MSG_PEEK => "MSG_PEEK", MSG_CTRUNC => "MSG_CTRUNC", MSG_TRUNC => "MSG_TRUNC",
        MSG_DONTWAIT => "MSG_DONTWAIT", MSG_EOR => "MSG_EOR", MSG_WAITALL => "MSG_WAITALL",
        MSG_NOSIGNAL => "MSG_NOSIGNAL", MSG_MORE => "MSG_MORE", MSG_WAITFORONE => "MSG_WAITFORONE", MSG_CMSG_CLOEXEC => "MSG_CMSG_CLOEXEC",
        SHUT_RD => "SHUT_RD", SHUT_WR => "SHUT_WR", SHUT_RDWR => "SHUT_RDWR",
        SCM_RIGHTS => "SCM_RIGHTS", SCM_CREDENTIALS => "SCM_CREDENTIALS",
        SOCKADDR_STORAGE_SIZE => "sizeof(struct sockaddr_storage)", UNIX_PATH_MAX => "sizeof(((struct sockaddr_un *)0)->sun_path)",
    );
    compare(
        "sockets",
        "#define _GNU_SOURCE\n#include <sys/socket.h>\n#include <sys/un.h>\n#include <netinet/in.h>\n\
         #include <netinet/tcp.h>\n",
        c,
    );
}

#[test]
fn mount_constants() {
    let mut c = Checks::new();
    consts!(c,
        MS_RDONLY => "MS_RDONLY", MS_NOSUID => "MS_NOSUID", MS_NODEV => "MS_NODEV", MS_NOEXEC => "MS_NOEXEC",
        MS_REMOUNT => "MS_REMOUNT", MS_BIND => "MS_BIND", MS_MOVE => "MS_MOVE", MS_REC => "MS_REC",
        MS_UNBINDABLE => "MS_UNBINDABLE", MS_PRIVATE => "MS_PRIVATE", MS_SLAVE => "MS_SLAVE", MS_SHARED => "MS_SHARED",
        MS_NOUSER => "(unsigned int)MS_NOUSER", MS_MGC_MSK => "MS_MGC_MSK", MS_MGC_VAL => "MS_MGC_VAL",
        MNT_FORCE => "MNT_FORCE", MNT_DETACH => "MNT_DETACH", MNT_EXPIRE => "MNT_EXPIRE", UMOUNT_NOFOLLOW => "UMOUNT_NOFOLLOW",
    );
    compare("mount", "#include <sys/mount.h>\n", c);
}

#[test]
fn file_process_and_time_constants() {
    let mut c = Checks::new();
    for (name, value) in (0..8).filter_map(|v| whence_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    for (name, value) in (0..16).filter_map(|v| futex_op_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    for (name, value) in (0..16).filter_map(|v| clock_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    for (name, value) in (0..64).filter_map(|v| prctl_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    consts!(c, PR_SET_VMA => "PR_SET_VMA");
    for (name, value) in (0x1000..0x1020).filter_map(|v| arch_prctl_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    consts!(c,
        LOCK_SH => "LOCK_SH", LOCK_EX => "LOCK_EX", LOCK_NB => "LOCK_NB", LOCK_UN => "LOCK_UN",
        POSIX_FADV_NORMAL => "POSIX_FADV_NORMAL", POSIX_FADV_RANDOM => "POSIX_FADV_RANDOM",
        POSIX_FADV_SEQUENTIAL => "POSIX_FADV_SEQUENTIAL", POSIX_FADV_WILLNEED => "POSIX_FADV_WILLNEED",
        POSIX_FADV_DONTNEED => "POSIX_FADV_DONTNEED", POSIX_FADV_NOREUSE => "POSIX_FADV_NOREUSE",
        RENAME_NOREPLACE => "RENAME_NOREPLACE", RENAME_EXCHANGE => "RENAME_EXCHANGE",
        RENAME_WHITEOUT => "RENAME_WHITEOUT", XATTR_CREATE => "XATTR_CREATE", XATTR_REPLACE => "XATTR_REPLACE",
        XATTR_NAME_MAX => "XATTR_NAME_MAX", XATTR_SIZE_MAX => "XATTR_SIZE_MAX", PATH_MAX => "PATH_MAX",
        NGROUPS_MAX => "NGROUPS_MAX", FUTEX_PRIVATE_FLAG => "FUTEX_PRIVATE_FLAG",
        FUTEX_CLOCK_REALTIME => "FUTEX_CLOCK_REALTIME", FUTEX_CMD_MASK as i32 => "FUTEX_CMD_MASK",
        TIMER_ABSTIME => "TIMER_ABSTIME", RUSAGE_SELF => "RUSAGE_SELF",
        RUSAGE_CHILDREN => "RUSAGE_CHILDREN", RUSAGE_THREAD => "RUSAGE_THREAD",
        GRND_NONBLOCK => "GRND_NONBLOCK", GRND_RANDOM => "GRND_RANDOM", GRND_INSECURE => "GRND_INSECURE",
        MS_ASYNC => "MS_ASYNC", MS_INVALIDATE => "MS_INVALIDATE", MS_SYNC => "MS_SYNC",
        TASK_COMM_LEN => "16 /* TASK_COMM_LEN: sizeof the prctl(PR_GET_NAME) buffer */",
        F_OK => "F_OK", X_OK => "X_OK", W_OK => "W_OK", R_OK => "R_OK",
        PIPE_BUF => "PIPE_BUF", ROBUST_LIST_HEAD_SIZE => "sizeof(struct robust_list_head)",
        PIPEFS_MAGIC => "PIPEFS_MAGIC", DEVPTS_SUPER_MAGIC => "DEVPTS_SUPER_MAGIC",
        SOCKFS_MAGIC => "SOCKFS_MAGIC", ANON_INODE_FS_MAGIC => "ANON_INODE_FS_MAGIC",
    );
    compare(
        "file_process_time",
        "#include <linux/types.h>\n#include <linux/fs.h>\n#include <linux/fcntl.h>\n\
         #include <linux/fadvise.h>\n#include <linux/futex.h>\n#include <linux/time.h>\n\
         #include <linux/prctl.h>\n#include <asm/prctl.h>\n#include <linux/resource.h>\n\
         #include <linux/mman.h>\n#include <linux/xattr.h>\n#include <linux/limits.h>\n\
         #include <linux/random.h>\n#include <linux/magic.h>\n#include <unistd.h>\n",
        c,
    );
}

#[test]
fn descriptor_kind_layouts_and_flags() {
    let mut c = Checks::new();
    layout!(c, Itimerspec, "struct itimerspec" { it_interval, it_value });
    layout!(c, SignalfdSiginfo, "struct signalfd_siginfo" {
        ssi_signo, ssi_errno, ssi_code, ssi_pid, ssi_uid, ssi_fd, ssi_tid, ssi_band, ssi_overrun, ssi_trapno,
        ssi_status, ssi_int, ssi_ptr, ssi_utime, ssi_stime, ssi_addr, ssi_addr_lsb, ssi_syscall, ssi_call_addr,
        ssi_arch,
    });
    consts!(c,
        EFD_SEMAPHORE => "EFD_SEMAPHORE", EFD_CLOEXEC => "EFD_CLOEXEC", EFD_NONBLOCK => "EFD_NONBLOCK",
        TFD_CLOEXEC => "TFD_CLOEXEC", TFD_NONBLOCK => "TFD_NONBLOCK", TFD_TIMER_ABSTIME => "TFD_TIMER_ABSTIME",
        TFD_TIMER_CANCEL_ON_SET => "TFD_TIMER_CANCEL_ON_SET",
        SFD_CLOEXEC => "SFD_CLOEXEC", SFD_NONBLOCK => "SFD_NONBLOCK",
        MFD_CLOEXEC => "MFD_CLOEXEC", MFD_ALLOW_SEALING => "MFD_ALLOW_SEALING", MFD_HUGETLB => "MFD_HUGETLB",
        F_SEAL_SEAL => "F_SEAL_SEAL", F_SEAL_SHRINK => "F_SEAL_SHRINK", F_SEAL_GROW => "F_SEAL_GROW",
        F_SEAL_WRITE => "F_SEAL_WRITE", F_SEAL_FUTURE_WRITE => "F_SEAL_FUTURE_WRITE",
        F_ADD_SEALS => "F_ADD_SEALS", F_GET_SEALS => "F_GET_SEALS",
        IN_CLOEXEC => "IN_CLOEXEC", IN_NONBLOCK => "IN_NONBLOCK",
        IN_ACCESS => "IN_ACCESS", IN_MODIFY => "IN_MODIFY", IN_ATTRIB => "IN_ATTRIB", IN_CLOSE_WRITE => "IN_CLOSE_WRITE",
        IN_CLOSE_NOWRITE => "IN_CLOSE_NOWRITE", IN_OPEN => "IN_OPEN", IN_MOVED_FROM => "IN_MOVED_FROM",
        IN_MOVED_TO => "IN_MOVED_TO", IN_CREATE => "IN_CREATE", IN_DELETE => "IN_DELETE",
        IN_DELETE_SELF => "IN_DELETE_SELF", IN_MOVE_SELF => "IN_MOVE_SELF", IN_ALL_EVENTS => "IN_ALL_EVENTS",
        IN_UNMOUNT => "IN_UNMOUNT", IN_Q_OVERFLOW => "IN_Q_OVERFLOW", IN_IGNORED => "IN_IGNORED",
        IN_ONLYDIR => "IN_ONLYDIR", IN_DONT_FOLLOW => "IN_DONT_FOLLOW", IN_EXCL_UNLINK => "IN_EXCL_UNLINK",
        IN_MASK_CREATE => "IN_MASK_CREATE", IN_MASK_ADD => "IN_MASK_ADD", IN_ISDIR => "IN_ISDIR",
        IN_ONESHOT => "IN_ONESHOT",
    );
    layout!(c, InotifyEvent, "struct inotify_event" { wd, mask, cookie, len });
    compare(
        "descriptor_kinds",
        "#define _GNU_SOURCE\n#include <sys/eventfd.h>\n#include <sys/timerfd.h>\n#include <sys/signalfd.h>\n\
         #include <sys/mman.h>\n#include <fcntl.h>\n#include <sys/inotify.h>\n#include <time.h>\n",
        c,
    );
}
fn scheduling_locks_and_process_control() {
    use linux_abi::rseq::{RseqArea, RseqCs, ORIG_RSEQ_SIZE, RSEQ_CPU_ID_UNINITIALIZED, RSEQ_FLAG_UNREGISTER};
    let mut c = Checks::new();
    layout!(c, Flock, "struct flock" { l_type, l_whence, l_start, l_len, l_pid });
    // node_id and mm_cid (Linux 6.3) follow `flags` in what older headers call padding.
    layout!(c, RseqArea, "struct rseq" { cpu_id_start, cpu_id, rseq_cs, flags });
    consts!(c,
        core::mem::offset_of!(RseqArea, node_id) => "offsetof(struct rseq, flags) + 4",
        core::mem::offset_of!(RseqArea, mm_cid) => "offsetof(struct rseq, flags) + 8",
    );
    layout!(c, RseqCs, "struct rseq_cs" { version, flags, start_ip, post_commit_offset, abort_ip });
    consts!(c,
        ORIG_RSEQ_SIZE => "ORIG_RSEQ_SIZE", RSEQ_FLAG_UNREGISTER => "RSEQ_FLAG_UNREGISTER",
        RSEQ_CPU_ID_UNINITIALIZED as i32 => "RSEQ_CPU_ID_UNINITIALIZED",
        CLOSE_RANGE_UNSHARE => "CLOSE_RANGE_UNSHARE", CLOSE_RANGE_CLOEXEC => "CLOSE_RANGE_CLOEXEC",
        MEMBARRIER_CMD_FLAG_CPU => "MEMBARRIER_CMD_FLAG_CPU",
        PR_SET_VMA_ANON_NAME => "PR_SET_VMA_ANON_NAME", PR_TIMING_STATISTICAL => "PR_TIMING_STATISTICAL",
        SUID_DUMP_DISABLE => "SUID_DUMP_DISABLE", SUID_DUMP_USER => "SUID_DUMP_USER",
        schedattr::SCHED_OTHER => "SCHED_NORMAL", schedattr::SCHED_FIFO => "SCHED_FIFO",
        schedattr::SCHED_RR => "SCHED_RR", schedattr::SCHED_BATCH => "SCHED_BATCH",
        schedattr::SCHED_IDLE => "SCHED_IDLE", schedattr::SCHED_DEADLINE => "SCHED_DEADLINE",
        schedattr::SCHED_RESET_ON_FORK => "SCHED_RESET_ON_FORK",
        schedattr::PRIO_PROCESS => "PRIO_PROCESS", schedattr::PRIO_PGRP => "PRIO_PGRP", schedattr::PRIO_USER => "PRIO_USER",
    );
    for (name, value) in (-1..1024).filter_map(|v| membarrier_cmd_name(v).map(|n| (n, v))) {
        c.push((i128::from(value), name));
    }
    compare(
        "sched_locks_prctl",
        "#define _GNU_SOURCE\n#include <fcntl.h>\n#include <linux/types.h>\n#include <linux/rseq.h>\n\
         #include <linux/close_range.h>\n#include <linux/membarrier.h>\n#include <linux/prctl.h>\n\
         #include <linux/sched.h>\n#include <sys/resource.h>\n\
         #define ORIG_RSEQ_SIZE 32 /* kernel/rseq.c */\n\
         #ifndef MEMBARRIER_CMD_GET_REGISTRATIONS /* Linux 6.3; older headers lack it */\n\
         #define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)\n#endif\n#define SUID_DUMP_DISABLE 0 /* linux/sched/coredump.h */\n#define SUID_DUMP_USER 1\n",
        c,
    );
}

#[test]
fn sysv_ipc_layouts() {
    let mut c = Checks::new();
    layout!(c, IpcPerm64, "struct ipc64_perm" { key, uid, gid, cuid, cgid, mode, seq, unused1 = "__unused1", unused2 = "__unused2" });
    layout!(c, ShmidDs, "struct shmid64_ds" { shm_perm, shm_segsz, shm_atime, shm_dtime, shm_ctime, shm_cpid, shm_lpid, shm_nattch });
    layout!(c, SemidDs, "struct semid64_ds" { sem_perm, sem_otime, sem_ctime, sem_nsems });
    layout!(c, MsqidDs, "struct msqid64_ds" {
        msg_perm, msg_stime, msg_rtime, msg_ctime, msg_cbytes, msg_qnum, msg_qbytes, msg_lspid, msg_lrpid,
    });
    layout!(c, Sembuf, "struct sembuf" { sem_num, sem_op, sem_flg });
    layout!(c, Shminfo64, "struct shminfo64" { shmmax, shmmin, shmmni, shmseg, shmall });
    layout!(c, ShmInfo, "struct shm_info" { used_ids, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes });
    layout!(c, Seminfo, "struct seminfo" { semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem });
    layout!(c, Msginfo, "struct msginfo" { msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, msgseg });
    use sysvipc::{msg, sem, shm};
    consts!(c,
        sysvipc::IPC_PRIVATE => "IPC_PRIVATE", sysvipc::IPC_CREAT => "IPC_CREAT", sysvipc::IPC_EXCL => "IPC_EXCL",
        sysvipc::IPC_NOWAIT => "IPC_NOWAIT", sysvipc::IPC_RMID => "IPC_RMID", sysvipc::IPC_SET => "IPC_SET",
        sysvipc::IPC_STAT => "IPC_STAT", sysvipc::IPC_INFO => "IPC_INFO",
        shm::SHM_RDONLY => "SHM_RDONLY", shm::SHM_RND => "SHM_RND", shm::SHM_REMAP => "SHM_REMAP", shm::SHM_EXEC => "SHM_EXEC",
        shm::SHM_LOCK => "SHM_LOCK",
        shm::SHM_UNLOCK => "SHM_UNLOCK", shm::SHM_STAT => "SHM_STAT", shm::SHM_INFO => "SHM_INFO",
        shm::SHM_STAT_ANY => "SHM_STAT_ANY", shm::SHMMIN => "SHMMIN", shm::SHMMNI => "SHMMNI", shm::SHMMAX => "SHMMAX",
        shm::SHMALL => "SHMALL", shm::SHMLBA => "4096 /* SHMLBA on x86_64 */",
        sem::GETPID => "GETPID", sem::GETVAL => "GETVAL", sem::GETALL => "GETALL", sem::GETNCNT => "GETNCNT",
        sem::GETZCNT => "GETZCNT", sem::SETVAL => "SETVAL", sem::SETALL => "SETALL", sem::SEM_STAT => "SEM_STAT",
        sem::SEM_INFO => "SEM_INFO", sem::SEM_STAT_ANY => "SEM_STAT_ANY", sem::SEM_UNDO => "SEM_UNDO",
        sem::SEMMSL => "SEMMSL", sem::SEMMNI => "SEMMNI", sem::SEMMNS => "SEMMNS", sem::SEMOPM => "SEMOPM",
        sem::SEMVMX => "SEMVMX", sem::SEMAEM => "SEMAEM",
        msg::MSG_NOERROR => "MSG_NOERROR", msg::MSG_EXCEPT => "MSG_EXCEPT", msg::MSG_COPY => "MSG_COPY",
        msg::MSG_STAT => "MSG_STAT", msg::MSG_INFO => "MSG_INFO", msg::MSG_STAT_ANY => "MSG_STAT_ANY",
        msg::MSGMAX => "MSGMAX", msg::MSGMNB => "MSGMNB", msg::MSGMNI => "MSGMNI", msg::MSGPOOL => "MSGPOOL",
        msg::MSGTQL => "MSGTQL", msg::MSGMAP => "MSGMAP", msg::MSGSSZ => "MSGSSZ", msg::MSGSEG => "MSGSEG",
    );
    compare(
        "sysv_ipc",
        "#include <limits.h>\n#include <linux/types.h>\n#include <linux/ipc.h>\n#include <linux/shm.h>\n#include <linux/sem.h>\n\
         #include <linux/msg.h>\n#include <asm/ipcbuf.h>\n#include <asm/shmbuf.h>\n#include <asm/sembuf.h>\n\
         #include <asm/msgbuf.h>\n",
        c,
    );
}

#[test]
fn sysv_shm_mode_bits() {
    let mut c = Checks::new();
    consts!(c, sysvipc::shm::SHM_DEST => "SHM_DEST", sysvipc::shm::SHM_LOCKED => "SHM_LOCKED");
    compare("sysv_shm_mode", "#define _GNU_SOURCE\n#include <sys/shm.h>\n", c);
}
