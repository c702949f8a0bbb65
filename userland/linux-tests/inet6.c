/* AF_INET6 sockets, differentially, over the loopback: dual-stack
 * listeners reached from IPv4 (peers shown v4-mapped) and from ::1,
 * IPV6_V6ONLY sockets sharing a port number with an IPv4 socket, address
 * and option errors, and UDP both ways.
 *
 * Ports are ephemeral (bind to port 0, then getsockname), so the host run
 * never collides with anything else; only relations between ports print.
 */
#include "difftest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int port6(int fd) {
    struct sockaddr_in6 a;
    socklen_t n = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &n);
    return ntohs(a.sin6_port);
}

static int port4(int fd) {
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &n);
    return ntohs(a.sin_port);
}

static struct sockaddr_in6 six(const char *ip, int port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static struct sockaddr_in four(const char *ip, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/* Prints an address a call returned: family, length, address text and
 * whether the port is `port` (-1: print whether it is non-zero). */
static void show(const char *what, struct sockaddr_storage *s, socklen_t len, int port) {
    char text[64] = "?";
    int p = 0;
    if (s->ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)s;
        inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
        p = ntohs(a->sin6_port);
        say("%s: AF_INET6 len %u [%s] port %s, flowinfo %u, scope %u", what, (unsigned)len, text,
            port < 0 ? (p ? "set" : "0") : (p == port ? "as expected" : "other"), a->sin6_flowinfo, a->sin6_scope_id);
    } else if (s->ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)s;
        inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
        p = ntohs(a->sin_port);
        say("%s: AF_INET len %u %s port %s", what, (unsigned)len, text,
            port < 0 ? (p ? "set" : "0") : (p == port ? "as expected" : "other"));
    } else {
        say("%s: family %d len %u", what, s->ss_family, (unsigned)len);
    }
}

static void name(const char *what, int fd, int port) {
    struct sockaddr_storage s;
    socklen_t n = sizeof s;
    memset(&s, 0, sizeof s);
    if (getsockname(fd, (struct sockaddr *)&s, &n) < 0) say("%s: -1 %s", what, ename(errno));
    else show(what, &s, n, port);
}

static void peer(const char *what, int fd, int port) {
    struct sockaddr_storage s;
    socklen_t n = sizeof s;
    memset(&s, 0, sizeof s);
    if (getpeername(fd, (struct sockaddr *)&s, &n) < 0) say("%s: -1 %s", what, ename(errno));
    else show(what, &s, n, port);
}

/* accept with the peer's address printed; the port is the client's. */
static int take(const char *what, int l, int client_port) {
    struct sockaddr_storage s;
    socklen_t n = sizeof s;
    memset(&s, 0, sizeof s);
    int c = accept(l, (struct sockaddr *)&s, &n);
    if (c < 0) {
        say("%s: -1 %s", what, ename(errno));
        return -1;
    }
    show(what, &s, n, client_port);
    return c;
}

static void echo(const char *what, int a, int b) {
    char buf[16] = { 0 };
    (void)!write(a, "ping", 4);
    ssize_t n = read(b, buf, sizeof buf - 1);
    say("%s: %zd \"%s\"", what, n, buf);
}

static int listener6(const char *ip, int v6only) {
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6only) setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_in6 a = six(ip, 0);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) say("bind [%s]: %s", ip, ename(errno));
    if (listen(l, 8) < 0) say("listen: %s", ename(errno));
    return l;
}

