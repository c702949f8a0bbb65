/* Descriptor kinds beyond files, pipes and sockets: eventfd, timerfd,
 * signalfd, pidfd, memfd; and the CPU affinity calls. Each case prints
 * what it observes; the same binary runs on Linux and in Cyrius.
 * Times are printed as bounds only; CPU masks as relations (the host has
 * more CPUs than Cyrius). */
#include "difftest.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_memfd_create
#define SYS_memfd_create 319
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

#define PIDFD_NONBLOCK_FLAG O_NONBLOCK
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static long rd64(int fd, uint64_t *v) { return read(fd, v, sizeof *v); }
static long wr64(int fd, uint64_t v) { return write(fd, &v, sizeof v); }

/* poll(fd) with `ms` timeout: the revents, or -1. */
static int poll1(int fd, short events, int ms) {
    struct pollfd p = { fd, events, 0 };
    int r = poll(&p, 1, ms);
    return r < 0 ? -1 : p.revents;
}

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
    return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

/* ---- eventfd ---- */

static void case_eventfd_basic(void) {
    int fd = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    long r = rd64(fd, &v);
    say("read initial: %ld value %llu", r, (unsigned long long)v);
    say_ret("read empty", rd64(fd, &v));
    say_ret("write 5", wr64(fd, 5));
    say_ret("write 7", wr64(fd, 7));
    r = rd64(fd, &v);
    say("read sum: %ld value %llu", r, (unsigned long long)v);
    char small[4] = { 0 };
    say_ret("read 4 bytes", read(fd, small, 4));
    say_ret("write 4 bytes", write(fd, small, 4));
    say_ret("write UINT64_MAX", wr64(fd, UINT64_MAX));
    char big[16] = { 0 };
    big[0] = 2;
    say_ret("write 16 bytes", write(fd, big, 16));
    say_ret("write 8 of 16 bytes", write(fd, big, 8));
    memset(big, 0, sizeof big);
    say_ret("read 16 bytes", read(fd, big, 16));
    say("value from long read: %llu", (unsigned long long)*(uint64_t *)big);
    say("F_GETFL nonblock: %d", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    say("F_GETFD cloexec: %d", fcntl(fd, F_GETFD));
    close(fd);
    fd = eventfd(0, EFD_CLOEXEC);
    say("EFD_CLOEXEC F_GETFD: %d", fcntl(fd, F_GETFD));
    close(fd);
    say_ret("eventfd bad flags", eventfd(0, 0x4));
    say_ret("eventfd2 via syscall O_RDWR flag", syscall(SYS_eventfd2, 0, O_RDWR));
    say_ret("legacy eventfd", fd = syscall(SYS_eventfd, 9));
    if (fd >= 0) {
        r = rd64(fd, &v);
        say("legacy read: %ld value %llu", r, (unsigned long long)v);
        close(fd);
    }
}

static void case_eventfd_semaphore(void) {
    int fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    uint64_t v = 0;
    for (int i = 0; i < 3; i++) {
        v = 0;
        long r = rd64(fd, &v);
        if (r < 0) say_ret("sem read", r);
        else say("sem read: %ld value %llu", r, (unsigned long long)v);
    }
    wr64(fd, 3);
    say("poll after write: 0x%x", poll1(fd, POLLIN | POLLOUT, 0));
    close(fd);
}

static void case_eventfd_overflow(void) {
    int fd = eventfd(0, EFD_NONBLOCK);
    say_ret("write max-1", wr64(fd, UINT64_MAX - 1));
    say("poll full: 0x%x", poll1(fd, POLLIN | POLLOUT, 0));
    say_ret("write 1 when full", wr64(fd, 1));
    say_ret("write 0 when full", wr64(fd, 0));
    /* A blocking write waits for a reader (a child, 50 ms later). */
    fcntl(fd, F_SETFL, 0);
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        uint64_t v;
        rd64(fd, &v);
        _exit(v == UINT64_MAX - 1 ? 0 : 1);
    }
    long long t0 = now_ms();
    long r = wr64(fd, 1);
    long long waited = now_ms() - t0;
    say("blocked write: %ld, waited >= 30 ms: %d", r, waited >= 30);
    reap("reader", child);
    uint64_t v = 0;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    r = rd64(fd, &v);
    say("after: %ld value %llu", r, (unsigned long long)v);
    say("poll empty: 0x%x", poll1(fd, POLLIN | POLLOUT, 0));
    close(fd);
}

