/* Pipes: read/write, EOF, EPIPE and SIGPIPE, O_NONBLOCK and the 64 KiB
 * capacity, dup2 into a child that execs, poll, a three-process pipeline,
 * a large transfer. Exits 11. */
#include "difftest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

static char *self;

static void case_basic(void) {
    int fd[2];
    say_ret("pipe", pipe(fd));
    say("read end < write end: %d", fd[0] < fd[1]);
    say_ret("write 5", write(fd[1], "hello", 5));
    say_ret("write 6", write(fd[1], " world", 6));
    char buf[64] = { 0 };
    say_ret("read(64) gets what is there", read(fd[0], buf, sizeof buf));
    say("data: %s", buf);
    say_ret("write(read end)", write(fd[0], "x", 1));
    say_ret("read(write end)", read(fd[1], buf, 1));
    say_ret("lseek(pipe)", lseek(fd[0], 0, SEEK_SET));
    say_ret("read 0 bytes", read(fd[0], buf, 0));
    say("F_GETFL read end O_ACCMODE: %d", fcntl(fd[0], F_GETFL) & O_ACCMODE);
    say("F_GETFL write end O_ACCMODE: %d", fcntl(fd[1], F_GETFL) & O_ACCMODE);
    close(fd[0]);
    close(fd[1]);
    int c[2];
    say_ret("pipe2(O_CLOEXEC)", pipe2(c, O_CLOEXEC));
    say("FD_CLOEXEC set on both: %d", (fcntl(c[0], F_GETFD) & FD_CLOEXEC) && (fcntl(c[1], F_GETFD) & FD_CLOEXEC));
    close(c[0]);
    close(c[1]);
    say_ret("pipe2(bad flags)", pipe2(c, 0x1));
}

static void case_fionread(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    int avail = -1;
    say_ret("FIONREAD on an empty pipe", ioctl(fd[0], FIONREAD, &avail));
    say("bytes: %d", avail);
    (void)!write(fd[1], "hello world", 11);
    say_ret("FIONREAD with 11 bytes", ioctl(fd[0], FIONREAD, &avail));
    say("bytes: %d", avail);
    close(fd[0]);
    close(fd[1]);
}

static void case_pipe_size(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    say_ret("F_GETPIPE_SZ", fcntl(fd[0], F_GETPIPE_SZ));
    say_ret("F_SETPIPE_SZ 1 MiB", fcntl(fd[1], F_SETPIPE_SZ, 1 << 20));
    say_ret("F_GETPIPE_SZ after", fcntl(fd[0], F_GETPIPE_SZ));
    close(fd[0]);
    close(fd[1]);
}

static void case_eof(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        (void)!write(fd[1], "abc", 3);
        _exit(0);
    }
    close(fd[1]);
    char buf[16];
    long total = 0, n;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) total += n;
    say("read %ld bytes then %ld (EOF)", total, n);
    say_ret("read again at EOF", read(fd[0], buf, sizeof buf));
    reap("writer", pid);
    close(fd[0]);
    /* A writer still open in the parent keeps the reader from seeing EOF: check with O_NONBLOCK. */
    if (pipe(fd) < 0) return;
    fcntl(fd[0], F_SETFL, O_NONBLOCK);
    say_ret("empty pipe, writer open, nonblocking read", read(fd[0], buf, 1));
    close(fd[1]);
    say_ret("empty pipe, writer closed, nonblocking read", read(fd[0], buf, 1));
    close(fd[0]);
}

static volatile sig_atomic_t pipe_signals;
static void on_pipe(int sig) { (void)sig; pipe_signals++; }

static void case_epipe(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    close(fd[0]); /* before fork: no reader anywhere */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(fd[1], "x", 1);
        say("still alive after writing to a pipe without readers (wrong)");
        _exit(0);
    }
    close(fd[1]);
    reap("writer with SIGPIPE default", pid);

    if (pipe(fd) < 0) return;
    close(fd[0]);
    signal(SIGPIPE, SIG_IGN);
    say_ret("write with SIGPIPE ignored", write(fd[1], "x", 1));
    signal(SIGPIPE, on_pipe);
    pipe_signals = 0;
    say_ret("write with a SIGPIPE handler", write(fd[1], "xy", 2));
    say("SIGPIPE handler ran %d time(s)", (int)pipe_signals);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigprocmask(SIG_BLOCK, &block, &old);
    say_ret("write with SIGPIPE blocked", write(fd[1], "x", 1));
    sigset_t pending;
    sigpending(&pending);
    say("SIGPIPE pending while blocked: %d", sigismember(&pending, SIGPIPE));
    signal(SIGPIPE, SIG_IGN); /* discards the pending one */
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigpending(&pending);
    say("pending after ignoring: %d", sigismember(&pending, SIGPIPE));
    signal(SIGPIPE, SIG_DFL);
    close(fd[1]);
}

