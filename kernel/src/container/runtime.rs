//! The Container object and its lifecycle: create (from an image or a runtime
//! bundle), start, state, delete, list — the OCI runtime verbs, with runc's rules.
//!
//! Invariants: a failed create leaves nothing behind (the id stays free); a
//! container's processes resolve paths only in its own namespace (its private
//! root filesystem — an overlay of the image's mounted store layers under its own
//! tmpfs (or a copy-on-write snapshot of the image's unpacked template),
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

/// `-v HOST-DIR:CONTAINER-DIR[:ro]` of an image container (`docker run -v`): a bind mount
/// of a host path (e.g. a data-disk directory under /mnt) into the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub host: String,
    pub container: String,
    pub readonly: bool,
}

impl Volume {
    pub fn parse(text: &str) -> Result<Volume, String> {
        let mut parts = text.split(':');
        let (host, container) = match (parts.next(), parts.next()) {
            (Some(h), Some(c)) => (h, c),
            _ => return Err(String::from("expected HOST-DIR:CONTAINER-DIR[:ro]")),
        };
        let readonly = match parts.next() {
            None | Some("rw") => false,
            Some("ro") => true,
            Some(other) => return Err(format!("unknown mode '{other}' (ro or rw)")),
        };
        if parts.next().is_some() || !host.starts_with('/') || !container.starts_with('/') {
            return Err(String::from("expected absolute HOST-DIR:CONTAINER-DIR[:ro]"));
        }
        Ok(Volume { host: host.to_string(), container: container.to_string(), readonly })
    }

    fn mount(&self) -> oci::runtime::Mount {
        let mut options = alloc::vec![String::from("rbind")];
        options.push(String::from(if self.readonly { "ro" } else { "rw" }));
        oci::runtime::Mount { destination: self.container.clone(), kind: String::from("bind"), source: self.host.clone(), options }
    }
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
    /// Kernel pid of the init process (0 before start).
    pub pid: u32,
    pub created: Timestamp,
    pub exit: Option<ExitStatus>,
    /// The container's PID namespace (its init is PID 1 there).
    pub pidns: Arc<task::PidNs>,
    pub init: Option<Arc<task::Process>>,
    /// CPU, memory and pids limits, enforced by the kernel.
    pub limits: super::limits::Limits,
    /// Its UTS namespace's host name (spec.hostname, or the id).
    pub uts: Arc<spin::Mutex<String>>,
    /// Its network namespace's id (scopes abstract AF_UNIX names).
    pub net_ns: u64,
    /// Who its processes run as: credentials, capabilities, rlimits, umask.
    pub identity: super::security::Identity,
    /// `linux.seccomp` compiled: every process started in it runs under it.
    pub seccomp: Option<seccomp::FilterStack>,
}

/// Network namespace ids of containers (0 is the host's).
static NEXT_NET_NS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

impl Container {
    /// Notices that the init ended (the runtime-spec "stopped" state).
    fn refresh(&mut self) {
        if self.status != Status::Running {
            return;
        }
        if let Some(status) = self.init.as_ref().and_then(|p| p.exit_status()) {
            self.status = Status::Stopped;
            self.exit = Some(status);
            if let Some(init) = self.init.take() {
                task::exit::reap(&init);
            }
        }
    }
}

static CONTAINERS: Mutex<BTreeMap<String, Container>> = Mutex::new(BTreeMap::new());

/// Container `id` with its status brought up to date, or the one-line error.
fn find<'a>(table: &'a mut BTreeMap<String, Container>, id: &str) -> Result<&'a mut Container, String> {
    let c = table.get_mut(id).ok_or_else(|| format!("container '{id}' does not exist"))?;
    c.refresh();
    Ok(c)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) && !id.starts_with('.')
}

