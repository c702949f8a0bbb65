/* seccomp: strict mode, filters with every action, argument checks,
 * stacking, inheritance across fork and exec, TSYNC, and the errors of
 * seccomp(2) and prctl. Each check runs in a child that installs its own
 * filters; the parent prints what the child reported and how it ended.
 * Children that die set RLIMIT_CORE to 0 first (no core files). */
#include "difftest.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>

/* <linux/filter.h>, <linux/seccomp.h>, <linux/audit.h> (musl has no kernel headers). */
struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { unsigned short len; struct sock_filter *filter; };
#define BPF_STMT(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define BPF_JUMP(c, k, t, f) { (uint16_t)(c), (t), (f), (uint32_t)(k) }
#define LD_ABS 0x20
#define JEQ_K 0x15
#define JGE_K 0x35
#define RET_K 0x06
#define RET_A 0x16
#define RET_X 0x0e
#define AND_K 0x54
#define SECCOMP_SET_MODE_STRICT 0
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_GET_ACTION_AVAIL 2
#define SECCOMP_GET_NOTIF_SIZES 3
#define FLAG_TSYNC 1
#define FLAG_LOG 2
#define FLAG_SPEC_ALLOW 4
#define RET_KILL_PROCESS 0x80000000u
#define RET_KILL_THREAD 0x00000000u
#define RET_TRAP 0x00030000u
#define RET_ERRNO 0x00050000u
#define RET_USER_NOTIF 0x7fc00000u
#define RET_TRACE 0x7ff00000u
#define RET_LOG 0x7ffc0000u
#define RET_ALLOW 0x7fff0000u
#define ARCH_X86_64 0xc000003eu
#define OFF_NR 0
#define OFF_ARCH 4
#define ARG_LO(i) (16 + 8 * (i))
#define ARG_HI(i) (20 + 8 * (i))

static char *self_path;

static long sc_install(unsigned flags, struct sock_filter *f, unsigned short n) {
    struct sock_fprog p = { n, f };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter that gives `ret` to syscall `nr` and allows the rest. */
static long deny(int nr, uint32_t ret) {
    struct sock_filter f[] = {
        BPF_STMT(LD_ABS, OFF_ARCH),
        BPF_JUMP(JEQ_K, ARCH_X86_64, 1, 0),
        BPF_STMT(RET_K, RET_KILL_PROCESS),
        BPF_STMT(LD_ABS, OFF_NR),
        BPF_JUMP(JEQ_K, (uint32_t)nr, 0, 1),
        BPF_STMT(RET_K, ret),
        BPF_STMT(RET_K, RET_ALLOW),
    };
    return sc_install(0, f, sizeof f / sizeof f[0]);
}

static void no_core(void) {
    struct rlimit r = { 0, 0 };
    setrlimit(RLIMIT_CORE, &r);
}

/* "Seccomp:\tN" and "Seccomp_filters:\tN" of /proc/self/status. */
static void say_status_lines(const char *who) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) { say("%s: no /proc/self/status", who); return; }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Seccomp", 7) == 0) {
            line[strcspn(line, "\n")] = 0;
            for (char *c = line; *c; c++) if (*c == '\t') *c = ' ';
            say("%s: %s", who, line);
        }
    }
    fclose(f);
}

static void ret_errno(const char *what, long r) {
    if (r < 0) say("%s: -1 errno %d", what, errno);
    else say("%s: %ld", what, r);
}

/* Runs fn in a child; prints how the child ended. */
static void in_child(const char *who, void (*fn)(void)) {
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    reap(who, pid);
}

/* ---- strict ---- */

