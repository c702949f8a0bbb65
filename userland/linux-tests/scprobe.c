/* Probe calls for a container started under a seccomp profile: each case
 * makes one or two calls and prints the result. The same binary runs in a
 * Cyrius container (config.json's linux.seccomp) and on the host under the
 * same compiled profile (boot/tests/seccomp.rs); the outputs must match.
 * Every call here is harmless should a profile let it through. */
#include "difftest.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif

static void raw(const char *what, long nr, long a, long b, long c, long d) {
    long r = syscall(nr, a, b, c, d, 0, 0);
    if (r == 0 && (nr == SYS_clone || nr == SYS_clone3)) _exit(0); /* a child, should the call run */
    if (r > 0 && (nr == SYS_clone || nr == SYS_clone3)) waitpid(r, NULL, 0);
    say_ret(what, r);
}

static void case_allowed(void) {
    say("getpid matches: %d", syscall(SYS_getpid) == getpid());
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    say("unix socket: %d", fd >= 0);
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    reap("fork child", pid);
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Seccomp:", 8) == 0) say("status %.*s", (int)strcspn(line, "\n"), line);
    if (f) fclose(f);
}

/* What Docker's default profile refuses (EPERM), or answers ENOSYS. */
static void case_docker_denied(void) {
    raw("unshare(CLONE_NEWUSER)", SYS_unshare, 0x10000000, 0, 0, 0);
    raw("clone(CLONE_NEWUSER)", SYS_clone, 0x10000000 | SIGCHLD, 0, 0, 0);
    raw("clone(CLONE_NEWNS)", SYS_clone, 0x00020000 | SIGCHLD, 0, 0, 0);
    raw("clone3", SYS_clone3, 0, 0, 0, 0);
    raw("mount", SYS_mount, 0, 0, 0, 0);
    raw("umount2", SYS_umount2, 0, 0, 0, 0);
    raw("pivot_root", SYS_pivot_root, 0, 0, 0, 0);
    raw("setns", SYS_setns, -1, 0, 0, 0);
    raw("keyctl", SYS_keyctl, 0, 0, 0, 0);
    raw("add_key", SYS_add_key, 0, 0, 0, 0);
    raw("request_key", SYS_request_key, 0, 0, 0, 0);
    raw("personality(-1)", SYS_personality, -1, 0, 0, 0);
    raw("personality(1)", SYS_personality, 1, 0, 0, 0);
    raw("bpf", SYS_bpf, 0, 0, 0, 0);
    raw("perf_event_open", SYS_perf_event_open, 0, 0, 0, 0);
    raw("userfaultfd", SYS_userfaultfd, 0, 0, 0, 0);
    raw("syslog", SYS_syslog, 10, 0, 0, 0);
    raw("acct", SYS_acct, 1, 0, 0, 0);
    raw("settimeofday", SYS_settimeofday, 0, 0, 0, 0);
    raw("init_module", SYS_init_module, 0, 0, 0, 0);
    raw("swapon", SYS_swapon, 0, 0, 0, 0);
    raw("iopl", SYS_iopl, 0, 0, 0, 0);
    raw("reboot (bad magic)", SYS_reboot, 0, 0, 0, 0);
    raw("fchmodat2", SYS_fchmodat2, AT_FDCWD, (long)"/nonexistent-seccomp-probe", 0755, 0);
    raw("mseal", SYS_mseal, 0, 0, 0, 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    say("SIGSYS %d: code %d errno %d syscall %d arch %#x", sig, si->si_code, si->si_errno, si->si_syscall, si->si_arch);
}

/* A small custom profile (boot/tests/seccomp.rs): ERRNO with and without
 * argument conditions, LOG, TRAP, KILL_PROCESS. */
static void case_custom(void) {
    say_ret("getppid", syscall(SYS_getppid));
    say_ret("mkdir", mkdir("/tmp/seccomp-probe", 0755));
    say_ret("dup(1000)", dup(1000));
    int fd = dup(1);
    say("dup(1): %d", fd > 2);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    say("udp socket: %d errno %d", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    say_ret("tcp socket", fd < 0 ? -1 : 0);
    say_ret("ptrace", syscall(SYS_ptrace, 2, 999999, 0, 0));
    struct utsname u;
    say_ret("uname (logged)", uname(&u));
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    say("getpgid (trapped) returned the number: %d", syscall(SYS_getpgid, 0) == SYS_getpgid);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit r = { 0, 0 };
        setrlimit(RLIMIT_CORE, &r);
        sync();
        _exit(0);
    }
    reap("sync child", pid);
}

int main(int argc, char **argv) {
    static const struct dcase cases[] = { CASE(allowed), CASE(docker_denied), CASE(custom), { 0, 0 } };
    return run_cases(cases, argc, argv, 0);
}