/// The spec and namespace of a container of image `name`: the image's config
/// converted as umoci does, with `docker run`'s default privileges, over a fresh root of
/// the image (see `cache::rootfs`).
/// Also returns the image's `Entrypoint`, which a command given to `run`/`create` follows
/// (`docker run IMAGE ARGS...` replaces only `Cmd`).
fn from_image(id: &str, name: &str, volumes: &[Volume]) -> Result<(Spec, Arc<Vfs>, Vec<String>), String> {
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
    let mut spec = spec_from_image(&image.config, &ConvertOptions { container_id: id, terminal: false }, &users)
        .map_err(|e| format!("image '{name}': {e}"))?;
    // As `docker run IMAGE`: images expect a root that may chown and change users.
    spec.use_docker_privileges();
    spec.mounts.extend(volumes.iter().map(Volume::mount));
    let plan = Plan { id, spec: &spec, bundle_dir: None, tmp: true, note_level: log::Level::Debug };
    let ns = namespace::build(rootfs, &plan)?;
    Ok((spec, ns, image.config.config.entrypoint.clone()))
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
    create_with(id, source, command, &[])
}

/// [`create`] with `volumes` bound into an image container.
pub fn create_with(id: &str, source: Source, command: Vec<String>, volumes: &[Volume]) -> Result<(), String> {
    if !valid_id(id) {
        return Err(format!("invalid container id '{id}' (letters, digits, '_', '.', '-'; at most 64)"));
    }
    if CONTAINERS.lock().contains_key(id) {
        return Err(format!("container '{id}' already exists"));
    }
    let (mut spec, ns, shown, bundle, entrypoint) = match &source {
        Source::Image(name) => {
            let (spec, ns, entrypoint) = from_image(id, name, volumes)?;
            (spec, ns, name.clone(), format!("{}/{name}", super::images::IMAGES_DIR), entrypoint)
        }
        Source::Bundle(path) => {
            let (spec, ns) = from_bundle(id, path)?;
            (spec, ns, path.clone(), path.clone(), Vec::new())
        }
    };
    if !command.is_empty() {
        spec.process.args = entrypoint.into_iter().chain(command).collect();
    }
    let identity = super::security::identity(id, &spec)?;
    let seccomp = spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()).map(task::seccomp::from_spec).transpose()?;
    let pidns = task::PidNs::new_container();
    if let Err(e) = task::procfs::mount(&ns, &pidns) {
        // A read-only root without a /proc mount point: the container has no /proc.
        log::info!("container {id}: no /proc: {e}");
    }
    super::namespace::restrict(&ns, &spec)?;
    let (sec, nsec) = crate::time::now();
    let hostname = if spec.hostname.is_empty() { id.to_string() } else { spec.hostname.clone() };
    let mut container = Container {
        id: id.to_string(),
        status: Status::Created,
        source: shown,
        bundle,
        spec,
        vfs: ns,
        pid: 0,
        created: Timestamp::new(sec, nsec),
        exit: None,
        limits: super::limits::Limits::new(&pidns),
        uts: Arc::new(spin::Mutex::new(hostname)),
        pidns,
        init: None,
        net_ns: NEXT_NET_NS.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
        identity,
        seccomp,
    };
    if let Some(res) = container.spec.linux.as_ref().and_then(|l| l.resources.as_ref()) {
        container.limits.apply(&super::limits::Update::from_resources(res), &container.pidns)?;
    }
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

/// How a started process talks to the world.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// Console on stdin, stdout and stderr; the caller waits for the end.
    Foreground,
    /// stdin from /dev/null, output to the console; runs on its own.
    Background,
}

fn stdio(ns: &Arc<Vfs>, attach: Attach) -> Result<task::files::FdTable, String> {
    let mut files = task::files::FdTable::with_console();
    if attach == Attach::Background {
        let null = ns
            .open(&Cred::root(), &ns.root(), "/dev/null", vfs::OpenFlags::read_only(), 0)
            .map_err(|e| format!("/dev/null: {e}"))?;
        let file = task::files::OpenFile::new(crate::file::inode::open(null), true, false, 0);
        files.put(0, file, false).map_err(|e| format!("stdin: {e}"))?;
    }
    Ok(files)
}

