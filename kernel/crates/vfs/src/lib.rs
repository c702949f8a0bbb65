//! The virtual filesystem of Cyrius: mount namespaces, path resolution with
//! Linux semantics, and the RAM filesystems `tmpfs` and `devfs`.
//!
//! Role: every container gets its own [`Vfs`] (its rootfs plus its mounts),
//! the host another. Syscalls reach files only through a `Vfs`: `open`,
//! `stat`, `mkdir`, `rename`, ... each take the caller's [`Cred`], a base
//! [`Location`] (cwd or dirfd) and a path, and return Linux's errno.
//!
//! Layers (each module has one job):
//! - [`node`]: the traits a filesystem implements ([`FileSystem`], [`Inode`]);
//!   defaults give the right errno, so a simple filesystem implements little.
//! - [`tmpfs`], [`devfs`] (a tmpfs whose device nodes reach [`CharDevice`]
//!   drivers through a [`DeviceRegistry`]).
//! - `dentry`/`mount`/[`Location`]: the VFS's name tree over mounted
//!   inodes; `..`, getcwd and renames are handled here, not by filesystems.
//! - [`Vfs`]: mount table, resolution ([`Vfs::resolve`],
//!   [`Vfs::resolve_parent`]) and the operations; [`check_access`] and
//!   friends for permissions.
//!
//! Invariants: the namespace root is the top (`..` stays, absolute symlinks
//! restart there, foreign locations are refused), so nothing outside is
//! reachable; no operation panics on any input; read-only mounts give
//! `EROFS`; all locking is `spin` locks taken parent-before-child.
//!
//! Depends on: `alloc`, `spin`, and the `errno` and `creds` crates only. Time comes from
//! an injected [`Clock`], randomness from an injected [`EntropySource`].
//!
//! API summary:
//! - `Vfs::new(root_fs)`, `mount(path, fs, MountOptions)`, `mount_at`, `bind`
//!   (volumes, file binds), `remount` (per-mount flags), `umount`, `umount_detach`,
//!   `mounts() -> Vec<MountInfo>`; `chroot(dir) -> Vfs` (a view whose `/` is `dir`),
//!   `path_of(loc)` (getcwd as the view names it).
//! - `resolve(cwd, path, follow) -> Location`, `resolve_as(cred, ..)`,
//!   `resolve_parent(cwd, path) -> (Location, String)`, `resolve_parent_full`.
//! - Ops, all `(cred, cwd, path, ..)`: `open(.., OpenFlags, perm)`, `stat`,
//!   `lstat`, `statfs`, `access`, `mkdir`, `create`, `mknod`, `symlink`, `link`
//!   /`link_at`, `unlink`, `rmdir`, `rename`/`rename_at`, `readlink`, `chmod`,
//!   `chown`, `utimens`, `truncate`, `open_dir_entries`, `read_file`, `write_file`.
//! - `Location`: `inode()`, `stat()`, `statfs()`, `path()` (getcwd),
//!   `readdir(cookie)` (getdents64 with `.`/`..`), `set_mode`, `set_owner`,
//!   `set_times`, `truncate` (the `f*` calls), `mount_flags()`, `is_unlinked()`.
//! - `TmpFs::new(clock, TmpFsOptions)`, `TmpFs::snapshot()` (copy-on-write
//!   clone of a whole tree: pages shared, copied per page on first write),
//!   `DevFs::new(clock, entropy)` +
//!   `DevFs::register(name, major, minor, driver)`.
//!
//! Integration notes: the caller applies the umask before passing a mode;
//! holding a `Location` keeps its mount busy; FIFOs and sockets are plain
//! nodes (the kernel attaches pipes by `(st_dev, st_ino)`); names must be
//! UTF-8; clearing set-ID bits on `write(2)`, `noexec`/`nosuid` at exec and
//! `O_APPEND`/file positions are the kernel's job (`nodev` and device
//! nodes without a driver, `ENXIO`, are refused at open here); spin locks
//! must not be taken from interrupt handlers. Permission checks use the
//! credentials' filesystem ids and effective capabilities (`creds`), never
//! uid 0 as such.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod access;
mod dentry;
pub mod devfs;
mod device;
mod location;
mod mount;
pub mod node;
pub mod path;
mod time;
pub mod tmpfs;
mod types;
mod vfs;

pub use access::{check_access, check_owner, is_owner_or_capable, Access, Cap, Cred};
pub use devfs::{DevFs, EntropySource};
pub use device::{CharDevice, DeviceRegistry};
pub use location::Location;
pub use mount::{MountFlags, MountInfo, MountOptions};
pub use node::{alloc_content_ids, alloc_fs_id, FileSystem, Inode};
pub use path::LastComponent;
pub use time::{Clock, ManualClock};
pub use tmpfs::{TmpFs, TmpFsOptions};
pub use types::*;
pub use vfs::{OpenFlags, ParentPath, Vfs};
