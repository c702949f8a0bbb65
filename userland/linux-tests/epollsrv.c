/* A small HTTP/1.1 server on one epoll instance, for load tests (not a
 * differential program: it prints counts, and the host drives it).
 *
 *   epollsrv PORT TOTAL [et]
 *   epollsrv selftest CLIENTS REQUESTS [IDLE]
 *
 * Listens on 0.0.0.0:PORT (non-blocking sockets, one thread), answers every
 * request (a header block ending in an empty line) with a fixed 6-byte body,
 * keeps connections alive unless the request says "Connection: close", and
 * exits after TOTAL requests, or after 60 s without any event. With `et`
 * the connections are registered edge-triggered (read and write until
 * EAGAIN), otherwise level-triggered. Prints "epollsrv: listening" once
 * ready and "epollsrv: served N requests, M connections" at the end.
 * `selftest` serves CLIENTS client processes of its own over 127.0.0.1,
 * each sending REQUESTS requests on one kept-alive connection with blocking
 * calls, and prints how long that took; IDLE more connections stay open
 * and silent meanwhile (the server watches them too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define BUF 4096

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
static const char RESPONSE_CLOSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";

struct conn {
    int fd;
    size_t have;           /* bytes of request buffered */
    char in[BUF];
    size_t out_len, out_off; /* pending response bytes */
    char out[BUF];
    int closing;
};

static struct conn *conns[MAX_CONNS];
static long served, accepted;

static void drop_conn(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    conns[c->fd] = NULL;
    free(c);
}

/* Sends what is pending; 0 when all is out, 1 on EAGAIN, -1 on error. */
static int flush(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 1 : -1;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Answers every complete request in the buffer. */
static void answer(struct conn *c) {
    for (;;) {
        char *end = memmem(c->in, c->have, "\r\n\r\n", 4);
        if (!end) return;
        size_t len = (size_t)(end - c->in) + 4;
        int close_it = memmem(c->in, len, "Connection: close", 17) != NULL;
        const char *r = close_it ? RESPONSE_CLOSE : RESPONSE;
        size_t rl = close_it ? sizeof RESPONSE_CLOSE - 1 : sizeof RESPONSE - 1;
        if (c->out_len + rl <= sizeof c->out) {
            memcpy(c->out + c->out_len, r, rl);
            c->out_len += rl;
        }
        memmove(c->in, c->in + len, c->have - len);
        c->have -= len;
        served++;
        if (close_it) {
            c->closing = 1;
            return;
        }
    }
}

/* One client process: `reqs` requests on one connection to 127.0.0.1:port. */
static int client(int port, int reqs) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) return 1;
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[256];
    for (int i = 0; i < reqs; i++) {
        if (write(s, req, sizeof req - 1) != (ssize_t)sizeof req - 1) return 1;
        size_t have = 0;
        while (have < sizeof RESPONSE - 1) {
            ssize_t n = read(s, buf, sizeof buf);
            if (n <= 0) return 1;
            have += (size_t)n;
        }
    }
    close(s);
    return 0;
}

static long long ms_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int serve(int ls, long total, long accepts, unsigned et);

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: epollsrv PORT TOTAL [et] | epollsrv selftest CLIENTS REQUESTS\n");
        return 2;
    }
    int selftest = strcmp(argv[1], "selftest") == 0;
    int port = selftest ? 9099 : atoi(argv[1]);
    int clients = selftest ? atoi(argv[2]) : 0, reqs = selftest && argc > 3 ? atoi(argv[3]) : 0;
    int idle = selftest && argc > 4 ? atoi(argv[4]) : 0;
    long total = selftest ? (long)clients * reqs : atol(argv[2]);
    unsigned et = argc > 3 && strcmp(argv[3], "et") == 0 ? EPOLLET : 0;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0) {
        perror("epollsrv: listen");
        return 1;
    }
    if (!selftest) return serve(ls, total, 0, et);
    /* The idle connections: a helper opens them and stays silent. */
    pid_t holder = 0;
    if (idle > 0) {
        holder = fork();
        if (holder == 0) {
            for (int i = 0; i < idle; i++) {
                int c = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                if (c < 0 || connect(c, (struct sockaddr *)&to, sizeof to) < 0) _exit(1);
            }
            pause();
            _exit(0);
        }
        if (serve(ls, 0, idle, 0)) return 1;
    }
    long long t0 = ms_now();
    for (int i = 0; i < clients; i++) {
        if (fork() == 0) _exit(client(port, reqs));
    }
    int r = serve(ls, total, 0, 0);
    int failed = 0, st;
    for (int i = 0; i < clients; i++) {
        pid_t w = wait(&st);
        if (w == holder) i--;
        failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    long long ms = ms_now() - t0;
    if (holder > 0) {
        kill(holder, SIGKILL);
        waitpid(holder, NULL, 0);
    }
    printf("selftest: %ld requests, %d clients, %d idle, %d failed, %lld ms\n", total, clients, idle, failed, ms);
    return r || failed;
}

/* Serves until `total` requests were answered (or `accepts` connections
 * accepted, when not 0), or 60 s pass without an event. */
static int serve(int ls, long total, long accepts, unsigned et) {
    int one = 1;
    static int ep = -1;
    if (ep < 0) {
        ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
        epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
        printf("epollsrv: listening\n");
        fflush(stdout);
    }
    struct epoll_event events[64];
    while (accepts ? accepted < accepts : served < total) {
        int n = epoll_wait(ep, events, 64, 60000);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epollsrv: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    if (cfd >= MAX_CONNS) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = calloc(1, sizeof *c);
                    c->fd = cfd;
                    conns[cfd] = c;
                    accepted++;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP | et, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (!c) continue;
            int dead = 0;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    if (c->have == sizeof c->in) {
                        dead = 1;
                        break;
                    }
                    ssize_t r = recv(fd, c->in + c->have, sizeof c->in - c->have, 0);
                    if (r == 0) {
                        dead = 1;
                        break;
                    }
                    if (r < 0) {
                        if (errno != EAGAIN) dead = 1;
                        break;
                    }
                    c->have += (size_t)r;
                    answer(c);
                    if (!et) break;
                }
                if (c->have) answer(c);
            }
            if (!dead) {
                int f = flush(c);
                if (f < 0 || (f == 0 && c->closing)) dead = 1;
                struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP | et | (f == 1 ? EPOLLOUT : 0), .data.fd = fd};
                if (!dead && (f == 1 || (events[i].events & EPOLLOUT))) epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
            }
            if (dead) drop_conn(ep, c);
        }
    }
    printf("epollsrv: served %ld requests, %ld connections\n", served, accepted);
    return 0;
}
