/*
 * benchtool: the Linux guest's timer and micro-benchmarks for `cargo run --bin bench`.
 * Built static by scripts/linux-guest; runs inside the guest, so every figure it
 * prints excludes serial-console latency. Output lines are what boot/src/bench parses:
 *
 *   benchtool time CMD [ARG...]   run CMD, wait for it  -> "real S.UUUUUUs"
 *   benchtool getpid N            N getpid syscalls     -> "per-op NS ns"
 *   benchtool spawn N PATH [ARG...]  N fork+exec+wait   -> "per-op NS ns"
 *   benchtool pipe MIB            MIB through a pipe    -> "throughput X MiB/s"
 *   benchtool pingpong N          N one-byte round trips between two processes
 *                                 over two pipes        -> "per-op NS ns" (a round trip)
 *   benchtool yield P N           P processes call sched_yield N times each, all
 *                                 runnable at once      -> "per-op NS ns" (one yield)
 *   benchtool spin P ITERS        P processes share ITERS iterations of a busy
 *                                 loop                  -> "real S.UUUUUUs"
 *   benchtool fsync N PATH        N appended 4 KiB records, each followed by
 *                                 fsync (PATH is created) -> "per-op NS ns"
 *
 * yield and spin fork their P children first and hold them at a start gun (a pipe
 * they all read; the parent closes it), so fork and exit costs stay out of the
 * clock: it runs from the gun to the last child's exit.
 *
 * Exit status: 0 on success, 2 on bad usage, 1 when a system call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PIPE_CHUNK (64 * 1024)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what) {
    fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
    return 1;
}

static long count_arg(const char *s) {
    char *end;
    long n = strtol(s, &end, 10);
    return (*s && !*end && n > 0) ? n : -1;
}

/* Fork, exec argv, wait; returns the child's exit status or -1. */
static int run_child(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(argv[0], argv);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int cmd_time(char *const argv[]) {
    double start = now();
    int status = run_child(argv);
    double secs = now() - start;
    if (status < 0)
        return fail(argv[0]);
    printf("real %.6fs\n", secs);
    return status;
}

static int cmd_getpid(long n) {
    double start = now();
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid); /* the raw syscall: no libc caching */
    printf("per-op %.1f ns\n", (now() - start) * 1e9 / (double)n);
    return 0;
}

static int cmd_spawn(long n, char *argv[]) {
    double start = now();
    for (long i = 0; i < n; i++) {
        int status = run_child(argv);
        if (status < 0)
            return fail(argv[0]);
        if (status != 0) {
            fprintf(stderr, "benchtool: %s: exit status %d\n", argv[0], status);
            return 1;
        }
    }
    printf("per-op %.1f ns\n", (now() - start) * 1e9 / (double)n);
    return 0;
}

static int cmd_pipe(long mib) {
    static char buf[PIPE_CHUNK];
    int fds[2];
    if (pipe(fds) < 0)
        return fail("pipe");
    long total = mib * 1024 * 1024;
    double start = now();
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork");
    if (pid == 0) {
        close(fds[0]);
        memset(buf, 'x', sizeof buf);
        for (long sent = 0; sent < total;) {
            ssize_t w = write(fds[1], buf, sizeof buf);
            if (w < 0)
                _exit(1);
            sent += w;
        }
        _exit(0);
    }
    close(fds[1]);
    long got = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0)
            return fail("read");
        if (r == 0)
            break;
        got += r;
    }
    waitpid(pid, NULL, 0);
    if (got != total) {
        fprintf(stderr, "benchtool: pipe: read %ld of %ld bytes\n", got, total);
        return 1;
    }
    printf("throughput %.1f MiB/s\n", (double)mib / (now() - start));
    return 0;
}

