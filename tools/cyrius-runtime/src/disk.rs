//! The bundle disk: one uncompressed tar the guest kernel reads whole
//! (`kernel/src/container/microvm.rs`): `config.json` (the bundle's, with
//! `root.path` = `rootfs` and bind sources pointing into the guest's
//! `/run/binds`), `rootfs/` (the bundle's root filesystem with modes,
//! owners, symlinks and device nodes), `.cyrius/agent` (the guest agent)
//! and `.cyrius/binds/N` (the contents of each bind-mount source).
//!
//! A bind mount is therefore a copy made at create: what the container
//! writes there stays in the VM and host changes after create are not seen
//! (no shared filesystem yet; see README).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use oci::Spec;

/// The guest agent (built by build.rs from userland/host/agent.c).
pub static AGENT: &[u8] = include_bytes!(env!("CYRIUS_AGENT"));

/// A bundle read and checked on the host.
pub struct Bundle {
    pub dir: PathBuf,
    pub spec: Spec,
    pub rootfs: PathBuf,
    /// The network namespace the spec joins (podman's), if any.
    pub netns: Option<String>,
}

/// Reads `dir/config.json` and checks the root filesystem, as runc does
/// before it starts anything.
pub fn load(dir: &Path) -> Result<Bundle, String> {
    let dir = fs::canonicalize(dir).map_err(|e| format!("bundle {}: {e}", dir.display()))?;
    let config = dir.join("config.json");
    let bytes = fs::read(&config).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => String::from("JSON specification file config.json not found"),
        _ => format!("{}: {e}", config.display()),
    })?;
    let spec = oci::parse_config(&bytes).map_err(|e| e.to_string())?;
    let rootfs = if spec.root.path.starts_with('/') { PathBuf::from(&spec.root.path) } else { dir.join(&spec.root.path) };
    match fs::metadata(&rootfs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("rootfs ({}) is not a directory", rootfs.display())),
        Err(e) => return Err(format!("rootfs ({}) does not exist: {e}", rootfs.display())),
    }
    let netns = spec
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.iter().find(|n| format!("{:?}", n.kind).eq_ignore_ascii_case("network") && !n.path.is_empty()))
        .map(|n| n.path.clone());
    Ok(Bundle { dir, spec, rootfs, netns })
}

fn is_bind(m: &oci::runtime::Mount) -> bool {
    m.kind == "bind" || m.options.iter().any(|o| o == "bind" || o == "rbind")
}

/// Writes the bundle disk to `out`; returns its size in bytes.
pub fn build(bundle: &Bundle, out: &Path) -> Result<u64, String> {
    let file = fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut tar = tar::Builder::new(io::BufWriter::new(file));
    tar.follow_symlinks(false);
    let fail = |what: &str, e: io::Error| format!("bundle disk: {what}: {e}");

    let mut spec = bundle.spec.clone();
    spec.root.path = String::from("rootfs");
    if let Some(linux) = spec.linux.as_mut() {
        // The VM is the namespace boundary: paths of the host's namespaces mean nothing inside.
        for ns in &mut linux.namespaces {
            ns.path.clear();
        }
    }
    let mut binds = 0;
    for m in &mut spec.mounts {
        if !is_bind(m) {
            continue;
        }
        let source = if m.source.starts_with('/') { PathBuf::from(&m.source) } else { bundle.dir.join(&m.source) };
        let meta = fs::metadata(&source).map_err(|e| format!("mount {} -> {}: {e}", source.display(), m.destination))?;
        let at = format!(".cyrius/binds/{binds}");
        if meta.is_dir() {
            append_tree(&mut tar, &at, &source).map_err(|e| fail(&at, e))?;
        } else {
            let mut f = fs::File::open(&source).map_err(|e| fail(&at, e))?;
            tar.append_file(&at, &mut f).map_err(|e| fail(&at, e))?;
        }
        m.source = format!("/run/binds/{binds}");
        binds += 1;
    }
    let config = serde_json::to_vec_pretty(&spec).map_err(|e| format!("config.json: {e}"))?;
    append_bytes(&mut tar, "config.json", &config, 0o644).map_err(|e| fail("config.json", e))?;
    append_bytes(&mut tar, ".cyrius/agent", AGENT, 0o755).map_err(|e| fail("agent", e))?;
    append_tree(&mut tar, "rootfs", &bundle.rootfs).map_err(|e| fail("rootfs", e))?;
    let mut w = tar.into_inner().map_err(|e| fail("finish", e))?;
    w.flush().map_err(|e| fail("flush", e))?;
    let size = fs::metadata(out).map_err(|e| fail("size", e))?.len();
    Ok(size)
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, path: &str, data: &[u8], mode: u32) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    tar.append_data(&mut h, path, data)
}

/// Appends the tree at `dir` under `prefix` as `tar -c` would: modes,
/// owners and mtimes kept, symlinks as symlinks, a file with several links
/// once and then as hard links to that first path, device nodes and fifos
/// as such (sockets are skipped, as GNU tar does).
fn append_tree<W: Write>(tar: &mut tar::Builder<W>, prefix: &str, dir: &Path) -> io::Result<()> {
    use std::collections::HashMap;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let mut seen: HashMap<(u64, u64), String> = HashMap::new();
    let mut stack = vec![(dir.to_path_buf(), prefix.to_string())];
    while let Some((path, name)) = stack.pop() {
        let meta = fs::symlink_metadata(&path)?;
        let ft = meta.file_type();
        let mut h = tar::Header::new_gnu();
        h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            tar.append_data(&mut h, format!("{name}/"), io::empty())?;
            let mut children: Vec<_> = fs::read_dir(&path)?.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
            children.sort();
            for child in children.into_iter().rev() {
                let child_name = format!("{name}/{}", child.to_string_lossy());
                stack.push((path.join(&child), child_name));
            }
        } else if ft.is_symlink() {
            let target = fs::read_link(&path)?;
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            tar.append_link(&mut h, &name, target)?;
        } else if ft.is_file() {
            if meta.nlink() > 1 {
                if let Some(first) = seen.get(&(meta.dev(), meta.ino())) {
                    h.set_entry_type(tar::EntryType::Link);
                    h.set_size(0);
                    tar.append_link(&mut h, &name, first)?;
                    continue;
                }
                seen.insert((meta.dev(), meta.ino()), name.clone());
            }
            let mut f = fs::File::open(&path)?;
            tar.append_data(&mut h, &name, &mut f)?;
        } else if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() {
            h.set_entry_type(if ft.is_char_device() {
                tar::EntryType::Char
            } else if ft.is_block_device() {
                tar::EntryType::Block
            } else {
                tar::EntryType::Fifo
            });
            h.set_size(0);
            let rdev = meta.rdev();
            h.set_device_major(libc::major(rdev))?;
            h.set_device_minor(libc::minor(rdev))?;
            tar.append_data(&mut h, &name, io::empty())?;
        }
    }
    Ok(())
}
