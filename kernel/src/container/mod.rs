//! Containers as kernel objects (issue 4): the OCI images on the data disk,
//! found and verified by the kernel itself, runtime bundles, and containers
//! made from either, each with its own namespace.
//!
//! Modules: `images` (layouts under /mnt/images, read with the `oci` crate,
//! every blob's sha256 checked), `cache` (an image's store layers, EROFS, mounted
//! once; each container's root is an overlay of them under its own tmpfs; an
//! image without a store is unpacked once into a template that containers
//! snapshot copy-on-write), `bundle`
//! (`--bundle` directories and tars), `namespace` (a container's mounts),
//! `runtime` (the Container object and the OCI verbs), `limits` (its CPU,
//! memory and pids limits: what cgroups give on Linux, enforced by the
//! scheduler, the user-memory allocator and the PID namespace), `security`
//! (the credentials, capabilities and rlimits its processes start with),
//! `microvm` (the boot of a microVM for one container: bundle disk, guest agent).
//! Invariants: nothing from an image is trusted before its digest matched;
//! a bad image or bundle is reported by name and harms no other.
//! May call: `fs`, `task`, `sched` (CPU groups), `mm` (memory limits).

pub mod bundle;
pub mod cache;
pub mod images;
pub mod limits;
pub mod microvm;
pub mod namespace;
pub mod runtime;
pub mod security;
