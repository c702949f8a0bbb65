//! `struct pollfd` and the packed `struct epoll_event`.

/// `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Pollfd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}
abi_struct!(Pollfd, 8 { fd, events, revents });

/// `struct epoll_event`: packed on x86_64, so 12 bytes with `data` at 4.
#[repr(C, packed)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}
abi_struct!(EpollEvent, 12 { events, data });