static void case_nonblock(void) {
    int fd[2];
    if (pipe2(fd, O_NONBLOCK) < 0) return;
    say("O_NONBLOCK in F_GETFL: %d", (fcntl(fd[0], F_GETFL) & O_NONBLOCK) != 0);
    char buf[8192];
    memset(buf, 'z', sizeof buf);
    say_ret("read empty", read(fd[0], buf, 1));
    long total = 0, n;
    int writes = 0;
    while ((n = write(fd[1], buf, 4096)) > 0) { total += n; writes++; }
    say("filled with %d writes of 4096: %ld bytes, then %s", writes, total, ename(errno));
    say_ret("write 1 more byte", write(fd[1], buf, 1));
    say_ret("read 1 byte", read(fd[0], buf, 1));
    say_ret("write 4096 (atomic, 1 byte free)", write(fd[1], buf, 4096));
    say_ret("read 4095 bytes", read(fd[0], buf, 4095));
    say_ret("write 8192 (not atomic, 4096 free): partial", write(fd[1], buf, 8192));
    say_ret("write 1", write(fd[1], buf, 1));
    long drained = 0;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) drained += n;
    say("drained %ld bytes, then %s", drained, ename(errno));
    /* 1-byte writes pack: the pipe still holds 64 KiB of them (bounded loop). */
    total = 0;
    for (int i = 0; i < 70000; i++) {
        if (write(fd[1], "b", 1) != 1) break;
        total++;
    }
    say("1-byte writes until full: %ld", total);
    close(fd[0]);
    close(fd[1]);
    /* F_SETFL turns O_NONBLOCK on for a blocking pipe. */
    if (pipe(fd) < 0) return;
    say_ret("F_SETFL O_NONBLOCK", fcntl(fd[0], F_SETFL, O_NONBLOCK));
    say_ret("read empty after F_SETFL", read(fd[0], buf, 1));
    close(fd[0]);
    close(fd[1]);
}

static void case_dup2_exec(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 1);
        close(fd[1]);
        char *args[] = { self, "--echo", "through", "the pipe", NULL };
        char *env[] = { NULL };
        execve(self, args, env);
        _exit(127);
    }
    close(fd[1]);
    char buf[256];
    long n, total = 0;
    while ((n = read(fd[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
    buf[total] = 0;
    close(fd[0]);
    reap("child", pid);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) say("parent read: [%s]", line);
    /* dup2 onto itself, onto an open fd, and of a bad fd. */
    if (pipe(fd) < 0) return;
    say_ret("dup2(fd, fd)", dup2(fd[0], fd[0]) == fd[0]);
    int spare = dup(fd[1]);
    say_ret("dup2(write, spare) returns spare", dup2(fd[1], spare) == spare);
    (void)!write(spare, "s", 1);
    close(fd[1]);
    say_ret("read via the original read end", read(fd[0], buf, 10));
    close(spare);
    say_ret("read once every write end is closed", read(fd[0], buf, 10));
    say_ret("dup2(bad fd)", dup2(999, 5));
    close(fd[0]);
}

static void say_poll(const char *what, struct pollfd *p, int n, int timeout) {
    for (int i = 0; i < n; i++) p[i].revents = 0;
    int r = poll(p, n, timeout);
    char line[256];
    int len = snprintf(line, sizeof line, "%s: %d", what, r);
    for (int i = 0; i < n && r >= 0; i++) {
        short e = p[i].revents;
        len += snprintf(line + len, sizeof line - len, " [%s%s%s%s%s]", e & POLLIN ? "IN " : "",
                        e & POLLOUT ? "OUT " : "", e & POLLHUP ? "HUP " : "", e & POLLERR ? "ERR " : "",
                        e & POLLNVAL ? "NVAL " : "");
    }
    say("%s", line);
}

static void case_poll(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLOUT, 0 } };
    say_poll("empty", p, 2, 0);
    (void)!write(fd[1], "x", 1);
    say_poll("one byte", p, 2, 0);
    close(fd[1]);
    say_poll("writer closed, data left", p, 1, 0);
    close(fd[0]);

    if (pipe(fd) < 0) return;
    close(fd[0]);
    struct pollfd w = { fd[1], POLLOUT, 0 };
    say_poll("write end, reader closed", &w, 1, 0);
    close(fd[1]);
    struct pollfd bad = { 999, POLLIN, 0 };
    say_poll("bad fd", &bad, 1, 0);
    struct pollfd neg = { -1, POLLIN, 0 };
    say_poll("negative fd ignored", &neg, 1, 0);

    /* Full pipe: no POLLOUT; a blocking poll woken by a child's write. */
    if (pipe2(fd, O_NONBLOCK) < 0) return;
    char buf[4096] = { 0 };
    while (write(fd[1], buf, sizeof buf) > 0) {}
    struct pollfd full = { fd[1], POLLOUT, 0 };
    say_poll("write end of a full pipe", &full, 1, 0);
    close(fd[0]);
    close(fd[1]);
    if (pipe(fd) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        (void)!write(fd[1], "late", 4);
        _exit(0);
    }
    struct pollfd in = { fd[0], POLLIN, 0 };
    say_poll("blocking poll until the child writes", &in, 1, 10000);
    reap("child", pid);
    say_poll("poll timeout 30 ms on an empty pipe", (struct pollfd[]){ { fd[1], POLLIN, 0 } }, 1, 30);
    close(fd[0]);
    close(fd[1]);
}

