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
    let spec = oci::parse_config(&bytes).map_err(|e| format!("config.json: {e}"))?;
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
            tar.append_dir_all(&at, &source).map_err(|e| fail(&at, e))?;
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
    tar.append_dir_all("rootfs", &bundle.rootfs).map_err(|e| fail("rootfs", e))?;
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
