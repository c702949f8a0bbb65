//! ociimport: turns a user's image into the OCI image layout the Cyrius kernel reads from
//! `/mnt/images/NAME` (see `kernel/src/container/images.rs`).
//!
//! Accepted sources ([`import`]):
//! - an OCI image layout directory (`skopeo copy ... oci:DIR`, `umoci`, our `images/`);
//! - an OCI layout in a tar (`skopeo copy ... oci-archive:FILE`), or a `docker save` tar of
//!   Docker 25+ (an OCI layout plus `manifest.json`);
//! - a legacy `docker save` tar (`manifest.json`, `<id>.json` config, `<id>/layer.tar`), or
//!   such a tar unpacked into a directory.
//!
//! Tars may be gzip-compressed. The result is always a layout with one image: `oci-layout`,
//! `index.json` (one manifest, `org.opencontainers.image.ref.name` = the tag), and only the
//! blobs that image needs. Its name comes from the user, else from the image's reference
//! (`RepoTags`, `io.containerd.image.name`, a full `ref.name`), else from the file name
//! ([`name`]).
//!
//! The layout also gets its image store ([`erofs_store`]): every layer converted
//! ([`layerfs`]) into an EROFS image under `erofs/`, which the kernel mounts instead of
//! unpacking the layers.
//!
//! Invariants: every blob is checked against its digest and size while it is copied; the
//! finished layout is then opened with the kernel's own `oci` crate and every layer read
//! and checked against its `diff_id` (as `oci-runtime create` will) while the store is
//! built, so an image the kernel would refuse is refused here, with a one-line [`Error`].
//! A failed import leaves nothing behind; a successful one replaces an older image of the
//! same name.
//!
//! Depends on the kernel's `oci` (documents, digests, verification), `ocitar`, `erofs`,
//! `overlay`, `vfs` and `errno` crates, `tar` and `flate2` for archives, `serde_json` to
//! write documents, `sha2`. Host-only.

mod error;
pub mod erofs_store;
mod from_docker;
mod from_oci;
pub mod layerfs;
pub mod name;
pub mod store;
pub mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use oci::{open_layout, Digest};

pub use erofs_store::{build_store, StoreLayer};
pub use error::{Error, Kind};
pub use writer::{BlobRef, LayoutWriter};

use store::{DirStore, Store, TarStore};

/// The largest uncompressed layer the kernel unpacks (`LAYER_LIMIT` in
/// `kernel/src/container/cache.rs`): the limit for layouts without a store.
pub const LAYER_LIMIT: usize = 256 << 20;
/// The largest uncompressed layer converted into a store file. The kernel mounts store
/// files without reading the layer's tar, so only the host's memory bounds this.
pub const STORE_LAYER_LIMIT: usize = 2 << 30;

/// What the source was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An OCI layout (a directory, an `oci-archive` tar, or a Docker 25+ `docker save`).
    OciLayout,
    /// A legacy `docker save` archive or directory.
    DockerSave,
}

/// An imported image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The directory name under the images directory.
    pub name: String,
    /// The layout written.
    pub dir: PathBuf,
    pub format: Format,
    pub manifest: Digest,
    pub config: Digest,
    /// Layer blob digests, base first.
    pub layers: Vec<Digest>,
    /// Bytes of its image store (`erofs/`, one EROFS image per layer).
    pub store: u64,
}

/// What a source reader produced into the staging layout.
pub(crate) struct Picked {
    pub media_type: String,
    pub manifest: BlobRef,
    pub config: Digest,
    pub layers: Vec<Digest>,
    pub tag: String,
    pub full_ref: Option<String>,
    /// The name derived from the image, if any could be.
    pub name: Option<String>,
}

/// Imports the image at `source` into `images_dir/NAME`, `NAME` being `name` or derived
/// from the image. In a source holding several images, `name` also picks which one.
pub fn import(source: &Path, images_dir: &Path, name: Option<&str>) -> Result<Imported, Error> {
    let fail = |kind| Error::new(source, kind);
    if let Some(n) = name {
        name::validate(n).map_err(|e| fail(Kind::BadName(e)))?;
    }
    let meta = fs::metadata(source).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(Kind::NotFound),
        _ => fail(Kind::Io { path: source.to_path_buf(), error: e }),
    })?;
    fs::create_dir_all(images_dir).map_err(|e| fail(Kind::Io { path: images_dir.to_path_buf(), error: e }))?;
    let store: Box<dyn Store> = if meta.is_dir() {
        Box::new(DirStore::new(source).map_err(|e| fail(Kind::Io { path: source.to_path_buf(), error: e }))?)
    } else {
        let file = File::open(source).map_err(|e| fail(Kind::Io { path: source.to_path_buf(), error: e }))?;
        Box::new(TarStore::unpack(file, images_dir).map_err(fail)?)
    };
    let staging = tempfile::Builder::new()
        .prefix(".import-")
        .tempdir_in(images_dir)
        .map_err(|e| fail(Kind::Io { path: images_dir.to_path_buf(), error: e }))?;
    let layout = staging.path().join("layout");
    let writer = LayoutWriter::create(&layout).map_err(fail)?;

    let (format, picked) = if store.exists("oci-layout") {
        (Format::OciLayout, from_oci::import(store.as_ref(), source, name, &writer))
    } else if store.exists("manifest.json") {
        (Format::DockerSave, from_docker::import(store.as_ref(), source, name, &writer))
    } else {
        let why = if meta.is_dir() { "no oci-layout or manifest.json in the directory" } else { "no oci-layout or manifest.json in the archive" };
        return Err(fail(Kind::NotAnImage(why.into())));
    };
    let picked = picked.map_err(fail)?;
    drop(store);
    writer.finish(&picked.media_type, picked.manifest, Some(&picked.tag), picked.full_ref.as_deref()).map_err(fail)?;
    // Opens the layout as the kernel will, reads every layer (checked) into the store.
    let store_layers = build_store(&layout).map_err(fail)?;

    let final_name = match name {
        Some(n) => n.to_string(),
        None => picked.name.clone().ok_or_else(|| {
            fail(Kind::BadName("cannot derive an image name from the image or the file name; give one with NAME=PATH".into()))
        })?,
    };
    let dest = images_dir.join(&final_name);
    if dest.exists() {
        fs::remove_dir_all(&dest).map_err(|e| fail(Kind::Io { path: dest.clone(), error: e }))?;
    }
    fs::rename(&layout, &dest).map_err(|e| fail(Kind::Io { path: dest.clone(), error: e }))?;
    Ok(Imported {
        name: final_name,
        dir: dest,
        format,
        manifest: picked.manifest.digest,
        config: picked.config,
        layers: picked.layers,
        store: store_layers.iter().map(|l| l.bytes).sum(),
    })
}

/// Opens a finished layout as the kernel will and reads every layer (digest, `diff_id`,
/// decompression, the kernel's size limit).
pub fn check(layout: &Path) -> Result<(), Kind> {
    let store = DirStore::new(layout).map_err(Kind::io(layout))?;
    let image = open_layout(&store, None)?;
    for i in 0..image.layers.len() {
        image
            .layer_tar(&store, i, LAYER_LIMIT)
            .map_err(|e| Kind::Invalid(format!("layer {i}: {e} (checked as the kernel will)")))?;
    }
    Ok(())
}
