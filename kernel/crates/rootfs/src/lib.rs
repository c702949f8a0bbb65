//! A container's root filesystem, made from OCI image layers or copied from a
//! runtime bundle.
//!
//! Role: [`VfsTarget`] implements `ocitar::LayerTarget` over a `vfs::Vfs`, so
//! `ocitar::apply_layer_blob` unpacks a layer (whiteouts, hard links,
//! symlinks, modes, owners, mtimes) into a namespace — in the kernel, a
//! container's tmpfs root. [`unpack_subtree`] extracts one directory of a
//! plain tar (a bundle tar's `rootfs/`) the same way, without whiteout rules;
//! [`copy_tree`] copies a directory of one namespace (a bundle directory on
//! the data disk) into another.
//! Invariants: every path is resolved inside the target namespace (the VFS
//! confines `..` and absolute symlinks to its root), and a final symlink is
//! never followed when changing metadata or removing; copies never recurse
//! (deep trees are walked with an explicit stack).
//! Depends on: `vfs`, `ocitar`, `errno`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod copy;
mod subtree;
mod target;

pub use copy::{copy_tree, CopyError, CopyStats};
pub use subtree::unpack_subtree;
pub use target::VfsTarget;
