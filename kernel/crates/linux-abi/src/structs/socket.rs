//! Socket addresses: `struct sockaddr_in` and the address families.

/// Address families.
pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// `struct sockaddr_in`; port and address are in network byte order, so
/// they are kept as bytes.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SockaddrIn {
    pub sin_family: u16,
    pub sin_port: [u8; 2],
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}
abi_struct!(SockaddrIn, 16 { sin_family, sin_port, sin_addr, sin_zero });

impl SockaddrIn {
    /// `AF_INET` address `a.b.c.d:port` from `[a, b, c, d]` and a host-order port.
    pub const fn new(addr: [u8; 4], port: u16) -> SockaddrIn {
        SockaddrIn { sin_family: AF_INET, sin_port: port.to_be_bytes(), sin_addr: addr, sin_zero: [0; 8] }
    }

    /// The port in host order.
    pub const fn port(&self) -> u16 {
        u16::from_be_bytes(self.sin_port)
    }
}
