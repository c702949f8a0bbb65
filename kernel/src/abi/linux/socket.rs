//! The socket syscalls: socket(41), connect(42), accept(43), sendto(44),
//! recvfrom(45), sendmsg(46), recvmsg(47), shutdown(48), bind(49),
//! listen(50), getsockname(51), getpeername(52), socketpair(53),
//! setsockopt(54), getsockopt(55), accept4(288), recvmmsg(299),
//! sendmmsg(307). (read/write/poll/fstat of a socket: `net::socket::file`.)
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
use linux_abi::flags::OpenFlags;
use linux_abi::structs::{self as abi, Abi, Cmsghdr, Mmsghdr, Msghdr, SocketAddress, Timespec, UnixName, UIO_MAXIOV};
use linux_abi::{Fd, UserPtr, UserSlice};
use vfs::{DevId, FileKind};

use super::SysResult;
use crate::net::socket::unix::{Key, UnixAddr};
use crate::net::socket::file::MAX_IO;
use crate::net::socket::{Received, Socket, Target};
use crate::task::files::OpenFile;
use crate::task::Task;

const O_RDWR: u32 = OpenFlags::O_RDWR.bits();

fn nonblocking(file: &OpenFile, flags: u32) -> bool {
    file.nonblocking() || flags & abi::MSG_DONTWAIT != 0
}

/// The socket behind `fd` (`ENOTSOCK` for other files).
fn socket_file(p: &Task, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = p.files.get(fd.into())?;
    sock(&file)?;
    Ok(file)
}

/// The socket of a file `socket_file` returned; ENOTSOCK for any other.
fn sock(file: &OpenFile) -> Result<&Socket, Errno> {
    file.downcast::<Socket>().ok_or(Errno::ENOTSOCK)
}

fn install(p: &mut Task, s: Socket, flags: u32) -> SysResult {
    let status = O_RDWR | (flags & abi::SOCK_NONBLOCK);
    p.files.insert(OpenFile::new(Arc::new(s), true, true, status), flags & abi::SOCK_CLOEXEC != 0, 0)
}

/// The type argument of socket/socketpair: (type, flags).
fn split_type(raw: u32) -> Result<(u32, u32), Errno> {
    let flags = raw & (abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC);
    let ty = raw & !(abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC);
    if ty & !abi::SOCK_TYPE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((ty, flags))
}

pub fn socket(p: &mut Task, domain: i32, ty: u32, protocol: i32) -> SysResult {
    let (ty, flags) = split_type(ty)?;
    let domain = u16::try_from(domain).map_err(|_| Errno::EAFNOSUPPORT)?;
    super::privileges::check_raw_socket(p, domain, ty)?;
    if domain != abi::AF_INET && domain != abi::AF_INET6 && domain != abi::AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let s = Socket::new(domain, ty, protocol, p.pid())?;
    install(p, s, flags)
}

pub fn socketpair(p: &mut Task, domain: i32, ty: u32, protocol: i32, sv: UserPtr<[i32; 2]>) -> SysResult {
    let (ty, flags) = split_type(ty)?;
    match u16::try_from(domain) {
        Ok(abi::AF_UNIX) => {}
        Ok(abi::AF_INET | abi::AF_INET6) => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    if protocol != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    sv.range()?;
    let (x, y) = Socket::pair(ty, p.pid())?;
    let fx = install(p, x, flags)?;
    let fy = match install(p, y, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = p.files.close(fx as i64);
            return Err(e);
        }
    };
    if let Err(e) = p.space.write(sv, &[fx as i32, fy as i32]) {
        let _ = p.files.close(fx as i64);
        let _ = p.files.close(fy as i64);
        return Err(e);
    }
    Ok(0)
}

