/*
 * fuzz: a seeded syscall fuzzer for Cyrius, run inside a container.
 *
 *   fuzz [-s SEED] [-n CALLS] [-j CHILDREN] [-c CALLS_PER_CHILD] [-t NR,...] [-q]
 *
 * -t limits the calls to the numbers listed (to narrow a finding down).
 *
 * The parent only supervises: it forks CHILDREN workers (default 4) and
 * re-forks each one as it dies or finishes its share, until CALLS system
 * calls were made in total. Each worker makes its own objects (files,
 * directories, pipes, TCP/UDP/UNIX sockets, epoll, eventfd, /proc and /dev
 * files, the terminal), then issues random system call numbers over the
 * whole table and beyond (huge, negative, x32-flagged) with arguments that
 * hurt: valid buffers, NULL, kernel-half, non-canonical, unmapped,
 * misaligned and read-only addresses, huge and negative lengths, random fds
 * and flags. A worker's calls are a pure function of (seed, slot, generation);
 * only the interleaving of workers depends on scheduling.
 *
 * Kept out, because they would only end or blind the run (not the kernel):
 * exit/exit_group; reboot; kill/tgkill/sigqueue aimed at pid <= 0 or the
 * parent; memory calls (munmap, mprotect, mremap, MAP_FIXED...) outside the
 * worker's own arena; execve of an executable; writes to the terminal (they
 * would drown the console). fork/vfork/clone/clone3 run through a stub whose
 * child exits at once, whatever its flags and stack. Calls that block are cut
 * by a 50 ms interval timer; a worker that makes no progress for 2 s is killed
 * with SIGKILL, and one that does not die 5 s later is a HANG (a kernel bug).
 *
 * Output: progress lines, then one summary line:
 *   fuzz: done: seed S, N calls (E errors), W workers (D died by signal,
 *   K killed stuck), hangs H
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define NR_MAX 460
#define STUCK_MS 2000
#define UNKILLABLE_MS 5000

/* ---- shared state (parent <-> workers) ---- */

struct slot {
    volatile long calls;    /* calls this worker made */
    volatile long nr;       /* the call in progress (or last) */
    volatile long since_ms; /* when the current call started */
    volatile int in_call;
};

struct shared {
    struct slot slot[MAX_WORKERS];
    volatile long errors;
    volatile unsigned long enosys[(NR_MAX + 64) / 64];
};

static struct shared *sh;

/* ---- random numbers: splitmix64 ---- */

static uint64_t rng;

static uint64_t next(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }
static int chance(int one_in) { return below(one_in) == 0; }

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1) n = sizeof line - 1;
    if (n > 0) (void)!write(1, line, n);
}

/* ---- the worker's world ---- */

#define SCRATCH (64 * 1024)
#define ARENA (4 * 1024 * 1024)
#define PAGE 4096

static char *scratch;     /* RW, followed by a PROT_NONE guard page */
static char *ro_page;     /* PROT_READ */
static char *arena;       /* where memory calls may act */
static char *structs;     /* plausible structures (inside scratch) */
static int fds[48];
static int nfds;
static int tty_fd = -1;
static pid_t parent_pid;
static char paths[40][320];
static int npaths;
static char dir[64];
static struct sockaddr_in tcp_addr, udp_addr;
static struct sockaddr_un unix_addr;

static void add_fd(int fd) {
    if (fd >= 0 && nfds < (int)(sizeof fds / sizeof fds[0])) fds[nfds++] = fd;
}

static void add_path(const char *p) {
    if (npaths < (int)(sizeof paths / sizeof paths[0])) {
        strncpy(paths[npaths], p, sizeof paths[0] - 1);
        npaths++;
    }
}

static void on_alarm(int sig) { (void)sig; }