/// Starts `args` inside the container's namespaces (init or exec'd process).
fn spawn_in(c: &Container, args: &[String], env: &[String], cwd: &str, files: task::files::FdTable) -> Result<Arc<task::Process>, String> {
    let prog = args.first().ok_or_else(|| String::from("process.args is empty"))?;
    let path = lookup_program(&c.vfs, env, prog)?;
    let cwd_loc = c.vfs.resolve(&c.vfs.root(), cwd, true).map_err(|e| format!("process.cwd {cwd}: {e}"))?;
    // process.user, capabilities, noNewPrivileges, rlimits: who it runs as.
    let id = &c.identity;
    if let Some(filters) = &c.seccomp {
        task::seccomp::check_exec(filters).map_err(|e| format!("exec {path}: {e}"))?;
    }
    task::spawn(task::Spawn {
        path: &path,
        argv: args,
        envp: env,
        vfs: c.vfs.clone(),
        cwd: cwd_loc,
        ns: c.pidns.clone(),
        container: Some(c.id.clone()),
        files,
        cred: id.cred.clone(),
        umask: id.umask,
        cpu_group: c.limits.cpu_group,
        mem: Some(c.limits.mem.clone()),
        uts: c.uts.clone(),
        rlimits: id.rlimits,
        net_ns: c.net_ns,
        seccomp: c.seccomp.clone(),
    })
    .map_err(|e| format!("exec {path}: {e}"))
}

/// `start ID`: starts the container's init. Foreground: waits for it to
/// end and returns how it ended; background: returns at once.
pub fn start(id: &str, attach: Attach) -> Result<Option<ExitStatus>, String> {
    let init = start_init(id, |c| stdio(&c.vfs, attach))?;
    if attach == Attach::Background {
        return Ok(None);
    }
    let status = crate::file::tty::foreground(&init, || task::wait_exit(&init));
    if let Some(c) = CONTAINERS.lock().get_mut(id) {
        c.status = Status::Stopped;
        c.exit = Some(status);
        c.init = None;
    }
    Ok(Some(status))
}

/// Starts the container's init with the descriptor table `files` makes.
fn start_init(id: &str, files: impl FnOnce(&Container) -> Result<task::files::FdTable, String>) -> Result<Arc<task::Process>, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    if c.status != Status::Created {
        return Err(format!("cannot start a container that is {}", c.status));
    }
    let p = &c.spec.process;
    let (args, env, cwd) = (p.args.clone(), p.env.clone(), p.cwd.clone());
    let files = files(c)?;
    let init = spawn_in(c, &args, &env, &cwd, files)?;
    c.status = Status::Running;
    c.pid = init.pid;
    c.init = Some(init.clone());
    Ok(init)
}

/// `start ID` with the init's standard descriptors given (the guest
/// agent's pipes): returns at once with the init process.
pub fn start_with(id: &str, files: task::files::FdTable) -> Result<Arc<task::Process>, String> {
    start_init(id, |_| Ok(files))
}

/// `exec` with the process given in full (args, env, cwd) and its
/// standard descriptors: returns at once with the new process, which the
/// caller collects with `task::wait_exit`.
pub fn exec_with(id: &str, args: &[String], env: &[String], cwd: &str, files: task::files::FdTable) -> Result<Arc<task::Process>, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    if c.status != Status::Running {
        return Err(format!("cannot exec in a container that is {}", c.status));
    }
    spawn_in(c, args, env, cwd, files)
}

/// True if the container's config asks for a terminal (process.terminal).
pub fn wants_terminal(id: &str) -> Result<bool, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    Ok(c.spec.process.terminal)
}

/// `exec ID CMD...`: runs another process in a running container, in the
/// foreground, and returns how it ended.
pub fn exec(id: &str, args: &[String]) -> Result<ExitStatus, String> {
    let p = {
        let mut table = CONTAINERS.lock();
        let c = find(&mut table, id)?;
        if c.status != Status::Running {
            return Err(format!("cannot exec in a container that is {}", c.status));
        }
        let sp = &c.spec.process;
        let (env, cwd) = (sp.env.clone(), sp.cwd.clone());
        let files = stdio(&c.vfs, Attach::Foreground)?;
        spawn_in(c, args, &env, &cwd, files)?
    };
    Ok(crate::file::tty::foreground(&p, || task::wait_exit(&p)))
}

