//! The data disk `cargo run` attaches: a FAT32 image built from `images/`.

use std::fs;
use std::path::Path;

/// Size of a fresh data disk.
pub const DEFAULT_SIZE: u64 = 256 * 1024 * 1024;

/// Makes sure `path` exists, creating an empty disk of `DEFAULT_SIZE` if not.
pub fn ensure(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let file = fs::File::create(path).map_err(|e| e.to_string())?;
    file.set_len(DEFAULT_SIZE).map_err(|e| e.to_string())?;
    Ok(())
}

/// The data disk the integration tests attach (read-only to them: QEMU opens
/// it in snapshot mode). Made once per build directory.
pub fn test_disk() -> std::path::PathBuf {
    let path = crate::paths::build_dir().join("test-data.img");
    if let Err(e) = ensure(&path) {
        panic!("cannot make the test data disk {}: {e}", path.display());
    }
    path
}