/* Files, directories, pipes, sockets, epoll, /proc, /dev, the terminal. */
static void make_world(int slot) {
    snprintf(dir, sizeof dir, "/tmp/fz%d", slot);
    mkdir("/tmp", 01777);
    mkdir(dir, 0755);
    char p[128];
    snprintf(p, sizeof p, "%s/file", dir);
    int f = open(p, O_RDWR | O_CREAT, 0644);
    if (f >= 0) (void)!write(f, "some file contents\n", 19);
    add_fd(f);
    add_path(p);
    snprintf(p, sizeof p, "%s/dir", dir);
    mkdir(p, 0755);
    add_fd(open(p, O_RDONLY | O_DIRECTORY));
    add_path(p);
    snprintf(p, sizeof p, "%s/dir/sub", dir);
    mkdir(p, 0700);
    add_path(p);
    snprintf(p, sizeof p, "%s/link", dir);
    symlink("file", p);
    add_path(p);
    snprintf(p, sizeof p, "%s/new", dir);
    add_path(p);
    snprintf(p, sizeof p, "%s/dir/../file", dir);
    add_path(p);
    const char *fixed[] = {"/proc/self/status", "/proc/self/maps", "/proc/self/stat", "/proc/self/fd",
                           "/proc/self/cmdline", "/proc/meminfo", "/proc/1/status", "/proc/uptime",
                           "/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/etc/passwd", "/",
                           ".", "..", "", "/nonexistent/x", "/tmp", "/proc/self/cwd", "/proc/self/root/tmp",
                           "/dev", "/proc/self/fd/0", "/proc"};
    for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) add_path(fixed[i]);
    char longname[310] = "/tmp/"; /* a name longer than NAME_MAX */
    memset(longname + 5, 'a', 300);
    longname[305] = 0;
    add_path(longname);
    char deep[320] = "/tmp";
    for (int i = 0; i < 60; i++) strcat(deep, "/x");
    add_path(deep);
    add_path("/tmp/\xff\xfe\x01 odd");

    const char *files[] = {"/proc/self/status", "/proc/meminfo", "/proc/self/maps", "/dev/null",
                           "/dev/zero", "/dev/full", "/dev/urandom", "/proc"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) add_fd(open(files[i], O_RDONLY));
    add_fd(open("/dev/null", O_RDWR));
    int pp[2];
    if (pipe(pp) == 0) { add_fd(pp[0]); add_fd(pp[1]); }
    if (pipe2(pp, O_NONBLOCK) == 0) { add_fd(pp[0]); add_fd(pp[1]); }
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0) { add_fd(sp[0]); add_fd(sp[1]); }
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0) { add_fd(sp[0]); add_fd(sp[1]); }
    int t = socket(AF_INET, SOCK_STREAM, 0);
    memset(&tcp_addr, 0, sizeof tcp_addr);
    tcp_addr.sin_family = AF_INET;
    tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tcp_addr.sin_port = htons(20000 + slot);
    if (t >= 0) {
        int one = 1;
        setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        bind(t, (struct sockaddr *)&tcp_addr, sizeof tcp_addr);
        listen(t, 4);
    }
    add_fd(t);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c >= 0) connect(c, (struct sockaddr *)&tcp_addr, sizeof tcp_addr);
    add_fd(c);
    add_fd(socket(AF_INET, SOCK_STREAM, 0));
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    udp_addr = tcp_addr;
    udp_addr.sin_port = htons(21000 + slot);
    if (u >= 0) bind(u, (struct sockaddr *)&udp_addr, sizeof udp_addr);
    add_fd(u);
    int un = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&unix_addr, 0, sizeof unix_addr);
    unix_addr.sun_family = AF_UNIX;
    snprintf(unix_addr.sun_path, sizeof unix_addr.sun_path, "%s/sock", dir);
    unlink(unix_addr.sun_path);
    if (un >= 0) {
        bind(un, (struct sockaddr *)&unix_addr, sizeof unix_addr);
        listen(un, 4);
    }
    add_fd(un);
    add_fd(socket(AF_UNIX, SOCK_DGRAM, 0));
    int ep = epoll_create1(0);
    if (ep >= 0) {
        for (int i = 0; i < nfds; i += 3) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = i};
            epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        }
    }
    add_fd(ep);
    add_fd((int)syscall(SYS_eventfd2, 0, 0));
    tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (tty_fd < 0) tty_fd = open("/dev/console", O_RDWR | O_NOCTTY | O_NONBLOCK);
    add_fd(tty_fd);
}

