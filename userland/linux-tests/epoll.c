/* epoll, poll and select: level- and edge-triggered reports on pipes and
 * sockets, EPOLLONESHOT and its re-arm, EPOLLEXCLUSIVE with several
 * waiters, nested epolls and ELOOP, the close of a registered descriptor,
 * EPOLLRDHUP, epoll_ctl's errors, and poll/select on every kind of
 * descriptor (pipes, sockets, files, directories, /dev/null, /proc files,
 * an epoll, a terminal with nothing typed; POLLHUP, POLLERR, POLLNVAL).
 * Exits 14. */
#include "difftest.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* The names of the readiness bits in `ev`. */
static const char *bits(unsigned ev) {
    static char out[128];
    static const struct { unsigned bit; const char *name; } names[] = {
        {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"}, {EPOLLHUP, "HUP"},
        {POLLNVAL, "NVAL"}, {EPOLLRDNORM, "RDNORM"}, {EPOLLRDBAND, "RDBAND"}, {EPOLLWRNORM, "WRNORM"},
        {EPOLLWRBAND, "WRBAND"}, {EPOLLMSG, "MSG"}, {EPOLLRDHUP, "RDHUP"},
    };
    out[0] = 0;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (ev & names[i].bit) {
            if (out[0]) strcat(out, "|");
            strcat(out, names[i].name);
        }
    }
    if (!out[0]) strcpy(out, "0");
    return out;
}

static int add(int ep, int fd, unsigned events, unsigned long long data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, unsigned events, unsigned long long data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* One epoll_wait with `timeout`; prints the count and each (data, bits). */
static int waitsay(const char *what, int ep, int max, int timeout) {
    struct epoll_event out[16];
    int n = epoll_wait(ep, out, max, timeout);
    if (n < 0) {
        say("%s: -1 %s", what, ename(errno));
        return n;
    }
    char line[400];
    int len = snprintf(line, sizeof line, "%s: %d", what, n);
    for (int i = 0; i < n && len < (int)sizeof line - 40; i++)
        len += snprintf(line + len, sizeof line - len, " [%llu %s]", (unsigned long long)out[i].data.u64, bits(out[i].events));
    say("%s", line);
    return n;
}

static void drain(int fd) {
    char buf[4096];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, buf, sizeof buf) > 0) {}
    fcntl(fd, F_SETFL, fl);
}

static void case_level_pipe(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add read end IN", add(ep, p[0], EPOLLIN, 1));
    waitsay("empty pipe", ep, 8, 0);
    (void)!write(p[1], "a", 1);
    waitsay("after a write", ep, 8, 0);
    waitsay("still unread: reported again", ep, 8, 0);
    drain(p[0]);
    waitsay("drained", ep, 8, 0);
    say_ret("add write end OUT", add(ep, p[1], EPOLLOUT, 2));
    waitsay("write end has room", ep, 8, 0);
    waitsay("and again", ep, 8, 0);
    close(p[0]);
    waitsay("reader closed: write end", ep, 8, 0);
    close(p[1]);
    waitsay("both closed", ep, 8, 0);
    close(ep);
}

static void case_edge_pipe(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add read end IN|ET", add(ep, p[0], EPOLLIN | EPOLLET, 1));
    waitsay("empty pipe", ep, 8, 0);
    (void)!write(p[1], "a", 1);
    waitsay("after a write", ep, 8, 0);
    waitsay("no new write", ep, 8, 0);
    (void)!write(p[1], "b", 1);
    waitsay("each write is an edge", ep, 8, 0);
    drain(p[0]);
    waitsay("drained", ep, 8, 0);
    close(p[1]);
    waitsay("writer closed", ep, 8, 0);
    waitsay("no new event", ep, 8, 0);
    close(p[0]);
    /* The write end: an edge when room appears in a full pipe. */
    if (pipe(p) < 0) return;
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    say_ret("add write end OUT|ET", add(ep, p[1], EPOLLOUT | EPOLLET, 2));
    waitsay("room at first", ep, 8, 0);
    waitsay("no new event", ep, 8, 0);
    char chunk[4096];
    (void)!write(p[1], "z", 1);
    (void)!read(p[0], chunk, 1);
    waitsay("a read from a pipe that was not full", ep, 8, 0);
    memset(chunk, 'x', sizeof chunk);
    long filled = 0;
    while (write(p[1], chunk, sizeof chunk) > 0) filled += sizeof chunk;
    say("filled to EAGAIN: %ld bytes", filled);
    waitsay("full", ep, 8, 0);
    (void)!read(p[0], chunk, sizeof chunk);
    waitsay("a read from a full pipe", ep, 8, 0);
    waitsay("no new event", ep, 8, 0);
    close(p[0]);
    close(p[1]);
    close(ep);
}

