//! What the runtime keeps per container under `--root` (default
//! `/run/cyrius-runtime`): `<root>/<id>/state.json` (written only by the
//! container's monitor, atomically), the monitor's control socket
//! `ctl.sock`, the bundle disk `disk.tar` and the guest's console log
//! `guest.log`. `delete` removes the directory.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

pub const DEFAULT_ROOT: &str = "/run/cyrius-runtime";

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: String,
    pub bundle: String,
    pub rootfs: String,
    pub oci_version: String,
    /// The monitor's pid and start time (together they name it for good).
    pub pid: i32,
    pub start_time: u64,
    pub qemu_pid: i32,
    /// created, running or stopped.
    pub status: String,
    /// `$?` of the init once stopped.
    pub exit: Option<i32>,
    pub created: (i64, u32),
    pub annotations: BTreeMap<String, String>,
}

pub fn dir(root: &Path, id: &str) -> PathBuf {
    root.join(id)
}

pub fn state_file(root: &Path, id: &str) -> PathBuf {
    dir(root, id).join("state.json")
}

pub fn ctl_socket(root: &Path, id: &str) -> PathBuf {
    dir(root, id).join("ctl.sock")
}

impl Record {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "bundle": self.bundle, "rootfs": self.rootfs, "ociVersion": self.oci_version,
            "pid": self.pid, "startTime": self.start_time, "qemuPid": self.qemu_pid, "status": self.status,
            "exit": self.exit, "created": [self.created.0, self.created.1], "annotations": self.annotations,
        })
    }

    pub fn from_json(v: &Value) -> Option<Record> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let created = v.get("created")?.as_array()?;
        Some(Record {
            id: s("id")?,
            bundle: s("bundle")?,
            rootfs: s("rootfs").unwrap_or_default(),
            oci_version: s("ociVersion").unwrap_or_default(),
            pid: v.get("pid")?.as_i64()? as i32,
            start_time: v.get("startTime")?.as_u64()?,
            qemu_pid: v.get("qemuPid").and_then(Value::as_i64).unwrap_or(0) as i32,
            status: s("status")?,
            exit: v.get("exit").and_then(Value::as_i64).map(|e| e as i32),
            created: (created.first()?.as_i64()?, created.get(1)?.as_u64()? as u32),
            annotations: v
                .get("annotations")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default(),
        })
    }

    /// Writes the record atomically (a reader never sees half of it).
    pub fn save(&self, root: &Path) -> io::Result<()> {
        let path = state_file(root, &self.id);
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, serde_json::to_vec_pretty(&self.to_json())?)?;
        fs::rename(tmp, path)
    }

    pub fn load(root: &Path, id: &str) -> io::Result<Record> {
        let bytes = fs::read(state_file(root, id))?;
        let v: Value = serde_json::from_slice(&bytes)?;
        Record::from_json(&v).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed state.json"))
    }

    /// True while the monitor (and so the container's VM) is alive.
    pub fn monitor_alive(&self) -> bool {
        self.pid > 0 && crate::sys::start_time(self.pid) == Some(self.start_time)
    }

    /// The status as a caller should see it: a container whose monitor is
    /// gone without recording the end is stopped.
    pub fn effective_status(&self) -> &str {
        if self.status != "stopped" && !self.monitor_alive() {
            "stopped"
        } else {
            &self.status
        }
    }

    /// The runtime-spec state, as runc prints it.
    pub fn oci_state(&self) -> oci::State {
        let status = oci::Status::from_name(self.effective_status()).unwrap_or(oci::Status::Stopped);
        oci::State {
            oci_version: self.oci_version.clone(),
            id: self.id.clone(),
            pid: if status == oci::Status::Stopped { 0 } else { self.pid as u32 },
            status,
            bundle: self.bundle.clone(),
            rootfs: self.rootfs.clone(),
            created: oci::Timestamp::new(self.created.0, self.created.1),
            annotations: self.annotations.clone(),
            owner: String::new(),
        }
    }
}

/// Every container id under `root`, sorted.
pub fn ids(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join("state.json").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let r = Record {
            id: "c1".into(),
            bundle: "/b".into(),
            rootfs: "/b/rootfs".into(),
            oci_version: "1.0.2".into(),
            pid: 42,
            start_time: 99,
            qemu_pid: 43,
            status: "created".into(),
            exit: Some(3),
            created: (1700000000, 5),
            annotations: [("a".to_string(), "b".to_string())].into_iter().collect(),
        };
        assert_eq!(Record::from_json(&r.to_json()), Some(r));
    }
}