/* Buffers and structures the pointer arguments name. */
static void make_memory(void) {
    scratch = mmap(0, SCRATCH + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED) _exit(3);
    mprotect(scratch + SCRATCH, PAGE, PROT_NONE);
    ro_page = mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    arena = mmap(0, ARENA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro_page == MAP_FAILED || arena == MAP_FAILED) _exit(3);
    mprotect(arena, ARENA / 2, PROT_READ | PROT_WRITE);
    structs = scratch + SCRATCH - 8192;
}

/* Plausible contents at `structs`: iovecs, addresses, times, sets. */
static void fill_structs(void) {
    char *s = structs;
    struct iovec { void *base; size_t len; } *iov = (void *)s;
    for (int i = 0; i < 8; i++) {
        switch (below(4)) {
        case 0: iov[i].base = scratch + below(SCRATCH / 2); iov[i].len = below(4096); break;
        case 1: iov[i].base = NULL; iov[i].len = below(64); break;
        case 2: iov[i].base = (void *)0xffff800000001000ull; iov[i].len = 16; break;
        default: iov[i].base = scratch; iov[i].len = next(); break;
        }
    }
    /* +256: sockaddrs, +512: timespec, +576: sigset, +640: msghdr, +1024: epoll events, +2048: random */
    switch (below(3)) {
    case 0: memcpy(s + 256, &tcp_addr, sizeof tcp_addr); break;
    case 1: memcpy(s + 256, &udp_addr, sizeof udp_addr); break;
    default: memcpy(s + 256, &unix_addr, sizeof unix_addr); break;
    }
    long *ts = (long *)(s + 512);
    ts[0] = chance(4) ? (long)next() : 0;
    ts[1] = chance(4) ? (long)next() : (long)below(2000000);
    ts[2] = 0;
    ts[3] = 1000;
    uint64_t *set = (uint64_t *)(s + 576);
    set[0] = chance(2) ? 0 : next() & ~(1ull << (SIGALRM - 1));
    struct { void *name; uint32_t namelen; void *iov; size_t iovlen; void *ctl; size_t ctllen; int flags; } *mh = (void *)(s + 640);
    mh->name = chance(2) ? (void *)(s + 256) : (void *)next();
    mh->namelen = chance(2) ? 16 : (uint32_t)next();
    mh->iov = chance(4) ? (void *)next() : (void *)iov;
    mh->iovlen = below(10);
    mh->ctl = chance(2) ? NULL : (void *)(s + 2048);
    mh->ctllen = below(512);
    for (int i = 2048; i < 8192 - 8; i += 8) *(uint64_t *)(s + i) = chance(3) ? below(256) : next();
}

/* ---- argument shapes ---- */

static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511, 512, 1023, 1024, 4095, 4096, 4097, 65535,
    65536, 0x7fffffff, 0x80000000ull, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xffffffffffffffffull, 0xfffffffffffffffeull, 0xffffffffffff0000ull, (uint64_t)-4096, (uint64_t)-4095};

static uint64_t any_int(void) {
    switch (below(6)) {
    case 0: return below(16);
    case 1: return interesting[below(sizeof interesting / sizeof interesting[0])];
    case 2: return (uint32_t)next();
    case 3: return next();
    case 4: return 1ull << below(64);
    default: return next() & next() & 0xffffffff; /* sparse flag bits */
    }
}

static uint64_t bad_address(void) {
    switch (below(7)) {
    case 0: return 0;
    case 1: return below(0x10000);                                   /* low, unmapped */
    case 2: return 0xffff800000000000ull + (below(1 << 20) << 12);   /* kernel half */
    case 3: return 0xffffffff80000000ull + below(1 << 24);           /* kernel image */
    case 4: return 0x0000800000000000ull + below(1ull << 40);        /* non-canonical */
    case 5: return 0x8000000000000000ull ^ (next() & 0x7fff000000000000ull); /* non-canonical, high */
    default: return 0x00007ffffffff000ull + below(0x1000);           /* top of the user half */
    }
}

