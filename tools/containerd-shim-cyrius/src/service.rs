//! The shim's Task service: containerd's task API over Cyrius microVMs.
//!
//! One shim process serves the containers of one group (a pod's, by its
//! sandbox id, or a single container's); each container is its own
//! microVM, owned by a monitor process (`cyrius_runtime::monitor`) that is
//! this shim's child. The shim holds, per container, its init process and
//! its exec'd processes: their status, exit status and time, and their
//! streams (`io.rs`). The init's end is the monitor's exit (reaped by the
//! shim crate's SIGCHLD handler, which tells the subscription); an exec'd
//! process's end arrives on its connection to the monitor. Each end is
//! published as a `TaskExit` event and wakes `Wait` callers.
//!
//! State for the runtime library (the monitor's record, the bundle disk)
//! lives in `<bundle>/cyrius/<id>`; the rootfs mounts containerd passes
//! are mounted on `<bundle>/rootfs` (the config's `root.path`) and taken
//! down at `Delete`.

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::SystemTime;

use containerd_shim as shim;
use log::{info, warn};
use serde_json::Value;
use shim::api;
use shim::monitor::{monitor_subscribe, wait_pid, Topic};
use shim::protos::events::task::{TaskCreate, TaskDelete, TaskExecAdded, TaskExecStarted, TaskExit, TaskStart};
use shim::protos::protobuf::well_known_types::timestamp::Timestamp;
use shim::protos::protobuf::{MessageDyn, MessageField};
use shim::protos::topics;
use shim::protos::ttrpc::{self, Code};
use shim::protos::types::task::ProcessInfo;
use shim::publisher::RemotePublisher;
use shim::{ExitSignal, TtrpcContext, TtrpcResult};

use cyrius_runtime::api as rt;

use crate::io::{self, ProcIo};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Created,
    Running,
    Stopped,
}

struct ProcState {
    status: Status,
    pid: u32,
    exit_status: u32,
    exited_at: Option<SystemTime>,
}

/// The init or an exec'd process.
struct Proc {
    exec_id: String,
    stdin: String,
    stdout: String,
    stderr: String,
    terminal: bool,
    /// An exec'd process's spec (`args`, `env`, `cwd`...), until it starts.
    spec: Option<Value>,
    io: Mutex<Option<ProcIo>>,
    /// An exec'd process's connection to the monitor (for signals).
    exec: Mutex<Option<rt::Exec>>,
    state: Mutex<ProcState>,
    ended: Condvar,
}

