//! A container process's identity and limits from config.json:
//! `process.user` (uid, gid, additionalGids, umask), `process.capabilities`,
//! `process.noNewPrivileges` and `process.rlimits`, turned into the
//! credentials its process has just before execve (as runc's init leaves
//! them; the execve itself then applies Linux's capability rules) and the
//! limits it starts with.
//! Invariants: a spec that asks for something impossible (effective
//! capabilities outside permitted, ambient ones not both permitted and
//! inheritable) is refused at create with the field named; unknown
//! capability names are ignored with a warning, as runc does.
//! May call: `task` (default limits).

use alloc::format;
use alloc::string::String;

use creds::policy::{container_cred, CapNames, ContainerIdentity};
use creds::{Cred, Resource, Rlimit, Rlimits};
use oci::Spec;

/// What every process started in a container runs as.
#[derive(Clone)]
pub struct Identity {
    /// Credentials before the execve of its program.
    pub cred: Cred,
    pub rlimits: Rlimits,
    pub umask: u32,
}

/// The identity `spec` describes for container `id`.
pub fn identity(id: &str, spec: &Spec) -> Result<Identity, String> {
    let p = &spec.process;
    let caps = p.capabilities.as_ref().map(|c| CapNames {
        bounding: &c.bounding,
        effective: &c.effective,
        permitted: &c.permitted,
        inheritable: &c.inheritable,
        ambient: &c.ambient,
    });
    let who = ContainerIdentity {
        uid: p.user.uid,
        gid: p.user.gid,
        additional_gids: &p.user.additional_gids,
        caps,
        no_new_privileges: p.no_new_privileges,
    };
    let (cred, unknown) = container_cred(&who)?;
    for name in unknown {
        log::warn!("container {id}: ignoring unknown or unavailable capability {name:?}");
    }
    let mut rlimits = crate::task::default_rlimits();
    for (i, r) in p.rlimits.iter().enumerate() {
        // The spec was validated: names are known and soft <= hard.
        let res = Resource::from_name(&r.kind).ok_or_else(|| format!("process.rlimits[{i}].type: unknown rlimit {:?}", r.kind))?;
        rlimits.set_initial(res, Rlimit::new(r.soft, r.hard));
    }
    Ok(Identity { cred, rlimits, umask: p.user.umask.map_or(0o022, |m| m & 0o777) })
}
