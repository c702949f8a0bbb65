/* Scheduling attributes and process controls, differentially: CPU
 * affinity, policies and priorities, nice values, close_range, the common
 * prctl options (parent-death signal, dumpable, child subreaper, timer
 * slack, THP), membarrier and rseq (registration and the abort of a
 * critical section on signal delivery).
 *
 * The host may have more CPUs and a larger kernel CPU mask than Cyrius:
 * the cases print CPU 0's membership and relations, never counts or mask
 * sizes. musl's sched_setscheduler family is ENOSYS by design, so the
 * raw syscalls are used.
 */
#include "difftest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#define SCHED_DEADLINE_ 6

static long sys_setsched(pid_t pid, long policy, int *prio) { return syscall(SYS_sched_setscheduler, pid, policy, prio); }
static long sys_getsched(pid_t pid) { return syscall(SYS_sched_getscheduler, pid); }
static long sys_getparam(pid_t pid) {
    int prio = -1;
    long r = syscall(SYS_sched_getparam, pid, &prio);
    return r < 0 ? r : prio;
}

/* A pid that names nothing: a child that was reaped. */
static pid_t dead_pid(void) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    waitpid(c, 0, 0);
    return c;
}

static void case_affinity(void) {
    unsigned char m[128];
    memset(m, 0, sizeof m);
    long r = syscall(SYS_sched_getaffinity, 0, 8, m);
    say("getaffinity(8): %ld, cpu0 %d", r, m[0] & 1);
    memset(m, 0, sizeof m);
    r = syscall(SYS_sched_getaffinity, 0, 128, m);
    say("getaffinity(128) whole longs: %d, cpu0 %d", r > 0 && r % 8 == 0 && r <= 128, m[0] & 1);
    say_ret("getaffinity(4)", syscall(SYS_sched_getaffinity, 0, 4, m));
    say_ret("getaffinity(0)", syscall(SYS_sched_getaffinity, 0, 0, m));
    say_ret("getaffinity(12)", syscall(SYS_sched_getaffinity, 0, 12, m));
    say_ret("getaffinity(bad pointer)", syscall(SYS_sched_getaffinity, 0, 8, (void *)8));
    say_ret("getaffinity(dead pid)", syscall(SYS_sched_getaffinity, dead_pid(), 8, m));
    say_ret("getaffinity(-1)", syscall(SYS_sched_getaffinity, -1, 8, m));

    memset(m, 0, sizeof m);
    say_ret("setaffinity(empty)", syscall(SYS_sched_setaffinity, 0, 8, m));
    say_ret("setaffinity(len 0)", syscall(SYS_sched_setaffinity, 0, 0, m));
    m[125] = 1; /* CPU 1000 only: no such CPU */
    say_ret("setaffinity(cpu 1000)", syscall(SYS_sched_setaffinity, 0, 128, m));
    memset(m, 0, sizeof m);
    m[0] = 1;
    say_ret("setaffinity({0}, len 4)", syscall(SYS_sched_setaffinity, 0, 4, m));
    say_ret("setaffinity({0})", syscall(SYS_sched_setaffinity, 0, 8, m));
    say_ret("setaffinity(bad pointer)", syscall(SYS_sched_setaffinity, 0, 8, (void *)8));
    cpu_set_t set;
    CPU_ZERO(&set);
    int got = sched_getaffinity(0, sizeof set, &set);
    say("sched_getaffinity: %d, count %d, cpu0 %d", got, (int)CPU_COUNT(&set), (int)CPU_ISSET(0, &set));
    pid_t c = fork();
    if (c == 0) {
        CPU_ZERO(&set);
        sched_getaffinity(0, sizeof set, &set);
        say("child inherits: count %d, cpu0 %d", (int)CPU_COUNT(&set), (int)CPU_ISSET(0, &set));
        _exit(0);
    }
    reap("child", c);
    memset(m, 0xff, sizeof m);
    say_ret("setaffinity(all)", syscall(SYS_sched_setaffinity, 0, 128, m));
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    say("after all: cpu0 %d", (int)CPU_ISSET(0, &set));
    int cpu = -1, node = -1;
    long r2 = syscall(SYS_getcpu, &cpu, &node, 0);
    say("getcpu: %ld, cpu in mask %d, node %d", r2, (int)CPU_ISSET(cpu, &set), node);
    say_ret("getcpu(NULL, NULL)", syscall(SYS_getcpu, 0, 0, 0));
}

