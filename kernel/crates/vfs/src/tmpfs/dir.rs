//! Directory contents: names to nodes in a `BTreeMap` (O(log n) lookup), plus
//! an insertion-order index whose sequence numbers are the readdir cookies.
//! A cookie names a position, not an entry, so removing or adding entries
//! never makes a listing in progress skip or repeat another entry.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;

use errno::{Errno, KResult};

use crate::node::READDIR_COOKIE_LIMIT;

struct Slot<T> {
    node: Arc<T>,
    seq: u64,
}

/// Entries of one directory.
pub struct DirData<T> {
    by_name: BTreeMap<String, Slot<T>>,
    by_seq: BTreeMap<u64, String>,
    next_seq: u64,
}

impl<T> Default for DirData<T> {
    fn default() -> Self {
        DirData { by_name: BTreeMap::new(), by_seq: BTreeMap::new(), next_seq: 0 }
    }
}

impl<T> DirData<T> {
    pub fn get(&self, name: &str) -> Option<&Arc<T>> {
        self.by_name.get(name).map(|slot| &slot.node)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Adds `name`: `EEXIST` if present.
    pub fn insert(&mut self, name: &str, node: Arc<T>) -> KResult<()> {
        if self.by_name.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        if self.next_seq >= READDIR_COOKIE_LIMIT - 1 {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, String::from(name));
        self.by_name.insert(String::from(name), Slot { node, seq });
        Ok(())
    }

    /// Compacts sequence numbers once they near the cookie limit (after 2^62
    /// insertions; listings in progress may then repeat entries).
    fn renumber(&mut self) {
        let names = core::mem::take(&mut self.by_seq);
        for (seq, name) in (0u64..).zip(names.into_values()) {
            if let Some(slot) = self.by_name.get_mut(&name) {
                slot.seq = seq;
            }
            self.by_seq.insert(seq, name);
        }
        self.next_seq = self.by_seq.len() as u64;
    }

    /// Removes `name`, returning its node.
    pub fn remove(&mut self, name: &str) -> Option<Arc<T>> {
        let slot = self.by_name.remove(name)?;
        self.by_seq.remove(&slot.seq);
        Some(slot.node)
    }

    /// The first entry at or after `cookie`, with the cookie that follows it.
    pub fn entry_at(&self, cookie: u64) -> Option<(&str, &Arc<T>, u64)> {
        let (&seq, name) = self.by_seq.range(cookie..).next()?;
        let slot = self.by_name.get(name)?;
        Some((name.as_str(), &slot.node, seq + 1))
    }

    /// Takes every entry out (for dropping a tree without recursion).
    pub fn drain(&mut self) -> impl Iterator<Item = Arc<T>> {
        self.by_seq.clear();
        core::mem::take(&mut self.by_name).into_values().map(|slot| slot.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn list(d: &DirData<u32>) -> Vec<String> {
        let mut out = Vec::new();
        let mut cookie = 0;
        while let Some((name, _, next)) = d.entry_at(cookie) {
            out.push(String::from(name));
            cookie = next;
        }
        out
    }

    #[test]
    fn insert_lookup_remove() {
        let mut d = DirData::default();
        d.insert("b", Arc::new(2)).unwrap();
        d.insert("a", Arc::new(1)).unwrap();
        assert_eq!(d.insert("a", Arc::new(9)), Err(Errno::EEXIST));
        assert_eq!(d.get("a").map(|n| **n), Some(1));
        assert_eq!(list(&d), ["b", "a"]);
        assert_eq!(d.remove("b").map(|n| *n), Some(2));
        assert_eq!(d.remove("b"), None);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn cookies_survive_concurrent_changes() {
        let mut d = DirData::default();
        for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
            d.insert(name, Arc::new(i as u32)).unwrap();
        }
        let (first, _, cookie) = d.entry_at(0).unwrap();
        assert_eq!(first, "a");
        d.remove("a");
        d.remove("b");
        d.insert("e", Arc::new(5)).unwrap();
        let mut rest = Vec::new();
        let mut c = cookie;
        while let Some((name, _, next)) = d.entry_at(c) {
            rest.push(String::from(name));
            c = next;
        }
        assert_eq!(rest, ["c", "d", "e"]);
    }
}
