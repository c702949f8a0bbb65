//! `config.json` parsing: a full runc-style document, field-path errors, validation,
//! and the `runc spec` defaults.

use oci::runtime::{NamespaceKind, DEFAULT_PATH};
use oci::{parse_config, Spec};

/// A document in the shape `runc spec` writes, with extra fields this crate ignores.
const RUNC_CONFIG: &str = r#"{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "user": {"uid": 1000, "gid": 100, "additionalGids": [5, 20], "umask": 18},
    "args": ["sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
    "cwd": "/home/user",
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
    "noNewPrivileges": true,
    "apparmorProfile": "ignored",
    "consoleSize": {"height": 24, "width": 80}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}
  ],
  "hooks": {"prestart": []},
  "annotations": {"com.example": "yes"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "resources": {
      "devices": [{"allow": false, "access": "rwm"}],
      "memory": {"limit": 536870912, "swap": 0},
      "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1"},
      "pids": {"limit": 64}
    },
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"}, {"type": "mount"}],
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}],
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}
  }
}"#;

fn err(json: &str) -> String {
    parse_config(json.as_bytes()).unwrap_err().to_string()
}

/// RUNC_CONFIG with one JSON fragment replaced.
fn variant(from: &str, to: &str) -> String {
    assert!(RUNC_CONFIG.contains(from), "{from}");
    RUNC_CONFIG.replacen(from, to, 1)
}

#[test]
fn parses_a_full_document() {
    let spec = parse_config(RUNC_CONFIG.as_bytes()).unwrap();
    assert_eq!(spec.oci_version, "1.0.2-dev");
    let p = &spec.process;
    assert!(p.terminal && p.no_new_privileges);
    assert_eq!((p.user.uid, p.user.gid, p.user.umask), (1000, 100, Some(0o22)));
    assert_eq!(p.user.additional_gids, [5, 20]);
    assert_eq!(p.args, ["sh", "-c", "echo hi"]);
    assert_eq!(p.cwd, "/home/user");
    assert_eq!(p.capabilities.as_ref().unwrap().bounding, ["CAP_KILL"]);
    assert_eq!((p.rlimits[0].resource(), p.rlimits[0].soft), (Some(7), 512));
    assert_eq!((spec.root.path.as_str(), spec.root.readonly), ("rootfs", true));
    assert_eq!(spec.hostname, "box");
    assert_eq!(spec.mounts[1].options, ["nosuid", "mode=755"]);
    assert_eq!(spec.annotations["com.example"], "yes");
    let linux = spec.linux.as_ref().unwrap();
    assert_eq!(linux.uid_mappings[0].host_id, 1000);
    let res = linux.resources.as_ref().unwrap();
    assert_eq!(res.memory.as_ref().unwrap().limit, Some(512 << 20));
    let cpu = res.cpu.as_ref().unwrap();
    assert_eq!((cpu.shares, cpu.quota, cpu.period, cpu.cpus.as_str()), (Some(1024), Some(50000), Some(100000), "0-1"));
    assert_eq!(res.pids.as_ref().unwrap().limit, Some(64));
    assert_eq!(linux.namespaces[1].kind, NamespaceKind::Network);
    assert_eq!(linux.namespaces[1].path, "/var/run/netns/x");
    assert_eq!(linux.devices[0].file_mode, Some(0o666));
    assert!(spec.has_namespace(NamespaceKind::Pid) && !spec.has_namespace(NamespaceKind::User));
}