static void case_scheduler(void) {
    /* 7 is SCHED_EXT on kernels that have it: not asked. */
    int policies[] = { SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE_, 4, 9, -1 };
    for (unsigned i = 0; i < sizeof policies / sizeof *policies; i++) {
        long mx = syscall(SYS_sched_get_priority_max, policies[i]);
        int e1 = errno;
        long mn = syscall(SYS_sched_get_priority_min, policies[i]);
        int e2 = errno;
        say("policy %d: max %ld%s min %ld%s", policies[i], mx, mx < 0 ? ename(e1) : "", mn, mn < 0 ? ename(e2) : "");
    }
    say("getscheduler: %ld, param %ld", sys_getsched(0), sys_getparam(0));
    int prio = 0;
    say_ret("FIFO 0", sys_setsched(0, SCHED_FIFO, &prio));
    prio = 100;
    say_ret("FIFO 100", sys_setsched(0, SCHED_FIFO, &prio));
    prio = -1;
    say_ret("RR -1", sys_setsched(0, SCHED_RR, &prio));
    prio = 1;
    say_ret("OTHER 1", sys_setsched(0, SCHED_OTHER, &prio));
    prio = 0;
    say_ret("DEADLINE 0", sys_setsched(0, SCHED_DEADLINE_, &prio));
    say_ret("policy 4", sys_setsched(0, 4, &prio));
    say_ret("policy 9", sys_setsched(0, 9, &prio));
    say_ret("policy -1", sys_setsched(0, -1, &prio));
    say_ret("NULL param", sys_setsched(0, SCHED_OTHER, 0));
    say_ret("pid -1", sys_setsched(-1, SCHED_OTHER, &prio));
    say_ret("dead pid", sys_setsched(dead_pid(), SCHED_OTHER, &prio));
    say_ret("bad param pointer", sys_setsched(0, SCHED_OTHER, (int *)8));
    say_ret("getscheduler(-1)", sys_getsched(-1));
    say_ret("getparam(NULL)", syscall(SYS_sched_getparam, 0, 0));

    prio = 5;
    say_ret("RR 5", sys_setsched(0, SCHED_RR, &prio));
    say("getscheduler: %ld, param %ld", sys_getsched(0), sys_getparam(0));
    struct timespec ts = { 9, 9 };
    long ri = syscall(SYS_sched_rr_get_interval, 0, &ts);
    say("rr_get_interval: %ld, %ld.%09ld", ri, (long)ts.tv_sec, ts.tv_nsec);
    say_ret("rr_get_interval(bad pointer)", syscall(SYS_sched_rr_get_interval, 0, (void *)8));
    say_ret("rr_get_interval(-1)", syscall(SYS_sched_rr_get_interval, -1, &ts));
    prio = 7;
    say_ret("setparam 7", syscall(SYS_sched_setparam, 0, &prio));
    say("param now %ld", sys_getparam(0));
    prio = 0;
    say_ret("setparam 0 under RR", syscall(SYS_sched_setparam, 0, &prio));
    prio = 3;
    say_ret("FIFO 3", sys_setsched(0, SCHED_FIFO, &prio));
    ts.tv_sec = 9;
    ri = syscall(SYS_sched_rr_get_interval, 0, &ts);
    say("rr_get_interval under FIFO: %ld, %ld.%09ld", ri, (long)ts.tv_sec, ts.tv_nsec);
    pid_t c = fork();
    if (c == 0) {
        say("child: policy %ld, param %ld", sys_getsched(0), sys_getparam(0));
        _exit(0);
    }
    reap("child", c);
    say_ret("FIFO|RESET_ON_FORK 3", sys_setsched(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &prio));
    say("getscheduler: %#lx", sys_getsched(0));
    c = fork();
    if (c == 0) {
        say("reset child: policy %#lx, param %ld", sys_getsched(0), sys_getparam(0));
        _exit(0);
    }
    reap("reset child", c);
    prio = 0;
    say_ret("BATCH", sys_setsched(0, SCHED_BATCH, &prio));
    say("getscheduler: %#lx", sys_getsched(0));
    say_ret("IDLE", sys_setsched(0, SCHED_IDLE, &prio));
    say("getscheduler: %ld", sys_getsched(0));
    say_ret("OTHER", sys_setsched(0, SCHED_OTHER, &prio));
    say("getscheduler: %ld", sys_getsched(0));
    c = fork();
    if (c == 0) {
        /* Without CAP_SYS_NICE: no real-time policy, no reset of the flag, not another's thread. */
        if (setuid(1000) < 0) say("setuid: %s", ename(errno));
        prio = 1;
        say_ret("user RR 1", sys_setsched(0, SCHED_RR, &prio));
        prio = 0;
        say_ret("user BATCH", sys_setsched(0, SCHED_BATCH, &prio));
        say_ret("user OTHER|RESET", sys_setsched(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &prio));
        say_ret("user OTHER (clearing reset)", sys_setsched(0, SCHED_OTHER, &prio));
        say_ret("user on parent", sys_setsched(getppid(), SCHED_OTHER, &prio));
        say("user getscheduler(parent): %ld", sys_getsched(getppid()));
        _exit(0);
    }
    reap("user child", c);
}

