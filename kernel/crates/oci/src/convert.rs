//! Deriving a runtime [`Spec`] from an image configuration, as umoci's `unpack` does.
//!
//! - args = `Entrypoint` + `Cmd` (`Cmd` alone without an entrypoint); none is an error;
//! - env = the default `PATH` (and `TERM=xterm` for a terminal), overridden or extended
//!   by the image's `Env` in order (later duplicates win), then `HOME` from the user's
//!   passwd entry if still absent — the order umoci produces;
//! - cwd = `WorkingDir` or `/`;
//! - user from `User` (`user`, `uid`, `user:group`, `uid:gid`, mixed) with libcontainer's
//!   rules: names must resolve; a numeric uid may be unknown (gid 0, home `/`); without an
//!   explicit group, gid comes from passwd and supplementary groups from `/etc/group`;
//! - hostname = the container id; root = `rootfs`, writable; default mounts, namespaces
//!   and masked paths as in [`Spec::default_for`]; image labels plus umoci's
//!   `org.opencontainers.image.{architecture,author,created,exposedPorts,os,stopSignal}`
//!   become annotations.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use errno::Errno;

use crate::error::DocError;
use crate::image::ImageConfig;
use crate::runtime::{Spec, User, DEFAULT_PATH};
use crate::users::UserLookup;

/// Caller choices for [`spec_from_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertOptions<'a> {
    /// The container id, also used as its hostname.
    pub container_id: &'a str,
    /// Whether the process gets a terminal.
    pub terminal: bool,
}

/// Why an image configuration cannot become a runtime spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// Neither `Entrypoint` nor `Cmd` is set.
    NoCommand,
    /// A user name that is not in the image's passwd file.
    UnknownUser(String),
    /// A group name that is not in the image's group file.
    UnknownGroup(String),
    /// A malformed `User` value.
    BadUser(String),
    /// An `Env` entry without `=`.
    BadEnv(String),
    /// The resulting spec fails validation.
    Invalid(DocError),
}

impl ConvertError {
    pub fn errno(&self) -> Errno {
        match self {
            ConvertError::UnknownUser(_) | ConvertError::UnknownGroup(_) => Errno::ENOENT,
            _ => Errno::EINVAL,
        }
    }
}

impl From<ConvertError> for Errno {
    fn from(e: ConvertError) -> Self {
        e.errno()
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::NoCommand => f.write_str("image config: no command specified (Entrypoint and Cmd are empty)"),
            ConvertError::UnknownUser(u) => write!(f, "unable to find user {u}: no matching entries in passwd file"),
            ConvertError::UnknownGroup(g) => write!(f, "unable to find group {g}: no matching entries in group file"),
            ConvertError::BadUser(u) => write!(f, "image config: invalid User {u:?}"),
            ConvertError::BadEnv(e) => write!(f, "image config: invalid Env entry {e:?} (want KEY=value)"),
            ConvertError::Invalid(e) => e.fmt(f),
        }
    }
}

/// Annotations umoci always sets from the image configuration.
const ANNOTATION_ARCH: &str = "org.opencontainers.image.architecture";
const ANNOTATION_AUTHOR: &str = "org.opencontainers.image.author";
const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
const ANNOTATION_EXPOSED_PORTS: &str = "org.opencontainers.image.exposedPorts";
const ANNOTATION_OS: &str = "org.opencontainers.image.os";
const ANNOTATION_STOP_SIGNAL: &str = "org.opencontainers.image.stopSignal";

