//! Runtime bundles (`oci-runtime create ID --bundle PATH`), as runc takes them:
//! a directory holding `config.json` and the root filesystem `root.path` names,
//! or a tar of one (optionally gzipped).
//!
//! The root filesystem is copied into the container's own tmpfs, so the bundle
//! can change or go away afterwards. A directory on the FAT32 data disk carries
//! no Unix metadata: every file comes out with the disk's fixed mode (0755) and
//! root as owner, symlinks and device nodes cannot exist there, and hard links
//! become separate copies. The tar form keeps modes, owners, mtimes, symlinks,
//! hard links and device nodes as archived.
//! Invariants: nothing of the bundle is used before `config.json` parsed and
//! validated; every failure is one line naming the bundle and what is wrong.
//! May call: `fs`.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;

use oci::{bundle, open_bundle_tar, parse_config, Spec};
use vfs::{FileKind, TmpFs, TmpFsOptions, Vfs};

/// Largest bundle tar accepted (compressed or not).
const TAR_LIMIT: usize = 256 * 1024 * 1024;

/// A bundle read in: its configuration and a private copy of its root filesystem.
pub struct Loaded {
    pub spec: Spec,
    pub rootfs: Arc<TmpFs>,
    /// The bundle directory (relative bind-mount sources are taken from it), if a directory.
    pub dir: Option<String>,
}

/// Reads the bundle at `path` (host namespace).
pub fn load(path: &str) -> Result<Loaded, String> {
    let host = crate::fs::host();
    let cred = crate::fs::root_cred();
    let st = host.stat(&cred, &host.root(), path).map_err(|e| format!("bundle {path}: {e}"))?;
    match st.meta.kind {
        FileKind::Directory => load_dir(host, path),
        FileKind::Regular if st.meta.size > TAR_LIMIT as u64 => Err(format!("bundle {path}: larger than {} MiB", TAR_LIMIT >> 20)),
        FileKind::Regular => load_tar(host, path),
        _ => Err(format!("bundle {path}: not a directory or a tar file")),
    }
}

fn empty_rootfs() -> Arc<TmpFs> {
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
    TmpFs::new(clock, TmpFsOptions { root_perm: 0o755, ..crate::fs::tmpfs_options() })
}

fn load_dir(host: &Vfs, path: &str) -> Result<Loaded, String> {
    let cred = crate::fs::root_cred();
    let config_path = format!("{}/{}", path.trim_end_matches('/'), bundle::CONFIG_JSON);
    let config = host.read_file(&cred, &host.root(), &config_path).map_err(|e| match e {
        errno::Errno::ENOENT => format!("bundle {path}: no {} in the bundle", bundle::CONFIG_JSON),
        e => format!("bundle {path}: {}: {e}", bundle::CONFIG_JSON),
    })?;
    let spec = parse_config(&config).map_err(|e| format!("bundle {path}: {e}"))?;
    let root_dir = bundle::root_dir(path, &spec);
    let root_loc = host
        .resolve_as(&cred, &host.root(), &root_dir, true)
        .map_err(|e| format!("bundle {path}: root.path {:?}: {root_dir}: {e}", spec.root.path))?;
    if root_loc.kind() != Ok(FileKind::Directory) {
        return Err(format!("bundle {path}: root.path {:?}: {root_dir} is not a directory", spec.root.path));
    }
    let rootfs = empty_rootfs();
    let stats = rootfs::copy_tree(host, &cred, &root_loc, &Vfs::new(rootfs.clone())).map_err(|e| format!("bundle {path}: rootfs: {e}"))?;
    log::debug!("bundle {path}: copied {} files ({} bytes), {} directories", stats.files, stats.bytes, stats.dirs);
    Ok(Loaded { spec, rootfs, dir: Some(String::from(path.trim_end_matches('/'))) })
}

fn load_tar(host: &Vfs, path: &str) -> Result<Loaded, String> {
    let cred = crate::fs::root_cred();
    let blob = host.read_file(&cred, &host.root(), path).map_err(|e| format!("bundle {path}: {e}"))?;
    let tar = ocitar::decompress(&blob, TAR_LIMIT).map_err(|e| format!("bundle {path}: {e}"))?;
    let found = open_bundle_tar(&tar).map_err(|e| format!("bundle {path}: {e}"))?;
    let rootfs = empty_rootfs();
    rootfs::unpack_subtree(&Vfs::new(rootfs.clone()), &tar, &found.root).map_err(|e| format!("bundle {path}: {e}"))?;
    Ok(Loaded { spec: found.spec, rootfs, dir: None })
}