static void case_oneshot(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add IN|ONESHOT", add(ep, p[0], EPOLLIN | EPOLLONESHOT, 5));
    (void)!write(p[1], "a", 1);
    waitsay("first report", ep, 8, 0);
    waitsay("disarmed although readable", ep, 8, 0);
    (void)!write(p[1], "b", 1);
    waitsay("disarmed although written to", ep, 8, 0);
    say_ret("add again", add(ep, p[0], EPOLLIN, 5));
    say_ret("mod re-arms", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 6));
    waitsay("after re-arm", ep, 8, 0);
    waitsay("disarmed again", ep, 8, 0);
    say_ret("mod to level-triggered", mod(ep, p[0], EPOLLIN, 7));
    waitsay("level", ep, 8, 0);
    waitsay("level again", ep, 8, 0);
    close(p[0]);
    close(p[1]);
    close(ep);
}

struct waiter {
    int ep;
    int got;
};

static int started;

static void *exclusive_waiter(void *arg) {
    struct waiter *w = arg;
    struct epoll_event ev;
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    w->got = epoll_wait(w->ep, &ev, 1, 1500);
    return NULL;
}

/* `n` threads, each blocked in epoll_wait on its own epoll watching the
 * read end with `flags`; one byte is written. How many woke with it? */
static int woken(int n, unsigned flags) {
    int p[2];
    if (pipe(p) < 0) return -1;
    struct waiter w[4];
    pthread_t t[4];
    started = 0;
    for (int i = 0; i < n; i++) {
        w[i].ep = epoll_create1(0);
        w[i].got = -2;
        add(w[i].ep, p[0], EPOLLIN | flags, i);
    }
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, exclusive_waiter, &w[i]);
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n) sleep_ms(10);
    sleep_ms(500); /* all of them inside epoll_wait */
    (void)!write(p[1], "x", 1);
    int count = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        count += w[i].got == 1;
        close(w[i].ep);
    }
    close(p[0]);
    close(p[1]);
    return count;
}

static void case_exclusive(void) {
    say("3 waiters, plain: woken %d", woken(3, 0));
    say("3 waiters, EPOLLEXCLUSIVE: woken %d", woken(3, EPOLLEXCLUSIVE));
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0), inner = epoll_create1(0);
    say_ret("add EXCLUSIVE", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
    say_ret("mod an EXCLUSIVE item", mod(ep, p[0], EPOLLIN, 1));
    say_ret("mod with EXCLUSIVE", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
    say_ret("add EXCLUSIVE|RDHUP", add(ep, p[1], EPOLLOUT | EPOLLRDHUP | EPOLLEXCLUSIVE, 2));
    say_ret("add EXCLUSIVE|ONESHOT", add(ep, p[1], EPOLLOUT | EPOLLONESHOT | EPOLLEXCLUSIVE, 2));
    say_ret("add EXCLUSIVE|ET|WAKEUP", add(ep, p[1], EPOLLOUT | EPOLLET | EPOLLWAKEUP | EPOLLEXCLUSIVE, 2));
    say_ret("add an epoll EXCLUSIVE", add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 3));
    (void)!write(p[1], "x", 1);
    waitsay("exclusive items report as usual", ep, 8, 0);
    close(inner);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static void case_nested(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int outer = epoll_create1(0), inner = epoll_create1(0);
    say_ret("inner watches the pipe", add(inner, p[0], EPOLLIN, 1));
    say_ret("outer watches inner", add(outer, inner, EPOLLIN, 2));
    waitsay("outer, nothing ready", outer, 8, 0);
    struct pollfd pf = {.fd = outer, .events = POLLIN | POLLOUT};
    say_ret("poll outer", poll(&pf, 1, 0));
    (void)!write(p[1], "x", 1);
    waitsay("outer sees inner ready", outer, 8, 0);
    say_ret("poll outer", poll(&pf, 1, 0));
    say("revents: %s", bits(pf.revents));
    waitsay("inner", inner, 8, 0);
    drain(p[0]);
    waitsay("outer after the drain", outer, 8, 0);
    /* A blocked wait on the outer epoll is woken by a write to the pipe. */
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        (void)!write(p[1], "y", 1);
        _exit(0);
    }
    waitsay("outer, blocked until the child writes", outer, 8, 5000);
    reap("writer", pid);
    say_ret("add itself", add(outer, outer, EPOLLIN, 9));
    say_ret("inner watches outer: a loop", add(inner, outer, EPOLLIN, 9));
    int e[8];
    for (int i = 0; i < 8; i++) e[i] = epoll_create1(0);
    for (int i = 0; i < 7; i++) {
        char what[64];
        snprintf(what, sizeof what, "chain: e%d into e%d", i, i + 1);
        say_ret(what, add(e[i + 1], e[i], EPOLLIN, i));
    }
    for (int i = 0; i < 8; i++) close(e[i]);
    close(outer);
    close(inner);
    close(p[0]);
    close(p[1]);
}

