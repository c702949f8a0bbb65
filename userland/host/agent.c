/*
 * agent: the guest agent of a Cyrius microVM (tools/cyrius-runtime starts
 * one VM per container). A host-world program: no libc, every call is one
 * of the kernel's host OCI-verb table (kernel/src/abi/host.rs). It serves
 * the control channel (a virtio-console) and moves the container's
 * standard streams between its pipes and the channel.
 *
 * Channel protocol, version 1 (ARCHITECTURE.md "The microVM runtime"):
 * frames of  u32 length (LE, of what follows) | u8 type | u32 stream (LE) | payload.
 *   'H' guest->host  hello, payload "cyrius-agent 1"
 *   'C' host->guest  request, stream = tag, payload = words separated by NUL:
 *        create ID BUNDLE | start ID H | exec ID H CWD ARGC ARGS... ENV... |
 *        kill ID SIG ALL | signal H SIG | state ID | ps ID | delete ID FORCE | ports | shutdown
 *        (ports: the TCP ports listened on in the guest, separated by spaces)
 *   'R' guest->host  reply to tag: "ok" [NUL value] or "err" NUL errno NUL verb
 *   'D' both ways    data of stream H*4+fd (fd 0 host->guest; 1 and 2 guest->host)
 *   'E' both ways    end of that stream
 *   'X' guest->host  process H ended, payload its $? in decimal
 */
#define HOST_WRITE 0
#define HOST_EXIT 1
#define HOST_START 3
#define HOST_STATE 4
#define HOST_KILL 5
#define HOST_DELETE 6
#define HOST_READ 7
#define HOST_CLOSE 8
#define HOST_PIPE 9
#define HOST_POLL 10
#define HOST_CHANNEL 11
#define HOST_CREATE_BUNDLE 12
#define HOST_EXEC 13
#define HOST_WAIT 14
#define HOST_PS 15
#define HOST_SIGNAL 16
#define HOST_PORTS 17

#define EAGAIN 11
#define EINTR 4
#define POLLIN 0x1
#define POLLOUT 0x4
#define NONBLOCK 1

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

static long host6(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return ret;
}

/* The compiler may call these for copies and zeroing even when freestanding. */
void *memcpy(void *d, const void *s, u64 n) { u8 *o = d; const u8 *i = s; while (n--) *o++ = *i++; return d; }
void *memmove(void *d, const void *s, u64 n) {
    u8 *o = d; const u8 *i = s;
    if (o < i) while (n--) *o++ = *i++;
    else { o += n; i += n; while (n--) *--o = *--i; }
    return d;
}
void *memset(void *d, int c, u64 n) { u8 *o = d; while (n--) *o++ = (u8)c; return d; }

static u64 slen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static int eq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
static long num(const char *s) {
    long v = 0, neg = 0;
    if (*s == '-') { neg = 1; s++; }
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}
static int fmt(char *out, long v) { /* decimal, returns length */
    char tmp[24]; int n = 0, len = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) out[len++] = '-';
    while (n) out[len++] = tmp[--n];
    return len;
}
static void say(const char *s) { host6(HOST_WRITE, 2, (long)s, (long)slen(s), 0, 0, 0); }

/* ---- the channel ---- */
static int chan_r, chan_w;
static u8 out_frame[9 + 65536];

/* Writes all of buf (the host always drains the channel, so this blocks briefly at most). */
static void write_all(int fd, const u8 *buf, u64 len) {
    while (len) {
        long n = host6(HOST_WRITE, fd, (long)buf, (long)len, 0, 0, 0);
        if (n == -EINTR) continue;
        if (n <= 0) { say("agent: channel write failed\n"); host6(HOST_EXIT, 3, 0, 0, 0, 0, 0); }
        buf += n; len -= (u64)n;
    }
}

static void send(u8 type, u32 stream, const void *payload, u32 len) {
    if (len > 65536) len = 65536;
    u32 total = 5 + len;
    out_frame[0] = (u8)total; out_frame[1] = (u8)(total >> 8); out_frame[2] = (u8)(total >> 16); out_frame[3] = (u8)(total >> 24);
    out_frame[4] = type;
    out_frame[5] = (u8)stream; out_frame[6] = (u8)(stream >> 8); out_frame[7] = (u8)(stream >> 16); out_frame[8] = (u8)(stream >> 24);
    memcpy(out_frame + 9, payload, len);
    write_all(chan_w, out_frame, 9 + len);
}

