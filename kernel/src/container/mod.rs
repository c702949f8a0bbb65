//! Containers as kernel objects (issue 4). So far: the OCI images on the data
//! disk, found and verified by the kernel itself.
//!
//! Role: read OCI image layouts (index -> manifest -> config -> layers) from
//! the host namespace with the `oci` crate, checking every blob's sha256.
//! Invariants: nothing from an image is trusted before its digest matched;
//! a bad image is reported by name and harms no other.
//! May call: `fs`.

pub mod images;