static void case_close_registered(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add", add(ep, p[0], EPOLLIN, 42));
    int copy = dup(p[0]);
    close(p[0]);
    (void)!write(p[1], "x", 1);
    waitsay("closed, but a dup keeps the file: still watched", ep, 8, 0);
    say_ret("del by the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    say_ret("del by the dup's number", epoll_ctl(ep, EPOLL_CTL_DEL, copy, NULL));
    close(copy);
    waitsay("last reference closed: gone", ep, 8, 0);
    int q[2];
    if (pipe(q) < 0) return;
    say("new pipe reuses the number: %d", q[0] == p[0]);
    say_ret("add the new file under it", add(ep, q[0], EPOLLIN, 43));
    waitsay("new file, empty", ep, 8, 0);
    /* A file watched by an epoll that closes first: nothing breaks. */
    close(ep);
    (void)!write(q[1], "y", 1);
    say_ret("the pipe still reads", read(q[0], p, 1));
    close(q[0]);
    close(q[1]);
    close(p[1]);
}

static int loopback_pair(int *client, int *server) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) return -1;
    getsockname(l, (struct sockaddr *)&a, &len);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*client, (struct sockaddr *)&a, sizeof a) < 0) return -1;
    *server = accept(l, NULL, NULL);
    return l;
}

static void case_rdhup(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add unix socket IN|OUT|RDHUP", add(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 1));
    waitsay("connected", ep, 8, 0);
    shutdown(sv[1], SHUT_WR);
    waitsay("peer shut its writing half", ep, 8, 0);
    close(sv[1]);
    waitsay("peer closed", ep, 8, 0);
    close(sv[0]);
    int c, s;
    int l = loopback_pair(&c, &s);
    if (l < 0) {
        say("loopback: %s", ename(errno));
        return;
    }
    say_ret("add tcp IN|RDHUP", add(ep, s, EPOLLIN | EPOLLRDHUP, 2));
    say_ret("add the client IN|RDHUP", add(ep, c, EPOLLIN | EPOLLRDHUP, 3));
    waitsay("connected, nothing sent", ep, 8, 0);
    shutdown(c, SHUT_WR);
    waitsay("client shut its writing half", ep, 8, 0);
    close(c);
    close(s);
    close(l);
    close(ep);
}

static void case_sockets(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return;
    int ep = epoll_create1(0);
    say_ret("add unix IN (level)", add(ep, sv[0], EPOLLIN, 1));
    say_ret("add unix IN|ET", add(ep, sv[1], EPOLLIN | EPOLLET, 2));
    (void)!write(sv[1], "ab", 2);
    (void)!write(sv[0], "cd", 2);
    waitsay("both have data", ep, 8, 0);
    waitsay("only the level one again", ep, 8, 0);
    (void)!write(sv[0], "e", 1);
    waitsay("another send: an edge", ep, 8, 0);
    close(sv[0]);
    close(sv[1]);
    int c, s;
    int l = loopback_pair(&c, &s);
    if (l < 0) return;
    int l2 = epoll_create1(0);
    say_ret("add listener", add(l2, l, EPOLLIN, 10));
    waitsay("listener, nobody connecting", l2, 8, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &len);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    say_ret("connect", connect(c2, (struct sockaddr *)&a, sizeof a));
    waitsay("listener with a connection to accept", l2, 8, 1000);
    say_ret("add tcp IN|ET", add(l2, s, EPOLLIN | EPOLLET, 11));
    (void)!send(c, "x", 1, 0);
    waitsay("tcp data", l2, 1, 1000);
    (void)!send(c, "y", 1, 0);
    waitsay("tcp more data: an edge (listener not yet accepted, round robin)", l2, 8, 1000);
    waitsay("again: only the listener", l2, 8, 0);
    close(c2);
    close(c);
    close(s);
    close(l);
    close(l2);
    close(ep);
}

