//! The Container object and its lifecycle: create (from an image), start,
//! state, delete, list — the OCI runtime verbs, with runc's rules.
//!
//! Invariants: a failed create leaves nothing behind; a container's processes
//! resolve paths only in its own namespace (a tmpfs holding the image's
//! layers, with its own /dev and /tmp), never in the host's.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use oci::{open_layout, spec_from_image, ConvertOptions, Spec, State, Status, Timestamp, UserDb};
use spin::Mutex;
use vfs::{Cred, DevFs, MountOptions, TmpFs, TmpFsOptions, Vfs};

use super::images::VfsStore;
use crate::task::{self, ExitStatus};

/// Largest uncompressed layer accepted.
const LAYER_LIMIT: usize = 256 * 1024 * 1024;

pub struct Container {
    pub id: String,
    pub status: Status,
    pub image: String,
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

/// A fresh namespace holding image `name`'s layers, plus /dev and /tmp.
fn build_rootfs(name: &str) -> Result<(Arc<Vfs>, oci::Image), String> {
    let store = VfsStore::for_image(name);
    let image = open_layout(&store, None).map_err(|e| format!("image '{name}': {e}"))?;
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
    let root = TmpFs::new(clock.clone(), TmpFsOptions { root_perm: 0o755, ..TmpFsOptions::default() });
    let ns = Arc::new(Vfs::new(root));
    for i in 0..image.layers.len() {
        let tar = image.layer_tar(&store, i, LAYER_LIMIT).map_err(|e| format!("image '{name}': layer {i}: {e}"))?;
        ocitar::apply_layer(&mut rootfs::VfsTarget::new(&ns), &tar).map_err(|e| format!("image '{name}': layer {i}: {e}"))?;
    }
    let cred = Cred::root();
    for dir in ["/dev", "/tmp", "/proc"] {
        match ns.mkdir(&cred, &ns.root(), dir, 0o755) {
            Ok(_) | Err(errno::Errno::EEXIST) => {}
            Err(e) => return Err(format!("rootfs {dir}: {e}")),
        }
    }
    let devfs = DevFs::new(clock.clone(), Arc::new(crate::fs::HwEntropy)).map_err(|e| format!("devfs: {e}"))?;
    let console: Arc<dyn vfs::CharDevice> = Arc::new(crate::fs::ConsoleDevice);
    for (dev, major, minor) in [("console", 5, 1), ("tty", 5, 0)] {
        devfs.register(dev, major, minor, console.clone()).map_err(|e| format!("devfs {dev}: {e}"))?;
    }
    ns.mount("/dev", devfs, MountOptions::new("devfs")).map_err(|e| format!("mount /dev: {e}"))?;
    ns.mount("/tmp", TmpFs::new(clock, TmpFsOptions::default()), MountOptions::new("tmpfs")).map_err(|e| format!("mount /tmp: {e}"))?;
    Ok((ns, image))
}

/// `create --image NAME ID [COMMAND...]`: an empty `command` keeps the image's.
pub fn create(id: &str, image_name: &str, command: Vec<String>) -> Result<(), String> {
    if !valid_id(id) {
        return Err(format!("invalid container id '{id}' (letters, digits, '_', '.', '-'; at most 64)"));
    }
    if CONTAINERS.lock().contains_key(id) {
        return Err(format!("container '{id}' already exists"));
    }
    let (ns, image) = build_rootfs(image_name)?;
    let cred = Cred::root();
    let passwd = ns.read_file(&cred, &ns.root(), "/etc/passwd").unwrap_or_default();
    let group = ns.read_file(&cred, &ns.root(), "/etc/group").unwrap_or_default();
    let users = UserDb::parse(&passwd, &group);
    let mut spec = spec_from_image(&image.config, &ConvertOptions { container_id: id, terminal: false }, &users)
        .map_err(|e| format!("image '{image_name}': {e}"))?;
    if !command.is_empty() {
        spec.process.args = command;
    }
    let (sec, nsec) = crate::time::now();
    let container = Container {
        id: id.to_string(),
        status: Status::Created,
        image: image_name.to_string(),
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
    let (ns, args, env, cwd) = {
        let mut table = CONTAINERS.lock();
        let c = table.get_mut(id).ok_or_else(|| format!("container '{id}' does not exist"))?;
        if c.status != Status::Created {
            return Err(format!("cannot start a container that is {}", c.status));
        }
        let p = &c.spec.process;
        (c.vfs.clone(), p.args.clone(), p.env.clone(), p.cwd.clone())
    };
    let prog = args.first().ok_or_else(|| String::from("process.args is empty"))?;
    let path = lookup_program(&ns, &env, prog)?;
    let cwd_loc = ns.resolve(&ns.root(), &cwd, true).map_err(|e| format!("process.cwd {cwd}: {e}"))?;
    let process = task::spawn(task::Spawn {
        path: &path,
        argv: &args,
        envp: &env,
        vfs: ns.clone(),
        cwd: cwd_loc,
        ns: task::PidNs::new_container(),
        container: Some(id.to_string()),
        files: task::files::FdTable::with_console(),
    })
    .map_err(|e| format!("exec {path}: {e}"))?;
    let pid = process.pid;
    if let Some(c) = CONTAINERS.lock().get_mut(id) {
        c.status = Status::Running;
        c.pid = pid;
    }
    let status = task::wait_exit(&process);
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
        bundle: format!("{}/{}", super::images::IMAGES_DIR, c.image),
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

/// `list`: (id, pid, status, image) of every container.
pub fn list() -> Vec<(String, u32, Status, String)> {
    CONTAINERS.lock().values().map(|c| (c.id.clone(), c.pid, c.status, c.image.clone())).collect()
}
