//! clone(2)/clone3(2) flags (`CLONE_*`, linux/sched.h).

linux_flags! {
    /// `flags` of clone(2) (an `unsigned long`; the low byte is the exit
    /// signal, see [`CloneFlags::exit_signal`]). clone(2) ignores unknown
    /// bits; clone3(2) rejects them and carries the signal separately.
    pub struct CloneFlags: u64, unknown = Ignore {
        /// Mask of the exit signal in clone(2)'s flags.
        CSIGNAL = 0xff;
        /// clone3 only: shares the low-byte space with CSIGNAL.
        CLONE_NEWTIME = 0x80;
        CLONE_VM = 0x100;
        CLONE_FS = 0x200;
        CLONE_FILES = 0x400;
        CLONE_SIGHAND = 0x800;
        CLONE_PIDFD = 0x1000;
        CLONE_PTRACE = 0x2000;
        CLONE_VFORK = 0x4000;
        CLONE_PARENT = 0x8000;
        CLONE_THREAD = 0x1_0000;
        CLONE_NEWNS = 0x2_0000;
        CLONE_SYSVSEM = 0x4_0000;
        CLONE_SETTLS = 0x8_0000;
        CLONE_PARENT_SETTID = 0x10_0000;
        CLONE_CHILD_CLEARTID = 0x20_0000;
        CLONE_DETACHED = 0x40_0000;
        CLONE_UNTRACED = 0x80_0000;
        CLONE_CHILD_SETTID = 0x100_0000;
        CLONE_NEWCGROUP = 0x200_0000;
        CLONE_NEWUTS = 0x400_0000;
        CLONE_NEWIPC = 0x800_0000;
        CLONE_NEWUSER = 0x1000_0000;
        CLONE_NEWPID = 0x2000_0000;
        CLONE_NEWNET = 0x4000_0000;
        CLONE_IO = 0x8000_0000;
        CLONE_CLEAR_SIGHAND = 0x1_0000_0000;
        CLONE_INTO_CGROUP = 0x2_0000_0000;
    }
}

impl CloneFlags {
    /// The signal sent to the parent at exit (clone(2)'s low byte; 0 = none).
    pub const fn exit_signal(self) -> u8 {
        (self.bits() & 0xff) as u8
    }

    /// The flags without the exit-signal byte.
    pub const fn without_signal(self) -> CloneFlags {
        CloneFlags::from_bits_retain(self.bits() & !0xff)
    }
}