static int cmd_pingpong(long n) {
    int ping[2], pong[2];
    char byte = 'x';
    if (pipe(ping) < 0 || pipe(pong) < 0)
        return fail("pipe");
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork");
    if (pid == 0) {
        close(ping[1]);
        close(pong[0]);
        while (read(ping[0], &byte, 1) == 1)
            if (write(pong[1], &byte, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
    double start = now();
    for (long i = 0; i < n; i++)
        if (write(ping[1], &byte, 1) != 1 || read(pong[0], &byte, 1) != 1)
            return fail("pingpong");
    double secs = now() - start;
    close(ping[1]);
    waitpid(pid, NULL, 0);
    printf("per-op %.1f ns\n", secs * 1e9 / (double)n);
    return 0;
}

/* Forks p children that wait for the start gun, then run work(arg); returns the
 * seconds from the gun to the last exit, or -1 (errno set) on failure. */
static double gang(long p, void (*work)(long), long arg) {
    int gun[2];
    if (pipe(gun) < 0)
        return -1;
    for (long i = 0; i < p; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            char c;
            close(gun[1]);
            if (read(gun[0], &c, 1) != 0)
                _exit(1);
            work(arg);
            _exit(0);
        }
    }
    close(gun[0]);
    double start = now();
    close(gun[1]);
    int status, failed = 0;
    for (long i = 0; i < p; i++) {
        if (wait(&status) < 0)
            return -1;
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    double secs = now() - start;
    if (failed) {
        errno = ECHILD;
        return -1;
    }
    return secs;
}

static void yield_n(long n) {
    for (long i = 0; i < n; i++)
        sched_yield();
}

static void spin_n(long n) {
    for (volatile long i = 0; i < n; i++)
        ;
}

static int cmd_yield(long p, long n) {
    double secs = gang(p, yield_n, n);
    if (secs < 0)
        return fail("yield");
    printf("per-op %.1f ns\n", secs * 1e9 / ((double)p * (double)n));
    return 0;
}

static int cmd_spin(long p, long iters) {
    double secs = gang(p, spin_n, iters / p);
    if (secs < 0)
        return fail("spin");
    printf("real %.6fs\n", secs);
    return 0;
}

static int cmd_fsync(long n, const char *path) {
    static char record[4096];
    memset(record, 'r', sizeof record);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("open");
    double start = now();
    for (long i = 0; i < n; i++) {
        if (write(fd, record, sizeof record) != (ssize_t)sizeof record)
            return fail("write");
        if (fsync(fd) != 0)
            return fail("fsync");
    }
    double secs = now() - start;
    close(fd);
    unlink(path);
    printf("per-op %.1f ns\n", secs * 1e9 / (double)n);
    return 0;
}

int main(int argc, char **argv) {
    const char *usage = "usage: benchtool time CMD... | getpid N | spawn N PATH [ARG...] | pipe MIB"
                        " | pingpong N | yield P N | spin P ITERS | fsync N PATH\n";
    if (argc >= 3 && !strcmp(argv[1], "time"))
        return cmd_time(argv + 2);
    long n = argc >= 3 ? count_arg(argv[2]) : -1;
    long m = argc >= 4 ? count_arg(argv[3]) : -1;
    if (n > 0 && argc == 3 && !strcmp(argv[1], "getpid"))
        return cmd_getpid(n);
    if (n > 0 && argc >= 4 && !strcmp(argv[1], "spawn"))
        return cmd_spawn(n, argv + 3);
    if (n > 0 && argc == 3 && !strcmp(argv[1], "pipe"))
        return cmd_pipe(n);
    if (n > 0 && argc == 3 && !strcmp(argv[1], "pingpong"))
        return cmd_pingpong(n);
    if (n > 0 && m > 0 && argc == 4 && !strcmp(argv[1], "yield"))
        return cmd_yield(n, m);
    if (n > 0 && m >= n && argc == 4 && !strcmp(argv[1], "spin"))
        return cmd_spin(n, m);
    if (n > 0 && argc == 4 && !strcmp(argv[1], "fsync"))
        return cmd_fsync(n, argv[3]);
    fputs(usage, stderr);
    return 2;
}
