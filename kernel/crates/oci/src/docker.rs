//! Reading `docker save` archives: an in-memory [`ArchiveStore`] over the tar, and
//! [`open_docker_archive`] following `manifest.json` (falling back to the OCI layout that
//! Docker 25+ also writes into the archive).
//!
//! Integrity: the configuration must hash to the digest its file name carries
//! (`<hex>.json` or `blobs/sha256/<hex>`), and every layer is checked against the
//! configuration's `diff_ids` when read ([`crate::Image::layer_tar`]).
//! Archives from Docker < 1.10 (only a `repositories` file) are not supported.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use errno::Errno;
use ocitar::{normalize, Archive, EntryKind, TarError};

use crate::digest::Digest;
use crate::image::parse_image_config;
use crate::json::{decode, Node};
use crate::layout::{
    check_platform, doc_problem, open_layout, read_document, BlobStore, Image, Layer, LayoutError,
};

/// How many symlinks a path lookup in an archive may follow.
const MAX_LINK_HOPS: usize = 8;

/// The regular files and symlinks of an uncompressed tar, readable as a [`BlobStore`].
/// File contents are borrowed from the archive buffer.
#[derive(Debug, Clone, Default)]
pub struct ArchiveStore<'a> {
    files: BTreeMap<String, &'a [u8]>,
    links: BTreeMap<String, String>,
}

impl<'a> ArchiveStore<'a> {
    /// Indexes an uncompressed tar (use [`ocitar::decompress`] first for `.tar.gz`).
    /// Later entries replace earlier ones with the same path; unsafe paths are skipped.
    pub fn new(tar: &'a [u8]) -> Result<Self, TarError> {
        let mut store = ArchiveStore::default();
        for entry in Archive::new(tar) {
            let entry = entry?;
            let Some(path) = normalize(&entry.path) else { continue };
            store.files.remove(&path);
            store.links.remove(&path);
            match entry.kind {
                EntryKind::File => {
                    store.files.insert(path, entry.data);
                }
                EntryKind::Symlink(target) => {
                    // Relative targets resolve against the link's directory.
                    let joined = if target.starts_with('/') { target } else { format!("{}/../{target}", path) };
                    if let Some(resolved) = normalize(&joined) {
                        store.links.insert(path, resolved);
                    }
                }
                EntryKind::HardLink(target) => {
                    if let Some(data) = normalize(&target).and_then(|t| store.files.get(&t).copied()) {
                        store.files.insert(path, data);
                    }
                }
                _ => {}
            }
        }
        Ok(store)
    }

    /// Whether a regular file (or a symlink to one) exists at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.lookup(path).is_ok()
    }

    fn lookup(&self, path: &str) -> Result<&'a [u8], Errno> {
        let mut current = normalize(path).ok_or(Errno::ENOENT)?;
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(data) = self.files.get(&current) {
                return Ok(data);
            }
            current = self.links.get(&current).ok_or(Errno::ENOENT)?.clone();
        }
        Err(Errno::ELOOP)
    }
}

impl BlobStore for ArchiveStore<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        self.lookup(path).map(<[u8]>::to_vec)
    }
}

/// One entry of `manifest.json`.
struct SavedImage {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

/// Opens the image named `reference` (a `RepoTags` entry such as `busybox:latest`; a
/// missing tag means `:latest`) from a `docker save` archive, or the only one when `None`.
pub fn open_docker_archive(store: &ArchiveStore<'_>, reference: Option<&str>) -> Result<Image, LayoutError> {
    if !store.contains("manifest.json") && store.contains("oci-layout") {
        return open_layout(store, reference);
    }
    let saved = parse_saved_manifest(&read_document(store, "manifest.json")?)?;
    let chosen = choose_saved(&saved, reference)?;
    let config_digest = digest_from_file_name(&chosen.config)
        .ok_or_else(|| doc_problem("manifest.json", "Config", format!("cannot tell the digest of {:?}", chosen.config)))?;
    let config_blob = read_document(store, &chosen.config)?;
    let actual = Digest::of(&config_blob);
    if actual != config_digest {
        return Err(LayoutError::DigestMismatch { expected: config_digest, actual });
    }
    let config = parse_image_config(&format!("config {config_digest}"), &config_blob)?;
    check_platform(&config)?;
    let diff_ids = &config.rootfs.diff_ids;
    if chosen.layers.len() != diff_ids.len() {
        return Err(LayoutError::LayerCountMismatch { layers: chosen.layers.len(), diff_ids: diff_ids.len() });
    }
    let layers = chosen
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(path, diff_id)| Layer { path: path.clone(), blob: None, diff_id: *diff_id })
        .collect();
    // Fail early on a missing layer file rather than when the kernel gets to it.
    for path in &chosen.layers {
        store.lookup(path).map_err(|errno| LayoutError::Read { path: path.clone(), errno })?;
    }
    Ok(Image { manifest_digest: None, config_digest, config, layers })
}

fn parse_saved_manifest(bytes: &[u8]) -> Result<Vec<SavedImage>, LayoutError> {
    Ok(decode("manifest.json", bytes, |root| {
        root.array(|entry| {
            let o = entry.object()?;
            Ok(SavedImage {
                config: o.req("Config")?.string()?,
                repo_tags: o.or_default("RepoTags", Node::strings)?,
                layers: o.req("Layers")?.strings()?,
            })
        })
    })?)
}

fn choose_saved<'s>(saved: &'s [SavedImage], reference: Option<&str>) -> Result<&'s SavedImage, LayoutError> {
    let tags = || saved.iter().flat_map(|s| s.repo_tags.iter().cloned()).collect::<Vec<_>>();
    match (reference, saved) {
        (None, []) => Err(LayoutError::Empty),
        (None, [only]) => Ok(only),
        (None, _) => Err(LayoutError::Ambiguous { available: tags() }),
        (Some(r), _) => {
            let with_tag = if r.rsplit('/').next().is_some_and(|last| last.contains(':')) { r.to_string() } else { format!("{r}:latest") };
            saved
                .iter()
                .find(|s| s.repo_tags.contains(&with_tag))
                .ok_or_else(|| LayoutError::NoSuchImage { reference: r.to_string(), available: tags() })
        }
    }
}

/// The digest a `docker save` file name carries: `<hex>.json` or `blobs/sha256/<hex>`.
fn digest_from_file_name(path: &str) -> Option<Digest> {
    let name = path.rsplit('/').next()?;
    let hex = name.strip_suffix(".json").unwrap_or(name);
    Digest::from_hex(hex).ok()
}
