//! `containerd-shim-cyrius-v1`: a containerd shim v2 (runtime
//! `io.containerd.cyrius.v1`) that runs each container in a Cyrius microVM,
//! built on containerd's `containerd-shim` crate (ttrpc server, events,
//! the reaper) and on `cyrius_runtime`'s library (the monitor that owns a
//! container's QEMU, the control channel to its guest agent).
//!
//! containerd runs the binary three ways: `start` (spawn the long-lived
//! shim server for a group of containers and print its address), the
//! server itself (no action: the Task service, `service.rs`), and
//! `delete` (clean up after a server that died). `start` is answered here
//! with the plain address containerd 1.6 reads (the crate's own `start`
//! answers in the newer JSON/protobuf form containerd 1.7+ parses), and the
//! server is set up here too (`serve`): the crate's generated service is
//! `containerd.task.v3.Task` (containerd 2.0's name), containerd 1.6 calls
//! `containerd.task.v2.Task`, a copy with the same messages; the server
//! answers both. `delete` is the crate's. The same binary is also each
//! container's monitor (`--cyrius-monitor`).

mod io;
mod service;

use std::sync::Arc;

use containerd_shim as shim;
use shim::publisher::RemotePublisher;
use shim::{Config, DeleteResponse, ExitSignal, Flags, StartOpts};

const RUNTIME_ID: &str = "io.containerd.cyrius.v1";
/// The annotation containerd's CRI puts on every container of a pod.
const SANDBOX_ID: &str = "io.kubernetes.cri.sandbox-id";

struct Shim {
    exit: Arc<ExitSignal>,
    namespace: String,
    id: String,
}

impl shim::Shim for Shim {
    type T = service::Service;

    fn new(_runtime_id: &str, args: &Flags, _config: &mut Config) -> Self {
        Shim { exit: Arc::new(ExitSignal::default()), namespace: args.namespace.clone(), id: args.id.clone() }
    }

    fn start_shim(&mut self, _opts: StartOpts) -> shim::Result<String> {
        // `main` answers `start` itself (containerd 1.6's plain address).
        Err(shim::Error::Other(String::from("start is handled before the shim crate")))
    }

    fn delete_shim(&mut self) -> shim::Result<DeleteResponse> {
        if let Err(e) = service::Service::cleanup(&self.id) {
            log::warn!("cleaning up {}: {e}", self.id);
        }
        Ok(DeleteResponse {
            exit_status: (128 + libc::SIGKILL) as u32,
            exited_at: shim::protos::protobuf::MessageField::some(std::time::SystemTime::now().into()),
            ..Default::default()
        })
    }

    fn wait(&mut self) {
        self.exit.wait();
    }

    fn create_task_service(&self, publisher: RemotePublisher) -> Self::T {
        service::Service::new(&self.namespace, self.exit.clone()).with_publisher(publisher)
    }
}

/// The group a container's shim serves: its pod (CRI's sandbox id) or itself.
fn grouping(id: &str) -> String {
    std::fs::read("config.json")
        .ok()
        .and_then(|c| serde_json::from_slice::<serde_json::Value>(&c).ok())
        .and_then(|spec| spec.get("annotations")?.get(SANDBOX_ID)?.as_str().map(String::from))
        .unwrap_or_else(|| id.to_string())
}

/// The `start` action: starts the group's shim server (or finds it running)
/// and prints its address.
fn start(flags: &Flags) -> Result<String, String> {
    let ttrpc_address = std::env::var("TTRPC_ADDRESS").map_err(|_| String::from("TTRPC_ADDRESS is not set"))?;
    let opts = StartOpts {
        id: flags.id.clone(),
        publish_binary: flags.publish_binary.clone(),
        address: flags.address.clone(),
        ttrpc_address,
        namespace: flags.namespace.clone(),
        debug: flags.debug,
        ..Default::default()
    };
    let (_, address) = shim::spawn(opts, &grouping(&flags.id), Vec::new()).map_err(|e| e.to_string())?;
    shim::synchronous::util::write_address(&address).map_err(|e| e.to_string())?;
    Ok(address)
}