/* ---- processes ---- */
#define MAXPROC 64
#define STDIN_MAX (1 << 20)
struct proc {
    int used;
    u32 handle;
    long kpid;
    int in_w, out_r, err_r;    /* our ends; -1 when closed */
    int in_eof;                /* the host ended stdin: close once drained */
    u8 *in_buf; u32 in_len;    /* stdin bytes the pipe had no room for */
};
static struct proc procs[MAXPROC];
static u8 stdin_space[MAXPROC][4096];
static u8 io_buf[65536];

static struct proc *find_handle(u32 h) {
    for (int i = 0; i < MAXPROC; i++) if (procs[i].used && procs[i].handle == h) return &procs[i];
    return 0;
}

static void close_fd(int *fd) { if (*fd >= 0) { host6(HOST_CLOSE, *fd, 0, 0, 0, 0, 0); *fd = -1; } }

/* Pipes for a new process: fills stdio[3] with the process's ends, p with ours. */
static long make_pipes(struct proc *p, int stdio[3]) {
    int a[2], b[2], c[2];
    long r;
    if ((r = host6(HOST_PIPE, (long)a, 0, 0, 0, 0, 0)) < 0) return r;
    if ((r = host6(HOST_PIPE, (long)b, 0, 0, 0, 0, 0)) < 0) { close_fd(&a[0]); close_fd(&a[1]); return r; }
    if ((r = host6(HOST_PIPE, (long)c, 0, 0, 0, 0, 0)) < 0) { close_fd(&a[0]); close_fd(&a[1]); close_fd(&b[0]); close_fd(&b[1]); return r; }
    stdio[0] = a[0]; stdio[1] = b[1]; stdio[2] = c[1];
    p->in_w = a[1]; p->out_r = b[0]; p->err_r = c[0];
    return 0;
}

static struct proc *new_proc(u32 handle) {
    for (int i = 0; i < MAXPROC; i++) {
        if (!procs[i].used) {
            struct proc *p = &procs[i];
            memset(p, 0, sizeof *p);
            p->used = 1; p->handle = handle; p->in_w = p->out_r = p->err_r = -1;
            p->in_buf = stdin_space[i];
            return p;
        }
    }
    return 0;
}

/* Forwards what a process wrote on fd (1 or 2); at end of file closes it. */
static void pump_out(struct proc *p, int *fd, int which, int nonblock) {
    while (*fd >= 0) {
        long n = host6(HOST_READ, *fd, (long)io_buf, sizeof io_buf, nonblock ? NONBLOCK : 0, 0, 0);
        if (n == -EINTR) continue;
        if (n == -EAGAIN) return;
        if (n <= 0) { close_fd(fd); send('E', p->handle * 4 + which, "", 0); return; }
        send('D', p->handle * 4 + which, io_buf, (u32)n);
        if (!nonblock) return;
    }
}

/* Writes pending stdin bytes the pipe has room for; closes it after the host's end. */
static void pump_in(struct proc *p) {
    while (p->in_w >= 0 && p->in_len) {
        long n = host6(HOST_WRITE, p->in_w, (long)p->in_buf, p->in_len, NONBLOCK, 0, 0);
        if (n == -EINTR) continue;
        if (n == -EAGAIN) return;
        if (n < 0) { p->in_len = 0; close_fd(&p->in_w); return; } /* the reader is gone (EPIPE) */
        memmove(p->in_buf, p->in_buf + n, p->in_len - (u32)n);
        p->in_len -= (u32)n;
    }
    if (p->in_eof && !p->in_len) close_fd(&p->in_w);
}

static void stdin_data(u32 handle, const u8 *data, u32 len, int end) {
    struct proc *p = find_handle(handle);
    if (!p || p->in_w < 0) return;
    if (end) { p->in_eof = 1; pump_in(p); return; }
    while (len) {
        /* The spare buffer is small: write straight away what fits, keep the rest. */
        u32 room = 4096 - p->in_len;
        u32 take = len < room ? len : room;
        memcpy(p->in_buf + p->in_len, data, take);
        p->in_len += take; data += take; len -= take;
        pump_in(p);
        if (len && p->in_len == 4096) {
            /* The process does not read: block on it (the channel waits too). */
            long n = host6(HOST_WRITE, p->in_w, (long)p->in_buf, p->in_len, 0, 0, 0);
            if (n < 0) { p->in_len = 0; close_fd(&p->in_w); return; }
            memmove(p->in_buf, p->in_buf + n, p->in_len - (u32)n);
            p->in_len -= (u32)n;
        }
    }
}

