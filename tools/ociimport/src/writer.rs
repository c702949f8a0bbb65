//! [`LayoutWriter`]: writes an OCI image layout (`oci-layout`, `blobs/sha256/<hex>`,
//! `index.json` naming one manifest), hashing every blob as it is streamed in.
//!
//! Invariant: a file under `blobs/sha256/` always holds content that hashes to its name;
//! blobs are written to `<hex>.part`-style temporary names and renamed once checked.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use oci::image::{media, CONTAINERD_IMAGE_NAME, REF_NAME};
use oci::Digest;
use sha2::{Digest as _, Sha256};

use crate::error::Kind;

/// A blob's address and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRef {
    pub digest: Digest,
    pub size: u64,
}

/// Copies `input` to `out` and returns the SHA-256 and length of what passed.
pub fn copy_hashing(input: &mut impl Read, out: &mut impl Write) -> io::Result<BlobRef> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        size += n as u64;
    }
    Ok(BlobRef { digest: digest_from(hasher), size })
}

/// The SHA-256 and length of everything `input` yields.
pub fn hash_reader(input: &mut impl Read) -> io::Result<BlobRef> {
    copy_hashing(input, &mut io::sink())
}

fn digest_from(hasher: Sha256) -> Digest {
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    // 64 lowercase hex digits by construction.
    Digest::from_hex(&hex).unwrap_or_else(|_| unreachable!("sha256 hex is always valid"))
}

/// An OCI image layout being written into a directory.
pub struct LayoutWriter {
    dir: PathBuf,
    blobs: PathBuf,
}

impl LayoutWriter {
    /// Creates `dir` (which must not exist yet, or be empty) with `oci-layout` and `blobs/sha256`.
    pub fn create(dir: &Path) -> Result<LayoutWriter, Kind> {
        if fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(Kind::Io {
                path: dir.to_path_buf(),
                error: io::Error::new(io::ErrorKind::AlreadyExists, "directory exists and is not empty"),
            });
        }
        let blobs = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(Kind::io(&blobs))?;
        let marker = dir.join("oci-layout");
        fs::write(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(Kind::io(&marker))?;
        Ok(LayoutWriter { dir: dir.to_path_buf(), blobs })
    }

    /// The layout's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Streams a blob in. With `expected`, its digest and size must match or nothing is kept
    /// (`what` names the blob in the error).
    pub fn add_blob(&self, input: &mut impl Read, expected: Option<BlobRef>, what: &str) -> Result<BlobRef, Kind> {
        let part = tempfile::Builder::new().suffix(".part").tempfile_in(&self.blobs).map_err(Kind::io(&self.blobs))?;
        let mut out = io::BufWriter::new(part.as_file());
        let got = copy_hashing(input, &mut out).map_err(|e| Kind::Io { path: PathBuf::from(what), error: e })?;
        out.flush().map_err(Kind::io(part.path()))?;
        drop(out);
        if let Some(want) = expected {
            if got.size != want.size {
                return Err(Kind::SizeMismatch { what: what.to_string(), expected: want.size, actual: got.size });
            }
            if got.digest != want.digest {
                return Err(Kind::DigestMismatch { what: what.to_string(), expected: want.digest, actual: got.digest });
            }
        }
        let dest = self.blobs.join(got.digest.hex());
        part.persist(&dest).map_err(|e| Kind::Io { path: dest, error: e.error })?;
        Ok(got)
    }

    /// Adds a blob held in memory.
    pub fn add_bytes(&self, bytes: &[u8]) -> Result<BlobRef, Kind> {
        self.add_blob(&mut &bytes[..], None, "document")
    }

    /// Whether the blob is already in the layout.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blobs.join(digest.hex()).is_file()
    }

    /// Writes `index.json` naming the one manifest with, when known, `ref_name` (a tag such
    /// as `latest`) and the full reference the image came from.
    pub fn finish(self, manifest_media_type: &str, manifest: BlobRef, ref_name: Option<&str>, full_ref: Option<&str>) -> Result<PathBuf, Kind> {
        let mut annotations = serde_json::Map::new();
        if let Some(tag) = ref_name {
            annotations.insert(REF_NAME.into(), tag.into());
        }
        if let Some(full) = full_ref {
            annotations.insert(CONTAINERD_IMAGE_NAME.into(), full.into());
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": [{
                "mediaType": manifest_media_type,
                "digest": manifest.digest.to_string(),
                "size": manifest.size,
                "annotations": annotations,
                "platform": { "architecture": oci::layout::PLATFORM_ARCH, "os": oci::layout::PLATFORM_OS },
            }],
        });
        let path = self.dir.join("index.json");
        let mut file = File::create(&path).map_err(Kind::io(&path))?;
        serde_json::to_writer(&mut file, &index)
            .map_err(|e| Kind::Io { path: path.clone(), error: e.into() })?;
        file.write_all(b"\n").map_err(Kind::io(&path))?;
        Ok(self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_their_hash_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let w = LayoutWriter::create(&tmp.path().join("l")).unwrap();
        let b = w.add_bytes(b"hello").unwrap();
        assert_eq!(b.size, 5);
        assert_eq!(b.digest, Digest::of(b"hello"));
        assert!(w.has_blob(&b.digest));
        let wrong = BlobRef { digest: Digest::of(b"other"), size: 5 };
        assert!(matches!(w.add_blob(&mut &b"hello"[..], Some(wrong), "x"), Err(Kind::DigestMismatch { .. })));
        let short = BlobRef { digest: b.digest, size: 4 };
        assert!(matches!(w.add_blob(&mut &b"hello"[..], Some(short), "x"), Err(Kind::SizeMismatch { .. })));
        // Only the good blob (no leftovers from the refused ones).
        assert_eq!(fs::read_dir(tmp.path().join("l/blobs/sha256")).unwrap().count(), 1);
        assert!(LayoutWriter::create(&tmp.path().join("l")).is_err(), "a non-empty directory is refused");
    }
}
