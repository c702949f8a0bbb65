//! `struct linux_dirent64` records of getdents64(2): a safe encoder and a
//! reader that stops at the first corrupt record.

/// The fixed head of `struct linux_dirent64`; `d_name` starts at byte
/// [`DIRENT64_NAME_OFFSET`] (19), inside what `size_of` counts as padding.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct LinuxDirent64 {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
}
abi_struct!(LinuxDirent64, 24 { d_ino, d_off, d_reclen, d_type });

pub const DIRENT64_NAME_OFFSET: usize = 19;
/// Longest name a record may hold (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// `d_type` values.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;
pub const DT_WHT: u8 = 14;

/// Record length for a name of `name_len` bytes: head + name + NUL,
/// rounded up to 8. `None` if the name is longer than [`NAME_MAX`].
pub const fn dirent64_reclen(name_len: usize) -> Option<usize> {
    if name_len > NAME_MAX {
        return None;
    }
    Some((DIRENT64_NAME_OFFSET + name_len + 1 + 7) & !7)
}

/// Appends one record at the start of `buf` and returns its length, or
/// `None` if it does not fit or `name` is empty, longer than 255 bytes or
/// contains a NUL or `/`. Padding bytes are zeroed.
pub fn push_dirent64(buf: &mut [u8], ino: u64, off: i64, d_type: u8, name: &[u8]) -> Option<usize> {
    if name.is_empty() || name.iter().any(|&b| b == 0 || b == b'/') {
        return None;
    }
    let reclen = dirent64_reclen(name.len())?;
    let record = buf.get_mut(..reclen)?;
    record.fill(0);
    let head = LinuxDirent64 { d_ino: ino, d_off: off, d_reclen: u16::try_from(reclen).ok()?, d_type };
    super::Abi::write_to(&head, record);
    // `write_to` wrote the head's trailing padding as zero; the name follows.
    record.get_mut(DIRENT64_NAME_OFFSET..DIRENT64_NAME_OFFSET + name.len())?.copy_from_slice(name);
    Some(reclen)
}

/// Where the name starts in the old `struct linux_dirent` (getdents(2)).
pub const DIRENT_NAME_OFFSET: usize = 18;

/// Appends one old-style `struct linux_dirent` record (`d_ino`, `d_off`,
/// `d_reclen`, name, NUL, then `d_type` in the record's last byte) and
/// returns its length; `None` as [`push_dirent64`].
pub fn push_dirent(buf: &mut [u8], ino: u64, off: i64, d_type: u8, name: &[u8]) -> Option<usize> {
    if name.is_empty() || name.len() > NAME_MAX || name.iter().any(|&b| b == 0 || b == b'/') {
        return None;
    }
    let reclen = (DIRENT_NAME_OFFSET + name.len() + 2 + 7) & !7;
    let record = buf.get_mut(..reclen)?;
    record.fill(0);
    record.get_mut(0..8)?.copy_from_slice(&ino.to_le_bytes());
    record.get_mut(8..16)?.copy_from_slice(&off.to_le_bytes());
    record.get_mut(16..18)?.copy_from_slice(&u16::try_from(reclen).ok()?.to_le_bytes());
    record.get_mut(DIRENT_NAME_OFFSET..DIRENT_NAME_OFFSET + name.len())?.copy_from_slice(name);
    *record.last_mut()? = d_type;
    Some(reclen)
}

/// One decoded record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dirent64<'a> {
    pub ino: u64,
    pub off: i64,
    pub d_type: u8,
    pub name: &'a [u8],
}

/// Iterates the records of a getdents64 buffer; ends at the end of the
/// buffer or at the first malformed record (bad `d_reclen`, missing NUL).
pub struct Dirent64Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Dirent64Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Dirent64Reader { rest: buf }
    }
}

impl<'a> Iterator for Dirent64Reader<'a> {
    type Item = Dirent64<'a>;

    fn next(&mut self) -> Option<Dirent64<'a>> {
        let head: LinuxDirent64 = super::codec::read_at(self.rest, 0);
        let reclen = usize::from(head.d_reclen);
        let parsed = (|| {
            if reclen <= DIRENT64_NAME_OFFSET {
                return None;
            }
            let record = self.rest.get(..reclen)?;
            let name_area = record.get(DIRENT64_NAME_OFFSET..)?;
            let name_len = name_area.iter().position(|&b| b == 0)?;
            let name = name_area.get(..name_len)?;
            Some((Dirent64 { ino: head.d_ino, off: head.d_off, d_type: head.d_type, name }, record.len()))
        })();
        match parsed {
            Some((entry, len)) => {
                self.rest = self.rest.get(len..).unwrap_or(&[]);
                Some(entry)
            }
            None => {
                self.rest = &[];
                None
            }
        }
    }
}