#[test]
fn type_errors_name_the_field_path() {
    let cases = [
        (variant(r#""args": ["sh", "-c", "echo hi"]"#, r#""args": "sh""#), "config.json: process.args: expected an array of strings"),
        (variant(r#""args": ["sh", "-c", "echo hi"]"#, r#""args": ["sh", 1]"#), "config.json: process.args: expected an array of strings"),
        (variant(r#""uid": 1000"#, r#""uid": -1"#), "config.json: process.user.uid: expected a 32-bit unsigned integer"),
        (variant(r#""uid": 1000"#, r#""uid": 4294967296"#), "config.json: process.user.uid: expected a 32-bit unsigned integer"),
        (variant(r#""terminal": true"#, r#""terminal": "yes""#), "config.json: process.terminal: expected a boolean"),
        (variant(r#""options": ["nosuid", "mode=755"]"#, r#""options": "nosuid""#), "config.json: mounts[1].options: expected an array of strings"),
        (variant(r#""limit": 64"#, r#""limit": "64""#), "config.json: linux.resources.pids.limit: expected an integer"),
        (variant(r#""hard": 1024"#, r#""hard": 1.5"#), "config.json: process.rlimits[0].hard: expected a non-negative integer"),
        (variant(r#""annotations": {"com.example": "yes"}"#, r#""annotations": {"a": 1}"#), "config.json: annotations: expected an object of strings"),
        (variant(r#""root": {"path": "rootfs", "readonly": true}"#, r#""root": []"#), "config.json: root: expected an object"),
        ("[]".into(), "config.json: expected an object"),
    ];
    for (json, want) in cases {
        assert_eq!(err(&json), want);
    }
}

#[test]
fn missing_fields_name_the_field_path() {
    let cases = [
        (variant(r#""path": "rootfs", "#, ""), "config.json: missing field root.path"),
        (variant(r#""ociVersion": "1.0.2-dev","#, ""), "config.json: missing field ociVersion"),
        (variant(r#""cwd": "/home/user","#, ""), "config.json: missing field process.cwd"),
        (variant(r#""uid": 1000, "#, ""), "config.json: missing field process.user.uid"),
        (variant(r#"{"destination": "/proc", "#, "{"), "config.json: missing field mounts[0].destination"),
        (variant(r#"{"type": "pid"}"#, "{}"), "config.json: missing field linux.namespaces[0].type"),
        (variant(r#""hostID": 1000, "#, ""), "config.json: missing field linux.uidMappings[0].hostID"),
        // null counts as absent, as in Go.
        (variant(r#""args": ["sh", "-c", "echo hi"]"#, r#""args": null"#), "config.json: missing field process.args"),
    ];
    for (json, want) in cases {
        assert_eq!(err(&json), want);
    }
}

#[test]
fn semantic_validation() {
    let cases = [
        (variant(r#"["sh", "-c", "echo hi"]"#, "[]"), "config.json: process.args: must not be empty"),
        (variant(r#""cwd": "/home/user""#, r#""cwd": "home""#), "config.json: process.cwd: must be an absolute path, got \"home\""),
        (variant(r#""TERM=xterm""#, r#""TERM""#), "config.json: process.env[1]: invalid environment variable \"TERM\" (want KEY=value)"),
        (variant(r#""TERM=xterm""#, r#""=x""#), "config.json: process.env[1]: invalid environment variable \"=x\" (want KEY=value)"),
        (variant(r#""destination": "/dev""#, r#""destination": "dev""#), "config.json: mounts[1].destination: must be an absolute path, got \"dev\""),
        (variant(r#"{"type": "mount"}"#, r#"{"type": "pid"}"#), "config.json: linux.namespaces[2].type: duplicate namespace type"),
        (variant(r#"{"type": "mount"}"#, r#"{"type": "mnt"}"#), "config.json: linux.namespaces[2].type: unknown namespace type \"mnt\""),
        (variant("RLIMIT_NOFILE", "RLIMIT_FILES"), "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FILES\""),
        (variant(r#""soft": 512"#, r#""soft": 2048"#), "config.json: process.rlimits[0]: soft limit exceeds hard limit"),
        (variant(r#""type": "c""#, r#""type": "x""#), "config.json: linux.devices[0].type: unknown device type \"x\""),
        (variant(r#""hostname": "box""#, &format!(r#""hostname": "{}""#, "h".repeat(65))), &format!("config.json: hostname: invalid hostname \"{}\"", "h".repeat(65))),
        (variant(r#""maskedPaths": ["/proc/kcore"]"#, r#""maskedPaths": ["proc"]"#), "config.json: linux.maskedPaths[0]: must be an absolute path, got \"proc\""),
        (variant(r#""path": "rootfs""#, r#""path": """#), "config.json: root.path: must not be empty"),
    ];
    for (json, want) in cases {
        assert_eq!(err(&json), *want);
    }
}

#[test]
fn syntax_errors_say_where() {
    let e = err("{\"ociVersion\": }");
    assert!(e.starts_with("config.json: invalid JSON: "), "{e}");
    assert!(e.contains("line 1 column"), "{e}");
    assert_eq!(parse_config(b"").unwrap_err().errno(), errno::Errno::EINVAL);
}

#[test]
fn runc_spec_defaults() {
    let spec = Spec::default_for(vec!["sh".into()], vec![DEFAULT_PATH.into(), "TERM=xterm".into()], "/", "runc");
    let json = spec.to_json();
    // The head of what `runc spec` writes (tab indented, key order of specs-go).
    let head = "{\n\t\"ociVersion\": \"1.0.2-dev\",\n\t\"process\": {\n\t\t\"terminal\": true,\n\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},\n\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],";
    assert!(json.starts_with(head), "{json}");
    for needle in [
        "\"noNewPrivileges\": true",
        "\"type\": \"RLIMIT_NOFILE\",\n\t\t\t\t\"hard\": 1024,\n\t\t\t\t\"soft\": 1024",
        "\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t}",
        "\"hostname\": \"runc\"",
        "\"destination\": \"/dev/pts\"",
        "\"ptmxmode=0666\"",
        "\"devices\": [\n\t\t\t\t{\n\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}\n\t\t\t]",
        "\"/sys/devices/virtual/tpm\"",
    ] {
        assert!(json.contains(needle), "missing {needle:?} in\n{json}");
    }
    // What it writes, it reads back identically.
    assert_eq!(parse_config(json.as_bytes()).unwrap(), spec);
    spec.validate().unwrap();
}

proptest::proptest! {
    #[test]
    fn never_panics_on_random_input(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = parse_config(&data);
    }

    #[test]
    fn never_panics_on_mutated_documents(pos in 0usize..3000, byte in proptest::num::u8::ANY, cut in 0usize..3000) {
        let mut doc = RUNC_CONFIG.as_bytes().to_vec();
        let i = pos % doc.len();
        doc[i] = byte;
        doc.truncate(cut.max(i + 1));
        let _ = parse_config(&doc);
    }
}
