//! Runtime bundles (runtime-spec "filesystem bundle"): `config.json` plus the root
//! filesystem it names in `root.path`, as a directory or as a tar of one.
//!
//! This module reads the tar form's configuration and says where its root is; the kernel
//! copies the root filesystem (the `rootfs` crate). The directory form needs only
//! [`parse_config`] and [`root_dir`].

use alloc::string::{String, ToString};
use core::fmt;

use errno::Errno;
use ocitar::{normalize, Archive, EntryKind, TarError};

use crate::error::ConfigError;
use crate::layout::MAX_DOCUMENT;
use crate::runtime::{parse_config, Spec};

/// The configuration's name in a bundle.
pub const CONFIG_JSON: &str = "config.json";

/// Why a bundle cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// No `config.json` at the top of the bundle.
    NoConfig,
    /// `config.json` is not a regular file, or too large.
    BadConfigFile(&'static str),
    /// `config.json` is malformed (the error names the field).
    Config(ConfigError),
    /// `root.path` names nothing in the bundle.
    NoRoot { path: String },
    /// `root.path` cannot be used in this form of bundle.
    BadRoot { path: String, why: &'static str },
    /// The archive is corrupt.
    Tar(TarError),
}

impl BundleError {
    pub fn errno(&self) -> Errno {
        match self {
            BundleError::NoConfig | BundleError::NoRoot { .. } => Errno::ENOENT,
            BundleError::Tar(e) => e.errno(),
            _ => Errno::EINVAL,
        }
    }
}

impl From<ConfigError> for BundleError {
    fn from(e: ConfigError) -> Self {
        BundleError::Config(e)
    }
}

impl From<TarError> for BundleError {
    fn from(e: TarError) -> Self {
        BundleError::Tar(e)
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NoConfig => write!(f, "no {CONFIG_JSON} in the bundle"),
            BundleError::BadConfigFile(why) => write!(f, "{CONFIG_JSON}: {why}"),
            BundleError::Config(e) => e.fmt(f),
            BundleError::NoRoot { path } => write!(f, "root.path {path:?}: no such directory in the bundle"),
            BundleError::BadRoot { path, why } => write!(f, "root.path {path:?}: {why}"),
            BundleError::Tar(e) => e.fmt(f),
        }
    }
}

/// A bundle tar's configuration and the archive directory holding its root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarBundle {
    pub spec: Spec,
    /// `root.path` normalized to an absolute archive path (`/rootfs`).
    pub root: String,
}

/// The directory `root.path` names in a bundle directory `bundle` (an absolute path is
/// taken as is, as runc does; a relative one is joined to the bundle's path).
pub fn root_dir(bundle: &str, spec: &Spec) -> String {
    let root = &spec.root.path;
    if root.starts_with('/') {
        return root.clone();
    }
    let mut out = bundle.trim_end_matches('/').to_string();
    out.push('/');
    out.push_str(root);
    out
}

/// Reads an uncompressed bundle tar: `config.json` (at the top, `./` allowed) parsed and
/// validated, and `root.path`, which must be relative, stay inside the archive and name
/// a directory (an entry for it or for something below it).
pub fn open_bundle_tar(tar: &[u8]) -> Result<TarBundle, BundleError> {
    let mut config = None;
    for entry in Archive::new(tar) {
        let entry = entry?;
        if normalize(&entry.path).as_deref() == Some("/config.json") {
            if entry.kind != EntryKind::File {
                return Err(BundleError::BadConfigFile("not a regular file"));
            }
            if entry.data.len() as u64 > MAX_DOCUMENT {
                return Err(BundleError::BadConfigFile("document too large"));
            }
            // A later entry replaces an earlier one, as on extraction.
            config = Some(entry.data);
        }
    }
    let spec = parse_config(config.ok_or(BundleError::NoConfig)?)?;
    let path = &spec.root.path;
    if path.starts_with('/') {
        return Err(BundleError::BadRoot { path: path.clone(), why: "must be relative in a bundle tar" });
    }
    let root = match normalize(path) {
        Some(root) if root != "/" => root,
        _ => return Err(BundleError::BadRoot { path: path.clone(), why: "must name a directory inside the bundle" }),
    };
    let mut found = false;
    for entry in Archive::new(tar) {
        let entry = entry?;
        let Some(p) = normalize(&entry.path) else { continue };
        if (p == root && entry.kind == EntryKind::Dir) || subpath(&p, &root).is_some_and(|rest| rest != "/") {
            found = true;
            break;
        }
    }
    if !found {
        return Err(BundleError::NoRoot { path: path.clone() });
    }
    Ok(TarBundle { spec, root })
}

/// `path` relative to `prefix` (both normalized absolute paths), as an absolute path
/// (`/` for `prefix` itself); `None` if `path` is not `prefix` or below it.
pub(crate) fn subpath<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix == "/" {
        return Some(path);
    }
    let rest = path.strip_prefix(prefix)?;
    match rest {
        "" => Some("/"),
        r if r.starts_with('/') => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocitar::builder::TarBuilder;

    const CONFIG: &[u8] = br#"{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}}"#;

    #[test]
    fn finds_config_and_root() {
        let mut t = TarBuilder::new();
        t.file("./config.json", 0o644, CONFIG);
        t.dir("./rootfs", 0o755);
        t.file("./rootfs/bin/sh", 0o755, b"x");
        let b = open_bundle_tar(&t.finish()).unwrap();
        assert_eq!(b.root, "/rootfs");
        assert_eq!(b.spec.process.args, ["sh"]);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let mut t = TarBuilder::new();
        t.file("rootfs/bin/sh", 0o755, b"x");
        assert_eq!(open_bundle_tar(&t.finish()), Err(BundleError::NoConfig));

        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, CONFIG);
        t.file("rootfsX/bin/sh", 0o755, b"x");
        let e = open_bundle_tar(&t.finish()).unwrap_err();
        assert_eq!(e.to_string(), "root.path \"rootfs\": no such directory in the bundle");

        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, br#"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0},"args":"sh","cwd":"/"},"root":{"path":"r"}}"#);
        let e = open_bundle_tar(&t.finish()).unwrap_err();
        assert_eq!(e.to_string(), "config.json: process.args: expected an array of strings");

        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, &CONFIG.iter().map(|&b| if b == b'}' { b']' } else { b }).collect::<alloc::vec::Vec<u8>>());
        assert!(open_bundle_tar(&t.finish()).unwrap_err().to_string().starts_with("config.json: invalid JSON"));

        let abs = br#"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"/rootfs"}}"#;
        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, abs);
        assert!(matches!(open_bundle_tar(&t.finish()), Err(BundleError::BadRoot { .. })));

        let up = br#"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"../x"}}"#;
        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, up);
        assert!(matches!(open_bundle_tar(&t.finish()), Err(BundleError::BadRoot { .. })));
    }

    #[test]
    fn subpaths() {
        assert_eq!(subpath("/rootfs/bin", "/rootfs"), Some("/bin"));
        assert_eq!(subpath("/rootfs", "/rootfs"), Some("/"));
        assert_eq!(subpath("/rootfsX/bin", "/rootfs"), None);
        assert_eq!(subpath("/config.json", "/rootfs"), None);
        assert_eq!(subpath("/a", "/"), Some("/a"));
    }

    #[test]
    fn root_dir_joins_relative_paths() {
        let spec = parse_config(CONFIG).unwrap();
        assert_eq!(root_dir("/mnt/b/", &spec), "/mnt/b/rootfs");
    }
}
