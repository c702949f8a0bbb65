//! `AF_UNIX` sockets: stream (listen/accept/connect, socketpair) and
//! datagram (sendto a name, connect to a default peer, socketpair).
//!
//! Names: a filesystem name is a socket inode the syscall layer created with
//! `mknod(S_IFSOCK)` in the caller's namespace at bind time; it is found
//! again by resolving the path to that same inode, so an unlinked or
//! replaced file no longer reaches the socket (as on Linux), and a container
//! only reaches sockets in its own namespace. Abstract names (a leading NUL)
//! live only in [`NAMES`], keyed by the network namespace of the process
//! that binds or connects (each container has its own, the host another),
//! so a name bound in one container cannot be reached from another, as on
//! Linux. A socket leaves [`NAMES`] when it closes; the file stays until
//! unlinked, as on Linux.
//! Data: streams are `local::stream_pair`s; datagrams go into the
//! receiver's `DgramQueue` with the sender's name. File descriptor passing
//! (SCM_RIGHTS) is not offered.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use errno::Errno;
use linux_abi::structs::{self as abi, SocketAddress, UnixName};
use spin::Mutex;

use super::{wait, Received, Target};
use crate::file::Pollee;
use crate::net::local::{self, Backlog, DgramQueue, StreamEnd};
use crate::net::Readiness;

/// What a name refers to in [`NAMES`].
pub enum Key {
    /// The socket file's inode.
    Inode(Arc<dyn vfs::Inode>),
    /// An abstract name in a network namespace.
    Abstract { net_ns: u64, name: Vec<u8> },
}

impl Key {
    /// Abstract `name` as seen from network namespace `net_ns`.
    pub fn abstract_name(net_ns: u64, name: &[u8]) -> Key {
        Key::Abstract { net_ns, name: name.to_vec() }
    }

    fn same(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Inode(a), Key::Inode(b)) => Arc::as_ptr(a) as *const u8 == Arc::as_ptr(b) as *const u8,
            (Key::Abstract { net_ns: n1, name: a }, Key::Abstract { net_ns: n2, name: b }) => n1 == n2 && a == b,
            _ => false,
        }
    }
}

/// A resolved `sockaddr_un`: the name as given and what it refers to
/// (`None` for an unnamed address: autobind).
pub struct UnixAddr {
    pub name: UnixName,
    pub key: Option<Key>,
}

/// Who is at the other end (SO_PEERCRED): the process and its effective
/// uid and gid when it connected, listened or made the pair.
#[derive(Clone, Default)]
pub struct PeerCred {
    pub proc: Weak<crate::task::Process>,
    pub uid: u32,
    pub gid: u32,
}

impl PeerCred {
    /// The calling thread's.
    fn current() -> PeerCred {
        let proc = crate::task::current_process().map_or_else(Weak::new, |p| Arc::downgrade(&p));
        let (uid, gid) = crate::sched::with_task(|t| (t.cred.euid, t.cred.egid)).unwrap_or((0, 0));
        PeerCred { proc, uid, gid }
    }

    /// The pid as a process of PID namespace `ns` sees it (0 if it cannot).
    pub fn pid_in(&self, ns: &Arc<crate::task::PidNs>) -> u32 {
        self.proc.upgrade().filter(|p| Arc::ptr_eq(&p.ns, ns)).map_or(0, |p| p.vpid)
    }
}

/// A pending connection: the server's end, the client's name and credentials.
type Pending = (StreamEnd, UnixName, PeerCred);

enum Bound {
    /// A listener's queue and its owner's credentials.
    Stream(Weak<Backlog<Pending>>, PeerCred),
    Dgram(Weak<DgramQueue>),
}

impl Bound {
    fn alive(&self) -> bool {
        match self {
            Bound::Stream(w, _) => w.strong_count() > 0,
            Bound::Dgram(w) => w.strong_count() > 0,
        }
    }
}

static NAMES: Mutex<Vec<(Key, Bound)>> = Mutex::new(Vec::new());
static AUTOBIND: AtomicU32 = AtomicU32::new(0);

fn find(key: &Key) -> Option<Bound> {
    let mut names = NAMES.lock();
    names.retain(|(_, b)| b.alive());
    names.iter().find(|(k, _)| k.same(key)).map(|(_, b)| match b {
        Bound::Stream(w, c) => Bound::Stream(w.clone(), c.clone()),
        Bound::Dgram(w) => Bound::Dgram(w.clone()),
    })
}