static void case_eventfd_wakeups(void) {
    int fd = eventfd(0, 0);
    /* A blocked read woken by a write from another process. */
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        wr64(fd, 41);
        _exit(0);
    }
    uint64_t v = 0;
    long long t0 = now_ms();
    long r = rd64(fd, &v);
    say("blocked read: %ld value %llu waited >= 30 ms: %d", r, (unsigned long long)v, now_ms() - t0 >= 30);
    reap("writer", child);
    /* epoll, edge-triggered: each write is a new edge. */
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.u32 = 7 };
    say_ret("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
    struct epoll_event out[2];
    say_ret("epoll idle", epoll_wait(ep, out, 2, 0));
    wr64(fd, 1);
    int n = epoll_wait(ep, out, 2, 1000);
    say("epoll after write: %d events 0x%x data %u", n, n > 0 ? out[0].events : 0, n > 0 ? out[0].data.u32 : 0);
    say_ret("epoll again (edge)", epoll_wait(ep, out, 2, 0));
    wr64(fd, 1);
    say_ret("epoll after 2nd write", epoll_wait(ep, out, 2, 1000));
    /* A write from a child wakes a parent in epoll_wait. */
    rd64(fd, &v);
    child = fork();
    if (child == 0) {
        sleep_ms(50);
        wr64(fd, 1);
        _exit(0);
    }
    t0 = now_ms();
    n = epoll_wait(ep, out, 2, 5000);
    say("epoll woken by child: %d waited >= 30 ms: %d", n, now_ms() - t0 >= 30);
    reap("writer", child);
    /* select sees it too. */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    struct timeval tv = { 0, 0 };
    say("select readable: %d", select(fd + 1, &rs, NULL, NULL, &tv));
    struct timespec ts = { 0, 20 * 1000000 };
    rd64(fd, &v);
    t0 = now_ms();
    n = syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8);
    say("epoll_pwait2 20 ms idle: %d waited >= 15 ms: %d", n, now_ms() - t0 >= 15);
    close(ep);
    close(fd);
}

/* ---- sched affinity ---- */

