//! The socket syscalls: socket(41), connect(42), accept(43), sendto(44),
//! recvfrom(45), sendmsg(46), recvmsg(47), shutdown(48), bind(49),
//! listen(50), getsockname(51), getpeername(52), socketpair(53),
//! setsockopt(54), getsockopt(55), accept4(288), recvmmsg(299),
//! sendmmsg(307); and the socket arms of read/write/poll/fstat.
//!
//! Role: user memory and names only. Addresses are decoded with
//! `linux_abi::structs::SocketAddress`; `AF_UNIX` paths resolve in the
//! caller's namespace (bind creates the socket file with mknod, as Linux
//! does); the socket object (`net::socket::Socket`) does the rest.
//! Blocking follows the file's O_NONBLOCK and `MSG_DONTWAIT`. `EPIPE` on a
//! stream raises SIGPIPE unless `MSG_NOSIGNAL`. Control messages: none are
//! produced; sending `SCM_RIGHTS` is `EOPNOTSUPP` (not offered), others
//! are ignored.
//! May call: `net::socket`, `task` (descriptors, signals), `vfs`.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::structs::{self as abi, Msghdr, SocketAddress, UnixName};
use vfs::{DevId, FileKind};

use super::SysResult;
use crate::net::socket::unix::{Key, UnixAddr};
use crate::net::socket::{Received, Socket, Target};
use crate::task::files::{Node, OpenFile};
use crate::task::Task;

const O_NONBLOCK: u32 = 0o4000;
const O_RDWR: u32 = 2;
/// Bytes one send or receive moves through a kernel buffer at most.
const MAX_IO: usize = 1 << 20;
/// `MSG_WAITFORONE` (recvmmsg).
const MSG_WAITFORONE: u32 = 0x10000;

fn nonblocking(file: &OpenFile, flags: u32) -> bool {
    *file.status.lock() & O_NONBLOCK != 0 || flags & abi::MSG_DONTWAIT != 0
}

/// The socket behind `fd` (`ENOTSOCK` for other files).
fn socket_file(p: &Task, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let file = p.files.get(i64::from(fd as i32))?;
    match file.node {
        Node::Socket(_) => Ok(file),
        _ => Err(Errno::ENOTSOCK),
    }
}

fn sock(file: &OpenFile) -> &Socket {
    match &file.node {
        Node::Socket(s) => s,
        _ => unreachable!("socket_file checked the kind"),
    }
}

fn install(p: &mut Task, s: Socket, flags: u32) -> SysResult {
    let status = O_RDWR | (flags & abi::SOCK_NONBLOCK);
    p.files.insert(OpenFile::new(Node::Socket(s), true, true, status), flags & abi::SOCK_CLOEXEC != 0, 0)
}

/// The type argument of socket/socketpair: (type, flags).
fn split_type(raw: u64) -> Result<(u32, u32), Errno> {
    let raw = raw as u32;
    let flags = raw & (abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC);
    let ty = raw & !(abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC);
    if ty & !abi::SOCK_TYPE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((ty, flags))
}

pub fn socket(p: &mut Task, a: [u64; 6]) -> SysResult {
    let domain = a[0] as u32;
    let (ty, flags) = split_type(a[1])?;
    let domain = u16::try_from(domain).map_err(|_| Errno::EAFNOSUPPORT)?;
    super::privileges::check_raw_socket(p, domain, ty)?;
    if domain != abi::AF_INET && domain != abi::AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let s = Socket::new(domain, ty, a[2] as i32, p.pid())?;
    install(p, s, flags)
}

