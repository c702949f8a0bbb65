//! Behaviour tests of the VFS, tmpfs and devfs through the public API.

mod common;

mod concurrency;
mod confinement;
mod devfs;
mod fuzz;
mod limits;
mod mounts;
mod perms;
mod rename;
mod snapshot;
mod tmpfs;
mod walk;
