//! The runtime-spec bundle configuration (`config.json`) as typed structs.
//!
//! Field names, order and omission rules follow the Go bindings (`specs-go`), so
//! [`Spec::to_json`] writes what `runc spec` would for the same values. Only the Linux
//! subset the kernel honours (or must carry as data) is modelled; unknown fields are
//! ignored on input.

mod defaults;
mod parse;
mod validate;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::gojson::{to_go_json, Indent};

pub use defaults::{default_linux, default_mounts, DEFAULT_PATH, DOCKER_DEFAULT_CAPS};
pub use parse::parse_config;

/// The runtime-spec version this crate writes.
pub const OCI_VERSION: &str = "1.0.2-dev";

/// A whole `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spec {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub process: Process,
    pub root: Root,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domainname: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux: Option<Linux>,
}

/// `process`: what runs in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    #[serde(skip_serializing_if = "is_false")]
    pub terminal: bool,
    pub user: User,
    /// argv; never empty in a valid spec.
    pub args: Vec<String>,
    /// `KEY=value` strings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Absolute working directory.
    pub cwd: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rlimits: Vec<Rlimit>,
    #[serde(skip_serializing_if = "is_false")]
    pub no_new_privileges: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
}

/// `process.user`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umask: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_gids: Vec<u32>,
}

/// `process.capabilities`: capability names (`CAP_KILL`); the kernel turns them into
/// credentials with the `creds` crate (unknown names are its business, as runc warns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bounding: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effective: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inheritable: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permitted: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ambient: Vec<String>,
}

/// One `process.rlimits` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rlimit {
    /// `RLIMIT_NOFILE` etc.
    #[serde(rename = "type")]
    pub kind: String,
    pub hard: u64,
    pub soft: u64,
}

/// `root`: the container's root filesystem, relative to the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Root {
    pub path: String,
    #[serde(skip_serializing_if = "is_false")]
    pub readonly: bool,
}

/// One `mounts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub destination: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// `linux`: the Linux-specific section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Linux {
    #[serde(rename = "uidMappings", skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    #[serde(rename = "gidMappings", skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctl: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<Seccomp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masked_paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readonly_paths: Vec<String>,
}

/// One `linux.uidMappings`/`gidMappings` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdMapping {
    #[serde(rename = "containerID")]
    pub container_id: u32,
    #[serde(rename = "hostID")]
    pub host_id: u32,
    pub size: u32,
}

/// `linux.resources` (cgroup limits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<PidsLimits>,
}

/// `linux.resources.memory`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryLimits {
    /// Bytes; -1 means unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `linux.resources.cpu`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuLimits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// Microseconds per period; -1 means unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// CPU list (`0-3,7`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cpus: String,
}

/// `linux.resources.pids`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PidsLimits {
    /// Maximum number of tasks; 0 or -1 means unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// One `linux.resources.devices` cgroup rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceRule {
    pub allow: bool,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub access: String,
}

/// One `linux.namespaces` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Namespace {
    #[serde(rename = "type")]
    pub kind: NamespaceKind,
    /// A namespace to join instead of creating one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// The namespace types the runtime-spec defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceKind {
    Pid,
    Network,
    Mount,
    Ipc,
    Uts,
    User,
    Cgroup,
    Time,
}

impl NamespaceKind {
    /// Parses the spec's name (`"pid"`, `"network"`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "pid" => Self::Pid,
            "network" => Self::Network,
            "mount" => Self::Mount,
            "ipc" => Self::Ipc,
            "uts" => Self::Uts,
            "user" => Self::User,
            "cgroup" => Self::Cgroup,
            "time" => Self::Time,
            _ => return None,
        })
    }
}

/// One `linux.devices` entry: a device node to create in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub path: String,
    /// `c`, `b`, `u` or `p`.
    #[serde(rename = "type")]
    pub kind: String,
    pub major: i64,
    pub minor: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_mode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
}

/// `linux.seccomp`, kept as the spec's strings (the `seccomp` crate compiles
/// it and reports unknown actions, operators, architectures and flags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seccomp {
    /// `SCMP_ACT_*`.
    pub default_action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// `SCMP_ARCH_*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// `SECCOMP_FILTER_FLAG_*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub listener_path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub listener_metadata: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<SeccompSyscall>,
}

/// One `linux.seccomp.syscalls` entry: a rule for each name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompSyscall {
    pub names: Vec<String>,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<SeccompArg>,
}

/// One argument condition of a seccomp rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompArg {
    pub index: u32,
    pub value: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub value_two: u64,
    /// `SCMP_CMP_*`.
    pub op: String,
}

/// The Linux `RLIMIT_*` names in resource-number order (`RLIMIT_CPU` is 0).
pub const RLIMIT_NAMES: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

impl Rlimit {
    /// The Linux resource number (`RLIMIT_NOFILE` is 7), if the name is known.
    pub fn resource(&self) -> Option<u32> {
        RLIMIT_NAMES.iter().position(|&n| n == self.kind).and_then(|i| u32::try_from(i).ok())
    }
}

impl Spec {
    /// The configuration as `runc spec` writes it (tab-indented, Go escaping).
    pub fn to_json(&self) -> String {
        to_go_json(self, Indent::Tab)
    }

    /// Whether the spec asks for a namespace of `kind`.
    pub fn has_namespace(&self, kind: NamespaceKind) -> bool {
        self.linux.as_ref().is_some_and(|l| l.namespaces.iter().any(|n| n.kind == kind))
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}
