//! Sockets: `struct sockaddr_in`, `struct sockaddr_un`, `struct msghdr` and
//! friends, the socket constants, and [`SocketAddress`]: a user sockaddr
//! decoded with Linux's rules (and encoded back for accept/getsockname).

use alloc::vec::Vec;

use crate::user::UserPtr;
use errno::{Errno, KResult};

/// `sizeof(struct sockaddr_storage)`: the longest address a socket call copies in.
pub const SOCKADDR_STORAGE_SIZE: usize = 128;

/// Address families.
pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;
pub const AF_PACKET: u16 = 17;

/// Socket types (the low bits of socket(2)'s `type`) and its flags.
pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_SEQPACKET: u32 = 5;
pub const SOCK_TYPE_MASK: u32 = 0xf;
pub const SOCK_NONBLOCK: u32 = 0o4000;
pub const SOCK_CLOEXEC: u32 = 0o2000000;

/// Protocol levels of setsockopt/getsockopt.
pub const SOL_SOCKET: i32 = 1;
pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_IPV6: i32 = 41;

// IPPROTO_IP option names.
pub const IP_TOS: i32 = 1;
pub const IP_TTL: i32 = 2;
pub const IP_PKTINFO: i32 = 8;
pub const IP_MTU_DISCOVER: i32 = 10;
pub const IP_RECVERR: i32 = 11;
pub const IP_FREEBIND: i32 = 15;

/// `SOL_SOCKET` options.
pub const SO_DEBUG: i32 = 1;
pub const SO_REUSEADDR: i32 = 2;
pub const SO_TYPE: i32 = 3;
pub const SO_ERROR: i32 = 4;
pub const SO_DONTROUTE: i32 = 5;
pub const SO_BROADCAST: i32 = 6;
pub const SO_SNDBUF: i32 = 7;
pub const SO_RCVBUF: i32 = 8;
pub const SO_KEEPALIVE: i32 = 9;
pub const SO_OOBINLINE: i32 = 10;
pub const SO_LINGER: i32 = 13;
pub const SO_REUSEPORT: i32 = 15;
pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;
pub const SO_RCVLOWAT: i32 = 18;
pub const SO_SNDLOWAT: i32 = 19;
pub const SO_RCVTIMEO: i32 = 20;
pub const SO_SNDTIMEO: i32 = 21;
pub const SO_ACCEPTCONN: i32 = 30;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_DOMAIN: i32 = 39;

/// `IPPROTO_TCP` options.
pub const TCP_NODELAY: i32 = 1;
pub const TCP_MAXSEG: i32 = 2;
pub const TCP_CORK: i32 = 3;
pub const TCP_KEEPIDLE: i32 = 4;
pub const TCP_KEEPINTVL: i32 = 5;
pub const TCP_KEEPCNT: i32 = 6;
pub const TCP_DEFER_ACCEPT: i32 = 9;
pub const TCP_QUICKACK: i32 = 12;

/// send/recv flags.
pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTROUTE: u32 = 0x4;
pub const MSG_CTRUNC: u32 = 0x8;
pub const MSG_TRUNC: u32 = 0x20;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_EOR: u32 = 0x80;
pub const MSG_WAITALL: u32 = 0x100;
pub const MSG_NOSIGNAL: u32 = 0x4000;
pub const MSG_MORE: u32 = 0x8000;
pub const MSG_WAITFORONE: u32 = 0x1_0000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

/// shutdown(2) `how`.
pub const SHUT_RD: u32 = 0;
pub const SHUT_WR: u32 = 1;
pub const SHUT_RDWR: u32 = 2;

/// Control message types at `SOL_SOCKET`.
pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;

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

/// `struct sockaddr_in6` (28 bytes).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SockaddrIn6 {
    pub sin6_family: u16,
    pub sin6_port: [u8; 2],
    pub sin6_flowinfo: [u8; 4],
    pub sin6_addr: [u8; 16],
    pub sin6_scope_id: u32,
}
abi_struct!(SockaddrIn6, 28 { sin6_family, sin6_port, sin6_flowinfo, sin6_addr, sin6_scope_id });