static void case_affinity(void) {
    cpu_set_t set, saved;
    CPU_ZERO(&saved);
    long r = syscall(SYS_sched_getaffinity, 0, sizeof saved, &saved);
    say("getaffinity returns a whole number of words: %d", r > 0 && r % 8 == 0);
    say("cpu 0 set: %d, count >= 1: %d", (int)CPU_ISSET(0, &saved), CPU_COUNT(&saved) >= 1);
    say("sysconf online >= affinity count: %d", sysconf(_SC_NPROCESSORS_ONLN) >= CPU_COUNT(&saved));
    unsigned long small[1];
    say_ret("getaffinity len 4", syscall(SYS_sched_getaffinity, 0, 4, small));
    say_ret("getaffinity len 12", syscall(SYS_sched_getaffinity, 0, 12, &set));
    say_ret("getaffinity no such pid", syscall(SYS_sched_getaffinity, 0x3ffffff0, sizeof set, &set));
    say_ret("getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8));
    say_ret("getaffinity of pid self", syscall(SYS_sched_getaffinity, getpid(), sizeof set, &set) > 0 ? 0 : -1);
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    say_ret("setaffinity {0}", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    say("after set: cpu 0 %d count %d", (int)CPU_ISSET(0, &set), CPU_COUNT(&set));
    CPU_ZERO(&set);
    CPU_SET(1000, &set);
    say_ret("setaffinity {1000}", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    say_ret("setaffinity {}", sched_setaffinity(0, sizeof set, &set));
    say_ret("setaffinity bad pointer", syscall(SYS_sched_setaffinity, 0, sizeof set, (void *)8));
    say_ret("setaffinity no such pid", sched_setaffinity(0x3ffffff0, sizeof saved, &saved));
    say_ret("restore", sched_setaffinity(0, sizeof saved, &saved));
    /* A child inherits it; another process of ours can be asked. */
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        _exit(0);
    }
    CPU_ZERO(&set);
    say_ret("getaffinity of child", sched_getaffinity(child, sizeof set, &set));
    say("child's cpu 0: %d", (int)CPU_ISSET(0, &set));
    reap("child", child);
}

/* ---- timerfd ---- */

static long long ns_of(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static void case_timerfd_oneshot(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    say("fd ok: %d cloexec %d nonblock %d", fd >= 0, fcntl(fd, F_GETFD), (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    say("disarmed: value %lld interval %lld", ns_of(cur.it_value), ns_of(cur.it_interval));
    uint64_t n = 0;
    say_ret("read disarmed", rd64(fd, &n));
    struct itimerspec its = { { 0, 0 }, { 0, 200 * 1000000 } };
    long long t0 = now_ms();
    say_ret("settime 200 ms", timerfd_settime(fd, 0, &its, NULL));
    timerfd_gettime(fd, &cur);
    say("left in (0, 200 ms]: %d", ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 200000000LL);
    say_ret("read early", rd64(fd, &n));
    say("poll early: 0x%x", poll1(fd, POLLIN, 0));
    int rev = poll1(fd, POLLIN, 5000);
    long long waited = now_ms() - t0;
    say("poll: 0x%x waited >= 200 ms: %d", rev, waited >= 200);
    long r = rd64(fd, &n);
    say("read: %ld count %llu", r, (unsigned long long)n);
    say_ret("read again", rd64(fd, &n));
    timerfd_gettime(fd, &cur);
    say("after expiry: value %lld interval %lld", ns_of(cur.it_value), ns_of(cur.it_interval));
    /* Blocking read. */
    fcntl(fd, F_SETFL, 0);
    its.it_value.tv_nsec = 30 * 1000000;
    t0 = now_ms();
    timerfd_settime(fd, 0, &its, NULL);
    r = rd64(fd, &n);
    say("blocking read: %ld count %llu waited >= 30 ms: %d", r, (unsigned long long)n, now_ms() - t0 >= 30);
    /* Re-arming drops what was not read; the old value comes back. */
    its.it_value.tv_nsec = 1000000;
    timerfd_settime(fd, 0, &its, NULL);
    sleep_ms(20);
    struct itimerspec old;
    its.it_value.tv_sec = 10;
    its.it_value.tv_nsec = 0;
    its.it_interval.tv_sec = 3;
    timerfd_settime(fd, 0, &its, &old);
    say("old after expiry: value %lld interval %lld", ns_of(old.it_value), ns_of(old.it_interval));
    say("poll after re-arm: 0x%x", poll1(fd, POLLIN, 0));
    struct itimerspec zero = { { 0, 0 }, { 0, 0 } };
    timerfd_settime(fd, 0, &zero, &old);
    say("old armed: value in (9 s, 10 s]: %d interval %lld", ns_of(old.it_value) > 9000000000LL && ns_of(old.it_value) <= 10000000000LL,
        ns_of(old.it_interval));
    close(fd);
}

static void case_timerfd_interval(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { { 0, 20 * 1000000 }, { 0, 20 * 1000000 } };
    timerfd_settime(fd, 0, &its, NULL);
    sleep_ms(110);
    uint64_t n = 0;
    long r = rd64(fd, &n);
    say("read: %ld count >= 4: %d", r, n >= 4);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    say("next in (0, 20 ms]: %d interval %lld", ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 20000000LL, ns_of(cur.it_interval));
    r = rd64(fd, &n);
    say("next read: %ld count >= 1: %d", r, n >= 1);
    /* Absolute, in the past, with an interval: the missed periods count. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long start = ns_of(now) - 100000000LL;
    its.it_value.tv_sec = start / 1000000000LL;
    its.it_value.tv_nsec = start % 1000000000LL;
    its.it_interval.tv_sec = 0;
    its.it_interval.tv_nsec = 30 * 1000000;
    say_ret("settime abs past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
    r = rd64(fd, &n);
    say("read: %ld count >= 4: %d", r, n >= 4);
    close(fd);
}

static void case_timerfd_realtime(void) {
    int fd = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long at = ns_of(now) + 60000000LL;
    struct itimerspec its = { { 0, 0 }, { at / 1000000000LL, at % 1000000000LL } };
    long long t0 = now_ms();
    say_ret("settime abs realtime", timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    say("left in (0, 60 ms]: %d", ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 60000000LL);
    uint64_t n = 0;
    long r = rd64(fd, &n);
    say("read: %ld count %llu waited >= 40 ms: %d", r, (unsigned long long)n, now_ms() - t0 >= 40);
    clock_gettime(CLOCK_REALTIME, &now);
    say("realtime past deadline: %d", ns_of(now) >= at);
    /* A deadline in the past is ready at once. */
    its.it_value.tv_sec = 1;
    its.it_value.tv_nsec = 0;
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
    say("poll past deadline: 0x%x", poll1(fd, POLLIN, 0));
    r = rd64(fd, &n);
    say("read: %ld count %llu", r, (unsigned long long)n);
    close(fd);
    fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    say("boottime fd ok: %d", fd >= 0);
    close(fd);
}

static void case_timerfd_errors(void) {
    say_ret("create cputime clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    say_ret("create bad clock", timerfd_create(99, 0));
    say_ret("create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x4));
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { { 0, 0 }, { 1, 0 } }, cur;
    say_ret("settime bad flags", timerfd_settime(fd, 0x10, &its, NULL));
    its.it_value.tv_nsec = 1000000000;
    say_ret("settime nsec 1e9", timerfd_settime(fd, 0, &its, NULL));
    its.it_value.tv_nsec = 0;
    its.it_interval.tv_sec = -1;
    say_ret("settime negative interval", timerfd_settime(fd, 0, &its, NULL));
    its.it_interval.tv_sec = 0;
    say_ret("settime bad new pointer", timerfd_settime(fd, 0, (void *)8, NULL));
    say_ret("settime bad old pointer", timerfd_settime(fd, 0, &its, (void *)8));
    say_ret("gettime bad pointer", timerfd_gettime(fd, (void *)8));
    int efd = eventfd(0, 0);
    say_ret("settime on eventfd", timerfd_settime(efd, 0, &its, NULL));
    say_ret("gettime on eventfd", timerfd_gettime(efd, &cur));
    say_ret("settime on closed fd", timerfd_settime(1000, 0, &its, NULL));
    char small[4];
    say_ret("read 4 bytes", read(fd, small, 4));
    say_ret("write", write(fd, small, 4));
    close(efd);
    close(fd);
}

static void case_timerfd_epoll(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u32 = 5 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    say_ret("epoll idle", epoll_wait(ep, out, 2, 0));
    struct itimerspec its = { { 0, 0 }, { 0, 40 * 1000000 } };
    long long t0 = now_ms();
    timerfd_settime(fd, 0, &its, NULL);
    int n = epoll_wait(ep, out, 2, 5000);
    say("epoll: %d events 0x%x data %u waited >= 40 ms: %d", n, out[0].events, out[0].data.u32, now_ms() - t0 >= 40);
    say_ret("epoll level again", epoll_wait(ep, out, 2, 0));
    uint64_t c;
    rd64(fd, &c);
    say_ret("epoll after read", epoll_wait(ep, out, 2, 0));
    /* Two timers, the later one first: both fire, in deadline order. */
    int fd2 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    e.data.u32 = 6;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd2, &e);
    its.it_value.tv_nsec = 300 * 1000000;
    timerfd_settime(fd, 0, &its, NULL);
    its.it_value.tv_nsec = 20 * 1000000;
    timerfd_settime(fd2, 0, &its, NULL);
    n = epoll_wait(ep, out, 2, 5000);
    say("first: %d data %u", n, out[0].data.u32);
    say("later one: 0x%x", poll1(fd, POLLIN, 5000));
    say_ret("then both ready", epoll_wait(ep, out, 2, 0));
    close(fd2);
    close(ep);
    close(fd);
}

/* ---- signalfd ---- */

static void block(int sig, sigset_t *old) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void say_ssi(const char *what, struct signalfd_siginfo *si) {
    say("%s: signo %u code %d pid is self %d uid is self %d int %d", what, si->ssi_signo, si->ssi_code,
        si->ssi_pid == (uint32_t)getpid(), si->ssi_uid == (uint32_t)getuid(), si->ssi_int);
}

static void case_signalfd_basic(void) {
    sigset_t old, mask;
    block(SIGUSR1, &old);
    block(SIGUSR2, NULL);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    say("fd ok: %d cloexec %d", fd >= 0, fcntl(fd, F_GETFD));
    struct signalfd_siginfo si[2];
    say_ret("read none pending", read(fd, si, sizeof si));
    say("poll none: 0x%x", poll1(fd, POLLIN, 0));
    kill(getpid(), SIGUSR1);
    say("poll pending: 0x%x", poll1(fd, POLLIN, 0));
    say_ret("read small", read(fd, si, 64));
    memset(si, 0, sizeof si);
    say_ret("read", read(fd, si, sizeof si));
    say_ssi("kill", &si[0]);
    sigset_t pend;
    sigpending(&pend);
    say("still pending: %d", sigismember(&pend, SIGUSR1));
    union sigval val = { .sival_int = 42 };
    sigqueue(getpid(), SIGUSR1, val);
    say_ret("read", read(fd, si, sizeof si));
    say_ssi("sigqueue", &si[0]);
    /* A signal outside the mask stays pending and is not read. */
    kill(getpid(), SIGUSR2);
    say_ret("read USR2 not in mask", read(fd, si, sizeof si));
    /* A new mask on the same descriptor. */
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGKILL);
    say("signalfd update returns fd: %d", signalfd(fd, &mask, 0) == fd);
    kill(getpid(), SIGUSR1);
    long r = read(fd, si, sizeof si);
    say("read two: %ld first %u second %u", r, si[0].ssi_signo, si[1].ssi_signo);
    /* Errors. */
    say_ret("size 4", syscall(SYS_signalfd4, -1, &mask, 4, 0));
    say_ret("bad flags", syscall(SYS_signalfd4, -1, &mask, 8, 1));
    say_ret("bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    int efd = eventfd(0, 0);
    int legacy = syscall(SYS_signalfd, -1, &mask, 8);
    say("legacy signalfd: %d nonblock %d", legacy >= 0, (fcntl(legacy, F_GETFL) & O_NONBLOCK) != 0);
    close(legacy);
    say_ret("on an eventfd", signalfd(efd, &mask, 0));
    say_ret("on a closed fd", signalfd(1000, &mask, 0));
    say_ret("write", write(fd, si, sizeof si[0]));
    close(efd);
    close(fd);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void case_signalfd_wait(void) {
    sigset_t old, mask;
    block(SIGUSR1, &old);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    int fd = signalfd(-1, &mask, 0);
    /* A blocking read woken by another process's kill. */
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct signalfd_siginfo si;
    long long t0 = now_ms();
    long r = read(fd, &si, sizeof si);
    say("blocking read: %ld signo %u from child %d waited >= 30 ms: %d", r, si.ssi_signo,
        si.ssi_pid == (uint32_t)child, now_ms() - t0 >= 30);
    reap("child", child);
    /* SIGCHLD through epoll. */
    sigset_t old2;
    block(SIGCHLD, &old2);
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    int cfd = signalfd(-1, &mask, SFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u32 = 9 }, out[1];
    say_ret("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &e));
    child = fork();
    if (child == 0) {
        sleep_ms(30);
        _exit(3);
    }
    int n = epoll_wait(ep, out, 1, 5000);
    say("epoll: %d data %u", n, out[0].data.u32);
    r = read(cfd, &si, sizeof si);
    say("read: %ld signo %u code %d status %d pid is child %d", r, si.ssi_signo, si.ssi_code, si.ssi_status,
        si.ssi_pid == (uint32_t)child);
    reap("child", child);
    say_ret("epoll after read", epoll_wait(ep, out, 1, 0));
    close(ep);
    close(cfd);
    close(fd);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- pidfd ---- */

static void case_pidfd(void) {
    int gate[2];
    pipe(gate);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(gate[1]);
        read(gate[0], &c, 1);
        _exit(0);
    }
    close(gate[0]);
    int fd = pidfd_open(child, 0);
    say("pidfd ok: %d cloexec %d", fd >= 0, fcntl(fd, F_GETFD));
    say("poll alive: 0x%x", poll1(fd, POLLIN, 0));
    say_ret("signal 0", pidfd_send_signal(fd, 0, NULL, 0));
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u32 = 1 }, out[1];
    say_ret("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
    say_ret("epoll alive", epoll_wait(ep, out, 1, 0));
    say_ret("send SIGTERM", pidfd_send_signal(fd, SIGTERM, NULL, 0));
    say_ret("epoll after exit", epoll_wait(ep, out, 1, 5000));
    say("poll exited: 0x%x", poll1(fd, POLLIN, 0));
    reap("child", child);
    say("poll reaped: 0x%x", poll1(fd, POLLIN, 0));
    say_ret("send after reap", pidfd_send_signal(fd, SIGTERM, NULL, 0));
    close(ep);
    close(fd);
    close(gate[1]);
    /* A zombie can still be opened, and is readable at once. */
    child = fork();
    if (child == 0) _exit(4);
    sleep_ms(50);
    fd = pidfd_open(child, PIDFD_NONBLOCK_FLAG);
    say("zombie pidfd ok: %d poll 0x%x", fd >= 0, poll1(fd, POLLIN, 0));
    close(fd);
    reap("zombie", child);
    /* Errors. */
    say_ret("open pid 0", pidfd_open(0, 0));
    say_ret("open pid -1", pidfd_open(-1, 0));
    say_ret("open no such pid", pidfd_open(0x3ffffff0, 0));
    say_ret("open bad flags", pidfd_open(getpid(), 1));
    int efd = eventfd(0, 0);
    say_ret("send on eventfd", pidfd_send_signal(efd, 0, NULL, 0));
    say_ret("send on closed fd", pidfd_send_signal(1000, 0, NULL, 0));
    fd = pidfd_open(getpid(), 0);
    say_ret("send bad flags", pidfd_send_signal(fd, 0, NULL, 8));
    say_ret("send bad signal", pidfd_send_signal(fd, 99, NULL, 0));
    /* To itself, with a siginfo. */
    sigset_t old;
    block(SIGUSR1, &old);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR1;
    info.si_code = SI_QUEUE;
    info.si_value.sival_int = 77;
    say_ret("send with info", pidfd_send_signal(fd, SIGUSR1, &info, 0));
    info.si_signo = SIGUSR2;
    say_ret("send with mismatched info", pidfd_send_signal(fd, SIGUSR1, &info, 0));
    siginfo_t got;
    struct timespec zero = { 0, 0 };
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR1);
    int s = sigtimedwait(&w, &got, &zero);
    say("got: %d code %d value %d", s, got.si_code, got.si_value.sival_int);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fd);
    close(efd);
}

static void case_pidfd_waitid(void) {
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        _exit(5);
    }
    int fd = pidfd_open(child, 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    say_ret("waitid WNOHANG running", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG));
    say("no child yet: pid field %d", si.si_pid);
    memset(&si, 0, sizeof si);
    say_ret("waitid", waitid(P_PIDFD, fd, &si, WEXITED));
    say("code %d status %d pid is child %d", si.si_code, si.si_status, si.si_pid == child);
    say_ret("waitid again", waitid(P_PIDFD, fd, &si, WEXITED));
    close(fd);
    /* A non-blocking pidfd: EAGAIN while the child runs. */
    child = fork();
    if (child == 0) {
        sleep_ms(50);
        _exit(6);
    }
    fd = pidfd_open(child, PIDFD_NONBLOCK_FLAG);
    say_ret("waitid nonblocking pidfd", waitid(P_PIDFD, fd, &si, WEXITED));
    say("poll: 0x%x", poll1(fd, POLLIN, 5000));
    memset(&si, 0, sizeof si);
    say_ret("waitid after poll", waitid(P_PIDFD, fd, &si, WEXITED));
    say("status %d", si.si_status);
    close(fd);
    /* Not a child; not a pidfd. */
    fd = pidfd_open(getpid(), 0);
    say_ret("waitid on self", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG));
    close(fd);
    int efd = eventfd(0, 0);
    say_ret("waitid on eventfd", waitid(P_PIDFD, efd, &si, WEXITED));
    say_ret("waitid on closed fd", waitid(P_PIDFD, 1000, &si, WEXITED));
    close(efd);
}

/* ---- inotify ---- */

/* Reads what is queued and prints each event; cookies as relations. */
static void drain(int fd, const char *what) {
    char buf[4096] __attribute__((aligned(8)));
    long n = read(fd, buf, sizeof buf);
    if (n < 0) {
        say("%s: -1 %s", what, ename(errno));
        return;
    }
    unsigned last_cookie = 0;
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        say("%s: wd %d mask 0x%x len %u name %s cookie %s", what, e->wd, e->mask, e->len, e->len ? e->name : "-",
            e->cookie == 0 ? "0" : e->cookie == last_cookie ? "same" : "new");
        if (e->cookie) last_cookie = e->cookie;
        p += sizeof *e + e->len;
    }
}

static void case_inotify(void) {
    char dir[] = "/tmp/fdkinds.XXXXXX", path[64], path2[64];
    if (!mkdtemp(dir)) {
        say("mkdtemp: %s", ename(errno));
        return;
    }
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    say("fd ok: %d cloexec %d", fd >= 0, fcntl(fd, F_GETFD));
    say_ret("read empty", read(fd, path, sizeof path));
    int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE);
    say("wd: %d", wd);
    say("same path, same wd: %d", inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE) == wd);
    say_ret("MASK_CREATE on a watched path", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_CREATE));
    snprintf(path, sizeof path, "%s/a", dir);
    int f = open(path, O_CREAT | O_WRONLY, 0644);
    write(f, "x", 1);
    write(f, "y", 1);
    write(f, "z", 1);
    close(f);
    say("poll: 0x%x", poll1(fd, POLLIN, 0));
    int queued = 0;
    ioctl(fd, FIONREAD, &queued);
    say("FIONREAD: %d", queued);
    char small[8];
    say_ret("read 8 bytes", read(fd, small, sizeof small));
    drain(fd, "create+write");
    f = open(path, O_CREAT | O_RDWR, 0644);
    close(f);
    f = open(path, O_RDONLY);
    close(f);
    drain(fd, "reopen");
    snprintf(path2, sizeof path2, "%s/sub", dir);
    mkdir(path2, 0755);
    rmdir(path2);
    snprintf(path2, sizeof path2, "%s/b", dir);
    rename(path, path2);
    unlink(path2);
    drain(fd, "mkdir rmdir rename unlink");
    /* A watch on a file (a second instance, so the directory's watch does not report too). */
    int fd2 = inotify_init1(IN_NONBLOCK);
    snprintf(path, sizeof path, "%s/c", dir);
    f = open(path, O_CREAT | O_WRONLY, 0644);
    int fwd = inotify_add_watch(fd2, path, IN_MODIFY | IN_CLOSE_WRITE);
    say("file wd: %d", fwd);
    write(f, "q", 1);
    close(f);
    drain(fd2, "file");
    say_ret("ONLYDIR on a file", inotify_add_watch(fd2, path, IN_MODIFY | IN_ONLYDIR));
    /* Oneshot: one event, then IN_IGNORED. */
    say("oneshot wd: %d", inotify_add_watch(fd2, path, IN_MODIFY | IN_ONESHOT) == fwd);
    f = open(path, O_WRONLY);
    write(f, "1", 1);
    write(f, "2", 1);
    close(f);
    drain(fd2, "oneshot");
    say_ret("rm_watch after oneshot", inotify_rm_watch(fd2, fwd));
    drain(fd, "dir");
    say_ret("rm_watch", inotify_rm_watch(fd, wd));
    drain(fd, "after rm_watch");
    say_ret("rm_watch again", inotify_rm_watch(fd, wd));
    unlink(path);
    drain(fd, "unwatched");
    /* Errors. */
    say_ret("mask 0", inotify_add_watch(fd, dir, 0));
    say_ret("MASK_ADD|MASK_CREATE", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE));
    say_ret("no such path", inotify_add_watch(fd, "/nonexistent/x", IN_CREATE));
    int efd = eventfd(0, 0);
    say_ret("on an eventfd", inotify_add_watch(efd, dir, IN_CREATE));
    say_ret("rm on an eventfd", inotify_rm_watch(efd, 1));
    say_ret("on a closed fd", inotify_add_watch(1000, dir, IN_CREATE));
    say_ret("init1 bad flags", inotify_init1(1));
    close(efd);
    /* A blocking read woken by another process; epoll sees the instance. */
    int bfd = inotify_init1(0);
    inotify_add_watch(bfd, dir, IN_CREATE);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u32 = 3 }, out[1];
    epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &e);
    say_ret("epoll idle", epoll_wait(ep, out, 1, 0));
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        char p2[64];
        snprintf(p2, sizeof p2, "%s/d", dir);
        close(open(p2, O_CREAT | O_WRONLY, 0644));
        _exit(0);
    }
    long long t0 = now_ms();
    drain(bfd, "blocking");
    say("waited >= 30 ms: %d", now_ms() - t0 >= 30);
    reap("child", child);
    say_ret("epoll after read", epoll_wait(ep, out, 1, 0));
    snprintf(path, sizeof path, "%s/d", dir);
    unlink(path);
    close(ep);
    close(bfd);
    close(fd2);
    close(fd);
    say_ret("rmdir", rmdir(dir));
}

