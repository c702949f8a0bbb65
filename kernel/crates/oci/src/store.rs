//! The image store: each layer of an image layout converted once (by `tools/ociimport`) into
//! an EROFS image that the kernel mounts instead of unpacking the layer.
//!
//! Layout: `<layout>/erofs/<chain-id hex>.erofs`, one file per layer, named by the layer's
//! OCI ChainID (its diff_id combined with those of every layer below it, as containerd names
//! snapshots), because a converted layer depends on the layers below it (directories this
//! layer only implies take their metadata from below, hard links to files below are copies).
//! The EROFS superblock records the first 16 bytes of the ChainID as its UUID and
//! [`VOLUME_NAME`] as its volume name, so a misplaced or stale file is recognised.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::Digest;

/// The store directory inside an image layout.
pub const STORE_DIR: &str = "erofs";

/// Volume name of every store image of this format version (bumped when the conversion
/// changes, which makes older store files stale).
pub const VOLUME_NAME: [u8; 16] = *b"cyrius-layer-v1\0";

/// The OCI ChainIDs of layers with these diff_ids, base first: `ChainID(L0) = DiffID(L0)`,
/// `ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))`.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => *d,
            Some(prev) => Digest::of(format!("{prev} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// The store file of the layer with this ChainID, relative to the layout.
pub fn layer_file(chain_id: &Digest) -> String {
    format!("{STORE_DIR}/{}.erofs", chain_id.hex())
}

/// The UUID a store image of this ChainID carries.
pub fn uuid_of(chain_id: &Digest) -> [u8; 16] {
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&chain_id.bytes()[..16]);
    uuid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_image_spec() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let ids = chain_ids(&[a, b]);
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], Digest::of(format!("{a} {b}").as_bytes()));
        assert_eq!(layer_file(&a), format!("erofs/{}.erofs", a.hex()));
        assert_eq!(uuid_of(&a), a.bytes()[..16]);
    }
}
