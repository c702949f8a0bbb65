/* Socket and epoll semantics, printed as observations for the differential
 * test: AF_UNIX stream/datagram (named, abstract, socketpair), TCP and UDP
 * over 127.0.0.1, non-blocking errors, options, shutdown, poll and epoll.
 * argv[1]: a writable directory for socket files. Ports: 127.0.0.1:47xxx. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

static const char *errname(int e) {
    static const struct { int e; const char *name; } names[] = {
        {EAGAIN, "EAGAIN"}, {EINVAL, "EINVAL"}, {EADDRINUSE, "EADDRINUSE"}, {ECONNREFUSED, "ECONNREFUSED"},
        {ENOENT, "ENOENT"}, {EPIPE, "EPIPE"}, {ENOTCONN, "ENOTCONN"}, {EISCONN, "EISCONN"},
        {EEXIST, "EEXIST"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"}, {ENOTSOCK, "ENOTSOCK"},
        {EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"}, {ENOPROTOOPT, "ENOPROTOOPT"},
        {EDESTADDRREQ, "EDESTADDRREQ"}, {EBADF, "EBADF"}, {EPROTOTYPE, "EPROTOTYPE"}, {ECONNRESET, "ECONNRESET"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == e) return names[i].name;
    return "other";
}

static void say(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, r);
}

static struct sockaddr_in lo(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static struct sockaddr_un un(const char *dir, const char *name) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
    return a;
}

static void unix_stream(const char *dir) {
    struct sockaddr_un a = un(dir, "s.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("unix bind", bind(l, (void *)&a, sizeof a));
    say("unix bind again", bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, sizeof a));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("unix connect before listen", connect(c, (void *)&a, sizeof a));
    say("unix listen", listen(l, 4));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("unix connect", connect(c, (void *)&a, sizeof a));
    struct sockaddr_un peer;
    socklen_t len = sizeof peer;
    int s = accept(l, (void *)&peer, &len);
    printf("unix accept: %s len %d\n", s >= 0 ? "ok" : "fail", (int)len);
    say("unix write", write(c, "ping", 4));
    char buf[64] = {0};
    say("unix read", read(s, buf, sizeof buf));
    printf("unix got: %s\n", buf);
    len = sizeof peer;
    getpeername(c, (void *)&peer, &len);
    printf("unix peer: %s\n", strrchr(peer.sun_path, '/'));
    say("unix shutdown wr", shutdown(c, SHUT_WR));
    say("unix read eof", read(s, buf, sizeof buf));
    close(s);
    say("unix write after close", send(c, "x", 1, MSG_NOSIGNAL));
    struct sockaddr_un missing = un(dir, "missing.sock");
    say("unix connect missing", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&missing, sizeof missing));
    close(l);
    say("unix connect closed", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, sizeof a));
    say("unix unlink", unlink(a.sun_path));
}

static void unix_dgram(const char *dir) {
    struct sockaddr_un a = un(dir, "d.sock");
    int r = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    say("dgram bind", bind(r, (void *)&a, sizeof a));
    int w = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("dgram sendto", sendto(w, "one", 3, 0, (void *)&a, sizeof a));
    say("dgram send unconnected", send(w, "x", 1, 0));
    say("dgram connect", connect(w, (void *)&a, sizeof a));
    say("dgram send", send(w, "two!", 4, 0));
    char buf[8];
    say("dgram recv", recv(r, buf, sizeof buf, 0));
    say("dgram recv trunc", recv(r, buf, 2, MSG_TRUNC));
    say("dgram recv empty", recv(r, buf, sizeof buf, MSG_DONTWAIT));
    /* Abstract names. */
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    memcpy(ab.sun_path, "\0cyrius-test", 12);
    int x = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("abstract bind", bind(x, (void *)&ab, offsetof(struct sockaddr_un, sun_path) + 12));
    say("abstract bind twice", bind(socket(AF_UNIX, SOCK_DGRAM, 0), (void *)&ab, offsetof(struct sockaddr_un, sun_path) + 12));
    say("abstract sendto", sendto(w, "abs", 3, 0, (void *)&ab, offsetof(struct sockaddr_un, sun_path) + 12));
    say("abstract recv", recv(x, buf, sizeof buf, 0));
    close(r);
    say("dgram send to closed", send(w, "x", 1, 0));
    unlink(a.sun_path);
}

