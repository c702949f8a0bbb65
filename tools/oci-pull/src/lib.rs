//! oci-pull: pulls one image from an OCI distribution registry (Docker Hub, a local
//! `docker-registry`, ...) into an OCI image layout, linux/amd64 only.
//!
//! [`pull`]: `GET /v2/` (bearer-token auth when the registry answers 401 with a
//! `WWW-Authenticate` challenge, as Docker Hub does), the manifest by tag or digest with
//! `Accept` for the OCI index/manifest and the Docker v2 manifest list/manifest, the
//! linux/amd64 entry of an index, then the config and layer blobs. Every document and blob
//! is checked against its digest and size (a blob while it streams to disk; its length is
//! capped at the descriptor's). The layout written has `oci-layout`, `index.json` (one
//! manifest, `org.opencontainers.image.ref.name` = the tag, `io.containerd.image.name` =
//! the full reference) and `blobs/sha256/...`, with the registry's manifest byte for byte.
//!
//! Plain HTTP is used for loopback registries and with `insecure`, HTTPS otherwise.
//! Invariant: a failed pull removes what it wrote.
//!
//! [`local_registry`] starts Debian's `docker-registry` on loopback for tests.
//!
//! Depends on `ureq` (blocking HTTP, rustls), the kernel's `oci` crate (documents,
//! digests), `ociimport` (the layout writer).

pub mod challenge;
pub mod local_registry;
pub mod reference;
mod registry;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use oci::image::{media, media_kind, parse_image_config, parse_index, parse_manifest, MediaKind};
use oci::layout::{PLATFORM_ARCH, PLATFORM_OS};
use oci::{Descriptor, Digest};
use ociimport::{BlobRef, Kind, LayoutWriter};

pub use reference::Reference;
use registry::Registry;

/// What the manifest request accepts.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// Why a pull failed (one line each).
#[derive(Debug)]
pub enum PullError {
    BadReference(String),
    /// The registry could not be reached (connection, TLS, timeout).
    Connect { url: String, why: String },
    /// The registry answered something other than 200.
    Status { what: String, url: String, status: u16, detail: String },
    /// Authentication failed or is not supported.
    Auth { url: String, why: String },
    /// A document is malformed, of an unsupported type, or does not match its digest.
    Invalid(String),
    /// An index lists no linux/amd64 image.
    NoPlatform { available: Vec<String> },
    /// Writing the layout failed, or a blob did not match its descriptor.
    Write(Kind),
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::BadReference(why) => f.write_str(why),
            PullError::Connect { url, why } => write!(f, "cannot reach {url}: {why}"),
            PullError::Status { what, url, status, detail } => {
                let meaning = match status {
                    404 => " not found",
                    401 | 403 => " denied",
                    _ => "",
                };
                write!(f, "{what}{meaning}: {url} answered {status}{detail}")
            }
            PullError::Auth { url, why } => write!(f, "authenticating for {url}: {why}"),
            PullError::Invalid(why) => f.write_str(why),
            PullError::NoPlatform { available } => write!(
                f,
                "no {PLATFORM_OS}/{PLATFORM_ARCH} image in the index (it has: {})",
                if available.is_empty() { "nothing usable".to_string() } else { available.join(", ") }
            ),
            PullError::Write(kind) => kind.fmt(f),
        }
    }
}

impl std::error::Error for PullError {}

impl From<Kind> for PullError {
    fn from(k: Kind) -> Self {
        PullError::Write(k)
    }
}

/// What was pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub dir: PathBuf,
    /// The full reference, e.g. `docker.io/library/busybox:latest`.
    pub reference: String,
    /// The digest of the platform manifest stored in the layout.
    pub manifest: Digest,
    /// The digest the tag pointed at (an index for multi-platform images).
    pub top_digest: Digest,
    pub config: Digest,
    pub layers: Vec<Digest>,
}

/// Options for [`pull`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Plain HTTP even for a registry that is not on loopback.
    pub insecure: bool,
    /// Progress lines on stderr.
    pub verbose: bool,
    /// Also build the image store (`erofs/`, one EROFS image per layer, see
    /// `ociimport::build_store`), so the layout can go onto the data disk as it is.
    pub store: bool,
}

