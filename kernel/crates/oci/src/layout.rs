//! Reading an OCI image layout through a caller-supplied [`BlobStore`], verifying every blob.
//!
//! `oci-layout` → `index.json` → (nested indexes, choosing linux/amd64) → manifest →
//! configuration + layers. Every content-addressed blob is checked against its
//! descriptor's size and sha256 before it is parsed or returned; every uncompressed layer
//! against the configuration's `diff_ids`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use errno::Errno;
use ocitar::{decompress, TarError};

use crate::digest::Digest;
use crate::error::{DocError, Problem};
use crate::image::{
    parse_image_config, parse_index, parse_manifest, Descriptor, ImageConfig, ImageIndex, Manifest, MediaKind,
    CONTAINERD_IMAGE_NAME,
};
use crate::json::decode;

/// The largest JSON document (index, manifest, configuration) accepted, in bytes.
pub const MAX_DOCUMENT: u64 = 4 << 20;
/// How deep nested indexes may go.
const MAX_INDEX_DEPTH: usize = 4;
/// The platform the kernel runs.
pub const PLATFORM_OS: &str = "linux";
pub const PLATFORM_ARCH: &str = "amd64";

/// Read access to the files of an image layout (or of an unpacked archive).
/// Paths are relative to the layout root: `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
pub trait BlobStore {
    /// The whole file at `path`; `ENOENT` if absent.
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno>;
}

/// Why an image could not be opened or a layer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// The store could not read a file.
    Read { path: String, errno: Errno },
    /// A JSON document is malformed.
    Doc(DocError),
    /// `oci-layout` is missing or names an unsupported version.
    NotALayout(String),
    /// No manifest carries the requested reference; lists the available ones.
    NoSuchImage { reference: String, available: Vec<String> },
    /// The index (or `docker save` manifest) lists no image at all.
    Empty,
    /// No reference was given and the index holds several images.
    Ambiguous { available: Vec<String> },
    /// An index has no manifest for linux/amd64.
    NoMatchingPlatform,
    /// Indexes nest deeper than the limit.
    TooDeep,
    /// A descriptor points at a blob of the wrong kind.
    UnexpectedMediaType { media_type: String },
    /// A blob's size differs from its descriptor.
    SizeMismatch { digest: Digest, expected: u64, actual: u64 },
    /// A blob's content does not hash to its digest.
    DigestMismatch { expected: Digest, actual: Digest },
    /// An uncompressed layer does not hash to its `diff_id`.
    DiffIdMismatch { layer: usize, expected: Digest, actual: Digest },
    /// The manifest's layer count differs from the configuration's `diff_ids`.
    LayerCountMismatch { layers: usize, diff_ids: usize },
    /// The image is for another platform.
    WrongPlatform { os: String, architecture: String },
    /// A document is larger than [`MAX_DOCUMENT`].
    TooLarge { path: String },
    /// The layer index is out of range.
    NoSuchLayer(usize),
    /// A layer or archive could not be decompressed or read.
    Tar(TarError),
}

impl LayoutError {
    pub fn errno(&self) -> Errno {
        match self {
            LayoutError::Read { errno, .. } => *errno,
            LayoutError::NoSuchImage { .. } | LayoutError::NoSuchLayer(_) | LayoutError::Empty => Errno::ENOENT,
            LayoutError::NoMatchingPlatform | LayoutError::WrongPlatform { .. } => Errno::ENOEXEC,
            LayoutError::TooLarge { .. } => Errno::EFBIG,
            LayoutError::Tar(e) => e.errno(),
            _ => Errno::EINVAL,
        }
    }
}

impl From<LayoutError> for Errno {
    fn from(e: LayoutError) -> Self {
        e.errno()
    }
}

impl From<DocError> for LayoutError {
    fn from(e: DocError) -> Self {
        LayoutError::Doc(e)
    }
}

impl From<TarError> for LayoutError {
    fn from(e: TarError) -> Self {
        LayoutError::Tar(e)
    }
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Read { path, errno } => write!(f, "{path}: {}", errno.message()),
            LayoutError::Doc(e) => e.fmt(f),
            LayoutError::NotALayout(why) => write!(f, "not an OCI image layout: {why}"),
            LayoutError::NoSuchImage { reference, available } => {
                write!(f, "no image named {reference:?} (available: {})", available.join(", "))
            }
            LayoutError::Empty => f.write_str("the archive lists no image"),
            LayoutError::Ambiguous { available } => {
                write!(f, "several images, name one of: {}", available.join(", "))
            }
            LayoutError::NoMatchingPlatform => write!(f, "no image for {PLATFORM_OS}/{PLATFORM_ARCH} in the index"),
            LayoutError::TooDeep => f.write_str("image indexes nest too deeply"),
            LayoutError::UnexpectedMediaType { media_type } => write!(f, "unexpected media type {media_type:?}"),
            LayoutError::SizeMismatch { digest, expected, actual } => {
                write!(f, "blob {digest}: size {actual}, descriptor says {expected}")
            }
            LayoutError::DigestMismatch { expected, actual } => {
                write!(f, "blob {expected}: content hashes to {actual}")
            }
            LayoutError::DiffIdMismatch { layer, expected, actual } => {
                write!(f, "layer {layer}: uncompressed content hashes to {actual}, diff_id is {expected}")
            }
            LayoutError::LayerCountMismatch { layers, diff_ids } => {
                write!(f, "manifest has {layers} layers but the config lists {diff_ids} diff_ids")
            }
            LayoutError::WrongPlatform { os, architecture } => {
                write!(f, "image is for {os}/{architecture}, not {PLATFORM_OS}/{PLATFORM_ARCH}")
            }
            LayoutError::TooLarge { path } => write!(f, "{path}: document too large"),
            LayoutError::NoSuchLayer(i) => write!(f, "no layer {i}"),
            LayoutError::Tar(e) => e.fmt(f),
        }
    }
}

