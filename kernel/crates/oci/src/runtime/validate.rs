//! Semantic checks on a [`Spec`] beyond JSON types, each error naming the field path.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};

use crate::error::{ConfigError, Problem};

use super::parse::DOC;
use super::{Spec, RLIMIT_NAMES};

/// Linux `HOST_NAME_MAX`.
const HOST_NAME_MAX: usize = 64;

fn invalid(path: impl Into<String>, msg: impl Into<String>) -> ConfigError {
    ConfigError { doc: DOC.to_string(), path: path.into(), problem: Problem::Invalid(msg.into()) }
}

fn check_absolute(path: String, value: &str) -> Result<(), ConfigError> {
    if value.starts_with('/') && !value.contains('\0') {
        Ok(())
    } else {
        Err(invalid(path, format!("must be an absolute path, got {value:?}")))
    }
}

impl Spec {
    /// Checks what the runtime relies on: a non-empty `ociVersion` and `root.path`, a
    /// non-empty `process.args`, absolute `process.cwd`, mount destinations and masked/
    /// read-only paths, `KEY=value` environment entries, known and unique rlimits with
    /// soft <= hard, unique namespaces, known device types, and a hostname Linux accepts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.oci_version.is_empty() {
            return Err(invalid("ociVersion", "must not be empty"));
        }
        if self.root.path.is_empty() {
            return Err(invalid("root.path", "must not be empty"));
        }
        if self.hostname.len() > HOST_NAME_MAX || self.hostname.contains('\0') {
            return Err(invalid("hostname", format!("invalid hostname {:?}", self.hostname)));
        }
        self.validate_process()?;
        for (i, m) in self.mounts.iter().enumerate() {
            check_absolute(format!("mounts[{i}].destination"), &m.destination)?;
        }
        self.validate_linux()
    }

    fn validate_process(&self) -> Result<(), ConfigError> {
        let p = &self.process;
        if p.args.is_empty() {
            return Err(invalid("process.args", "must not be empty"));
        }
        check_absolute("process.cwd".to_string(), &p.cwd)?;
        for (i, var) in p.env.iter().enumerate() {
            if var.find('=').is_none_or(|eq| eq == 0) || var.contains('\0') {
                return Err(invalid(format!("process.env[{i}]"), format!("invalid environment variable {var:?} (want KEY=value)")));
            }
        }
        let mut seen = BTreeSet::new();
        for (i, r) in p.rlimits.iter().enumerate() {
            let path = format!("process.rlimits[{i}]");
            if !RLIMIT_NAMES.contains(&r.kind.as_str()) {
                return Err(invalid(format!("{path}.type"), format!("unknown rlimit {:?}", r.kind)));
            }
            if !seen.insert(r.kind.as_str()) {
                return Err(invalid(format!("{path}.type"), format!("duplicate rlimit {:?}", r.kind)));
            }
            if r.soft > r.hard {
                return Err(invalid(path, "soft limit exceeds hard limit"));
            }
        }
        Ok(())
    }

    fn validate_linux(&self) -> Result<(), ConfigError> {
        let Some(linux) = &self.linux else { return Ok(()) };
        let mut seen = BTreeSet::new();
        for (i, ns) in linux.namespaces.iter().enumerate() {
            if !seen.insert(ns.kind) {
                return Err(invalid(format!("linux.namespaces[{i}].type"), "duplicate namespace type"));
            }
        }
        for (i, d) in linux.devices.iter().enumerate() {
            check_absolute(format!("linux.devices[{i}].path"), &d.path)?;
            if !matches!(d.kind.as_str(), "c" | "b" | "u" | "p") {
                return Err(invalid(format!("linux.devices[{i}].type"), format!("unknown device type {:?}", d.kind)));
            }
        }
        for (name, list) in [("maskedPaths", &linux.masked_paths), ("readonlyPaths", &linux.readonly_paths)] {
            for (i, p) in list.iter().enumerate() {
                check_absolute(format!("linux.{name}[{i}]"), p)?;
            }
        }
        Ok(())
    }
}