/// Pulls `reference` into the new layout directory `dest` (which must not exist, or be empty).
pub fn pull(reference: &Reference, dest: &Path, options: &Options) -> Result<Pulled, PullError> {
    let existed = dest.exists();
    let writer = LayoutWriter::create(dest)?;
    let result = pull_into(reference, &writer, options);
    match result {
        Ok(pulled) => {
            let tag = reference.tag.as_deref();
            writer.finish(&pulled.1, pulled.2, tag, Some(&reference.to_string()))?;
            if options.store {
                if let Err(e) = ociimport::build_store(dest) {
                    let _ = std::fs::remove_dir_all(dest);
                    return Err(PullError::Write(e));
                }
            }
            Ok(pulled.0)
        }
        Err(e) => {
            if existed {
                for entry in ["oci-layout", "index.json"] {
                    let _ = std::fs::remove_file(dest.join(entry));
                }
                let _ = std::fs::remove_dir_all(dest.join("blobs"));
            } else {
                let _ = std::fs::remove_dir_all(dest);
            }
            Err(e)
        }
    }
}

/// A fetched document: bytes, digest, media type.
struct Document {
    bytes: Vec<u8>,
    digest: Digest,
    media_type: String,
}

fn fetch_document(
    registry: &mut Registry,
    reference: &str,
    expected: Option<(Digest, Option<u64>)>,
    what: &str,
) -> Result<Document, PullError> {
    let mut response = registry.get_object("manifests", reference, ACCEPT_MANIFESTS, what)?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type");
    let server_digest = header("docker-content-digest");
    let bytes = response
        .body_mut()
        .with_config()
        .limit(oci::MAX_DOCUMENT)
        .read_to_vec()
        .map_err(|e| PullError::Invalid(format!("{what}: reading the manifest: {e}")))?;
    let digest = Digest::of(&bytes);
    if let Some((want, size)) = expected {
        if digest != want {
            return Err(Kind::DigestMismatch { what: what.to_string(), expected: want, actual: digest }.into());
        }
        if let Some(size) = size.filter(|s| *s != bytes.len() as u64) {
            return Err(Kind::SizeMismatch { what: what.to_string(), expected: size, actual: bytes.len() as u64 }.into());
        }
    } else if let Some(claimed) = server_digest.as_deref().filter(|d| d.starts_with("sha256:")) {
        let claimed = Digest::parse(claimed).map_err(|e| PullError::Invalid(format!("{what}: Docker-Content-Digest: {e}")))?;
        if claimed != digest {
            return Err(Kind::DigestMismatch { what: format!("{what} (Docker-Content-Digest)"), expected: claimed, actual: digest }.into());
        }
    }
    let in_body = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(str::to_string));
    let content_type = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_string());
    let media_type = in_body
        .or(content_type.filter(|c| media_kind(c) != MediaKind::Other))
        .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
    Ok(Document { bytes, digest, media_type })
}

/// Picks linux/amd64 from an index.
fn choose_platform(index: &[Descriptor]) -> Result<Descriptor, PullError> {
    let usable = || index.iter().filter(|d| matches!(d.kind(), MediaKind::Manifest | MediaKind::Index));
    usable()
        .find(|d| d.platform.as_ref().is_some_and(|p| p.os == PLATFORM_OS && p.architecture == PLATFORM_ARCH))
        .cloned()
        .ok_or_else(|| PullError::NoPlatform {
            available: usable()
                .filter_map(|d| d.platform.as_ref())
                .map(|p| if p.variant.is_empty() { format!("{}/{}", p.os, p.architecture) } else { format!("{}/{}/{}", p.os, p.architecture, p.variant) })
                .collect(),
        })
}

/// Streams one blob into the layout, verified.
fn fetch_blob(registry: &mut Registry, writer: &LayoutWriter, desc: &Descriptor, what: &str) -> Result<BlobRef, PullError> {
    let expected = BlobRef { digest: desc.digest, size: desc.size };
    if writer.has_blob(&desc.digest) {
        return Ok(expected);
    }
    let response = registry.get_object("blobs", &desc.digest.to_string(), "*/*", what)?;
    // Never more than one byte past the descriptor: a longer body fails the size check.
    let mut body = response.into_body().into_reader().take(desc.size.saturating_add(1));
    Ok(writer.add_blob(&mut body, Some(expected), what)?)
}