/// The signals the server's reaper thread takes (blocked in every thread).
fn server_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill the local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT] {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Reaps children (the containers' monitors) and tells the crate's exit
/// subscriptions (`service.rs` waits on them); SIGTERM/SIGINT are ignored:
/// containerd ends the server with `Shutdown`.
fn reaper(set: libc::sigset_t) {
    loop {
        let mut sig = 0;
        // SAFETY: `set` is initialised; sigwait writes the signal number.
        if unsafe { libc::sigwait(&set, &mut sig) } != 0 || sig != libc::SIGCHLD {
            continue;
        }
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes the status word it is given.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                continue;
            };
            if let Err(e) = shim::monitor::monitor_notify_by_pid(pid, code) {
                log::warn!("exit of {pid}: {e}");
            }
        }
    }
}

/// The shim server (started by `start` with `-socket`): the Task service on
/// that socket until `Shutdown` of its last container.
fn serve(flags: &Flags) -> Result<(), String> {
    use std::os::fd::IntoRawFd;
    use std::os::unix::net::{UnixListener, UnixStream};
    if flags.namespace.is_empty() || flags.socket.is_empty() {
        return Err(String::from("the server needs -namespace and -socket"));
    }
    let set = server_signals();
    // SAFETY: blocks signals in this (still the only) thread; threads
    // started later inherit the mask; std's Command clears it in children.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    std::thread::spawn(move || reaper(set));
    // SAFETY: a plain prctl on this process.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } < 0 {
        return Err(format!("PR_SET_CHILD_SUBREAPER: {}", std::io::Error::last_os_error()));
    }
    shim::logger::init(flags.debug, "info", &flags.namespace, &flags.id).map_err(|e| format!("logger: {e}"))?;

    let path = flags.socket.strip_prefix("unix://").unwrap_or(&flags.socket);
    if let Some(parent) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let listener = match UnixListener::bind(path) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            // The group's server runs already: its address is the answer.
            if UnixStream::connect(path).is_ok() {
                shim::synchronous::util::write_address(&flags.socket).map_err(|e| e.to_string())?;
                server_started();
                return Ok(());
            }
            let _ = std::fs::remove_file(path);
            UnixListener::bind(path).map_err(|e| format!("{path}: {e}"))?
        }
        Err(e) => return Err(format!("{path}: {e}")),
    };

    let ttrpc_address = std::env::var("TTRPC_ADDRESS").map_err(|_| String::from("TTRPC_ADDRESS is not set"))?;
    let publisher = RemotePublisher::new(&ttrpc_address).map_err(|e| format!("event publisher: {e}"))?;
    let exit = Arc::new(ExitSignal::default());
    let service: Arc<dyn shim::Task + Send + Sync> = Arc::new(service::Service::new(&flags.namespace, exit.clone()).with_publisher(publisher));
    let v3 = shim::protos::shim::shim_ttrpc::create_task(service.clone());
    let v2 = shim::protos::shim::shim_ttrpc::create_task(service)
        .into_iter()
        .map(|(path, handler)| (path.replace("/containerd.task.v3.Task/", "/containerd.task.v2.Task/"), handler))
        .collect();
    let mut server = shim::protos::ttrpc::Server::new()
        .add_listener(listener.into_raw_fd())
        .map_err(|e| format!("ttrpc server: {e}"))?
        .register_service(v3)
        .register_service(v2);
    server.start().map_err(|e| format!("ttrpc server: {e}"))?;
    server_started();
    log::info!("shim serving on {}", flags.socket);
    exit.wait();
    log::info!("shutting down");
    server.shutdown();
    let _ = std::fs::remove_file(path);
    Ok(())
}

/// Tells `start` the server is up: its stdout (a pipe `start` reads to the
/// end) becomes stderr.
fn server_started() {
    // SAFETY: dup2 of the process's own standard descriptors.
    unsafe { libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) };
}

fn main() {
    if let Some(code) = cyrius_runtime::monitor::main_if_requested() {
        std::process::exit(code);
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Ok(flags) = shim::parse(&args[1..]) {
        if flags.action.is_empty() && !flags.info {
            if let Err(e) = serve(&flags) {
                log::error!("{e}");
                eprintln!("{RUNTIME_ID}: {e}");
                std::process::exit(1);
            }
            std::process::exit(0);
        }
        if flags.action == "start" {
            match start(&flags) {
                Ok(address) => {
                    print!("{address}");
                    std::process::exit(0);
                }
                Err(e) => {
                    eprintln!("{RUNTIME_ID}: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    shim::run::<Shim>(RUNTIME_ID, None);
}
