//! Importing from a legacy `docker save` archive (or its unpacked directory):
//! `manifest.json` lists each image's `Config` (`<id>.json`, the image configuration whose
//! sha256 is the image id) and `Layers` (`<id>/layer.tar`, uncompressed tars).
//!
//! The OCI image is built from them: the configuration is kept byte for byte (so the image
//! id stays the config digest), layers are kept as they are (an uncompressed tar gets the
//! `application/vnd.oci.image.layer.v1.tar` media type, a gzip one `...tar+gzip`), and a new
//! OCI manifest names them. Every layer must hash (uncompressed) to its `diff_id`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use oci::image::{media, parse_image_config};
use oci::layout::{PLATFORM_ARCH, PLATFORM_OS};
use oci::Digest;

use crate::error::Kind;
use crate::name;
use crate::store::Store;
use crate::writer::{hash_reader, LayoutWriter};
use crate::Picked;

/// One entry of `manifest.json`.
struct Saved {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

fn parse_saved(bytes: &[u8]) -> Result<Vec<Saved>, Kind> {
    let bad = |why: &str| Kind::Invalid(format!("manifest.json: {why}"));
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
    let entries = value.as_array().ok_or_else(|| bad("expected an array"))?;
    let strings = |v: Option<&serde_json::Value>, field: &str| -> Result<Vec<String>, Kind> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|s| s.as_str().map(str::to_string).ok_or_else(|| bad(&format!("{field}: expected strings"))))
                .collect(),
            Some(_) => Err(bad(&format!("{field}: expected an array of strings"))),
        }
    };
    entries
        .iter()
        .map(|e| {
            let config = e.get("Config").and_then(|c| c.as_str()).ok_or_else(|| bad("missing Config"))?;
            let layers = e.get("Layers").ok_or_else(|| bad("missing Layers"))?;
            Ok(Saved {
                config: config.to_string(),
                repo_tags: strings(e.get("RepoTags"), "RepoTags")?,
                layers: strings(Some(layers), "Layers")?,
            })
        })
        .collect()
}

fn saved_name(s: &Saved, source: &Path) -> Option<String> {
    match s.repo_tags.first() {
        Some(tag) => name::from_reference(tag),
        None => name::from_file_and_tag(source, None),
    }
}

fn choose<'a>(saved: &'a [Saved], source: &Path, selector: Option<&str>) -> Result<&'a Saved, Kind> {
    let label = |s: &Saved| saved_name(s, source).unwrap_or_else(|| "(unnamed)".into());
    let available = || saved.iter().map(label).collect::<Vec<_>>().join(", ");
    match (saved, selector) {
        ([], _) => Err(Kind::Invalid("manifest.json lists no image".into())),
        ([only], _) => Ok(only),
        (_, Some(sel)) => saved
            .iter()
            .find(|s| {
                saved_name(s, source).as_deref() == Some(sel)
                    || s.repo_tags.iter().any(|t| t == sel || *t == format!("{sel}:latest"))
            })
            .ok_or_else(|| Kind::Choose(format!("no image named {sel:?} (available: {})", available()))),
        (_, None) => Err(Kind::Choose(format!("several images ({}): choose one with --image NAME=PATH", available()))),
    }
}

/// The digest a `docker save` file name carries: `<hex>.json` or `blobs/sha256/<hex>`.
fn digest_in_name(path: &str) -> Option<Digest> {
    let file = path.rsplit('/').next()?;
    Digest::from_hex(file.strip_suffix(".json").unwrap_or(file)).ok()
}

