//! `format` produces volumes that fsck.fat and mtools accept and that mount here.

mod common;

use common::*;
use fat32::{FatFs, FileDevice, FormatError, FormatOptions, MemDevice, MIN_CLUSTERS};

#[test]
fn formatted_image_passes_fsck_and_mounts() {
    let dir = TempDir::new("format");
    let image = own_image(&dir, 40);
    if have_tools("formatted_image_passes_fsck_and_mounts", &["fsck.fat", "mdir"]) {
        assert_fsck_clean(&image);
        let listing = run("mdir", &["-i", image.to_str().unwrap(), "::/"]);
        assert!(listing.contains("CYRIUS"), "{listing}");
    }
    let fs = mount(&image);
    let st = fs.statfs().unwrap();
    assert_eq!(st.cluster_size, 512);
    assert!(u64::from(st.total_clusters) >= MIN_CLUSTERS);
    assert_eq!(st.free_clusters, st.total_clusters - 1);
    assert!(names(&fs, fs.root()).is_empty());
}

#[test]
fn larger_clusters_and_minimum_size() {
    let dev = MemDevice::zeroed((300 << 20) / 512);
    fat32::format(&dev, "").unwrap();
    let fs = FatFs::mount(dev, clock).unwrap();
    assert_eq!(fs.statfs().unwrap().cluster_size, 4096);

    let opts = FormatOptions { label: "X", volume_id: 1, sectors_per_cluster: Some(8) };
    let dev = MemDevice::zeroed((64 << 20) / 512);
    assert!(matches!(fat32::format_with(&dev, &opts), Err(FormatError::TooSmall { .. })));
    let opts = FormatOptions { sectors_per_cluster: Some(3), ..opts };
    assert_eq!(fat32::format_with(&dev, &opts), Err(FormatError::BadClusterSize(3)));
}

#[test]
fn mkfs_and_own_format_agree_on_free_space() {
    if !have_tools("mkfs_and_own_format_agree_on_free_space", &["mkfs.fat"]) {
        return;
    }
    let dir = TempDir::new("format-agree");
    let theirs = mount(&mkfs_image(&dir, 40)).statfs().unwrap();
    let ours = FatFs::mount(FileDevice::open(&own_image(&dir, 40)).unwrap(), clock).unwrap().statfs().unwrap();
    // Same size and cluster size: cluster counts within the difference in reserved sectors.
    assert_eq!(theirs.cluster_size, ours.cluster_size);
    assert!(theirs.total_clusters.abs_diff(ours.total_clusters) < 64, "{theirs:?} vs {ours:?}");
}
