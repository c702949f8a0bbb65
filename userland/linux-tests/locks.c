/* fcntl(2) record locks, differentially: POSIX locks (F_GETLK, F_SETLK,
 * F_SETLKW) with their splitting and merging, ranges from every whence,
 * release on close of any descriptor and on exit, blocking and EINTR,
 * deadlock detection (EDEADLK); open file description locks (F_OFD_*),
 * owned by the open file and conflicting with POSIX locks.
 * Each case works on its own file in /tmp.
 */
#include "difftest.h"

#include <fcntl.h>
#include <sys/time.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static char path[64];

static int make_file(void) {
    snprintf(path, sizeof path, "/tmp/locks.%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[100];
    memset(buf, 'x', sizeof buf);
    (void)!write(fd, buf, sizeof buf);
    return fd;
}

static int lk(int fd, int cmd, short type, short whence, long start, long len) {
    struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len, .l_pid = 0 };
    return fcntl(fd, cmd, &fl);
}

static const char *tname(int t) {
    return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?";
}

/* F_GETLK (or F_OFD_GETLK) for `type` on [start, start+len): what blocks it. */
static void probe(const char *what, int fd, int cmd, short type, long start, long len, pid_t expect_pid) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0 };
    if (fcntl(fd, cmd, &fl) < 0) {
        say("%s: -1 %s", what, ename(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) say("%s: UN (start %ld len %ld)", what, (long)fl.l_start, (long)fl.l_len);
    else
        say("%s: %s start %ld len %ld, pid %s", what, tname(fl.l_type), (long)fl.l_start, (long)fl.l_len,
            fl.l_pid == -1 ? "-1" : fl.l_pid == expect_pid ? "owner" : "other");
}

/* Runs `fn` in a child with the file open on `fd` and waits for it. */
static void in_child(const char *who, void (*fn)(int), int fd) {
    pid_t c = fork();
    if (c == 0) {
        fn(fd);
        _exit(0);
    }
    reap(who, c);
}

static void child_basic(int fd) {
    pid_t parent = getppid();
    probe("child GETLK WR [0,100)", fd, F_GETLK, F_WRLCK, 0, 100, parent);
    probe("child GETLK RD [0,100)", fd, F_GETLK, F_RDLCK, 0, 100, parent);
    say_ret("child SETLK RD [5,6)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 1));
    say_ret("child SETLK WR [10,20)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10));
    say_ret("child SETLK RD [30,40)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 30, 10));
}

static void case_posix_basic(void) {
    int fd = make_file();
    say_ret("SETLK WR [0,10)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    say_ret("SETLK RD [30,50)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 30, 20));
    probe("own GETLK WR [0,100)", fd, F_GETLK, F_WRLCK, 0, 100, getpid());
    in_child("child", child_basic, fd);
    probe("after child: GETLK WR [0,100)", fd, F_GETLK, F_WRLCK, 0, 100, getpid());
    say_ret("SETLK UN [0,5)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 5));
    say_ret("SETLK UN nothing held [60,70)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 60, 10));
    close(fd);
    unlink(path);
}

static void child_probe_segments(int fd) {
    pid_t parent = getppid();
    long points[] = { 0, 9, 10, 19, 20, 99, 100, 109, 110, 1000 };
    for (unsigned i = 0; i < sizeof points / sizeof *points; i++) {
        char what[48];
        snprintf(what, sizeof what, "byte %ld", points[i]);
        probe(what, fd, F_GETLK, F_WRLCK, points[i], 1, parent);
    }
}

static void case_split_merge(void) {
    int fd = make_file();
    say_ret("RD [0,100)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 100));
    say_ret("WR [10,20)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10));
    in_child("split", child_probe_segments, fd);
    say_ret("RD [100,110) (adjacent)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 100, 10));
    say_ret("RD [10,20) (merges all)", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
    in_child("merged", child_probe_segments, fd);
    say_ret("UN [5,15)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 5, 10));
    say_ret("WR [50, EOF)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 50, 0));
    in_child("holes", child_probe_segments, fd);
    close(fd);
    unlink(path);
}

static void case_ranges(void) {
    int fd = make_file();
    lseek(fd, 50, SEEK_SET);
    say_ret("SEEK_CUR -10 len 5", lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -10, 5));
    say_ret("SEEK_END -10 len 0", lk(fd, F_SETLK, F_RDLCK, SEEK_END, -10, 0));
    say_ret("SEEK_SET 30 len -5", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, -5));
    pid_t c = fork();
    if (c == 0) {
        pid_t parent = getppid();
        probe("byte 40", fd, F_GETLK, F_WRLCK, 40, 1, parent);
        probe("byte 26", fd, F_GETLK, F_WRLCK, 26, 1, parent);
        probe("byte 95", fd, F_GETLK, F_WRLCK, 95, 1, parent);
        probe("byte 1000000", fd, F_GETLK, F_WRLCK, 1000000, 1, parent);
        probe("SEEK_END probe", fd, F_GETLK, F_WRLCK, 0, 0, parent);
        _exit(0);
    }
    reap("child", c);
    say_ret("start -1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 5));
    say_ret("len -31 from 30", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, -31));
    say_ret("whence 3", lk(fd, F_SETLK, F_WRLCK, 3, 0, 5));
    say_ret("overflow", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffL, 2));
    say_ret("last byte", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffL, 1));
    say_ret("type 7", lk(fd, F_SETLK, 7, SEEK_SET, 0, 5));
    say_ret("GETLK of F_UNLCK", lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 5));
    say_ret("GETLK type 7", lk(fd, F_GETLK, 7, SEEK_SET, 0, 5));
    say_ret("bad pointer", fcntl(fd, F_SETLK, (struct flock *)8));
    say_ret("GETLK bad pointer", fcntl(fd, F_GETLK, (struct flock *)8));
    say_ret("bad fd", lk(-1, F_SETLK, F_WRLCK, SEEK_SET, 0, 5));
    close(fd);
    int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
    say_ret("WR on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 5));
    say_ret("RD on O_RDONLY", lk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 5));
    say_ret("RD on O_WRONLY", lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 5));
    say_ret("WR on O_WRONLY", lk(wo, F_SETLK, F_WRLCK, SEEK_SET, 10, 5));
    say_ret("UN on O_RDONLY", lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 100));
    say_ret("GETLK WR on O_RDONLY", lk(ro, F_GETLK, F_WRLCK, SEEK_SET, 0, 5));
    close(ro);
    close(wo);
    unlink(path);
}

static void child_whole(int fd) { probe("child probe", fd, F_GETLK, F_WRLCK, 0, 0, getppid()); }

static void case_release(void) {
    int fd = make_file();
    int other = open(path, O_RDWR);
    int dup_fd = dup(fd);
    say_ret("WR [0,10) on fd", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    in_child("held", child_whole, fd);
    say_ret("close(other open of the file)", close(other));
    in_child("after closing another descriptor", child_whole, fd);
    say_ret("WR [0,10) again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    say_ret("close(dup)", close(dup_fd));
    in_child("after closing a dup", child_whole, fd);
    say_ret("WR [0,10) again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    int d2 = open(path, O_RDONLY);
    dup2(d2, 50);
    close(d2);
    in_child("after dup2 of another open", child_whole, fd);
    say_ret("dup2 over fd 50", dup2(fd, 50));
    in_child("after dup2 over a descriptor of the file", child_whole, fd);
    close(50);
    pid_t c = fork();
    if (c == 0) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 5);
        _exit(0);
    }
    reap("locker", c);
    probe("after the locker exited", fd, F_GETLK, F_WRLCK, 0, 0, c);
    /* Locks are not inherited by fork. */
    say_ret("WR [0,10)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    c = fork();
    if (c == 0) {
        say_ret("child SETLK WR [0,1) on inherited fd", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
        _exit(0);
    }
    reap("child", c);
    close(fd);
    unlink(path);
}

static volatile sig_atomic_t alarmed;
static void on_alarm(int s) { (void)s; alarmed = 1; }

static void case_wait(void) {
    int fd = make_file();
    int sync[2];
    if (pipe(sync) < 0) return;
    say_ret("WR [0,10)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    pid_t c = fork();
    if (c == 0) {
        (void)!write(sync[1], "x", 1);
        long long t0 = now_ms();
        int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 5, 1);
        say("child SETLKW: %d, waited >= 80 ms %d", r, now_ms() - t0 >= 80);
        probe("child sees", fd, F_GETLK, F_WRLCK, 0, 0, getppid());
        _exit(0);
    }
    char b;
    (void)!read(sync[0], &b, 1);
    sleep_ms(150);
    /* Reported after the woken child's lines: their order is the scheduler's. */
    int un = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10);
    reap("waiter", c);
    say("UN [0,10): %d", un);
    /* A signal interrupts the wait. */
    say_ret("WR [0,10)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    c = fork();
    if (c == 0) {
        struct sigaction sa = { .sa_handler = on_alarm };
        sigaction(SIGALRM, &sa, 0);
        struct itimerval it = { { 0, 0 }, { 0, 100000 } };
        setitimer(ITIMER_REAL, &it, 0);
        int r = lk(fd, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1);
        say("child SETLKW: %d %s, alarmed %d", r, r < 0 ? ename(errno) : "", alarmed);
        _exit(0);
    }
    reap("interrupted", c);
    close(fd);
    unlink(path);
}

static void case_deadlock(void) {
    int fd = make_file();
    int sync[2];
    if (pipe(sync) < 0) return;
    say_ret("parent WR byte 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    pid_t c = fork();
    if (c == 0) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
        (void)!write(sync[1], "x", 1);
        int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        say("child got byte 0: %d", r);
        _exit(0);
    }
    char b;
    (void)!read(sync[0], &b, 1);
    sleep_ms(150);
    say_ret("parent SETLKW byte 1", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1));
    say_ret("parent SETLK byte 1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1));
    say_ret("parent UN byte 0", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
    reap("child", c);
    say_ret("parent SETLKW byte 1 now", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1));
    close(fd);
    unlink(path);
}

static void case_ofd(void) {
    int fd = make_file();
    int other = open(path, O_RDWR);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10, .l_pid = 1 };
    say_ret("OFD_SETLK with l_pid 1", fcntl(fd, F_OFD_SETLK, &fl));
    say_ret("OFD_GETLK with l_pid 1", fcntl(fd, F_OFD_GETLK, &fl));
    say_ret("OFD WR [0,10) on fd", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    probe("OFD_GETLK via fd", fd, F_OFD_GETLK, F_WRLCK, 0, 100, 0);
    probe("OFD_GETLK via other open", other, F_OFD_GETLK, F_WRLCK, 0, 100, 0);
    probe("POSIX GETLK, same process", other, F_GETLK, F_WRLCK, 0, 100, 0);
    say_ret("POSIX SETLK over it, same process", lk(other, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    say_ret("POSIX SETLK beside it", lk(other, F_SETLK, F_WRLCK, SEEK_SET, 20, 5));
    probe("OFD_GETLK sees the POSIX lock", fd, F_OFD_GETLK, F_WRLCK, 15, 100, getpid());
    say_ret("OFD over the POSIX lock", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 22, 1));
    pid_t c = fork();
    if (c == 0) {
        say_ret("child OFD on the inherited open file", lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 12));
        say_ret("child POSIX on it", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
        _exit(0);
    }
    reap("child", c);
    probe("OFD lock grew", other, F_OFD_GETLK, F_WRLCK, 0, 100, 0);
    int d = dup(fd);
    close(fd);
    probe("closed fd, dup remains", other, F_OFD_GETLK, F_WRLCK, 0, 10, 0);
    close(other);
    int third = open(path, O_RDWR);
    probe("closing the other open dropped its POSIX locks", third, F_OFD_GETLK, F_WRLCK, 20, 5, 0);
    close(d);
    probe("last close released", third, F_OFD_GETLK, F_WRLCK, 0, 100, 0);
    /* OFD waiters are woken when the holder's open file goes. */
    int holder = open(path, O_RDWR);
    lk(holder, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0);
    int sync[2];
    if (pipe(sync) < 0) return;
    c = fork();
    if (c == 0) {
        close(holder);
        (void)!write(sync[1], "x", 1);
        long long t0 = now_ms();
        int r = lk(third, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 0, 1);
        say("child OFD_SETLKW: %d, waited >= 80 ms %d", r, now_ms() - t0 >= 80);
        _exit(0);
    }
    char b;
    (void)!read(sync[0], &b, 1);
    sleep_ms(150);
    close(holder);
    reap("waiter", c);
    close(third);
    unlink(path);
}

static const struct dcase cases[] = {
    CASE(posix_basic), CASE(split_merge), CASE(ranges), CASE(release), CASE(wait), CASE(deadlock), CASE(ofd), { 0, 0 },
};

int main(int argc, char **argv) { return run_cases(cases, argc, argv, 0); }