/* A process ended: what it wrote last, the ends of its streams, its status. */
static void finish(struct proc *p, long status) {
    pump_out(p, &p->out_r, 1, 1);
    pump_out(p, &p->err_r, 2, 1);
    if (p->out_r >= 0) { close_fd(&p->out_r); send('E', p->handle * 4 + 1, "", 0); }
    if (p->err_r >= 0) { close_fd(&p->err_r); send('E', p->handle * 4 + 2, "", 0); }
    close_fd(&p->in_w);
    char text[24];
    int n = fmt(text, status);
    send('X', p->handle, text, (u32)n);
    p->used = 0;
}

/* ---- requests ---- */
#define MAXWORDS 4096
static char *words[MAXWORDS];
static u8 reply_buf[65536];
static int running = 1;

static void reply_ok(u32 tag, const char *value, u64 len) {
    memcpy(reply_buf, "ok", 2);
    u64 n = 2;
    if (value) { reply_buf[n++] = 0; if (len > sizeof reply_buf - 3) len = sizeof reply_buf - 3; memcpy(reply_buf + n, value, len); n += len; }
    send('R', tag, reply_buf, (u32)n);
}

static void reply_err(u32 tag, long err, const char *verb) {
    u64 n = 0;
    memcpy(reply_buf, "err", 4); n = 4;
    n += (u64)fmt((char *)reply_buf + n, -err); reply_buf[n++] = 0;
    u64 v = slen(verb); memcpy(reply_buf + n, verb, v); n += v;
    send('R', tag, reply_buf, (u32)n);
}

static void request(u32 tag, u8 *payload, u32 len) {
    /* Split into NUL-terminated words (the payload has no final NUL: add it). */
    static char text[65536 + 1];
    int nw = 0;
    if (len > 65536) len = 65536;
    memcpy(text, payload, len);
    text[len] = 0;
    words[nw++] = text;
    for (u32 i = 0; i < len && nw < MAXWORDS; i++) if (!text[i]) words[nw++] = text + i + 1;
    const char *verb = words[0];
    const char *id = nw > 1 ? words[1] : "";
    long idl = (long)slen(id);
    long r;
    if (eq(verb, "create") && nw == 3) {
        r = host6(HOST_CREATE_BUNDLE, (long)id, idl, (long)words[2], (long)slen(words[2]), 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, 0, 0);
    } else if ((eq(verb, "start") && nw == 3) || (eq(verb, "exec") && nw >= 6)) {
        u32 handle = (u32)num(words[2]);
        struct proc *p = find_handle(handle) ? 0 : new_proc(handle);
        int stdio[3];
        if (!p) { reply_err(tag, -16, verb); return; }
        if ((r = make_pipes(p, stdio)) < 0) { p->used = 0; reply_err(tag, r, verb); return; }
        if (eq(verb, "start")) {
            r = host6(HOST_START, (long)id, idl, (long)stdio, 0, 0, 0);
        } else {
            /* words[3..] are already "cwd\0argc\0args...\0env...\0" in text. */
            char *spec = words[3];
            long speclen = (long)(text + len - spec) + 1;
            r = host6(HOST_EXEC, (long)id, idl, (long)spec, speclen, (long)stdio, 0);
        }
        close_fd(&stdio[0]); close_fd(&stdio[1]); close_fd(&stdio[2]);
        if (r < 0) {
            close_fd(&p->in_w); close_fd(&p->out_r); close_fd(&p->err_r);
            p->used = 0;
            reply_err(tag, r, verb);
            return;
        }
        p->kpid = r;
        char pid[24];
        reply_ok(tag, pid, (u64)fmt(pid, r));
    } else if (eq(verb, "kill") && nw == 4) {
        r = host6(HOST_KILL, (long)id, idl, num(words[2]), num(words[3]), 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, 0, 0);
    } else if (eq(verb, "signal") && nw == 3) {
        struct proc *p = find_handle((u32)num(words[1]));
        r = p ? host6(HOST_SIGNAL, p->kpid, num(words[2]), 0, 0, 0, 0) : -3;
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, 0, 0);
    } else if (eq(verb, "state") && nw == 2) {
        r = host6(HOST_STATE, (long)id, idl, (long)io_buf, sizeof io_buf, 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, (const char *)io_buf, (u64)r);
    } else if (eq(verb, "ps") && nw == 2) {
        r = host6(HOST_PS, (long)id, idl, (long)io_buf, sizeof io_buf, 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, (const char *)io_buf, (u64)r);
    } else if (eq(verb, "delete") && nw == 3) {
        r = host6(HOST_DELETE, (long)id, idl, num(words[2]), 0, 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, 0, 0);
    } else if (eq(verb, "ports") && nw == 1) {
        r = host6(HOST_PORTS, (long)io_buf, sizeof io_buf, 0, 0, 0, 0);
        if (r < 0) reply_err(tag, r, verb); else reply_ok(tag, (const char *)io_buf, (u64)r);
    } else if (eq(verb, "shutdown")) {
        reply_ok(tag, 0, 0);
        running = 0;
    } else {
        reply_err(tag, -22, verb);
    }
}

