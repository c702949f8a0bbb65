//! Container roots of images. An image with a store (`/mnt/images/NAME/erofs/<chain>.erofs`,
//! one EROFS image per layer, made by `tools/ociimport`; see `oci::store`) is mounted, not
//! unpacked: each container's root is an overlay of the image's EROFS layers (read-only,
//! read from the data disk on demand) under a fresh tmpfs that takes the container's writes.
//! The mounted layers are kept per image, so every container of an image reads the same
//! files: the block cache and the page cache (content ids of the mounted layers) serve
//! them all.
//!
//! An image without a store (a layout copied onto the disk by other means) is unpacked
//! once into a template tmpfs as before, and each container gets a copy-on-write snapshot.
//!
//! Invariants: templates are keyed by the image's verified manifest digest (the config
//! digest when there is no manifest), which covers every layer's diff_id: the same key
//! means the same content (the caller re-verifies index -> manifest -> config on every
//! create); mounted layers by the image's name and that digest, as each image directory
//! has its own store files. A store file is mounted only after its superblock checksum
//! matched and its superblock names the layer chain it is filed under; layer digests were
//! verified when the store was built. A corrupt or missing store file is an error naming
//! it, never a fallback. At most [`CAPACITY`] images of each kind are kept, least recently
//! used dropped first. Templates are never mounted or written once built.
//! May call: `fs` (the host namespace, clock), `images` (blob store).

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use erofs::{ErofsFs, InodeBacking};
use oci::store::{chain_ids, layer_file, uuid_of, STORE_DIR, VOLUME_NAME};
use oci::{Digest, Image};
use overlay::OverlayFs;
use spin::Mutex;
use vfs::{Cred, FileSystem, TmpFs, TmpFsOptions, Vfs};

use super::images::{VfsStore, IMAGES_DIR};

/// How many images are kept mounted (and, separately, unpacked).
pub const CAPACITY: usize = 4;
/// Largest uncompressed layer accepted when unpacking.
const LAYER_LIMIT: usize = 256 * 1024 * 1024;
/// Directories every rootfs gets (mount points), unless the image has them.
const MOUNT_POINTS: [&str; 3] = ["/dev", "/proc", "/tmp"];

struct Cached<K, T> {
    key: K,
    value: T,
}

/// Most recently used last.
struct Lru<K, T>(Vec<Cached<K, T>>);

impl<K: PartialEq, T: Clone> Lru<K, T> {
    fn get(&mut self, key: &K) -> Option<T> {
        let at = self.0.iter().position(|c| c.key == *key)?;
        let entry = self.0.remove(at);
        let value = entry.value.clone();
        self.0.push(entry);
        Some(value)
    }

    fn put(&mut self, key: K, value: T) {
        if self.0.iter().any(|c| c.key == key) {
            return;
        }
        if self.0.len() >= CAPACITY {
            self.0.remove(0);
        }
        self.0.push(Cached { key, value });
    }
}

/// Mounted store layers of an image, top layer first, by image name and key (the store
/// files belong to the image's directory).
static MOUNTED: Mutex<Lru<(String, Digest), Vec<Arc<dyn FileSystem>>>> = Mutex::new(Lru(Vec::new()));
/// Unpacked templates of images without a store, by key.
static TEMPLATES: Mutex<Lru<Digest, Arc<TmpFs>>> = Mutex::new(Lru(Vec::new()));

/// The key an image is cached under.
pub fn key(image: &Image) -> Digest {
    image.manifest_digest.unwrap_or(image.config_digest)
}

/// How image `name` is cached now: `mounted` (its store layers), `unpacked` (a template)
/// or `no`.
pub fn state(name: &str, image: &Image) -> &'static str {
    let k = key(image);
    if MOUNTED.lock().0.iter().any(|c| c.key.0 == name && c.key.1 == k) {
        "mounted"
    } else if TEMPLATES.lock().0.iter().any(|c| c.key == k) {
        "unpacked"
    } else {
        "no"
    }
}