static uint64_t pointer(void) {
    switch (below(12)) {
    case 0: case 1: case 2: return (uint64_t)(scratch + below(SCRATCH - 8192));
    case 3: return (uint64_t)scratch;
    case 4: return (uint64_t)(structs + 8 * below(1024));
    case 5: return (uint64_t)(scratch + SCRATCH - below(64));        /* runs into the guard page */
    case 6: return (uint64_t)(scratch + 1 + below(7));               /* misaligned */
    case 7: return (uint64_t)(ro_page + below(PAGE));                /* read-only */
    case 8: return (uint64_t)(arena + ARENA / 2 + below(ARENA / 2)); /* PROT_NONE */
    case 9: return (uint64_t)paths[below(npaths)];
    default: return bad_address();
    }
}

static uint64_t length(void) {
    switch (below(8)) {
    case 0: return 0;
    case 1: return below(16);
    case 2: return below(4097);
    case 3: return below(SCRATCH);
    case 4: return interesting[below(sizeof interesting / sizeof interesting[0])];
    case 5: return (uint64_t)-1 - below(16);
    case 6: return 1ull << (20 + below(40));
    default: return next();
    }
}

static uint64_t fd(void) {
    switch (below(8)) {
    case 0: return below(nfds + 8);
    case 1: return (uint64_t)(int)any_int();
    case 2: return (uint64_t)-100; /* AT_FDCWD */
    default: return nfds ? (uint64_t)fds[below(nfds)] : 0;
    }
}

static uint64_t mem_address(void) {
    switch (below(6)) {
    case 0: case 1: return (uint64_t)(arena + (below(ARENA / PAGE) * PAGE));
    case 2: return (uint64_t)(arena + below(ARENA));
    case 3: return 0;
    default: return bad_address();
    }
}

static uint64_t anything(void) {
    switch (below(5)) {
    case 0: return pointer();
    case 1: return fd();
    case 2: return length();
    default: return any_int();
    }
}

/* Argument kinds per call number: f fd, p path, b buffer/struct, n length,
 * i int/flags, m memory-call address, P pid, s signal, x anything. */
