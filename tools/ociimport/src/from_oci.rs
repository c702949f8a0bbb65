//! Importing from an OCI image layout (a directory, an `oci-archive` tar, or the OCI layout
//! Docker 25+ writes into `docker save` archives).
//!
//! The image is resolved with the kernel's own `oci::open_layout` (platform choice, nested
//! indexes, manifest and config checked against their digests) over an index narrowed to
//! the chosen entry; the manifest, config and layers are then copied unchanged, each layer
//! checked against its descriptor while it streams.

use std::path::Path;

use errno::Errno;
use oci::image::{media, parse_index, MediaKind, CONTAINERD_IMAGE_NAME};
use oci::layout::check_layout_marker;
use oci::{open_layout, BlobStore, Descriptor};

use crate::error::Kind;
use crate::name;
use crate::store::Store;
use crate::writer::{BlobRef, LayoutWriter};
use crate::Picked;

/// A store whose `index.json` is replaced by one listing only the chosen entries.
struct Narrowed<'a> {
    inner: &'a dyn Store,
    index: Vec<u8>,
}

impl BlobStore for Narrowed<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        if path == "index.json" {
            Ok(self.index.clone())
        } else {
            self.inner.read(path)
        }
    }
}

/// The name, tag and full reference an index entry carries.
struct Naming {
    name: Option<String>,
    tag: String,
    full_ref: Option<String>,
}

fn naming(desc: &Descriptor, source: &Path) -> Naming {
    let full = desc
        .annotations
        .get(CONTAINERD_IMAGE_NAME)
        .cloned()
        .or_else(|| desc.ref_name().filter(|r| name::is_full_reference(r)).map(str::to_string));
    match (full, desc.ref_name()) {
        (Some(full), ref_name) => {
            let tag = name::repo_and_tag(&full).1.or(ref_name.filter(|r| !name::is_full_reference(r)));
            Naming { name: name::from_reference(&full), tag: tag.unwrap_or("latest").to_string(), full_ref: Some(full) }
        }
        (None, tag) => Naming {
            name: name::from_file_and_tag(source, tag),
            tag: tag.unwrap_or("latest").to_string(),
            full_ref: None,
        },
    }
}

/// Copies the image chosen by `selector` (or the only one) from the layout in `store`.
pub fn import(store: &dyn Store, source: &Path, selector: Option<&str>, out: &LayoutWriter) -> Result<Picked, Kind> {
    check_layout_marker(&StoreRef(store))?;
    let bytes = store.read("index.json").map_err(|e| read_error("index.json", e))?;
    let index = parse_index("index.json", &bytes).map_err(|e| Kind::Invalid(e.to_string()))?;
    let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Kind::Invalid(format!("index.json: {e}")))?;
    let raw_entries = raw.get("manifests").and_then(|m| m.as_array()).cloned().unwrap_or_default();

    let entries: Vec<(usize, Naming)> = index
        .manifests
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.kind(), MediaKind::Index | MediaKind::Manifest))
        .map(|(i, d)| (i, naming(d, source)))
        .collect();
    let chosen = choose(&index.manifests, entries, selector)?;
    let narrowed_index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": chosen.iter().map(|(i, _)| raw_entries.get(*i).cloned().unwrap_or_default()).collect::<Vec<_>>(),
    });
    let narrowed = Narrowed { inner: store, index: narrowed_index.to_string().into_bytes() };
    let image = open_layout(&narrowed, None)?;
    let manifest_digest = image.manifest_digest.ok_or_else(|| Kind::Invalid("the index names no manifest".into()))?;

    let manifest = store.read(&manifest_digest.blob_path()).map_err(|e| read_error(&manifest_digest.blob_path(), e))?;
    let media_type = serde_json::from_slice::<serde_json::Value>(&manifest)
        .ok()
        .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
    let manifest_ref = out.add_blob(&mut &manifest[..], None, "manifest")?;
    let config = store.read(&image.config_digest.blob_path()).map_err(|e| read_error("config", e))?;
    out.add_blob(&mut &config[..], None, "config")?;
    let mut layers = Vec::new();
    for (i, layer) in image.layers.iter().enumerate() {
        let what = format!("layer {i} ({})", layer.path);
        let (mut file, _) = store.open(&layer.path)?;
        let expected = layer.blob.map(|(digest, size)| BlobRef { digest, size });
        let got = out.add_blob(&mut file, expected, &what)?;
        layers.push(got.digest);
    }
    let naming = &chosen[0].1;
    Ok(Picked {
        media_type,
        manifest: manifest_ref,
        config: image.config_digest,
        layers,
        tag: naming.tag.clone(),
        full_ref: naming.full_ref.clone(),
        name: naming.name.clone(),
    })
}

/// Keeps the entries of one image: all of them when they share a name (platform variants),
/// else the ones `selector` names.
fn choose(all: &[Descriptor], entries: Vec<(usize, Naming)>, selector: Option<&str>) -> Result<Vec<(usize, Naming)>, Kind> {
    let names = |e: &[(usize, Naming)]| {
        let mut n: Vec<String> = e.iter().map(|(_, n)| n.name.clone().unwrap_or_else(|| "(unnamed)".into())).collect();
        n.sort();
        n.dedup();
        n
    };
    if entries.is_empty() {
        return Err(Kind::Invalid("index.json lists no image".into()));
    }
    let available = names(&entries);
    let entries = match selector {
        Some(sel) if available.len() > 1 => {
            let matching: Vec<(usize, Naming)> = entries
                .into_iter()
                .filter(|(i, n)| {
                    let d = &all[*i];
                    n.name.as_deref() == Some(sel)
                        || d.ref_name() == Some(sel)
                        || d.annotations.get(CONTAINERD_IMAGE_NAME).is_some_and(|c| c == sel)
                })
                .collect();
            if matching.is_empty() {
                return Err(Kind::Choose(format!("no image named {sel:?} (available: {})", available.join(", "))));
            }
            matching
        }
        _ => entries,
    };
    let mut seen = Vec::new();
    let entries: Vec<(usize, Naming)> = entries.into_iter().filter(|(i, _)| {
        let fresh = !seen.contains(&all[*i].digest);
        seen.push(all[*i].digest);
        fresh
    }).collect();
    let available = names(&entries);
    if available.len() > 1 {
        return Err(Kind::Choose(format!(
            "several images ({}): choose one with --image NAME=PATH",
            available.join(", ")
        )));
    }
    Ok(entries)
}

fn read_error(path: &str, e: Errno) -> Kind {
    if e == Errno::ENOENT {
        Kind::Missing(path.to_string())
    } else {
        Kind::Invalid(format!("{path}: {}", e.message()))
    }
}

/// `&dyn Store` as a `&dyn BlobStore` (trait upcasting through a wrapper).
struct StoreRef<'a>(&'a dyn Store);

impl BlobStore for StoreRef<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        self.0.read(path)
    }
}