/* ---- memfd ---- */

static void case_memfd(void) {
    int fd = syscall(SYS_memfd_create, "probe", MFD_CLOEXEC);
    say("memfd ok: %d cloexec %d", fd >= 0, fcntl(fd, F_GETFD));
    say("F_GETFL: 0x%x", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK | O_APPEND));
    say_ret("write", write(fd, "hello", 5));
    say_ret("lseek", lseek(fd, 0, SEEK_SET));
    char buf[16] = { 0 };
    say_ret("read", read(fd, buf, sizeof buf));
    say("read back: %s", buf);
    say_ret("ftruncate", ftruncate(fd, 8192));
    struct stat st;
    fstat(fd, &st);
    say("size %lld nlink %lu regular %d", (long long)st.st_size, (unsigned long)st.st_nlink, S_ISREG(st.st_mode));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say("mmap ok: %d", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        say("mapped: %.5s", m);
        memcpy(m + 4096, "world", 5);
        pread(fd, buf, 5, 4096);
        buf[5] = 0;
        say("pread after map write: %s", buf);
        munmap(m, 8192);
    }
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long n = readlink(path, link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    say("link: %s", n >= 0 ? link : "?");
    /* Shared with a child across fork. */
    pid_t child = fork();
    if (child == 0) {
        pwrite(fd, "child", 5, 0);
        _exit(0);
    }
    reap("child", child);
    pread(fd, buf, 5, 0);
    buf[5] = 0;
    say("after child: %s", buf);
    close(fd);
    char name[300];
    memset(name, 'a', sizeof name);
    name[249] = 0;
    fd = syscall(SYS_memfd_create, name, 0);
    say("name of 249: %d", fd >= 0);
    close(fd);
    name[249] = 'a';
    name[250] = 0;
    say_ret("name of 250", syscall(SYS_memfd_create, name, 0));
    say_ret("bad flags", syscall(SYS_memfd_create, "x", 0x100));
    say_ret("bad name pointer", syscall(SYS_memfd_create, (void *)8, 0));
    fd = syscall(SYS_memfd_create, "", MFD_ALLOW_SEALING);
    say("empty name, sealing: %d", fd >= 0);
    close(fd);
}

static const struct dcase cases[] = {
    CASE(eventfd_basic),
    CASE(eventfd_semaphore),
    CASE(eventfd_overflow),
    CASE(eventfd_wakeups),
    CASE(affinity),
    CASE(timerfd_oneshot),
    CASE(timerfd_interval),
    CASE(timerfd_realtime),
    CASE(timerfd_errors),
    CASE(timerfd_epoll),
    CASE(signalfd_basic),
    CASE(signalfd_wait),
    CASE(pidfd),
    CASE(pidfd_waitid),
    CASE(memfd),
    CASE(inotify),
    { 0, 0 },
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 0);
}