static void case_dual_stack(void) {
    int l = listener6("::", 0);
    int port = port6(l);
    name("listener", l, port);
    int v6only = -1;
    socklen_t n = sizeof v6only;
    getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &n);
    say("IPV6_V6ONLY %d", v6only);

    /* An IPv4 client. */
    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = four("127.0.0.1", port);
    say_ret("connect 127.0.0.1", connect(c4, (struct sockaddr *)&a4, sizeof a4));
    int s4 = take("accepted from IPv4", l, port4(c4));
    name("its name", s4, port);
    peer("its peer", s4, port4(c4));
    peer("the client's peer", c4, port);
    echo("IPv4 -> IPv6", c4, s4);
    echo("IPv6 -> IPv4", s4, c4);
    close(c4);
    close(s4);

    /* ::1. */
    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo = six("::1", port);
    say_ret("connect ::1", connect(c6, (struct sockaddr *)&lo, sizeof lo));
    int s6 = take("accepted from ::1", l, port6(c6));
    name("its name", s6, port);
    name("the client's name", c6, -1);
    peer("the client's peer", c6, port);
    echo("::1 both ways", c6, s6);
    close(c6);
    close(s6);

    /* A v4-mapped address from an AF_INET6 client. */
    int cm = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 mapped = six("::ffff:127.0.0.1", port);
    say_ret("connect ::ffff:127.0.0.1", connect(cm, (struct sockaddr *)&mapped, sizeof mapped));
    int sm = take("accepted from v4-mapped", l, port6(cm));
    name("the client's name", cm, -1);
    peer("the client's peer", cm, port);
    echo("mapped", cm, sm);
    close(cm);
    close(sm);

    /* Connecting to :: means the loopback. */
    int cz = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any = six("::", port);
    say_ret("connect ::", connect(cz, (struct sockaddr *)&any, sizeof any));
    int sz = take("accepted from ::", l, port6(cz));
    close(cz);
    close(sz);

    /* The port is taken for both families. */
    int t4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any4 = four("0.0.0.0", port);
    say_ret("IPv4 bind of the same port", bind(t4, (struct sockaddr *)&any4, sizeof any4));
    int t6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any6 = six("::", port);
    say_ret("IPv6 bind of the same port", bind(t6, (struct sockaddr *)&any6, sizeof any6));
    close(t4);
    close(t6);
    close(l);
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    say_ret("connect after close", connect(c, (struct sockaddr *)&lo, sizeof lo));
    close(c);
}

