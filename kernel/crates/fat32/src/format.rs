//! Writing a fresh FAT32 volume over a whole device (what `mkfs.fat -F 32` does): boot sector
//! and backup, FSInfo and backup, two zeroed FATs, an empty root directory, the label.

use core::fmt;

use errno::Errno;

use crate::bpb::{BootSector, MAX_CLUSTER_COUNT};
use crate::device::{BlockDevice, IoError, BLOCK_SIZE};
use crate::dirent::{attr, ShortEntry};
use crate::disk::Disk;
use crate::fsinfo::FsInfo;
use crate::le::put32;
use crate::name::{short_char, ShortName};

/// Fewest clusters a FAT32 volume may have (fewer makes it FAT16 by definition).
pub const MIN_CLUSTERS: u64 = 65_525;
const RESERVED_SECTORS: u16 = 32;
const FAT_COUNT: u8 = 2;
const FS_INFO_SECTOR: u16 = 1;
const BACKUP_BOOT_SECTOR: u16 = 6;
const ROOT_CLUSTER: u32 = 2;
const MEDIA_FIXED_DISK: u8 = 0xF8;
const SECTOR: u64 = BLOCK_SIZE as u64;

/// How to format.
#[derive(Clone, Copy, Debug)]
pub struct FormatOptions<'a> {
    /// Volume label: up to 11 characters valid in 8.3 names or spaces (upper-cased); empty
    /// for none.
    pub label: &'a str,
    pub volume_id: u32,
    /// 512-byte sectors per cluster (a power of two up to 128); `None` picks by size like
    /// Microsoft's table: 512 B clusters up to 260 MB, 4 KiB up to 8 GB, then larger.
    pub sectors_per_cluster: Option<u8>,
}

/// Why a device could not be formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// FAT32 needs at least 65525 clusters: this cluster size needs `min_bytes`.
    TooSmall { min_bytes: u64 },
    /// More clusters than FAT32 can number: use larger clusters.
    TooLarge,
    BadLabel,
    BadClusterSize(u8),
    Io(Errno),
}

impl From<FormatError> for Errno {
    fn from(e: FormatError) -> Errno {
        match e {
            FormatError::Io(e) => e,
            FormatError::TooSmall { .. } => Errno::ENOSPC,
            FormatError::TooLarge | FormatError::BadLabel | FormatError::BadClusterSize(_) => {
                Errno::EINVAL
            }
        }
    }
}

impl From<Errno> for FormatError {
    fn from(e: Errno) -> FormatError {
        FormatError::Io(e)
    }
}

impl From<IoError> for FormatError {
    fn from(e: IoError) -> FormatError {
        FormatError::Io(e.into())
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FormatError::TooSmall { min_bytes } => {
                write!(f, "too small for FAT32: needs at least {min_bytes} bytes")
            }
            FormatError::TooLarge => f.write_str("too many clusters for FAT32 at this cluster size"),
            FormatError::BadLabel => {
                f.write_str("bad volume label (up to 11 of A-Z 0-9 space and !#$%&'()-@^_`{}~)")
            }
            FormatError::BadClusterSize(n) => write!(f, "bad sectors per cluster {n}"),
            FormatError::Io(e) => write!(f, "{}", e.message()),
        }
    }
}

/// Formats the whole of `dev` as FAT32 with label `label` (empty for none).
pub fn format<D: BlockDevice>(dev: &D, label: &str) -> Result<(), FormatError> {
    format_with(dev, &FormatOptions { label, volume_id: 0x4359_5255, sectors_per_cluster: None })
}

/// Formats the whole of `dev` (up to 2^32 - 1 sectors) as FAT32.
pub fn format_with<D: BlockDevice>(dev: &D, options: &FormatOptions<'_>) -> Result<(), FormatError> {
    let label = label_bytes(options.label)?;
    let total = dev.block_count().min(u64::from(u32::MAX));
    let spc = options.sectors_per_cluster.unwrap_or_else(|| default_sectors_per_cluster(total));
    if !spc.is_power_of_two() {
        return Err(FormatError::BadClusterSize(spc));
    }
    let fat_sectors = fat_sectors(total, u64::from(spc));
    let data_start = u64::from(RESERVED_SECTORS) + u64::from(FAT_COUNT) * fat_sectors;
    let clusters = total.saturating_sub(data_start) / u64::from(spc);
    if clusters < MIN_CLUSTERS {
        let min_fat = ((MIN_CLUSTERS + 2) * 4).div_ceil(SECTOR);
        let min_sectors = u64::from(RESERVED_SECTORS) + 2 * min_fat + MIN_CLUSTERS * u64::from(spc);
        return Err(FormatError::TooSmall { min_bytes: min_sectors * SECTOR });
    }
    if clusters > u64::from(MAX_CLUSTER_COUNT) {
        return Err(FormatError::TooLarge);
    }
    let boot = BootSector {
        oem_name: *b"CYRIUS  ",
        bytes_per_sector: BLOCK_SIZE as u16,
        sectors_per_cluster: spc,
        reserved_sectors: RESERVED_SECTORS,
        fat_count: FAT_COUNT,
        root_entries: 0,
        total_sectors_16: 0,
        media: MEDIA_FIXED_DISK,
        fat_size_16: 0,
        sectors_per_track: 32,
        heads: 64,
        hidden_sectors: 0,
        total_sectors_32: total as u32,
        fat_size_32: fat_sectors as u32,
        ext_flags: 0,
        fs_version: 0,
        root_cluster: ROOT_CLUSTER,
        fs_info_sector: FS_INFO_SECTOR,
        backup_boot_sector: BACKUP_BOOT_SECTOR,
        drive_number: 0x80,
        volume_id: options.volume_id,
        label: label.unwrap_or(*b"NO NAME    "),
    };
    let disk = Disk::new(dev);
    write_reserved(&disk, &boot, clusters as u32)?;
    write_fats(&disk, fat_sectors)?;
    let root = data_start * SECTOR;
    disk.zero(root, u64::from(spc) * SECTOR)?;
    if let Some(label) = label {
        disk.write(root, &ShortEntry::new(ShortName(label), 0, attr::VOLUME_ID, 0).encode())?;
    }
    disk.flush()?;
    Ok(())
}

