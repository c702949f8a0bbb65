//! Where an image's files are read from: a directory ([`DirStore`]) or a tar archive,
//! plain or gzip-compressed, unpacked into a private temporary directory ([`TarStore`]).
//!
//! Both resolve `/`-separated paths relative to the image root and never let a path or a
//! symlink lead outside it: `..` past the root, absolute symlinks and links that climb out
//! are treated as missing files.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use errno::Errno;
use oci::BlobStore;

use crate::error::Kind;

/// How many symlinks a lookup may follow.
const MAX_LINK_HOPS: usize = 8;

/// Read access to the files of an image source.
pub trait Store: BlobStore {
    /// Opens the regular file at `path` for streaming, with its length.
    fn open(&self, path: &str) -> Result<(File, u64), Kind>;
    /// Whether a regular file exists at `path`.
    fn exists(&self, path: &str) -> bool {
        self.open(path).is_ok()
    }
}

/// `path` made relative and free of `.`/`..`; `None` if it climbs above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn open_file(path: &Path, shown: &str) -> Result<(File, u64), Kind> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Kind::Missing(shown.to_string()),
        _ => Kind::Io { path: path.to_path_buf(), error: e },
    })?;
    let meta = file.metadata().map_err(Kind::io(path))?;
    if !meta.is_file() {
        return Err(Kind::Missing(shown.to_string()));
    }
    Ok((file, meta.len()))
}

fn read_all(store: &dyn Store, path: &str) -> Result<Vec<u8>, Errno> {
    let (mut file, len) = store.open(path).map_err(|k| match k {
        Kind::Missing(_) => Errno::ENOENT,
        _ => Errno::EIO,
    })?;
    if len > oci::MAX_DOCUMENT * 64 {
        return Err(Errno::EFBIG);
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.read_to_end(&mut buf).map_err(|_| Errno::EIO)?;
    Ok(buf)
}

/// An image in a host directory (an OCI layout, or an unpacked `docker save`).
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: &Path) -> io::Result<DirStore> {
        Ok(DirStore { root: root.canonicalize()? })
    }
}

impl Store for DirStore {
    fn open(&self, path: &str) -> Result<(File, u64), Kind> {
        let missing = || Kind::Missing(path.to_string());
        let rel = normalize(path).ok_or_else(missing)?;
        let full = self.root.join(&rel);
        // Symlinks inside the directory are followed, but only to files inside it.
        let real = full.canonicalize().map_err(|_| missing())?;
        if !real.starts_with(&self.root) {
            return Err(missing());
        }
        open_file(&real, path)
    }
}

impl BlobStore for DirStore {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        read_all(self, path)
    }
}

/// The regular files and links of a tar archive, files unpacked under numbered names
/// into a temporary directory that is removed when the store is dropped.
pub struct TarStore {
    dir: tempfile::TempDir,
    files: BTreeMap<String, PathBuf>,
    links: BTreeMap<String, String>,
}

impl TarStore {
    /// Unpacks the tar (gzip-compressed or not) read from `input`. `scratch` is where the
    /// temporary directory goes.
    pub fn unpack(input: impl Read, scratch: &Path) -> Result<TarStore, Kind> {
        fs::create_dir_all(scratch).map_err(Kind::io(scratch))?;
        let dir = tempfile::Builder::new().prefix(".ociimport-").tempdir_in(scratch).map_err(Kind::io(scratch))?;
        let mut store = TarStore { dir, files: BTreeMap::new(), links: BTreeMap::new() };
        let mut input = BufReader::new(input);
        let head = input.fill_buf().map_err(|e| Kind::CorruptTar(e.to_string()))?;
        if head.is_empty() {
            return Err(Kind::NotAnImage("empty file".into()));
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            store.read_entries(flate2::read::MultiGzDecoder::new(input))?;
        } else {
            store.read_entries(input)?;
        }
        if store.files.is_empty() {
            return Err(Kind::NotAnImage("the archive holds no files".into()));
        }
        Ok(store)
    }

    fn read_entries(&mut self, input: impl Read) -> Result<(), Kind> {
        let corrupt = |e: io::Error| Kind::CorruptTar(e.to_string());
        let mut archive = tar::Archive::new(input);
        for (n, entry) in archive.entries().map_err(corrupt)?.enumerate() {
            let mut entry = entry.map_err(corrupt)?;
            let raw = entry.path().map_err(corrupt)?.to_string_lossy().into_owned();
            let Some(path) = normalize(&raw).filter(|p| !p.is_empty()) else { continue };
            self.files.remove(&path);
            self.links.remove(&path);
            let kind = entry.header().entry_type();
            if kind.is_file() {
                let dest = self.dir.path().join(format!("{n}"));
                let mut out = File::create(&dest).map_err(Kind::io(&dest))?;
                io::copy(&mut entry, &mut out).map_err(|e| Kind::CorruptTar(format!("{raw}: {e}")))?;
                self.files.insert(path, dest);
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry.link_name().map_err(corrupt)?.map(|t| t.to_string_lossy().into_owned());
                let Some(target) = target else { continue };
                let resolved = if kind.is_hard_link() {
                    normalize(&target)
                } else if target.starts_with('/') {
                    None // would point into the host, never followed
                } else {
                    normalize(&format!("{path}/../{target}"))
                };
                if let Some(resolved) = resolved {
                    self.links.insert(path, resolved);
                }
            }
        }
        Ok(())
    }

    fn lookup(&self, path: &str) -> Option<&PathBuf> {
        let mut current = normalize(path)?;
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(file) = self.files.get(&current) {
                return Some(file);
            }
            current = self.links.get(&current)?.clone();
        }
        None
    }

    /// Where the temporary files are (for tests).
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Store for TarStore {
    fn open(&self, path: &str) -> Result<(File, u64), Kind> {
        let file = self.lookup(path).ok_or_else(|| Kind::Missing(path.to_string()))?;
        open_file(file, path)
    }
}

impl BlobStore for TarStore {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        read_all(self, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_paths_inside() {
        assert_eq!(normalize("./a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("/blobs//sha256/x").as_deref(), Some("blobs/sha256/x"));
        assert_eq!(normalize("a/../../etc/passwd"), None);
        assert_eq!(normalize("..").as_deref(), None);
    }
}