static void case_v6only(void) {
    /* An IPv4 listener, then an IPv6-only one on the same port number. */
    int l4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = four("0.0.0.0", 0);
    bind(l4, (struct sockaddr *)&a4, sizeof a4);
    listen(l4, 8);
    int port = port4(l4);
    int l6 = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1, v = -1;
    socklen_t n = sizeof v;
    struct sockaddr_in6 a6 = six("::", port);
    say_ret("dual-stack bind of the IPv4 port", bind(l6, (struct sockaddr *)&a6, sizeof a6));
    close(l6);
    l6 = socket(AF_INET6, SOCK_STREAM, 0);
    say_ret("IPV6_V6ONLY", setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    getsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &n);
    say("reads back %d", v);
    say_ret("v6-only bind of the IPv4 port", bind(l6, (struct sockaddr *)&a6, sizeof a6));
    say_ret("IPV6_V6ONLY after bind", setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    say_ret("listen", listen(l6, 8));
    name("v6-only listener", l6, port);
    int again = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(again, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    say_ret("a second v6-only bind", bind(again, (struct sockaddr *)&a6, sizeof a6));
    close(again);

    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in lo4 = four("127.0.0.1", port);
    say_ret("connect 127.0.0.1", connect(c4, (struct sockaddr *)&lo4, sizeof lo4));
    int s4 = take("the IPv4 listener accepts", l4, port4(c4));
    int fl = fcntl(l6, F_GETFL);
    fcntl(l6, F_SETFL, fl | O_NONBLOCK);
    take("the v6-only one has nothing", l6, 0);
    fcntl(l6, F_SETFL, fl);
    close(c4);
    close(s4);

    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo6 = six("::1", port);
    say_ret("connect ::1", connect(c6, (struct sockaddr *)&lo6, sizeof lo6));
    int s6 = take("the v6-only listener accepts", l6, port6(c6));
    echo("over ::1", c6, s6);
    close(c6);
    close(s6);

    int cm = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(cm, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_in6 mapped = six("::ffff:127.0.0.1", port);
    say_ret("v6-only connect to a v4-mapped address", connect(cm, (struct sockaddr *)&mapped, sizeof mapped));
    say_ret("v6-only bind to a v4-mapped address", bind(cm, (struct sockaddr *)&mapped, sizeof mapped));
    close(cm);
    close(l6);
    close(l4);

    /* Bound to ::1: IPv6 only, whatever IPV6_V6ONLY says. */
    int l1 = listener6("::1", 0);
    int p1 = port6(l1);
    name("bound to ::1", l1, p1);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = four("127.0.0.1", p1);
    say_ret("IPv4 connect to its port", connect(c, (struct sockaddr *)&to, sizeof to));
    close(c);
    close(l1);
}

static void case_errors(void) {
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    int d = 0, p = 0;
    socklen_t n = sizeof d;
    getsockopt(s, SOL_SOCKET, SO_DOMAIN, &d, &n);
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &p, &n);
    say("SO_DOMAIN %d, SO_PROTOCOL %d", d, p);
    name("unbound", s, 0);
    peer("unconnected", s, 0);
    struct sockaddr_in a4 = four("127.0.0.1", 0);
    say_ret("bind a sockaddr_in", bind(s, (struct sockaddr *)&a4, sizeof a4));
    say_ret("connect a sockaddr_in", connect(s, (struct sockaddr *)&a4, sizeof a4));
    struct sockaddr_storage big;
    memset(&big, 0, sizeof big);
    memcpy(&big, &a4, sizeof a4);
    say_ret("bind AF_INET in a long buffer", bind(s, (struct sockaddr *)&big, sizeof(struct sockaddr_in6)));
    struct sockaddr_in6 doc = six("2001:db8::1", 0);
    say_ret("bind 2001:db8::1", bind(s, (struct sockaddr *)&doc, sizeof doc));
    struct sockaddr_in6 a = six("::1", 0);
    say_ret("bind short", bind(s, (struct sockaddr *)&a, 23));
    say_ret("bind RFC 2133 length", bind(s, (struct sockaddr *)&a, 24));
    name("bound to ::1", s, -1);
    say_ret("bind again", bind(s, (struct sockaddr *)&a, sizeof a));
    int nodelay = 1;
    say_ret("TCP_NODELAY", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay));
    close(s);
    s = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 none = six("::1", 1);
    say_ret("connect to a closed port", connect(s, (struct sockaddr *)&none, sizeof none));
    close(s);
    int sv[2];
    say_ret("socketpair", socketpair(AF_INET6, SOCK_STREAM, 0, sv));
    say_ret("protocol 99", socket(AF_INET6, SOCK_STREAM, 99));
}

static void got(const char *what, int fd, int from_port) {
    char buf[32] = { 0 };
    struct sockaddr_storage s;
    socklen_t n = sizeof s;
    memset(&s, 0, sizeof s);
    ssize_t r = recvfrom(fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&s, &n);
    if (r < 0) {
        say("%s: -1 %s", what, ename(errno));
        return;
    }
    say("%s: %zd \"%s\"", what, r, buf);
    show("  from", &s, n, from_port);
}

static void case_udp(void) {
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 any = six("::", 0);
    say_ret("bind ::", bind(u6, (struct sockaddr *)&any, sizeof any));
    int port = port6(u6);
    int u4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a4 = four("127.0.0.1", 0);
    bind(u4, (struct sockaddr *)&a4, sizeof a4);
    struct sockaddr_in to4 = four("127.0.0.1", port);
    say_ret("IPv4 sendto", sendto(u4, "four", 4, 0, (struct sockaddr *)&to4, sizeof to4));
    sleep_ms(20);
    got("received", u6, port4(u4));
    struct sockaddr_in6 back = six("::ffff:127.0.0.1", port4(u4));
    say_ret("sendto v4-mapped", sendto(u6, "mapped", 6, 0, (struct sockaddr *)&back, sizeof back));
    sleep_ms(20);
    got("the IPv4 socket received", u4, port);
    int c6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 lo = six("::1", port);
    say_ret("sendto ::1", sendto(c6, "six", 3, 0, (struct sockaddr *)&lo, sizeof lo));
    sleep_ms(20);
    got("received", u6, port6(c6));
    say_ret("connect ::1", connect(c6, (struct sockaddr *)&lo, sizeof lo));
    say_ret("send", send(c6, "again", 5, 0));
    sleep_ms(20);
    got("received", u6, port6(c6));
    peer("connected to", c6, port);
    got("nothing more", u6, 0);
    close(c6);
    close(u4);
    close(u6);
}

static const struct dcase cases[] = {
    CASE(dual_stack), CASE(v6only), CASE(errors), CASE(udp), { 0, 0 },
};

int main(int argc, char **argv) { return run_cases(cases, argc, argv, 0); }