fn pull_into(reference: &Reference, writer: &LayoutWriter, options: &Options) -> Result<(Pulled, String, BlobRef), PullError> {
    let say = |msg: String| {
        if options.verbose {
            eprintln!("oci-pull: {msg}");
        }
    };
    let mut registry = Registry::new(reference, options.insecure);
    registry.ping()?;
    let wanted = reference.manifest_ref();
    let top = fetch_document(&mut registry, &wanted, reference.digest.map(|d| (d, None)), &format!("manifest {reference}"))?;
    let top_digest = top.digest;
    let mut manifest = top;
    for _ in 0..4 {
        match media_kind(&manifest.media_type) {
            MediaKind::Index => {
                let index = parse_index("index", &manifest.bytes).map_err(|e| PullError::Invalid(e.to_string()))?;
                let chosen = choose_platform(&index.manifests)?;
                say(format!("{reference}: index {}, taking {PLATFORM_OS}/{PLATFORM_ARCH} {}", manifest.digest, chosen.digest));
                let what = format!("manifest {}", chosen.digest);
                manifest = fetch_document(&mut registry, &chosen.digest.to_string(), Some((chosen.digest, Some(chosen.size))), &what)?;
            }
            MediaKind::Manifest => break,
            _ => {
                return Err(PullError::Invalid(format!(
                    "{reference}: unsupported manifest type {:?} (Docker schema 1 images are not supported)",
                    manifest.media_type
                )))
            }
        }
    }
    if media_kind(&manifest.media_type) != MediaKind::Manifest {
        return Err(PullError::Invalid(format!("{reference}: image indexes nest too deeply")));
    }
    let parsed = parse_manifest("manifest", &manifest.bytes).map_err(|e| PullError::Invalid(e.to_string()))?;
    if parsed.config.kind() != MediaKind::Config {
        return Err(PullError::Invalid(format!("{reference}: not a container image (config type {:?})", parsed.config.media_type)));
    }
    let config = fetch_blob(&mut registry, writer, &parsed.config, "config")?;
    let config_bytes = std::fs::read(writer.dir().join(config.digest.blob_path())).map_err(Kind::io(writer.dir()))?;
    let image_config = parse_image_config("config", &config_bytes).map_err(|e| PullError::Invalid(e.to_string()))?;
    if image_config.os != PLATFORM_OS || image_config.architecture != PLATFORM_ARCH {
        return Err(PullError::NoPlatform { available: vec![format!("{}/{}", image_config.os, image_config.architecture)] });
    }
    let mut layers = Vec::new();
    for (i, layer) in parsed.layers.iter().enumerate() {
        if layer.kind() != MediaKind::Layer {
            return Err(PullError::Invalid(format!("layer {i}: unsupported media type {:?}", layer.media_type)));
        }
        say(format!("layer {i}: {} ({} bytes)", layer.digest, layer.size));
        fetch_blob(&mut registry, writer, layer, &format!("layer {i} ({})", layer.digest))?;
        layers.push(layer.digest);
    }
    let manifest_ref = writer.add_bytes(&manifest.bytes)?;
    let pulled = Pulled {
        dir: writer.dir().to_path_buf(),
        reference: reference.to_string(),
        manifest: manifest.digest,
        top_digest,
        config: config.digest,
        layers,
    };
    Ok((pulled, manifest.media_type, manifest_ref))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci::Platform;

    fn desc(os: &str, arch: &str, n: u8) -> Descriptor {
        Descriptor {
            media_type: media::OCI_MANIFEST.into(),
            digest: Digest::of(&[n]),
            size: 1,
            annotations: Default::default(),
            platform: Some(Platform { os: os.into(), architecture: arch.into(), variant: String::new() }),
        }
    }

    #[test]
    fn platform_choice() {
        let index = [desc("linux", "arm64", 1), desc("linux", "amd64", 2)];
        assert_eq!(choose_platform(&index).unwrap().digest, Digest::of(&[2]));
        let err = choose_platform(&index[..1]).unwrap_err();
        assert_eq!(err.to_string(), "no linux/amd64 image in the index (it has: linux/arm64)");
    }
}
