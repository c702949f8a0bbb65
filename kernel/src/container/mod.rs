//! Containers as kernel objects (issue 4): the OCI images on the data disk,
//! found and verified by the kernel itself, and containers made from them, each
//! with its own namespace (`runtime`).
//!
//! Role: read OCI image layouts (index -> manifest -> config -> layers) from
//! the host namespace with the `oci` crate, checking every blob's sha256.
//! Invariants: nothing from an image is trusted before its digest matched;
//! a bad image is reported by name and harms no other.
//! May call: `fs`.

pub mod images;
pub mod runtime;
