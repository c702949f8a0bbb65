//! wait4(2)/waitid(2) options and `idtype` values.

linux_flags! {
    /// `options` of wait4/waitid (an `int`); unknown bits give EINVAL.
    /// Each call accepts its own subset: [`WaitOptions::WAIT4_VALID`],
    /// [`WaitOptions::WAITID_VALID`].
    pub struct WaitOptions: u32, unknown = Reject {
        WNOHANG = 0x1;
        /// Same bit as `WSTOPPED`.
        WUNTRACED = 0x2;
        WEXITED = 0x4;
        WCONTINUED = 0x8;
        WNOWAIT = 0x0100_0000;
        __WNOTHREAD = 0x2000_0000;
        __WALL = 0x4000_0000;
        __WCLONE = 0x8000_0000;
    }
}

impl WaitOptions {
    pub const WSTOPPED: WaitOptions = WaitOptions::WUNTRACED;
    pub const WAIT4_VALID: WaitOptions =
        WaitOptions::from_bits_retain(0x1 | 0x2 | 0x8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000);
    pub const WAITID_VALID: WaitOptions = WaitOptions::ALL;
}

/// waitid(2) `idtype`.
pub const P_ALL: u32 = 0;
pub const P_PID: u32 = 1;
pub const P_PGID: u32 = 2;
pub const P_PIDFD: u32 = 3;

/// wait status word of a child that exited with `code` (`WEXITSTATUS`).
pub const fn wait_status_exited(code: u8) -> i32 {
    (code as i32) << 8
}

/// wait status word of a child killed by `signal`, `core` if it dumped core.
pub const fn wait_status_signaled(signal: u8, core: bool) -> i32 {
    (signal as i32 & 0x7f) | if core { 0x80 } else { 0 }
}

/// wait status word of a child stopped by `signal` (`WIFSTOPPED`).
pub const fn wait_status_stopped(signal: u8) -> i32 {
    ((signal as i32) << 8) | 0x7f
}

/// wait status word of a continued child (`WIFCONTINUED`).
pub const WAIT_STATUS_CONTINUED: i32 = 0xffff;
