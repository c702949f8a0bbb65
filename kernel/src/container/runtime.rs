//! The Container object and its lifecycle: create (from an image or a runtime
//! bundle), start, state, delete, list — the OCI runtime verbs, with runc's rules.
//!
//! Invariants: a failed create leaves nothing behind (the id stays free); a
//! container's processes resolve paths only in its own namespace (its private
//! root filesystem — a copy-on-write snapshot of the image's cached template,
//! or a copy of the bundle's — with its own /dev and mounts), never in the
//! host's.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use oci::{open_layout, spec_from_image, ConvertOptions, Spec, State, Status, Timestamp, UserDb};
use spin::Mutex;
use vfs::{Cred, Vfs};

use super::images::VfsStore;
use super::namespace::{self, Plan};
use crate::task::{self, ExitStatus};

/// What a container is made from.
pub enum Source {
    /// An OCI image layout under `/mnt/images`, by name.
    Image(String),
    /// A runtime bundle: a directory or a tar (host path).
    Bundle(String),
}

pub struct Container {
    pub id: String,
    pub status: Status,
    /// The image name or the bundle path (`list`'s last column).
    pub source: String,
    /// The bundle path `state` reports.
    pub bundle: String,
    pub spec: Spec,
    pub vfs: Arc<Vfs>,
    pub pid: u32,
    pub created: Timestamp,
    pub exit: Option<ExitStatus>,
}

static CONTAINERS: Mutex<BTreeMap<String, Container>> = Mutex::new(BTreeMap::new());

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) && !id.starts_with('.')
}

/// The spec and namespace of a container of image `name`: the image's config
/// converted as umoci does, over a snapshot of the cached template.
fn from_image(id: &str, name: &str) -> Result<(Spec, Arc<Vfs>), String> {
    let store = VfsStore::for_image(name);
    // Verifies index -> manifest -> config on every create; layers are
    // verified when the template is built (the cache key covers them).
    let image = open_layout(&store, None).map_err(|e| format!("image '{name}': {e}"))?;
    let rootfs = super::cache::rootfs(name, &store, &image)?;
    let view = Vfs::new(rootfs.clone());
    let cred = Cred::root();
    let passwd = view.read_file(&cred, &view.root(), "/etc/passwd").unwrap_or_default();
    let group = view.read_file(&cred, &view.root(), "/etc/group").unwrap_or_default();
    let users = UserDb::parse(&passwd, &group);
    let spec = spec_from_image(&image.config, &ConvertOptions { container_id: id, terminal: false }, &users)
        .map_err(|e| format!("image '{name}': {e}"))?;
    let plan = Plan { id, spec: &spec, bundle_dir: None, tmp: true, note_level: log::Level::Debug };
    let ns = namespace::build(rootfs, &plan)?;
    Ok((spec, ns))
}

/// The spec and namespace of a container of the bundle at `path`.
fn from_bundle(id: &str, path: &str) -> Result<(Spec, Arc<Vfs>), String> {
    let loaded = super::bundle::load(path)?;
    if let Some(res) = loaded.spec.linux.as_ref().and_then(|l| l.resources.as_ref()) {
        // Kept in the spec; enforcement comes with issue 7.
        log::debug!("container {id}: linux.resources recorded, not enforced yet: {res:?}");
    }
    let plan = Plan { id, spec: &loaded.spec, bundle_dir: loaded.dir.as_deref(), tmp: false, note_level: log::Level::Info };
    let ns = namespace::build(loaded.rootfs, &plan).map_err(|e| format!("bundle {path}: {e}"))?;
    Ok((loaded.spec, ns))
}

/// `create [--image NAME | --bundle PATH] ID [COMMAND...]`: an empty
/// `command` keeps the image's or the bundle's `process.args`.
pub fn create(id: &str, source: Source, command: Vec<String>) -> Result<(), String> {
    if !valid_id(id) {
        return Err(format!("invalid container id '{id}' (letters, digits, '_', '.', '-'; at most 64)"));
    }
    if CONTAINERS.lock().contains_key(id) {
        return Err(format!("container '{id}' already exists"));
    }
    let (mut spec, ns, shown, bundle) = match &source {
        Source::Image(name) => {
            let (spec, ns) = from_image(id, name)?;
            (spec, ns, name.clone(), format!("{}/{name}", super::images::IMAGES_DIR))
        }
        Source::Bundle(path) => {
            let (spec, ns) = from_bundle(id, path)?;
            (spec, ns, path.clone(), path.clone())
        }
    };
    if !command.is_empty() {
        spec.process.args = command;
    }
    let (sec, nsec) = crate::time::now();
    let container = Container {
        id: id.to_string(),
        status: Status::Created,
        source: shown,
        bundle,
        spec,
        vfs: ns,
        pid: 0,
        created: Timestamp::new(sec, nsec),
        exit: None,
    };
    let mut table = CONTAINERS.lock();
    if table.contains_key(id) {
        return Err(format!("container '{id}' already exists"));
    }
    table.insert(id.to_string(), container);
    Ok(())
}

