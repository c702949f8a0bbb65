//! Containers as kernel objects (issue 4): the OCI images on the data disk,
//! found and verified by the kernel itself, runtime bundles, and containers
//! made from either, each with its own namespace.
//!
//! Modules: `images` (layouts under /mnt/images, read with the `oci` crate,
//! every blob's sha256 checked), `cache` (each image unpacked once into a
//! template; containers get copy-on-write snapshots of it), `bundle`
//! (`--bundle` directories and tars), `namespace` (a container's mounts),
//! `runtime` (the Container object and the OCI verbs), `limits` (its CPU,
//! memory and pids limits: what cgroups give on Linux, enforced by the
//! scheduler, the user-memory allocator and the PID namespace), `security`
//! (the credentials, capabilities and rlimits its processes start with).
//! Invariants: nothing from an image is trusted before its digest matched;
//! a bad image or bundle is reported by name and harms no other.
//! May call: `fs`, `task`, `sched` (CPU groups), `mm` (memory limits).

pub mod bundle;
pub mod cache;
pub mod images;
pub mod limits;
pub mod namespace;
pub mod runtime;
pub mod security;
