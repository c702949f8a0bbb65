//! Container state: exact `runc state` output and parsing.

use std::collections::BTreeMap;

use oci::{parse_state, State, Status, Timestamp};

fn sample() -> State {
    State {
        oci_version: "1.0.2-dev".into(),
        id: "web".into(),
        pid: 4242,
        status: Status::Running,
        bundle: "/containers/web".into(),
        rootfs: "/containers/web/rootfs".into(),
        created: Timestamp::new(1_700_000_000, 123_456_000),
        annotations: BTreeMap::new(),
        owner: String::new(),
    }
}

#[test]
fn prints_exactly_like_runc_state() {
    let expected = r#"{
  "ociVersion": "1.0.2-dev",
  "id": "web",
  "pid": 4242,
  "status": "running",
  "bundle": "/containers/web",
  "rootfs": "/containers/web/rootfs",
  "created": "2023-11-14T22:13:20.123456Z",
  "owner": ""
}"#;
    assert_eq!(sample().to_json(), expected);
}

#[test]
fn annotations_come_before_owner_and_use_go_escaping() {
    let mut s = sample();
    s.status = Status::Stopped;
    s.pid = 0;
    s.created = Timestamp::new(0, 0);
    s.annotations.insert("z".into(), "last".into());
    s.annotations.insert("a<b>".into(), "x&y".into());
    let expected = r#"{
  "ociVersion": "1.0.2-dev",
  "id": "web",
  "pid": 0,
  "status": "stopped",
  "bundle": "/containers/web",
  "rootfs": "/containers/web/rootfs",
  "created": "1970-01-01T00:00:00Z",
  "annotations": {
    "a\u003cb\u003e": "x\u0026y",
    "z": "last"
  },
  "owner": ""
}"#;
    assert_eq!(s.to_json(), expected);
    assert_eq!(s.to_json_bytes(), expected.as_bytes());
}

#[test]
fn parses_runc_and_spec_shapes() {
    let s = sample();
    assert_eq!(parse_state(s.to_json().as_bytes()).unwrap(), s);
    let minimal = br#"{"ociVersion": "1.0.2", "id": "x", "status": "created", "bundle": "/b"}"#;
    let m = parse_state(minimal).unwrap();
    assert_eq!((m.status, m.pid, m.rootfs.as_str()), (Status::Created, 0, ""));
    let bad = br#"{"ociVersion": "1", "id": "x", "status": "paused?", "bundle": "/b"}"#;
    assert_eq!(parse_state(bad).unwrap_err().to_string(), "state.json: status: unknown status \"paused?\"");
    assert_eq!(Status::from_name("creating"), Some(Status::Creating));
    assert_eq!(Status::Created.to_string(), "created");
}
