//! Ids and keys of one kind of IPC object (`struct ipc_ids`), and the
//! lookup/creation rules of shmget/semget/msgget (`ipcget`).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use creds::Cred;
use errno::Errno;

use crate::perm::Perm;
use crate::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};

/// `IPCMNI`: ids are `index + seq * SEQ_MULTIPLIER`.
pub const SEQ_MULTIPLIER: u32 = 32768;
/// The highest sequence number before it wraps (`ipc_mni_shift` gives 2^16 here).
const SEQ_MAX: u32 = (i32::MAX as u32) / SEQ_MULTIPLIER;

/// An object kept by a registry.
pub trait Object {
    fn perm(&self) -> &Perm;
    fn perm_mut(&mut self) -> &mut Perm;
}

/// One kind's objects of a namespace.
pub struct Registry<T> {
    objects: BTreeMap<u32, T>,
    keys: BTreeMap<i32, u32>,
    /// Index -> id of the objects (ids are found by index in O(log n)).
    by_index: BTreeMap<u32, u32>,
    /// Most objects at once (`SHMMNI`, `SEMMNI`, `MSGMNI`).
    limit: usize,
    /// The sequence number the next object gets.
    seq: u32,
    /// Where the search for a free index starts (ids are handed out cyclically).
    next_index: u32,
}


/// What `get` found or decided.
pub enum Lookup {
    /// The key names this existing object (the caller checks its kind's rules).
    Existing(u32),
    /// Make a new object.
    Create,
}

impl<T> Registry<T> {
    pub const fn new(limit: usize) -> Self {
        Registry { objects: BTreeMap::new(), keys: BTreeMap::new(), by_index: BTreeMap::new(), limit, seq: 0, next_index: 0 }
    }
}

impl<T: Object> Registry<T> {
    /// `ipcget`: IPC_PRIVATE always creates; a key in use is EEXIST with
    /// IPC_CREAT|IPC_EXCL, else the existing object if the caller may
    /// access it as `flags` asks (EACCES); an unused key is ENOENT without
    /// IPC_CREAT.
    pub fn lookup(&self, key: i32, flags: i32, cred: &Cred) -> Result<Lookup, Errno> {
        if key == IPC_PRIVATE {
            return Ok(Lookup::Create);
        }
        match self.keys.get(&key) {
            None if flags & IPC_CREAT == 0 => Err(Errno::ENOENT),
            None => Ok(Lookup::Create),
            Some(_) if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 => Err(Errno::EEXIST),
            Some(&id) => {
                let obj = self.get(id)?;
                obj.perm().check(cred, flags as u32 & 0o777)?;
                Ok(Lookup::Existing(id))
            }
        }
    }

    /// Adds a new object made by `make` (given its sequence number);
    /// ENOSPC at the limit. Returns its id.
    pub fn insert(&mut self, key: i32, make: impl FnOnce(u32) -> T) -> Result<u32, Errno> {
        if self.objects.len() >= self.limit {
            return Err(Errno::ENOSPC);
        }
        // The first free index from `next_index` on, wrapping (there is one: below the limit).
        let limit = (self.limit as u32).min(SEQ_MULTIPLIER);
        let start = self.next_index % limit;
        let free_from = |from: u32, to: u32| {
            let mut want = from;
            for &used in self.by_index.range(from..to).map(|(i, _)| i) {
                if used != want {
                    break;
                }
                want += 1;
            }
            (want < to).then_some(want)
        };
        let index = free_from(start, limit).or_else(|| free_from(0, start)).ok_or(Errno::ENOSPC)?;
        let seq = self.seq;
        self.seq = if self.seq >= SEQ_MAX { 0 } else { self.seq + 1 };
        self.next_index = index + 1;
        let id = seq * SEQ_MULTIPLIER + index;
        let mut obj = make(seq);
        obj.perm_mut().seq = seq;
        self.objects.insert(id, obj);
        self.by_index.insert(index, id);
        if key != IPC_PRIVATE {
            self.keys.insert(key, id);
        }
        Ok(id)
    }

    /// The object `id` names: EINVAL for none (a negative id, a stale sequence).
    pub fn get(&self, id: u32) -> Result<&T, Errno> {
        self.objects.get(&id).ok_or(Errno::EINVAL)
    }