/// `SIN6_LEN_RFC2133`: the shortest `sockaddr_in6` Linux accepts (no scope id).
pub const SIN6_LEN_RFC2133: usize = 24;

/// `IPPROTO_IPV6` option `IPV6_V6ONLY`.
pub const IPV6_V6ONLY: i32 = 26;

/// Length of `sun_path`.
pub const UNIX_PATH_MAX: usize = 108;

/// `struct sockaddr_un`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SockaddrUn {
    pub sun_family: u16,
    pub sun_path: [u8; UNIX_PATH_MAX],
}
abi_struct!(SockaddrUn, 110 { sun_family, sun_path });

/// `struct msghdr` (x86_64: 56 bytes).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Msghdr {
    pub msg_name: u64,
    pub msg_namelen: u32,
    pub msg_iov: u64,
    pub msg_iovlen: u64,
    pub msg_control: u64,
    pub msg_controllen: u64,
    pub msg_flags: i32,
}
abi_struct!(Msghdr, 56 { msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags });

impl Msghdr {
    /// The address buffer (`msg_name`, `msg_namelen` bytes).
    pub const fn name(&self) -> UserPtr<u8> {
        UserPtr::new(self.msg_name)
    }

    /// The iovec array (`msg_iovlen` entries).
    pub const fn iov(&self) -> UserPtr<super::Iovec> {
        UserPtr::new(self.msg_iov)
    }

    /// The control buffer (`msg_controllen` bytes).
    pub const fn control(&self) -> UserPtr<u8> {
        UserPtr::new(self.msg_control)
    }
}

/// `struct mmsghdr` (sendmmsg/recvmmsg).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Mmsghdr {
    pub msg_hdr: Msghdr,
    pub msg_len: u32,
}
abi_struct!(Mmsghdr, 64 { msg_hdr, msg_len });

/// `struct cmsghdr`: the header of one control message; data follows,
/// each message padded to 8 bytes (`CMSG_ALIGN`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Cmsghdr {
    pub cmsg_len: u64,
    pub cmsg_level: i32,
    pub cmsg_type: i32,
}
abi_struct!(Cmsghdr, 16 { cmsg_len, cmsg_level, cmsg_type });

/// `struct linger` (SO_LINGER).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Linger {
    pub l_onoff: i32,
    pub l_linger: i32,
}
abi_struct!(Linger, 8 { l_onoff, l_linger });

/// `struct ucred` (SO_PEERCRED, SCM_CREDENTIALS).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ucred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}
abi_struct!(Ucred, 12 { pid, uid, gid });

/// The name of an `AF_UNIX` socket.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum UnixName {
    /// No name (socketpair, an unbound or connecting socket).
    #[default]
    Unnamed,
    /// A filesystem path (no NUL).
    Path(Vec<u8>),
    /// Linux's abstract namespace: the bytes after the leading NUL.
    Abstract(Vec<u8>),
}

/// A socket address as user space passes it to bind/connect/sendto.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SocketAddress {
    /// `AF_INET`: address bytes and host-order port.
    Inet([u8; 4], u16),
    /// `AF_INET6`: address bytes, host-order port, flow info (as given) and scope id.
    Inet6 { addr: [u8; 16], port: u16, flowinfo: u32, scope_id: u32 },
    /// `AF_UNSPEC` (connect: dissolve the association).
    Unspec,
    Unix(UnixName),
}

/// Size of `sa_family_t`.
const FAMILY_LEN: usize = 2;

