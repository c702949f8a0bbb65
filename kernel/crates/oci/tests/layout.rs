//! Image layouts through a BlobStore: selection by ref and platform, verification, layers.

mod common;

use common::{with_platform, with_ref, write_index, MemStore, TestImage};
use oci::image::media;
use oci::{open_layout, Digest, LayoutError};
use ocitar::memfs::MemFs;
use ocitar::apply_layer;
use serde_json::json;

const LIMIT: usize = 1 << 20;

fn single_image_store() -> (MemStore, TestImage) {
    let img = TestImage::new();
    let mut store = MemStore::default();
    let manifest = img.write_manifest(&mut store, "amd64");
    write_index(&mut store, vec![with_ref(manifest, "latest")]);
    (store, img)
}

#[test]
fn opens_by_ref_and_applies_verified_layers() {
    let (store, img) = single_image_store();
    let image = open_layout(&store, Some("latest")).unwrap();
    assert_eq!(image.config.config.cmd, ["sh"]);
    assert_eq!(image.layers.len(), 2);
    let mut fs = MemFs::new();
    for i in 0..image.layers.len() {
        let tar = image.layer_tar(&store, i, LIMIT).unwrap();
        assert_eq!(tar, img.layers[i]);
        apply_layer(&mut fs, &tar).unwrap();
    }
    assert!(fs.stat("/etc/motd").is_none(), "whited out by the upper layer");
    assert_eq!(fs.stat("/bin/ash").unwrap().ino, fs.stat("/bin/sh").unwrap().ino);
    // The only image is also found without a reference.
    assert_eq!(open_layout(&store, None).unwrap(), image);
}

#[test]
fn unknown_and_ambiguous_references() {
    let img = TestImage::new();
    let mut store = MemStore::default();
    let m = img.write_manifest(&mut store, "amd64");
    write_index(&mut store, vec![with_ref(m.clone(), "v1"), with_ref(m, "v2")]);
    assert_eq!(
        open_layout(&store, Some("v3")).unwrap_err(),
        LayoutError::NoSuchImage { reference: "v3".into(), available: vec!["v1".into(), "v2".into()] }
    );
    assert_eq!(open_layout(&store, None).unwrap_err(), LayoutError::Ambiguous { available: vec!["v1".into(), "v2".into()] });
    assert!(open_layout(&store, Some("v2")).is_ok());
    write_index(&mut store, vec![]);
    assert_eq!(open_layout(&store, None).unwrap_err(), LayoutError::Empty);
}

#[test]
fn follows_a_nested_multi_arch_index() {
    let img = TestImage::new();
    let mut store = MemStore::default();
    let arm = with_platform(img.write_manifest(&mut store, "arm64"), "arm64");
    let amd = with_platform(img.write_manifest(&mut store, "amd64"), "amd64");
    let nested = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": [arm, amd]});
    let index_desc = store.blob(media::OCI_INDEX, serde_json::to_vec(&nested).unwrap());
    write_index(&mut store, vec![with_ref(index_desc, "latest")]);
    let image = open_layout(&store, Some("latest")).unwrap();
    assert_eq!(image.config.architecture, "amd64");

    // Without an amd64 entry there is nothing to run.
    let mut store2 = MemStore::default();
    let arm = with_platform(img.write_manifest(&mut store2, "arm64"), "arm64");
    write_index(&mut store2, vec![arm]);
    assert_eq!(open_layout(&store2, None).unwrap_err(), LayoutError::NoMatchingPlatform);
    // An unlabelled arm64 image is caught by its config.
    let mut store3 = MemStore::default();
    let m = img.write_manifest(&mut store3, "arm64");
    write_index(&mut store3, vec![m]);
    assert!(matches!(open_layout(&store3, None).unwrap_err(), LayoutError::WrongPlatform { .. }));
}

