//! Decoding `config.json` into [`Spec`], with field-path errors, then validating it.

use crate::error::ConfigError;
use crate::json::{decode, Node, Obj};

use super::{
    Capabilities, CpuLimits, Device, DeviceRule, IdMapping, Linux, MemoryLimits, Mount, Namespace, NamespaceKind,
    PidsLimits, Process, Resources, Rlimit, Root, Seccomp, SeccompArg, SeccompSyscall, Spec, User,
};

/// The document name in error messages.
pub(crate) const DOC: &str = "config.json";

/// Parses and validates a bundle's `config.json`.
///
/// Unknown fields are ignored and `null` counts as absent. A field of the wrong type, a
/// missing required field or an invalid value gives an error naming its path, e.g.
/// `config.json: process.args: expected an array of strings`.
pub fn parse_config(bytes: &[u8]) -> Result<Spec, ConfigError> {
    let spec = decode(DOC, bytes, |root| spec(&root.object()?))?;
    spec.validate()?;
    Ok(spec)
}

fn spec(o: &Obj<'_>) -> Result<Spec, ConfigError> {
    Ok(Spec {
        oci_version: o.req("ociVersion")?.string()?,
        process: process(&o.req("process")?.object()?)?,
        root: root(&o.req("root")?.object()?)?,
        hostname: o.or_default("hostname", Node::string)?,
        domainname: o.or_default("domainname", Node::string)?,
        mounts: o.or_default("mounts", |n| n.array(|m| mount(&m.object()?)))?,
        annotations: o.or_default("annotations", Node::string_map)?,
        linux: o.opt("linux", |n| linux(&n.object()?))?,
    })
}

fn process(o: &Obj<'_>) -> Result<Process, ConfigError> {
    Ok(Process {
        terminal: o.or_default("terminal", Node::boolean)?,
        user: user(&o.req("user")?.object()?)?,
        args: o.req("args")?.strings()?,
        env: o.or_default("env", Node::strings)?,
        cwd: o.req("cwd")?.string()?,
        capabilities: o.opt("capabilities", |n| capabilities(&n.object()?))?,
        rlimits: o.or_default("rlimits", |n| n.array(|r| rlimit(&r.object()?)))?,
        no_new_privileges: o.or_default("noNewPrivileges", Node::boolean)?,
        oom_score_adj: o.opt("oomScoreAdj", Node::i64)?,
    })
}

fn user(o: &Obj<'_>) -> Result<User, ConfigError> {
    Ok(User {
        uid: o.req("uid")?.u32()?,
        gid: o.req("gid")?.u32()?,
        umask: o.opt("umask", Node::u32)?,
        additional_gids: o.or_default("additionalGids", |n| n.array(|g| g.u32()))?,
    })
}

fn capabilities(o: &Obj<'_>) -> Result<Capabilities, ConfigError> {
    Ok(Capabilities {
        bounding: o.or_default("bounding", Node::strings)?,
        effective: o.or_default("effective", Node::strings)?,
        inheritable: o.or_default("inheritable", Node::strings)?,
        permitted: o.or_default("permitted", Node::strings)?,
        ambient: o.or_default("ambient", Node::strings)?,
    })
}

fn rlimit(o: &Obj<'_>) -> Result<Rlimit, ConfigError> {
    Ok(Rlimit { kind: o.req("type")?.string()?, hard: o.req("hard")?.u64()?, soft: o.req("soft")?.u64()? })
}

fn root(o: &Obj<'_>) -> Result<Root, ConfigError> {
    Ok(Root { path: o.req("path")?.string()?, readonly: o.or_default("readonly", Node::boolean)? })
}

fn mount(o: &Obj<'_>) -> Result<Mount, ConfigError> {
    Ok(Mount {
        destination: o.req("destination")?.string()?,
        kind: o.or_default("type", Node::string)?,
        source: o.or_default("source", Node::string)?,
        options: o.or_default("options", Node::strings)?,
    })
}

fn linux(o: &Obj<'_>) -> Result<Linux, ConfigError> {
    Ok(Linux {
        uid_mappings: o.or_default("uidMappings", |n| n.array(|m| id_mapping(&m.object()?)))?,
        gid_mappings: o.or_default("gidMappings", |n| n.array(|m| id_mapping(&m.object()?)))?,
        sysctl: o.or_default("sysctl", Node::string_map)?,
        resources: o.opt("resources", |n| resources(&n.object()?))?,
        namespaces: o.or_default("namespaces", |n| n.array(|ns| namespace(&ns.object()?)))?,
        devices: o.or_default("devices", |n| n.array(|d| device(&d.object()?)))?,
        seccomp: o.opt("seccomp", |n| seccomp(&n.object()?))?,
        masked_paths: o.or_default("maskedPaths", Node::strings)?,
        readonly_paths: o.or_default("readonlyPaths", Node::strings)?,
    })
}