/// Reads a user sockaddr of `len` bytes (Linux's `move_addr_to_kernel`:
/// EINVAL for a negative or too long length, EFAULT for bad memory).
fn read_address(p: &Task, addr: UserPtr<u8>, len: i32) -> Result<SocketAddress, Errno> {
    let len = usize::try_from(len).ok().filter(|&n| n <= abi::SOCKADDR_STORAGE_SIZE).ok_or(Errno::EINVAL)?;
    let mut raw = vec![0u8; len];
    p.space.copy_in(addr.array(len)?, &mut raw)?;
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
        (abi::AF_INET6, SocketAddress::Inet6 { addr, port, .. }) => {
            let ip = core::net::Ipv6Addr::from(addr);
            Ok(match ip.to_ipv4_mapped() {
                Some(v4) => Target::Inet(core::net::SocketAddrV4::new(v4, port)),
                None => Target::Inet6(core::net::SocketAddrV6::new(ip, port, 0, 0)),
            })
        }
        (abi::AF_INET6, _) => Err(Errno::EAFNOSUPPORT),
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

/// Writes `value` (None: no address, length 0) to a user (sockaddr,
/// socklen_t *) pair as Linux's `move_addr_to_user`: the length is read
/// (EFAULT), EINVAL if negative, the address cut to it, the real length
/// written back.
fn write_address(p: &Task, addr: UserPtr<u8>, len: UserPtr<i32>, value: Option<&SocketAddress>) -> Result<(), Errno> {
    let room = p.space.read(len)?;
    let bytes = value.map(SocketAddress::encode).unwrap_or_default();
    let n = usize::try_from(room).map_err(|_| Errno::EINVAL)?.min(bytes.len());
    if n > 0 {
        p.space.copy_out(addr.array(n)?, &bytes[..n])?;
    }
    p.space.write(len, &(bytes.len() as i32))
}

/// An AF_INET6 socket's bind/connect take at least RFC 2133's
/// `sockaddr_in6` (EINVAL), whatever the family (but AF_UNSPEC's connect).
fn short_inet6(s: &Socket, addr: &SocketAddress, len: i32) -> Result<(), Errno> {
    let short = usize::try_from(len).is_ok_and(|n| n < abi::SIN6_LEN_RFC2133);
    if s.domain == abi::AF_INET6 && short && !matches!(addr, SocketAddress::Unspec) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub fn bind(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: i32) -> SysResult {
    let file = socket_file(p, fd)?;
    let s = sock(&file)?;
    let addr = read_address(p, addr, len)?;
    short_inet6(s, &addr, len)?;
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

pub fn listen(p: &mut Task, fd: Fd, backlog: i32) -> SysResult {
    let file = socket_file(p, fd)?;
    let backlog = usize::try_from(backlog).unwrap_or(0).min(4096);
    sock(&file)?.listen(backlog)?;
    Ok(0)
}

pub fn accept4(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: UserPtr<i32>, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !(abi::SOCK_NONBLOCK | abi::SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = socket_file(p, fd)?;
    let (new, peer) = sock(&file)?.accept(nonblocking(&file, 0))?;
    let fd = install(p, new, flags)?;
    if !addr.is_null() {
        if let Err(e) = write_address(p, addr, len, Some(&peer)) {
            let _ = p.files.close(fd as i64);
            return Err(e);
        }
    }
    Ok(fd)
}

pub fn accept(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: UserPtr<i32>) -> SysResult {
    accept4(p, fd, addr, len, 0)
}

/// connect(fd, addr, len): EBADF, then the address is read (EFAULT,
/// EINVAL), then ENOTSOCK, as Linux's `__sys_connect`.
pub fn connect(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: i32) -> SysResult {
    let file = p.files.get(fd.into())?;
    let addr = read_address(p, addr, len)?;
    let s = sock(&file)?;
    short_inet6(s, &addr, len)?;
    let to = target(p, s, addr)?;
    s.connect(to, nonblocking(&file, 0))?;
    Ok(0)
}

pub fn shutdown(p: &mut Task, fd: Fd, how: i32) -> SysResult {
    let file = socket_file(p, fd)?;
    sock(&file)?.shutdown(how as u32)?;
    Ok(0)
}

pub fn getsockname(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: UserPtr<i32>) -> SysResult {
    let file = socket_file(p, fd)?;
    write_address(p, addr, len, Some(&sock(&file)?.local_name()))?;
    Ok(0)
}

pub fn getpeername(p: &mut Task, fd: Fd, addr: UserPtr<u8>, len: UserPtr<i32>) -> SysResult {
    let file = socket_file(p, fd)?;
    let peer = sock(&file)?.peer_name()?;
    write_address(p, addr, len, Some(&peer))?;
    Ok(0)
}

pub fn setsockopt(p: &mut Task, fd: Fd, level: i32, name: i32, val: UserPtr<u8>, len: i32) -> SysResult {
    let file = socket_file(p, fd)?;
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?.min(256);
    let mut bytes = vec![0u8; len];
    p.space.copy_in(val.array(len)?, &mut bytes)?;
    sock(&file)?.set_option(level, name, &bytes)?;
    Ok(0)
}

pub fn getsockopt(p: &mut Task, fd: Fd, level: i32, name: i32, val: UserPtr<u8>, len: UserPtr<i32>) -> SysResult {
    let file = socket_file(p, fd)?;
    let room = usize::try_from(p.space.read(len)?).map_err(|_| Errno::EINVAL)?;
    let value = sock(&file)?.get_option(level, name)?;
    let n = value.len().min(room);
    p.space.copy_out(val.array(n)?, &value[..n])?;
    p.space.write(len, &(n as i32))?;
    Ok(0)
}

/// Sends `data`; `EPIPE` on a stream raises SIGPIPE unless `MSG_NOSIGNAL`.
fn send_data(file: &OpenFile, data: &[u8], to: Option<Target>, flags: u32) -> SysResult {
    sock(file)?.send_signalling(data, to, nonblocking(file, flags), flags & abi::MSG_NOSIGNAL != 0)
}

fn check_send_flags(flags: u32) -> Result<(), Errno> {
    if flags & abi::MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

/// A send or receive buffer: `access_ok` first (len cut at `MAX_RW_COUNT`),
/// before the descriptor is looked at, as Linux's `import_ubuf`.
fn io_buffer(buf: UserPtr<u8>, len: usize) -> Result<UserSlice, Errno> {
    buf.array(len.min(linux_abi::flags::MAX_RW_COUNT))
}

pub fn sendto(p: &mut Task, fd: Fd, buf: UserPtr<u8>, len: usize, flags: u32, addr: UserPtr<u8>, addrlen: i32) -> SysResult {
    let src = io_buffer(buf, len)?;
    let file = socket_file(p, fd)?;
    let to = if addr.is_null() { None } else { Some(target(p, sock(&file)?, read_address(p, addr, addrlen)?)?) };
    check_send_flags(flags)?;
    let src = src.prefix(src.len().min(MAX_IO))?;
    let mut data = vec![0u8; src.len()];
    p.space.copy_in(src, &mut data)?;
    send_data(&file, &data, to, flags)
}

/// Receives into a kernel buffer of `len` bytes (capped).
fn recv_data(file: &OpenFile, len: usize, flags: u32) -> Result<(Vec<u8>, Received), Errno> {
    if flags & abi::MSG_OOB != 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; len.min(MAX_IO)];
    let got = sock(file)?.recv(&mut buf, flags & abi::MSG_PEEK != 0, flags & abi::MSG_WAITALL != 0, nonblocking(file, flags))?;
    Ok((buf, got))
}

pub fn recvfrom(p: &mut Task, fd: Fd, buf: UserPtr<u8>, len: usize, flags: u32, addr: UserPtr<u8>, addrlen: UserPtr<i32>) -> SysResult {
    let dst = io_buffer(buf, len)?;
    let file = socket_file(p, fd)?;
    let (bytes, got) = recv_data(&file, dst.len(), flags)?;
    p.space.copy_out(dst, &bytes[..got.len])?;
    if !addr.is_null() {
        // A stream socket names no sender: the length says so (0).
        write_address(p, addr, addrlen, got.from.as_ref())?;
    }
    Ok(if flags & abi::MSG_TRUNC != 0 { got.full } else { got.len })
}

/// The buffers of a message's iovec array (EMSGSIZE past `UIO_MAXIOV`).
fn iovecs(p: &Task, m: &Msghdr) -> Result<Vec<UserSlice>, Errno> {
    let count = usize::try_from(m.msg_iovlen).ok().filter(|&n| n <= UIO_MAXIOV).ok_or(Errno::EMSGSIZE)?;
    super::user_iovecs(p, m.iov(), count)
}

/// One sendmsg: bytes sent.
fn send_msg(p: &Task, file: &OpenFile, m: &Msghdr, flags: u32) -> SysResult {
    check_send_flags(flags)?;
    if m.msg_controllen >= Cmsghdr::SIZE as u64 && !m.control().is_null() {
        let c = p.space.read(m.control().cast::<Cmsghdr>())?;
        if c.cmsg_level == abi::SOL_SOCKET && c.cmsg_type == abi::SCM_RIGHTS {
            return Err(Errno::EOPNOTSUPP);
        }
    }
    let to = if m.name().is_null() {
        None
    } else {
        let len = i32::try_from(m.msg_namelen).map_err(|_| Errno::EINVAL)?;
        Some(target(p, sock(file)?, read_address(p, m.name(), len)?)?)
    };
    let mut data = Vec::new();
    for src in iovecs(p, m)? {
        let take = src.len().min(MAX_IO - data.len());
        let at = data.len();
        data.resize(at + take, 0);
        p.space.copy_in(src.prefix(take)?, &mut data[at..])?;
        if data.len() >= MAX_IO {
            break;
        }
    }
    send_data(file, &data, to, flags)
}

/// One recvmsg: fills the iovecs and the name, updates the header at `hdr`.
fn recv_msg(p: &Task, file: &OpenFile, hdr: UserPtr<Msghdr>, m: &Msghdr, flags: u32) -> SysResult {
    let iov = iovecs(p, m)?;
    let total = iov.iter().fold(0usize, |t, v| t.saturating_add(v.len()));
    let (buf, got) = recv_data(file, total, flags)?;
    let mut done = 0;
    for dst in iov {
        if done >= got.len {
            break;
        }
        let n = dst.len().min(got.len - done);
        p.space.copy_out(dst, &buf[done..done + n])?;
        done += n;
    }
    let mut out = *m;
    out.msg_namelen = 0;
    if !m.name().is_null() {
        if let Some(from) = &got.from {
            let bytes = from.encode();
            let n = bytes.len().min(m.msg_namelen as usize);
            p.space.copy_out(m.name().array(n)?, &bytes[..n])?;
            out.msg_namelen = bytes.len() as u32;
        }
    }
    out.msg_controllen = 0;
    out.msg_flags = if got.full > got.len { abi::MSG_TRUNC as i32 } else { 0 };
    p.space.write(hdr, &out)?;
    Ok(if flags & abi::MSG_TRUNC != 0 { got.full } else { got.len })
}

pub fn sendmsg(p: &mut Task, fd: Fd, msg: UserPtr<Msghdr>, flags: u32) -> SysResult {
    let file = socket_file(p, fd)?;
    let m = p.space.read(msg)?;
    send_msg(p, &file, &m, flags)
}

pub fn recvmsg(p: &mut Task, fd: Fd, msg: UserPtr<Msghdr>, flags: u32) -> SysResult {
    let file = socket_file(p, fd)?;
    let m = p.space.read(msg)?;
    recv_msg(p, &file, msg, &m, flags)
}

/// The `msg_len` field of entry `i` of an mmsghdr array, and its header.
fn mmsg_entry(vec: UserPtr<Mmsghdr>, i: usize) -> Result<(UserPtr<Msghdr>, UserPtr<u32>), Errno> {
    let entry = vec.element(i)?;
    Ok((entry.cast(), entry.field(core::mem::offset_of!(Mmsghdr, msg_len))?))
}

/// sendmmsg(fd, msgvec, vlen, flags): messages sent; an error after the
/// first message ends the batch early.
pub fn sendmmsg(p: &mut Task, fd: Fd, vec: UserPtr<Mmsghdr>, vlen: u32, flags: u32) -> SysResult {
    let file = socket_file(p, fd)?;
    let count = (vlen as usize).min(UIO_MAXIOV);
    for i in 0..count {
        let (hdr, len) = mmsg_entry(vec, i)?;
        let sent = p.space.read(hdr).and_then(|m| send_msg(p, &file, &m, flags));
        match sent {
            Ok(n) => p.space.write(len, &(n as u32))?,
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Ok(i),
        }
    }
    Ok(count)
}

/// recvmmsg(fd, msgvec, vlen, flags, timeout): the timeout is read and
/// checked but not honoured (Linux only checks it between messages); with
/// `MSG_WAITFORONE` only the first receive blocks.
pub fn recvmmsg(p: &mut Task, fd: Fd, vec: UserPtr<Mmsghdr>, vlen: u32, flags: u32, timeout: UserPtr<Timespec>) -> SysResult {
    if !timeout.is_null() {
        p.space.read(timeout)?.validate()?;
    }
    let file = socket_file(p, fd)?;
    let count = (vlen as usize).min(UIO_MAXIOV);
    let mut flags = flags;
    for i in 0..count {
        let (hdr, len) = mmsg_entry(vec, i)?;
        let got = p.space.read(hdr).and_then(|m| recv_msg(p, &file, hdr, &m, flags & !abi::MSG_WAITFORONE));
        match got {
            Ok(n) => p.space.write(len, &(n as u32))?,
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Ok(i),
        }
        if flags & abi::MSG_WAITFORONE != 0 {
            flags |= abi::MSG_DONTWAIT;
        }
    }
    Ok(count)
}
