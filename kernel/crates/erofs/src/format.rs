//! The on-disk format (Linux `fs/erofs/erofs_fs.h`): constants, the superblock, the two
//! inode forms, directory entries, xattr entries, device numbers and the superblock CRC32C.
//! Everything little-endian; parsing never panics (callers pass slices of the right length,
//! checked by the `le*` helpers' fixed offsets).

/// Where the superblock starts (the first 1024 bytes are left for boot sectors).
pub const SUPER_OFFSET: u64 = 1024;
/// `EROFS_SUPER_MAGIC_V1`.
pub const MAGIC: u32 = 0xE0F5_E1E2;
/// Size of the superblock without extension slots.
pub const SUPER_SIZE: usize = 128;
/// Inode slots are 32 bytes: a nid is the inode's offset in the metadata area / 32.
pub const SLOT_BITS: u32 = 5;
pub const COMPACT_INODE_SIZE: usize = 32;
pub const EXTENDED_INODE_SIZE: usize = 64;
/// `struct erofs_dirent`.
pub const DIRENT_SIZE: usize = 12;
/// Longest name a directory entry may hold.
pub const NAME_LEN: usize = 255;
/// `struct erofs_xattr_ibody_header`.
pub const XATTR_IBODY_HEADER: usize = 12;
/// `struct erofs_xattr_entry` (before its name and value).
pub const XATTR_ENTRY_HEADER: usize = 4;
/// A hole in a chunk map.
pub const NULL_ADDR: u32 = u32::MAX;

pub const FEATURE_COMPAT_SB_CHKSUM: u32 = 0x1;
pub const FEATURE_COMPAT_MTIME: u32 = 0x2;
pub const FEATURE_INCOMPAT_ZERO_PADDING: u32 = 0x1;
pub const FEATURE_INCOMPAT_CHUNKED_FILE: u32 = 0x4;
/// Incompatible features this reader handles (zero padding concerns compressed data only).
pub const SUPPORTED_INCOMPAT: u32 = FEATURE_INCOMPAT_ZERO_PADDING | FEATURE_INCOMPAT_CHUNKED_FILE;

/// `i_format`: bit 0 the inode version, bits 1-3 the data layout; higher bits must be 0.
pub const I_VERSION_EXTENDED: u16 = 1;
pub const I_ALL: u16 = 0xF;

/// Data layouts (`EROFS_INODE_*`).
pub const LAYOUT_FLAT_PLAIN: u8 = 0;
pub const LAYOUT_COMPRESSED_FULL: u8 = 1;
pub const LAYOUT_FLAT_INLINE: u8 = 2;
pub const LAYOUT_COMPRESSED_COMPACT: u8 = 3;
pub const LAYOUT_CHUNK_BASED: u8 = 4;

/// Chunk-based inodes: chunk size bits over the block size, and whether 8-byte indexes
/// (instead of 4-byte block addresses) are used.
pub const CHUNK_FORMAT_BLKBITS_MASK: u16 = 0x1F;
pub const CHUNK_FORMAT_INDEXES: u16 = 0x20;

/// Directory entry file types (`EROFS_FT_*`, the generic `FT_*`).
pub const FT_UNKNOWN: u8 = 0;
pub const FT_REG_FILE: u8 = 1;
pub const FT_DIR: u8 = 2;
pub const FT_CHRDEV: u8 = 3;
pub const FT_BLKDEV: u8 = 4;
pub const FT_FIFO: u8 = 5;
pub const FT_SOCK: u8 = 6;
pub const FT_SYMLINK: u8 = 7;

/// Xattr name indexes and the prefixes they stand for.
pub const XATTR_PREFIXES: [(u8, &str); 6] = [
    (1, "user."),
    (2, "system.posix_acl_access"),
    (3, "system.posix_acl_default"),
    (4, "trusted."),
    (5, "lustre."),
    (6, "security."),
];
/// Bit 7 of a name index: a long prefix (not supported here; such entries are skipped).
pub const XATTR_LONG_PREFIX: u8 = 0x80;

pub fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | u64::from(le32(b, at + 4)) << 32
}

pub fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

pub fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// The superblock fields this crate uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuperBlock {
    pub checksum: u32,
    pub feature_compat: u32,
    pub blkszbits: u8,
    pub sb_extslots: u8,
    pub root_nid: u16,
    pub inos: u64,
    pub build_time: u64,
    pub build_time_nsec: u32,
    pub blocks: u32,
    pub meta_blkaddr: u32,
    pub xattr_blkaddr: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub feature_incompat: u32,
    pub extra_devices: u16,
    pub dirblkbits: u8,
    pub xattr_prefix_count: u8,
}