struct hint { short nr; const char *args; };
static const struct hint hints[] = {
    {0, "fbn"}, {1, "fbn"}, {2, "pii"}, {3, "f"}, {4, "pb"}, {5, "fb"}, {6, "pb"}, {7, "bni"}, {8, "fii"},
    {9, "mniifi"}, {10, "mni"}, {11, "mn"}, {12, "m"}, {13, "sbbn"}, {14, "ibbn"}, {16, "fix"}, {17, "fbni"},
    {18, "fbni"}, {19, "fbn"}, {20, "fbn"}, {21, "pi"}, {22, "b"}, {23, "nbbbb"}, {25, "mnnim"}, {26, "mni"},
    {27, "mnb"}, {28, "mni"}, {29, "iii"}, {30, "imi"}, {31, "iib"}, {32, "f"}, {33, "ff"}, {35, "bb"},
    {36, "ib"}, {37, "i"}, {38, "ibb"}, {40, "ffbn"}, {41, "iii"}, {42, "fbn"}, {43, "fbb"}, {44, "fbnibn"},
    {45, "fbnibb"}, {46, "fbi"}, {47, "fbi"}, {48, "fi"}, {49, "fbn"}, {50, "fi"}, {51, "fbb"}, {52, "fbb"},
    {53, "iiib"}, {54, "fiibn"}, {55, "fiibb"}, {59, "pbb"}, {61, "Pbib"}, {62, "Ps"}, {63, "b"}, {64, "iii"},
    {65, "ibn"}, {66, "iiix"}, {67, "m"}, {68, "ii"}, {69, "ibni"}, {70, "ibnii"}, {71, "iib"}, {72, "fix"},
    {73, "fi"}, {74, "f"}, {75, "f"}, {76, "pn"}, {77, "fn"}, {78, "fbn"}, {79, "bn"}, {80, "p"}, {81, "f"},
    {82, "pp"}, {83, "pi"}, {84, "p"}, {85, "pi"}, {86, "pp"}, {87, "p"}, {88, "pp"}, {89, "pbn"}, {90, "pi"},
    {91, "fi"}, {92, "pii"}, {93, "fii"}, {94, "pii"}, {95, "i"}, {96, "bb"}, {97, "ib"}, {98, "ib"}, {99, "b"},
    {100, "b"}, {101, "iPbb"}, {105, "i"}, {106, "i"}, {109, "Pi"}, {115, "nb"}, {116, "nb"}, {117, "iii"},
    {118, "bbb"}, {119, "iii"}, {120, "bbb"}, {121, "P"}, {124, "P"}, {125, "bb"}, {126, "bb"}, {127, "bn"},
    {128, "bbbn"}, {129, "Psb"}, {130, "bn"}, {131, "bb"}, {132, "pb"}, {133, "pii"}, {135, "i"}, {137, "pb"},
    {138, "fb"}, {140, "iP"}, {141, "iPi"}, {142, "Pb"}, {143, "Pb"}, {144, "Pib"}, {145, "P"}, {146, "i"},
    {147, "i"}, {148, "Pb"}, {149, "mn"}, {150, "mn"}, {151, "i"}, {157, "iiiii"}, {158, "ix"}, {160, "ib"},
    {161, "p"}, {165, "ppiib"}, {166, "pi"}, {170, "bn"}, {171, "bn"}, {200, "Ps"}, {201, "b"}, {202, "bibbbi"},
    {203, "Pnb"}, {204, "Pnb"}, {213, "i"}, {216, "mniii"}, {217, "fbn"}, {218, "b"}, {221, "fnni"}, {228, "ib"},
    {229, "ib"}, {230, "iibb"}, {232, "fbni"}, {233, "fifb"}, {234, "PPs"}, {235, "pb"}, {247, "iPbib"},
    {253, "i"}, {254, "fpi"}, {255, "fi"}, {257, "fpii"}, {258, "fpi"}, {259, "fpii"}, {260, "fpiii"},
    {262, "fpbi"}, {263, "fpi"}, {264, "fpfp"}, {265, "fpfpi"}, {266, "pfp"}, {267, "fpbn"}, {268, "fpi"},
    {269, "fpi"}, {270, "nbbbbb"}, {271, "bnbbn"}, {273, "bn"}, {274, "Pbb"}, {275, "fbfbni"}, {276, "ffni"},
    {277, "fnni"}, {278, "fbni"}, {280, "fpbi"}, {281, "fbnibn"}, {282, "fbni"}, {283, "ii"}, {284, "ii"},
    {285, "finn"}, {286, "fibb"}, {287, "fb"}, {288, "fbbi"}, {289, "fbni"}, {290, "ii"}, {291, "i"},
    {292, "ffi"}, {293, "bi"}, {294, "i"}, {295, "fbnii"}, {296, "fbnii"}, {297, "PPsb"}, {299, "fbnib"},
    {302, "Pibb"}, {306, "f"}, {307, "fbni"}, {308, "fi"}, {309, "bbb"}, {310, "Pbnbni"}, {311, "Pbnbni"},
    {316, "fpfpi"}, {317, "iib"}, {318, "bni"}, {319, "pi"}, {322, "fpbbi"}, {324, "ii"}, {325, "mni"},
    {326, "fbfbni"}, {327, "fbniii"}, {328, "fbniii"}, {329, "mnii"}, {332, "fpiib"}, {334, "bnii"},
    {424, "fsbi"}, {425, "ib"}, {434, "Pi"}, {436, "iii"}, {437, "fpbn"}, {439, "fpii"}, {441, "fbnibn"},
};

