//! futex(2) operations (linux/futex.h).

linux_consts! {
    /// Name of a futex operation (after masking the option bits).
    pub fn futex_op_name(u32);
    FUTEX_WAIT = 0;
    FUTEX_WAKE = 1;
    FUTEX_FD = 2;
    FUTEX_REQUEUE = 3;
    FUTEX_CMP_REQUEUE = 4;
    FUTEX_WAKE_OP = 5;
    FUTEX_LOCK_PI = 6;
    FUTEX_UNLOCK_PI = 7;
    FUTEX_TRYLOCK_PI = 8;
    FUTEX_WAIT_BITSET = 9;
    FUTEX_WAKE_BITSET = 10;
    FUTEX_WAIT_REQUEUE_PI = 11;
    FUTEX_CMP_REQUEUE_PI = 12;
    FUTEX_LOCK_PI2 = 13;
}

/// `sizeof(struct robust_list_head)`: the only length set_robust_list takes.
pub const ROBUST_LIST_HEAD_SIZE: usize = 24;

/// Option bits or-ed into the operation.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// The operation without the option bits.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
