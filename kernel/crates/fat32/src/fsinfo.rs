//! The FSInfo sector: the volume's cached free-cluster count and allocation hint.

use crate::device::BLOCK_SIZE;
use crate::le::{get32, put32};

const LEAD_SIGNATURE: u32 = 0x4161_5252;
const STRUCT_SIGNATURE: u32 = 0x6141_7272;
const TRAIL_SIGNATURE: u32 = 0xAA55_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FsInfo {
    pub free_count: u32,
    pub next_free: u32,
}

impl FsInfo {
    /// The FSInfo in the first 512 bytes of its sector, or `None` without its signatures.
    pub fn parse(b: &[u8; BLOCK_SIZE]) -> Option<FsInfo> {
        let signed = get32(b, 0) == LEAD_SIGNATURE
            && get32(b, 484) == STRUCT_SIGNATURE
            && get32(b, 508) == TRAIL_SIGNATURE;
        signed.then(|| FsInfo { free_count: get32(b, 488), next_free: get32(b, 492) })
    }

    /// Writes signatures and fields into `b`, keeping its other bytes.
    pub fn encode_into(&self, b: &mut [u8; BLOCK_SIZE]) {
        put32(b, 0, LEAD_SIGNATURE);
        put32(b, 484, STRUCT_SIGNATURE);
        put32(b, 488, self.free_count);
        put32(b, 492, self.next_free);
        put32(b, 508, TRAIL_SIGNATURE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_signature_check() {
        let mut b = [0u8; BLOCK_SIZE];
        assert_eq!(FsInfo::parse(&b), None);
        let info = FsInfo { free_count: 77, next_free: 3 };
        info.encode_into(&mut b);
        assert_eq!(FsInfo::parse(&b), Some(info));
        b[485] ^= 1;
        assert_eq!(FsInfo::parse(&b), None);
    }
}