static void *nice_thread(void *arg) {
    (void)arg;
    say_ret("thread setpriority(PROCESS, 0, 10)", setpriority(PRIO_PROCESS, 0, 10));
    say("thread raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    return 0;
}

static void case_nice(void) {
    say("raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    say_ret("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
    say("raw getpriority: %ld, libc %d", syscall(SYS_getpriority, PRIO_PROCESS, 0), getpriority(PRIO_PROCESS, 0));
    say_ret("setpriority 100", setpriority(PRIO_PROCESS, 0, 100));
    say("raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, getpid()));
    say_ret("setpriority -100", setpriority(PRIO_PROCESS, 0, -100));
    say("raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    say_ret("setpriority 0", setpriority(PRIO_PROCESS, 0, 0));
    say_ret("getpriority(which 3)", syscall(SYS_getpriority, 3, 0));
    say_ret("setpriority(which -1)", setpriority(-1, 0, 0));
    pid_t gone = dead_pid();
    say_ret("getpriority(dead pid)", syscall(SYS_getpriority, PRIO_PROCESS, gone));
    say_ret("setpriority(dead pid)", setpriority(PRIO_PROCESS, gone, 1));
    say_ret("getpriority(pid -5)", syscall(SYS_getpriority, PRIO_PROCESS, -5));
    say_ret("setpriority 3", setpriority(PRIO_PROCESS, 0, 3));
    pthread_t th;
    pthread_create(&th, 0, nice_thread, 0);
    pthread_join(th, 0);
    say("main raw getpriority after the thread: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    int up[2], down[2];
    if (pipe(up) < 0 || pipe(down) < 0) return;
    pid_t c = fork();
    if (c == 0) {
        say("child inherits: raw %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
        setpgid(0, 0);
        (void)!write(up[1], "x", 1);
        char b;
        (void)!read(down[0], &b, 1);
        say("child after group change: raw %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
        if (setuid(12345) < 0) say("setuid: %s", ename(errno));
        say_ret("user setpriority(USER, 0, 7)", setpriority(PRIO_USER, 0, 7));
        say("user raw getpriority(USER, 0): %ld", syscall(SYS_getpriority, PRIO_USER, 0));
        say_ret("user lowers nice", setpriority(PRIO_PROCESS, 0, 2));
        say_ret("user raises nice", setpriority(PRIO_PROCESS, 0, 15));
        say("user raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
        say_ret("user on parent", setpriority(PRIO_PROCESS, getppid(), 5));
        say_ret("user getpriority(parent)", syscall(SYS_getpriority, PRIO_PROCESS, getppid()));
        _exit(0);
    }
    char b;
    (void)!read(up[0], &b, 1);
    say_ret("setpriority(PGRP, child, 11)", setpriority(PRIO_PGRP, c, 11));
    say("raw getpriority(PGRP, child): %ld", syscall(SYS_getpriority, PRIO_PGRP, c));
    say("own raw getpriority: %ld", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    (void)!write(down[1], "x", 1);
    reap("child", c);
    say_ret("getpriority(USER, 54321)", syscall(SYS_getpriority, PRIO_USER, 54321));
    setpriority(PRIO_PROCESS, 0, 0);
}

static void case_close_range(void) {
    for (int fd = 10; fd <= 15; fd++) dup2(0, fd);
    say_ret("close_range(11, 13)", syscall(SYS_close_range, 11, 13, 0));
    for (int fd = 10; fd <= 15; fd++) say("fd %d: %s", fd, fcntl(fd, F_GETFD) < 0 ? ename(errno) : "open");
    say_ret("close_range(20, 10)", syscall(SYS_close_range, 20, 10, 0));
    say_ret("close_range(flags 8)", syscall(SYS_close_range, 10, 10, 8));
    say_ret("close_range(flags 1)", syscall(SYS_close_range, 10, 10, 1));
    say_ret("close_range(100, ~0)", syscall(SYS_close_range, 100, ~0U, 0));
    say_ret("CLOEXEC(14, 15)", syscall(SYS_close_range, 14, 15, CLOSE_RANGE_CLOEXEC));
    for (int fd = 14; fd <= 15; fd++) say("fd %d flags %d", fd, fcntl(fd, F_GETFD));
    say_ret("CLOEXEC|UNSHARE(16, 30)", syscall(SYS_close_range, 16, 30, CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE));
    pid_t c = fork();
    if (c == 0) {
        say_ret("child close_range(10, ~0)", syscall(SYS_close_range, 10, ~0U, 0));
        say("child fd 10: %s", fcntl(10, F_GETFD) < 0 ? ename(errno) : "open");
        _exit(0);
    }
    reap("child", c);
    say("parent fd 10 after the child's: %s", fcntl(10, F_GETFD) < 0 ? ename(errno) : "open");
    /* A thread shares the table; UNSHARE gives it its own copy first. */
    c = fork();
    if (c == 0) {
        long r = syscall(SYS_clone, 0x400 /* CLONE_FILES */ | SIGCHLD, 0, 0, 0, 0);
        if (r == 0) {
            say_ret("files sharer close_range(10, 10, UNSHARE)", syscall(SYS_close_range, 10, 10, CLOSE_RANGE_UNSHARE));
            say("sharer fd 10: %s", fcntl(10, F_GETFD) < 0 ? ename(errno) : "open");
            _exit(0);
        }
        waitpid(r, 0, 0);
        say("fd 10 in the other sharer: %s", fcntl(10, F_GETFD) < 0 ? ename(errno) : "open");
        r = syscall(SYS_clone, 0x400 | SIGCHLD, 0, 0, 0, 0);
        if (r == 0) {
            syscall(SYS_close_range, 11, 11, 0);
            dup2(0, 11);
            syscall(SYS_close_range, 10, 10, 0);
            _exit(0);
        }
        waitpid(r, 0, 0);
        say("without UNSHARE the sharer's close shows: fd 10 %s", fcntl(10, F_GETFD) < 0 ? ename(errno) : "open");
        _exit(0);
    }
    reap("sharers", c);
    for (int fd = 10; fd <= 15; fd++) close(fd);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int s) { (void)s; got_usr1 = 1; }

static void case_prctl(void) {
    int v = -1;
    int r = prctl(PR_GET_PDEATHSIG, &v);
    say("PDEATHSIG: %d, value %d", r, v);
    say_ret("PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65));
    say_ret("PDEATHSIG -1", prctl(PR_SET_PDEATHSIG, -1L));
    say_ret("PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1));
    prctl(PR_GET_PDEATHSIG, &v);
    say("PDEATHSIG now %d", v);
    say_ret("PDEATHSIG bad pointer", prctl(PR_GET_PDEATHSIG, (int *)8));
    pid_t c = fork();
    if (c == 0) {
        v = -1;
        prctl(PR_GET_PDEATHSIG, &v);
        say("child PDEATHSIG %d", v);
        _exit(0);
    }
    reap("child", c);
    prctl(PR_SET_PDEATHSIG, 0);

    say("DUMPABLE %d", prctl(PR_GET_DUMPABLE));
    say_ret("DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2));
    say_ret("DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    say("DUMPABLE %d", prctl(PR_GET_DUMPABLE));
    c = fork();
    if (c == 0) {
        say("child DUMPABLE %d", prctl(PR_GET_DUMPABLE));
        prctl(PR_SET_DUMPABLE, 1);
        if (setuid(1000) < 0) say("setuid: %s", ename(errno));
        say("child DUMPABLE after setuid %d", prctl(PR_GET_DUMPABLE));
        _exit(0);
    }
    reap("child", c);
    prctl(PR_SET_DUMPABLE, 1);
    say("DUMPABLE %d", prctl(PR_GET_DUMPABLE));

    int slack = prctl(PR_GET_TIMERSLACK);
    say("TIMERSLACK positive: %d", slack > 0);
    say_ret("TIMERSLACK 1000", prctl(PR_SET_TIMERSLACK, 1000));
    say("TIMERSLACK %d", prctl(PR_GET_TIMERSLACK));
    c = fork();
    if (c == 0) {
        say("child TIMERSLACK %d", prctl(PR_GET_TIMERSLACK));
        prctl(PR_SET_TIMERSLACK, 77);
        prctl(PR_SET_TIMERSLACK, 0);
        say("child TIMERSLACK after reset %d", prctl(PR_GET_TIMERSLACK));
        _exit(0);
    }
    reap("child", c);
    prctl(PR_SET_TIMERSLACK, 0);
    say("TIMERSLACK after reset == at start: %d", prctl(PR_GET_TIMERSLACK) == slack);

    int tid_word;
    syscall(SYS_set_tid_address, &tid_word);
    void *addr = 0;
    r = prctl(PR_GET_TID_ADDRESS, &addr);
    say("TID_ADDRESS: %d, same %d", r, addr == (void *)&tid_word);
    say_ret("TID_ADDRESS bad pointer", prctl(PR_GET_TID_ADDRESS, (void *)8));

    say("THP_DISABLE %d", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    say_ret("THP_DISABLE 1", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
    say("THP_DISABLE %d", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    say_ret("GET_THP_DISABLE(1)", prctl(PR_GET_THP_DISABLE, 1, 0, 0, 0));
    say_ret("SET_THP_DISABLE(1, 0, 0, 1)", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 1));
    c = fork();
    if (c == 0) {
        say("child THP_DISABLE %d", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
        _exit(0);
    }
    reap("child", c);
    prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);

    say("TIMING %d", prctl(PR_GET_TIMING));
    say_ret("SET_TIMING 1", prctl(PR_SET_TIMING, 1));
    say_ret("SET_TIMING 0", prctl(PR_SET_TIMING, 0));
    say_ret("PERF_EVENTS_DISABLE", prctl(PR_TASK_PERF_EVENTS_DISABLE));
    say_ret("PERF_EVENTS_ENABLE", prctl(PR_TASK_PERF_EVENTS_ENABLE));
    char *page = malloc(8192);
    say_ret("SET_VMA", prctl(0x53564d41, 0, (unsigned long)page, 4096, (unsigned long)"name"));
    free(page);
    v = -1;
    r = prctl(PR_GET_CHILD_SUBREAPER, &v);
    say("CHILD_SUBREAPER: %d, value %d", r, v);
}

/* Grandchildren of a subreaper come to it when their parent dies; the
 * parent-death signal reaches them as it does. */
static void case_subreaper(void) {
    say_ret("SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    say("CHILD_SUBREAPER %d", v);
    pid_t me = getpid();
    int ready[2], report[2];
    if (pipe(ready) < 0 || pipe(report) < 0) return;
    pid_t mid = fork();
    if (mid == 0) {
        pid_t kid = fork();
        if (kid == 0) {
            struct sigaction sa = { .sa_handler = on_usr1 };
            sigaction(SIGUSR1, &sa, 0);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            (void)!write(ready[1], "r", 1);
            long long end = now_ms() + 5000;
            while (!got_usr1 && now_ms() < end) sleep_ms(5);
            char line[64];
            int n = snprintf(line, sizeof line, "%d %d", got_usr1, getppid() == me);
            (void)!write(report[1], line, n);
            _exit(got_usr1 ? 3 : 4);
        }
        /* A second child that dies before its parent and is not reaped by it. */
        pid_t zombie = fork();
        if (zombie == 0) _exit(5);
        char b;
        (void)!read(ready[0], &b, 1);
        sleep_ms(50);
        _exit(0);
    }
    reap("middle", mid);
    char line[64] = { 0 };
    (void)!read(report[0], line, sizeof line - 1);
    int sig = 0, adopted = 0;
    sscanf(line, "%d %d", &sig, &adopted);
    say("grandchild: parent-death signal %d, adopted by the subreaper %d", sig, adopted);
    int st, seen = 0;
    long long end = now_ms() + 5000;
    while (seen < 2 && now_ms() < end) {
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w > 0) {
            seen++;
            say("adopted child status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        } else if (w < 0) {
            break;
        } else {
            sleep_ms(5);
        }
    }
    say("adopted children reaped: %d", seen);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

#define MB_QUERY 0
#define MB_GLOBAL 1
#define MB_GLOBAL_EXPEDITED 2
#define MB_REGISTER_GLOBAL_EXPEDITED 4
#define MB_PRIVATE_EXPEDITED 8
#define MB_REGISTER_PRIVATE_EXPEDITED 16
#define MB_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MB_PRIVATE_EXPEDITED_RSEQ 128
#define MB_REGISTER_PRIVATE_EXPEDITED_RSEQ 256
#define MB_GET_REGISTRATIONS 512

static long membarrier(int cmd, unsigned flags, int cpu) { return syscall(SYS_membarrier, cmd, flags, cpu); }

static void case_membarrier(void) {
    say_ret("QUERY", membarrier(MB_QUERY, 0, 0));
    say_ret("QUERY flags 1", membarrier(MB_QUERY, 1, 0));
    say_ret("GLOBAL", membarrier(MB_GLOBAL, 0, 0));
    say_ret("GLOBAL_EXPEDITED", membarrier(MB_GLOBAL_EXPEDITED, 0, 0));
    say_ret("PRIVATE_EXPEDITED", membarrier(MB_PRIVATE_EXPEDITED, 0, 0));
    say_ret("SYNC_CORE", membarrier(MB_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
    say_ret("RSEQ", membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 0, 0));
    say_ret("GET_REGISTRATIONS", membarrier(MB_GET_REGISTRATIONS, 0, 0));
    say_ret("REGISTER_PRIVATE_EXPEDITED", membarrier(MB_REGISTER_PRIVATE_EXPEDITED, 0, 0));
    say_ret("PRIVATE_EXPEDITED", membarrier(MB_PRIVATE_EXPEDITED, 0, 0));
    say_ret("PRIVATE_EXPEDITED flags 1", membarrier(MB_PRIVATE_EXPEDITED, 1, 0));
    say_ret("REGISTER_GLOBAL_EXPEDITED", membarrier(MB_REGISTER_GLOBAL_EXPEDITED, 0, 0));
    say_ret("REGISTER_RSEQ", membarrier(MB_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0));
    say_ret("RSEQ cpu 0", membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 1, 0));
    say_ret("RSEQ flags 2", membarrier(MB_PRIVATE_EXPEDITED_RSEQ, 2, 0));
    say_ret("GET_REGISTRATIONS", membarrier(MB_GET_REGISTRATIONS, 0, 0));
    say_ret("cmd 1024", membarrier(1024, 0, 0));
    say_ret("cmd -1", membarrier(-1, 0, 0));
    say_ret("cmd 3", membarrier(3, 0, 0));
    pid_t c = fork();
    if (c == 0) {
        say_ret("child GET_REGISTRATIONS", membarrier(MB_GET_REGISTRATIONS, 0, 0));
        say_ret("child PRIVATE_EXPEDITED", membarrier(MB_PRIVATE_EXPEDITED, 0, 0));
        _exit(0);
    }
    reap("child", c);
    c = fork();
    if (c == 0) {
        char *argv[] = { "/proc/self/exe", "--membarrier-after-exec", 0 };
        execv("/proc/self/exe", argv);
        _exit(99);
    }
    reap("exec child", c);
}

/* rseq: a 32-byte aligned area, glibc's signature. */
#define RSEQ_SIG 0x53053053
struct rseq_area {
    uint32_t cpu_id_start, cpu_id;
    uint64_t rseq_cs;
    uint32_t flags, node_id, mm_cid, pad;
} __attribute__((aligned(32)));
struct rseq_cs {
    uint32_t version, flags;
    uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

static struct rseq_area area;
static struct rseq_area other_area;
static struct rseq_cs section;

/* rseq_spin(&area.rseq_cs, &section): arms the section and spins in it
 * until the kernel moves it to the abort handler (returns 1). */
extern int rseq_spin(uint64_t *cs_field, struct rseq_cs *cs);
extern char rseq_spin_start[], rseq_spin_post[], rseq_spin_abort[];
__asm__(".text\n"
        ".globl rseq_spin\n"
        "rseq_spin:\n"
        "  movq %rsi, (%rdi)\n"
        ".globl rseq_spin_start\n"
        "rseq_spin_start:\n"
        "  jmp rseq_spin_start\n"
        ".globl rseq_spin_post\n"
        "rseq_spin_post:\n"
        "  xorl %eax, %eax\n"
        "  ret\n"
        "  .long 0x53053053\n"
        ".globl rseq_spin_abort\n"
        "rseq_spin_abort:\n"
        "  movl $1, %eax\n"
        "  ret\n");

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static long sys_rseq(void *a, unsigned len, int flags, unsigned sig) { return syscall(SYS_rseq, a, len, flags, sig); }

static void case_rseq(void) {
    char *raw = (char *)&other_area;
    say_ret("misaligned", sys_rseq(raw + 8, 32, 0, RSEQ_SIG));
    say_ret("len 31", sys_rseq(&area, 31, 0, RSEQ_SIG));
    say_ret("flags 2", sys_rseq(&area, 32, 2, RSEQ_SIG));
    say_ret("kernel address", sys_rseq((void *)0xffff800000000000UL, 32, 0, RSEQ_SIG));
    say_ret("unregister unregistered", sys_rseq(&area, 32, 1, RSEQ_SIG));
    area.cpu_id = 0xdead;
    say_ret("register", sys_rseq(&area, 32, 0, RSEQ_SIG));
    say("cpu_id set: %d, cpu_id_start == cpu_id %d, matches getcpu %d", area.cpu_id != 0xdead,
        area.cpu_id_start == area.cpu_id, (int)area.cpu_id == sched_getcpu());
    say_ret("again", sys_rseq(&area, 32, 0, RSEQ_SIG));
    say_ret("again, other sig", sys_rseq(&area, 32, 0, 1));
    say_ret("again, other area", sys_rseq(&other_area, 32, 0, RSEQ_SIG));
    say_ret("again, other len", sys_rseq(&area, 64, 0, RSEQ_SIG));
    say_ret("unregister, other sig", sys_rseq(&area, 32, 1, 1));
    say_ret("unregister, other len", sys_rseq(&area, 64, 1, RSEQ_SIG));
    say_ret("unregister, flags 3", sys_rseq(&area, 32, 3, RSEQ_SIG));

    /* A signal arriving inside the critical section aborts it. */
    section.version = 0;
    section.flags = 0;
    section.start_ip = (uintptr_t)rseq_spin_start;
    section.post_commit_offset = (uintptr_t)rseq_spin_post - (uintptr_t)rseq_spin_start;
    section.abort_ip = (uintptr_t)rseq_spin_abort;
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, 0);
    int r = rseq_spin(&area.rseq_cs, &section);
    /* The abort comes with the signal, or earlier with a preemption (Linux on a busy machine). */
    say("critical section aborted: %d, rseq_cs cleared %d", r, area.rseq_cs == 0);
    long long end = now_ms() + 5000;
    while (!alarms && now_ms() < end) sleep_ms(5);
    say("alarm handled: %d", alarms);

    pid_t c = fork();
    if (c == 0) {
        say_ret("child: registered too", sys_rseq(&area, 32, 0, RSEQ_SIG));
        _exit(0);
    }
    reap("child", c);
    say_ret("unregister", sys_rseq(&area, 32, 1, RSEQ_SIG));
    say("cpu_id after unregister: %d", (int)area.cpu_id);
    say_ret("register other", sys_rseq(&other_area, 32, 0, RSEQ_SIG));
    say_ret("unregister other", sys_rseq(&other_area, 32, 1, RSEQ_SIG));
    signal(SIGALRM, SIG_DFL);
}

static const struct dcase cases[] = {
    CASE(affinity), CASE(scheduler), CASE(nice), CASE(close_range), CASE(prctl), CASE(subreaper),
    CASE(membarrier), CASE(rseq), { 0, 0 },
};

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--membarrier-after-exec") == 0) {
        say_ret("after exec GET_REGISTRATIONS", membarrier(MB_GET_REGISTRATIONS, 0, 0));
        return 0;
    }
    return run_cases(cases, argc, argv, 0);
}
