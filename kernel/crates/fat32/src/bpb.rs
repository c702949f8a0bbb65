//! The FAT32 boot sector (BIOS parameter block): its byte layout ([`BootSector`]), and the
//! validated volume layout derived from it ([`Geometry`]). A boot sector that does not describe
//! a usable FAT32 volume on the device is refused with a [`MountError`].

use core::fmt;

use errno::Errno;

use crate::device::{IoError, BLOCK_SIZE};
use crate::le::{get16, get32, put16, put32};

/// Largest valid cluster count: cluster numbers run up to 0x0FFF_FFF6.
pub(crate) const MAX_CLUSTER_COUNT: u32 = 0x0FFF_FFF5;

/// Why a device could not be mounted as FAT32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountError {
    /// The device failed while the boot sector or FSInfo was read.
    Io(IoError),
    /// Bytes per sector is not a power of two in 512..=4096.
    BadSectorSize(u16),
    /// Sectors per cluster is not a power of two.
    BadClusterSize(u8),
    /// The boot sector describes FAT12/16 (or nothing): FAT32 has no fixed root directory,
    /// no 16-bit FAT size, and a 32-bit FAT size.
    NotFat32,
    /// FAT32 version is not 0.0.
    UnsupportedVersion(u16),
    /// Reserved sector count is zero.
    BadReservedSectors,
    /// FAT count is not 1 or 2, or the active FAT does not exist.
    BadFatCount(u8),
    /// The FATs are too small for the clusters, or leave no room for data.
    BadFatSize,
    /// Total sector count is zero.
    BadTotalSectors,
    /// The filesystem is larger than the device.
    Truncated { needed_blocks: u64, device_blocks: u64 },
    /// The data region holds no cluster, or more than FAT32 can number.
    BadClusterCount(u64),
    /// The root directory's cluster is outside the data region.
    BadRootCluster(u32),
    /// The FSInfo sector is out of place or lacks its signatures.
    BadFsInfo,
}

impl From<MountError> for Errno {
    fn from(e: MountError) -> Errno {
        match e {
            MountError::Io(io) => io.into(),
            _ => Errno::EINVAL,
        }
    }
}

impl From<IoError> for MountError {
    fn from(e: IoError) -> MountError {
        MountError::Io(e)
    }
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MountError::Io(e) => write!(f, "device error reading the boot sector: {e:?}"),
            MountError::BadSectorSize(n) => write!(f, "bad bytes per sector {n}"),
            MountError::BadClusterSize(n) => write!(f, "bad sectors per cluster {n}"),
            MountError::NotFat32 => f.write_str("not a FAT32 filesystem"),
            MountError::UnsupportedVersion(v) => write!(f, "unsupported FAT32 version {v:#06x}"),
            MountError::BadReservedSectors => f.write_str("bad reserved sector count"),
            MountError::BadFatCount(n) => write!(f, "bad FAT count {n}"),
            MountError::BadFatSize => f.write_str("FAT size does not fit the volume"),
            MountError::BadTotalSectors => f.write_str("bad total sector count"),
            MountError::Truncated { needed_blocks, device_blocks } => write!(
                f,
                "filesystem needs {needed_blocks} blocks but the device has {device_blocks}"
            ),
            MountError::BadClusterCount(n) => write!(f, "bad cluster count {n}"),
            MountError::BadRootCluster(c) => write!(f, "bad root cluster {c}"),
            MountError::BadFsInfo => f.write_str("bad FSInfo sector"),
        }
    }
}

/// The boot-sector fields of a FAT32 volume, as stored (no validation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BootSector {
    pub oem_name: [u8; 8],
    pub bytes_per_sector: u16,
    pub sectors_per_cluster: u8,
    pub reserved_sectors: u16,
    pub fat_count: u8,
    pub root_entries: u16,
    pub total_sectors_16: u16,
    pub media: u8,
    pub fat_size_16: u16,
    pub sectors_per_track: u16,
    pub heads: u16,
    pub hidden_sectors: u32,
    pub total_sectors_32: u32,
    pub fat_size_32: u32,
    pub ext_flags: u16,
    pub fs_version: u16,
    pub root_cluster: u32,
    pub fs_info_sector: u16,
    pub backup_boot_sector: u16,
    pub drive_number: u8,
    pub volume_id: u32,
    pub label: [u8; 11],
}

/// `ext_flags` bit: only the FAT numbered in bits 0..4 is active (no mirroring).
const NO_MIRRORING: u16 = 0x80;
/// Extended boot signature: volume id, label and type fields are present.
const EXT_BOOT_SIGNATURE: u8 = 0x29;
/// Boot code of a non-bootable volume: `hlt; jmp $-1` at the jump target 0x5A.
const BOOT_CODE: [u8; 3] = [0xF4, 0xEB, 0xFD];

