/*
 * benchtool: the Linux guest's timer and micro-benchmarks for `cargo run --bin bench`.
 * Built static by scripts/linux-guest; runs inside the guest, so every figure it
 * prints excludes serial-console latency. Output lines are what boot/src/bench parses:
 *
 *   benchtool time CMD [ARG...]   run CMD, wait for it  -> "real S.UUUUUUs"
 *   benchtool getpid N            N getpid syscalls     -> "per-op NS ns"
 *   benchtool spawn N PATH        N fork+exec+wait      -> "per-op NS ns"
 *   benchtool pipe MIB            MIB through a pipe    -> "throughput X MiB/s"
 *
 * Exit status: 0 on success, 2 on bad usage, 1 when a system call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int cmd_spawn(long n, char *path) {
    char *argv[] = {path, NULL};
    double start = now();
    for (long i = 0; i < n; i++)
        if (run_child(argv) != 0)
            return fail(path);
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

int main(int argc, char **argv) {
    const char *usage = "usage: benchtool time CMD... | getpid N | spawn N PATH | pipe MIB\n";
    if (argc >= 3 && !strcmp(argv[1], "time"))
        return cmd_time(argv + 2);
    long n = argc >= 3 ? count_arg(argv[2]) : -1;
    if (n > 0 && argc == 3 && !strcmp(argv[1], "getpid"))
        return cmd_getpid(n);
    if (n > 0 && argc == 4 && !strcmp(argv[1], "spawn"))
        return cmd_spawn(n, argv[3]);
    if (n > 0 && argc == 3 && !strcmp(argv[1], "pipe"))
        return cmd_pipe(n);
    fputs(usage, stderr);
    return 2;
}