#[test]
fn every_blob_is_verified() {
    let (store, _) = single_image_store();
    let image = open_layout(&store, None).unwrap();
    let manifest_path = image.manifest_digest.unwrap().blob_path();
    let config_path = image.config_digest.blob_path();
    let layer_path = image.layers[1].path.clone();

    // Same size, different content: digest mismatch.
    for path in [&manifest_path, &config_path] {
        let mut bad = store.clone();
        let blob = bad.files.get_mut(path).unwrap();
        let last = blob.len() - 2;
        blob[last] ^= 0x20;
        assert!(matches!(open_layout(&bad, None).unwrap_err(), LayoutError::DigestMismatch { .. }), "{path}");
    }
    // Different size.
    let mut bad = store.clone();
    bad.files.get_mut(&layer_path).unwrap().push(0);
    let err = image.layer_tar(&bad, 1, LIMIT).unwrap_err();
    assert!(matches!(err, LayoutError::SizeMismatch { .. }), "{err}");
    // Missing blob.
    let mut bad = store.clone();
    bad.files.remove(&config_path);
    assert_eq!(open_layout(&bad, None).unwrap_err().errno(), errno::Errno::ENOENT);
    // Decompression limit.
    assert!(matches!(image.layer_tar(&store, 0, 100).unwrap_err(), LayoutError::Tar(ocitar::TarError::TooLarge { .. })));
    assert_eq!(image.layer_tar(&store, 9, LIMIT).unwrap_err(), LayoutError::NoSuchLayer(9));
}

#[test]
fn diff_ids_are_verified() {
    let img = TestImage::new();
    let mut store = MemStore::default();
    let mut wrong = TestImage::new();
    wrong.layers[0] = ocitar::builder::TarBuilder::new().file("other", 0o644, b"x").finish();
    // Config lists the diff_ids of `img`, but the blobs hold `wrong`'s layers.
    let config = store.blob(media::OCI_CONFIG, img.config_json("amd64"));
    let layers: Vec<_> = wrong.layers.iter().map(|l| store.blob(media::OCI_LAYER_GZIP, common::gzip(l))).collect();
    let manifest = json!({"schemaVersion": 2, "config": config, "layers": layers});
    let m = store.blob(media::OCI_MANIFEST, serde_json::to_vec(&manifest).unwrap());
    write_index(&mut store, vec![m]);
    let image = open_layout(&store, None).unwrap();
    assert!(matches!(image.layer_tar(&store, 0, LIMIT).unwrap_err(), LayoutError::DiffIdMismatch { layer: 0, .. }));
    assert!(image.layer_tar(&store, 1, LIMIT).is_ok());
}

#[test]
fn layout_marker_and_media_types() {
    let (mut store, _) = single_image_store();
    store.put("oci-layout", br#"{"imageLayoutVersion": "2.0.0"}"#.to_vec());
    assert!(matches!(open_layout(&store, None).unwrap_err(), LayoutError::NotALayout(_)));
    store.files.remove("oci-layout");
    assert!(matches!(open_layout(&store, None).unwrap_err(), LayoutError::NotALayout(_)));

    let mut store = MemStore::default();
    let odd = store.blob("application/vnd.example.sbom", b"{}".to_vec());
    write_index(&mut store, vec![odd]);
    assert!(matches!(open_layout(&store, None).unwrap_err(), LayoutError::UnexpectedMediaType { .. }));
}

#[test]
fn layer_count_must_match_diff_ids() {
    let img = TestImage::new();
    let mut store = MemStore::default();
    let config = store.blob(media::OCI_CONFIG, img.config_json("amd64"));
    let layer = store.blob(media::OCI_LAYER, img.layers[0].clone());
    let manifest = json!({"schemaVersion": 2, "config": config, "layers": [layer]});
    let m = store.blob(media::OCI_MANIFEST, serde_json::to_vec(&manifest).unwrap());
    write_index(&mut store, vec![m]);
    assert_eq!(open_layout(&store, None).unwrap_err(), LayoutError::LayerCountMismatch { layers: 1, diff_ids: 2 });
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn corrupt_stores_never_panic(which in 0usize..16, pos in 0usize..4096, byte in proptest::num::u8::ANY) {
        let (mut store, _) = single_image_store();
        let key = store.files.keys().nth(which % store.files.len()).unwrap().clone();
        let blob = store.files.get_mut(&key).unwrap();
        if !blob.is_empty() {
            let i = pos % blob.len();
            blob[i] = byte;
        }
        if let Ok(image) = open_layout(&store, None) {
            for i in 0..image.layers.len() {
                let _ = image.layer_tar(&store, i, LIMIT);
            }
        }
        let _ = Digest::of(&[]);
    }
}
