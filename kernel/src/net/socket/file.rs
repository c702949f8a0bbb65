//! A socket as an open file (`file::FileLike`): read/write are recv/send
//! without flags or addresses, poll is the socket's readiness (registering
//! on its pollee, and on its peer's queue for room), ioctl FIONREAD.

use alloc::string::String;
use alloc::vec;
use core::any::Any;
use errno::{Errno, KResult};
use linux_abi::flags::FIONREAD;
use linux_abi::structs as abi;
use linux_abi::IoctlArg;

use super::Socket;
use crate::file::{ev, FileLike, OpenFile, PollTable, Sink, Source};
use crate::task::Task;

/// Bytes one read or write moves through a kernel buffer at most.
pub const MAX_IO: usize = 1 << 20;

impl Socket {
    /// The readiness bits (`ev::*`) now.
    pub fn events(&self) -> u32 {
        let (r, rdhup) = self.readiness();
        let mut bits = 0;
        if r.readable {
            bits |= ev::IN | ev::RDNORM;
        }
        if r.writable {
            bits |= ev::OUT | ev::WRNORM;
        }
        if rdhup {
            bits |= ev::RDHUP;
        }
        if r.error {
            bits |= ev::ERR;
        }
        if r.hangup {
            bits |= ev::HUP;
        }
        bits
    }

    /// write(2)/send(2) of `data` on a stream: SIGPIPE with EPIPE, unless
    /// `nosignal`.
    pub fn send_signalling(&self, data: &[u8], to: Option<super::Target>, nonblock: bool, nosignal: bool) -> KResult<usize> {
        match self.send(data, to, nonblock) {
            Err(Errno::EPIPE) => {
                if !nosignal && self.ty == abi::SOCK_STREAM {
                    crate::task::signal::send_to_current(crate::task::signal::Signal::SIGPIPE);
                }
                Err(Errno::EPIPE)
            }
            other => other,
        }
    }
}

impl FileLike for Socket {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        let mut buf = vec![0u8; dst.len().min(MAX_IO)];
        let got = self.recv(&mut buf, false, false, file.nonblocking())?;
        dst.put(0, &buf[..got.len])?;
        Ok(got.len)
    }

    fn write(&self, file: &OpenFile, src: &mut dyn Source, _at: Option<u64>) -> KResult<usize> {
        let mut data = vec![0u8; src.len().min(MAX_IO)];
        src.get(0, &mut data)?;
        match self.send_signalling(&data, None, file.nonblocking(), false) {
            Err(Errno::EDESTADDRREQ) if self.ty == abi::SOCK_STREAM => Err(Errno::ENOTCONN),
            other => other,
        }
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(self.pollee());
            if let Some(other) = self.other_pollees() {
                t.add(&other);
            }
        }
        self.events() & (mask | ev::ALWAYS)
    }

    fn ioctl(&self, _file: &OpenFile, t: &mut Task, cmd: u32, arg: IoctlArg) -> KResult<usize> {
        match cmd {
            FIONREAD => {
                let n = i32::try_from(self.available()).unwrap_or(i32::MAX);
                t.space.write(arg.ptr::<i32>(), &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn stat(&self) -> KResult<abi::Stat> {
        Ok(crate::file::anon_stat(abi::S_IFSOCK | 0o777, self.id()))
    }

    fn fs_magic(&self) -> i64 {
        abi::SOCKFS_MAGIC
    }

    fn describe(&self) -> String {
        alloc::format!("socket:[{}]", self.id())
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 2, self.id()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
