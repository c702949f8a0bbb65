//! [`Spec::default_for`]: the configuration `runc spec` generates, for given args/env/cwd.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{
    Capabilities, DeviceRule, Linux, Mount, Namespace, NamespaceKind, Process, Resources, Rlimit, Root, Spec, User,
    OCI_VERSION,
};

/// The `PATH` runc and Docker give a process whose image sets none.
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The capabilities `runc spec` grants (bounding = effective = permitted).
const DEFAULT_CAPS: [&str; 3] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

/// The capabilities `docker run` grants by default (moby's `DefaultCapabilities`), which
/// images are written for: a root process may chown, switch users and bind low ports.
pub const DOCKER_DEFAULT_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

const MASKED_PATHS: [&str; 11] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    "/sys/devices/virtual/tpm",
];

const READONLY_PATHS: [&str; 5] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The mounts `runc spec` lists, in its order. A kernel may skip types it lacks
/// (devpts, mqueue, sysfs, cgroup); proc and tmpfs are the ones containers need.
pub fn default_mounts() -> Vec<Mount> {
    let mount = |destination: &str, kind: &str, source: &str, options: &[&str]| Mount {
        destination: destination.to_string(),
        kind: kind.to_string(),
        source: source.to_string(),
        options: strings(options),
    };
    alloc::vec![
        mount("/proc", "proc", "proc", &[]),
        mount("/dev", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]),
        mount("/dev/pts", "devpts", "devpts", &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        mount("/dev/shm", "tmpfs", "shm", &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        mount("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]),
        mount("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", &["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]
}

/// The `linux` section of `runc spec` (cgroup v2 host: includes the cgroup namespace).
pub fn default_linux() -> Linux {
    let ns = |kind| Namespace { kind, path: String::new() };
    Linux {
        resources: Some(Resources {
            devices: alloc::vec![DeviceRule { allow: false, access: "rwm".to_string(), ..DeviceRule::default() }],
            ..Resources::default()
        }),
        namespaces: alloc::vec![
            ns(NamespaceKind::Pid),
            ns(NamespaceKind::Network),
            ns(NamespaceKind::Ipc),
            ns(NamespaceKind::Uts),
            ns(NamespaceKind::Mount),
            ns(NamespaceKind::Cgroup),
        ],
        masked_paths: strings(&MASKED_PATHS),
        readonly_paths: strings(&READONLY_PATHS),
        ..Linux::default()
    }
}

impl Spec {
    /// Gives the process what `docker run` gives it by default: [`DOCKER_DEFAULT_CAPS`] as
    /// its bounding, effective and permitted sets, and no `noNewPrivileges` (set-user-ID
    /// programs such as `su` work).
    pub fn use_docker_privileges(&mut self) {
        let caps = strings(&DOCKER_DEFAULT_CAPS);
        self.process.capabilities =
            Some(Capabilities { bounding: caps.clone(), effective: caps.clone(), permitted: caps, ..Capabilities::default() });
        self.process.no_new_privileges = false;
    }

    /// The configuration `runc spec` writes, with the given process and hostname: root
    /// `rootfs` read-only, a terminal, uid/gid 0, the default capabilities, RLIMIT_NOFILE
    /// 1024, `noNewPrivileges`, the default mounts, namespaces and masked paths.
    pub fn default_for(args: Vec<String>, env: Vec<String>, cwd: &str, hostname: &str) -> Spec {
        let caps = strings(&DEFAULT_CAPS);
        Spec {
            oci_version: OCI_VERSION.to_string(),
            process: Process {
                terminal: true,
                user: User::default(),
                args,
                env,
                cwd: cwd.to_string(),
                capabilities: Some(Capabilities {
                    bounding: caps.clone(),
                    effective: caps.clone(),
                    permitted: caps,
                    ..Capabilities::default()
                }),
                rlimits: alloc::vec![Rlimit { kind: "RLIMIT_NOFILE".to_string(), hard: 1024, soft: 1024 }],
                no_new_privileges: true,
                oom_score_adj: None,
            },
            root: Root { path: "rootfs".to_string(), readonly: true },
            hostname: hostname.to_string(),
            domainname: String::new(),
            mounts: default_mounts(),
            annotations: BTreeMap::new(),
            linux: Some(default_linux()),
        }
    }
}
