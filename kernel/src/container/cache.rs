//! The image cache: an image's layers are unpacked once, into a template tmpfs,
//! and every container made from that image gets a copy-on-write snapshot of it
//! (`TmpFs::snapshot`: file pages shared until written, one page copied per
//! page written).
//!
//! Invariants: templates are keyed by the image's verified manifest digest (the
//! config digest when there is no manifest), which covers every layer's digest:
//! the same key means the same verified content, and changed content on disk
//! means a new key (the caller re-verifies index -> manifest -> config on every
//! create). A template is built only from layers whose blob digest and diff_id
//! matched, is never mounted, and is never written once built. At most
//! [`CAPACITY`] templates are kept, least recently used dropped first; dropping
//! one frees only what no container's snapshot still shares.
//! May call: `fs` (clock), `images` (blob store).

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use oci::{Digest, Image};
use spin::Mutex;
use vfs::{Cred, TmpFs, TmpFsOptions, Vfs};

use super::images::VfsStore;

/// How many image templates are kept.
pub const CAPACITY: usize = 4;
/// Largest uncompressed layer accepted.
const LAYER_LIMIT: usize = 256 * 1024 * 1024;
/// Directories every rootfs gets (mount points), unless the image has them.
const MOUNT_POINTS: [&str; 3] = ["/dev", "/proc", "/tmp"];

struct Template {
    key: Digest,
    fs: Arc<TmpFs>,
}

/// Most recently used last.
static CACHE: Mutex<Vec<Template>> = Mutex::new(Vec::new());

/// The key an image is cached under.
pub fn key(image: &Image) -> Digest {
    image.manifest_digest.unwrap_or(image.config_digest)
}

/// Whether `image` has a template now.
pub fn contains(image: &Image) -> bool {
    let k = key(image);
    CACHE.lock().iter().any(|t| t.key == k)
}

/// A fresh copy-on-write root filesystem of `image` (opened from `store` as
/// `name`): a snapshot of its template, unpacked first if not cached.
pub fn rootfs(name: &str, store: &VfsStore, image: &Image) -> Result<Arc<TmpFs>, String> {
    let k = key(image);
    if let Some(template) = take_hit(&k) {
        return Ok(template.snapshot());
    }
    // Built without the lock held: unpacking takes a while.
    let template = unpack(name, store, image)?;
    let rootfs = template.snapshot();
    let mut cache = CACHE.lock();
    if !cache.iter().any(|t| t.key == k) {
        if cache.len() >= CAPACITY {
            cache.remove(0);
        }
        cache.push(Template { key: k, fs: template });
    }
    Ok(rootfs)
}

/// The cached template for `k`, marked most recently used.
fn take_hit(k: &Digest) -> Option<Arc<TmpFs>> {
    let mut cache = CACHE.lock();
    let at = cache.iter().position(|t| t.key == *k)?;
    let entry = cache.remove(at);
    let fs = entry.fs.clone();
    cache.push(entry);
    Some(fs)
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
    let cred = Cred::root();
    for dir in MOUNT_POINTS {
        match ns.mkdir(&cred, &ns.root(), dir, 0o755) {
            Ok(_) | Err(errno::Errno::EEXIST) => {}
            Err(e) => return Err(format!("image '{name}': rootfs {dir}: {e}")),
        }
    }
    log::info!(
        "image {name}: {} layer(s) unpacked into the image cache ({} KiB, {} ms)",
        image.layers.len(),
        fs.bytes_used() / 1024,
        crate::time::uptime_ms() - started
    );
    Ok(fs)
}
