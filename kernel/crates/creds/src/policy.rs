//! Permission decisions outside the filesystem: who may signal whom, bind
//! which port, read or change another process's limits; and the
//! credentials a container's process starts with (what runc sets up
//! between fork and execve).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use errno::Errno;

use crate::caps::{Cap, CapSet};
use crate::cred::Cred;

/// `kill_ok_by_cred`: the sender's real or effective uid is the target's
/// real or saved uid, or the sender has `CAP_KILL`. (Linux also lets
/// `SIGCONT` through within a session; the caller checks that.)
pub fn may_signal(sender: &Cred, target: &Cred) -> bool {
    let ids = [target.ruid, target.suid];
    ids.contains(&sender.euid) || ids.contains(&sender.ruid) || sender.capable(Cap::KILL)
}

/// The first port only `CAP_NET_BIND_SERVICE` may bind
/// (`net.ipv4.ip_unprivileged_port_start`).
pub const UNPRIVILEGED_PORT_START: u16 = 1024;

/// bind(2) of an IPv4 port: `EACCES` for a privileged port without
/// `CAP_NET_BIND_SERVICE` (port 0 picks a free one and is always fine).
pub fn may_bind_port(cred: &Cred, port: u16) -> Result<(), Errno> {
    if port != 0 && port < UNPRIVILEGED_PORT_START && !cred.capable(Cap::NET_BIND_SERVICE) {
        Err(Errno::EACCES)
    } else {
        Ok(())
    }
}

/// `check_prlimit_permission` for another process: the caller's real uid
/// is all three of the target's uids and its real gid all three gids, or
/// the caller has `CAP_SYS_RESOURCE` (`EPERM`).
pub fn may_prlimit(caller: &Cred, target: &Cred) -> Result<(), Errno> {
    let uid = caller.ruid;
    let gid = caller.rgid;
    let same = [target.ruid, target.euid, target.suid].iter().all(|&u| u == uid)
        && [target.rgid, target.egid, target.sgid].iter().all(|&g| g == gid);
    if same || caller.capable(Cap::SYS_RESOURCE) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// config.json's `process.capabilities`, by set.
#[derive(Clone, Copy, Debug, Default)]
pub struct CapNames<'a> {
    pub bounding: &'a [String],
    pub effective: &'a [String],
    pub permitted: &'a [String],
    pub inheritable: &'a [String],
    pub ambient: &'a [String],
}

/// A container process's identity from config.json: `process.user` and
/// `process.capabilities` (`None`: the field is absent and the sets stay
/// full, as runc leaves them), and `process.noNewPrivileges`.
#[derive(Clone, Copy, Debug)]
pub struct ContainerIdentity<'a> {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: &'a [u32],
    pub caps: Option<CapNames<'a>>,
    pub no_new_privileges: bool,
}