/// A fresh root filesystem of `image` (opened from `store` as `name`) for one container:
/// an overlay of its store layers, or a snapshot of its unpacked template.
pub fn rootfs(name: &str, store: &VfsStore, image: &Image) -> Result<Arc<dyn FileSystem>, String> {
    let host = crate::fs::host();
    let has_store = host.stat(&crate::fs::root_cred(), &host.root(), &format!("{IMAGES_DIR}/{name}/{STORE_DIR}")).is_ok();
    if !has_store || image.layers.is_empty() {
        let template = template(name, store, image)?;
        return Ok(template.snapshot());
    }
    let k = (String::from(name), key(image));
    let cached = MOUNTED.lock().get(&k);
    let layers = match cached {
        Some(layers) => layers,
        None => {
            let layers = mount_layers(name, image)?;
            MOUNTED.lock().put(k, layers.clone());
            layers
        }
    };
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
    let upper = TmpFs::new(clock, TmpFsOptions { root_perm: 0o755, ..crate::fs::tmpfs_options() });
    let fs = OverlayFs::new(upper, layers).map_err(|e| format!("image '{name}': stacking its layers: {e}"))?;
    add_mount_points(name, &Vfs::new(fs.clone()))?;
    Ok(fs)
}

/// Mounts the store files of `image`'s layers (checksums and chain checked), top first.
fn mount_layers(name: &str, image: &Image) -> Result<Vec<Arc<dyn FileSystem>>, String> {
    let started = crate::time::uptime_ms();
    let host = crate::fs::host();
    let cred = crate::fs::root_cred();
    let diff_ids: Vec<Digest> = image.layers.iter().map(|l| l.diff_id).collect();
    let mut layers: Vec<Arc<dyn FileSystem>> = Vec::new();
    let mut bytes = 0;
    for (i, chain) in chain_ids(&diff_ids).iter().enumerate() {
        let file = layer_file(chain);
        let fail = |e: &dyn core::fmt::Display| format!("image '{name}': layer {i}: store file {file}: {e}");
        let loc = host.resolve_as(&cred, &host.root(), &format!("{IMAGES_DIR}/{name}/{file}"), true).map_err(|e| fail(&e))?;
        let backing = InodeBacking::new(loc.inode().clone()).map_err(|e| fail(&e))?;
        let fs = ErofsFs::mount(Arc::new(backing)).map_err(|e| fail(&e))?;
        let sb = fs.image().superblock();
        if sb.volume_name != VOLUME_NAME {
            return Err(fail(&"made by another version of the image store (rebuild it with ociimport)"));
        }
        if sb.uuid != uuid_of(chain) {
            return Err(fail(&"its superblock names another layer chain"));
        }
        bytes += fs.image().len();
        layers.insert(0, fs);
    }
    log::info!(
        "image {name}: {} layer(s) mounted from its store ({} KiB of EROFS, {} ms)",
        layers.len(),
        bytes / 1024,
        crate::time::uptime_ms() - started
    );
    Ok(layers)
}

/// Makes the mount points a container needs where the image has none.
fn add_mount_points(name: &str, ns: &Vfs) -> Result<(), String> {
    let cred = Cred::root();
    for dir in MOUNT_POINTS {
        match ns.mkdir(&cred, &ns.root(), dir, 0o755) {
            Ok(_) | Err(errno::Errno::EEXIST) => {}
            Err(e) => return Err(format!("image '{name}': rootfs {dir}: {e}")),
        }
    }
    Ok(())
}

/// The unpacked template of an image without a store, unpacked first if not cached.
fn template(name: &str, store: &VfsStore, image: &Image) -> Result<Arc<TmpFs>, String> {
    let k = key(image);
    if let Some(template) = TEMPLATES.lock().get(&k) {
        return Ok(template);
    }
    // Built without the lock held: unpacking takes a while.
    let template = unpack(name, store, image)?;
    TEMPLATES.lock().put(k, template.clone());
    Ok(template)
}

/// Unpacks `image`'s layers (each verified) into a new template.
fn unpack(name: &str, store: &VfsStore, image: &Image) -> Result<Arc<TmpFs>, String> {
    let started = crate::time::uptime_ms();
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
    let fs = TmpFs::new(clock, TmpFsOptions { root_perm: 0o755, ..crate::fs::tmpfs_options() });
    let ns = Vfs::new(fs.clone());
    for i in 0..image.layers.len() {
        let fail = |e: &dyn core::fmt::Display| format!("image '{name}': layer {i}: {e}");
        let tar = image.layer_tar(store, i, LAYER_LIMIT).map_err(|e| fail(&e))?;
        ocitar::apply_layer(&mut rootfs::VfsTarget::new(&ns), &tar).map_err(|e| fail(&e))?;
    }
    add_mount_points(name, &ns)?;
    log::info!(
        "image {name}: no image store, {} layer(s) unpacked into the image cache ({} KiB, {} ms)",
        image.layers.len(),
        fs.bytes_used() / 1024,
        crate::time::uptime_ms() - started
    );
    Ok(fs)
}
