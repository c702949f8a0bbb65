//! Kernel faults and panics are reported with their details and end the
//! machine with the failure status, so nothing hangs silently. (Faults in
//! user mode are signals: `processes.rs`, the signals cases.)

use cyrius::machine::{COMMAND_TIMEOUT, PANIC_MARKER};
use cyrius::{ExitKind, Machine, QemuConfig};

fn crash(kind: &str, expected: &[&str]) {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.send(format!("crash {kind}\r").as_bytes());
    m.wait_for(PANIC_MARKER, COMMAND_TIMEOUT);
    let exit = m.wait_exit(COMMAND_TIMEOUT);
    let t = m.transcript();
    m.assert(exit == ExitKind::Panic, &format!("crash {kind}: machine ended as {exit:?}, not Panic"));
    for e in expected {
        m.assert(t.contains(e), &format!("crash {kind}: report lacks {e:?}"));
    }
}

#[test]
fn panic_prints_message_location_and_exits_with_failure() {
    crash("panic", &["KERNEL PANIC: crash requested from the shell", "system.rs:", "stack trace"]);
}

/// A panic on a thread's own kernel stack shows its frames, and the
/// harness names their functions and lines (symbolized with the kernel ELF).
#[test]
fn panic_in_a_kernel_thread_shows_symbolized_frames() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.send(b"crash thread\r");
    m.wait_for(PANIC_MARKER, COMMAND_TIMEOUT);
    let exit = m.wait_exit(COMMAND_TIMEOUT);
    let t = cyrius::symbolize::annotate_text(&m.transcript());
    m.assert(exit == ExitKind::Panic, &format!("machine ended as {exit:?}, not Panic"));
    for e in ["KERNEL PANIC: crash requested in a kernel thread", "#1 ", "#2 ", "#3 ", "crash_in_thread at kernel/src/shell/commands/system.rs:", "kthread_main at kernel/src/sched/mod.rs:"] {
        m.assert(t.contains(e), &format!("the symbolized report lacks {e:?}:\n{t}"));
    }
}

#[test]
fn page_fault_reports_vector_rip_error_code_cr2_and_trace() {
    crash("pagefault", &["#PF page fault (vector 14)", "RIP 0x", "error code 0x", "CR2 0xdeadbeef000", "stack trace", "#1 "]);
}

#[test]
fn general_protection_fault_is_reported() {
    crash("gpf", &["#GP general protection fault (vector 13)", "error code 0x0"]);
}

#[test]
fn invalid_opcode_in_kernel_mode_is_reported() {
    crash("ud", &["#UD invalid opcode (vector 6)", "RIP 0x", "stack trace"]);
}

/// A kernel breakpoint is reported and the kernel goes on (user-mode ones
/// are SIGTRAP, see the signals differential test).
#[test]
fn kernel_breakpoint_is_logged_and_execution_continues() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log warn");
    m.run_expect("crash int3", &["breakpoint at 0x"]);
    m.run_expect("echo still here", &["still here"]);
    m.poweroff();
}

#[test]
fn reboot_comes_back_to_the_prompt() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.send(b"reboot\r");
    m.wait_for("rebooting", COMMAND_TIMEOUT);
    m.wait_for(cyrius::machine::PROMPT, cyrius::machine::BOOT_TIMEOUT);
    m.run_expect("echo back", &["back"]);
    m.poweroff();
}

/// A kernel path that keeps the CPU (7 s, interrupts on) is reported by the
/// watchdog with every thread's state and kernel stack, then the shell goes on.
#[test]
fn the_watchdog_reports_a_stalled_kernel_and_every_thread() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.send(b"crash stall\r");
    m.wait_for("watchdog: CPU stuck in the kernel for 5.", COMMAND_TIMEOUT);
    m.wait_for("watchdog: progress again", COMMAND_TIMEOUT);
    let t = cyrius::symbolize::annotate_text(&m.transcript());
    for e in ["thread 1 'kernel' running (on the CPU)", "'net' ", "stall_in_kernel at kernel/src/shell/commands/system.rs:", "service at kernel/src/net/mod.rs:"] {
        m.assert(t.contains(e), &format!("the watchdog's report lacks {e:?}"));
    }
    m.run_expect("echo still here", &["still here"]);
    m.poweroff();
}

/// With interrupts off forever no timer runs; an NMI (what the harness sends
/// through QEMU's monitor when a command times out) still prints the dump.
#[test]
fn an_nmi_dumps_the_threads_of_a_locked_up_kernel() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.send(b"crash lockup\r");
    m.wait_for("crash lockup", COMMAND_TIMEOUT);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let sent = m.nmi();
    m.assert(sent, "QEMU's monitor took the nmi command");
    m.wait_for("NMI at RIP", COMMAND_TIMEOUT);
    m.wait_for("thread 4 'net'", COMMAND_TIMEOUT);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let t = cyrius::symbolize::annotate_text(&m.transcript());
    m.assert(t.contains("lockup_with_interrupts_off at kernel/src/shell/commands/system.rs:"), "the dump names the locked-up function");
}

/// BREAK then `t` on the serial console (Ctrl-A B, t in QEMU's terminal)
/// prints the thread dump on demand; the shell goes on.
#[test]
fn break_then_t_on_the_console_dumps_the_threads() {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let sent = m.send_break();
    m.assert(sent, "QEMU's monitor sent a BREAK");
    std::thread::sleep(std::time::Duration::from_millis(300));
    m.send(b"t");
    m.wait_for("sysrq: thread dump", COMMAND_TIMEOUT);
    m.wait_for("thread 4 'net'", COMMAND_TIMEOUT);
    m.run_expect("echo still here", &["still here"]);
    m.poweroff();
}
