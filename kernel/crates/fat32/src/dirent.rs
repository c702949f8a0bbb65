//! The 32-byte directory entry: short (8.3) entries with attributes, times, first cluster and
//! size; VFAT long-name entries carrying 13 UTF-16 units each; and classifying a raw slot.

use alloc::vec::Vec;

use crate::le::{get16, get32, put16, put32};
use crate::name::ShortName;
use crate::time::FatTime;

pub(crate) const ENTRY_SIZE: usize = 32;
pub(crate) type RawEntry = [u8; ENTRY_SIZE];

/// Attribute bits.
pub(crate) mod attr {
    pub const READ_ONLY: u8 = 0x01;
    pub const VOLUME_ID: u8 = 0x08;
    pub const DIRECTORY: u8 = 0x10;
    pub const ARCHIVE: u8 = 0x20;
    /// The attribute value of a long-name entry (read-only | hidden | system | volume id).
    pub const LONG_NAME: u8 = 0x0F;
    /// Bits compared against `LONG_NAME` to recognise a long-name entry.
    pub const LONG_NAME_MASK: u8 = 0x3F;
}

/// First name byte of a deleted entry.
pub(crate) const DELETED: u8 = 0xE5;
/// Order-byte flag of the physically first (logically last) long-name entry.
const LAST_LONG_ENTRY: u8 = 0x40;
/// UTF-16 units held by one long-name entry.
pub(crate) const UNITS_PER_ENTRY: usize = 13;
/// Byte offsets of the 13 UTF-16 units within a long-name entry.
const UNIT_OFFSETS: [usize; UNITS_PER_ENTRY] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// A short (8.3) directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShortEntry {
    pub name: ShortName,
    pub attr: u8,
    /// Case flags (`CASE_LOWER_BASE` / `CASE_LOWER_EXT`).
    pub case: u8,
    /// Creation time's extra 10 ms units (0..=199).
    pub created_cs: u8,
    pub created: FatTime,
    pub accessed_date: u16,
    pub first_cluster: u32,
    pub modified: FatTime,
    pub size: u32,
}

impl ShortEntry {
    /// A new entry with every timestamp at `now` (Unix seconds), no cluster and size 0.
    pub fn new(name: ShortName, case: u8, attr: u8, now: i64) -> ShortEntry {
        let t = FatTime::from_unix(now);
        ShortEntry {
            name,
            attr,
            case,
            created_cs: 0,
            created: t,
            accessed_date: t.date,
            first_cluster: 0,
            modified: t,
            size: 0,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.attr & attr::DIRECTORY != 0
    }

    pub fn parse(b: &RawEntry) -> ShortEntry {
        let mut name = [0; 11];
        name.copy_from_slice(&b[..11]);
        ShortEntry {
            name: ShortName(name),
            attr: b[11],
            case: b[12],
            created_cs: b[13],
            created: FatTime { time: get16(b, 14), date: get16(b, 16) },
            accessed_date: get16(b, 18),
            first_cluster: u32::from(get16(b, 20)) << 16 | u32::from(get16(b, 26)),
            modified: FatTime { time: get16(b, 22), date: get16(b, 24) },
            size: get32(b, 28),
        }
    }

    pub fn encode(&self) -> RawEntry {
        let mut b = [0u8; ENTRY_SIZE];
        b[..11].copy_from_slice(&self.name.0);
        b[11] = self.attr;
        b[12] = self.case;
        b[13] = self.created_cs;
        put16(&mut b, 14, self.created.time);
        put16(&mut b, 16, self.created.date);
        put16(&mut b, 18, self.accessed_date);
        put16(&mut b, 20, (self.first_cluster >> 16) as u16);
        put16(&mut b, 22, self.modified.time);
        put16(&mut b, 24, self.modified.date);
        put16(&mut b, 26, self.first_cluster as u16);
        put32(&mut b, 28, self.size);
        b
    }
}

/// A VFAT long-name entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LongEntry {
    /// Sequence number 1..=20 of this piece of the name.
    pub seq: u8,
    /// Whether this is the last piece (stored first).
    pub last: bool,
    pub checksum: u8,
    pub units: [u16; UNITS_PER_ENTRY],
}