impl SocketAddress {
    /// Decodes `addrlen` bytes of a user sockaddr as Linux does: `EINVAL`
    /// if shorter than the family's struct (`sockaddr_in`: 16 bytes) or
    /// longer than `sockaddr_storage` (128), `EAFNOSUPPORT` for an unknown
    /// family. An `AF_UNIX` path ends at its first NUL or at `addrlen`; a
    /// leading NUL makes it abstract (all `addrlen - 3` bytes count); just
    /// the family means unnamed.
    pub fn decode(bytes: &[u8]) -> KResult<SocketAddress> {
        if bytes.len() < FAMILY_LEN || bytes.len() > 128 {
            return Err(Errno::EINVAL);
        }
        let family = u16::from_le_bytes([bytes[0], bytes[1]]);
        match family {
            AF_INET => {
                if bytes.len() < SockaddrIn::SIZE_BYTES {
                    return Err(Errno::EINVAL);
                }
                let sin = SockaddrIn::from_bytes(&bytes[..16])?;
                Ok(SocketAddress::Inet(sin.sin_addr, sin.port()))
            }
            AF_INET6 => {
                if bytes.len() < SIN6_LEN_RFC2133 {
                    return Err(Errno::EINVAL);
                }
                let mut full = [0u8; SockaddrIn6::SIZE_BYTES];
                let n = bytes.len().min(full.len());
                full[..n].copy_from_slice(&bytes[..n]);
                let sin6 = SockaddrIn6::from_bytes(&full)?;
                Ok(SocketAddress::Inet6 {
                    addr: sin6.sin6_addr,
                    port: u16::from_be_bytes(sin6.sin6_port),
                    flowinfo: u32::from_be_bytes(sin6.sin6_flowinfo),
                    scope_id: sin6.sin6_scope_id,
                })
            }
            AF_UNSPEC => Ok(SocketAddress::Unspec),
            AF_UNIX => {
                if bytes.len() > SockaddrUn::SIZE_BYTES {
                    return Err(Errno::EINVAL);
                }
                let path = &bytes[FAMILY_LEN..];
                Ok(SocketAddress::Unix(match path.first() {
                    None => UnixName::Unnamed,
                    Some(0) => UnixName::Abstract(path[1..].to_vec()),
                    Some(_) => {
                        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                        UnixName::Path(path[..end].to_vec())
                    }
                }))
            }
            _ => Err(Errno::EAFNOSUPPORT),
        }
    }

    /// The byte image accept/getsockname/recvfrom hand back, with the
    /// length Linux reports: 16 for `AF_INET`, 28 for `AF_INET6`; for `AF_UNIX` the family,
    /// then the path and its NUL, or NUL and the abstract name, or nothing.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            SocketAddress::Inet(ip, port) => SockaddrIn::new(*ip, *port).to_bytes().to_vec(),
            SocketAddress::Inet6 { addr, port, flowinfo, scope_id } => SockaddrIn6 {
                sin6_family: AF_INET6,
                sin6_port: port.to_be_bytes(),
                sin6_flowinfo: flowinfo.to_be_bytes(),
                sin6_addr: *addr,
                sin6_scope_id: *scope_id,
            }
            .to_bytes()
            .to_vec(),
            SocketAddress::Unspec => AF_UNSPEC.to_le_bytes().to_vec(),
            SocketAddress::Unix(name) => {
                let mut out = AF_UNIX.to_le_bytes().to_vec();
                match name {
                    UnixName::Unnamed => {}
                    UnixName::Path(p) => {
                        out.extend_from_slice(&p[..p.len().min(UNIX_PATH_MAX - 1)]);
                        out.push(0);
                    }
                    UnixName::Abstract(a) => {
                        out.push(0);
                        out.extend_from_slice(&a[..a.len().min(UNIX_PATH_MAX - 1)]);
                    }
                }
                out
            }
        }
    }
}

impl SockaddrIn {
    const SIZE_BYTES: usize = 16;
}

impl SockaddrUn {
    const SIZE_BYTES: usize = 110;
}

impl SockaddrIn6 {
    const SIZE_BYTES: usize = 28;
}
