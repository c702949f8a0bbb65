//! The container state document, printed exactly as `runc state` prints it.
//!
//! runc's shape extends the runtime-spec state (`ociVersion`, `id`, `status`, `pid`,
//! `bundle`, `annotations`) with `rootfs`, `created` and `owner`, in this key order:
//! `ociVersion, id, pid, status, bundle, rootfs, created, [annotations,] owner`,
//! two-space indented, Go string escaping, no trailing newline.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use crate::error::DocError;
use crate::gojson::{to_go_json, Indent};
use crate::json::{decode, Node};
use crate::time::{parse_rfc3339_utc, Timestamp};

/// The lifecycle status of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Stopped => "stopped",
        }
    }

    pub fn from_name(name: &str) -> Option<Status> {
        [Status::Creating, Status::Created, Status::Running, Status::Stopped].into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub id: String,
    /// The init process's pid as seen by the host; runc prints 0 once stopped.
    pub pid: u32,
    pub status: Status,
    /// Absolute path of the bundle directory.
    pub bundle: String,
    /// Absolute path of the root filesystem.
    pub rootfs: String,
    pub created: Timestamp,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Owner of the state directory (runc prints `""` when run as root).
    pub owner: String,
}

impl State {
    /// The state as `runc state` prints it.
    pub fn to_json(&self) -> String {
        to_go_json(self, Indent::TwoSpaces)
    }

    /// The state as `runc state` prints it, as bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().into_bytes()
    }
}

/// Parses a state document (runc's shape; `rootfs`, `created`, `owner`, `pid` and
/// `annotations` may be absent, as in the plain runtime-spec shape).
pub fn parse_state(bytes: &[u8]) -> Result<State, DocError> {
    decode("state.json", bytes, |root| {
        let o = root.object()?;
        let status_node = o.req("status")?;
        let status_name = status_node.string()?;
        let status = Status::from_name(&status_name)
            .ok_or_else(|| status_node.invalid(alloc::format!("unknown status {status_name:?}")))?;
        let created = match o.get("created") {
            None => Timestamp::default(),
            Some(node) => parse_rfc3339_utc(&node.string()?)
                .ok_or_else(|| node.invalid("not an RFC 3339 UTC time"))?,
        };
        Ok(State {
            oci_version: o.req("ociVersion")?.string()?,
            id: o.req("id")?.string()?,
            pid: o.or_default("pid", Node::u32)?,
            status,
            bundle: o.req("bundle")?.string()?,
            rootfs: o.or_default("rootfs", Node::string)?,
            created,
            annotations: o.or_default("annotations", Node::string_map)?,
            owner: o.or_default("owner", Node::string)?,
        })
    })
}
