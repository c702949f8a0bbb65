//! Behaviour of the `signal` module: actions, alternate stacks, child
//! statuses and the x86_64 rt_sigframe (build, parse, sanitize).

use std::mem::{offset_of, size_of};

use linux_abi::errno::Errno;
use linux_abi::signal::*;
use linux_abi::structs::Abi;

const CONFIG: FrameConfig = FrameConfig { user_cs: 0x23, user_ss: 0x1b, mxcsr_mask: MXCSR_DEFAULT_MASK };
const HANDLER: u64 = 0x40_1000;
const RESTORER: u64 = 0x40_2000;

fn sig(n: i32) -> Signal {
    Signal::new(n).unwrap()
}

fn regs() -> UserRegs {
    UserRegs {
        r15: 15,
        r14: 14,
        r13: 13,
        r12: 12,
        r11: 0x246,
        r10: 10,
        r9: 9,
        r8: 8,
        rbp: 0xbb,
        rbx: 0xb,
        rax: 0xa,
        rcx: 0xc,
        rdx: 0xd,
        rsi: 0x51,
        rdi: 0xd1,
        rip: 0x40_0abc,
        rflags: 0x246 | 0x400 | 0x100, // IF ZF PF + DF + TF
        rsp: 0x7fff_ffff_e123,
        cs: 0x23,
        ss: 0x1b,
    }
}

fn fpu() -> [u8; FXSAVE_SIZE] {
    let mut image = FXSAVE_INIT;
    for (i, byte) in image.iter_mut().enumerate().skip(160) {
        *byte = i as u8; // "xmm" contents, and junk in the software-reserved bytes
    }
    image
}

fn action(flags: SaFlags) -> SigAction {
    SigAction { handler: Handler::Catch(HANDLER), flags, restorer: RESTORER, mask: SigSet::EMPTY }
}

fn deliver(action: &SigAction, regs: &UserRegs, alt: &AltStack) -> Result<SigFrame, FrameError> {
    let info = Siginfo::kill(Signal::SIGUSR1, SI_USER, 42, 1000);
    let delivery = Delivery {
        regs,
        fpu: &fpu(),
        blocked: SigSet::EMPTY.with(Signal::SIGHUP),
        info: &info,
        action,
        altstack: alt,
        trap: TrapInfo::default(),
    };
    build_rt_sigframe(&delivery, &CONFIG)
}

#[test]
fn layouts_match_linux_headers() {
    // Numbers from asm/sigcontext.h, asm/ucontext.h, asm/siginfo.h and
    // asm/sigframe.h (also compiled against the headers in c_layout.rs).
    assert_eq!(size_of::<Sigcontext>(), 256);
    assert_eq!(
        [
            offset_of!(Sigcontext, r8),
            offset_of!(Sigcontext, rdi),
            offset_of!(Sigcontext, rsp),
            offset_of!(Sigcontext, rip),
            offset_of!(Sigcontext, eflags),
            offset_of!(Sigcontext, cs),
            offset_of!(Sigcontext, ss),
            offset_of!(Sigcontext, err),
            offset_of!(Sigcontext, oldmask),
            offset_of!(Sigcontext, cr2),
            offset_of!(Sigcontext, fpstate),
            offset_of!(Sigcontext, reserved1),
        ],
        [0, 64, 120, 128, 136, 144, 150, 152, 168, 176, 184, 192]
    );
    assert_eq!(size_of::<StackT>(), 24);
    assert_eq!(size_of::<Ucontext>(), 304);
    assert_eq!(offset_of!(Ucontext, uc_stack), 16);
    assert_eq!(offset_of!(Ucontext, uc_mcontext), 40);
    assert_eq!(offset_of!(Ucontext, uc_sigmask), 296);
    assert_eq!(size_of::<Siginfo>(), 128);
    assert_eq!(size_of::<RtSigframe>(), 440);
    assert_eq!((RT_SIGFRAME_UC_OFFSET, RT_SIGFRAME_INFO_OFFSET), (8, 312));
    assert_eq!(size_of::<KernelSigaction>(), 32);
}