fn id_mapping(o: &Obj<'_>) -> Result<IdMapping, ConfigError> {
    Ok(IdMapping {
        container_id: o.req("containerID")?.u32()?,
        host_id: o.req("hostID")?.u32()?,
        size: o.req("size")?.u32()?,
    })
}

fn resources(o: &Obj<'_>) -> Result<Resources, ConfigError> {
    Ok(Resources {
        devices: o.or_default("devices", |n| n.array(|d| device_rule(&d.object()?)))?,
        memory: o.opt("memory", |n| Ok(MemoryLimits { limit: n.object()?.opt("limit", Node::i64)? }))?,
        cpu: o.opt("cpu", |n| cpu(&n.object()?))?,
        pids: o.opt("pids", |n| Ok(PidsLimits { limit: n.object()?.opt("limit", Node::i64)? }))?,
    })
}

fn cpu(o: &Obj<'_>) -> Result<CpuLimits, ConfigError> {
    Ok(CpuLimits {
        shares: o.opt("shares", Node::u64)?,
        quota: o.opt("quota", Node::i64)?,
        period: o.opt("period", Node::u64)?,
        cpus: o.or_default("cpus", Node::string)?,
    })
}

fn device_rule(o: &Obj<'_>) -> Result<DeviceRule, ConfigError> {
    Ok(DeviceRule {
        allow: o.req("allow")?.boolean()?,
        kind: o.or_default("type", Node::string)?,
        major: o.opt("major", Node::i64)?,
        minor: o.opt("minor", Node::i64)?,
        access: o.or_default("access", Node::string)?,
    })
}

fn namespace(o: &Obj<'_>) -> Result<Namespace, ConfigError> {
    let type_node = o.req("type")?;
    let name = type_node.string()?;
    let kind = NamespaceKind::from_name(&name)
        .ok_or_else(|| type_node.invalid(alloc::format!("unknown namespace type {name:?}")))?;
    Ok(Namespace { kind, path: o.or_default("path", Node::string)? })
}

fn device(o: &Obj<'_>) -> Result<Device, ConfigError> {
    Ok(Device {
        path: o.req("path")?.string()?,
        kind: o.req("type")?.string()?,
        major: o.or_default("major", Node::i64)?,
        minor: o.or_default("minor", Node::i64)?,
        file_mode: o.opt("fileMode", Node::u32)?,
        uid: o.opt("uid", Node::u32)?,
        gid: o.opt("gid", Node::u32)?,
    })
}

/// `linux.seccomp`; parsed here, compiled (and its names checked) by the `seccomp` crate.
fn seccomp(o: &Obj<'_>) -> Result<Seccomp, ConfigError> {
    Ok(Seccomp {
        default_action: o.req("defaultAction")?.string()?,
        default_errno_ret: o.opt("defaultErrnoRet", Node::u32)?,
        architectures: o.or_default("architectures", Node::strings)?,
        flags: o.or_default("flags", Node::strings)?,
        listener_path: o.or_default("listenerPath", Node::string)?,
        listener_metadata: o.or_default("listenerMetadata", Node::string)?,
        syscalls: o.or_default("syscalls", |n| n.array(|s| seccomp_syscall(&s.object()?)))?,
    })
}

fn seccomp_syscall(o: &Obj<'_>) -> Result<SeccompSyscall, ConfigError> {
    Ok(SeccompSyscall {
        names: o.req("names")?.strings()?,
        action: o.req("action")?.string()?,
        errno_ret: o.opt("errnoRet", Node::u32)?,
        args: o.or_default("args", |n| n.array(|a| seccomp_arg(&a.object()?)))?,
    })
}

fn seccomp_arg(o: &Obj<'_>) -> Result<SeccompArg, ConfigError> {
    Ok(SeccompArg {
        index: o.req("index")?.u32()?,
        value: o.req("value")?.u64()?,
        value_two: o.or_default("valueTwo", Node::u64)?,
        op: o.req("op")?.string()?,
    })
}
