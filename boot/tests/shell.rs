//! Boots Cyrius once and drives the built-in shell like a user would.

use cyrius::{Machine, QemuConfig};

#[test]
fn shell_commands_answer_like_a_user_expects() {
    let mut m = Machine::boot(&QemuConfig::for_tests());

    m.run_expect("echo hello   'big world'", &["hello big world"]);
    m.run_expect("help", &["echo", "uptime", "mem", "lspci", "log", "poweroff", "reboot"]);
    m.run_expect("help mem", &["usage: mem"]);
    m.run_expect("uptime", &["up 0:00:"]);
    m.run_expect("mem", &["frames:", "heap:"]);
    m.run_expect("lspci", &["1af4:1001", "Virtio block device", "1af4:1000", "Virtio network device"]);
    m.run_expect("log", &["log level: info"]);
    m.run_expect("log debug", &["log level: debug"]);
    m.run_expect("log", &["log level: debug"]);

    // Errors: one line, and the shell carries on.
    let out = m.run("frobnicate now");
    m.assert(out.trim() == "frobnicate: command not found (try `help`)", &format!("unknown command printed {out:?}"));
    m.run_expect("log loud", &["log: unknown level 'loud'"]);
    m.run_expect("uptime extra", &["uptime: unexpected argument 'extra'"]);
    m.run_expect("echo 'unterminated", &["sh:"]);
    m.run_expect("crash int3", &["breakpoint at"]);
    m.run_expect("time echo timed", &["timed", "real 0."]);
    m.run_expect("date", &["UTC"]);
    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();
}

#[test]
fn line_editing_and_history() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    // "echo wrld", Left x3, insert 'o' => "echo world".
    m.send(b"echo wrld\x1b[D\x1b[D\x1b[Do\r");
    m.wait_for("world", cyrius::machine::COMMAND_TIMEOUT);
    m.wait_for(cyrius::machine::PROMPT, cyrius::machine::COMMAND_TIMEOUT);
    // Backspace removes the last character.
    m.run_expect("echo abcd\x7f\x7fx", &["abx"]);
    // Up recalls the previous line; Enter runs it again.
    let out = m.run("\x1b[A");
    m.assert(out.contains("abx"), &format!("history recall printed {out:?}"));
    // Ctrl-C discards the line being typed.
    m.send(b"echo never\x03");
    m.wait_for("^C", cyrius::machine::COMMAND_TIMEOUT);
    m.wait_for(cyrius::machine::PROMPT, cyrius::machine::COMMAND_TIMEOUT);
    m.run_expect("echo after", &["after"]);
    m.poweroff();
}