#[test]
fn frame_geometry_and_handler_entry() {
    let r = regs();
    let f = deliver(&action(SaFlags::SA_RESTORER | SaFlags::SA_SIGINFO), &r, &AltStack::default()).unwrap();
    let fpstate = (r.rsp - 128 - 512) & !63;
    assert_eq!(f.addr, ((fpstate - 440) & !15) - 8);
    assert_eq!((f.addr + 8) % 16, 0, "as after a call");
    assert_eq!(f.addr + f.bytes.len() as u64, fpstate + 512);
    assert!(fpstate + 512 <= r.rsp - 128, "red zone untouched");

    let e = f.regs;
    assert_eq!((e.rip, e.rsp, e.rdi, e.rax), (HANDLER, f.addr, 10, 0));
    assert_eq!((e.rsi, e.rdx), (f.addr + 312, f.addr + 8));
    assert_eq!((e.cs, e.ss), (0x23, 0x1b));
    assert_eq!(e.rflags, 0x246, "DF and TF cleared");
    assert_eq!((e.rbx, e.r12, e.r15), (r.rbx, r.r12, r.r15), "other registers kept");
    assert!(!f.disarm_altstack);

    let image = RtSigframe::read_from(&f.bytes);
    assert_eq!(image.pretcode, RESTORER);
    assert_eq!(image.uc.uc_flags, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    assert_eq!(image.uc.uc_link, 0);
    assert_eq!(image.uc.uc_sigmask, 1, "SIGHUP, the mask before the handler");
    let sc = image.uc.uc_mcontext;
    assert_eq!((sc.rip, sc.rsp, sc.eflags, sc.rax, sc.rcx, sc.r11), (r.rip, r.rsp, r.rflags, r.rax, r.rcx, r.r11));
    assert_eq!((sc.cs, sc.ss, sc.fs, sc.gs, sc.oldmask), (0x23, 0x1b, 0, 0, 1));
    assert_eq!(sc.fpstate, fpstate);
    assert_eq!(image.info.pid(), 42);
    assert_eq!(&f.bytes[312..440], &image.info.to_bytes()[..]);
    let fp = &f.bytes[(fpstate - f.addr) as usize..];
    assert_eq!(&fp[..464], &fpu()[..464]);
    assert!(fp[464..].iter().all(|&b| b == 0), "no xsave magic in an fxsave frame");
}

#[test]
fn round_trip_through_rt_sigreturn() {
    let r = regs();
    let f = deliver(&action(SaFlags::SA_RESTORER), &r, &AltStack::default()).unwrap();
    // The handler returns: rsp = frame + 8, the kernel reads from rsp - 8.
    let back = parse_rt_sigframe(&f.bytes[..RtSigframe::SIZE], &CONFIG).unwrap();
    assert_eq!(back.regs, UserRegs { rflags: r.rflags, ..r });
    assert_eq!(back.blocked, SigSet::EMPTY.with(Signal::SIGHUP));
    assert_eq!(back.altstack, AltStack::default().saved());
    let at = (back.fpstate - f.addr) as usize;
    let image: [u8; FXSAVE_SIZE] = f.bytes[at..at + FXSAVE_SIZE].try_into().unwrap();
    let mut expected = fpu();
    expected[464..].fill(0);
    assert_eq!(sanitize_fxsave(&image, CONFIG.mxcsr_mask), expected);
    // A longer buffer is fine; a short one is not.
    assert!(parse_rt_sigframe(&f.bytes, &CONFIG).is_ok());
    assert_eq!(parse_rt_sigframe(&f.bytes[..439], &CONFIG), Err(FrameError::ShortFrame));
}

#[test]
fn rt_sigreturn_sanitizes_what_user_space_wrote() {
    let f = deliver(&action(SaFlags::SA_RESTORER), &regs(), &AltStack::default()).unwrap();
    let mut image = RtSigframe::read_from(&f.bytes);
    image.uc.uc_mcontext.eflags = u64::MAX; // IOPL, NT, VM, RF...
    image.uc.uc_mcontext.cs = 0x08; // a kernel selector
    image.uc.uc_mcontext.ss = 0x10;
    image.uc.uc_sigmask = u64::MAX;
    let back = parse_rt_sigframe(&image.to_bytes(), &CONFIG).unwrap();
    assert_eq!(back.regs.rflags, RFLAGS_USER_BITS | 0x200 | 0x2);
    assert_eq!(back.regs.rflags, 0x24_0fd7);
    assert_eq!((back.regs.cs, back.regs.ss), (0x23, 0x1b));
    assert!(!back.blocked.contains(Signal::SIGKILL) && !back.blocked.contains(Signal::SIGSTOP));
    assert!(back.blocked.contains(Signal::SIGINT));

    for bad in [f.addr, f.addr + 12, 0xffff_8000_0000_0000, USER_END_MINUS_256] {
        image.uc.uc_mcontext.fpstate = bad;
        assert_eq!(parse_rt_sigframe(&image.to_bytes(), &CONFIG), Err(FrameError::BadFpState), "{bad:#x}");
    }
    image.uc.uc_mcontext.fpstate = 0;
    assert_eq!(parse_rt_sigframe(&image.to_bytes(), &CONFIG).unwrap().fpstate, 0);

    let mut fx = FXSAVE_INIT;
    fx[24..28].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
    let clean = sanitize_fxsave(&fx, 0xffbf);
    assert_eq!(u32::from_le_bytes(clean[24..28].try_into().unwrap()), 0xffbf);
    assert_eq!(mxcsr_mask_from_fxsave(&FXSAVE_INIT), MXCSR_DEFAULT_MASK);
    let mut saved = FXSAVE_INIT;
    saved[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
    assert_eq!(mxcsr_mask_from_fxsave(&saved), 0xffff);
}

const USER_END_MINUS_256: u64 = linux_abi::USER_END - 256;

#[test]
fn frame_errors() {
    let r = regs();
    let alt = AltStack::default();
    assert_eq!(deliver(&action(SaFlags::SA_SIGINFO), &r, &alt), Err(FrameError::NoRestorer));
    let default = SigAction { handler: Handler::Default, ..action(SaFlags::SA_RESTORER) };
    assert_eq!(deliver(&default, &r, &alt), Err(FrameError::NotCaught));
    for rsp in [0, 100, 1100, linux_abi::USER_END + 0x10000, u64::MAX] {
        let r = UserRegs { rsp, ..r };
        assert_eq!(deliver(&action(SaFlags::SA_RESTORER), &r, &alt), Err(FrameError::BadStack), "{rsp:#x}");
    }
}

#[test]
fn alternate_stack() {
    let alt = AltStack { sp: 0x1000_0000, size: 0x2000, flags: 0 };
    let top = alt.sp + alt.size;
    let onstack = action(SaFlags::SA_RESTORER | SaFlags::SA_ONSTACK);

    // Entering: the frame starts at the top, no red zone.
    let f = deliver(&onstack, &regs(), &alt).unwrap();
    let fpstate = (top - 512) & !63;
    assert_eq!(f.addr, ((fpstate - 440) & !15) - 8);
    let image = RtSigframe::read_from(&f.bytes);
    assert_eq!(image.uc.uc_stack, StackT { ss_sp: alt.sp, ss_flags: 0, ss_size: alt.size });
    assert!(!f.disarm_altstack);

    // Without SA_ONSTACK the normal stack is used.
    let f2 = deliver(&action(SaFlags::SA_RESTORER), &regs(), &alt).unwrap();
    assert!(f2.addr > 0x7fff_0000_0000);

    // Nested: already on it, continue below the interrupted rsp.
    let nested = UserRegs { rsp: f.addr - 64, ..regs() };
    let f3 = deliver(&onstack, &nested, &alt).unwrap();
    assert!(f3.addr < nested.rsp - 128 - 512 && alt.contains(f3.addr));

    // Overflow: not enough room left.
    let deep = UserRegs { rsp: alt.sp + 900, ..regs() };
    assert_eq!(deliver(&onstack, &deep, &alt), Err(FrameError::AltStackOverflow));
    let tiny = AltStack { size: 512, ..alt };
    assert_eq!(deliver(&onstack, &regs(), &tiny), Err(FrameError::AltStackOverflow));

    // SS_AUTODISARM: reported in uc_stack; the caller disarms.
    let auto = AltStack { flags: SS_AUTODISARM, ..alt };
    let f4 = deliver(&onstack, &regs(), &auto).unwrap();
    assert!(f4.disarm_altstack);
    assert_eq!(RtSigframe::read_from(&f4.bytes).uc.uc_stack.ss_flags, SS_AUTODISARM as i32);
    // With SS_AUTODISARM a signal on the stack starts at the top again.
    let f5 = deliver(&onstack, &UserRegs { rsp: f4.addr - 64, ..regs() }, &auto).unwrap();
    assert_eq!(f5.addr, f4.addr);

    // A disabled stack is ignored.
    let f6 = deliver(&onstack, &regs(), &AltStack::DISABLED).unwrap();
    assert_eq!(f6.addr, f2.addr);
}

#[test]
fn sigaltstack_rules() {
    let none = AltStack::default();
    let ss = StackT { ss_sp: 0x1000_0000, ss_flags: 0, ss_size: 0x4000 };
    let alt = none.set(&ss, 0x7fff_0000, MINSIGSTKSZ as u64).unwrap();
    assert_eq!(alt, AltStack { sp: 0x1000_0000, size: 0x4000, flags: 0 });
    assert_eq!(alt.query(0x7fff_0000).ss_flags, 0);
    assert_eq!(alt.query(0x1000_0100).ss_flags, SS_ONSTACK);
    assert_eq!(none.query(0).ss_flags, SS_DISABLE);
    // Changing it while running on it.
    assert_eq!(alt.set(&ss, 0x1000_0100, 2048), Err(Errno::EPERM));
    // Bad mode, too small.
    assert_eq!(none.set(&StackT { ss_flags: 4, ..ss }, 0, 2048), Err(Errno::EINVAL));
    assert_eq!(none.set(&StackT { ss_size: 100, ..ss }, 0, 2048), Err(Errno::ENOMEM));
    // SS_ONSTACK as a mode is accepted (as 0); SS_DISABLE clears it.
    assert!(none.set(&StackT { ss_flags: SS_ONSTACK, ..ss }, 0, 2048).is_ok());
    let off = alt.set(&StackT { ss_flags: SS_DISABLE, ..ss }, 0, 2048).unwrap();
    assert!(!off.is_enabled());
    assert_eq!(off.query(0), StackT { ss_sp: 0, ss_flags: SS_DISABLE, ss_size: 0 });
    // SS_AUTODISARM: never "on" the stack, reported in the flags.
    let auto = none.set(&StackT { ss_flags: SS_AUTODISARM as i32, ..ss }, 0, 2048).unwrap();
    assert!(!auto.on_stack(0x1000_0100));
    assert_eq!(auto.query(0x1000_0100).ss_flags, SS_AUTODISARM as i32);
    assert!(auto.set(&ss, 0x1000_0100, 2048).is_ok());
}

#[test]
fn sigaction_decode_encode() {
    let raw = KernelSigaction {
        sa_handler: HANDLER,
        sa_flags: (SaFlags::SA_SIGINFO | SaFlags::SA_RESTORER | SaFlags::SA_UNSUPPORTED).bits() | 0x100,
        sa_restorer: RESTORER,
        sa_mask: Signal::SIGKILL.mask() | Signal::SIGSTOP.mask() | Signal::SIGINT.mask(),
    };
    let action = SigAction::decode(&raw.to_bytes()).unwrap();
    assert_eq!(action.handler, Handler::Catch(HANDLER));
    assert_eq!(action.flags, SaFlags::SA_SIGINFO | SaFlags::SA_RESTORER);
    assert_eq!(action.mask, SigSet::EMPTY.with(Signal::SIGINT));
    assert_eq!(action.restorer, RESTORER);
    let back = KernelSigaction::from_bytes(&action.encode()).unwrap();
    assert_eq!(back.sa_flags, (SaFlags::SA_SIGINFO | SaFlags::SA_RESTORER).bits());
    assert_eq!(SigAction::decode(&[0; 31]), Err(Errno::EINVAL));
    assert_eq!(SigAction::decode(&[0; 32]).unwrap(), SigAction::DEFAULT);
    assert_eq!(Handler::from_raw(SIG_IGN), Handler::Ignore);
    assert_eq!(SigAction::check_settable(Signal::SIGKILL), Err(Errno::EINVAL));
    assert_eq!(SigAction::check_settable(Signal::SIGSTOP), Err(Errno::EINVAL));
    assert_eq!(SigAction::check_settable(Signal::SIGTERM), Ok(()));
}

#[test]
fn dispositions() {
    let dfl = SigAction::DEFAULT;
    assert_eq!(dfl.disposition(Signal::SIGINT), Disposition::Terminate { core: false });
    assert_eq!(dfl.disposition(Signal::SIGSEGV), Disposition::Terminate { core: true });
    assert_eq!(dfl.disposition(Signal::SIGCHLD), Disposition::Ignore);
    assert_eq!(dfl.disposition(Signal::SIGWINCH), Disposition::Ignore);
    assert_eq!(dfl.disposition(Signal::SIGTSTP), Disposition::Stop);
    assert_eq!(dfl.disposition(Signal::SIGCONT), Disposition::Continue);
    assert_eq!(dfl.disposition(sig(40)), Disposition::Terminate { core: false });
    let ign = SigAction { handler: Handler::Ignore, ..dfl };
    assert_eq!(ign.disposition(Signal::SIGINT), Disposition::Ignore);
    let catch = action(SaFlags::SA_RESTORER);
    assert_eq!(catch.disposition(Signal::SIGINT), Disposition::Catch(HANDLER));
    // SIGKILL and SIGSTOP cannot be caught or ignored whatever is stored.
    assert_eq!(catch.disposition(Signal::SIGKILL), Disposition::Terminate { core: false });
    assert_eq!(ign.disposition(Signal::SIGSTOP), Disposition::Stop);
}

#[test]
fn masks_during_handlers() {
    let blocked = SigSet::EMPTY.with(Signal::SIGHUP);
    let a = SigAction { mask: SigSet::EMPTY.with(Signal::SIGUSR2), ..action(SaFlags::SA_RESTORER) };
    let m = a.handler_mask(blocked, Signal::SIGUSR1);
    assert_eq!(m, blocked.with(Signal::SIGUSR2).with(Signal::SIGUSR1));
    let nodefer = SigAction { flags: a.flags | SaFlags::SA_NODEFER, ..a };
    assert!(!nodefer.handler_mask(blocked, Signal::SIGUSR1).contains(Signal::SIGUSR1));
    let forced = SigAction { mask: SigSet(u64::MAX), ..a };
    assert!(!forced.handler_mask(blocked, Signal::SIGUSR1).contains(Signal::SIGKILL));

    assert_eq!(a.after_delivery(), a);
    let oneshot = SigAction { flags: a.flags | SaFlags::SA_RESETHAND, ..a };
    assert_eq!(oneshot.after_delivery().handler, Handler::Default);
    assert!(!a.restarts_syscalls());
    assert!(SigAction { flags: SaFlags::SA_RESTART, ..a }.restarts_syscalls());
}

#[test]
fn child_status_encodings() {
    let cases = [
        (ChildStatus::Exited(0), 0x0000, CLD_EXITED, 0),
        (ChildStatus::Exited(3), 0x0300, CLD_EXITED, 3),
        (ChildStatus::Exited(255), 0xff00, CLD_EXITED, 255),
        (ChildStatus::Killed { signal: Signal::SIGKILL, core: false }, 0x0009, CLD_KILLED, 9),
        (ChildStatus::Killed { signal: Signal::SIGSEGV, core: true }, 0x008b, CLD_DUMPED, 11),
        (ChildStatus::Stopped(Signal::SIGSTOP), 0x137f, CLD_STOPPED, 19),
        (ChildStatus::Stopped(Signal::SIGTSTP), 0x147f, CLD_STOPPED, 20),
        (ChildStatus::Continued, 0xffff, CLD_CONTINUED, 18),
    ];
    for (status, word, code, si_status) in cases {
        assert_eq!(status.wait_status(), word, "{status:?}");
        assert_eq!(ChildStatus::from_wait_status(word), Some(status));
        assert_eq!((status.cld_code(), status.si_status()), (code, si_status));
        let info = status.siginfo(77, 1000, 5, 6);
        let fields = (info.si_signo, info.si_code, info.pid(), info.uid(), info.status());
        assert_eq!(fields, (17, code, 77, 1000, si_status));
    }
    for bad in [0x0001_0000, 0x0180, 0x807f, 0x0041, -1] {
        assert_eq!(ChildStatus::from_wait_status(bad), None, "{bad:#x}");
    }
}
