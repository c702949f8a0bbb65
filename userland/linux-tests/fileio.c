/* Data between descriptors, differentially: positioned vector I/O
 * (preadv/pwritev/preadv2/pwritev2 and their RWF_* flags), the
 * descriptor's owner and O_ASYNC (F_SETOWN/F_GETOWN, FIOASYNC, SIGIO),
 * copy_file_range, splice, tee and vmsplice.
 *
 * Files live in /tmp under a name from the pid and are removed at the end
 * of each case.
 */
#include "difftest.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x1
#define RWF_DSYNC 0x2
#define RWF_SYNC 0x4
#define RWF_NOWAIT 0x8
#define RWF_APPEND 0x10
#endif
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif

static char path[64];

static int temp_file(const char *content) {
    snprintf(path, sizeof path, "/tmp/fileio-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (content) (void)!write(fd, content, strlen(content));
    return fd;
}

static void contents(const char *what, int fd) {
    char buf[128] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    say("%s: %zd \"%s\", position %ld", what, n, buf, (long)lseek(fd, 0, SEEK_CUR));
}

/* Raw syscalls: musl's wrappers would split or check the offset. */
static long preadv2_(int fd, struct iovec *v, int n, long pos, int flags) {
    return syscall(SYS_preadv2, fd, v, n, pos, 0L, flags);
}
static long pwritev2_(int fd, struct iovec *v, int n, long pos, int flags) {
    return syscall(SYS_pwritev2, fd, v, n, pos, 0L, flags);
}

static void case_vectored(void) {
    int fd = temp_file("0123456789abcdefghij");
    char a[4] = { 0 }, b[6] = { 0 };
    struct iovec v[2] = { { a, 3 }, { b, 5 } };
    lseek(fd, 2, SEEK_SET);
    say_ret("preadv at 10", syscall(SYS_preadv, fd, v, 2, 10L, 0L));
    say("got \"%s\" \"%s\", position %ld", a, b, (long)lseek(fd, 0, SEEK_CUR));
    say_ret("preadv past the end", syscall(SYS_preadv, fd, v, 2, 18L, 0L));
    say_ret("preadv at -1", syscall(SYS_preadv, fd, v, 2, -1L, 0L));
    say_ret("preadv2 at -1 (the position)", preadv2_(fd, v, 2, -1, 0));
    say("got \"%s\" \"%s\", position %ld", a, b, (long)lseek(fd, 0, SEEK_CUR));
    say_ret("preadv2 at -2", preadv2_(fd, v, 2, -2, 0));
    say_ret("preadv2 RWF_HIPRI|RWF_SYNC", preadv2_(fd, v, 2, 0, RWF_HIPRI | RWF_SYNC));
    say_ret("preadv2 unknown flag", preadv2_(fd, v, 2, 0, 0x10000));
    struct iovec w[2] = { { "AB", 2 }, { "CDE", 3 } };
    say_ret("pwritev at 4", syscall(SYS_pwritev, fd, w, 2, 4L, 0L));
    contents("file", fd);
    say_ret("pwritev2 at -1", pwritev2_(fd, w, 2, -1, 0));
    contents("file", fd);
    say_ret("pwritev2 RWF_APPEND at 0", pwritev2_(fd, w, 1, 0, RWF_APPEND));
    contents("file", fd);
    say_ret("pwritev2 RWF_APPEND at -1", pwritev2_(fd, w, 1, -1, RWF_APPEND));
    contents("file", fd);
    say_ret("pwritev2 RWF_DSYNC", pwritev2_(fd, w, 1, 1, RWF_DSYNC));
    contents("file", fd);
    say_ret("pwritev2 unknown flag", pwritev2_(fd, w, 1, 0, 0x10000));
    say_ret("pwritev at -1", syscall(SYS_pwritev, fd, w, 2, -1L, 0L));
    say_ret("preadv bad iovec", syscall(SYS_preadv, fd, (void *)8, 1, 0L, 0L));
    say_ret("preadv iovcnt 1025", syscall(SYS_preadv, fd, v, 1025, 0L, 0L));
    say_ret("preadv bad fd", syscall(SYS_preadv, 999, v, 2, 0L, 0L));
    close(fd);

    /* O_APPEND: a positioned pwritev appends, RWF_NOAPPEND does not. */
    fd = open(path, O_RDWR | O_APPEND);
    say_ret("pwritev O_APPEND at 0", syscall(SYS_pwritev, fd, w, 1, 0L, 0L));
    contents("file", fd);
    long r = pwritev2_(fd, w, 1, 0, RWF_NOAPPEND);
    /* Older kernels do not know RWF_NOAPPEND: print only when it works. */
    if (r >= 0) {
        say_ret("pwritev2 RWF_NOAPPEND at 0", r);
        contents("file", fd);
    }
    close(fd);
    fd = open(path, O_RDONLY);
    say_ret("pwritev on a read-only descriptor", syscall(SYS_pwritev, fd, w, 1, 0L, 0L));
    close(fd);
    fd = open(path, O_WRONLY);
    say_ret("preadv on a write-only descriptor", syscall(SYS_preadv, fd, v, 1, 0L, 0L));
    close(fd);
    unlink(path);

    /* Pipes: no offsets, but -1 is the stream. */
    int p[2];
    if (pipe(p) < 0) return;
    (void)!write(p[1], "piped", 5);
    say_ret("preadv on a pipe", syscall(SYS_preadv, p[0], v, 2, 0L, 0L));
    say_ret("preadv2 -1 on a pipe", preadv2_(p[0], v, 2, -1, 0));
    say("got \"%.3s\" \"%.2s\"", a, b);
    say_ret("pwritev2 -1 on a pipe", pwritev2_(p[1], w, 2, -1, 0));
    char back[8] = { 0 };
    say_ret("read", read(p[0], back, sizeof back - 1));
    say("\"%s\"", back);
    close(p[0]);
    close(p[1]);
}

static void case_owner(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return;
    say("F_GETOWN new: %d", fcntl(sv[0], F_GETOWN));
    say_ret("F_SETOWN me", fcntl(sv[0], F_SETOWN, getpid()));
    say("F_GETOWN is me: %d", fcntl(sv[0], F_GETOWN) == getpid());
    say_ret("F_SETOWN my group", fcntl(sv[0], F_SETOWN, -getpgrp()));
    say("F_GETOWN is my group: %d", fcntl(sv[0], F_GETOWN) == -getpgrp());
    struct f_owner_ex ex = { 0, 0 };
    say_ret("F_GETOWN_EX", fcntl(sv[0], F_GETOWN_EX, &ex));
    say("type %d (PGRP %d), pid is my group %d", ex.type, F_OWNER_PGRP, ex.pid == getpgrp());
    ex.type = F_OWNER_TID;
    ex.pid = getpid();
    say_ret("F_SETOWN_EX TID", fcntl(sv[0], F_SETOWN_EX, &ex));
    say("F_GETOWN is me: %d", fcntl(sv[0], F_GETOWN) == getpid());
    ex.type = 99;
    say_ret("F_SETOWN_EX bad type", fcntl(sv[0], F_SETOWN_EX, &ex));
    say_ret("F_SETOWN_EX bad pointer", fcntl(sv[0], F_SETOWN_EX, (void *)8));
    say_ret("F_SETOWN 0", fcntl(sv[0], F_SETOWN, 0));
    say("F_GETOWN: %d", fcntl(sv[0], F_GETOWN));
    say_ret("F_SETOWN no such process", fcntl(sv[0], F_SETOWN, 999999));
    say("F_GETOWN: %d", fcntl(sv[0], F_GETOWN));
    /* The owner belongs to the open file: a dup shares it. */
    fcntl(sv[0], F_SETOWN, getpid());
    int d = dup(sv[0]);
    say("dup's owner is me: %d", fcntl(d, F_GETOWN) == getpid());
    close(d);

    int on = 1;
    say("O_ASYNC before: %d", !!(fcntl(sv[0], F_GETFL) & O_ASYNC));
    say_ret("FIOASYNC on", ioctl(sv[0], FIOASYNC, &on));
    say("O_ASYNC: %d", !!(fcntl(sv[0], F_GETFL) & O_ASYNC));
    on = 0;
    say_ret("FIOASYNC off", ioctl(sv[0], FIOASYNC, &on));
    say("O_ASYNC: %d", !!(fcntl(sv[0], F_GETFL) & O_ASYNC));
    say_ret("F_SETFL O_ASYNC", fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK));
    say("O_ASYNC: %d, O_NONBLOCK %d", !!(fcntl(sv[0], F_GETFL) & O_ASYNC), !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    say_ret("FIOASYNC bad pointer", ioctl(sv[0], FIOASYNC, (void *)8));
    int p[2];
    if (pipe(p) == 0) {
        on = 1;
        say_ret("FIOASYNC on a pipe", ioctl(p[0], FIOASYNC, &on));
        say("F_GETOWN of a pipe: %d", fcntl(p[0], F_GETOWN));
        close(p[0]);
        close(p[1]);
    }
    close(sv[0]);
    close(sv[1]);
}

static long cfr(int in, loff_t *oin, int out, loff_t *oout, size_t len, unsigned flags) {
    return syscall(SYS_copy_file_range, in, oin, out, oout, len, flags);
}

static void case_copy_range(void) {
    int in = temp_file("0123456789abcdefghij");
    char out_path[80];
    snprintf(out_path, sizeof out_path, "%s.out", path);
    int out = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    lseek(in, 4, SEEK_SET);
    say_ret("copy 6 from the positions", cfr(in, 0, out, 0, 6, 0));
    say("positions: in %ld, out %ld", (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
    contents("out", out);
    loff_t oi = 15, oo = 2;
    say_ret("copy 100 at offsets (cut at the end)", cfr(in, &oi, out, &oo, 100, 0));
    say("offsets now %ld %ld, positions %ld %ld", (long)oi, (long)oo, (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
    contents("out", out);
    oi = 20;
    say_ret("at the end", cfr(in, &oi, out, 0, 10, 0));
    oi = 50;
    say_ret("past the end", cfr(in, &oi, out, 0, 10, 0));
    say_ret("length 0", cfr(in, 0, out, 0, 0, 0));
    say_ret("flags 1", cfr(in, 0, out, 0, 5, 1));
    oi = -1;
    say_ret("offset -1", cfr(in, &oi, out, 0, 5, 0));
    say_ret("bad offset pointer", cfr(in, (loff_t *)8, out, 0, 5, 0));
    say_ret("bad fd", cfr(999, 0, out, 0, 5, 0));
    oi = 0;
    oo = 5;
    say_ret("same file, overlapping", cfr(in, &oi, in, &oo, 10, 0));
    oo = 30;
    say_ret("same file, apart", cfr(in, &oi, in, &oo, 10, 0));
    contents("in", in);
    int ro = open(out_path, O_RDONLY);
    say_ret("to a read-only descriptor", cfr(in, 0, ro, 0, 5, 0));
    close(ro);
    int app = open(out_path, O_WRONLY | O_APPEND);
    say_ret("to an O_APPEND descriptor", cfr(in, 0, app, 0, 5, 0));
    close(app);
    int wo = open(path, O_WRONLY);
    say_ret("from a write-only descriptor", cfr(wo, 0, out, 0, 5, 0));
    close(wo);
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    say_ret("from a directory", cfr(d, 0, out, 0, 5, 0));
    close(d);
    int p[2];
    if (pipe(p) == 0) {
        say_ret("to a pipe", cfr(in, 0, p[1], 0, 5, 0));
        close(p[0]);
        close(p[1]);
    }
    close(in);
    close(out);
    unlink(path);
    unlink(out_path);
}

static void case_splice(void) {
    int f = temp_file("0123456789abcdefghij");
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0) return;
    loff_t off = 5;
    say_ret("file at 5 -> pipe, 8", splice(f, &off, p[1], 0, 8, 0));
    say("offset %ld, position %ld", (long)off, (long)lseek(f, 0, SEEK_CUR));
    say_ret("file at its position -> pipe, 3", splice(f, 0, p[1], 0, 3, 0));
    say("position %ld", (long)lseek(f, 0, SEEK_CUR));
    off = 18;
    say_ret("file past its end is cut", splice(f, &off, p[1], 0, 100, 0));
    off = 20;
    say_ret("file at its end", splice(f, &off, p[1], 0, 100, 0));
    say_ret("pipe -> pipe, 4", splice(p[0], 0, q[1], 0, 4, 0));
    char buf[64] = { 0 };
    say_ret("read the second pipe", read(q[0], buf, sizeof buf - 1));
    say("\"%s\"", buf);
    off = 30;
    say_ret("pipe -> file at 30", splice(p[0], 0, f, &off, 100, 0));
    say("offset %ld", (long)off);
    contents("file", f);
    say_ret("empty pipe, SPLICE_F_NONBLOCK", splice(p[0], 0, f, 0, 10, SPLICE_F_NONBLOCK));
    (void)!write(p[1], "xyz", 3);
    say_ret("pipe -> file at its position", splice(p[0], 0, f, 0, 10, 0));
    contents("file", f);
    say_ret("length 0", splice(p[0], 0, f, 0, 0, 0));
    say_ret("unknown flag", splice(p[0], 0, f, 0, 5, 0x100));
    say_ret("neither is a pipe", splice(f, 0, f, 0, 5, 0));
    off = 0;
    say_ret("offset on the pipe side", splice(f, 0, p[1], &off, 5, 0));
    say_ret("same pipe", splice(p[0], 0, p[1], 0, 5, 0));
    say_ret("into the read end", splice(f, 0, p[0], 0, 5, 0));
    say_ret("bad offset pointer", splice(f, (loff_t *)8, p[1], 0, 5, 0));
    off = -1;
    say_ret("negative offset", splice(f, &off, p[1], 0, 5, 0));
    int app = open(path, O_WRONLY | O_APPEND);
    (void)!write(p[1], "a", 1);
    say_ret("to an O_APPEND file", splice(p[0], 0, app, 0, 5, 0));
    close(app);
    char c;
    (void)!read(p[0], &c, 1);
    /* A full pipe: non-blocking gives EAGAIN, a blocking splice takes what fits. */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char big[4096];
    memset(big, 'b', sizeof big);
    long filled = 0;
    for (;;) {
        ssize_t n = write(p[1], big, sizeof big);
        if (n <= 0) break;
        filled += n;
    }
    say("filled %ld", filled);
    say_ret("into a full pipe (O_NONBLOCK)", splice(f, 0, p[1], 0, 5, 0));
    say_ret("into a full pipe (SPLICE_F_NONBLOCK)", splice(f, 0, p[1], 0, 5, SPLICE_F_NONBLOCK));
    (void)!read(p[0], big, sizeof big);
    lseek(f, 0, SEEK_SET);
    say_ret("a page of room", splice(f, 0, p[1], 0, 1000, 0));
    close(p[0]);
    void (*was)(int) = signal(SIGPIPE, SIG_IGN);
    say_ret("no reader", splice(f, 0, p[1], 0, 5, 0));
    signal(SIGPIPE, was);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    /* EOF: no writer left. */
    if (pipe(p) == 0) {
        close(p[1]);
        say_ret("from a pipe without writers", splice(p[0], 0, f, 0, 5, 0));
        close(p[0]);
    }
    /* Sockets on either side. */
    int sv[2];
    if (pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        (void)!write(sv[0], "socket data", 11);
        say_ret("socket -> pipe", splice(sv[1], 0, p[1], 0, 64, 0));
        say_ret("pipe -> socket", splice(p[0], 0, sv[1], 0, 64, 0));
        memset(buf, 0, sizeof buf);
        say_ret("read the socket", read(sv[0], buf, sizeof buf - 1));
        say("\"%s\"", buf);
        close(sv[0]);
        close(sv[1]);
        close(p[0]);
        close(p[1]);
    }
    int null = open("/dev/null", O_WRONLY);
    if (pipe(p) == 0) {
        (void)!write(p[1], "gone", 4);
        say_ret("pipe -> /dev/null", splice(p[0], 0, null, 0, 64, 0));
        close(p[0]);
        close(p[1]);
    }
    close(null);
    close(f);
    unlink(path);
}

static void case_tee_vmsplice(void) {
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0) return;
    (void)!write(p[1], "teed bytes", 10);
    say_ret("tee 4", tee(p[0], q[1], 4, 0));
    char buf[64] = { 0 };
    say_ret("read the copy", read(q[0], buf, sizeof buf - 1));
    say("\"%s\"", buf);
    memset(buf, 0, sizeof buf);
    say_ret("the original is all there", read(p[0], buf, sizeof buf - 1));
    say("\"%s\"", buf);
    say_ret("tee from an empty pipe (NONBLOCK)", tee(p[0], q[1], 4, SPLICE_F_NONBLOCK));
    say_ret("tee same pipe", tee(p[0], p[1], 4, 0));
    say_ret("tee length 0", tee(p[0], q[1], 0, 0));
    say_ret("tee bad flag", tee(p[0], q[1], 4, 0x100));
    int f = temp_file("x");
    say_ret("tee from a file", tee(f, q[1], 4, 0));
    say_ret("tee bad fd", tee(999, q[1], 4, 0));
    close(f);
    unlink(path);

    char a[] = "vm", b[] = "splice";
    struct iovec v[2] = { { a, 2 }, { b, 6 } };
    say_ret("vmsplice into the write end", vmsplice(p[1], v, 2, 0));
    memset(buf, 0, sizeof buf);
    char x[3] = { 0 }, y[8] = { 0 };
    struct iovec r[2] = { { x, 3 }, { y, 7 } };
    say_ret("vmsplice out of the read end", vmsplice(p[0], r, 2, 0));
    say("\"%.3s\" \"%s\"", x, y);
    say_ret("vmsplice empty, NONBLOCK", vmsplice(p[0], r, 2, SPLICE_F_NONBLOCK));
    say_ret("vmsplice bad flag", vmsplice(p[1], v, 2, 0x100));
    say_ret("vmsplice bad iovec", vmsplice(p[1], (struct iovec *)8, 1, 0));
    struct iovec bad = { (void *)8, 4 };
    say_ret("vmsplice bad buffer", vmsplice(p[1], &bad, 1, 0));
    say_ret("vmsplice nothing", vmsplice(p[1], v, 0, 0));
    int g = temp_file("x");
    say_ret("vmsplice to a file", vmsplice(g, v, 2, 0));
    close(g);
    unlink(path);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static volatile sig_atomic_t sigios;
static void on_sigio(int s) {
    (void)s;
    sigios++;
}

/* Writes to the other end and reports whether SIGIO came (it is sent to
 * this process, so it is delivered when the write returns). */
static void poke(const char *what, int fd) {
    sigios = 0;
    (void)!write(fd, "x", 1);
    say("%s: SIGIO %d", what, sigios > 0);
}

static void case_sigio(void) {
    struct sigaction sa = { .sa_handler = on_sigio, .sa_flags = SA_RESTART }, old;
    sigaction(SIGIO, &sa, &old);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return;
    char c;
    poke("no O_ASYNC", sv[1]);
    (void)!read(sv[0], &c, 1);
    int on = 1;
    ioctl(sv[0], FIOASYNC, &on);
    poke("O_ASYNC, no owner", sv[1]);
    (void)!read(sv[0], &c, 1);
    fcntl(sv[0], F_SETOWN, getpid());
    poke("O_ASYNC and owner", sv[1]);
    (void)!read(sv[0], &c, 1);
    int d = dup(sv[0]);
    close(sv[0]);
    poke("through a dup", sv[1]);
    (void)!read(d, &c, 1);
    fcntl(d, F_SETOWN, -getpgrp());
    poke("owner is my group", sv[1]);
    (void)!read(d, &c, 1);
    on = 0;
    ioctl(d, FIOASYNC, &on);
    poke("O_ASYNC off", sv[1]);
    (void)!read(d, &c, 1);
    fcntl(d, F_SETOWN, getpid());
    fcntl(d, F_SETFL, fcntl(d, F_GETFL) | O_ASYNC);
    poke("F_SETFL O_ASYNC", sv[1]);
    (void)!read(d, &c, 1);
    sigios = 0;
    close(sv[1]);
    say("peer closed: SIGIO %d", sigios > 0);
    close(d);

    int p[2];
    if (pipe(p) == 0) {
        fcntl(p[0], F_SETOWN, getpid());
        fcntl(p[0], F_SETFL, O_ASYNC);
        poke("pipe", p[1]);
        (void)!read(p[0], &c, 1);
        /* A child writes: the owner is signalled, not the writer. */
        sigios = 0;
        pid_t k = fork();
        if (k == 0) {
            (void)!write(p[1], "y", 1);
            _exit(0);
        }
        reap("writer", k);
        say("a child's write: SIGIO %d", sigios > 0);
        close(p[0]);
        close(p[1]);
    }
    sigaction(SIGIO, &old, 0);
}

static const struct dcase cases[] = {
    CASE(vectored), CASE(owner), CASE(copy_range), CASE(splice), CASE(tee_vmsplice), CASE(sigio), { 0, 0 },
};

int main(int argc, char **argv) { return run_cases(cases, argc, argv, 0); }