/// The credentials a container's process has just before its execve, as
/// runc's init leaves them: bounding set applied, keep-caps, setgroups +
/// setgid + setuid, capset(effective, permitted, inheritable), ambient
/// capabilities raised, no_new_privs. The execve that follows
/// ([`Cred::after_exec`]) then gives the final sets (a non-root user keeps
/// only its ambient capabilities). Unknown capability names, and ambient
/// ones that are not both permitted and inheritable, are returned
/// (runc warns and ignores them); an impossible combination is an error
/// naming the field.
pub fn container_cred(id: &ContainerIdentity<'_>) -> Result<(Cred, Vec<String>), String> {
    let mut cred = Cred::root();
    let mut unknown = Vec::new();
    let mut set = |names: &[String]| {
        let (set, bad) = CapSet::from_names(names.iter().map(String::as_str));
        for name in bad {
            if !unknown.iter().any(|u: &String| u == name) {
                unknown.push(String::from(name));
            }
        }
        set
    };
    let sets = id.caps.map(|c| {
        (set(c.bounding), set(c.effective), set(c.permitted), set(c.inheritable), set(c.ambient))
    });
    if let Some((bounding, ..)) = sets {
        cred.caps.bounding = bounding;
    }
    let mut groups = id.additional_gids.to_vec();
    groups.sort_unstable();
    groups.dedup();
    cred.groups = groups;
    (cred.rgid, cred.egid, cred.sgid, cred.fsgid) = (id.gid, id.gid, id.gid, id.gid);
    // setuid with keep-caps: permitted survives, effective goes with uid 0.
    (cred.ruid, cred.euid, cred.suid, cred.fsuid) = (id.uid, id.uid, id.uid, id.uid);
    if id.uid != 0 {
        cred.caps.effective = CapSet::EMPTY;
    }
    if let Some((bounding, effective, permitted, inheritable, ambient)) = sets {
        if !effective.is_subset_of(permitted) {
            return Err(String::from("process.capabilities: effective must be a subset of permitted"));
        }
        if !inheritable.is_subset_of(bounding) {
            return Err(String::from("process.capabilities: inheritable must be a subset of bounding"));
        }
        cred.caps.effective = effective;
        cred.caps.permitted = permitted;
        cred.caps.inheritable = inheritable;
        // runc raises each ambient capability with PR_CAP_AMBIENT_RAISE, which
        // fails (EPERM) for one not both permitted and inheritable: it warns
        // and goes on without it (`runc spec` itself lists ambient capabilities
        // that are not inheritable).
        let raisable = permitted.intersect(inheritable);
        for c in ambient.iter().filter(|c| !raisable.has(*c)) {
            unknown.push(format!("{c} (ambient, but not both permitted and inheritable)"));
        }
        cred.caps.ambient = ambient.intersect(raisable);
    }
    cred.no_new_privs = id.no_new_privileges;
    Ok((cred, unknown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::ExecFile;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| String::from(*s)).collect()
    }

    const PLAIN: ExecFile = ExecFile { mode: 0o755, uid: 0, gid: 0, nosuid: false };

    #[test]
    fn signals() {
        let a = Cred::new(1000, 1000, Vec::new());
        let b = Cred::new(1001, 1001, Vec::new());
        assert!(may_signal(&a, &a) && !may_signal(&a, &b));
        let mut killer = a.clone();
        killer.caps.effective = CapSet::of(&[Cap::KILL]);
        assert!(may_signal(&killer, &b));
        let mut setuid = b.clone();
        setuid.suid = 1000;
        assert!(may_signal(&a, &setuid));
    }

    #[test]
    fn ports() {
        let u = Cred::new(1000, 1000, Vec::new());
        assert_eq!(may_bind_port(&u, 80), Err(Errno::EACCES));
        assert_eq!(may_bind_port(&u, 0), Ok(()));
        assert_eq!(may_bind_port(&u, 1024), Ok(()));
        assert_eq!(may_bind_port(&Cred::root(), 80), Ok(()));
    }

    #[test]
    fn prlimit_permission() {
        let a = Cred::new(1000, 1000, Vec::new());
        let mut b = a.clone();
        assert_eq!(may_prlimit(&a, &b), Ok(()));
        b.suid = 0;
        assert_eq!(may_prlimit(&a, &b), Err(Errno::EPERM));
        assert_eq!(may_prlimit(&Cred::root(), &b), Ok(()));
    }

    #[test]
    fn runc_default_caps_for_root() {
        let caps = names(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        let c = CapNames { bounding: &caps, effective: &caps, permitted: &caps, inheritable: &[], ambient: &[] };
        let id = ContainerIdentity { uid: 0, gid: 0, additional_gids: &[], caps: Some(c), no_new_privileges: true };
        let (pre, unknown) = container_cred(&id).unwrap();
        assert!(unknown.is_empty());
        let after = pre.after_exec(&PLAIN).cred;
        let want = CapSet::of(&[Cap::AUDIT_WRITE, Cap::KILL, Cap::NET_BIND_SERVICE]);
        assert_eq!((after.caps.effective, after.caps.permitted, after.caps.bounding), (want, want, want));
        assert!(after.no_new_privs && after.caps.inheritable.is_empty());
    }

    #[test]
    fn non_root_user_keeps_only_ambient() {
        let caps = names(&["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NOT_A_CAP"]);
        let amb = names(&["CAP_NET_BIND_SERVICE"]);
        let c = CapNames { bounding: &caps, effective: &caps, permitted: &caps, inheritable: &amb, ambient: &amb };
        let id = ContainerIdentity { uid: 1000, gid: 100, additional_gids: &[7, 3], caps: Some(c), no_new_privileges: false };
        let (pre, unknown) = container_cred(&id).unwrap();
        assert_eq!(unknown, ["CAP_NOT_A_CAP"]);
        assert_eq!(pre.groups, [3, 7]);
        let after = pre.after_exec(&PLAIN).cred;
        assert_eq!(after.caps.effective, CapSet::of(&[Cap::NET_BIND_SERVICE]));
        assert_eq!((after.ruid, after.euid, after.egid), (1000, 1000, 100));
    }

    #[test]
    fn absent_capabilities_leave_root_full() {
        let id = ContainerIdentity { uid: 0, gid: 0, additional_gids: &[], caps: None, no_new_privileges: false };
        let after = container_cred(&id).unwrap().0.after_exec(&PLAIN).cred;
        assert_eq!(after.caps.effective, CapSet::FULL);
    }

    #[test]
    fn impossible_sets_are_errors() {
        let k = names(&["CAP_KILL"]);
        let c = CapNames { bounding: &k, effective: &k, permitted: &[], inheritable: &[], ambient: &[] };
        let id = ContainerIdentity { uid: 0, gid: 0, additional_gids: &[], caps: Some(c), no_new_privileges: false };
        assert!(container_cred(&id).unwrap_err().contains("effective"));
    }

    #[test]
    fn ambient_capabilities_not_inheritable_are_left_out_with_a_warning() {
        // What `runc spec` writes: ambient = permitted, no inheritable set.
        let k = names(&["CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        let inh = names(&["CAP_KILL"]);
        let c = CapNames { bounding: &k, effective: &k, permitted: &k, inheritable: &inh, ambient: &k };
        let id = ContainerIdentity { uid: 0, gid: 0, additional_gids: &[], caps: Some(c), no_new_privileges: false };
        let (cred, warnings) = container_cred(&id).unwrap();
        assert!(cred.caps.ambient.has(Cap::KILL));
        assert!(!cred.caps.ambient.has(Cap::NET_BIND_SERVICE));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("NET_BIND_SERVICE"), "{warnings:?}");
    }
}
