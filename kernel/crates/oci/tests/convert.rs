//! Image configuration -> runtime spec, as umoci does it.

use oci::image::{ExecConfig, ImageConfig};
use oci::runtime::DEFAULT_PATH;
use oci::{spec_from_image, ConvertError, ConvertOptions, NoUsers, UserDb};

const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\nwww:x:33:33:www:/var/www:/bin/false\nbob:x:1000:1000::/home/bob:/bin/sh\n";
const GROUP: &[u8] = b"root:x:0:\nwheel:x:10:bob,alice\nwww:x:33:\nstaff:x:50:bob\n";

fn image(config: ExecConfig) -> ImageConfig {
    ImageConfig { architecture: "amd64".into(), os: "linux".into(), created: "2024-01-01T00:00:00Z".into(), config, ..ImageConfig::default() }
}

fn opts() -> ConvertOptions<'static> {
    ConvertOptions { container_id: "c1", terminal: false }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn args_env_cwd_hostname() {
    let db = UserDb::parse(PASSWD, GROUP);
    let cfg = ExecConfig {
        entrypoint: strings(&["/entry", "-x"]),
        cmd: strings(&["run"]),
        env: strings(&["A=1", "B=2", "A=3"]),
        working_dir: "/srv".into(),
        ..ExecConfig::default()
    };
    let spec = spec_from_image(&image(cfg), &opts(), &db).unwrap();
    assert_eq!(spec.process.args, ["/entry", "-x", "run"]);
    assert_eq!(spec.process.env, [DEFAULT_PATH, "A=3", "B=2", "HOME=/root"]);
    assert_eq!(spec.process.cwd, "/srv");
    assert_eq!(spec.hostname, "c1");
    assert!(!spec.process.terminal && !spec.root.readonly);
    assert_eq!(spec.root.path, "rootfs");
    assert_eq!(spec.mounts[0].destination, "/proc");
    assert_eq!(spec.annotations["org.opencontainers.image.os"], "linux");
    assert_eq!(spec.annotations["org.opencontainers.image.created"], "2024-01-01T00:00:00Z");
}

#[test]
fn cmd_alone_terminal_and_existing_path() {
    let cfg = ExecConfig { cmd: strings(&["sh"]), env: strings(&["PATH=/bin", "HOME=/h"]), ..ExecConfig::default() };
    let spec = spec_from_image(&image(cfg), &ConvertOptions { container_id: "t", terminal: true }, &NoUsers).unwrap();
    assert_eq!(spec.process.args, ["sh"]);
    assert_eq!(spec.process.env, ["PATH=/bin", "TERM=xterm", "HOME=/h"]);
    assert_eq!(spec.process.cwd, "/");
    assert!(spec.process.terminal);
}

#[test]
fn user_resolution() {
    let db = UserDb::parse(PASSWD, GROUP);
    let run = |user: &str| {
        let cfg = ExecConfig { cmd: strings(&["sh"]), user: user.into(), ..ExecConfig::default() };
        spec_from_image(&image(cfg), &opts(), &db).map(|s| (s.process.user.uid, s.process.user.gid, s.process.user.additional_gids.clone(), s.process.env.last().cloned().unwrap()))
    };
    assert_eq!(run(""), Ok((0, 0, vec![], "HOME=/root".into())));
    assert_eq!(run("bob"), Ok((1000, 1000, vec![10, 50], "HOME=/home/bob".into())));
    assert_eq!(run("1000"), Ok((1000, 1000, vec![10, 50], "HOME=/home/bob".into())));
    assert_eq!(run("bob:www"), Ok((1000, 33, vec![], "HOME=/home/bob".into())));
    assert_eq!(run("www:7"), Ok((33, 7, vec![], "HOME=/var/www".into())));
    assert_eq!(run("4242"), Ok((4242, 0, vec![], "HOME=/".into())));
    assert_eq!(run("4242:4343"), Ok((4242, 4343, vec![], "HOME=/".into())));
    assert_eq!(run("alice"), Err(ConvertError::UnknownUser("alice".into())));
    assert_eq!(run("bob:nogroup"), Err(ConvertError::UnknownGroup("nogroup".into())));
    assert_eq!(run("bob:"), Err(ConvertError::BadUser("bob:".into())));
    assert_eq!(run("alice").unwrap_err().to_string(), "unable to find user alice: no matching entries in passwd file");
}

#[test]
fn conversion_errors() {
    assert_eq!(spec_from_image(&image(ExecConfig::default()), &opts(), &NoUsers), Err(ConvertError::NoCommand));
    let bad_env = ExecConfig { cmd: strings(&["sh"]), env: strings(&["NOEQUALS"]), ..ExecConfig::default() };
    assert_eq!(spec_from_image(&image(bad_env), &opts(), &NoUsers), Err(ConvertError::BadEnv("NOEQUALS".into())));
    let relative = ExecConfig { cmd: strings(&["sh"]), working_dir: "srv".into(), ..ExecConfig::default() };
    let err = spec_from_image(&image(relative), &opts(), &NoUsers).unwrap_err();
    assert_eq!(err.to_string(), "config.json: process.cwd: must be an absolute path, got \"srv\"");
}

#[test]
fn labels_ports_and_stop_signal_become_annotations() {
    let mut cfg = ExecConfig { cmd: strings(&["sh"]), stop_signal: "SIGQUIT".into(), exposed_ports: strings(&["53/udp", "80/tcp"]), ..ExecConfig::default() };
    cfg.labels.insert("maintainer".into(), "me".into());
    let spec = spec_from_image(&image(cfg), &opts(), &NoUsers).unwrap();
    assert_eq!(spec.annotations["maintainer"], "me");
    assert_eq!(spec.annotations["org.opencontainers.image.stopSignal"], "SIGQUIT");
    assert_eq!(spec.annotations["org.opencontainers.image.exposedPorts"], "53/udp,80/tcp");
}