pub fn socketpair(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (ty, flags) = split_type(a[1])?;
    match a[0] as u32 {
        1 => {}
        2 => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    if a[2] != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    linux_abi::check_user_range(a[3], 8)?;
    let (x, y) = Socket::pair(ty, p.pid())?;
    let fx = install(p, x, flags)?;
    let fy = match install(p, y, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = p.files.close(fx as i64);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&(fx as i32).to_le_bytes());
    out[4..].copy_from_slice(&(fy as i32).to_le_bytes());
    if let Err(e) = p.space.copy_out(a[3], &out) {
        let _ = p.files.close(fx as i64);
        let _ = p.files.close(fy as i64);
        return Err(e);
    }
    Ok(0)
}

/// Reads a user sockaddr of `len` bytes.
fn read_address(p: &Task, addr: u64, len: u64) -> Result<SocketAddress, Errno> {
    let len = usize::try_from(len as i32).map_err(|_| Errno::EINVAL)?;
    if len > 128 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; len];
    p.space.copy_in(addr, &mut raw)?;
    SocketAddress::decode(&raw)
}

fn path_of(bytes: &[u8]) -> Result<&str, Errno> {
    core::str::from_utf8(bytes).map_err(|_| Errno::EINVAL)
}

/// What `addr` names for `s`: an AF_UNIX path resolves to its socket
/// file (`ENOENT` if missing, `ECONNREFUSED` if not a socket).
fn target(p: &Task, s: &Socket, addr: SocketAddress) -> Result<Target, Errno> {
    match (s.domain, addr) {
        (_, SocketAddress::Unspec) => Ok(Target::Unspec),
        (abi::AF_INET, SocketAddress::Inet(ip, port)) => Ok(Target::Inet(core::net::SocketAddrV4::new(ip.into(), port))),
        (abi::AF_INET, _) => Err(Errno::EAFNOSUPPORT),
        (abi::AF_UNIX, SocketAddress::Unix(name)) => {
            let key = match &name {
                UnixName::Unnamed => None,
                UnixName::Abstract(a) => Some(Key::abstract_name(p.proc.net_ns, a)),
                UnixName::Path(path) => {
                    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, path_of(path)?, true)?;
                    if loc.kind()? != FileKind::Socket {
                        return Err(Errno::ECONNREFUSED);
                    }
                    Some(Key::Inode(loc.inode().clone()))
                }
            };
            Ok(Target::Unix(UnixAddr { name, key }))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Writes `addr` to a user (sockaddr, socklen_t *) pair, truncating to the
/// caller's length and reporting the real one, as Linux does.
fn write_address(p: &Task, addr: u64, len_addr: u64, value: &SocketAddress) -> Result<(), Errno> {
    if addr == 0 || len_addr == 0 {
        return Ok(());
    }
    let mut raw = [0u8; 4];
    p.space.copy_in(len_addr, &mut raw)?;
    let room = usize::try_from(i32::from_le_bytes(raw)).map_err(|_| Errno::EINVAL)?;
    let bytes = value.encode();
    p.space.copy_out(addr, &bytes[..bytes.len().min(room)])?;
    p.space.copy_out(len_addr, &(bytes.len() as u32).to_le_bytes())
}

pub fn bind(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let s = sock(&file);
    let addr = read_address(p, a[1], a[2])?;
    let to = match (s.domain, addr) {
        (abi::AF_UNIX, SocketAddress::Unix(UnixName::Path(path))) => {
            if s.is_bound() {
                return Err(Errno::EINVAL);
            }
            let perm = 0o777 & !p.umask;
            let loc = p
                .vfs
                .mknod(&p.cred, &p.cwd, path_of(&path)?, FileKind::Socket, perm, DevId::NONE)
                .map_err(|e| if e == Errno::EEXIST { Errno::EADDRINUSE } else { e })?;
            Target::Unix(UnixAddr { name: UnixName::Path(path), key: Some(Key::Inode(loc.inode().clone())) })
        }
        (abi::AF_INET, SocketAddress::Unspec) => return Err(Errno::EAFNOSUPPORT),
        (_, addr) => target(p, s, addr)?,
    };
    if let Target::Inet(a) = &to {
        creds::policy::may_bind_port(&p.cred, a.port())?;
    }
    s.bind(to)?;
    Ok(0)
}

pub fn listen(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let backlog = usize::try_from(a[1] as i32).unwrap_or(0).min(4096);
    sock(&file).listen(backlog)?;
    Ok(0)
}

pub fn accept4(p: &mut Task, a: [u64; 6]) -> SysResult {
    let flags = a[3] as u32;
    if flags & !(abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = socket_file(p, a[0])?;
    let (new, peer) = sock(&file).accept(nonblocking(&file, 0))?;
    let fd = install(p, new, flags)?;
    if let Err(e) = write_address(p, a[1], a[2], &peer) {
        let _ = p.files.close(fd as i64);
        return Err(e);
    }
    Ok(fd)
}

pub fn accept(p: &mut Task, a: [u64; 6]) -> SysResult {
    accept4(p, [a[0], a[1], a[2], 0, 0, 0])
}

pub fn connect(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let s = sock(&file);
    let to = target(p, s, read_address(p, a[1], a[2])?)?;
    s.connect(to, nonblocking(&file, 0))?;
    Ok(0)
}

pub fn shutdown(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    sock(&file).shutdown(a[1] as u32)?;
    Ok(0)
}

pub fn getsockname(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    linux_abi::check_user_range(a[2], 4)?;
    write_address(p, a[1], a[2], &sock(&file).local_name())?;
    Ok(0)
}

pub fn getpeername(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let peer = sock(&file).peer_name()?;
    write_address(p, a[1], a[2], &peer)?;
    Ok(0)
}

pub fn setsockopt(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let len = usize::try_from(a[4] as i32).map_err(|_| Errno::EINVAL)?.min(256);
    let mut val = vec![0u8; len];
    p.space.copy_in(a[3], &mut val)?;
    sock(&file).set_option(a[1] as i32, a[2] as i32, &val)?;
    Ok(0)
}

pub fn getsockopt(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let mut raw = [0u8; 4];
    p.space.copy_in(a[4], &mut raw)?;
    let room = usize::try_from(i32::from_le_bytes(raw)).map_err(|_| Errno::EINVAL)?;
    let val = sock(&file).get_option(a[1] as i32, a[2] as i32)?;
    let n = val.len().min(room);
    p.space.copy_out(a[3], &val[..n])?;
    p.space.copy_out(a[4], &(n as u32).to_le_bytes())?;
    Ok(0)
}

/// Sends `data`; `EPIPE` on a stream raises SIGPIPE unless `MSG_NOSIGNAL`.
fn send_data(file: &OpenFile, data: &[u8], to: Option<Target>, flags: u32) -> SysResult {
    let s = sock(file);
    match s.send(data, to, nonblocking(file, flags)) {
        Err(Errno::EPIPE) => {
            if flags & abi::MSG_NOSIGNAL == 0 && s.ty == abi::SOCK_STREAM {
                crate::task::signal::send_to_current(crate::task::signal::Signal::SIGPIPE);
            }
            Err(Errno::EPIPE)
        }
        other => other,
    }
}

fn check_send_flags(flags: u32) -> Result<(), Errno> {
    if flags & abi::MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

pub fn sendto(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let flags = a[3] as u32;
    check_send_flags(flags)?;
    let to = if a[4] == 0 { None } else { Some(target(p, sock(&file), read_address(p, a[4], a[5])?)?) };
    let len = (a[2] as usize).min(MAX_IO);
    let mut data = vec![0u8; len];
    p.space.copy_in(a[1], &mut data)?;
    send_data(&file, &data, to, flags)
}

/// Receives into a kernel buffer of `len` bytes (capped).
fn recv_data(file: &OpenFile, len: usize, flags: u32) -> Result<(Vec<u8>, Received), Errno> {
    if flags & abi::MSG_OOB != 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; len.min(MAX_IO)];
    let got = sock(file).recv(&mut buf, flags & abi::MSG_PEEK != 0, flags & abi::MSG_WAITALL != 0, nonblocking(file, flags))?;
    Ok((buf, got))
}

pub fn recvfrom(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let flags = a[3] as u32;
    let (buf, got) = recv_data(&file, a[2] as usize, flags)?;
    p.space.copy_out(a[1], &buf[..got.len])?;
    if let Some(from) = &got.from {
        write_address(p, a[4], a[5], from)?;
    } else if a[4] != 0 && a[5] != 0 {
        // A stream socket names no sender: the length says so.
        p.space.copy_out(a[5], &0u32.to_le_bytes())?;
    }
    Ok(if flags & abi::MSG_TRUNC != 0 { got.full } else { got.len })
}

/// The (base, len) pairs of a user iovec array.
fn iovecs(p: &Task, addr: u64, count: u64) -> Result<Vec<(u64, usize)>, Errno> {
    if count > 1024 {
        return Err(Errno::EMSGSIZE);
    }
    let mut raw = vec![0u8; count as usize * 16];
    p.space.copy_in(addr, &mut raw)?;
    Ok(raw
        .chunks(16)
        .map(|c| {
            let v = abi::Iovec::from_bytes(c).unwrap_or_default();
            (v.iov_base, v.iov_len as usize)
        })
        .collect())
}

fn read_msghdr(p: &Task, addr: u64) -> Result<Msghdr, Errno> {
    let mut raw = [0u8; 56];
    p.space.copy_in(addr, &mut raw)?;
    Msghdr::from_bytes(&raw)
}

/// One sendmsg: bytes sent.
fn send_msg(p: &Task, file: &OpenFile, m: &Msghdr, flags: u32) -> SysResult {
    check_send_flags(flags)?;
    if m.msg_controllen >= 16 && m.msg_control != 0 {
        let mut raw = [0u8; 16];
        p.space.copy_in(m.msg_control, &mut raw)?;
        let c = abi::Cmsghdr::from_bytes(&raw)?;
        if c.cmsg_level == abi::SOL_SOCKET && c.cmsg_type == abi::SCM_RIGHTS {
            return Err(Errno::EOPNOTSUPP);
        }
    }
    let to = if m.msg_name == 0 {
        None
    } else {
        Some(target(p, sock(file), read_address(p, m.msg_name, u64::from(m.msg_namelen))?)?)
    };
    let mut data = Vec::new();
    for (base, len) in iovecs(p, m.msg_iov, m.msg_iovlen)? {
        let take = len.min(MAX_IO - data.len());
        let at = data.len();
        data.resize(at + take, 0);
        p.space.copy_in(base, &mut data[at..])?;
        if data.len() >= MAX_IO {
            break;
        }
    }
    send_data(file, &data, to, flags)
}

/// One recvmsg: fills the iovecs and the name, updates the header at `addr`.
fn recv_msg(p: &Task, file: &OpenFile, addr: u64, m: &Msghdr, flags: u32) -> SysResult {
    let iov = iovecs(p, m.msg_iov, m.msg_iovlen)?;
    let total = iov.iter().fold(0usize, |t, (_, l)| t.saturating_add(*l));
    let (buf, got) = recv_data(file, total, flags)?;
    let mut done = 0;
    for (base, len) in iov {
        if done >= got.len {
            break;
        }
        let n = len.min(got.len - done);
        p.space.copy_out(base, &buf[done..done + n])?;
        done += n;
    }
    let mut out = *m;
    out.msg_namelen = 0;
    if m.msg_name != 0 {
        if let Some(from) = &got.from {
            let bytes = from.encode();
            let n = bytes.len().min(m.msg_namelen as usize);
            p.space.copy_out(m.msg_name, &bytes[..n])?;
            out.msg_namelen = bytes.len() as u32;
        }
    }
    out.msg_controllen = 0;
    out.msg_flags = if got.full > got.len { abi::MSG_TRUNC as i32 } else { 0 };
    p.space.copy_out(addr, &out.to_bytes())?;
    Ok(if flags & abi::MSG_TRUNC != 0 { got.full } else { got.len })
}

pub fn sendmsg(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let m = read_msghdr(p, a[1])?;
    send_msg(p, &file, &m, a[2] as u32)
}

pub fn recvmsg(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let m = read_msghdr(p, a[1])?;
    recv_msg(p, &file, a[1], &m, a[2] as u32)
}

/// sendmmsg(fd, msgvec, vlen, flags): messages sent; an error after the
/// first message ends the batch early.
pub fn sendmmsg(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let count = (a[2] as u32).min(1024) as u64;
    let flags = a[3] as u32;
    for i in 0..count {
        let at = a[1] + i * 64;
        let m = read_msghdr(p, at)?;
        match send_msg(p, &file, &m, flags) {
            Ok(n) => p.space.copy_out(at + 56, &(n as u32).to_le_bytes())?,
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Ok(i as usize),
        }
    }
    Ok(count as usize)
}

/// recvmmsg(fd, msgvec, vlen, flags, timeout): the timeout is not
/// honoured (as Linux, it is only checked between messages); with
/// `MSG_WAITFORONE` only the first receive blocks.
pub fn recvmmsg(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = socket_file(p, a[0])?;
    let count = (a[2] as u32).min(1024) as u64;
    let mut flags = a[3] as u32;
    for i in 0..count {
        let at = a[1] + i * 64;
        let m = read_msghdr(p, at)?;
        match recv_msg(p, &file, at, &m, flags & !MSG_WAITFORONE) {
            Ok(n) => p.space.copy_out(at + 56, &(n as u32).to_le_bytes())?,
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Ok(i as usize),
        }
        if flags & MSG_WAITFORONE != 0 {
            flags |= abi::MSG_DONTWAIT;
        }
    }
    Ok(count as usize)
}

/// read(2) on a socket.
pub(super) fn read(s: &Socket, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    s.recv(buf, false, false, nonblock).map(|r| r.len)
}

/// write(2) on a socket (SIGPIPE on a broken stream).
pub(super) fn write(s: &Socket, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
    match s.send(data, None, nonblock) {
        Err(Errno::EPIPE) if s.ty == abi::SOCK_STREAM => {
            crate::task::signal::send_to_current(crate::task::signal::Signal::SIGPIPE);
            Err(Errno::EPIPE)
        }
        Err(Errno::EDESTADDRREQ) if s.ty == abi::SOCK_STREAM => Err(Errno::ENOTCONN),
        other => other,
    }
}

/// ioctl(2) on a socket: FIONREAD (bytes or next datagram waiting),
/// FIONBIO (O_NONBLOCK); anything else is `ENOTTY`.
pub(super) fn ioctl(p: &Task, file: &OpenFile, s: &Socket, a: [u64; 6]) -> SysResult {
    const FIONREAD: u64 = 0x541b;
    const FIONBIO: u64 = 0x5421;
    match a[1] {
        FIONREAD => {
            p.space.copy_out(a[2], &(s.available() as i32).to_le_bytes())?;
            Ok(0)
        }
        FIONBIO => {
            let mut raw = [0u8; 4];
            p.space.copy_in(a[2], &mut raw)?;
            let mut status = file.status.lock();
            if i32::from_le_bytes(raw) != 0 {
                *status |= O_NONBLOCK;
            } else {
                *status &= !O_NONBLOCK;
            }
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// poll bits of a socket.
pub(super) fn poll_events(s: &Socket, events: u16) -> u16 {
    const POLLIN: u16 = 0x1;
    const POLLOUT: u16 = 0x4;
    const POLLERR: u16 = 0x8;
    const POLLHUP: u16 = 0x10;
    const POLLRDHUP: u16 = 0x2000;
    let (r, rdhup) = s.readiness();
    let mut out = 0;
    if r.readable {
        out |= events & POLLIN;
    }
    if r.writable {
        out |= events & POLLOUT;
    }
    if rdhup {
        out |= events & POLLRDHUP;
    }
    if r.error {
        out |= POLLERR;
    }
    if r.hangup {
        out |= POLLHUP;
    }
    out
}

/// fstat of a socket or an epoll: an anonymous inode of the right type.
pub(super) fn anon_stat(node: &Node) -> abi::Stat {
    let (mode, ino) = match node {
        Node::Socket(s) => (0o140777, s.id()),
        _ => (0o600, 0),
    };
    abi::Stat { st_dev: 0x8, st_ino: ino, st_nlink: 1, st_mode: mode, st_blksize: 4096, ..abi::Stat::default() }
}