/// A signal by name (`KILL`, `SIGKILL`) or number.
pub fn parse_signal(s: &str) -> Option<u32> {
    const NAMES: [&str; 31] = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
        "PWR", "SYS",
    ];
    if let Ok(n) = s.parse::<u32>() {
        return (n <= 64).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| i as u32 + 1)
}

/// `kill ID [SIGNAL]` (default SIGTERM): to the init, or to every process
/// with `all`. As on Linux, a namespace's init only receives signals it
/// handles (SIGKILL and SIGSTOP always).
pub fn kill(id: &str, sig: u32, all: bool) -> Result<(), String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    if c.status != Status::Running {
        return Err(format!("cannot kill a container that is {}", c.status));
    }
    let targets = if all { c.pidns.processes() } else { c.init.iter().cloned().collect() };
    let Some(sig) = task::signal::Signal::new(sig as i32) else { return Ok(()) };
    for p in targets {
        let handled = p.signals.lock().catches(sig);
        if p.vpid == 1 && !sig.is_unblockable() && !handled {
            continue;
        }
        task::signal::send_to_process(&p, sig);
    }
    drop(table);
    // Let the targets act on it before the shell reads the next command.
    crate::sched::yield_now();
    Ok(())
}

/// `ps ID`: (kernel pid, pid inside, state, CPU ms, command) of its processes.
pub fn ps(id: &str) -> Result<Vec<(u32, u32, char, u64, String)>, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    let mut out: Vec<_> = c
        .pidns
        .processes()
        .into_iter()
        .map(|p| (p.pid, p.vpid, task::state_letter(&p), p.cpu_ticks(), p.cmdline.lock().join(" ")))
        .collect();
    out.sort_by_key(|r| r.1);
    Ok(out)
}

/// `state ID`: the runtime-spec state JSON.
pub fn state(id: &str) -> Result<String, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
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
    let init = {
        let mut table = CONTAINERS.lock();
        let c = find(&mut table, id)?;
        if c.status == Status::Running && !force {
            return Err(format!("cannot delete container '{id}' that is not stopped: running"));
        }
        c.init.clone()
    };
    if let Some(init) = init {
        // --force: SIGKILL the init; the rest of its namespace dies with it.
        task::signal::send_to_process(&init, task::signal::Signal::SIGKILL);
        task::wait_exit(&init);
    }
    if let Some(c) = CONTAINERS.lock().remove(id) {
        c.limits.release();
        drop(c);
        crate::mm::pagecache::release_files();
    }
    Ok(())
}

/// `update ID`: new limits for a container, applied at once.
pub fn update(id: &str, u: &super::limits::Update) -> Result<(), String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    if c.status == Status::Stopped {
        return Err(format!("cannot update a container that is {}", c.status));
    }
    let ns = c.pidns.clone();
    c.limits.apply(u, &ns)
}

/// `events --stats ID`: usage figures of a container.
pub fn stats(id: &str) -> Result<super::limits::Stats, String> {
    let mut table = CONTAINERS.lock();
    let c = find(&mut table, id)?;
    Ok(c.limits.stats(&c.pidns))
}

/// Stats of every container (for `top`): (id, status, stats).
pub fn all_stats() -> Vec<(String, Status, super::limits::Stats)> {
    let mut table = CONTAINERS.lock();
    table.values_mut().for_each(Container::refresh);
    table.values().map(|c| (c.id.clone(), c.status, c.limits.stats(&c.pidns))).collect()
}

/// `list`: (id, pid, status, image or bundle) of every container.
pub fn list() -> Vec<(String, u32, Status, String)> {
    let mut table = CONTAINERS.lock();
    table.values_mut().for_each(Container::refresh);
    table.values().map(|c| (c.id.clone(), c.pid, c.status, c.source.clone())).collect()
}
