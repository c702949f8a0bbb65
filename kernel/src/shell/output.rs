//! Command output: straight to the console, or collected for a redirection.

use alloc::vec::Vec;
use core::fmt;
use errno::KResult;
use vfs::OpenFlags;

use super::Session;

pub enum Out {
    Console,
    Buffer(Vec<u8>),
}

impl Out {
    pub fn buffer() -> Out {
        Out::Buffer(Vec::new())
    }

    pub fn bytes(&mut self, data: &[u8]) {
        match self {
            Out::Console => crate::console::write_bytes(data),
            Out::Buffer(buf) => buf.extend_from_slice(data),
        }
    }
}

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// Writes a redirection's output to `path` (created 0644 if missing).
pub fn write_to_file(session: &Session, path: &str, data: &[u8], append: bool) -> KResult<()> {
    let vfs = crate::fs::host();
    let flags = OpenFlags {
        read: false,
        write: true,
        create: true,
        exclusive: false,
        truncate: !append,
        directory: false,
        nofollow: false,
        path_only: false,
    };
    let file = vfs.open(&session.cred, &session.cwd, path, flags, 0o644)?;
    let mut offset = if append { file.metadata()?.size } else { 0 };
    let mut rest = data;
    while !rest.is_empty() {
        let n = file.inode().write_at(offset, rest)?;
        if n == 0 {
            return Err(errno::Errno::EIO);
        }
        offset += n as u64;
        rest = &rest[n..];
    }
    Ok(())
}
