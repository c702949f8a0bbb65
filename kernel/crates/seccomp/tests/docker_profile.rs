//! Docker's default seccomp profile (moby 20.10.24, `tests/data`), converted
//! as dockerd does for an amd64 container with the default capabilities and
//! compiled: a table of calls and the verdicts runc + libseccomp give them.

use seccomp::compile::{compile, describe, Profile};
use seccomp::docker::{from_docker_profile, Target, DEFAULT_CAPABILITIES};
use seccomp::SeccompData;

const PROFILE: &[u8] = include_bytes!("data/docker-default.json");

fn nr(name: &str) -> u32 {
    linux_abi::sysno::number(name).unwrap_or_else(|| panic!("{name}")) as u32
}

fn check(target: &Target<'_>, cases: &[(&str, [u64; 3], &str)]) {
    let spec = from_docker_profile(PROFILE, target).expect("converts");
    let prog = compile(&spec).expect("compiles").program;
    let profile = Profile::from_spec(&spec).unwrap();
    let mut wrong = String::new();
    for (call, a, want) in cases {
        let n = match call.parse::<u32>() {
            Ok(n) => n,
            Err(_) => nr(call),
        };
        let args = [a[0], a[1], a[2], 0, 0, 0];
        let got = describe(prog.run(&SeccompData::x86_64(n as i32, args, 0)));
        assert_eq!(got, describe(profile.verdict(n, &args)), "{call}: program and reference differ");
        if got != *want {
            wrong += &format!("{call}{a:x?}: {got}, expected {want}\n");
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
}

#[test]
fn conversion() {
    let spec = from_docker_profile(PROFILE, &Target::docker_default((6, 1))).unwrap();
    assert_eq!(spec.default_action, "SCMP_ACT_ERRNO");
    assert_eq!(spec.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    // The big allow list, ptrace (kernel >= 4.8), 5 personality values, arch_prctl,
    // modify_ldt, chroot (CAP_SYS_CHROOT), clone without namespace flags, clone3 -> ENOSYS.
    assert_eq!(spec.syscalls.len(), 12, "{:#?}", spec.syscalls.iter().map(|s| &s.names[0]).collect::<Vec<_>>());
    let prog = compile(&spec).unwrap().program;
    assert!(prog.len() < 700, "{} instructions", prog.len());
    eprintln!("Docker's default profile: {} instructions", prog.len());
}

#[test]
fn default_capabilities() {
    check(
        &Target::docker_default((6, 1)),
        &[
            ("read", [0, 0, 0], "ALLOW"),
            ("write", [1, 0, 0], "ALLOW"),
            ("getpid", [0, 0, 0], "ALLOW"),
            ("openat", [0, 0, 0], "ALLOW"),
            ("clone", [0x11, 0, 0], "ALLOW"),
            ("clone", [0x3d0f00, 0, 0], "ALLOW"),
            ("clone", [0x1000_0011, 0, 0], "ERRNO(1)"),
            ("clone", [0x2000_0000, 0, 0], "ERRNO(1)"),
            ("clone", [0x0002_0000, 0, 0], "ERRNO(1)"),
            ("clone3", [0, 0, 0], "ERRNO(38)"),
            ("unshare", [0x1000_0000, 0, 0], "ERRNO(1)"),
            ("setns", [0, 0, 0], "ERRNO(1)"),
            ("mount", [0, 0, 0], "ERRNO(1)"),
            ("umount2", [0, 0, 0], "ERRNO(1)"),
            ("pivot_root", [0, 0, 0], "ERRNO(1)"),
            ("keyctl", [0, 0, 0], "ERRNO(1)"),
            ("add_key", [0, 0, 0], "ERRNO(1)"),
            ("request_key", [0, 0, 0], "ERRNO(1)"),
            ("ptrace", [0, 0, 0], "ALLOW"),
            ("personality", [0, 0, 0], "ALLOW"),
            ("personality", [8, 0, 0], "ALLOW"),
            ("personality", [0x20000, 0, 0], "ALLOW"),
            ("personality", [0xffff_ffff, 0, 0], "ALLOW"),
            ("personality", [u64::MAX, 0, 0], "ERRNO(1)"),
            ("personality", [1, 0, 0], "ERRNO(1)"),
            ("personality", [0x1_0000_0000, 0, 0], "ERRNO(1)"),
            ("reboot", [0, 0, 0], "ERRNO(1)"),
            ("chroot", [0, 0, 0], "ALLOW"),
            ("bpf", [0, 0, 0], "ERRNO(1)"),
            ("syslog", [0, 0, 0], "ERRNO(1)"),
            ("init_module", [0, 0, 0], "ERRNO(1)"),
            ("kexec_load", [0, 0, 0], "ERRNO(1)"),
            ("acct", [0, 0, 0], "ERRNO(1)"),
            ("settimeofday", [0, 0, 0], "ERRNO(1)"),
            ("open_by_handle_at", [0, 0, 0], "ERRNO(1)"),
            ("userfaultfd", [0, 0, 0], "ERRNO(1)"),
            ("perf_event_open", [0, 0, 0], "ERRNO(1)"),
            ("arch_prctl", [0x1002, 0, 0], "ALLOW"),
            ("modify_ldt", [0, 0, 0], "ALLOW"),
            ("io_uring_setup", [0, 0, 0], "ALLOW"),
            ("futex_waitv", [0, 0, 0], "ALLOW"),
            // Above the highest number the profile names (futex_waitv, 449): runc's ENOSYS.
            ("cachestat", [0, 0, 0], "ERRNO(38)"),
            ("fchmodat2", [0, 0, 0], "ERRNO(38)"),
            ("mseal", [0, 0, 0], "ERRNO(38)"),
            ("1000", [0, 0, 0], "ERRNO(38)"),
            // Unnamed numbers below it get the default.
            ("400", [0, 0, 0], "ERRNO(1)"),
            ("4294967295", [0, 0, 0], "ERRNO(1)"),
            ("1073741863", [0, 0, 0], "KILL_THREAD"),
        ],
    );
}

#[test]
fn capabilities_and_kernel_version_decide() {
    let mut caps: Vec<&str> = DEFAULT_CAPABILITIES.to_vec();
    caps.extend(["CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_PTRACE"]);
    check(
        &Target { arch: "amd64", capabilities: &caps, kernel: (6, 1) },
        &[
            ("clone", [0x1000_0011, 0, 0], "ALLOW"),
            ("clone3", [0, 0, 0], "ALLOW"),
            ("unshare", [0, 0, 0], "ALLOW"),
            ("mount", [0, 0, 0], "ALLOW"),
            ("reboot", [0, 0, 0], "ALLOW"),
            ("kcmp", [0, 0, 0], "ALLOW"),
            ("syslog", [0, 0, 0], "ALLOW"),
            ("iopl", [0, 0, 0], "ERRNO(1)"),
        ],
    );
    // ptrace only from kernel 4.8 on; no CAP_SYS_CHROOT, no chroot.
    let caps: Vec<&str> = DEFAULT_CAPABILITIES.iter().copied().filter(|c| *c != "CAP_SYS_CHROOT").collect();
    check(
        &Target { arch: "amd64", capabilities: &caps, kernel: (4, 4) },
        &[("ptrace", [0, 0, 0], "ERRNO(1)"), ("chroot", [0, 0, 0], "ERRNO(1)"), ("getpid", [0, 0, 0], "ALLOW")],
    );
}

#[test]
fn bad_profiles() {
    let t = Target::docker_default((6, 1));
    assert!(from_docker_profile(b"[", &t).unwrap_err().starts_with("seccomp profile: "));
    let both = br#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#;
    assert_eq!(from_docker_profile(both, &t).unwrap_err(), "'architectures' and 'archMap' were both given; use one");
    let bad_kernel = br#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"four"}}]}"#;
    assert_eq!(from_docker_profile(bad_kernel, &t).unwrap_err(), "syscalls[0]: invalid kernel version \"four\"");
}