static const char *hint_for(long nr) {
    for (unsigned i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (hints[i].nr == nr) return hints[i].args;
    return "xxxxxx";
}

/* Calls whose fd arguments are written to, or copied to another fd number
 * (the terminal is kept out of both). */
static int writes_to_fd(long nr) {
    switch (nr) {
    case 1: case 18: case 20: case 40: case 44: case 46: case 275: case 276: case 278: case 296: case 307:
    case 326: case 328: case 32: case 33: case 292: case 72: case 438:
        return 1;
    }
    return 0;
}

static int is_memory_call(long nr) {
    switch (nr) {
    case 9: case 10: case 11: case 12: case 25: case 26: case 27: case 28: case 30: case 67: case 149:
    case 150: case 216: case 325: case 329:
        return 1;
    }
    return 0;
}

/* The number the kernel acts on: the low 32 bits (Linux takes an int). */
static long effective(long nr) { return (long)(uint32_t)nr; }

/* -t: only these numbers (for narrowing a finding down). */
static long only[64];
static int nonly;

/* The number of the next call: mostly the table, sometimes beyond it. */
static long pick_nr(void) {
    if (nonly) return only[below(nonly)];
    for (;;) {
        long nr;
        switch (below(16)) {
        case 0: nr = NR_MAX + (long)below(1000); break;
        case 1: nr = (long)any_int(); break;
        case 2: nr = 0x40000000L + (long)below(NR_MAX + 100); break; /* the x32 flag */
        case 3: nr = -1 - (long)below(4); break;
        case 4: nr = (long)below(NR_MAX) | (long)(next() << 32); break; /* upper half set */
        default: nr = (long)below(NR_MAX); break;
        }
        switch (effective(nr)) {
        case 60: case 231: /* exit, exit_group */
        case 169:          /* reboot */
            continue;
        }
        return nr;
    }
}

/* fork/vfork/clone/clone3: the child exits at once, touching no memory
 * (its stack may be anything). Returns the parent's result. */
static long raw_fork_like(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
    long ret;
    register uint64_t r10 __asm__("r10") = d;
    register uint64_t r8 __asm__("r8") = e;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "mov $60, %%eax\n\t"
        "xor %%edi, %%edi\n\t"
        "syscall\n\t"
        "1:"
        : "=a"(ret)
        : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
        : "rcx", "r11", "memory");
    return ret;
}