/// Finds `prog` along the spec's PATH inside the container, as execvp does.
fn lookup_program(ns: &Vfs, env: &[String], prog: &str) -> Result<String, String> {
    if prog.contains('/') {
        return Ok(prog.to_string());
    }
    let path = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or("/usr/local/bin:/usr/bin:/bin");
    let cred = Cred::root();
    path.split(':')
        .map(|dir| format!("{}/{prog}", dir.trim_end_matches('/')))
        .find(|cand| ns.stat(&cred, &ns.root(), cand).is_ok_and(|st| st.meta.kind == vfs::FileKind::Regular))
        .ok_or_else(|| format!("exec: \"{prog}\": executable file not found in $PATH"))
}

/// `start ID`: runs the container's process to completion (one process at a
/// time for now) and returns how it ended.
pub fn start(id: &str) -> Result<ExitStatus, String> {
    let (ns, args, env, cwd, user) = {
        let mut table = CONTAINERS.lock();
        let c = table.get_mut(id).ok_or_else(|| format!("container '{id}' does not exist"))?;
        if c.status != Status::Created {
            return Err(format!("cannot start a container that is {}", c.status));
        }
        let p = &c.spec.process;
        (c.vfs.clone(), p.args.clone(), p.env.clone(), p.cwd.clone(), p.user.clone())
    };
    let prog = args.first().ok_or_else(|| String::from("process.args is empty"))?;
    let path = lookup_program(&ns, &env, prog)?;
    let cwd_loc = ns.resolve(&ns.root(), &cwd, true).map_err(|e| format!("process.cwd {cwd}: {e}"))?;
    let mut process = task::exec(&path, &args, &env, ns.clone(), cwd_loc).map_err(|e| format!("exec {path}: {e}"))?;
    // process.user: the identity the container's process runs as.
    process.cred = Cred::new(user.uid, user.gid, user.additional_gids);
    if let Some(umask) = user.umask {
        process.umask = umask & 0o777;
    }
    let pid = process.pid;
    if let Some(c) = CONTAINERS.lock().get_mut(id) {
        c.status = Status::Running;
        c.pid = pid;
    }
    let status = task::run(process);
    if let Some(c) = CONTAINERS.lock().get_mut(id) {
        c.status = Status::Stopped;
        c.exit = Some(status);
    }
    Ok(status)
}

/// `state ID`: the runtime-spec state JSON.
pub fn state(id: &str) -> Result<String, String> {
    let table = CONTAINERS.lock();
    let c = table.get(id).ok_or_else(|| format!("container '{id}' does not exist"))?;
    let state = State {
        oci_version: c.spec.oci_version.clone(),
        id: c.id.clone(),
        pid: if c.status == Status::Running { c.pid } else { 0 },
        status: c.status,
        bundle: c.bundle.clone(),
        rootfs: String::from("/"),
        created: c.created,
        annotations: BTreeMap::new(),
        owner: String::new(),
    };
    Ok(state.to_json())
}

/// `delete [--force] ID`.
pub fn delete(id: &str, force: bool) -> Result<(), String> {
    let mut table = CONTAINERS.lock();
    let c = table.get(id).ok_or_else(|| format!("container '{id}' does not exist"))?;
    if c.status == Status::Running && !force {
        return Err(format!("cannot delete container '{id}' that is not stopped: running"));
    }
    table.remove(id);
    Ok(())
}

/// `list`: (id, pid, status, image or bundle) of every container.
pub fn list() -> Vec<(String, u32, Status, String)> {
    CONTAINERS.lock().values().map(|c| (c.id.clone(), c.pid, c.status, c.source.clone())).collect()
}