    pub fn get_mut(&mut self, id: u32) -> Result<&mut T, Errno> {
        self.objects.get_mut(&id).ok_or(Errno::EINVAL)
    }

    /// Forgets the object and its key (IPC_RMID, or a segment's last detach).
    pub fn remove(&mut self, id: u32) -> Option<T> {
        let obj = self.objects.remove(&id)?;
        self.by_index.remove(&(id % SEQ_MULTIPLIER));
        let key = obj.perm().key;
        if key != IPC_PRIVATE && self.keys.get(&key) == Some(&id) {
            self.keys.remove(&key);
        }
        Some(obj)
    }

    /// Makes the object's key private (a segment marked for removal can
    /// no longer be found by key).
    pub fn forget_key(&mut self, id: u32) {
        if let Some(obj) = self.objects.get_mut(&id) {
            let key = obj.perm().key;
            if self.keys.get(&key) == Some(&id) {
                self.keys.remove(&key);
            }
            obj.perm_mut().key = IPC_PRIVATE;
        }
    }

    /// The object at `index` (the *_STAT commands): its id.
    pub fn id_at(&self, index: u32) -> Result<u32, Errno> {
        self.by_index.get(&index).copied().ok_or(Errno::EINVAL)
    }

    /// The highest index in use (what the *_INFO commands return), 0 if none.
    pub fn max_index(&self) -> u32 {
        self.by_index.keys().next_back().copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn ids(&self) -> Vec<u32> {
        self.objects.keys().copied().collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.objects.iter().map(|(id, o)| (*id, o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    struct Obj(Perm);
    impl Object for Obj {
        fn perm(&self) -> &Perm {
            &self.0
        }
        fn perm_mut(&mut self) -> &mut Perm {
            &mut self.0
        }
    }

    #[test]
    fn keys_and_ids() {
        let root = Cred::new(0, 0, Vec::new());
        let user = Cred::new(1000, 1000, Vec::new());
        let mut r = Registry::<Obj>::new(3);
        assert!(matches!(r.lookup(IPC_PRIVATE, 0, &root), Ok(Lookup::Create)));
        assert_eq!(r.lookup(42, 0, &root).err(), Some(Errno::ENOENT));
        assert!(matches!(r.lookup(42, IPC_CREAT, &root), Ok(Lookup::Create)));
        let a = r.insert(42, |seq| Obj(Perm::new(42, &root, 0o600, seq))).unwrap();
        assert!(matches!(r.lookup(42, 0, &root), Ok(Lookup::Existing(id)) if id == a));
        assert_eq!(r.lookup(42, IPC_CREAT | IPC_EXCL, &root).err(), Some(Errno::EEXIST));
        assert_eq!(r.lookup(42, 0o400, &user).err(), Some(Errno::EACCES));
        assert!(matches!(r.lookup(42, 0, &user), Ok(Lookup::Existing(_))));
        let b = r.insert(IPC_PRIVATE, |seq| Obj(Perm::new(0, &root, 0o600, seq))).unwrap();
        assert_ne!(a, b);
        assert_eq!(b % SEQ_MULTIPLIER, 1);
        assert!(r.remove(a).is_some());
        assert_eq!(r.get(a).err(), Some(Errno::EINVAL));
        assert_eq!(r.lookup(42, 0, &root).err(), Some(Errno::ENOENT));
        // A new object does not reuse the removed id.
        let c = r.insert(IPC_PRIVATE, |seq| Obj(Perm::new(0, &root, 0o600, seq))).unwrap();
        assert!(c != a && c != b);
        let d = r.insert(IPC_PRIVATE, |seq| Obj(Perm::new(0, &root, 0o600, seq))).unwrap();
        assert_eq!(r.insert(IPC_PRIVATE, |seq| Obj(Perm::new(0, &root, 0o600, seq))).err(), Some(Errno::ENOSPC));
        assert_eq!(r.id_at(d % SEQ_MULTIPLIER), Ok(d));
        assert_eq!(r.max_index(), 2);
        r.forget_key(d);
        assert_eq!(r.len(), 3);
    }
}