/// Registers `key`; `EADDRINUSE` if a live socket has it.
fn register(key: Key, bound: Bound) -> Result<(), Errno> {
    let mut names = NAMES.lock();
    names.retain(|(_, b)| b.alive());
    if names.iter().any(|(k, _)| k.same(&key)) {
        return Err(Errno::EADDRINUSE);
    }
    names.push((key, bound));
    Ok(())
}

/// The name and key for a bind: the given one, or an autobind name.
fn bind_key(addr: UnixAddr) -> Result<(UnixName, Key), Errno> {
    match addr.key {
        Some(k) => Ok((addr.name, k)),
        None => {
            let n = AUTOBIND.fetch_add(1, Ordering::Relaxed) & 0xfffff;
            let name = alloc::format!("{n:05x}").into_bytes();
            let net_ns = crate::task::current_process().map_or(0, |p| p.net_ns);
            Ok((UnixName::Abstract(name.clone()), Key::Abstract { net_ns, name }))
        }
    }
}

pub enum Unix {
    Stream(Mutex<Stream>),
    Dgram(Mutex<Dgram>),
}

pub struct Stream {
    name: Option<UnixName>,
    /// Created at bind; open for connections once listening.
    backlog: Option<Arc<Backlog<Pending>>>,
    listening: bool,
    conn: Option<Conn>,
    /// Its own credentials, as a peer will see them.
    cred: PeerCred,
}

struct Conn {
    end: StreamEnd,
    peer: UnixName,
    peer_cred: PeerCred,
}

pub struct Dgram {
    name: Option<UnixName>,
    queue: Arc<DgramQueue>,
    peer: Option<(Weak<DgramQueue>, UnixName)>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(b) = &self.backlog {
            b.close();
        }
    }
}

impl Drop for Dgram {
    fn drop(&mut self) {
        self.queue.close();
    }
}


impl Unix {
    /// A socket whose changes are told to `pollee`.
    pub fn new(ty: u32, protocol: i32, pollee: &Pollee) -> Result<Unix, Errno> {
        if protocol != 0 {
            return Err(Errno::EPROTONOSUPPORT);
        }
        match ty {
            abi::SOCK_STREAM => Ok(Unix::Stream(Mutex::new(Stream {
                name: None,
                backlog: None,
                listening: false,
                conn: None,
                cred: PeerCred::current(),
            }))),
            abi::SOCK_DGRAM => Ok(Unix::Dgram(Mutex::new(Dgram { name: None, queue: DgramQueue::new(pollee), peer: None }))),
            _ => Err(Errno::ESOCKTNOSUPPORT),
        }
    }

    /// A connected pair; the sockets' pollees are `pa` and `pb`.
    pub fn pair(ty: u32, pa: &Pollee, pb: &Pollee) -> Result<(Unix, Unix), Errno> {
        let cred = PeerCred::current();
        match ty {
            abi::SOCK_STREAM => {
                let (a, b) = local::stream_pair();
                a.attach(pa);
                b.attach(pb);
                let make = |end| {
                    let conn = Conn { end, peer: UnixName::Unnamed, peer_cred: cred.clone() };
                    let s = Stream { name: None, backlog: None, listening: false, conn: Some(conn), cred: cred.clone() };
                    Unix::Stream(Mutex::new(s))
                };
                Ok((make(a), make(b)))
            }
            abi::SOCK_DGRAM => {
                let (qa, qb) = (DgramQueue::new(pa), DgramQueue::new(pb));
                let a = Dgram { name: None, queue: qa.clone(), peer: Some((Arc::downgrade(&qb), UnixName::Unnamed)) };
                let b = Dgram { name: None, queue: qb, peer: Some((Arc::downgrade(&qa), UnixName::Unnamed)) };
                Ok((Unix::Dgram(Mutex::new(a)), Unix::Dgram(Mutex::new(b))))
            }
            _ => Err(Errno::ESOCKTNOSUPPORT),
        }
    }

    pub fn is_bound(&self) -> bool {
        match self {
            Unix::Stream(s) => s.lock().name.is_some(),
            Unix::Dgram(d) => d.lock().name.is_some(),
        }
    }