impl BootSector {
    pub fn parse(b: &[u8; BLOCK_SIZE]) -> BootSector {
        let mut oem_name = [0; 8];
        oem_name.copy_from_slice(&b[3..11]);
        let mut label = [0; 11];
        label.copy_from_slice(&b[71..82]);
        BootSector {
            oem_name,
            bytes_per_sector: get16(b, 11),
            sectors_per_cluster: b[13],
            reserved_sectors: get16(b, 14),
            fat_count: b[16],
            root_entries: get16(b, 17),
            total_sectors_16: get16(b, 19),
            media: b[21],
            fat_size_16: get16(b, 22),
            sectors_per_track: get16(b, 24),
            heads: get16(b, 26),
            hidden_sectors: get32(b, 28),
            total_sectors_32: get32(b, 32),
            fat_size_32: get32(b, 36),
            ext_flags: get16(b, 40),
            fs_version: get16(b, 42),
            root_cluster: get32(b, 44),
            fs_info_sector: get16(b, 48),
            backup_boot_sector: get16(b, 50),
            drive_number: b[64],
            volume_id: get32(b, 67),
            label,
        }
    }

    /// The sector's 512 bytes, with jump, boot code and signatures.
    pub fn encode(&self) -> [u8; BLOCK_SIZE] {
        let mut b = [0u8; BLOCK_SIZE];
        b[0..3].copy_from_slice(&[0xEB, 0x58, 0x90]);
        b[3..11].copy_from_slice(&self.oem_name);
        put16(&mut b, 11, self.bytes_per_sector);
        b[13] = self.sectors_per_cluster;
        put16(&mut b, 14, self.reserved_sectors);
        b[16] = self.fat_count;
        put16(&mut b, 17, self.root_entries);
        put16(&mut b, 19, self.total_sectors_16);
        b[21] = self.media;
        put16(&mut b, 22, self.fat_size_16);
        put16(&mut b, 24, self.sectors_per_track);
        put16(&mut b, 26, self.heads);
        put32(&mut b, 28, self.hidden_sectors);
        put32(&mut b, 32, self.total_sectors_32);
        put32(&mut b, 36, self.fat_size_32);
        put16(&mut b, 40, self.ext_flags);
        put16(&mut b, 42, self.fs_version);
        put32(&mut b, 44, self.root_cluster);
        put16(&mut b, 48, self.fs_info_sector);
        put16(&mut b, 50, self.backup_boot_sector);
        b[64] = self.drive_number;
        b[66] = EXT_BOOT_SIGNATURE;
        put32(&mut b, 67, self.volume_id);
        b[71..82].copy_from_slice(&self.label);
        b[82..90].copy_from_slice(b"FAT32   ");
        b[90..93].copy_from_slice(&BOOT_CODE);
        b[510] = 0x55;
        b[511] = 0xAA;
        b
    }
}

/// The validated layout of a FAT32 volume, in bytes and cluster numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub cluster_size: u32,
    /// Byte offset of FAT copy 0.
    pub fat_offset: u64,
    /// Bytes in one FAT copy.
    pub fat_bytes: u64,
    pub fat_count: u32,
    /// `Some(n)` when mirroring is off and only FAT `n` is used.
    pub active_fat: Option<u32>,
    /// Byte offset of cluster 2.
    pub data_offset: u64,
    /// Number of data clusters; valid cluster numbers are `2..=cluster_count + 1`.
    pub cluster_count: u32,
    pub root_cluster: u32,
    /// Byte offset of the FSInfo sector.
    pub fs_info_offset: u64,
    pub volume_id: u32,
}

impl Geometry {
    /// Checks `bs` against FAT32's rules and a device of `device_blocks` blocks.
    pub fn from_boot_sector(bs: &BootSector, device_blocks: u64) -> Result<Geometry, MountError> {
        let bps = u32::from(bs.bytes_per_sector);
        if !(512..=4096).contains(&bps) || !bps.is_power_of_two() {
            return Err(MountError::BadSectorSize(bs.bytes_per_sector));
        }
        if !bs.sectors_per_cluster.is_power_of_two() {
            return Err(MountError::BadClusterSize(bs.sectors_per_cluster));
        }
        if bs.root_entries != 0 || bs.fat_size_16 != 0 || bs.fat_size_32 == 0 {
            return Err(MountError::NotFat32);
        }
        if bs.fs_version != 0 {
            return Err(MountError::UnsupportedVersion(bs.fs_version));
        }
        if !(1..=2).contains(&bs.fat_count) {
            return Err(MountError::BadFatCount(bs.fat_count));
        }
        let active_fat = if bs.ext_flags & NO_MIRRORING != 0 {
            let n = u32::from(bs.ext_flags & 0x0F);
            if n >= u32::from(bs.fat_count) {
                return Err(MountError::BadFatCount(bs.fat_count));
            }
            Some(n)
        } else {
            None
        };
        let reserved = u64::from(bs.reserved_sectors);
        if reserved == 0 {
            return Err(MountError::BadReservedSectors);
        }
        let total = if bs.total_sectors_16 != 0 {
            u64::from(bs.total_sectors_16)
        } else {
            u64::from(bs.total_sectors_32)
        };
        if total == 0 {
            return Err(MountError::BadTotalSectors);
        }
        let bps = u64::from(bps);
        let needed_blocks = total * bps / BLOCK_SIZE as u64;
        if needed_blocks > device_blocks {
            return Err(MountError::Truncated { needed_blocks, device_blocks });
        }
        let fat_sectors = u64::from(bs.fat_size_32);
        let data_start = reserved + u64::from(bs.fat_count) * fat_sectors;
        if data_start >= total {
            return Err(MountError::BadFatSize);
        }
        let spc = u64::from(bs.sectors_per_cluster);
        let clusters = (total - data_start) / spc;
        if clusters == 0 || clusters > u64::from(MAX_CLUSTER_COUNT) {
            return Err(MountError::BadClusterCount(clusters));
        }
        if fat_sectors * bps / 4 < clusters + 2 {
            return Err(MountError::BadFatSize);
        }
        let cluster_count = clusters as u32;
        if bs.root_cluster < 2 || bs.root_cluster > cluster_count + 1 {
            return Err(MountError::BadRootCluster(bs.root_cluster));
        }
        let fs_info = u64::from(bs.fs_info_sector);
        if fs_info == 0 || fs_info >= reserved || bs.fs_info_sector == bs.backup_boot_sector {
            return Err(MountError::BadFsInfo);
        }
        Ok(Geometry {
            cluster_size: (spc * bps) as u32,
            fat_offset: reserved * bps,
            fat_bytes: fat_sectors * bps,
            fat_count: u32::from(bs.fat_count),
            active_fat,
            data_offset: data_start * bps,
            cluster_count,
            root_cluster: bs.root_cluster,
            fs_info_offset: fs_info * bps,
            volume_id: bs.volume_id,
        })
    }

