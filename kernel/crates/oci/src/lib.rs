//! Typed OCI documents for the Cyrius kernel: runtime-spec bundles, container state, and
//! image-spec layouts (plus `docker save` archives), all no_std + alloc.
//!
//! Role: everything between "a directory or archive on disk" and "a process to start in a
//! fresh root filesystem". The kernel supplies bytes (through [`BlobStore`]) and gets typed,
//! verified values back; it applies layers with `ocitar` and starts [`Spec::process`].
//!
//! Summary:
//! - [`parse_config`]`(&[u8]) -> Result<`[`Spec`]`, `[`ConfigError`]`>`: `config.json`,
//!   unknown fields ignored, errors name the field path (`config.json: process.args:
//!   expected an array of strings`, `config.json: missing field root.path`), then
//!   [`Spec::validate`]. [`Spec::default_for`] = `runc spec`; [`Spec::to_json`] writes it
//!   as runc does.
//! - [`bundle`]: runtime bundles; [`open_bundle_tar`] finds and parses a bundle tar's
//!   `config.json` and checks its `root.path`; [`bundle::root_dir`] for a directory bundle.
//! - [`State`] + [`State::to_json`]: byte-for-byte `runc state` output; [`parse_state`].
//! - [`image`]: [`ImageIndex`], [`Manifest`], [`Descriptor`], [`ImageConfig`] (OCI and
//!   Docker media types); [`Digest`] accepts only `sha256:<64 lowercase hex>`.
//! - [`spec_from_image`]: umoci's image-config → runtime-spec conversion, users resolved
//!   through [`UserLookup`] ([`UserDb`] parses `/etc/passwd` + `/etc/group`).
//! - [`open_layout`]`(store, Some("latest"))` → [`Image`]; [`Image::layer_tar`] returns a
//!   verified, uncompressed layer. [`ArchiveStore`] + [`open_docker_archive`] do the same
//!   for `docker save` tarballs.
//! - [`store`]: where an image's store (its layers as EROFS images) lives in a layout, and
//!   the layers' OCI ChainIDs that name its files.
//!
//! Invariants: no input makes these functions panic; every blob is checked against its
//! descriptor's size and sha256 before use, every layer against its `diff_id`; documents
//! over [`MAX_DOCUMENT`] are refused; digests can never form a path outside `blobs/sha256/`.
//! Only linux/amd64 images are opened.
//!
//! Depends on: `errno`, `ocitar` (gzip + tar), `serde`/`serde_json` (alloc only), `sha2`
//! (soft backend). No `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bundle;
pub mod convert;
mod digest;
pub mod docker;
mod error;
mod gojson;
pub mod image;
mod json;
pub mod layout;
pub mod runtime;
pub mod state;
pub mod store;
mod time;
pub mod users;

pub use bundle::{open_bundle_tar, BundleError, TarBundle};
pub use convert::{spec_from_image, ConvertError, ConvertOptions};
pub use digest::{Digest, DigestError};
pub use docker::{open_docker_archive, ArchiveStore};
pub use error::{ConfigError, DocError, Problem};
pub use image::{Descriptor, ImageConfig, ImageIndex, Manifest, MediaKind, Platform};
pub use layout::{open_layout, read_blob, BlobStore, Image, Layer, LayoutError, MAX_DOCUMENT};
pub use runtime::{parse_config, Spec};
pub use state::{parse_state, State, Status};
pub use time::Timestamp;
pub use users::{NoUsers, UserDb, UserLookup};
