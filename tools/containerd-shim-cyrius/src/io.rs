//! A process's standard streams as containerd hands them over: paths of
//! FIFOs its client reads and writes (`ctr`, CRI), or empty for none.
//!
//! Output FIFOs are opened read-write, as containerd's runc shim keeps a
//! reader of its own on them: opening never waits for the client, and a
//! client that goes away does not turn the container's writes into EPIPE.
//! They go to the container's monitor as they are. Standard input is
//! copied by a thread from its FIFO into a pipe (or the pty) so that
//! `CloseIO` can end it: the thread drains what the FIFO holds and closes
//! the pipe, which the guest sees as end of file. A terminal is a pty
//! whose master stays here (input and output copied, `ResizePty` applied
//! to it) and whose slave goes to the monitor.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Mutex;

use cyrius_runtime::api;

/// What the container's side of the streams is.
pub enum Side {
    Fds([OwnedFd; 3]),
    Terminal(OwnedFd),
}

impl Side {
    pub fn into_stdio(self) -> api::Stdio {
        match self {
            Side::Fds(fds) => api::Stdio::Fds(fds),
            Side::Terminal(slave) => api::Stdio::Terminal(slave),
        }
    }
}

/// The shim's side of one process's streams.
pub struct ProcIo {
    /// Ends standard input (`CloseIO`).
    stdin_stop: Mutex<Option<File>>,
    /// The pty master of a terminal process (for `ResizePty`).
    master: Option<OwnedFd>,
}

/// A path containerd gave for a stream: a plain path (a FIFO) or a
/// `file://` URI; `binary://` log drivers are not supported.
fn stream_path(path: &str) -> io::Result<&str> {
    if let Some(p) = path.strip_prefix("file://") {
        return Ok(p);
    }
    if path.contains("://") {
        return Err(io::Error::new(io::ErrorKind::Unsupported, format!("stream {path}: only FIFOs and file:// are supported")));
    }
    Ok(path)
}

fn open_output(path: &str) -> io::Result<OwnedFd> {
    if path.is_empty() {
        return Ok(OpenOptions::new().write(true).open("/dev/null")?.into());
    }
    let p = stream_path(path)?;
    let f = if path.starts_with("file://") {
        OpenOptions::new().append(true).create(true).custom_flags(libc::O_CLOEXEC).open(p)
    } else {
        OpenOptions::new().read(true).write(true).custom_flags(libc::O_CLOEXEC).open(p)
    };
    Ok(f.map_err(|e| io::Error::new(e.kind(), format!("{p}: {e}")))?.into())
}

/// Copies `from` (a FIFO) into `to` until `stop` is readable or `to`'s
/// reader is gone; on stop, first copies what `from` already holds.
fn pump_stdin(from: File, mut to: File, stop: File) {
    let _ = set_nonblocking(&from);
    std::thread::spawn(move || {
        let mut from = from;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let mut fds = [
                libc::pollfd { fd: from.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: stop.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: `fds` is an array of two initialised pollfd.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if r < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            let stopping = fds[1].revents != 0;
            // Whatever is in the FIFO now (all of it when stopping).
            loop {
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            return;
                        }
                        if !stopping {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            if stopping {
                return;
            }
        }
    });
}

fn set_nonblocking(f: &File) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Copies the pty master's output to `to` until the slave side is closed
/// everywhere (EIO).
fn pump_output(mut from: File, mut to: File) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
}

fn pipe() -> io::Result<(File, File)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    use std::os::fd::FromRawFd;
    // SAFETY: pipe2 just returned these two descriptors, owned by no one else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// Sets up a process's streams from containerd's paths.
pub fn setup(terminal: bool, stdin: &str, stdout: &str, stderr: &str) -> io::Result<(ProcIo, Side)> {
    let input = if stdin.is_empty() {
        None
    } else {
        let p = stream_path(stdin)?;
        Some(OpenOptions::new().read(true).write(true).custom_flags(libc::O_CLOEXEC).open(p).map_err(|e| io::Error::new(e.kind(), format!("{p}: {e}")))?)
    };
    let (stop_r, stop_w) = pipe()?;
    if terminal {
        let (master, slave, _) = api::pty().map_err(io::Error::other)?;
        let out = File::from(open_output(stdout)?);
        let master_file = File::from(master.try_clone()?);
        pump_output(master_file.try_clone()?, out);
        if let Some(input) = input {
            pump_stdin(input, master_file, stop_r);
        }
        return Ok((ProcIo { stdin_stop: Mutex::new(Some(stop_w)), master: Some(master) }, Side::Terminal(slave)));
    }
    let stdin_end: OwnedFd = match input {
        Some(input) => {
            let (r, w) = pipe()?;
            pump_stdin(input, w, stop_r);
            r.into()
        }
        None => File::open("/dev/null")?.into(),
    };
    let io = ProcIo { stdin_stop: Mutex::new(Some(stop_w)), master: None };
    Ok((io, Side::Fds([stdin_end, open_output(stdout)?, open_output(stderr)?])))
}

impl ProcIo {
    /// Ends standard input: what the FIFO holds is still delivered, then end of file.
    pub fn close_stdin(&self) {
        if let Some(mut stop) = self.stdin_stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.write_all(b"x");
        }
    }

    /// Sets the terminal's window size (the process sees SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        let Some(master) = &self.master else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the process has no terminal"));
        };
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one winsize from the pointer given.
        if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_is_drained_then_ends_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("in");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (io, side) = setup(false, fifo.to_str().unwrap(), "", "").unwrap();
        let Side::Fds([stdin, _, _]) = side else { panic!("no terminal asked for") };
        let mut writer = OpenOptions::new().write(true).open(&fifo).unwrap();
        writer.write_all(b"hello ").unwrap();
        writer.write_all(b"world").unwrap();
        drop(writer);
        io.close_stdin();
        let mut got = String::new();
        File::from(stdin).read_to_string(&mut got).unwrap();
        assert_eq!(got, "hello world");
    }

    #[test]
    fn outputs_open_without_a_reader_and_unknown_schemes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (_, side) = setup(false, "", fifo.to_str().unwrap(), "").unwrap();
        let Side::Fds([_, out, _]) = side else { panic!() };
        File::from(out).write_all(b"kept until read").unwrap();
        assert!(setup(false, "", "binary:///usr/bin/logger", "").is_err());
    }
}
