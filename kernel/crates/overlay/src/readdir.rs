//! Merged directory listing. Lower layers are listed first, top layer first: an entry is
//! shown in the topmost lower layer that lists it, unless the upper layer whites it out
//! (when the upper layer has the name, its inode is reported). Then the upper layer's own
//! entries, those no lower layer provides. Whiteouts never show.
//!
//! A cookie is `(source << 55) | position within that source`, the source being
//! `1 + layer` for a lower layer and [`UPPER`] for the upper one, so a listing survives
//! changes (a copy-up of the directory meanwhile only adds an upper part, listed last).

use alloc::sync::Arc;

use errno::{Errno, KResult};
use vfs::{DirEntry, FileKind, Inode};

use crate::inode::{is_whiteout, tag_ino, OvlInode};

const SHIFT: u32 = 55;
const POSITION: u64 = (1 << SHIFT) - 1;
/// The upper layer's source number (lower layers are 1..=126).
const UPPER: u64 = 127;

impl OvlInode {
    pub(crate) fn merged_readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        if self.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let state = self.snapshot();
        let first = state.lowers.first().map_or(UPPER, |(layer, _)| *layer as u64 + 1);
        let (mut source, mut pos) = if cookie == 0 { (first, 0) } else { (cookie >> SHIFT, cookie & POSITION) };
        loop {
            if source >= UPPER {
                let Some(upper) = &state.upper else { return Ok(None) };
                return self.next_upper(upper, &state.lowers, pos);
            }
            // The lower layer this source names, or the next one this directory has.
            let Some(i) = state.lowers.iter().position(|(layer, _)| *layer as u64 + 1 >= source) else {
                source = UPPER;
                pos = 0;
                continue;
            };
            let (layer, dir) = &state.lowers[i];
            if *layer as u64 + 1 != source {
                source = *layer as u64 + 1;
                pos = 0;
            }
            match self.next_lower(dir, &state.lowers[..i], state.upper.as_ref(), *layer, pos)? {
                Some((entry, next)) => return Ok(Some((entry, (source << SHIFT) | next))),
                None => {
                    source += 1;
                    pos = 0;
                }
            }
        }
    }

    /// The next entry of lower directory `dir` (layer `layer`) from `pos` that shows.
    fn next_lower(
        &self,
        dir: &Arc<dyn Inode>,
        above: &[(usize, Arc<dyn Inode>)],
        upper: Option<&Arc<dyn Inode>>,
        layer: usize,
        mut pos: u64,
    ) -> KResult<Option<(DirEntry, u64)>> {
        'entries: while let Some((e, next)) = dir.readdir(pos)? {
            if next <= pos || next > POSITION {
                return Err(Errno::EOVERFLOW);
            }
            pos = next;
            if e.kind == FileKind::CharDevice && is_whiteout(&dir.lookup(&e.name)?)? {
                continue;
            }
            for (_, higher) in above {
                match higher.lookup(&e.name) {
                    Ok(_) => continue 'entries, // shown there, or whited out there
                    Err(Errno::ENOENT) => {}
                    Err(err) => return Err(err),
                }
            }
            if let Some(upper) = upper {
                match upper.lookup(&e.name) {
                    Ok(c) if is_whiteout(&c)? => continue,
                    Ok(c) => {
                        let m = c.metadata()?;
                        return Ok(Some((DirEntry { ino: tag_ino(0, m.ino), kind: m.kind, name: e.name }, next)));
                    }
                    Err(Errno::ENOENT) => {}
                    Err(err) => return Err(err),
                }
            }
            return Ok(Some((DirEntry { ino: tag_ino(layer + 1, e.ino), kind: e.kind, name: e.name }, next)));
        }
        Ok(None)
    }

    /// The next entry of the upper directory from `pos` that no lower layer provides.
    fn next_upper(&self, upper: &Arc<dyn Inode>, lowers: &[(usize, Arc<dyn Inode>)], mut pos: u64) -> KResult<Option<(DirEntry, u64)>> {
        while let Some((e, next)) = upper.readdir(pos)? {
            if next <= pos || next > POSITION {
                return Err(Errno::EOVERFLOW);
            }
            pos = next;
            if e.kind == FileKind::CharDevice && is_whiteout(&upper.lookup(&e.name)?)? {
                continue;
            }
            if self.lower_provides(&e.name, lowers)?.is_some() {
                continue;
            }
            return Ok(Some((DirEntry { ino: tag_ino(0, e.ino), kind: e.kind, name: e.name }, (UPPER << SHIFT) | next)));
        }
        Ok(None)
    }
}
