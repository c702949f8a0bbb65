//! Memory mapping: `PROT_*`, `MAP_*` and the related `madvise`/`mremap` bits.

linux_flags! {
    /// `prot` of mmap(2)/mprotect(2) (an `unsigned long`). mmap ignores
    /// unknown bits; mprotect rejects them (use [`ProtFlags::MPROTECT_VALID`]).
    pub struct ProtFlags: u64, unknown = Ignore {
        PROT_NONE = 0;
        PROT_READ = 0x1;
        PROT_WRITE = 0x2;
        PROT_EXEC = 0x4;
        PROT_SEM = 0x8;
        PROT_GROWSDOWN = 0x0100_0000;
        PROT_GROWSUP = 0x0200_0000;
    }
}

impl ProtFlags {
    pub const MPROTECT_VALID: ProtFlags = ProtFlags::ALL;
}

linux_flags! {
    /// `flags` of mmap(2) (an `unsigned long`). Unknown bits are ignored
    /// unless the type is `MAP_SHARED_VALIDATE`, which rejects them
    /// with EOPNOTSUPP.
    pub struct MapFlags: u64, unknown = Ignore {
        MAP_SHARED = 0x01;
        MAP_PRIVATE = 0x02;
        MAP_SHARED_VALIDATE = 0x03;
        /// Mask of the mapping type (shared/private/validate).
        MAP_TYPE = 0x0f;
        MAP_FIXED = 0x10;
        MAP_ANONYMOUS = 0x20;
        MAP_32BIT = 0x40;
        MAP_GROWSDOWN = 0x100;
        MAP_DENYWRITE = 0x800;
        MAP_EXECUTABLE = 0x1000;
        MAP_LOCKED = 0x2000;
        MAP_NORESERVE = 0x4000;
        MAP_POPULATE = 0x8000;
        MAP_NONBLOCK = 0x1_0000;
        MAP_STACK = 0x2_0000;
        MAP_HUGETLB = 0x4_0000;
        MAP_SYNC = 0x8_0000;
        MAP_FIXED_NOREPLACE = 0x10_0000;
        MAP_UNINITIALIZED = 0x400_0000;
    }
}

/// The mapping type in the low nibble of mmap's `flags`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapType {
    Shared,
    Private,
    SharedValidate,
}

impl MapFlags {
    /// The flags a `MAP_SHARED` file mapping honours; with
    /// `MAP_SHARED_VALIDATE` any other bit is EOPNOTSUPP (Linux's
    /// `LEGACY_MAP_MASK`).
    pub const LEGACY_MAP_MASK: MapFlags = MapFlags::from_bits_retain(
        0x01 | 0x02 | 0x10 | 0x20 | 0x800 | 0x1000 | 0x400_0000 | 0x100 | 0x2000 | 0x4000 | 0x8000 | 0x1_0000 | 0x2_0000 | 0x4_0000,
    );

    /// `MAP_ANON` is `MAP_ANONYMOUS`.
    pub const MAP_ANON: MapFlags = MapFlags::MAP_ANONYMOUS;

    /// The mapping type; `None` (mmap fails with EINVAL) for other values.
    pub const fn map_type(self) -> Option<MapType> {
        match self.bits() & 0x0f {
            0x01 => Some(MapType::Shared),
            0x02 => Some(MapType::Private),
            0x03 => Some(MapType::SharedValidate),
            _ => None,
        }
    }
}

/// `MAP_FAILED` as mmap's raw return value is `-errno`; this is `(void *)-1`.
pub const MAP_FAILED: u64 = u64::MAX;

linux_consts! {
    /// Name of an madvise(2) `advice` value.
    pub fn madvise_name(i32);
    MADV_NORMAL = 0;
    MADV_RANDOM = 1;
    MADV_SEQUENTIAL = 2;
    MADV_WILLNEED = 3;
    MADV_DONTNEED = 4;
    MADV_FREE = 8;
    MADV_REMOVE = 9;
    MADV_DONTFORK = 10;
    MADV_DOFORK = 11;
    MADV_MERGEABLE = 12;
    MADV_UNMERGEABLE = 13;
    MADV_HUGEPAGE = 14;
    MADV_NOHUGEPAGE = 15;
    MADV_DONTDUMP = 16;
    MADV_DODUMP = 17;
    MADV_WIPEONFORK = 18;
    MADV_KEEPONFORK = 19;
    MADV_COLD = 20;
    MADV_PAGEOUT = 21;
    MADV_POPULATE_READ = 22;
    MADV_POPULATE_WRITE = 23;
    MADV_DONTNEED_LOCKED = 24;
    MADV_COLLAPSE = 25;
    MADV_HWPOISON = 100;
    MADV_SOFT_OFFLINE = 101;
}

/// mremap(2) flags.
pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

/// msync(2) flags.
pub const MS_ASYNC: i32 = 1;
pub const MS_INVALIDATE: i32 = 2;
pub const MS_SYNC: i32 = 4;