static void pairs(void) {
    int sv[2];
    say("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    say("pair write", write(sv[0], "abc", 3));
    char buf[8];
    say("pair peek", recv(sv[1], buf, sizeof buf, MSG_PEEK));
    say("pair read", read(sv[1], buf, sizeof buf));
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len);
    printf("pair SO_TYPE %d len %d\n", type, (int)len);
    say("pair nonblock read", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    say("pair read after close", read(sv[1], buf, sizeof buf));
    say("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    say("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    say("dgram pair send", send(sv[0], "hey", 3, 0));
    say("dgram pair recv", recv(sv[1], buf, sizeof buf, 0));
}

static void tcp_loopback(void) {
    struct sockaddr_in a = lo(47001);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    say("tcp reuseaddr", setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    say("tcp bind", bind(l, (void *)&a, sizeof a));
    say("tcp bind taken", bind(socket(AF_INET, SOCK_STREAM, 0), (void *)&a, sizeof a));
    say("tcp listen", listen(l, 8));
    fcntl(l, F_SETFL, O_NONBLOCK);
    say("tcp accept nonblock", accept4(l, NULL, NULL, SOCK_NONBLOCK));
    fcntl(l, F_SETFL, 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (void *)&a, sizeof a);
    printf("tcp connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok or in progress" : strerror(errno));
    struct pollfd p = {.fd = c, .events = POLLOUT};
    say("tcp poll out", poll(&p, 1, 5000));
    int err = -1;
    socklen_t len = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    printf("tcp SO_ERROR %d\n", err);
    struct sockaddr_in peer;
    len = sizeof peer;
    int s = accept(l, (void *)&peer, &len);
    printf("tcp accept: %s from %s len %d\n", s >= 0 ? "ok" : "fail", inet_ntoa(peer.sin_addr), (int)len);
    struct sockaddr_in name;
    len = sizeof name;
    getsockname(s, (void *)&name, &len);
    printf("tcp server name %s:%d\n", inet_ntoa(name.sin_addr), ntohs(name.sin_port));
    len = sizeof name;
    getsockname(c, (void *)&name, &len);
    printf("tcp client port is peer port: %d\n", name.sin_port == peer.sin_port);
    say("tcp nodelay", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    int nd = 0;
    len = sizeof nd;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nd, &len);
    printf("tcp nodelay now %d\n", nd != 0);
    say("tcp send", send(c, "hello", 5, 0));
    char buf[16] = {0};
    say("tcp recv", recv(s, buf, sizeof buf, 0));
    say("tcp recv nothing", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    close(c);
    say("tcp recv eof", recv(s, buf, sizeof buf, 0));
    close(s);
    close(l);
    struct sockaddr_in none = lo(47002);
    say("tcp connect refused", connect(socket(AF_INET, SOCK_STREAM, 0), (void *)&none, sizeof none));
    l = socket(AF_INET, SOCK_STREAM, 0);
    say("tcp port free again", bind(l, (void *)&a, sizeof a));
    close(l);
}

/* A connection to the unspecified address 0.0.0.0 reaches the host itself (Linux routes
 * it to 127.0.0.1): a listener bound to INADDR_ANY accepts it. */
static void tcp_unspecified(void) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(47004)};
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    say("any bind", bind(l, (void *)&a, sizeof a));
    say("any listen", listen(l, 8));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    say("any connect", connect(c, (void *)&a, sizeof a));
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    getpeername(c, (void *)&peer, &len);
    printf("any peer %s:%d\n", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
    int s = accept(l, NULL, NULL);
    say("any send", send(c, "x", 1, 0));
    char b;
    say("any recv", recv(s, &b, 1, 0));
    close(s);
    close(c);
    close(l);
}

static void udp_loopback(void) {
    struct sockaddr_in a = lo(47003);
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    say("udp bind", bind(r, (void *)&a, sizeof a));
    int w = socket(AF_INET, SOCK_DGRAM, 0);
    say("udp sendto", sendto(w, "datagram", 8, 0, (void *)&a, sizeof a));
    char buf[16];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    say("udp recvfrom", recvfrom(r, buf, sizeof buf, 0, (void *)&from, &len));
    printf("udp from %s len %d\n", inet_ntoa(from.sin_addr), (int)len);
    struct iovec iov[2] = {{buf, 3}, {buf + 3, 10}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    say("udp sendmsg", sendto(w, "scattered", 9, 0, (void *)&a, sizeof a));
    say("udp recvmsg", recvmsg(r, &m, 0));
    printf("udp recvmsg flags %d data %.9s\n", m.msg_flags, buf);
    say("udp recv none", recv(r, buf, sizeof buf, MSG_DONTWAIT));
}

static void epolls(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    say("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    say("epoll add again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    say("epoll add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    say("epoll mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    struct epoll_event out[4];
    say("epoll wait empty", epoll_wait(ep, out, 4, 0));
    write(p[1], "x", 1);
    int n = epoll_wait(ep, out, 4, 1000);
    printf("epoll wait: %d events %x data %llu\n", n, out[0].events, (unsigned long long)out[0].data.u64);
    say("epoll level again", epoll_wait(ep, out, 4, 0));
    ev.events = EPOLLIN | EPOLLONESHOT;
    say("epoll mod oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    say("epoll oneshot first", epoll_wait(ep, out, 4, 0));
    say("epoll oneshot second", epoll_wait(ep, out, 4, 0));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u64 = 9;
    say("epoll add socket", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll socket: %d events %x\n", n, out[0].events);
    close(sv[1]);
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll socket closed peer: %d events %x\n", n, out[0].events);
    say("epoll del", epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
    say("epoll wait bad max", epoll_wait(ep, out, 0, 0));
    say("epoll on a pipe fd", epoll_wait(p[0], out, 4, 0));
}

static void errors(void) {
    int p[2];
    pipe(p);
    say("send on a pipe", send(p[1], "x", 1, 0));
    say("socket bad family", socket(12345, SOCK_STREAM, 0));
    say("socket bad type", socket(AF_INET, 99, 0));
    say("socket bad proto", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    say("listen twice ok", listen(s, 1) | listen(s, 2));
    say("getpeername unconnected", getpeername(socket(AF_INET, SOCK_STREAM, 0), NULL, NULL) < 0 ? -1 : 0);
    int v = 0;
    say("unknown option", setsockopt(s, SOL_SOCKET, 12345, &v, sizeof v));
    say("shutdown bad how", shutdown(s, 7));
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);
    unix_stream(dir);
    unix_dgram(dir);
    pairs();
    tcp_loopback();
    tcp_unspecified();
    udp_loopback();
    epolls();
    errors();
    return 0;
}
