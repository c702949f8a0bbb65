/* File mappings, differentially: MAP_SHARED stores reach the file (munmap,
 * msync, exit) and other mappings of it, read()/write() stay coherent with
 * them, MAP_PRIVATE stays private, access rules (EACCES), ftruncate, and
 * SIGBUS past the end of the file. Every case works on its own file in /tmp.
 */
#include "difftest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PG 4096

static char path[64];

/* A fresh file of `len` bytes of `fill`, opened with `flags`. */
static int make_file(long len, char fill, int flags) {
    snprintf(path, sizeof path, "/tmp/mmap-test-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[PG];
    memset(buf, fill, sizeof buf);
    for (long done = 0; done < len;) {
        long n = len - done < PG ? len - done : PG;
        if (write(fd, buf, n) != n) say("write failed: %s", ename(errno));
        done += n;
    }
    if (flags != O_RDWR) {
        close(fd);
        fd = open(path, flags);
    }
    return fd;
}

static void done_file(int fd) {
    close(fd);
    unlink(path);
}

/* A call's result and errno, as "-1 EINVAL" or "0". */
static void say_call(const char *what, long r) {
    if (r < 0) say("%s: -1 %s", what, ename(errno));
    else say("%s: %ld", what, r);
}

/* What read() finds at `off` (n bytes, printed as text). */
static void say_read(const char *what, int fd, off_t off, int n) {
    char buf[64] = {0};
    long r = pread(fd, buf, n, off);
    for (int i = 0; i < r; i++)
        if (buf[i] == 0) buf[i] = '0';
    say("%s: %ld \"%.*s\"", what, r, (int)(r > 0 ? r : 0), buf);
}

static void say_mem(const char *what, const char *p, int n) {
    char buf[64];
    for (int i = 0; i < n; i++) buf[i] = p[i] ? p[i] : '0';
    say("%s: \"%.*s\"", what, n, buf);
}

static void case_write_munmap_read(void) {
    int fd = make_file(2 * PG, 'a', O_RDWR);
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say("mmap: %s", p == MAP_FAILED ? ename(errno) : "ok");
    memcpy(p + 100, "hello", 5);
    memcpy(p + PG + 10, "world", 5);
    say_read("read before munmap", fd, 98, 9);
    say("munmap: %d", munmap(p, 2 * PG));
    say_read("read after munmap", fd, 98, 9);
    say_read("second page", fd, PG + 8, 9);
    struct stat st;
    fstat(fd, &st);
    say("size unchanged: %d", st.st_size == 2 * PG);
    int fd2 = open(path, O_RDONLY);
    say_read("another descriptor", fd2, 100, 5);
    close(fd2);
    done_file(fd);
}

static void case_write_then_mapping(void) {
    int fd = make_file(PG, 'b', O_RDWR);
    char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say_mem("mapped", p, 4);
    pwrite(fd, "XYZ", 3, 1);
    say_mem("after write()", p, 4);
    p[2] = 'q';
    pwrite(fd, "W", 1, 0);
    say_mem("store then write()", p, 4);
    say_read("file", fd, 0, 4);
    munmap(p, PG);
    done_file(fd);
}

static void case_fork_shares(void) {
    int fd = make_file(PG, 'c', O_RDWR);
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p + 10, "child", 5);
        _exit(0);
    }
    reap("child", pid);
    say_mem("parent sees", p + 10, 5);
    say_read("file", fd, 10, 5);
    pid = fork();
    if (pid == 0) {
        say_mem("second child sees", p + 10, 5);
        _exit(0);
    }
    reap("second child", pid);
    munmap(p, 2 * PG);
    done_file(fd);
}