/* A drained pipe whose writers are gone is hung up, not readable. */
static void case_poll_hup(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    (void)!write(fd[1], "x", 1);
    close(fd[1]);
    char c;
    (void)!read(fd[0], &c, 1);
    struct pollfd p = { fd[0], POLLIN, 0 };
    say_poll("writer closed, drained", &p, 1, 0);
    close(fd[0]);
}

/* parent -> child (uppercases) -> grandchild (numbers lines) -> stdout. */
static void case_pipeline(void) {
    int a[2], b[2];
    if (pipe(a) < 0) return;
    pid_t child = fork();
    if (child == 0) {
        close(a[1]);
        if (pipe(b) < 0) _exit(1);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(a[0]);
            close(b[1]);
            FILE *in = fdopen(b[0], "r");
            char line[128];
            int n = 0;
            while (fgets(line, sizeof line, in)) {
                line[strcspn(line, "\n")] = 0;
                say("grandchild %d: %s", ++n, line);
            }
            _exit(n);
        }
        close(b[0]);
        char buf[64];
        long n;
        while ((n = read(a[0], buf, sizeof buf)) > 0) {
            for (long i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
            (void)!write(b[1], buf, n);
        }
        close(b[1]);
        int st;
        waitpid(grandchild, &st, 0);
        _exit(WEXITSTATUS(st) + 100);
    }
    close(a[0]);
    const char *lines[] = { "first line\n", "second\n", "the third and last\n" };
    for (int i = 0; i < 3; i++) (void)!write(a[1], lines[i], strlen(lines[i]));
    close(a[1]);
    reap("child (100 + lines the grandchild saw)", child);
}

/* Writers of PIPE_BUF-sized messages never interleave inside a message. */
static void case_atomic_writes(void) {
    enum { WRITERS = 4, MESSAGES = 64, SIZE = 4096 };
    int fd[2];
    if (pipe(fd) < 0) return;
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            close(fd[0]);
            static char msg[SIZE];
            memset(msg, 'a' + w, sizeof msg);
            for (int i = 0; i < MESSAGES; i++) {
                if (write(fd[1], msg, sizeof msg) != SIZE) _exit(1);
            }
            _exit(0);
        }
    }
    close(fd[1]);
    static char buf[SIZE];
    int messages = 0, torn = 0, counts[WRITERS] = { 0 };
    for (;;) {
        long got = 0, n = 0;
        while (got < SIZE && (n = read(fd[0], buf + got, SIZE - got)) > 0) got += n;
        if (got == 0) break;
        int w = buf[0] - 'a';
        for (long i = 1; i < got; i++) torn += buf[i] != buf[0];
        if (got != SIZE || w < 0 || w >= WRITERS) torn++;
        else counts[w]++;
        messages++;
    }
    say("messages %d, torn bytes %d, per writer %d %d %d %d", messages, torn, counts[0], counts[1], counts[2], counts[3]);
    for (int w = 0; w < WRITERS; w++) waitpid(pids[w], NULL, 0);
    close(fd[0]);
}

