/* Data between descriptors, differentially: positioned vector I/O
 * (preadv/pwritev/preadv2/pwritev2 and their RWF_* flags), and the
 * descriptor's owner and O_ASYNC (F_SETOWN/F_GETOWN, FIOASYNC).
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

static const struct dcase cases[] = {
    CASE(vectored), CASE(owner), { 0, 0 },
};

int main(int argc, char **argv) { return run_cases(cases, argc, argv, 0); }