static long raw_syscall(long nr, uint64_t *a) {
    long ret;
    register uint64_t r10 __asm__("r10") = a[3];
    register uint64_t r8 __asm__("r8") = a[4];
    register uint64_t r9 __asm__("r9") = a[5];
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* A pid a signal may go to: not a group, not everyone, not the parent. */
static uint64_t sane_pid(uint64_t v) {
    long p = (long)(int)v;
    if (p <= 1 || p == parent_pid) return (uint64_t)getpid();
    return v;
}

static void one_call(struct slot *me) {
    long raw = pick_nr();
    long nr = effective(raw); /* what every filter below looks at */
    const char *h = (nr >= 0 && nr < NR_MAX) ? hint_for(nr) : "xxxxxx";
    uint64_t a[6];
    char kinds[6];
    int mm = is_memory_call(nr);
    for (int i = 0; i < 6; i++) {
        char k = (int)strlen(h) > i ? h[i] : 'x';
        if (k != 'm' && k != 'P' && chance(8)) k = 'x';
        switch (k) {
        case 'f': a[i] = fd(); break;
        case 'p': a[i] = chance(8) ? pointer() : (uint64_t)paths[below(npaths)]; break;
        case 'b': a[i] = chance(3) ? (uint64_t)(structs + 8 * below(256)) : pointer(); break;
        case 'n': a[i] = length(); break;
        case 'm': a[i] = mem_address(); break;
        case 'P': a[i] = chance(2) ? (uint64_t)getpid() : any_int(); break;
        case 's': a[i] = below(70); break;
        case 'i': a[i] = any_int(); break;
        default: a[i] = anything(); break;
        }
        kinds[i] = k;
        if (k == 'P' || k == 's') continue;
        if (mm && (k == 'x' || k == 'b' || k == 'p') && a[i] >= (uint64_t)0x1000 && a[i] < 0x800000000000ull)
            a[i] = mem_address(); /* no random user address reaches a memory call */
    }
    /* Keep the parent and the run alive (see the head comment). */
    switch (nr) {
    case 62: case 129: case 200: a[0] = sane_pid(a[0]); break;
    case 234: case 297: a[0] = sane_pid(a[0]); a[1] = sane_pid(a[1]); break;
    case 61: case 247: case 101: case 109: case 121: case 124: case 141: case 142: case 143: case 144:
    case 145: case 148: case 203: case 204: case 274: case 302: case 310: case 311: case 434:
        for (int i = 0; i < 6; i++)
            if ((long)(int)a[i] == parent_pid || (long)(int)a[i] == 1) a[i] = (uint64_t)getpid();
        break;
    case 13: /* rt_sigaction: our interval timer's signal stays ours */
        if (a[0] == SIGALRM) a[0] = SIGUSR1;
        break;
    case 9: /* mmap: MAP_FIXED only inside the arena */
        if (a[3] & 0x10 || a[3] & 0x100000) a[0] = (uint64_t)(arena + below(ARENA / PAGE) * PAGE);
        break;
    case 11: case 10: case 25: case 28: case 149: case 150: case 26: case 27: case 329:
        /* lengths stay inside the arena unless the address is not the arena's */
        if (a[0] >= (uint64_t)arena && a[0] < (uint64_t)arena + ARENA && !chance(256)) {
            uint64_t room = (uint64_t)arena + ARENA - a[0];
            if (a[1] > room) a[1] = below(room + 1);
            if (nr == 25 && a[2] > room) a[2] = below(room + 1);
        }
        if (nr == 25 && (a[3] & 2)) a[4] = (uint64_t)(arena + below(ARENA / PAGE) * PAGE);
        break;
    case 59: case 322: /* execve: never of ourselves or another executable */
        if (nr == 59 && a[0] >= (uint64_t)scratch && a[0] < (uint64_t)scratch + SCRATCH) a[0] = 0;
        break;
    }
    if (tty_fd >= 0 && writes_to_fd(nr)) {
        for (int i = 0; i < 6; i++)
            if ((kinds[i] == 'f' || kinds[i] == 'x') && (int)a[i] == tty_fd) a[i] = (uint64_t)fds[0];
    }
    if (nr == 16 && (uint32_t)a[1] == 0x5412) a[1] = 0x5413; /* TIOCSTI: would type into the console */
    if (chance(16)) fill_structs();
    me->nr = raw;
    me->since_ms = now_ms();
    me->in_call = 1;
    long ret;
    switch (nr) {
    case 56: case 57: case 58: case 435:
        ret = raw_fork_like(raw, a[0], a[1], a[2], a[3], a[4]);
        if (ret > 0) waitpid((pid_t)ret, NULL, __WALL | WNOHANG);
        break;
    default:
        ret = raw_syscall(raw, a);
    }
    me->in_call = 0;
    me->calls++;
    if (ret < 0 && ret > -4096) {
        __atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
        if (ret == -ENOSYS && nr >= 0 && nr < NR_MAX)
            __atomic_fetch_or(&sh->enosys[nr / 64], 1ul << (nr % 64), __ATOMIC_RELAXED);
    }
}

static void worker(int slot, uint64_t seed, unsigned gen, long calls) {
    rng = seed ^ (0x2545f4914f6cdd1dull * (slot + 1)) ^ (0x9e3779b97f4a7c15ull * (gen + 1));
    next();
    struct slot *me = &sh->slot[slot];
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); dup2(nul, 2); if (nul > 2) close(nul); }
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    make_memory();
    make_world(slot);
    fill_structs();
    for (long i = 0; i < calls; i++) {
        one_call(me);
        if (i % 64 == 63)
            while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {}
    }
    _exit(0);
}

/* ---- the parent ---- */

struct child {
    pid_t pid;
    unsigned gen;
    long killed_at; /* when SIGKILL was sent (0: not) */
    long base;      /* sh->slot calls when it started */
    int hang_reported;
};