/* ---- the loop ---- */
static u8 in_buf[1 << 18];
static u32 in_len;

/* Handles every complete frame in in_buf. */
static void frames(void) {
    u32 at = 0;
    while (in_len - at >= 9) {
        u8 *f = in_buf + at;
        u32 total = (u32)f[0] | (u32)f[1] << 8 | (u32)f[2] << 16 | (u32)f[3] << 24;
        if (total < 5 || total > 5 + 65536) { say("agent: bad frame from the host\n"); host6(HOST_EXIT, 4, 0, 0, 0, 0, 0); }
        if (in_len - at < 4 + total) break;
        u8 type = f[4];
        u32 stream = (u32)f[5] | (u32)f[6] << 8 | (u32)f[7] << 16 | (u32)f[8] << 24;
        u8 *payload = f + 9;
        u32 len = total - 5;
        if (type == 'C') request(stream, payload, len);
        else if (type == 'D' && stream % 4 == 0) stdin_data(stream / 4, payload, len, 0);
        else if (type == 'E' && stream % 4 == 0) stdin_data(stream / 4, payload, 0, 1);
        at += 4 + total;
    }
    memmove(in_buf, in_buf + at, in_len - at);
    in_len -= at;
}

struct pollfd { int fd; short events; short revents; };

static int run(void) {
    int ch[2];
    long r = host6(HOST_CHANNEL, 0, (long)ch, 0, 0, 0, 0);
    if (r < 0) { say("agent: no control channel\n"); return 2; }
    chan_r = ch[0]; chan_w = ch[1];
    send('H', 0, "cyrius-agent 1", 14);
    static struct pollfd pfd[1 + 3 * MAXPROC];
    static u32 pids[MAXPROC];
    while (running) {
        int n = 0, np = 0;
        pfd[n].fd = chan_r; pfd[n].events = POLLIN; pfd[n].revents = 0; n++;
        for (int i = 0; i < MAXPROC; i++) {
            struct proc *p = &procs[i];
            if (!p->used) continue;
            if (p->out_r >= 0) { pfd[n].fd = p->out_r; pfd[n].events = POLLIN; n++; }
            if (p->err_r >= 0) { pfd[n].fd = p->err_r; pfd[n].events = POLLIN; n++; }
            if (p->in_w >= 0 && p->in_len) { pfd[n].fd = p->in_w; pfd[n].events = POLLOUT; n++; }
            if (p->kpid > 0) pids[np++] = (u32)p->kpid;
        }
        r = host6(HOST_POLL, (long)pfd, n, -1, (long)pids, np, 0);
        if (r < 0 && r != -EINTR) { say("agent: poll failed\n"); return 3; }
        if (pfd[0].revents) {
            long got = host6(HOST_READ, chan_r, (long)(in_buf + in_len), (long)(sizeof in_buf - in_len), 0, 0, 0);
            if (got == 0) return 0; /* the host closed the channel */
            if (got > 0) { in_len += (u32)got; frames(); }
        }
        for (int i = 0; i < MAXPROC; i++) {
            struct proc *p = &procs[i];
            if (!p->used) continue;
            pump_out(p, &p->out_r, 1, 1);
            pump_out(p, &p->err_r, 2, 1);
            pump_in(p);
            if (p->kpid > 0) {
                long st = host6(HOST_WAIT, p->kpid, 0, 0, 0, 0, 0);
                if (st >= 0) finish(p, st);
            }
        }
    }
    return 0;
}

void agent_main(long *sp) {
    (void)sp;
    host6(HOST_EXIT, run(), 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call agent_main\n ud2\n");
