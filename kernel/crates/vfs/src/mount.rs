//! Mounts: a filesystem (or a bind of part of one) attached at a dentry of
//! another mount, with per-mount flags.

use alloc::string::String;
use alloc::sync::Arc;

use spin::RwLock;

use crate::dentry::Dentry;
use crate::node::FileSystem;

/// Per-mount flags, as `mount(2)` and `/proc/mounts` know them. Only
/// `read_only` is enforced here (`EROFS`); the kernel enforces `nodev` on
/// open and `noexec`/`nosuid` on exec, reading them from
/// [`crate::Location::mount_flags`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MountFlags {
    pub read_only: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

impl MountFlags {
    /// `rw`/`ro` plus the set flags, as `/proc/mounts` shows them.
    pub fn option_string(&self) -> String {
        let mut out = String::from(if self.read_only { "ro" } else { "rw" });
        for (set, name) in [(self.nosuid, ",nosuid"), (self.nodev, ",nodev"), (self.noexec, ",noexec")] {
            if set {
                out.push_str(name);
            }
        }
        out
    }

    /// The `ST_*` bits `statfs(2)` reports in `f_flags`.
    pub fn statfs_flags(&self) -> u64 {
        const ST_RDONLY: u64 = 1;
        const ST_NOSUID: u64 = 2;
        const ST_NODEV: u64 = 4;
        const ST_NOEXEC: u64 = 8;
        [(self.read_only, ST_RDONLY), (self.nosuid, ST_NOSUID), (self.nodev, ST_NODEV), (self.noexec, ST_NOEXEC)]
            .iter()
            .filter(|(set, _)| *set)
            .fold(0, |bits, (_, bit)| bits | bit)
    }
}

/// How to mount: flags, the source shown in `/proc/mounts` (`tmpfs`,
/// `/dev/sda1`, ...) and filesystem options to show after the flags
/// (`size=65536k,mode=755`; may be empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    pub flags: MountFlags,
    pub source: String,
    pub data: String,
}

impl MountOptions {
    /// Read-write, no extra options.
    pub fn new(source: &str) -> MountOptions {
        MountOptions { source: String::from(source), ..MountOptions::default() }
    }

    pub fn read_only(mut self) -> MountOptions {
        self.flags.read_only = true;
        self
    }
}

/// One line of `/proc/self/mountinfo` (and, in part, `/proc/mounts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    pub id: u64,
    /// Id of the mount this one sits on (itself for the namespace root).
    pub parent_id: u64,
    /// `st_dev` of the filesystem.
    pub dev: u64,
    pub source: String,
    /// Absolute path of the mount point in this namespace.
    pub target: String,
    pub fs_type: &'static str,
    /// `rw,nosuid,...` followed by the filesystem options.
    pub options: String,
    pub flags: MountFlags,
}

/// Where a mount is attached.
#[derive(Clone)]
pub(crate) struct Attachment {
    pub parent: Arc<Mount>,
    pub mountpoint: Arc<Dentry>,
}

pub(crate) struct Mount {
    pub id: u64,
    /// The namespace ([`crate::Vfs`]) this mount belongs to.
    pub namespace: u64,
    pub fs: Arc<dyn FileSystem>,
    pub root: Arc<Dentry>,
    pub options: MountOptions,
    /// The per-mount flags now (`options.flags` until a remount changes them).
    flags: RwLock<MountFlags>,
    /// The mount at the top of its namespace (never detached).
    pub is_namespace_root: bool,
    /// `None` for the namespace root and for detached mounts.
    attachment: RwLock<Option<Attachment>>,
}

impl Mount {
    /// A mount attached at `attachment`, or the namespace root if `None`.
    pub fn new(
        id: u64,
        namespace: u64,
        fs: Arc<dyn FileSystem>,
        root: Arc<Dentry>,
        options: MountOptions,
        attachment: Option<Attachment>,
    ) -> Mount {
        if let Some(at) = &attachment {
            at.mountpoint.mount_added();
        }
        let is_namespace_root = attachment.is_none();
        let flags = RwLock::new(options.flags);
        Mount { id, namespace, fs, root, options, flags, is_namespace_root, attachment: RwLock::new(attachment) }
    }

    pub fn attachment(&self) -> Option<Attachment> {
        self.attachment.read().clone()
    }

    /// Detaches the mount from its mount point (umount).
    pub fn detach(&self) {
        if let Some(at) = self.attachment.write().take() {
            at.mountpoint.mount_removed();
        }
    }

    pub fn flags(&self) -> MountFlags {
        *self.flags.read()
    }

    pub fn set_flags(&self, flags: MountFlags) {
        *self.flags.write() = flags;
    }

    /// `options` as `/proc/mounts` shows them.
    pub fn option_string(&self) -> String {
        let mut out = self.flags().option_string();
        if !self.options.data.is_empty() {
            out.push(',');
            out.push_str(&self.options.data);
        }
        out
    }
}