/* readv/writev on a pipe. */
static void case_vectored(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    struct iovec out[3] = { { "one ", 4 }, { "", 0 }, { "two three", 9 } };
    say_ret("writev", writev(fd[1], out, 3));
    char a[5] = { 0 }, b[20] = { 0 };
    struct iovec in[2] = { { a, 4 }, { b, sizeof b - 1 } };
    say_ret("readv", readv(fd[0], in, 2));
    say("pieces [%s] [%s]", a, b);
    close(fd[0]);
    close(fd[1]);
}

/* 1 MiB through a pipe in odd-sized pieces, checked on the other side. */
static void case_bulk(void) {
    enum { TOTAL = 1 << 20 };
    int fd[2];
    if (pipe(fd) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        static unsigned char buf[7919];
        unsigned long sent = 0;
        while (sent < TOTAL) {
            unsigned long n = TOTAL - sent < sizeof buf ? TOTAL - sent : sizeof buf;
            for (unsigned long i = 0; i < n; i++) buf[i] = (unsigned char)((sent + i) * 31 + 7);
            long w = write(fd[1], buf, n);
            if (w <= 0) _exit(1);
            sent += w;
        }
        _exit(0);
    }
    close(fd[1]);
    static unsigned char buf[5003];
    unsigned long got = 0, bad = 0;
    long n;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++) bad += buf[i] != (unsigned char)((got + i) * 31 + 7);
        got += n;
    }
    say("received %lu bytes, %lu wrong", got, bad);
    reap("writer", pid);
    close(fd[0]);
}

/* Bad buffers: nothing moves from or to an unmapped page, a write stops at
 * the first unmapped page (page-aligned here, so Linux and Cyrius copy the
 * same whole pages), and unread data stays for a good read. */
static void case_efault(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    memset(p, 'q', 2 * page);
    munmap(p + page, page);
    say_ret("write from NULL", write(fd[1], NULL, 10));
    say_ret("write of 2 pages, the second unmapped", write(fd[1], p, 2 * page));
    int avail = -1;
    ioctl(fd[0], FIONREAD, &avail);
    say("bytes queued: %d", avail);
    say_ret("read into NULL", read(fd[0], NULL, 10));
    say_ret("read into an unmapped page", read(fd[0], p + page, 10));
    ioctl(fd[0], FIONREAD, &avail);
    say("bytes still queued: %d", avail);
    long got = 0, n, bad = 0;
    static char buf[8192];
    while (got < page && (n = read(fd[0], buf, sizeof buf)) > 0) {
        for (long i = 0; i < n; i++) bad += buf[i] != 'q';
        got += n;
    }
    say("read back %ld bytes, %ld wrong", got, bad);
    munmap(p, page);
    close(fd[0]);
    close(fd[1]);
}

/* F_SETPIPE_SZ with data queued: the data survives a resize, and a size
 * too small for it is EBUSY. */
static void case_resize_with_data(void) {
    int fd[2];
    if (pipe(fd) < 0) return;
    static char out[10000], in[10000];
    for (int i = 0; i < (int)sizeof out; i++) out[i] = (char)(i * 7 + 1);
    say_ret("write 10000", write(fd[1], out, sizeof out));
    say_ret("F_SETPIPE_SZ 4096 with 10000 queued", fcntl(fd[1], F_SETPIPE_SZ, 4096));
    say_ret("F_SETPIPE_SZ 1 MiB", fcntl(fd[1], F_SETPIPE_SZ, 1 << 20));
    say_ret("F_SETPIPE_SZ 16384", fcntl(fd[1], F_SETPIPE_SZ, 16384));
    long got = 0, n;
    while (got < (long)sizeof in && (n = read(fd[0], in + got, sizeof in - got)) > 0) got += n;
    say("read back %ld bytes, same: %d", got, memcmp(in, out, sizeof out) == 0);
    close(fd[0]);
    close(fd[1]);
}

static const struct dcase cases[] = {
    CASE(basic), CASE(fionread), CASE(pipe_size), CASE(eof), CASE(epipe), CASE(nonblock), CASE(dup2_exec), CASE(poll), CASE(poll_hup),
    CASE(pipeline), CASE(atomic_writes), CASE(vectored), CASE(bulk), CASE(efault), CASE(resize_with_data), { 0, 0 },
};

int main(int argc, char **argv) {
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "--echo") == 0) {
        for (int i = 2; i < argc; i++) printf("%s\n", argv[i]);
        printf("stdout is a pipe: %d\n", lseek(1, 0, SEEK_CUR) < 0 && errno == ESPIPE);
        return 0;
    }
    signal(SIGPIPE, SIG_DFL);
    return run_cases(cases, argc, argv, 11);
}