/// Builds the OCI image of the entry `selector` names (or the only one).
pub fn import(store: &dyn Store, source: &Path, selector: Option<&str>, out: &LayoutWriter) -> Result<Picked, Kind> {
    let (mut file, len) = store.open("manifest.json")?;
    if len > oci::MAX_DOCUMENT {
        return Err(Kind::Invalid("manifest.json: document too large".into()));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(Kind::io("manifest.json"))?;
    let saved = parse_saved(&bytes)?;
    let chosen = choose(&saved, source, selector)?;

    let (mut file, len) = store.open(&chosen.config)?;
    if len > oci::MAX_DOCUMENT {
        return Err(Kind::Invalid(format!("{}: document too large", chosen.config)));
    }
    let mut config_bytes = Vec::new();
    file.read_to_end(&mut config_bytes).map_err(Kind::io(&chosen.config))?;
    let config_ref = out.add_bytes(&config_bytes)?;
    if let Some(named) = digest_in_name(&chosen.config) {
        if named != config_ref.digest {
            return Err(Kind::DigestMismatch { what: chosen.config.clone(), expected: named, actual: config_ref.digest });
        }
    }
    let config = parse_image_config(&chosen.config, &config_bytes).map_err(|e| Kind::Invalid(e.to_string()))?;
    if config.os != PLATFORM_OS || config.architecture != PLATFORM_ARCH {
        return Err(Kind::Invalid(format!(
            "image is for {}/{}, not {PLATFORM_OS}/{PLATFORM_ARCH}",
            config.os, config.architecture
        )));
    }
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != chosen.layers.len() {
        return Err(Kind::Invalid(format!(
            "manifest.json lists {} layers but the config has {} diff_ids",
            chosen.layers.len(),
            diff_ids.len()
        )));
    }

    let mut layer_descs = Vec::new();
    let mut layers = Vec::new();
    for (i, (path, diff_id)) in chosen.layers.iter().zip(diff_ids).enumerate() {
        let what = format!("layer {i} ({path})");
        let (mut file, _) = store.open(path)?;
        let blob = out.add_blob(&mut file, None, &what)?;
        let stored = out.dir().join(blob.digest.blob_path());
        let mut magic = [0u8; 4];
        let head = File::open(&stored).and_then(|mut f| f.read(&mut magic)).map_err(Kind::io(&stored))?;
        let (media_type, uncompressed) = match &magic[..head] {
            [0x1f, 0x8b, ..] => {
                let mut gz = flate2::read::MultiGzDecoder::new(File::open(&stored).map_err(Kind::io(&stored))?);
                let diff = hash_reader(&mut gz).map_err(|e| Kind::CorruptTar(format!("{what}: {e}")))?;
                (media::OCI_LAYER_GZIP, diff.digest)
            }
            [0x28, 0xb5, 0x2f, 0xfd] => return Err(Kind::Invalid(format!("{what}: zstd layers are not supported"))),
            _ => (media::OCI_LAYER, blob.digest),
        };
        if uncompressed != *diff_id {
            return Err(Kind::DigestMismatch { what: format!("{what}, the config's diff_id"), expected: *diff_id, actual: uncompressed });
        }
        layer_descs.push(serde_json::json!({
            "mediaType": media_type, "digest": blob.digest.to_string(), "size": blob.size,
        }));
        layers.push(blob.digest);
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": media::OCI_CONFIG, "digest": config_ref.digest.to_string(), "size": config_ref.size },
        "layers": layer_descs,
    });
    let manifest_ref = out.add_bytes(manifest.to_string().as_bytes())?;
    let full_ref = chosen.repo_tags.first().cloned();
    let tag = full_ref.as_deref().and_then(|r| name::repo_and_tag(r).1).unwrap_or("latest").to_string();
    Ok(Picked {
        media_type: media::OCI_MANIFEST.to_string(),
        manifest: manifest_ref,
        config: config_ref.digest,
        layers,
        tag,
        name: saved_name(chosen, source),
        full_ref,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_from_file_names() {
        let hex = "a".repeat(64);
        assert!(digest_in_name(&format!("{hex}.json")).is_some());
        assert!(digest_in_name(&format!("blobs/sha256/{hex}")).is_some());
        assert!(digest_in_name("config.json").is_none());
    }

    #[test]
    fn manifest_json_errors_name_the_field() {
        let e = parse_saved(br#"[{"Layers": []}]"#).err().unwrap();
        assert_eq!(e.to_string(), "manifest.json: missing Config");
        let e = parse_saved(br#"[{"Config": "x.json", "Layers": [1]}]"#).err().unwrap();
        assert_eq!(e.to_string(), "manifest.json: Layers: expected strings");
        assert!(parse_saved(br#"[{"Config": "x.json", "RepoTags": null, "Layers": []}]"#).is_ok());
    }
}