impl SuperBlock {
    /// Parses the 128 bytes at [`SUPER_OFFSET`]; `None` if the magic is wrong.
    pub fn parse(b: &[u8; SUPER_SIZE]) -> Option<SuperBlock> {
        if le32(b, 0) != MAGIC {
            return None;
        }
        let mut uuid = [0; 16];
        uuid.copy_from_slice(&b[48..64]);
        let mut volume_name = [0; 16];
        volume_name.copy_from_slice(&b[64..80]);
        Some(SuperBlock {
            checksum: le32(b, 4),
            feature_compat: le32(b, 8),
            blkszbits: b[12],
            sb_extslots: b[13],
            root_nid: le16(b, 14),
            inos: le64(b, 16),
            build_time: le64(b, 24),
            build_time_nsec: le32(b, 32),
            blocks: le32(b, 36),
            meta_blkaddr: le32(b, 40),
            xattr_blkaddr: le32(b, 44),
            uuid,
            volume_name,
            feature_incompat: le32(b, 80),
            extra_devices: le16(b, 86),
            dirblkbits: b[90],
            xattr_prefix_count: b[91],
        })
    }

    /// The 128 on-disk bytes (checksum as stored in `self.checksum`).
    pub fn encode(&self) -> [u8; SUPER_SIZE] {
        let mut b = [0u8; SUPER_SIZE];
        put32(&mut b, 0, MAGIC);
        put32(&mut b, 4, self.checksum);
        put32(&mut b, 8, self.feature_compat);
        b[12] = self.blkszbits;
        b[13] = self.sb_extslots;
        put16(&mut b, 14, self.root_nid);
        put64(&mut b, 16, self.inos);
        put64(&mut b, 24, self.build_time);
        put32(&mut b, 32, self.build_time_nsec);
        put32(&mut b, 36, self.blocks);
        put32(&mut b, 40, self.meta_blkaddr);
        put32(&mut b, 44, self.xattr_blkaddr);
        b[48..64].copy_from_slice(&self.uuid);
        b[64..80].copy_from_slice(&self.volume_name);
        put32(&mut b, 80, self.feature_incompat);
        put16(&mut b, 86, self.extra_devices);
        b[90] = self.dirblkbits;
        b[91] = self.xattr_prefix_count;
        b
    }
}

/// The superblock checksum as Linux computes it: CRC32C seeded with `!0`, without the final
/// inversion, over the rest of the first block from [`SUPER_OFFSET`] with the checksum field
/// zeroed. `tail` is those bytes (block size - 1024 of them).
pub fn super_checksum(tail: &[u8]) -> u32 {
    let mut crc = !0u32;
    for (i, byte) in tail.iter().enumerate() {
        let b = if (4..8).contains(&i) { 0 } else { *byte };
        crc = CRC32C_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
            k += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Linux's `new_encode_dev`: the 32-bit device number EROFS stores.
pub fn encode_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12)
}

/// Linux's `new_decode_dev`: (major, minor).
pub fn decode_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// Size of the inline xattr area for `i_xattr_icount`.
pub fn xattr_ibody_size(icount: u16) -> usize {
    if icount == 0 {
        0
    } else {
        XATTR_IBODY_HEADER + 4 * (usize::from(icount) - 1)
    }
}

/// Rounds `n` up to a multiple of 4.
pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The directory entry file type of a `st_mode`.
pub fn file_type_of_mode(mode: u32) -> u8 {
    match mode & 0o170000 {
        0o100000 => FT_REG_FILE,
        0o040000 => FT_DIR,
        0o020000 => FT_CHRDEV,
        0o060000 => FT_BLKDEV,
        0o010000 => FT_FIFO,
        0o140000 => FT_SOCK,
        0o120000 => FT_SYMLINK,
        _ => FT_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_round_trip() {
        for (major, minor) in [(0, 0), (1, 3), (4, 64), (259, 70000), (0xfff, 0xfffff)] {
            assert_eq!(decode_dev(encode_dev(major, minor)), (major, minor));
        }
        assert_eq!(encode_dev(1, 3), 0x103);
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        // CRC-32C("123456789") = 0xE3069283 with the usual init and final inversion.
        let data = b"1234567891234";
        // super_checksum zeroes bytes 4..8: use data whose bytes 4..8 are zero already.
        let mut buf = [0u8; 13];
        buf.copy_from_slice(data);
        buf[4..8].fill(0);
        let mut crc = !0u32;
        for b in buf {
            crc = CRC32C_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
        }
        assert_eq!(super_checksum(data), crc);
        let mut crc = !0u32;
        for b in b"123456789" {
            crc = CRC32C_TABLE[((crc ^ u32::from(*b)) & 0xFF) as usize] ^ (crc >> 8);
        }
        assert_eq!(!crc, 0xE306_9283);
    }

    #[test]
    fn superblock_round_trips() {
        let sb = SuperBlock {
            checksum: 7,
            feature_compat: FEATURE_COMPAT_SB_CHKSUM,
            blkszbits: 12,
            root_nid: 36,
            inos: 9,
            build_time: 1234,
            blocks: 3,
            uuid: [5; 16],
            ..SuperBlock::default()
        };
        assert_eq!(SuperBlock::parse(&sb.encode()), Some(sb));
        assert_eq!(SuperBlock::parse(&[0; SUPER_SIZE]), None);
    }
}
