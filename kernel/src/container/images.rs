//! OCI image layouts under `/mnt/images/NAME`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use errno::Errno;
use oci::{open_layout, BlobStore, Image};

/// Where the data disk keeps image layouts.
pub const IMAGES_DIR: &str = "/mnt/images";

/// Reads blobs of one layout directory through the host namespace.
pub struct VfsStore {
    dir: String,
}

impl VfsStore {
    /// The store of image `name` under [`IMAGES_DIR`].
    pub fn for_image(name: &str) -> VfsStore {
        VfsStore { dir: format!("{IMAGES_DIR}/{name}") }
    }
}

impl BlobStore for VfsStore {
    fn read(&self, path: &str) -> Result<Vec<u8>, Errno> {
        let vfs = crate::fs::host();
        vfs.read_file(&crate::fs::root_cred(), &vfs.root(), &format!("{}/{}", self.dir, path))
    }
}

/// One directory under `/mnt/images` and what opening it gave.
pub struct Found {
    pub name: String,
    pub image: Result<Image, String>,
}

/// Opens every layout under [`IMAGES_DIR`] (config and manifest verified).
pub fn list() -> Result<Vec<Found>, Errno> {
    let vfs = crate::fs::host();
    let cred = crate::fs::root_cred();
    let mut names: Vec<String> = vfs
        .open_dir_entries(&cred, &vfs.root(), IMAGES_DIR)?
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n != "." && n != "..")
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let store = VfsStore::for_image(&name);
            let image = open_layout(&store, None).map_err(|e| format!("{e}"));
            Found { name, image }
        })
        .collect())
}