/// The boot sectors, FSInfo sectors and their backups, in a zeroed reserved region.
fn write_reserved<D: BlockDevice>(
    disk: &Disk<D>,
    boot: &BootSector,
    clusters: u32,
) -> Result<(), FormatError> {
    disk.zero(0, u64::from(RESERVED_SECTORS) * SECTOR)?;
    let mut fsinfo = [0u8; BLOCK_SIZE];
    FsInfo { free_count: clusters - 1, next_free: ROOT_CLUSTER }.encode_into(&mut fsinfo);
    for base in [0, BACKUP_BOOT_SECTOR] {
        let base = u64::from(base) * SECTOR;
        disk.write(base, &boot.encode())?;
        disk.write(base + u64::from(FS_INFO_SECTOR) * SECTOR, &fsinfo)?;
    }
    Ok(())
}

/// Both FATs, zeroed but for the media entry, the reserved entry and the root's chain end.
fn write_fats<D: BlockDevice>(disk: &Disk<D>, fat_sectors: u64) -> Result<(), FormatError> {
    let start = u64::from(RESERVED_SECTORS) * SECTOR;
    disk.zero(start, u64::from(FAT_COUNT) * fat_sectors * SECTOR)?;
    let mut head = [0u8; 12];
    put32(&mut head, 0, 0x0FFF_FF00 | u32::from(MEDIA_FIXED_DISK));
    put32(&mut head, 4, 0x0FFF_FFFF);
    put32(&mut head, 8, 0x0FFF_FFF8);
    for copy in 0..u64::from(FAT_COUNT) {
        disk.write(start + copy * fat_sectors * SECTOR, &head)?;
    }
    Ok(())
}

/// Sectors per FAT for a volume of `total` sectors: the smallest FAT with enough entries for
/// the clusters left beside the FATs.
fn fat_sectors(total: u64, spc: u64) -> u64 {
    let need = |fat: u64| {
        let data = total.saturating_sub(u64::from(RESERVED_SECTORS) + u64::from(FAT_COUNT) * fat);
        ((data / spc + 2) * 4).div_ceil(SECTOR)
    };
    // `need` shrinks as the FAT grows: climb to a size that suffices, then step back down
    // while a smaller one still does.
    let mut fat = 1;
    while need(fat) > fat {
        fat = need(fat);
    }
    while fat > 1 && need(fat - 1) <= fat - 1 {
        fat -= 1;
    }
    fat
}

/// Microsoft's cluster-size table for FAT32 (by volume size in sectors).
fn default_sectors_per_cluster(total: u64) -> u8 {
    match total {
        ..=532_480 => 1,
        ..=16_777_216 => 8,
        ..=33_554_432 => 16,
        ..=67_108_864 => 32,
        _ => 64,
    }
}

/// The 11 label bytes, or `None` for no label.
fn label_bytes(label: &str) -> Result<Option<[u8; 11]>, FormatError> {
    if label.is_empty() {
        return Ok(None);
    }
    if label.len() > 11 || label.starts_with(' ') {
        return Err(FormatError::BadLabel);
    }
    let mut bytes = [b' '; 11];
    for (b, c) in bytes.iter_mut().zip(label.chars()) {
        *b = if c == ' ' { b' ' } else { short_char(c).ok_or(FormatError::BadLabel)? };
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;

    #[test]
    fn fat_size_covers_clusters() {
        for total in [66_581u64, 70_000, 524_288, 8_388_608] {
            let spc = u64::from(default_sectors_per_cluster(total));
            let fat = fat_sectors(total, spc);
            let clusters = (total - 32 - 2 * fat) / spc;
            assert!(fat * 128 >= clusters + 2, "total {total}");
            assert!((fat - 1) * 128 < (total - 32 - 2 * (fat - 1)) / spc + 2, "total {total}: FAT oversized");
        }
    }

    #[test]
    fn refuses_small_devices_and_bad_labels() {
        let small = MemDevice::zeroed(60_000);
        let Err(FormatError::TooSmall { min_bytes }) = format(&small, "") else { panic!() };
        assert_eq!(min_bytes, 66_581 * 512);
        assert!(format(&MemDevice::zeroed(66_581), "").is_ok());
        let dev = MemDevice::zeroed(66_581);
        assert_eq!(format(&dev, "lower ok"), Ok(()));
        assert_eq!(format(&dev, "bad*label"), Err(FormatError::BadLabel));
        assert_eq!(format(&dev, "twelve chars"), Err(FormatError::BadLabel));
    }
}