    /// bind(2); a stream socket's backlog tells `pollee` of connections.
    pub fn bind(&self, addr: UnixAddr, pollee: &Pollee) -> Result<(), Errno> {
        if self.is_bound() {
            return Err(Errno::EINVAL);
        }
        let (name, key) = bind_key(addr)?;
        match self {
            Unix::Stream(s) => {
                let backlog = Backlog::new(1, pollee);
                backlog.close(); // refuses until listen()
                let mut s = s.lock();
                register(key, Bound::Stream(Arc::downgrade(&backlog), s.cred.clone()))?;
                s.name = Some(name);
                s.backlog = Some(backlog);
            }
            Unix::Dgram(d) => {
                let mut d = d.lock();
                register(key, Bound::Dgram(Arc::downgrade(&d.queue)))?;
                d.name = Some(name);
            }
        }
        Ok(())
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        let Unix::Stream(s) = self else { return Err(Errno::EOPNOTSUPP) };
        let mut s = s.lock();
        if s.conn.is_some() {
            return Err(Errno::EINVAL);
        }
        let b = s.backlog.as_ref().ok_or(Errno::EINVAL)?;
        b.reopen(backlog.clamp(1, 4096));
        s.listening = true;
        Ok(())
    }

    /// One accept attempt; the new socket's changes are told to `pollee`.
    pub fn accept(&self, pollee: &Pollee) -> Result<(Unix, SocketAddress), Errno> {
        let Unix::Stream(s) = self else { return Err(Errno::EOPNOTSUPP) };
        let s = s.lock();
        if !s.listening {
            return Err(Errno::EINVAL);
        }
        let (end, peer, peer_cred) = s.backlog.as_ref().and_then(|b| b.pop()).ok_or(Errno::EAGAIN)?;
        end.attach(pollee);
        let addr = SocketAddress::Unix(peer.clone());
        let conn = Conn { end, peer, peer_cred };
        let new = Stream { name: s.name.clone(), backlog: None, listening: false, conn: Some(conn), cred: s.cred.clone() };
        Ok((Unix::Stream(Mutex::new(new)), addr))
    }

