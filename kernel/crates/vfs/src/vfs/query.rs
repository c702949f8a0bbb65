//! Operations that look without changing names: stat, lstat, statfs,
//! readlink, access, directory listing, and whole-file read/write helpers.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use super::open::OpenFlags;
use super::walk::Walker;
use super::Vfs;
use crate::access::{check_access, Access, Cred};
use crate::location::Location;
use crate::types::{DirEntry, FileKind, Stat, StatFs};

/// Chunk size of [`Vfs::read_file`].
const READ_CHUNK: usize = 64 * 1024;

impl Vfs {
    /// `stat(2)`: follows a final symlink.
    pub fn stat(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<Stat> {
        Walker::new(self, Some(cred)).resolve(cwd, path, true)?.stat()
    }

    /// `lstat(2)`: a final symlink is reported itself.
    pub fn lstat(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<Stat> {
        Walker::new(self, Some(cred)).resolve(cwd, path, false)?.stat()
    }

    /// `statfs(2)` of the filesystem `path` is on.
    pub fn statfs(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<StatFs> {
        Walker::new(self, Some(cred)).resolve(cwd, path, true)?.statfs()
    }

    /// `readlink(2)`: `EINVAL` if `path` is not a symlink.
    pub fn readlink(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<String> {
        let loc = Walker::new(self, Some(cred)).resolve(cwd, path, false)?;
        if loc.kind()? != FileKind::Symlink {
            return Err(Errno::EINVAL);
        }
        loc.inode().readlink()
    }

    /// `access(2)`/`faccessat(2)` with `cred` (the caller passes real or
    /// effective ids as the call requires). `Access::NONE` tests existence.
    pub fn access(&self, cred: &Cred, cwd: &Location, path: &str, mask: Access) -> KResult<()> {
        let loc = Walker::new(self, Some(cred)).resolve(cwd, path, true)?;
        let meta = loc.metadata()?;
        if mask.contains(Access::WRITE) && matches!(meta.kind, FileKind::Regular | FileKind::Directory) {
            loc.check_writable()?;
        }
        check_access(&meta, cred, mask)
    }

    /// Every entry of a directory, `.` and `..` first, as `ls -a` would get
    /// them from `getdents64`. Needs read permission.
    pub fn open_dir_entries(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<Vec<DirEntry>> {
        let flags = OpenFlags { read: true, directory: true, ..OpenFlags::default() };
        let dir = self.open(cred, cwd, path, flags, 0)?;
        let mut entries = Vec::new();
        let mut cookie = 0;
        while let Some((entry, next)) = dir.readdir(cookie)? {
            entries.push(entry);
            cookie = next;
        }
        Ok(entries)
    }

    /// The whole contents of a regular file (`EINVAL` for other non-directories,
    /// whose contents may never end).
    pub fn read_file(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<Vec<u8>> {
        let file = self.open(cred, cwd, path, OpenFlags::read_only(), 0)?;
        match file.kind()? {
            FileKind::Regular => {}
            FileKind::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        let mut out = Vec::new();
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let offset = u64::try_from(out.len()).map_err(|_| Errno::EFBIG)?;
            let n = file.inode().read_at(offset, &mut chunk)?;
            let Some(read) = chunk.get(..n) else { return Err(Errno::EIO) };
            if read.is_empty() {
                return Ok(out);
            }
            out.extend_from_slice(read);
        }
    }

    /// Replaces a file's contents with `data`, creating it with `perm` if
    /// needed (`open(O_WRONLY|O_CREAT|O_TRUNC)` then write).
    pub fn write_file(&self, cred: &Cred, cwd: &Location, path: &str, data: &[u8], perm: u32) -> KResult<()> {
        let flags = OpenFlags { write: true, create: true, truncate: true, ..OpenFlags::default() };
        let file = self.open(cred, cwd, path, flags, perm)?;
        let mut done = 0;
        while let Some(rest) = data.get(done..).filter(|rest| !rest.is_empty()) {
            let offset = u64::try_from(done).map_err(|_| Errno::EFBIG)?;
            let n = file.inode().write_at(offset, rest)?;
            if n == 0 {
                return Err(Errno::EIO);
            }
            done += n;
        }
        Ok(())
    }
}