int main(int argc, char **argv) {
    uint64_t seed = 1;
    long total = 100000, per_child = 2000;
    int workers = 4, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) total = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-j") && i + 1 < argc) workers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-c") && i + 1 < argc) per_child = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-q")) quiet = 1;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            for (char *t = strtok(argv[++i], ","); t && nonly < 64; t = strtok(NULL, ",")) only[nonly++] = strtol(t, NULL, 0);
        }
        else {
            say("usage: fuzz [-s SEED] [-n CALLS] [-j CHILDREN] [-c CALLS_PER_CHILD] [-t NR,...] [-q]\n");
            return 2;
        }
    }
    if (workers < 1) workers = 1;
    if (workers > MAX_WORKERS) workers = MAX_WORKERS;
    sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        say("fuzz: mmap of the shared page failed: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    parent_pid = getpid();
    say("fuzz: seed %llu, %ld calls, %d workers\n", (unsigned long long)seed, total, workers);
    struct child kids[MAX_WORKERS] = {0};
    unsigned gens = 0;
    long started = 0, by_signal = 0, killed_stuck = 0, hangs = 0, exited = 0;
    long sigs[65] = {0};
    long next_report = total / 10, t0 = now_ms();
    for (;;) {
        long done = 0;
        for (int i = 0; i < workers; i++) done += sh->slot[i].calls;
        /* Reap: workers, and their fork-stub children that outlived them. */
        int st;
        pid_t r;
        while ((r = waitpid(-1, &st, WNOHANG | __WALL)) > 0) {
            for (int i = 0; i < workers; i++) {
                struct child *k = &kids[i];
                if (k->pid != r) continue;
                if (WIFSIGNALED(st) && !k->killed_at) {
                    by_signal++;
                    sigs[WTERMSIG(st) & 63]++;
                } else if (!WIFSIGNALED(st)) {
                    exited++;
                }
                if (k->hang_reported) say("fuzz: the stuck worker %d finally died\n", k->pid);
                k->pid = 0;
            }
        }
        int live = 0;
        for (int i = 0; i < workers; i++) {
            struct child *k = &kids[i];
            if (k->pid > 0) {
                live++;
                struct slot *s = &sh->slot[i];
                long t = now_ms();
                if (!k->killed_at && s->in_call && t - s->since_ms > STUCK_MS) {
                    kill(k->pid, SIGKILL);
                    k->killed_at = t;
                    killed_stuck++;
                    if (!quiet) say("fuzz: worker %d stuck in syscall %ld for %ld ms: killed\n", k->pid, s->nr, t - s->since_ms);
                } else if (k->killed_at && !k->hang_reported && t - k->killed_at > UNKILLABLE_MS) {
                    hangs++;
                    k->hang_reported = 1;
                    say("fuzz: HANG: worker %d in syscall %ld did not die %d ms after SIGKILL\n", k->pid, s->nr, UNKILLABLE_MS);
                }
            }
            if (k->pid == 0 && done < total) {
                k->gen = gens++;
                k->killed_at = 0;
                k->hang_reported = 0;
                sh->slot[i].in_call = 0;
                pid_t p = fork();
                if (p == 0) worker(i, seed, k->gen, per_child);
                if (p < 0) {
                    say("fuzz: fork failed: %s\n", strerror(errno));
                    struct timespec ts = {0, 100000000};
                    nanosleep(&ts, NULL);
                    continue;
                }
                k->pid = p;
                started++;
                live++;
            }
        }
        if (done >= next_report && !quiet) {
            say("fuzz: %ld calls, %ld workers, %ld died by signal, %ld killed stuck, %ld s\n", done, started,
                by_signal, killed_stuck, (now_ms() - t0) / 1000);
            next_report += total / 10;
        }
        if (done >= total) {
            for (int i = 0; i < workers; i++)
                if (kids[i].pid > 0 && !kids[i].killed_at) {
                    kill(kids[i].pid, SIGKILL);
                    kids[i].killed_at = now_ms();
                }
            int all_gone = 1;
            for (int i = 0; i < workers; i++)
                if (kids[i].pid > 0) all_gone = 0;
            if (all_gone || hangs) break;
        }
        if (!live && done >= total) break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    long done = 0;
    for (int i = 0; i < workers; i++) done += sh->slot[i].calls;
    char sigtext[256] = "";
    for (int s = 1; s < 65; s++)
        if (sigs[s]) {
            char one[32];
            snprintf(one, sizeof one, " %s:%ld", strsignal(s), sigs[s]);
            if (strlen(sigtext) + strlen(one) < sizeof sigtext) strcat(sigtext, one);
        }
    int nosys = 0;
    for (int n = 0; n < NR_MAX; n++)
        if (sh->enosys[n / 64] & (1ul << (n % 64))) nosys++;
    say("fuzz: signals:%s\n", sigtext[0] ? sigtext : " none");
    say("fuzz: done: seed %llu, %ld calls (%ld errors, %d numbers ENOSYS), %ld workers (%ld died by signal, "
        "%ld killed stuck), %ld s, hangs %ld\n",
        (unsigned long long)seed, done, sh->errors, nosys, started, by_signal, killed_stuck, (now_ms() - t0) / 1000,
        hangs);
    return hangs ? 1 : 0;
}