    /// Highest valid cluster number.
    pub fn max_cluster(&self) -> u32 {
        self.cluster_count + 1
    }

    /// Whether `c` numbers a data cluster.
    pub fn is_cluster(&self, c: u32) -> bool {
        (2..=self.max_cluster()).contains(&c)
    }

    /// Byte offset of data cluster `c` (a valid cluster number).
    pub fn cluster_offset(&self, c: u32) -> u64 {
        self.data_offset + u64::from(c.saturating_sub(2)) * u64::from(self.cluster_size)
    }

    /// Byte offset of FAT copy `copy`.
    pub fn fat_copy_offset(&self, copy: u32) -> u64 {
        self.fat_offset + u64::from(copy) * self.fat_bytes
    }

    /// The FAT copy that is read.
    pub fn read_fat(&self) -> u32 {
        self.active_fat.unwrap_or(0)
    }

    /// The FAT copies every change is written to.
    pub fn written_fats(&self) -> core::ops::Range<u32> {
        match self.active_fat {
            Some(n) => n..n + 1,
            None => 0..self.fat_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BootSector {
        BootSector {
            oem_name: *b"TESTOEM ",
            bytes_per_sector: 512,
            sectors_per_cluster: 1,
            reserved_sectors: 32,
            fat_count: 2,
            root_entries: 0,
            total_sectors_16: 0,
            media: 0xF8,
            fat_size_16: 0,
            sectors_per_track: 32,
            heads: 64,
            hidden_sectors: 0,
            total_sectors_32: 70_000,
            fat_size_32: 540,
            ext_flags: 0,
            fs_version: 0,
            root_cluster: 2,
            fs_info_sector: 1,
            backup_boot_sector: 6,
            drive_number: 0x80,
            volume_id: 0x1234_5678,
            label: *b"NO NAME    ",
        }
    }

    #[test]
    fn encode_parse_round_trip_and_layout() {
        let bs = sample();
        let raw = bs.encode();
        assert_eq!(&raw[510..], &[0x55, 0xAA]);
        assert_eq!(BootSector::parse(&raw), bs);
        let g = Geometry::from_boot_sector(&bs, 70_000).unwrap();
        assert_eq!(g.fat_offset, 32 * 512);
        assert_eq!(g.data_offset, (32 + 2 * 540) * 512);
        assert_eq!(g.cluster_count, 70_000 - 32 - 1080);
        assert_eq!(g.cluster_offset(2), g.data_offset);
        assert_eq!(g.written_fats(), 0..2);
    }

    #[test]
    fn rejects_bad_fields() {
        let check = |f: fn(&mut BootSector), want: MountError| {
            let mut bs = sample();
            f(&mut bs);
            assert_eq!(Geometry::from_boot_sector(&bs, 70_000), Err(want));
        };
        check(|b| b.bytes_per_sector = 768, MountError::BadSectorSize(768));
        check(|b| b.sectors_per_cluster = 3, MountError::BadClusterSize(3));
        check(|b| b.fat_size_16 = 9, MountError::NotFat32);
        check(|b| b.fat_count = 3, MountError::BadFatCount(3));
        check(|b| b.reserved_sectors = 0, MountError::BadReservedSectors);
        check(|b| b.total_sectors_32 = 0, MountError::BadTotalSectors);
        check(|b| b.fat_size_32 = 10, MountError::BadFatSize);
        check(|b| b.root_cluster = 1, MountError::BadRootCluster(1));
        check(|b| b.fs_info_sector = 40, MountError::BadFsInfo);
        check(
            |b| b.total_sectors_32 = 80_000,
            MountError::Truncated { needed_blocks: 80_000, device_blocks: 70_000 },
        );
    }
}