    pub fn connect(&self, addr: UnixAddr, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<(), Errno> {
        let key = addr.key.ok_or(Errno::EINVAL)?;
        let target = find(&key).ok_or(Errno::ECONNREFUSED)?;
        match self {
            Unix::Stream(s) => {
                let Bound::Stream(backlog, server) = target else { return Err(Errno::EPROTOTYPE) };
                let backlog = backlog.upgrade().ok_or(Errno::ECONNREFUSED)?;
                {
                    let s = s.lock();
                    if s.conn.is_some() || s.listening {
                        return Err(Errno::EISCONN);
                    }
                }
                wait(backlog.room_pollee(), nonblock, timeout, || backlog.room())?;
                let mut s = s.lock();
                if s.conn.is_some() {
                    return Err(Errno::EISCONN);
                }
                let (mine, theirs) = local::stream_pair();
                mine.attach(pollee);
                let me = s.name.clone().unwrap_or_default();
                backlog.push((theirs, me, PeerCred::current()))?;
                s.conn = Some(Conn { end: mine, peer: addr.name, peer_cred: server });
                Ok(())
            }
            Unix::Dgram(d) => {
                let Bound::Dgram(q) = target else { return Err(Errno::EPROTOTYPE) };
                d.lock().peer = Some((q, addr.name));
                Ok(())
            }
        }
    }

    pub fn disconnect(&self) -> Result<(), Errno> {
        match self {
            Unix::Dgram(d) => {
                d.lock().peer = None;
                Ok(())
            }
            Unix::Stream(_) => Err(Errno::EINVAL),
        }
    }

    pub fn send(&self, data: &[u8], to: Option<Target>, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<usize, Errno> {
        let to = match to {
            None => None,
            Some(Target::Unix(a)) => Some(a),
            Some(_) => return Err(Errno::EINVAL),
        };
        match self {
            Unix::Stream(s) => {
                if to.is_some() && s.lock().conn.is_some() {
                    return Err(Errno::EISCONN);
                }
                let mut done = 0;
                loop {
                    let r = wait(pollee, nonblock, timeout, || match &s.lock().conn {
                        Some(c) => c.end.write(&data[done..]),
                        None => Err(Errno::ENOTCONN),
                    });
                    match r {
                        Ok(n) => {
                            done += n;
                            if done >= data.len() || nonblock {
                                return Ok(done);
                            }
                        }
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => return Ok(done),
                    }
                }
            }
            Unix::Dgram(d) => {
                let (queue, from) = {
                    let d = d.lock();
                    let from = SocketAddress::Unix(d.name.clone().unwrap_or_default());
                    let queue = match to {
                        Some(addr) => match find(&addr.key.ok_or(Errno::EINVAL)?) {
                            Some(Bound::Dgram(q)) => q.upgrade(),
                            Some(Bound::Stream(..)) => return Err(Errno::EPROTOTYPE),
                            None => return Err(Errno::ECONNREFUSED),
                        },
                        None => match &d.peer {
                            Some((q, _)) => q.upgrade(),
                            None => return Err(Errno::ENOTCONN),
                        },
                    };
                    (queue.ok_or(Errno::ECONNREFUSED)?, from)
                };
                wait(queue.room(), nonblock, timeout, || queue.push(data, from.clone()))
            }
        }
    }

    pub fn recv(&self, buf: &mut [u8], peek: bool) -> Result<Received, Errno> {
        match self {
            Unix::Stream(s) => {
                let s = s.lock();
                let conn = s.conn.as_ref().ok_or(Errno::EINVAL)?;
                let n = conn.end.read(buf, peek)?;
                Ok(Received { len: n, full: n, from: None })
            }
            Unix::Dgram(d) => {
                let d = d.lock();
                let (len, full, from) = d.queue.pop(buf, peek, |_| true)?;
                Ok(Received { len, full, from: Some(from) })
            }
        }
    }

    pub fn shutdown(&self, read: bool, write: bool) -> Result<(), Errno> {
        match self {
            Unix::Stream(s) => match &s.lock().conn {
                Some(c) => {
                    c.end.shutdown(read, write);
                    Ok(())
                }
                None => Err(Errno::ENOTCONN),
            },
            Unix::Dgram(d) => {
                if read {
                    d.lock().queue.close();
                }
                Ok(())
            }
        }
    }

    pub fn readiness(&self) -> (Readiness, bool) {
        match self {
            Unix::Stream(s) => {
                let s = s.lock();
                match (&s.conn, &s.backlog) {
                    (Some(c), _) => (c.end.readiness(), c.end.peer_done()),
                    (None, Some(b)) if s.listening => (Readiness { readable: !b.is_empty(), ..Readiness::default() }, false),
                    // Linux: an unconnected stream socket polls as POLLOUT|POLLHUP.
                    _ => (Readiness { writable: true, hangup: true, ..Readiness::default() }, false),
                }
            }
            Unix::Dgram(d) => {
                let d = d.lock();
                let writable = match &d.peer {
                    Some((q, _)) => q.upgrade().is_none_or(|q| q.has_room()),
                    None => true,
                };
                (Readiness { readable: d.queue.readable() || d.queue.is_closed(), writable, ..Readiness::default() }, false)
            }
        }
    }

    /// A connected datagram socket's peer queue's room pollee (its
    /// writability depends on it).
    pub fn peer_room(&self) -> Option<Pollee> {
        match self {
            Unix::Dgram(d) => d.lock().peer.as_ref().and_then(|(q, _)| q.upgrade()).map(|q| q.room().clone()),
            Unix::Stream(_) => None,
        }
    }

    pub fn local_name(&self) -> SocketAddress {
        let name = match self {
            Unix::Stream(s) => s.lock().name.clone(),
            Unix::Dgram(d) => d.lock().name.clone(),
        };
        SocketAddress::Unix(name.unwrap_or_default())
    }

    pub fn peer_name(&self) -> Result<SocketAddress, Errno> {
        match self {
            Unix::Stream(s) => s.lock().conn.as_ref().map(|c| SocketAddress::Unix(c.peer.clone())).ok_or(Errno::ENOTCONN),
            Unix::Dgram(d) => d.lock().peer.as_ref().map(|(_, n)| SocketAddress::Unix(n.clone())).ok_or(Errno::ENOTCONN),
        }
    }

    pub fn peer_cred(&self) -> Option<PeerCred> {
        match self {
            Unix::Stream(s) => s.lock().conn.as_ref().map(|c| c.peer_cred.clone()),
            Unix::Dgram(_) => None,
        }
    }

    pub fn available(&self) -> usize {
        match self {
            Unix::Stream(s) => s.lock().conn.as_ref().map_or(0, |c| c.end.available()),
            Unix::Dgram(d) => d.lock().queue.next_len(),
        }
    }

    pub fn is_listening(&self) -> bool {
        matches!(self, Unix::Stream(s) if s.lock().listening)
    }
}