impl Proc {
    fn new(exec_id: &str, stdin: &str, stdout: &str, stderr: &str, terminal: bool, spec: Option<Value>) -> Arc<Proc> {
        Arc::new(Proc {
            exec_id: exec_id.to_string(),
            stdin: stdin.to_string(),
            stdout: stdout.to_string(),
            stderr: stderr.to_string(),
            terminal,
            spec,
            io: Mutex::new(None),
            exec: Mutex::new(None),
            state: Mutex::new(ProcState { status: Status::Created, pid: 0, exit_status: 0, exited_at: None }),
            ended: Condvar::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ProcState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the end (the first report wins); false if it had ended before.
    fn set_exited(&self, code: i32) -> bool {
        let mut s = self.state();
        if s.status == Status::Stopped {
            return false;
        }
        s.status = Status::Stopped;
        s.exit_status = code as u32;
        s.exited_at = Some(SystemTime::now());
        self.ended.notify_all();
        true
    }

    fn wait(&self) -> (u32, Option<SystemTime>) {
        let mut s = self.state();
        while s.status != Status::Stopped {
            s = self.ended.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        (s.exit_status, s.exited_at)
    }
}

struct Container {
    bundle: PathBuf,
    /// The runtime library's state root.
    root: PathBuf,
    rootfs_mounted: bool,
    init: Arc<Proc>,
    execs: HashMap<String, Arc<Proc>>,
}

struct Inner {
    namespace: String,
    exit: Arc<ExitSignal>,
    publisher: Mutex<Option<RemotePublisher>>,
    containers: Mutex<HashMap<String, Container>>,
}

#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

fn err(code: Code, msg: impl ToString) -> ttrpc::Error {
    ttrpc::Error::RpcStatus(ttrpc::get_status(code, msg))
}

fn timestamp(t: Option<SystemTime>) -> MessageField<Timestamp> {
    MessageField::some(Timestamp::from(t.unwrap_or(SystemTime::UNIX_EPOCH)))
}

/// Where the runtime library keeps a container's state.
pub fn state_root(bundle: &Path) -> PathBuf {
    bundle.join("cyrius")
}

impl Service {
    pub fn new(namespace: &str, exit: Arc<ExitSignal>) -> Service {
        Service {
            inner: Arc::new(Inner {
                namespace: namespace.to_string(),
                exit,
                publisher: Mutex::new(None),
                containers: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn with_publisher(&self, publisher: RemotePublisher) -> Service {
        *self.inner.publisher.lock().unwrap_or_else(|e| e.into_inner()) = Some(publisher);
        self.clone()
    }

    fn publish(&self, topic: &str, event: Box<dyn MessageDyn>) {
        if let Some(p) = self.inner.publisher.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if let Err(e) = p.publish(shim::Context::default(), topic, &self.inner.namespace, event) {
                warn!("publishing {topic}: {e}");
            }
        }
    }

    fn containers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Container>> {
        self.inner.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The process (init for an empty exec id) and its container's state root.
    fn process(&self, id: &str, exec_id: &str) -> TtrpcResult<(Arc<Proc>, PathBuf)> {
        let cs = self.containers();
        let c = cs.get(id).ok_or_else(|| err(Code::NOT_FOUND, format!("container {id} not found")))?;
        let p = if exec_id.is_empty() {
            c.init.clone()
        } else {
            c.execs.get(exec_id).cloned().ok_or_else(|| err(Code::NOT_FOUND, format!("process {exec_id} of {id} not found")))?
        };
        Ok((p, c.root.clone()))
    }

    /// The end of a process: recorded, published, waiters woken.
    fn exited(&self, id: &str, p: &Proc, code: i32) {
        if !p.set_exited(code) {
            return;
        }
        let s = p.state();
        let event = TaskExit {
            container_id: id.to_string(),
            id: if p.exec_id.is_empty() { id.to_string() } else { p.exec_id.clone() },
            pid: s.pid,
            exit_status: s.exit_status,
            exited_at: timestamp(s.exited_at),
            ..Default::default()
        };
        drop(s);
        info!("{id} {}: exited with {code}", if p.exec_id.is_empty() { "init" } else { &p.exec_id });
        self.publish(topics::TASK_EXIT_EVENT_TOPIC, Box::new(event));
    }

    fn create_container(&self, req: &api::CreateTaskRequest) -> Result<u32, String> {
        let id = &req.id;
        rt::check_id(id)?;
        if self.containers().contains_key(id) {
            return Err(format!("container {id} already exists"));
        }
        let bundle = PathBuf::from(&req.bundle);
        let rootfs = bundle.join("rootfs");
        let mut mounted = false;
        for m in &req.rootfs {
            let fs_type = (!m.type_.is_empty()).then_some(m.type_.as_str());
            let source = (!m.source.is_empty()).then_some(m.source.as_str());
            if let Err(e) = shim::mount::mount_rootfs(fs_type, source, &m.options, &rootfs) {
                if mounted {
                    unmount(&rootfs);
                }
                return Err(format!("mounting the rootfs ({} {}): {e}", m.type_, m.source));
            }
            mounted = true;
        }
        let fail = |e: String| {
            if mounted {
                unmount(&rootfs);
            }
            e
        };
        let (pio, side) = io::setup(req.terminal, &req.stdin, &req.stdout, &req.stderr).map_err(|e| fail(format!("stdio: {e}")))?;
        let init = Proc::new("", &req.stdin, &req.stdout, &req.stderr, req.terminal, None);
        *init.io.lock().unwrap_or_else(|e| e.into_inner()) = Some(pio);
        let root = state_root(&bundle);
        // Subscribed before the monitor exists, so its end cannot be missed.
        let exits = monitor_subscribe(Topic::Pid).map_err(|e| fail(format!("exit subscription: {e}")))?;
        let created = rt::create(&root, id, &bundle, side.into_stdio()).map_err(fail)?;
        info!("{id}: {}", created.timing);
        let pid = created.pid;
        init.state().pid = pid as u32;
        self.containers().insert(
            id.clone(),
            Container { bundle: bundle.clone(), root, rootfs_mounted: mounted, init: init.clone(), execs: HashMap::new() },
        );
        let (svc, cid) = (self.clone(), id.clone());
        std::thread::spawn(move || {
            let code = wait_pid(pid, exits);
            svc.exited(&cid, &init, code);
        });
        Ok(pid as u32)
    }

    fn start_exec(&self, id: &str, p: &Arc<Proc>, root: &Path) -> Result<u32, String> {
        let spec = p.spec.clone().ok_or("no process spec")?;
        let (pio, side) = io::setup(p.terminal, &p.stdin, &p.stdout, &p.stderr).map_err(|e| format!("stdio: {e}"))?;
        let fds = match &side {
            io::Side::Fds([i, o, e]) => [i.as_raw_fd(), o.as_raw_fd(), e.as_raw_fd()],
            io::Side::Terminal(slave) => [slave.as_raw_fd(); 3],
        };
        let exec = rt::exec(root, id, &spec, fds)?;
        // The monitor holds its own copies of the process's ends now.
        drop(side);
        *p.io.lock().unwrap_or_else(|e| e.into_inner()) = Some(pio);
        let pid = exec.pid as u32;
        {
            let mut s = p.state();
            s.status = Status::Running;
            s.pid = pid;
        }
        let waiter = exec.try_clone()?;
        *p.exec.lock().unwrap_or_else(|e| e.into_inner()) = Some(exec);
        let (svc, cid, proc_) = (self.clone(), id.to_string(), p.clone());
        std::thread::spawn(move || {
            let code = waiter.wait();
            svc.exited(&cid, &proc_, code);
        });
        Ok(pid)
    }

    /// The `delete` action (containerd cleaning up after a shim that is
    /// gone): the container `id` under the bundle in the working directory.
    pub fn cleanup(id: &str) -> Result<(), String> {
        let bundle = std::env::current_dir().map_err(|e| e.to_string())?;
        let root = state_root(&bundle);
        rt::delete(&root, id, true)?;
        let _ = std::fs::remove_dir(&root);
        unmount(&bundle.join("rootfs"));
        Ok(())
    }
}

fn unmount(target: &Path) {
    if let Some(t) = target.to_str() {
        if let Err(e) = shim::mount::umount_recursive(Some(t), libc::MNT_DETACH) {
            warn!("unmounting {t}: {e}");
        }
    }
}

fn status_of(s: Status) -> api::Status {
    match s {
        Status::Created => api::Status::CREATED,
        Status::Running => api::Status::RUNNING,
        Status::Stopped => api::Status::STOPPED,
    }
}

impl shim::Task for Service {
    fn state(&self, _ctx: &TtrpcContext, req: api::StateRequest) -> TtrpcResult<api::StateResponse> {
        let (p, _) = self.process(&req.id, &req.exec_id)?;
        let bundle = self.containers().get(&req.id).map(|c| c.bundle.display().to_string()).unwrap_or_default();
        let s = p.state();
        Ok(api::StateResponse {
            id: req.id.clone(),
            exec_id: req.exec_id.clone(),
            bundle,
            pid: s.pid,
            status: status_of(s.status).into(),
            stdin: p.stdin.clone(),
            stdout: p.stdout.clone(),
            stderr: p.stderr.clone(),
            terminal: p.terminal,
            exit_status: s.exit_status,
            exited_at: if s.status == Status::Stopped { timestamp(s.exited_at) } else { MessageField::none() },
            ..Default::default()
        })
    }

    fn create(&self, _ctx: &TtrpcContext, req: api::CreateTaskRequest) -> TtrpcResult<api::CreateTaskResponse> {
        if !req.checkpoint.is_empty() {
            return Err(err(Code::UNIMPLEMENTED, "checkpoint/restore is not supported by Cyrius"));
        }
        let pid = self.create_container(&req).map_err(|e| err(Code::UNKNOWN, e))?;
        self.publish(
            topics::TASK_CREATE_EVENT_TOPIC,
            Box::new(TaskCreate {
                container_id: req.id.clone(),
                bundle: req.bundle.clone(),
                rootfs: req.rootfs.clone(),
                io: MessageField::some(shim::protos::events::task::TaskIO {
                    stdin: req.stdin.clone(),
                    stdout: req.stdout.clone(),
                    stderr: req.stderr.clone(),
                    terminal: req.terminal,
                    ..Default::default()
                }),
                pid,
                ..Default::default()
            }),
        );
        Ok(api::CreateTaskResponse { pid, ..Default::default() })
    }

    fn start(&self, _ctx: &TtrpcContext, req: api::StartRequest) -> TtrpcResult<api::StartResponse> {
        let (p, root) = self.process(&req.id, &req.exec_id)?;
        if p.state().status != Status::Created {
            return Err(err(Code::FAILED_PRECONDITION, format!("process {} is not in the created state", req.exec_id)));
        }
        let pid = if req.exec_id.is_empty() {
            rt::start(&root, &req.id).map_err(|e| err(Code::UNKNOWN, e))?;
            let mut s = p.state();
            if s.status == Status::Created {
                s.status = Status::Running;
            }
            s.pid
        } else {
            self.start_exec(&req.id, &p, &root).map_err(|e| err(Code::UNKNOWN, e))?
        };
        if req.exec_id.is_empty() {
            self.publish(topics::TASK_START_EVENT_TOPIC, Box::new(TaskStart { container_id: req.id.clone(), pid, ..Default::default() }));
        } else {
            self.publish(
                topics::TASK_EXEC_STARTED_EVENT_TOPIC,
                Box::new(TaskExecStarted { container_id: req.id.clone(), exec_id: req.exec_id.clone(), pid, ..Default::default() }),
            );
        }
        Ok(api::StartResponse { pid, ..Default::default() })
    }

    fn delete(&self, _ctx: &TtrpcContext, req: api::DeleteRequest) -> TtrpcResult<api::DeleteResponse> {
        if !req.exec_id.is_empty() {
            let (p, _) = self.process(&req.id, &req.exec_id)?;
            if p.state().status == Status::Running {
                return Err(err(Code::FAILED_PRECONDITION, format!("process {} is still running", req.exec_id)));
            }
            if let Some(c) = self.containers().get_mut(&req.id) {
                c.execs.remove(&req.exec_id);
            }
            let s = p.state();
            return Ok(api::DeleteResponse { pid: s.pid, exit_status: s.exit_status, exited_at: timestamp(s.exited_at), ..Default::default() });
        }
        let (p, root) = self.process(&req.id, "")?;
        if p.state().status == Status::Running {
            return Err(err(Code::FAILED_PRECONDITION, format!("container {} is still running", req.id)));
        }
        // A created container that never started is destroyed with its VM.
        rt::delete(&root, &req.id, true).map_err(|e| err(Code::UNKNOWN, e))?;
        let _ = std::fs::remove_dir(&root);
        p.set_exited(128 + libc::SIGKILL);
        let c = self.containers().remove(&req.id);
        if let Some(c) = c {
            if c.rootfs_mounted {
                unmount(&c.bundle.join("rootfs"));
            }
        }
        let s = p.state();
        self.publish(
            topics::TASK_DELETE_EVENT_TOPIC,
            Box::new(TaskDelete {
                container_id: req.id.clone(),
                id: req.id.clone(),
                pid: s.pid,
                exit_status: s.exit_status,
                exited_at: timestamp(s.exited_at),
                ..Default::default()
            }),
        );
        Ok(api::DeleteResponse { pid: s.pid, exit_status: s.exit_status, exited_at: timestamp(s.exited_at), ..Default::default() })
    }

    fn pids(&self, _ctx: &TtrpcContext, req: api::PidsRequest) -> TtrpcResult<api::PidsResponse> {
        let (_, root) = self.process(&req.id, "")?;
        let pids = rt::ps(&root, &req.id).map_err(|e| err(Code::UNKNOWN, e))?;
        Ok(api::PidsResponse {
            processes: pids.into_iter().map(|pid| ProcessInfo { pid: pid as u32, ..Default::default() }).collect(),
            ..Default::default()
        })
    }

    fn kill(&self, _ctx: &TtrpcContext, req: api::KillRequest) -> TtrpcResult<api::Empty> {
        let (p, root) = self.process(&req.id, &req.exec_id)?;
        if p.state().status == Status::Stopped {
            return Err(err(Code::NOT_FOUND, "process already finished"));
        }
        let sig = req.signal as i32;
        if req.exec_id.is_empty() {
            rt::kill(&root, &req.id, sig, req.all).map_err(|e| err(Code::UNKNOWN, e))?;
        } else {
            let exec = p.exec.lock().unwrap_or_else(|e| e.into_inner());
            match exec.as_ref() {
                Some(e) => e.signal(sig).map_err(|e| err(Code::UNKNOWN, e))?,
                None => return Err(err(Code::FAILED_PRECONDITION, "process not started")),
            }
        }
        Ok(api::Empty::new())
    }

    fn exec(&self, _ctx: &TtrpcContext, req: api::ExecProcessRequest) -> TtrpcResult<api::Empty> {
        let spec: Value = serde_json::from_slice(&req.spec.value).map_err(|e| err(Code::INVALID_ARGUMENT, format!("process spec: {e}")))?;
        if spec.get("args").and_then(Value::as_array).is_none_or(|a| a.is_empty()) {
            return Err(err(Code::INVALID_ARGUMENT, "process spec: args must not be empty"));
        }
        {
            let mut cs = self.containers();
            let c = cs.get_mut(&req.id).ok_or_else(|| err(Code::NOT_FOUND, format!("container {} not found", req.id)))?;
            if c.execs.contains_key(&req.exec_id) {
                return Err(err(Code::ALREADY_EXISTS, format!("process {} already exists", req.exec_id)));
            }
            let p = Proc::new(&req.exec_id, &req.stdin, &req.stdout, &req.stderr, req.terminal, Some(spec));
            c.execs.insert(req.exec_id.clone(), p);
        }
        self.publish(
            topics::TASK_EXEC_ADDED_EVENT_TOPIC,
            Box::new(TaskExecAdded { container_id: req.id.clone(), exec_id: req.exec_id.clone(), ..Default::default() }),
        );
        Ok(api::Empty::new())
    }

    fn resize_pty(&self, _ctx: &TtrpcContext, req: api::ResizePtyRequest) -> TtrpcResult<api::Empty> {
        let (p, _) = self.process(&req.id, &req.exec_id)?;
        let io = p.io.lock().unwrap_or_else(|e| e.into_inner());
        let io = io.as_ref().ok_or_else(|| err(Code::FAILED_PRECONDITION, "process not started"))?;
        let clamp = |v: u32| v.min(u16::MAX as u32) as u16;
        io.resize(clamp(req.width), clamp(req.height)).map_err(|e| err(Code::INVALID_ARGUMENT, e))?;
        Ok(api::Empty::new())
    }

    fn close_io(&self, _ctx: &TtrpcContext, req: api::CloseIORequest) -> TtrpcResult<api::Empty> {
        let (p, _) = self.process(&req.id, &req.exec_id)?;
        if req.stdin {
            if let Some(io) = p.io.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                io.close_stdin();
            }
        }
        Ok(api::Empty::new())
    }

    fn wait(&self, _ctx: &TtrpcContext, req: api::WaitRequest) -> TtrpcResult<api::WaitResponse> {
        let (p, _) = self.process(&req.id, &req.exec_id)?;
        let (status, at) = p.wait();
        Ok(api::WaitResponse { exit_status: status, exited_at: timestamp(at), ..Default::default() })
    }

    fn connect(&self, _ctx: &TtrpcContext, req: api::ConnectRequest) -> TtrpcResult<api::ConnectResponse> {
        let task_pid = self.containers().get(&req.id).map(|c| c.init.state().pid).unwrap_or(0);
        Ok(api::ConnectResponse { shim_pid: std::process::id(), task_pid, version: String::from("2"), ..Default::default() })
    }

    fn shutdown(&self, _ctx: &TtrpcContext, _req: api::ShutdownRequest) -> TtrpcResult<api::Empty> {
        if self.containers().is_empty() {
            self.inner.exit.signal();
        }
        Ok(api::Empty::new())
    }
}