/// Where one layer's bytes are and what they must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Path of the blob in the store.
    pub path: String,
    /// The blob's descriptor digest and size, when it has one (not in old `docker save`).
    pub blob: Option<(Digest, u64)>,
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
}

/// A resolved image: its configuration and layers, base first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The manifest's digest, when the image came from a manifest.
    pub manifest_digest: Option<Digest>,
    pub config_digest: Digest,
    pub config: ImageConfig,
    pub layers: Vec<Layer>,
}

impl Image {
    /// Reads layer `index` and returns its uncompressed tar (at most `limit` bytes),
    /// verifying the blob digest/size and the `diff_id`.
    pub fn layer_tar(&self, store: &dyn BlobStore, index: usize, limit: usize) -> Result<Vec<u8>, LayoutError> {
        let layer = self.layers.get(index).ok_or(LayoutError::NoSuchLayer(index))?;
        let blob = read_file(store, &layer.path)?;
        if let Some((digest, size)) = layer.blob {
            verify(&blob, &digest, size)?;
        }
        let tar = decompress(&blob, limit)?.into_owned();
        let actual = Digest::of(&tar);
        if actual != layer.diff_id {
            return Err(LayoutError::DiffIdMismatch { layer: index, expected: layer.diff_id, actual });
        }
        Ok(tar)
    }
}

pub(crate) fn read_file(store: &dyn BlobStore, path: &str) -> Result<Vec<u8>, LayoutError> {
    store.read(path).map_err(|errno| LayoutError::Read { path: path.to_string(), errno })
}

/// Reads a JSON document from the store, refusing oversized ones.
pub(crate) fn read_document(store: &dyn BlobStore, path: &str) -> Result<Vec<u8>, LayoutError> {
    let bytes = read_file(store, path)?;
    if bytes.len() as u64 > MAX_DOCUMENT {
        return Err(LayoutError::TooLarge { path: path.to_string() });
    }
    Ok(bytes)
}

/// Checks a blob against its descriptor's size and digest.
pub fn verify(blob: &[u8], digest: &Digest, size: u64) -> Result<(), LayoutError> {
    let actual_size = blob.len() as u64;
    if actual_size != size {
        return Err(LayoutError::SizeMismatch { digest: *digest, expected: size, actual: actual_size });
    }
    let actual = Digest::of(blob);
    if actual != *digest {
        return Err(LayoutError::DigestMismatch { expected: *digest, actual });
    }
    Ok(())
}

/// Reads and verifies the blob a descriptor names.
pub fn read_blob(store: &dyn BlobStore, desc: &Descriptor) -> Result<Vec<u8>, LayoutError> {
    if matches!(desc.kind(), MediaKind::Index | MediaKind::Manifest | MediaKind::Config) && desc.size > MAX_DOCUMENT {
        return Err(LayoutError::TooLarge { path: desc.digest.blob_path() });
    }
    let blob = read_file(store, &desc.digest.blob_path())?;
    verify(&blob, &desc.digest, desc.size)?;
    Ok(blob)
}

/// Checks the `oci-layout` marker file.
pub fn check_layout_marker(store: &dyn BlobStore) -> Result<(), LayoutError> {
    let bytes = read_file(store, "oci-layout").map_err(|e| LayoutError::NotALayout(e.to_string()))?;
    let version = decode("oci-layout", &bytes, |root| root.object()?.req("imageLayoutVersion")?.string())?;
    if version.split('.').next() != Some("1") {
        return Err(LayoutError::NotALayout(format!("unsupported imageLayoutVersion {version:?}")));
    }
    Ok(())
}

/// Opens the image named `reference` (matched against `org.opencontainers.image.ref.name`,
/// then containerd's `io.containerd.image.name`), or the only image when `None`.
pub fn open_layout(store: &dyn BlobStore, reference: Option<&str>) -> Result<Image, LayoutError> {
    check_layout_marker(store)?;
    let index = parse_index("index.json", &read_document(store, "index.json")?)?;
    let candidates = select_by_reference(&index, reference)?;
    let desc = choose_platform(&candidates)?;
    let manifest_desc = resolve_to_manifest(store, desc, 0)?;
    image_from_manifest(store, &manifest_desc)
}

