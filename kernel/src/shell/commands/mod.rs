//! The host shell's commands: one table, one function each. Errors are
//! worded as the GNU tools word them, with glibc's errno messages.

mod containers;
mod files;
mod net;
pub mod processes;
mod programs;
mod system;

use alloc::string::String;
use errno::Errno;

use super::{Out, Session};

pub type CmdResult = Result<(), String>;

pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub help: &'static str,
    pub run: fn(&mut Session, &[String], &mut Out) -> CmdResult,
}

macro_rules! cmd {
    ($name:literal, $usage:literal, $help:literal, $run:path) => {
        Command { name: $name, usage: $usage, help: $help, run: $run }
    };
}

pub static COMMANDS: &[Command] = &[
    cmd!("help", "help [command]", "list commands, or show one command's usage", system::help),
    cmd!("echo", "echo [text...]", "print the arguments", system::echo),
    cmd!("uptime", "uptime", "time since boot", system::uptime),
    cmd!("date", "date", "the current time (UTC)", system::date),
    cmd!("mem", "mem", "physical frames, kernel heap and disk cache", system::mem),
    cmd!("latency", "latency [reset]", "the longest a typed key waited for its reader", system::latency),
    cmd!("lspci", "lspci", "list PCI devices", system::lspci),
    cmd!("lsblk", "lsblk", "list block devices", system::lsblk),
    cmd!("log", "log [off|error|warn|info|debug|trace]", "show or set the kernel log level", system::log_level),
    cmd!("strace", "strace [off|errors|all [CONTAINER]]", "print Linux syscalls (those that fail, or all) of every process or one container's on the console", system::strace),
    cmd!("poweroff", "poweroff", "power the machine off", system::poweroff),
    cmd!("reboot", "reboot", "reset the machine", system::reboot),
    cmd!("crash", "crash <panic|thread|stall|lockup|pagefault|gpf|ud|int3>", "raise a kernel fault on purpose (tests the fault paths)", system::crash),
    cmd!("pwd", "pwd", "print the working directory", files::pwd),
    cmd!("cd", "cd [dir]", "change the working directory (default /)", files::cd),
    cmd!("ls", "ls [-l] [-a] [path...]", "list directory contents", files::ls),
    cmd!("cat", "cat <file...>", "print files", files::cat),
    cmd!("stat", "stat <path...>", "show file status", files::stat),
    cmd!("touch", "touch <file...>", "create files or update their times", files::touch),
    cmd!("mkdir", "mkdir [-p] <dir...>", "make directories", files::mkdir),
    cmd!("rmdir", "rmdir <dir...>", "remove empty directories", files::rmdir),
    cmd!("rm", "rm [-r] [-f] <path...>", "remove files (and directories with -r)", files::rm),
    cmd!("cp", "cp [-r] <src...> <dst>", "copy files (and directories with -r)", files::cp),
    cmd!("mv", "mv <src...> <dst>", "move or rename", files::mv),
    cmd!("ln", "ln [-s] <target> <link>", "make a hard or symbolic link", files::ln),
    cmd!("hexdump", "hexdump [-C] <file>", "show a file in hex and ASCII", files::hexdump),
    cmd!("mount", "mount [-t tmpfs none <dir>]", "list mounts, or mount a tmpfs", files::mount),
    cmd!("umount", "umount <dir>", "unmount a filesystem", files::umount),
    cmd!("df", "df", "disk space of mounted filesystems", files::df),
    cmd!("images", "images", "list the OCI images on the data disk (digests verified; CACHED: store layers mounted, unpacked, or no)", containers::images),
    cmd!("oci-runtime", "oci-runtime create|start|run|state|kill|exec|ps|update|events|delete|list ...", "containers: create (--image NAME [-v HOSTDIR:DIR[:ro]] | --bundle DIR|TAR) ID [CMD...], start ID, run [-d] (--image NAME [-v HOSTDIR:DIR[:ro]] | --bundle DIR|TAR) ID [CMD...], state ID, kill [--all] ID [SIGNAL], exec ID CMD..., ps ID, update [--cpu-quota N] [--cpu-period N] [--cpu-shares N] [--memory SIZE] [--pids-limit N] ID, events --stats ID, delete [--force] ID, list", containers::oci_runtime),
    cmd!("run", "run <linux-program> [args...]", "run a Linux x86_64 program in user mode", programs::run),
    cmd!("ps", "ps", "list processes (containers included)", processes::ps),
    cmd!("kill", "kill [-SIGNAL] <pid...>", "send a signal to processes (default TERM)", processes::kill),
    cmd!("top", "top [-n N] [-d SECONDS]", "per-container CPU %, memory and processes, refreshed until a key is pressed", processes::top),
    cmd!("ifconfig", "ifconfig [eth0 [ADDR/PREFIX [gw GW]]]", "network interface: addresses (DHCP, or set by hand) and counters", net::ifconfig),
    cmd!("ping", "ping [-c COUNT] HOST", "send ICMP echo requests (QEMU's gateway 10.0.2.2 answers)", net::ping),
    cmd!("httpget", "httpget HOST[:PORT] [PATH]", "HTTP/1.0 GET over the kernel's TCP; prints the body", net::httpget),
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// `'path': message`, the way coreutils quotes a failing operand.
pub fn quoted(path: &str, e: Errno) -> String {
    alloc::format!("'{path}': {e}")
}