static void case_order(void) {
    int p[3][2];
    int ep = epoll_create1(0);
    for (int i = 0; i < 3; i++) {
        if (pipe(p[i]) < 0) return;
        add(ep, p[i][0], EPOLLIN, i + 1);
        (void)!write(p[i][1], "x", 1);
    }
    waitsay("max 2", ep, 2, 0);
    waitsay("max 2, the rest first", ep, 2, 0);
    waitsay("max 8", ep, 8, 0);
    long long t0 = now_ms();
    int q[2];
    if (pipe(q) < 0) return;
    int e2 = epoll_create1(0);
    add(e2, q[0], EPOLLIN, 9);
    waitsay("nothing for 100 ms", e2, 8, 100);
    say("waited >= 100 ms: %d", now_ms() - t0 >= 100);
    for (int i = 0; i < 3; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
    close(q[0]);
    close(q[1]);
    close(e2);
    close(ep);
}

static void case_ctl_errors(void) {
    int p[2];
    if (pipe(p) < 0) return;
    int ep = epoll_create1(0);
    say_ret("epoll_create(0)", syscall(SYS_epoll_create, 0));
    say_ret("epoll_create1(bad flag)", epoll_create1(1));
    int f = open("epoll-test-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    say_ret("add a regular file", add(ep, f, EPOLLIN, 1));
    say_ret("add a directory", add(ep, open(".", O_RDONLY | O_DIRECTORY), EPOLLIN, 1));
    say_ret("add /dev/null", add(ep, open("/dev/null", O_RDWR), EPOLLIN, 1));
    say_ret("epfd not an epoll", add(p[0], p[1], EPOLLIN, 1));
    say_ret("bad epfd", add(999, p[0], EPOLLIN, 1));
    say_ret("bad fd", add(ep, 999, EPOLLIN, 1));
    say_ret("add", add(ep, p[0], EPOLLIN, 1));
    say_ret("add again", add(ep, p[0], EPOLLIN, 1));
    say_ret("add the write end with WAKEUP", add(ep, p[1], EPOLLOUT | EPOLLWAKEUP, 2));
    say_ret("mod missing", mod(ep, dup(p[0]), EPOLLIN, 1));
    say_ret("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, dup(p[1]), NULL));
    say_ret("bad op", epoll_ctl(ep, 77, p[0], &(struct epoll_event){0}));
    say_ret("add with a NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL));
    say_ret("del with a NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    say_ret("del again", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    struct epoll_event out[2];
    say_ret("wait maxevents 0", epoll_wait(ep, out, 0, 0));
    say_ret("wait on a pipe", epoll_wait(p[0], out, 2, 0));
    say_ret("wait on a bad fd", epoll_wait(999, out, 0, 0));
    say_ret("wait with a NULL buffer", epoll_wait(ep, NULL, 2, 0));
    say("epoll F_GETFL access: %d", fcntl(ep, F_GETFL) & O_ACCMODE);
    say_ret("read an epoll", read(ep, out, sizeof out));
    unlink("epoll-test-file");
    close(f);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static void pollsay(const char *what, int fd, short events) {
    struct pollfd pf = {.fd = fd, .events = events};
    int n = poll(&pf, 1, 0);
    if (n < 0) say("poll %s: -1 %s", what, ename(errno));
    else say("poll %s: %d %s", what, n, bits((unsigned short)pf.revents));
}

/* select on one descriptor: "r w e" for the sets it comes back in. */
static void selectsay(const char *what, int fd) {
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(fd, &r);
    FD_SET(fd, &w);
    FD_SET(fd, &e);
    struct timeval tv = {0, 0};
    int n = select(fd + 1, &r, &w, &e, &tv);
    if (n < 0) say("select %s: -1 %s", what, ename(errno));
    else say("select %s: %d%s%s%s", what, n, FD_ISSET(fd, &r) ? " r" : "", FD_ISSET(fd, &w) ? " w" : "", FD_ISSET(fd, &e) ? " e" : "");
}

static void both(const char *what, int fd, short events) {
    pollsay(what, fd, events);
    selectsay(what, fd);
}

static void case_poll_kinds(void) {
    const short all = POLLIN | POLLOUT | POLLPRI | POLLRDHUP | POLLRDNORM | POLLWRNORM;
    int p[2];
    if (pipe(p) < 0) return;
    both("pipe read end, empty", p[0], all);
    both("pipe write end", p[1], all);
    (void)!write(p[1], "x", 1);
    both("pipe read end with data", p[0], all);
    close(p[1]);
    both("pipe read end, data and no writer", p[0], all);
    drain(p[0]);
    both("pipe read end, drained, no writer", p[0], all);
    close(p[0]);
    if (pipe(p) < 0) return;
    close(p[0]);
    both("pipe write end, no reader", p[1], POLLOUT);
    close(p[1]);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    both("unix socket", sv[0], all);
    (void)!write(sv[1], "x", 1);
    both("unix socket with data", sv[0], all);
    close(sv[1]);
    both("unix socket, peer closed", sv[0], all);
    close(sv[0]);
    int c, s;
    int l = loopback_pair(&c, &s);
    if (l >= 0) {
        both("tcp listener", l, all);
        both("tcp connection", s, all);
        int fresh = socket(AF_INET, SOCK_STREAM, 0);
        both("tcp socket never connected", fresh, POLLIN | POLLOUT);
        close(fresh);
        close(c);
        close(s);
        close(l);
    }
    int f = open("epoll-poll-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    both("regular file", f, all);
    close(f);
    unlink("epoll-poll-file");
    int d = open(".", O_RDONLY | O_DIRECTORY);
    both("directory", d, POLLIN | POLLOUT);
    close(d);
    int n = open("/dev/null", O_RDWR);
    both("/dev/null", n, POLLIN | POLLOUT);
    close(n);
    int ps = open("/proc/self/stat", O_RDONLY);
    both("/proc/self/stat", ps, POLLIN | POLLOUT);
    close(ps);
    int pm = open("/proc/meminfo", O_RDONLY);
    both("/proc/meminfo", pm, POLLIN);
    close(pm);
    int ep = epoll_create1(0);
    both("empty epoll", ep, all);
    if (pipe(p) < 0) return;
    add(ep, p[0], EPOLLIN, 1);
    (void)!write(p[1], "x", 1);
    both("epoll with a ready item", ep, all);
    close(ep);
    close(p[0]);
    close(p[1]);
    pollsay("a closed descriptor", 999, POLLIN);
    pollsay("fd -1", -1, POLLIN);
    struct pollfd many[3] = {{.fd = -1}, {.fd = 999, .events = POLLIN}, {.fd = 1, .events = 0}};
    say_ret("poll of three, one closed", poll(many, 3, 0));
    for (int i = 0; i < 3; i++) say("revents %d: %s", i, bits((unsigned short)many[i].revents));
    int closed = dup(2);
    close(closed);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(closed, &r);
    struct timeval tv = {0, 0};
    say_ret("select on a closed descriptor", select(closed + 1, &r, NULL, NULL, &tv));
}

/* A terminal with nothing typed: standard input when it is one, else a
 * fresh pseudo-terminal. */
static void case_terminal(void) {
    int t = -1;
    if (isatty(0)) {
        t = 0;
    } else {
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0) t = open(ptsname(m), O_RDWR | O_NOCTTY);
    }
    if (t < 0) {
        say("no terminal: %s", ename(errno));
        return;
    }
    both("terminal, nothing typed", t, POLLIN | POLLOUT);
    int ep = epoll_create1(0);
    say_ret("epoll add terminal IN", add(ep, t, EPOLLIN, 1));
    waitsay("terminal, nothing typed, 50 ms", ep, 8, 50);
    say_ret("epoll add terminal OUT", mod(ep, t, EPOLLOUT, 2));
    waitsay("terminal writable", ep, 8, 0);
    close(ep);
}

static const struct dcase cases[] = {
    CASE(level_pipe), CASE(edge_pipe), CASE(oneshot), CASE(exclusive), CASE(nested),
    CASE(close_registered), CASE(rdhup), CASE(sockets), CASE(order), CASE(ctl_errors),
    CASE(poll_kinds), CASE(terminal), {0, 0},
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 14);
}