/// The names an index offers, for error messages.
fn available_names(index: &ImageIndex) -> Vec<String> {
    let mut names: Vec<String> = index.manifests.iter().filter_map(|d| d.ref_name().map(ToOwned::to_owned)).collect();
    names.sort();
    names.dedup();
    names
}

/// The top-level descriptors matching `reference` (several when they differ by platform).
fn select_by_reference(index: &ImageIndex, reference: Option<&str>) -> Result<Vec<Descriptor>, LayoutError> {
    let matches: Vec<Descriptor> = match reference {
        Some(r) => {
            let by = |key: &str| -> Vec<Descriptor> {
                index.manifests.iter().filter(|d| d.annotations.get(key).is_some_and(|v| v == r)).cloned().collect()
            };
            let found = by(crate::image::REF_NAME);
            if found.is_empty() { by(CONTAINERD_IMAGE_NAME) } else { found }
        }
        None => index.manifests.clone(),
    };
    if matches.is_empty() {
        return Err(match reference {
            Some(r) => LayoutError::NoSuchImage { reference: r.to_string(), available: available_names(index) },
            None => LayoutError::Empty,
        });
    }
    if reference.is_none() && matches.len() > 1 {
        let names = available_names(index);
        let distinct_platforms = matches.iter().all(|d| d.platform.is_some());
        if !distinct_platforms {
            return Err(LayoutError::Ambiguous { available: names });
        }
    }
    Ok(matches)
}

/// Picks the linux/amd64 descriptor; a lone descriptor without platform is taken as is.
fn choose_platform(candidates: &[Descriptor]) -> Result<Descriptor, LayoutError> {
    if let [only] = candidates {
        if only.platform.as_ref().is_none_or(is_native) {
            return Ok(only.clone());
        }
    }
    candidates
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(is_native))
        .or_else(|| candidates.iter().find(|d| d.platform.is_none()))
        .cloned()
        .ok_or(LayoutError::NoMatchingPlatform)
}

fn is_native(p: &crate::image::Platform) -> bool {
    p.os == PLATFORM_OS && p.architecture == PLATFORM_ARCH
}

/// Follows nested indexes down to a manifest descriptor.
fn resolve_to_manifest(store: &dyn BlobStore, desc: Descriptor, depth: usize) -> Result<Descriptor, LayoutError> {
    match desc.kind() {
        MediaKind::Manifest => Ok(desc),
        MediaKind::Index if depth < MAX_INDEX_DEPTH => {
            let blob = read_blob(store, &desc)?;
            let nested = parse_index(&format!("index {}", desc.digest), &blob)?;
            let manifests: Vec<Descriptor> = nested
                .manifests
                .into_iter()
                .filter(|d| matches!(d.kind(), MediaKind::Manifest | MediaKind::Index))
                .collect();
            let chosen = choose_platform(&manifests)?;
            resolve_to_manifest(store, chosen, depth + 1)
        }
        MediaKind::Index => Err(LayoutError::TooDeep),
        _ => Err(LayoutError::UnexpectedMediaType { media_type: desc.media_type }),
    }
}

/// Reads a manifest and its configuration, and lists its layers.
fn image_from_manifest(store: &dyn BlobStore, desc: &Descriptor) -> Result<Image, LayoutError> {
    let manifest: Manifest = parse_manifest(&format!("manifest {}", desc.digest), &read_blob(store, desc)?)?;
    if manifest.config.kind() != MediaKind::Config {
        return Err(LayoutError::UnexpectedMediaType { media_type: manifest.config.media_type });
    }
    let config_blob = read_blob(store, &manifest.config)?;
    let config = parse_image_config(&format!("config {}", manifest.config.digest), &config_blob)?;
    check_platform(&config)?;
    let diff_ids = &config.rootfs.diff_ids;
    if manifest.layers.len() != diff_ids.len() {
        return Err(LayoutError::LayerCountMismatch { layers: manifest.layers.len(), diff_ids: diff_ids.len() });
    }
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (desc, diff_id) in manifest.layers.iter().zip(diff_ids) {
        if desc.kind() != MediaKind::Layer {
            return Err(LayoutError::UnexpectedMediaType { media_type: desc.media_type.clone() });
        }
        layers.push(Layer { path: desc.digest.blob_path(), blob: Some((desc.digest, desc.size)), diff_id: *diff_id });
    }
    Ok(Image { manifest_digest: Some(desc.digest), config_digest: manifest.config.digest, config, layers })
}

/// Rejects configurations for another OS or architecture.
pub(crate) fn check_platform(config: &ImageConfig) -> Result<(), LayoutError> {
    if config.os != PLATFORM_OS || config.architecture != PLATFORM_ARCH {
        return Err(LayoutError::WrongPlatform { os: config.os.clone(), architecture: config.architecture.clone() });
    }
    Ok(())
}

/// Parses a document, mapping the error into a [`LayoutError`] (for sibling modules).
pub(crate) fn doc_problem(doc: &str, path: &str, msg: String) -> LayoutError {
    LayoutError::Doc(DocError { doc: doc.to_string(), path: path.to_string(), problem: Problem::Invalid(msg) })
}