impl LongEntry {
    fn parse(b: &RawEntry) -> LongEntry {
        let mut units = [0u16; UNITS_PER_ENTRY];
        for (u, &at) in units.iter_mut().zip(&UNIT_OFFSETS) {
            *u = get16(b, at);
        }
        LongEntry { seq: b[0] & 0x1F, last: b[0] & LAST_LONG_ENTRY != 0, checksum: b[13], units }
    }

    fn encode(&self) -> RawEntry {
        let mut b = [0u8; ENTRY_SIZE];
        b[0] = self.seq | if self.last { LAST_LONG_ENTRY } else { 0 };
        b[11] = attr::LONG_NAME;
        b[13] = self.checksum;
        for (&u, &at) in self.units.iter().zip(&UNIT_OFFSETS) {
            put16(&mut b, at, u);
        }
        b
    }
}

/// The long-name entries spelling `units` (at most 255), in on-disk order: last piece first.
pub(crate) fn long_entries(units: &[u16], checksum: u8) -> Vec<RawEntry> {
    let count = units.len().div_ceil(UNITS_PER_ENTRY);
    (0..count)
        .rev()
        .map(|i| {
            // Pad with one NUL after the name, then 0xFFFF.
            let mut piece = [0xFFFFu16; UNITS_PER_ENTRY];
            for (k, p) in piece.iter_mut().enumerate() {
                let at = i * UNITS_PER_ENTRY + k;
                if let Some(&u) = units.get(at) {
                    *p = u;
                } else if at == units.len() {
                    *p = 0;
                }
            }
            let seq = (i + 1) as u8;
            LongEntry { seq, last: i + 1 == count, checksum, units: piece }.encode()
        })
        .collect()
}

/// What a 32-byte directory slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// First name byte 0: this and every later slot are unused.
    End,
    Deleted,
    Long(LongEntry),
    Short(ShortEntry),
}

impl Slot {
    pub fn parse(b: &RawEntry) -> Slot {
        match b[0] {
            0 => Slot::End,
            DELETED => Slot::Deleted,
            _ if b[11] & attr::LONG_NAME_MASK == attr::LONG_NAME => Slot::Long(LongEntry::parse(b)),
            _ => Slot::Short(ShortEntry::parse(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_entry_round_trip() {
        let mut e = ShortEntry::new(ShortName(*b"HELLO   TXT"), 0x18, attr::ARCHIVE, 1_700_000_000);
        e.first_cluster = 0x0123_4567;
        e.size = 99;
        let raw = e.encode();
        assert_eq!(Slot::parse(&raw), Slot::Short(e));
        assert_eq!(&raw[20..22], &[0x23, 0x01]);
        assert_eq!(&raw[26..28], &[0x67, 0x45]);
    }

    #[test]
    fn long_entries_layout() {
        let units: Vec<u16> = "abcdefghijklmnopq".encode_utf16().collect();
        let raw = long_entries(&units, 0x5A);
        assert_eq!(raw.len(), 2);
        let Slot::Long(first) = Slot::parse(&raw[0]) else { panic!() };
        assert_eq!((first.seq, first.last, first.checksum), (2, true, 0x5A));
        assert_eq!(&first.units[..5], &"nopq".encode_utf16().chain([0]).collect::<Vec<_>>()[..]);
        assert_eq!(first.units[5], 0xFFFF);
        let Slot::Long(second) = Slot::parse(&raw[1]) else { panic!() };
        assert_eq!((second.seq, second.last), (1, false));
        assert_eq!(second.units[12], u16::from(b'm'));
        // Exactly 13 units: no terminator.
        let thirteen: Vec<u16> = "abcdefghijklm".encode_utf16().collect();
        let Slot::Long(one) = Slot::parse(&long_entries(&thirteen, 0)[0]) else { panic!() };
        assert_eq!(&one.units[..], &thirteen[..]);
    }

    #[test]
    fn classifies_slots() {
        let mut raw = [0u8; 32];
        assert_eq!(Slot::parse(&raw), Slot::End);
        raw[0] = DELETED;
        assert_eq!(Slot::parse(&raw), Slot::Deleted);
    }
}
