//! Docker's seccomp profile format (moby's `profiles/seccomp`: `archMap`,
//! `includes`/`excludes` by architecture, capability and kernel version)
//! turned into the runtime-spec's `linux.seccomp`, as dockerd does before it
//! hands a container to runc.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use oci::runtime::{Seccomp, SeccompArg, SeccompSyscall};
use serde_json::{Map, Value};

/// Docker's default capability set (`oci/caps.DefaultCapabilities`): the
/// one list `--image` containers get too.
pub use oci::runtime::DOCKER_DEFAULT_CAPS as DEFAULT_CAPABILITIES;

/// What the conversion depends on besides the profile.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Docker's architecture name (`"amd64"`).
    pub arch: &'a str,
    /// The container's bounding capabilities.
    pub capabilities: &'a [&'a str],
    /// The kernel version (`minKernel` is compared with it).
    pub kernel: (u32, u32),
}

impl Target<'static> {
    /// An amd64 container with Docker's default capabilities on kernel `kernel`.
    pub fn docker_default(kernel: (u32, u32)) -> Target<'static> {
        Target { arch: "amd64", capabilities: &DEFAULT_CAPABILITIES, kernel }
    }
}

/// Docker's native architecture name -> the libseccomp one (`nativeToSeccomp`).
fn seccomp_arch(arch: &str) -> Option<&'static str> {
    Some(match arch {
        "x86" => "SCMP_ARCH_X86",
        "amd64" => "SCMP_ARCH_X86_64",
        "arm" => "SCMP_ARCH_ARM",
        "arm64" => "SCMP_ARCH_AARCH64",
        "mips64" => "SCMP_ARCH_MIPS64",
        "mips64n32" => "SCMP_ARCH_MIPS64N32",
        "mipsel64" => "SCMP_ARCH_MIPSEL64",
        "mips3l64n32" => "SCMP_ARCH_MIPSEL64N32",
        "mipsle" => "SCMP_ARCH_MIPSEL",
        "ppc" => "SCMP_ARCH_PPC",
        "ppc64" => "SCMP_ARCH_PPC64",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "s390" => "SCMP_ARCH_S390",
        "s390x" => "SCMP_ARCH_S390X",
        _ => return None,
    })
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(String::from).ok_or_else(|| format!("{what}: expected strings")))
            .collect(),
        Some(_) => Err(format!("{what}: expected an array of strings")),
    }
}

fn string(v: Option<&Value>, what: &str) -> Result<String, String> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{what}: expected a string")),
    }
}

fn number(v: Option<&Value>, what: &str) -> Result<Option<u64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n.as_u64().map(Some).ok_or_else(|| format!("{what}: expected an unsigned number")),
    }
}

fn object<'v>(v: Option<&'v Value>, what: &str) -> Result<Option<&'v Map<String, Value>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(format!("{what}: expected an object")),
    }
}

/// `"4.8"` -> (4, 8).
fn kernel_version(s: &str, what: &str) -> Result<(u32, u32), String> {
    let mut parts = s.split('.');
    let major = parts.next().and_then(|p| p.parse().ok());
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok());
    match (major, minor, parts.next()) {
        (Some(major), Some(minor), None) => Ok((major, minor)),
        _ => Err(format!("{what}: invalid kernel version {s:?}")),
    }
}

/// Whether `call`'s `includes`/`excludes` keep it for `target` (moby's `setupSeccomp`).
fn applies(call: &Map<String, Value>, target: &Target<'_>, what: &str) -> Result<bool, String> {
    if let Some(ex) = object(call.get("excludes"), &format!("{what}.excludes"))? {
        if strings(ex.get("arches"), what)?.iter().any(|a| a == target.arch) {
            return Ok(false);
        }
        if strings(ex.get("caps"), what)?.iter().any(|c| target.capabilities.contains(&c.as_str())) {
            return Ok(false);
        }
        let min = string(ex.get("minKernel"), what)?;
        if !min.is_empty() && target.kernel >= kernel_version(&min, what)? {
            return Ok(false);
        }
    }
    if let Some(inc) = object(call.get("includes"), &format!("{what}.includes"))? {
        let arches = strings(inc.get("arches"), what)?;
        if !arches.is_empty() && !arches.iter().any(|a| a == target.arch) {
            return Ok(false);
        }
        if !strings(inc.get("caps"), what)?.iter().all(|c| target.capabilities.contains(&c.as_str())) {
            return Ok(false);
        }
        let min = string(inc.get("minKernel"), what)?;
        if !min.is_empty() && target.kernel < kernel_version(&min, what)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Converts a Docker seccomp profile (JSON) for `target`.
pub fn from_docker_profile(json: &[u8], target: &Target<'_>) -> Result<Seccomp, String> {
    let root: Value = serde_json::from_slice(json).map_err(|e| format!("seccomp profile: {e}"))?;
    let root = object(Some(&root), "seccomp profile")?.ok_or("seccomp profile: expected an object")?;
    let mut architectures = strings(root.get("architectures"), "architectures")?;
    let arch_map = match root.get("archMap") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err("archMap: expected an array".to_string()),
    };
    if !architectures.is_empty() && !arch_map.is_empty() {
        return Err("'architectures' and 'archMap' were both given; use one".to_string());
    }
    if let Some(native) = seccomp_arch(target.arch) {
        for (i, entry) in arch_map.iter().enumerate() {
            let entry = object(Some(entry), &format!("archMap[{i}]"))?.ok_or("archMap entry")?;
            if string(entry.get("architecture"), "archMap.architecture")? == native {
                architectures.push(native.to_string());
                architectures.extend(strings(entry.get("subArchitectures"), "archMap.subArchitectures")?);
                break;
            }
        }
    }
    let mut syscalls = Vec::new();
    let calls = match root.get("syscalls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err("syscalls: expected an array".to_string()),
    };
    for (i, call) in calls.iter().enumerate() {
        let what = format!("syscalls[{i}]");
        let call = object(Some(call), &what)?.ok_or("syscall entry")?;
        if !applies(call, target, &what)? {
            continue;
        }
        let name = string(call.get("name"), &what)?;
        let mut names = strings(call.get("names"), &what)?;
        if !name.is_empty() {
            if !names.is_empty() {
                return Err(format!("{what}: 'name' and 'names' were both given; use one"));
            }
            names.push(name);
        }
        let mut args = Vec::new();
        if let Some(Value::Array(list)) = call.get("args") {
            for (j, arg) in list.iter().enumerate() {
                let w = format!("{what}.args[{j}]");
                let arg = object(Some(arg), &w)?.ok_or("argument")?;
                args.push(SeccompArg {
                    index: number(arg.get("index"), &w)?.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
                    value: number(arg.get("value"), &w)?.unwrap_or(0),
                    value_two: number(arg.get("valueTwo"), &w)?.unwrap_or(0),
                    op: string(arg.get("op"), &w)?,
                });
            }
        }
        syscalls.push(SeccompSyscall {
            names,
            action: string(call.get("action"), &what)?,
            errno_ret: number(call.get("errnoRet"), &what)?.and_then(|n| u32::try_from(n).ok()),
            args,
        });
    }
    Ok(Seccomp {
        default_action: string(root.get("defaultAction"), "defaultAction")?,
        default_errno_ret: number(root.get("defaultErrnoRet"), "defaultErrnoRet")?.and_then(|n| u32::try_from(n).ok()),
        architectures,
        flags: strings(root.get("flags"), "flags")?,
        listener_path: string(root.get("listenerPath"), "listenerPath")?,
        listener_metadata: string(root.get("listenerMetadata"), "listenerMetadata")?,
        syscalls,
    })
}