/// Builds the runtime spec for running `image` as container `opts.container_id`.
pub fn spec_from_image(image: &ImageConfig, opts: &ConvertOptions<'_>, users: &dyn UserLookup) -> Result<Spec, ConvertError> {
    let c = &image.config;
    let args: Vec<String> = if c.entrypoint.is_empty() { c.cmd.clone() } else { c.entrypoint.iter().chain(&c.cmd).cloned().collect() };
    if args.is_empty() {
        return Err(ConvertError::NoCommand);
    }
    let resolved = resolve_user(&c.user, users)?;

    // umoci starts from the runtime-tools defaults and lets the image override them.
    let mut env = Env::default();
    env.set(DEFAULT_PATH)?;
    if opts.terminal {
        env.set("TERM=xterm")?;
    }
    for var in &c.env {
        env.set(var)?;
    }
    if !env.has("HOME") {
        env.set(&alloc::format!("HOME={}", resolved.home))?;
    }

    let cwd = if c.working_dir.is_empty() { "/" } else { c.working_dir.as_str() };
    let mut spec = Spec::default_for(args, env.vars, cwd, opts.container_id);
    spec.process.terminal = opts.terminal;
    spec.process.user = resolved.user;
    spec.root.readonly = false;

    let notes = &mut spec.annotations;
    notes.extend(c.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (key, value) in [
        (ANNOTATION_ARCH, image.architecture.clone()),
        (ANNOTATION_AUTHOR, image.author.clone()),
        (ANNOTATION_CREATED, image.created.clone()),
        (ANNOTATION_EXPOSED_PORTS, c.exposed_ports.join(",")),
        (ANNOTATION_OS, image.os.clone()),
        (ANNOTATION_STOP_SIGNAL, c.stop_signal.clone()),
    ] {
        notes.insert(key.to_string(), value);
    }
    spec.validate().map_err(ConvertError::Invalid)?;
    Ok(spec)
}

/// An environment being built: `KEY=value` strings, one per key, in first-seen order.
#[derive(Default)]
struct Env {
    vars: Vec<String>,
}

impl Env {
    fn set(&mut self, var: &str) -> Result<(), ConvertError> {
        let key = match var.find('=') {
            Some(eq) if eq > 0 => &var[..eq],
            _ => return Err(ConvertError::BadEnv(var.to_string())),
        };
        match self.vars.iter_mut().find(|v| v.split('=').next() == Some(key)) {
            Some(existing) => *existing = var.to_string(),
            None => self.vars.push(var.to_string()),
        }
        Ok(())
    }

    fn has(&self, key: &str) -> bool {
        self.vars.iter().any(|v| v.split('=').next() == Some(key))
    }
}

/// The process identity an image's `User` resolves to.
struct Resolved {
    user: User,
    home: String,
}

/// Resolves `user[:group]` like libcontainer's `GetExecUser` with root defaults.
fn resolve_user(spec: &str, db: &dyn UserLookup) -> Result<Resolved, ConvertError> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    if group_part.is_some_and(str::is_empty) || (user_part.is_empty() && group_part.is_some()) {
        return Err(ConvertError::BadUser(spec.to_string()));
    }
    let mut user = User::default();
    let mut home = String::from("/");
    let mut name = None;
    if user_part.is_empty() {
        // No user: root, with root's passwd entry if there is one.
        if let Some(entry) = db.user_by_uid(0) {
            home = entry.home;
            name = Some(entry.name);
        }
    } else if let Ok(uid) = user_part.parse::<u32>() {
        user.uid = uid;
        if let Some(entry) = db.user_by_uid(uid) {
            user.gid = entry.gid;
            home = entry.home;
            name = Some(entry.name);
        }
    } else {
        let entry = db.user_by_name(user_part).ok_or_else(|| ConvertError::UnknownUser(user_part.to_string()))?;
        user.uid = entry.uid;
        user.gid = entry.gid;
        home = entry.home;
        name = Some(entry.name);
    }
    match group_part {
        Some(group) => {
            user.gid = match group.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => db.group_by_name(group).ok_or_else(|| ConvertError::UnknownGroup(group.to_string()))?.gid,
            };
        }
        None => {
            if let Some(name) = &name {
                user.additional_gids = db.groups_of(name).into_iter().map(|g| g.gid).collect();
            }
        }
    }
    if home.is_empty() {
        home = String::from("/");
    }
    Ok(Resolved { user, home })
}
