//! poll(2) and epoll(7) event bits and epoll_ctl operations.

linux_flags! {
    /// `events`/`revents` of `struct pollfd` (a `short`); unknown request
    /// bits are ignored.
    pub struct PollEvents: u16, unknown = Ignore {
        POLLIN = 0x1;
        POLLPRI = 0x2;
        POLLOUT = 0x4;
        POLLERR = 0x8;
        POLLHUP = 0x10;
        POLLNVAL = 0x20;
        POLLRDNORM = 0x40;
        POLLRDBAND = 0x80;
        POLLWRNORM = 0x100;
        POLLWRBAND = 0x200;
        POLLMSG = 0x400;
        POLLREMOVE = 0x1000;
        POLLRDHUP = 0x2000;
    }
}

linux_flags! {
    /// `events` of `struct epoll_event` (a `__u32`): the poll bits plus the
    /// epoll input flags. epoll_ctl ignores unknown bits.
    pub struct EpollEvents: u32, unknown = Ignore {
        EPOLLIN = 0x1;
        EPOLLPRI = 0x2;
        EPOLLOUT = 0x4;
        EPOLLERR = 0x8;
        EPOLLHUP = 0x10;
        EPOLLNVAL = 0x20;
        EPOLLRDNORM = 0x40;
        EPOLLRDBAND = 0x80;
        EPOLLWRNORM = 0x100;
        EPOLLWRBAND = 0x200;
        EPOLLMSG = 0x400;
        EPOLLRDHUP = 0x2000;
        EPOLLEXCLUSIVE = 1 << 28;
        EPOLLWAKEUP = 1 << 29;
        EPOLLONESHOT = 1 << 30;
        EPOLLET = 1 << 31;
    }
}

/// epoll_ctl(2) `op`.
pub const EPOLL_CTL_ADD: i32 = 1;
pub const EPOLL_CTL_DEL: i32 = 2;
pub const EPOLL_CTL_MOD: i32 = 3;
/// epoll_create1(2) flag (same bit as `O_CLOEXEC`).
pub const EPOLL_CLOEXEC: u32 = 0o2000000;