static void strict_child(void) {
    say("prctl get: %d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    say_ret("strict with flags", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL));
    no_core();
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
    say("strict: %ld", r);
    say("write works in strict mode");
    syscall(SYS_getpid); /* SIGKILL */
    say("not reached");
}

static void strict_exit_child(void) {
    no_core();
    prctl(PR_SET_SECCOMP, 1, 0, 0, 0);
    say("strict via prctl");
    syscall(SYS_exit, 3); /* exit is allowed; exit_group is not */
}

static void strict_again_child(void) {
    no_core();
    syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
    /* Asking again in strict mode: seccomp(2) itself is not allowed. */
    syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
    say("not reached");
}

static void case_strict(void) {
    in_child("strict child", strict_child);
    in_child("strict exit child", strict_exit_child);
    in_child("strict again child", strict_again_child);
}

/* ---- errno, log, trace, notify ---- */

static void errno_child(void) {
    say("install: %ld", deny(SYS_getppid, RET_ERRNO | EACCES));
    ret_errno("getppid", syscall(SYS_getppid));
    say("getpid allowed: %d", syscall(SYS_getpid) == getpid());
    say("install errno 0: %ld", deny(SYS_getuid, RET_ERRNO | 0));
    ret_errno("getuid (ERRNO(0))", syscall(SYS_getuid, 0));
    say("install errno 5000: %ld", deny(SYS_getgid, RET_ERRNO | 5000));
    ret_errno("getgid (capped)", syscall(SYS_getgid));
    say("install errno EINTR: %ld", deny(SYS_geteuid, RET_ERRNO | EINTR));
    ret_errno("geteuid (EINTR)", syscall(SYS_geteuid));
    say_status_lines("errno child");
}

static void actions_child(void) {
    pid_t ppid = getppid();
    say("log: %ld", deny(SYS_getppid, RET_LOG));
    say("getppid under LOG runs: %d", syscall(SYS_getppid) == ppid);
    say("trace: %ld", deny(SYS_getuid, RET_TRACE | 7));
    ret_errno("getuid under TRACE (no tracer)", syscall(SYS_getuid));
    say("notify: %ld", deny(SYS_getgid, RET_USER_NOTIF));
    ret_errno("getgid under USER_NOTIF (no listener)", syscall(SYS_getgid));
    say("allow: %ld", deny(SYS_geteuid, RET_ALLOW));
    say("geteuid under ALLOW: %ld", syscall(SYS_geteuid));
}

static void case_actions(void) {
    in_child("errno child", errno_child);
    in_child("actions child", actions_child);
}

/* ---- trap ---- */

static volatile long trap_count;

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    trap_count++;
    say("SIGSYS: signo %d code %d errno %d syscall %d arch %#x", sig, si->si_code, si->si_errno, si->si_syscall, si->si_arch);
    say("call_addr == rip: %d", (uintptr_t)si->si_call_addr == (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
    say("rax == nr: %d", uc->uc_mcontext.gregs[REG_RAX] == si->si_syscall);
    if (si->si_errno == 42) uc->uc_mcontext.gregs[REG_RAX] = 1234; /* the "return value" */
}

static void trap_child(void) {
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    say("install: %ld", deny(SYS_getppid, RET_TRAP | 7));
    long r = syscall(SYS_getppid);
    say("getppid returned %ld after the handler, %ld traps", r, trap_count);
    say("install: %ld", deny(SYS_getuid, RET_TRAP | 42));
    r = syscall(SYS_getuid);
    say("getuid returned %ld", r);
}

static void trap_blocked_child(void) {
    no_core();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSYS);
    sigprocmask(SIG_BLOCK, &s, NULL);
    say("install: %ld", deny(SYS_getppid, RET_TRAP));
    syscall(SYS_getppid); /* forced: the blocked SIGSYS kills */
    say("not reached");
}

static void trap_ignored_child(void) {
    no_core();
    signal(SIGSYS, SIG_IGN);
    say("install: %ld", deny(SYS_getppid, RET_TRAP));
    syscall(SYS_getppid);
    say("not reached");
}

static void case_trap(void) {
    in_child("trap child", trap_child);
    in_child("trap blocked child", trap_blocked_child);
    in_child("trap ignored child", trap_ignored_child);
}

/* ---- kill ---- */

static void kill_process_child(void) {
    no_core();
    say("install: %ld", deny(SYS_getppid, RET_KILL_PROCESS));
    syscall(SYS_getppid);
    say("not reached");
}

static void kill_thread_single_child(void) {
    no_core();
    say("install: %ld", deny(SYS_getppid, RET_KILL_THREAD));
    syscall(SYS_getppid);
    say("not reached");
}

static volatile long victim_tid;

static void *call_getppid(void *arg) {
    (void)arg;
    victim_tid = syscall(SYS_gettid);
    syscall(SYS_getppid);
    return (void *)1;
}

/* A thread killed by seccomp never runs musl's pthread_exit, so it cannot
 * be joined: wait (bounded) until the kernel no longer knows its tid. */
static void kill_thread_child(void) {
    no_core();
    say("install: %ld", deny(SYS_getppid, RET_KILL_THREAD));
    pthread_t t;
    pthread_create(&t, NULL, call_getppid, NULL);
    long long start = now_ms();
    int gone = 0;
    while (!gone && now_ms() - start < 10000) {
        if (victim_tid && syscall(SYS_tgkill, getpid(), victim_tid, 0) < 0 && errno == ESRCH) gone = 1;
        else sleep_ms(5);
    }
    say("the thread is gone: %d", gone);
    say("main thread lives on: 1");
}

static void kill_process_from_thread_child(void) {
    no_core();
    say("install: %ld", deny(SYS_getppid, RET_KILL_PROCESS));
    pthread_t t;
    pthread_create(&t, NULL, call_getppid, NULL);
    sleep_ms(10000);
    say("not reached");
}

static void case_kill(void) {
    in_child("kill process child", kill_process_child);
    in_child("kill thread (single) child", kill_thread_single_child);
    in_child("kill thread child", kill_thread_child);
    in_child("kill process from a thread child", kill_process_from_thread_child);
}

/* ---- args: 64-bit comparisons on both halves ---- */

static void args_child(void) {
    /* dup(fd): ERRNO(77) when fd == 0x1_0000_03e8 (both halves),
     * ERRNO(78) when fd's low byte is 0x42 (masked), else allowed. */
    struct sock_filter f[] = {
        BPF_STMT(LD_ABS, OFF_NR),
        BPF_JUMP(JEQ_K, SYS_dup, 0, 9),
        BPF_STMT(LD_ABS, ARG_HI(0)),
        BPF_JUMP(JEQ_K, 1, 0, 3),
        BPF_STMT(LD_ABS, ARG_LO(0)),
        BPF_JUMP(JEQ_K, 1000, 0, 1),
        BPF_STMT(RET_K, RET_ERRNO | 77),
        BPF_STMT(LD_ABS, ARG_LO(0)),
        BPF_STMT(AND_K, 0xff),
        BPF_JUMP(JEQ_K, 0x42, 0, 1),
        BPF_STMT(RET_K, RET_ERRNO | 78),
        BPF_STMT(RET_K, RET_ALLOW),
    };
    say("install: %ld", sc_install(0, f, sizeof f / sizeof f[0]));
    ret_errno("dup(0x1000003e8)", syscall(SYS_dup, 0x1000003e8L));
    ret_errno("dup(1000)", syscall(SYS_dup, 1000L));
    ret_errno("dup(0x142)", syscall(SYS_dup, 0x142L));
    ret_errno("dup(0x2000003e8)", syscall(SYS_dup, 0x2000003e8L));
    long fd = syscall(SYS_dup, 1L);
    say("dup(1) allowed: %d", fd > 2);
}

static void case_args(void) {
    in_child("args child", args_child);
}

/* ---- stacking and precedence ---- */

static void stacking_child(void) {
    say_status_lines("before");
    say("filter 1: %ld", deny(SYS_getppid, RET_ERRNO | 1));
    say("filter 2: %ld", deny(SYS_getppid, RET_ERRNO | 2));
    ret_errno("getppid (two ERRNOs: the newest wins)", syscall(SYS_getppid));
    say("filter 3: %ld", deny(SYS_getppid, RET_LOG));
    ret_errno("getppid (LOG on top: ERRNO still wins)", syscall(SYS_getppid));
    say("filter 4: %ld", deny(SYS_getuid, RET_TRACE));
    say("filter 5: %ld", deny(SYS_getuid, RET_ERRNO | 9));
    ret_errno("getuid (ERRNO beats TRACE)", syscall(SYS_getuid));
    say_status_lines("after");
    say("prctl get: %d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    say_ret("strict after filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
}

static void stacking_kill_child(void) {
    no_core();
    say("filter 1: %ld", deny(SYS_getppid, RET_TRAP));
    say("filter 2: %ld", deny(SYS_getppid, RET_KILL_THREAD));
    say("filter 3: %ld", deny(SYS_getppid, RET_ERRNO | 3));
    syscall(SYS_getppid); /* KILL_THREAD beats TRAP and ERRNO */
    say("not reached");
}

static void case_stacking(void) {
    in_child("stacking child", stacking_child);
    in_child("stacking kill child", stacking_kill_child);
}

/* ---- fork and exec ---- */

static void fork_child(void) {
    say("install: %ld", deny(SYS_getppid, RET_ERRNO | 11));
    pid_t pid = fork();
    if (pid == 0) {
        ret_errno("grandchild getppid", syscall(SYS_getppid));
        say("grandchild own filter: %ld", deny(SYS_getuid, RET_ERRNO | 12));
        ret_errno("grandchild getuid", syscall(SYS_getuid));
        say_status_lines("grandchild");
        _exit(0);
    }
    reap("grandchild", pid);
    ret_errno("child getuid (not the grandchild's filter)", syscall(SYS_getuid));
    say_status_lines("child");
}

static void exec_child(void) {
    say("install: %ld", deny(SYS_getppid, RET_ERRNO | 13));
    say("install LOG flag: %ld", ({
        struct sock_filter f[] = { BPF_STMT(RET_K, RET_ALLOW) };
        sc_install(FLAG_LOG, f, 1);
    }));
    char *argv[] = { self_path, "--after-exec", NULL };
    execv(self_path, argv);
    say("execv: %s", ename(errno));
}

static void case_fork_exec(void) {
    in_child("fork child", fork_child);
    in_child("exec child", exec_child);
}

static int after_exec(void) {
    ret_errno("after exec getppid", syscall(SYS_getppid));
    say_status_lines("after exec");
    return 0;
}

/* ---- TSYNC ---- */

static volatile int go, done_flag;
static long thread_result;

static void *waiter(void *arg) {
    (void)arg;
    while (!go) sched_yield();
    thread_result = syscall(SYS_getppid) < 0 ? -errno : 0;
    done_flag = 1;
    return NULL;
}

static void tsync_child(void) {
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    struct sock_filter f[] = {
        BPF_STMT(LD_ABS, OFF_NR),
        BPF_JUMP(JEQ_K, SYS_getppid, 0, 1),
        BPF_STMT(RET_K, RET_ERRNO | 21),
        BPF_STMT(RET_K, RET_ALLOW),
    };
    say("tsync: %ld", sc_install(FLAG_TSYNC, f, 4));
    go = 1;
    pthread_join(t, NULL);
    say("sibling thread getppid: %ld", thread_result);
}

static volatile int sibling_ready;

static void *own_filter(void *arg) {
    (void)arg;
    deny(SYS_getgid, RET_ERRNO | 5);
    sibling_ready = 1;
    while (!go) sched_yield();
    return NULL;
}

static void tsync_conflict_child(void) {
    pthread_t t;
    pthread_create(&t, NULL, own_filter, NULL);
    while (!sibling_ready) sched_yield();
    struct sock_filter f[] = { BPF_STMT(RET_K, RET_ALLOW) };
    long r = sc_install(FLAG_TSYNC, f, 1);
    say("tsync against a sibling with its own filter fails with its tid: %d", r > 0 && r != getpid());
    ret_errno("our getgid (no filter installed)", syscall(SYS_getgid) == getgid() ? 0 : -1);
    say_status_lines("conflict");
    go = 1;
    pthread_join(t, NULL);
}

static void case_tsync(void) {
    in_child("tsync child", tsync_child);
    go = 0;
    in_child("tsync conflict child", tsync_conflict_child);
}

/* ---- errors ---- */

static void errors_child(void) {
    struct sock_filter ok[] = { BPF_STMT(RET_K, RET_ALLOW) };
    struct sock_filter unaligned[] = { BPF_STMT(LD_ABS, 2), BPF_STMT(RET_K, RET_ALLOW) };
    struct sock_filter outside[] = { BPF_STMT(LD_ABS, 64), BPF_STMT(RET_K, RET_ALLOW) };
    struct sock_filter far_jump[] = { BPF_JUMP(JEQ_K, 0, 1, 0), BPF_STMT(RET_K, RET_ALLOW) };
    struct sock_filter no_ret[] = { BPF_STMT(RET_K, RET_ALLOW), BPF_STMT(LD_ABS, 0) };
    struct sock_filter ret_x[] = { BPF_STMT(RET_X, 0) };
    struct sock_filter ret_a[] = { BPF_STMT(LD_ABS, OFF_NR), BPF_STMT(AND_K, 0), BPF_STMT(0x04 /* add k */, RET_ALLOW), BPF_STMT(RET_A, 0) };
    struct sock_fprog empty = { 0, ok };
    struct sock_fprog bad_ptr = { 1, (struct sock_filter *)8 };
    struct sock_fprog too_long = { 4097, ok };
    say_ret("empty", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &empty));
    say_ret("too long", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &too_long));
    say_ret("unaligned load", sc_install(0, unaligned, 2));
    say_ret("load past seccomp_data", sc_install(0, outside, 2));
    say_ret("jump past the end", sc_install(0, far_jump, 2));
    say_ret("no final ret", sc_install(0, no_ret, 2));
    say_ret("ret X", sc_install(0, ret_x, 1));
    say_ret("bad filter pointer", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &bad_ptr));
    say_ret("bad fprog pointer", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8));
    say_ret("unknown flag", sc_install(0x100, ok, 1));
    say_ret("unknown op", syscall(SYS_seccomp, 99, 0, NULL));
    say_ret("prctl bad mode", prctl(PR_SET_SECCOMP, 7, 0, 0, 0));
    uint32_t actions[] = { RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW, RET_ERRNO | 1, 0x00010000 };
    for (unsigned i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]);
        say("action %#x available: %ld %s", actions[i], r, r ? (errno == EOPNOTSUPP ? "EOPNOTSUPP" : ename(errno)) : "");
    }
    say_ret("action avail bad pointer", syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (void *)8));
    uint16_t sizes[3] = { 0 };
    long r = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes);
    say("notif sizes: %ld %u %u %u", r, sizes[0], sizes[1], sizes[2]);
    say("spec allow + log + tsync: %ld", sc_install(FLAG_SPEC_ALLOW | FLAG_LOG | FLAG_TSYNC, ok, 1));
    say("ret A (nr & 0 + ALLOW): %ld", sc_install(0, ret_a, 4));
    say("getpid still allowed: %d", syscall(SYS_getpid) == getpid());
    say_status_lines("errors");
}

static void case_errors(void) {
    in_child("errors child", errors_child);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc > 1 && strcmp(argv[1], "--after-exec") == 0) return after_exec();
    static const struct dcase cases[] = {
        CASE(strict), CASE(actions), CASE(trap), CASE(kill), CASE(args),
        CASE(stacking), CASE(fork_exec), CASE(tsync), CASE(errors), { 0, 0 },
    };
    return run_cases(cases, argc, argv, 0);
}
