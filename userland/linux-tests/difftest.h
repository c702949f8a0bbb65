/* Shared helpers of the differential test programs (header only).
 *
 * A program is a table of named cases; `prog NAME...` runs those cases,
 * `prog` alone runs all of them, and `prog --list` prints their names.
 * Each case prints observations one per line through `say`, which formats
 * into a buffer and hands the line to the kernel in ONE write(2): lines of
 * several processes never interleave, and nothing sits in a stdio buffer
 * across fork (stdout is a pipe on the host, a terminal in Cyrius).
 * Observations never contain pids, addresses or times, only relations
 * ("child ppid == parent pid: 1") and bounds ("slept >= 50 ms: 1").
 */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
    buf[n++] = '\n';
    int saved = errno;
    (void)!write(1, buf, n);
    errno = saved;
}

/* The symbolic name of an errno value (what the tests print). */
static const char *ename(int e) {
    switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EPIPE: return "EPIPE";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case E2BIG: return "E2BIG";
    case ESPIPE: return "ESPIPE";
    case EBUSY: return "EBUSY";
    case ERANGE: return "ERANGE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOTSOCK: return "ENOTSOCK";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EOVERFLOW: return "EOVERFLOW";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EBADFD: return "EBADFD";
    case EROFS: return "EROFS";
    case EFBIG: return "EFBIG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EXDEV: return "EXDEV";
    case ELOOP: return "ELOOP";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EIDRM: return "EIDRM";
    case ENOMSG: return "ENOMSG";
    case ENOSPC: return "ENOSPC";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EINPROGRESS: return "EINPROGRESS";
    case EALREADY: return "EALREADY";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOTTY: return "ENOTTY";
    case ETXTBSY: return "ETXTBSY";
    case ENETUNREACH: return "ENETUNREACH";
    default: return "E?";
    }
}

/* "-1 EAGAIN" for a failed call, the value otherwise. */
static __attribute__((unused)) void say_ret(const char *what, long r) {
    if (r < 0) say("%s: -1 %s", what, ename(errno));
    else say("%s: %ld", what, r);
}

/* How a wait status reads. */
static void say_status(const char *who, int st) {
    if (WIFEXITED(st)) say("%s: exited %d", who, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) say("%s: killed by signal %d", who, WTERMSIG(st));
    else if (WIFSTOPPED(st)) say("%s: stopped by signal %d", who, WSTOPSIG(st));
    else if (WIFCONTINUED(st)) say("%s: continued", who);
    else say("%s: status 0x%x?", who, st);
}

/* Waits for `pid` and prints its status as `who`. */
static __attribute__((unused)) void reap(const char *who, pid_t pid) {
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    if (r != pid) say("%s: waitpid -> %s", who, ename(errno));
    else say_status(who, st);
}

/* Milliseconds of CLOCK_MONOTONIC. */
static __attribute__((unused)) long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static __attribute__((unused)) void sleep_ms(long ms) {
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

struct dcase {
    const char *name;
    void (*fn)(void);
};

#define CASE(n) { #n, case_##n }

/* Runs the cases named in argv (all if none); exits with `code`. */
static __attribute__((unused)) int run_cases(const struct dcase *cases, int argc, char **argv, int code) {
    int n = 0;
    while (cases[n].name) n++;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < n; i++) say("%s", cases[i].name);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int wanted = argc <= 1;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], cases[i].name) == 0;
        if (!wanted) continue;
        say("== %s", cases[i].name);
        cases[i].fn();
    }
    for (int a = 1; a < argc; a++) {
        int known = 0;
        for (int i = 0; i < n; i++) known |= strcmp(argv[a], cases[i].name) == 0;
        if (!known) {
            say("unknown case %s", argv[a]);
            return 2;
        }
    }
    return code;
}

#endif
