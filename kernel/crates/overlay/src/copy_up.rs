//! Copy-up: giving a lower inode its upper copy (and its ancestors theirs, top down, without
//! recursion), with owner, mode, times and (for regular files) data.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use errno::{Errno, KResult};
use vfs::{FileKind, Inode, NewNode, SetAttr, SetTime};

use crate::inode::OvlInode;

/// Bytes copied per read/write during copy-up.
const CHUNK: usize = 64 * 1024;

impl OvlInode {
    /// The upper inode, copying this name (and every ancestor missing from the upper layer)
    /// up first. `data_limit`: copy at most that many bytes of a regular file (its caller
    /// truncates it there next); `None` copies it all.
    pub(crate) fn copy_up(&self, data_limit: Option<u64>) -> KResult<Arc<dyn Inode>> {
        if let Some(u) = self.upper() {
            return Ok(u);
        }
        // Ancestors without an upper inode, nearest first (the root always has one).
        let mut chain: Vec<Arc<OvlInode>> = Vec::new();
        let mut at = self.parent_and_name().0.ok_or(Errno::EIO)?;
        while at.upper().is_none() {
            let parent = at.parent_and_name().0.ok_or(Errno::EIO)?;
            chain.push(at);
            at = parent;
        }
        for dir in chain.iter().rev() {
            dir.copy_up_one(None)?;
        }
        self.copy_up_one(data_limit)
    }

    /// Copies this inode up into its parent's upper directory, which exists.
    fn copy_up_one(&self, data_limit: Option<u64>) -> KResult<Arc<dyn Inode>> {
        if let Some(u) = self.upper() {
            return Ok(u);
        }
        let (parent, name) = self.parent_and_name();
        let pu = parent.and_then(|p| p.upper()).ok_or(Errno::EIO)?;
        let lower = self.snapshot().lowers.first().map(|(_, i)| i.clone()).ok_or(Errno::EIO)?;
        let m = lower.metadata()?;
        // A copy-up is not a change of the parent: its times are put back afterwards.
        let parent_times = pu.metadata()?;
        let made = match m.kind {
            FileKind::Symlink => pu.symlink(&name, &lower.readlink()?, m.uid, m.gid),
            kind => pu.create(&name, &NewNode { kind, perm: m.perm, uid: m.uid, gid: m.gid, rdev: m.rdev }),
        };
        let created = match made {
            Ok(c) => c,
            // Copied up meanwhile by another path to the same object.
            Err(Errno::EEXIST) if self.upper().is_some() => return self.upper().ok_or(Errno::EIO),
            Err(e) => return Err(e),
        };
        let filled = (|| {
            if m.kind == FileKind::Regular {
                copy_data(&lower, &created, data_limit.map_or(m.size, |l| l.min(m.size)))?;
            }
            let attr = SetAttr { mode: Some(m.perm), uid: None, gid: None, atime: Some(SetTime::At(m.atime)), mtime: Some(SetTime::At(m.mtime)) };
            created.set_attr(&attr)
        })();
        if let Err(e) = filled {
            let _ = if m.kind == FileKind::Directory { pu.rmdir(&name) } else { pu.unlink(&name) };
            return Err(e);
        }
        let restore = SetAttr { atime: Some(SetTime::At(parent_times.atime)), mtime: Some(SetTime::At(parent_times.mtime)), ..SetAttr::default() };
        pu.set_attr(&restore)?;
        let mut state = self.state.write();
        Ok(state.upper.get_or_insert(created).clone())
    }
}

fn copy_data(from: &Arc<dyn Inode>, to: &Arc<dyn Inode>, len: u64) -> KResult<()> {
    let mut buf = vec![0u8; CHUNK.min(len as usize).max(1)];
    let mut at = 0u64;
    while at < len {
        let want = ((len - at) as usize).min(buf.len());
        let n = from.read_at(at, &mut buf[..want])?;
        if n == 0 {
            break; // the lower file is shorter than its size said: copy what there is
        }
        let mut done = 0;
        while done < n {
            let w = to.write_at(at + done as u64, &buf[done..n])?;
            if w == 0 {
                return Err(Errno::ENOSPC);
            }
            done += w;
        }
        at += n as u64;
    }
    Ok(())
}