static void case_separate_mappings(void) {
    int fd = make_file(PG, 'd', O_RDWR);
    char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p[0] = 'P';
    int go[2], back[2];
    if (pipe(go) || pipe(back)) say("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        munmap(p, PG);
        int cfd = open(path, O_RDWR);
        char *q = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        say_mem("child's own mapping", q, 1);
        q[1] = 'C';
        char c;
        (void)!write(back[1], "x", 1);
        (void)!read(go[0], &c, 1);
        say_mem("child sees parent's store", q + 2, 1);
        _exit(0);
    }
    char c;
    (void)!read(back[0], &c, 1);
    say_mem("parent sees child's store", p + 1, 1);
    p[2] = 'Q';
    (void)!write(go[1], "x", 1);
    reap("child", pid);
    say_read("file", fd, 0, 3);
    munmap(p, PG);
    done_file(fd);
}

static void case_msync(void) {
    int fd = make_file(PG, 'e', O_RDWR);
    char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(p, "synced", 6);
    say("msync MS_SYNC: %d", msync(p, PG, MS_SYNC));
    int fd2 = open(path, O_RDONLY);
    say_read("another descriptor", fd2, 0, 6);
    close(fd2);
    say("msync MS_ASYNC: %d", msync(p, 100, MS_ASYNC));
    say_call("msync both flags", msync(p, PG, MS_SYNC | MS_ASYNC));
    say_call("msync unaligned", msync(p + 1, PG, MS_SYNC));
    munmap(p, PG);
    say_call("msync unmapped", msync(p, PG, MS_SYNC));
    done_file(fd);
}

static void case_private_stays_private(void) {
    int fd = make_file(PG, 'f', O_RDWR);
    char *shared = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    priv[0] = 'p';
    say_mem("private", priv, 2);
    say_mem("shared", shared, 2);
    say_read("file", fd, 0, 2);
    pid_t pid = fork();
    if (pid == 0) {
        priv[1] = 'k';
        say_mem("child private", priv, 2);
        _exit(0);
    }
    reap("child", pid);
    say_mem("parent private after child", priv, 2);
    munmap(priv, PG);
    munmap(shared, PG);
    say_read("file at the end", fd, 0, 2);
    done_file(fd);
}

static void case_access_rules(void) {
    int fd = make_file(PG, 'g', O_RDONLY);
    errno = 0;
    void *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say("shared writable of O_RDONLY: %s", p == MAP_FAILED ? ename(errno) : "ok");
    char *r = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
    say("shared read-only of O_RDONLY: %s", r == MAP_FAILED ? ename(errno) : "ok");
    say_call("mprotect to writable", mprotect(r, PG, PROT_READ | PROT_WRITE));
    say_mem("still readable", r, 1);
    char *q = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    say("private writable of O_RDONLY: %s", q == MAP_FAILED ? ename(errno) : "ok");
    q[0] = 'x';
    say_mem("private store", q, 1);
    say_mem("shared mapping unchanged", r, 1);
    close(fd);
    fd = open(path, O_WRONLY);
    errno = 0;
    p = mmap(0, PG, PROT_WRITE, MAP_SHARED, fd, 0);
    say("shared of O_WRONLY: %s", p == MAP_FAILED ? ename(errno) : "ok");
    done_file(fd);
}

/* Touches `p` in a child: how it ended. */
static void touch_in_child(const char *what, volatile char *p) {
    pid_t pid = fork();
    if (pid == 0) {
        char c = *p;
        (void)c;
        _exit(0);
    }
    reap(what, pid);
}

/* PROT_NONE: any access is SIGSEGV (SEGV_ACCERR), system calls given such a
   buffer fail with EFAULT, and mprotect gives access back with the data. */
