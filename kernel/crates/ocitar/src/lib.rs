//! OCI layer archives for the Cyrius kernel: gunzip, tar reading, and layer application.
//!
//! Role: turn a layer blob (gzip or plain tar, told by magic) into filesystem operations on
//! a caller-implemented [`LayerTarget`], with OCI whiteout semantics. The kernel applies an
//! image's layers in order onto a fresh root; `oci` uses the reader for `docker save` files.
//!
//! Summary:
//! - [`decompress`]`(blob, limit)` / [`gunzip`]: whole-buffer, multi-member gzip with CRC and
//!   length checks; output is capped by `limit` (decompression-bomb guard); zstd/bzip2/xz
//!   are recognised and refused.
//! - [`Archive`]`::new(&tar)`: iterator of [`Entry`] (path, [`EntryKind`], mode, uid, gid,
//!   mtime, data borrowed from the buffer). ustar prefix, GNU `L`/`K` long names, PAX `x`
//!   (path, linkpath, size, uid, gid, mtime; `g` ignored), base-256 numbers, checksums
//!   (unsigned or signed). Ends at the first zero block or at the end of the buffer.
//! - [`apply_layer`]`(target, &tar)` / [`apply_layer_blob`]: whiteouts (`.wh.<name>`,
//!   `.wh..wh..opq`), replace-on-conflict, parent creation, directory metadata set last.
//! - [`memfs::MemFs`]: an in-memory [`LayerTarget`] for tests; [`builder::TarBuilder`]: a
//!   small ustar/PAX writer.
//!
//! Invariants: no input can make these functions panic or allocate without bound — corrupt
//! data gives a typed [`TarError`]/[`ApplyError`] (both convert to [`errno::Errno`]); names
//! are at most [`MAX_PATH`] bytes, meta entries at most [`MAX_META`]; paths reaching the
//! target are normalized, absolute and never above the root.
//! Gaps: sparse files, xattrs (`SCHILY.xattr.*`) and sub-second times are not carried;
//! non-UTF-8 names are rejected; the whole layer is decompressed into memory at once.
//!
//! Depends on: `errno`, `miniz_oxide` (inflate only), `alloc`. No `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod apply;
mod archive;
pub mod builder;
mod crc32;
mod error;
mod gzip;
mod header;
pub mod memfs;
mod path;
mod pax;

pub use apply::{
    apply_layer, apply_layer_blob, ApplyStats, LayerTarget, Meta, NodeType, Special, OPAQUE_MARKER,
    WHITEOUT_PREFIX,
};
pub use archive::{Archive, Entry, EntryKind, MAX_META, MAX_PATH};
pub use crc32::crc32;
pub use error::{ApplyError, GzipError, TarError};
pub use gzip::{decompress, detect, gunzip, Compression};
pub use path::normalize;