static void case_prot_none(void) {
    char *p = mmap(0, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch_in_child("fresh PROT_NONE page", p);
    say_call("mprotect read/write", mprotect(p, 2 * PG, PROT_READ | PROT_WRITE));
    memcpy(p, "kept", 4);
    say_call("mprotect none", mprotect(p, PG, PROT_NONE));
    touch_in_child("written page made PROT_NONE", p);
    touch_in_child("second page still readable", p + PG);
    int fds[2];
    pipe(fds);
    say_call("write() from a PROT_NONE buffer", write(fds[1], p, 4));
    write(fds[1], "abcd", 4); /* so the read below does not wait */
    say_call("read() into a PROT_NONE buffer", read(fds[0], p, 4));
    close(fds[0]);
    close(fds[1]);
    say_call("mprotect read", mprotect(p, PG, PROT_READ));
    say_mem("data after PROT_NONE", p, 4);
    munmap(p, 2 * PG);
}

static void case_truncate(void) {
    int fd = make_file(2 * PG, 'h', O_RDWR);
    char *p = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say_mem("start", p + PG - 2, 4);
    say("ftruncate to 5000: %d", ftruncate(fd, 5000));
    say_mem("around the new end", p + 4998, 4);
    touch_in_child("third page (past the end)", p + 2 * PG);
    say("ftruncate to 3 pages: %d", ftruncate(fd, 3 * PG));
    say_mem("grown part reads zeros", p + 5000, 2);
    memcpy(p + 2 * PG, "new", 3);
    say_read("store in the grown page", fd, 2 * PG, 3);
    munmap(p, 3 * PG);
    done_file(fd);
}

static void case_past_eof(void) {
    int fd = make_file(100, 'i', O_RDWR);
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    say_mem("tail of the last page", p + 98, 4);
    p[200] = 'z';
    munmap(p, 2 * PG);
    struct stat st;
    fstat(fd, &st);
    say("size still 100: %d", st.st_size == 100);
    p = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
    touch_in_child("shared, second page", p + PG);
    munmap(p, 2 * PG);
    p = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
    touch_in_child("private, second page", p + PG);
    touch_in_child("private, first page", p + 50);
    munmap(p, 2 * PG);
    done_file(fd);
}

static void case_exit_writes_back(void) {
    int fd = make_file(PG, 'j', O_RDWR);
    pid_t pid = fork();
    if (pid == 0) {
        char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        memcpy(p + 7, "exit", 4);
        _exit(0);
    }
    reap("child", pid);
    say_read("file", fd, 7, 4);
    done_file(fd);
}

static void case_anon_shared_lazy(void) {
    char *p = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        p[3 * PG] = 'L';
        _exit(0);
    }
    reap("child", pid);
    say("parent sees a page first touched by the child: %d", p[3 * PG] == 'L');
    munmap(p, 4 * PG);
}

static void case_private_dontneed(void) {
    int fd = make_file(PG, 'k', O_RDWR);
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[0] = 'X';
    say_mem("stored", p, 2);
    say("madvise: %d", madvise(p, 2 * PG, MADV_DONTNEED));
    say_mem("after MADV_DONTNEED", p, 2);
    char *a = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[5] = 'A';
    madvise(a, PG, MADV_DONTNEED);
    say("anonymous reads zero again: %d", a[5] == 0);
    munmap(a, PG);
    munmap(p, 2 * PG);
    done_file(fd);
}

static void case_mremap_keeps_contents(void) {
    int fd = make_file(3 * PG, 'm', O_RDWR);
    char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[1] = 'M';
    char *q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
    say("mremap: %s", q == MAP_FAILED ? ename(errno) : "ok");
    say_mem("moved page", q, 2);
    say_mem("grown part from the file", q + 2 * PG, 2);
    munmap(q, 3 * PG);
    char *s = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *t = mremap(s, PG, 2 * PG, MREMAP_MAYMOVE);
    t[PG] = 'S';
    munmap(t, 2 * PG);
    say_read("shared, grown page", fd, PG, 2);
    done_file(fd);
}

static const struct dcase cases[] = {
    CASE(write_munmap_read),
    CASE(write_then_mapping),
    CASE(fork_shares),
    CASE(separate_mappings),
    CASE(msync),
    CASE(private_stays_private),
    CASE(access_rules),
    CASE(truncate),
    CASE(past_eof),
    CASE(exit_writes_back),
    CASE(anon_shared_lazy),
    CASE(private_dontneed),
    CASE(mremap_keeps_contents),
    CASE(prot_none),
    {0, 0},
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 0);
}
