/* Credentials, capabilities and resource limits, compared with Linux.
 *
 * The same binary runs on the host (under setpriv/prlimit/unshare with a
 * given capability set and limits) and in a Cyrius container whose
 * config.json asks for the same; every case prints what it observes.
 * Cases:
 *   status   ids, groups, the five capability sets, securebits, no_new_privs,
 *            /proc/self/status lines, capget's version probe
 *   limits   the limits the runtime set (getrlimit of a fixed list)
 *   ops      privileged operations with the capabilities at hand: ports,
 *            raw sockets, chroot, mount, mknod, DAC, chown, setgroups, ...
 *   capctl   capset, ambient and bounding sets, keepcaps, securebits,
 *            no_new_privs, and what an execve does to the sets
 *   setid    uid/gid changes and their effect on capabilities, fsuid,
 *            set-user-ID programs with and without no_new_privs, signal
 *            permissions between users (needs CAP_SETUID/SETGID/CHOWN/FSETID)
 *   rlimits  NOFILE, FSIZE (SIGXFSZ), AS, STACK, CPU (SIGXCPU, SIGKILL),
 *            prlimit on oneself and others
 *   user     a non-root container user: ids, groups, umask, no
 *            capabilities, file permissions, RLIMIT_NPROC
 * Nothing here prints a pid, a path under /tmp or a time.
 */
#include "difftest.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_V1 0x19980330
#define CAP_V3 0x20080522
#define CAP_CHOWN 0
#define CAP_KILL 5
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define CAP_SYS_ADMIN 21

static const char *self;

struct cap_header { unsigned version; int pid; };
struct cap_data { unsigned effective, permitted, inheritable; };
struct sets { unsigned long long e, p, i; };

static long capget_raw(struct cap_header *h, struct cap_data *d) { return syscall(SYS_capget, h, d); }
static long capset_raw(struct cap_header *h, struct cap_data *d) { return syscall(SYS_capset, h, d); }

static struct sets get_sets(void) {
    struct cap_header h = { CAP_V3, 0 };
    struct cap_data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    struct sets s = { 0, 0, 0 };
    if (capget_raw(&h, d) < 0) {
        say("capget: %s", ename(errno));
        return s;
    }
    s.e = d[0].effective | (unsigned long long)d[1].effective << 32;
    s.p = d[0].permitted | (unsigned long long)d[1].permitted << 32;
    s.i = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
    return s;
}

static int set_sets(struct sets s) {
    struct cap_header h = { CAP_V3, 0 };
    struct cap_data d[2] = { { (unsigned)s.e, (unsigned)s.p, (unsigned)s.i },
                             { (unsigned)(s.e >> 32), (unsigned)(s.p >> 32), (unsigned)(s.i >> 32) } };
    return (int)capset_raw(&h, d);
}

static unsigned long long bounding(void) {
    unsigned long long b = 0;
    for (int c = 0; c < 64; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) b |= 1ULL << c;
    return b;
}

static unsigned long long ambient(void) {
    unsigned long long a = 0;
    for (int c = 0; c < 64; c++)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) a |= 1ULL << c;
    return a;
}

static void say_sets(const char *when) {
    struct sets s = get_sets();
    say("%s: eff %llx prm %llx inh %llx bnd %llx amb %llx", when, s.e, s.p, s.i, bounding(), ambient());
}

static void say_ids(const char *when) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    int fsuid = setfsuid(-1), fsgid = setfsgid(-1);
    say("%s: uid %u %u %u fs %d gid %u %u %u fs %d", when, r, e, s, fsuid, gr, ge, gs, fsgid);
}

static void say_groups(void) {
    gid_t g[64];
    int n = getgroups(64, g);
    char buf[256] = "";
    for (int i = 0; i < n; i++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %u", g[i]);
    say("groups (%d):%s", n, buf);
}

/* The lines of /proc/self/status named in `keys`, verbatim. */
static void say_status_lines(const char *const *keys) {
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) {
        say("/proc/self/status: %s", ename(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        for (const char *const *k = keys; *k; k++)
            if (strncmp(line, *k, strlen(*k)) == 0 && line[strlen(*k)] == ':') say("status %s", line);
}

static void case_status(void) {
    say_ids("ids");
    say_groups();
    say_sets("caps");
    say("no_new_privs %d keepcaps %d securebits %d", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
        prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    errno = 0;
    say_ret("PR_CAPBSET_READ 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
    say_ret("PR_GET_NO_NEW_PRIVS with arg", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    static const char *const keys[] = { "Umask", "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", 0 };
    say_status_lines(keys);
    /* libcap's probe: an unknown version with NULL data succeeds and the
     * kernel writes the version it prefers. */
    struct cap_header h = { 0x12345678, 0 };
    say_ret("capget probe", capget_raw(&h, NULL));
    say("probe version %x", h.version);
    struct cap_data d[2];
    h.version = 0x12345678;
    say_ret("capget bad version", capget_raw(&h, d));
    h.version = CAP_V1;
    say_ret("capget v1", capget_raw(&h, d));
    say("v1 eff %x", d[0].effective);
    h.version = CAP_V3;
    h.pid = -5;
    say_ret("capget pid -5", capget_raw(&h, d));
}

static void case_limits(void) {
    static const struct { int r; const char *name; } list[] = {
        { RLIMIT_NOFILE, "NOFILE" }, { RLIMIT_CORE, "CORE" }, { RLIMIT_FSIZE, "FSIZE" }, { RLIMIT_CPU, "CPU" },
        { RLIMIT_AS, "AS" }, { RLIMIT_STACK, "STACK" }, { RLIMIT_NPROC, "NPROC" }, { RLIMIT_MEMLOCK, "MEMLOCK" },
    };
    for (unsigned i = 0; i < sizeof list / sizeof list[0]; i++) {
        struct rlimit r;
        getrlimit(list[i].r, &r);
        say("%s: %lld %lld", list[i].name, r.rlim_cur == RLIM_INFINITY ? -1LL : (long long)r.rlim_cur,
            r.rlim_max == RLIM_INFINITY ? -1LL : (long long)r.rlim_max);
    }
}

/* A fresh private directory under /tmp (removed by `cleanup`). */
static char tmpdir[64];
static void make_tmpdir(void) {
    strcpy(tmpdir, "/tmp/privs.XXXXXX");
    if (!mkdtemp(tmpdir)) say("mkdtemp: %s", ename(errno));
    chmod(tmpdir, 0755);
}
static const char *in_tmp(const char *name) {
    static char path[2][128];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
    return path[which];
}
static void cleanup(void) {
    static const char *const names[] = { "null", "fifo", "reg", "locked", "lockdir", "mnt/f", "mnt", "suid", "own", "big", 0 };
    for (const char *const *n = names; *n; n++) {
        unlink(in_tmp(*n));
        rmdir(in_tmp(*n));
    }
    rmdir(tmpdir);
}

static long try_bind(int type, int port) {
    int s = socket(AF_INET, type, 0);
    if (s < 0) return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    long r = bind(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static void case_ops(void) {
    make_tmpdir();
    say_ret("bind tcp 127.0.0.1:999", try_bind(SOCK_STREAM, 999));
    say_ret("bind udp 127.0.0.1:998", try_bind(SOCK_DGRAM, 998));
    say_ret("bind tcp 127.0.0.1:0", try_bind(SOCK_STREAM, 0));
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    say_ret("socket raw icmp", raw < 0 ? -1 : 0);
    if (raw >= 0) close(raw);
    say_ret("sethostname", sethostname("privs-test", 10));
    say_ret("mknod char 1:3", mknod(in_tmp("null"), S_IFCHR | 0666, makedev(1, 3)));
    say_ret("mknod fifo", mknod(in_tmp("fifo"), S_IFIFO | 0600, 0));
    say_ret("mknod regular", mknod(in_tmp("reg"), S_IFREG | 0644, 0));
    /* A file and a directory with no permission bits, owned by us. */
    close(open(in_tmp("locked"), O_CREAT | O_WRONLY, 0));
    mkdir(in_tmp("lockdir"), 0);
    int fd = open(in_tmp("locked"), O_RDONLY);
    say_ret("open 0000 file for reading", fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
    fd = open(in_tmp("locked"), O_WRONLY);
    say_ret("open 0000 file for writing", fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
    fd = open(in_tmp("lockdir"), O_RDONLY | O_DIRECTORY);
    say_ret("open 0000 directory", fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
    say_ret("chown to 1234", chown(in_tmp("reg"), 1234, -1));
    say_ret("chown to self", chown(in_tmp("reg"), -1, -1));
    say_ret("chmod 02755", chmod(in_tmp("reg"), 02755));
    struct stat st;
    stat(in_tmp("reg"), &st);
    say("mode now %o", st.st_mode & 07777);
    say_ret("setgroups []", setgroups(0, NULL));
    /* Setting the clock (to what it is, should it ever be allowed). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    say_ret("clock_settime MONOTONIC", clock_settime(CLOCK_MONOTONIC, &now));
    say_ret("clock_settime REALTIME", clock_settime(CLOCK_REALTIME, &now));
    say_ret("settimeofday NULL NULL", syscall(SYS_settimeofday, NULL, NULL));
    struct timeval tv = { now.tv_sec, 2000000 };
    say_ret("settimeofday bad usec", syscall(SYS_settimeofday, &tv, NULL));
    say_ret("chroot /", chroot("/"));
    mkdir(in_tmp("mnt"), 0755);
    long m = mount("none", in_tmp("mnt"), "tmpfs", 0, "size=64k");
    say_ret("mount tmpfs", m);
    if (m == 0) {
        fd = open(in_tmp("mnt/f"), O_CREAT | O_WRONLY, 0600);
        say_ret("file in the new tmpfs", fd < 0 ? -1 : 0);
        if (fd >= 0) close(fd);
        say_ret("umount busy-free", umount2(in_tmp("mnt"), 0));
    } else {
        say_ret("umount2", umount2(in_tmp("mnt"), 0));
    }
    say_ret("umount2 bad flags", umount2(in_tmp("mnt"), 0x100));
    say_ret("mount unknown type", mount("none", in_tmp("mnt"), "nosuchfs", 0, NULL));
    pid_t pid = fork();
    if (pid == 0) {
        say_ret("child setresuid 1000", setresuid(1000, 1000, 1000));
        _exit(0);
    }
    reap("child", pid);
    chmod(in_tmp("lockdir"), 0755);
    cleanup();
}

static void case_capctl(void) {
    struct sets s = get_sets();
    unsigned long long kill = 1ULL << CAP_KILL;
    if (!(s.p & kill)) say("(CAP_KILL not permitted: some steps fail)");
    say_ret("capset drop KILL from effective", set_sets((struct sets){ s.e & ~kill, s.p, s.i }));
    say_sets("after drop");
    say_ret("capset raise KILL again", set_sets((struct sets){ s.e, s.p, s.i }));
    say_ret("capset grow permitted by SYS_ADMIN", set_sets((struct sets){ s.e, s.p | 1ULL << CAP_SYS_ADMIN, s.i }));
    say_ret("capset effective outside permitted", set_sets((struct sets){ s.e | 1ULL << 30, s.p, s.i }));
    say_ret("capset inheritable KILL", set_sets((struct sets){ s.e, s.p, s.i | kill }));
    say_ret("capset inheritable SYS_ADMIN", set_sets((struct sets){ s.e, s.p, s.i | kill | 1ULL << CAP_SYS_ADMIN }));
    say_ret("ambient raise KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    say_ret("ambient is set KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    say_ret("ambient raise SYS_ADMIN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
    say_ret("ambient bad cap", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0));
    say_ret("ambient clear with arg", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    say_ret("ambient bad op", prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0));
    say_sets("with ambient");
    /* What an execve gives: shown by a child program. */
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, "--show-caps", (char *)0);
        _exit(127);
    }
    reap("exec child", pid);
    say_ret("capset drop inheritable KILL", set_sets((struct sets){ s.e, s.p, s.i }));
    say("ambient after inheritable drop %llx", ambient());
    say_ret("PR_CAPBSET_DROP KILL", prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
    say_ret("PR_CAPBSET_DROP 64", prctl(PR_CAPBSET_DROP, 64, 0, 0, 0));
    say_ret("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    say_ret("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    say_ret("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    say_ret("PR_SET_KEEPCAPS 0", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
    say_ret("PR_SET_SECUREBITS 0x10", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
    say_ret("PR_SET_NO_NEW_PRIVS 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    say_ret("PR_SET_NO_NEW_PRIVS 1,1", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    say_ret("PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    say_ret("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    /* Drop everything, then exec: root gets its bounding set back (no_new_privs
     * stops that only for more than it had). */
    say_ret("capset drop all", set_sets((struct sets){ 0, 0, 0 }));
    pid = fork();
    if (pid == 0) {
        execl(self, self, "--show-caps", (char *)0);
        _exit(127);
    }
    reap("exec child after dropping all", pid);
}

/* Copies this program to `to` (for the set-user-ID cases). */
static int copy_self(const char *to) {
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    if (in < 0 || out < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n) return -1;
    close(in);
    close(out);
    return 0;
}

static void run_as(uid_t uid, int nnp, const char *what, const char *prog) {
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(uid, uid, uid) < 0 || setgroups(0, NULL) < 0 || setresuid(uid, uid, uid) < 0) {
            say("%s: cannot become %u: %s", what, uid, ename(errno));
            _exit(1);
        }
        if (nnp) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        execl(prog, prog, "--show-ids", (char *)0);
        say("%s: exec: %s", what, ename(errno));
        _exit(127);
    }
    reap(what, pid);
}

static void case_setid(void) {
    make_tmpdir();
    say_sets("start");
    pid_t pid = fork();
    if (pid == 0) {
        say_ret("setgroups [5 1000]", setgroups(2, (gid_t[]){ 1000, 5 }));
        say_groups();
        say_ret("setresgid 1000", setresgid(1000, 1000, 1000));
        say_ret("setresuid 1000", setresuid(1000, 1000, 1000));
        say_ids("after");
        say_sets("after setresuid 1000");
        say_ret("setuid 0 again", setuid(0));
        say_ret("setgroups as user", setgroups(0, NULL));
        _exit(0);
    }
    reap("full drop", pid);
    pid = fork();
    if (pid == 0) {
        say_ret("seteuid 1000", setresuid(-1, 1000, -1));
        say_sets("euid 1000");
        say_ret("seteuid 0", setresuid(-1, 0, -1));
        say_sets("euid 0 again");
        say_ret("setfsuid 1000 returns", setfsuid(1000));
        say_ret("setfsuid query returns", setfsuid(-1));
        say_sets("fsuid 1000");
        say_ret("setfsuid 0 returns", setfsuid(0));
        say_sets("fsuid 0");
        say_ret("setreuid 1000 2000", setreuid(1000, 2000));
        say_ids("after setreuid");
        say_ret("setreuid back to 0", setreuid(0, 0));
        _exit(0);
    }
    reap("temporary drop", pid);
    pid = fork();
    if (pid == 0) {
        say_ret("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
        say_ret("setresuid 1000 with keepcaps", setresuid(1000, 1000, 1000));
        say_sets("keepcaps");
        say_ret("capset effective back", set_sets((struct sets){ get_sets().p, get_sets().p, 0 }));
        say_sets("re-raised");
        _exit(0);
    }
    reap("keepcaps", pid);
    /* A set-user-ID program owned by 1000, run by 2000. */
    say_ret("copy", copy_self(in_tmp("suid")));
    say_ret("chown suid to 1000", chown(in_tmp("suid"), 1000, 1000));
    say_ret("chmod 04755", chmod(in_tmp("suid"), 04755));
    run_as(2000, 0, "suid run", in_tmp("suid"));
    run_as(2000, 1, "suid run with no_new_privs", in_tmp("suid"));
    /* A file only its owner may read. */
    close(open(in_tmp("own"), O_CREAT | O_WRONLY, 0600));
    chown(in_tmp("own"), 1000, 1000);
    pid = fork();
    if (pid == 0) {
        setresgid(2000, 2000, 2000);
        setresuid(2000, 2000, 2000);
        int fd = open(in_tmp("own"), O_RDONLY);
        say_ret("other user opens 0600 file", fd < 0 ? -1 : 0);
        say_ret("other user unlinks in 0755 dir", unlink(in_tmp("own")));
        _exit(0);
    }
    reap("other user", pid);
    /* Signals between users. */
    int gate[2], ready[2];
    if (pipe(gate) < 0 || pipe(ready) < 0) return;
    pid_t target = fork();
    if (target == 0) {
        setresuid(2000, 2000, 2000);
        char c = 'r';
        close(gate[1]);
        close(ready[0]);
        (void)!write(ready[1], &c, 1);
        (void)!read(gate[0], &c, 1);
        _exit(0);
    }
    close(gate[0]);
    close(ready[1]);
    /* The signallers run once the target is user 2000 (else the order of
     * the scheduler decides what they see). */
    char r;
    (void)!read(ready[0], &r, 1);
    close(ready[0]);
    pid = fork();
    if (pid == 0) {
        setresuid(1000, 1000, 1000);
        say_ret("user 1000 kill(user 2000, 0)", kill(target, 0));
        say_ret("user 1000 kill(user 2000, SIGUSR1)", kill(target, SIGUSR1));
        say_ret("user 1000 kill(user 2000, SIGCONT) same session", kill(target, SIGCONT));
        _exit(0);
    }
    reap("signaller", pid);
    pid = fork();
    if (pid == 0) {
        struct sets s = get_sets();
        set_sets((struct sets){ s.e & ~(1ULL << CAP_KILL), s.p, s.i });
        say_ret("root without CAP_KILL kill(user 2000, 0)", kill(target, 0));
        set_sets(s);
        say_ret("root with CAP_KILL kill(user 2000, 0)", kill(target, 0));
        _exit(0);
    }
    reap("root signaller", pid);
    close(gate[1]);
    reap("target", target);
    cleanup();
}

static volatile int xfsz, xcpu;
static void on_xfsz(int s) { (void)s; xfsz++; }
static void on_xcpu(int s) {
    (void)s;
    xcpu++;
    (void)!write(1, "got SIGXCPU\n", 12);
}

static void case_rlimits(void) {
    make_tmpdir();
    struct rlimit r = { 16, 32 };
    say_ret("setrlimit NOFILE 16/32", setrlimit(RLIMIT_NOFILE, &r));
    int opened = 0, last = -1, err = 0;
    for (int i = 0; i < 64; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        opened++;
        last = fd;
    }
    say("opened up to fd %d, then %s", last, ename(err));
    (void)opened;
    say_ret("dup2 to 16", dup2(0, 16));
    say_ret("dup2 to 15", dup2(0, 15));
    say_ret("F_DUPFD 16", fcntl(0, F_DUPFD, 16));
    for (int fd = 3; fd <= 15; fd++) close(fd);
    r.rlim_max = 64;
    say_ret("raise NOFILE hard to 64", setrlimit(RLIMIT_NOFILE, &r));
    r = (struct rlimit){ 33, 32 };
    say_ret("NOFILE soft above hard", setrlimit(RLIMIT_NOFILE, &r));
    r = (struct rlimit){ 32, 32 };
    say_ret("NOFILE soft to hard", setrlimit(RLIMIT_NOFILE, &r));
    say_ret("getrlimit 99", getrlimit(99, &r));

    signal(SIGXFSZ, on_xfsz);
    r = (struct rlimit){ 10000, 10000 };
    say_ret("setrlimit FSIZE 10000", setrlimit(RLIMIT_FSIZE, &r));
    int fd = open(in_tmp("big"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    static char block[8000];
    say_ret("write 8000", write(fd, block, sizeof block));
    say_ret("write 8000 more", write(fd, block, sizeof block));
    say_ret("write past the limit", write(fd, block, 10));
    say("SIGXFSZ count %d", xfsz);
    say_ret("ftruncate 20000", ftruncate(fd, 20000));
    say_ret("ftruncate 5000", ftruncate(fd, 5000));
    say_ret("pwrite at 9990, 100 bytes", pwrite(fd, block, 100, 9990));
    say("SIGXFSZ count %d", xfsz);
    close(fd);
    r = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    setrlimit(RLIMIT_FSIZE, &r);
    signal(SIGXFSZ, SIG_DFL);

    pid_t pid = fork();
    if (pid == 0) {
        r = (struct rlimit){ 256 << 20, 256 << 20 };
        say_ret("setrlimit AS 256M", setrlimit(RLIMIT_AS, &r));
        void *big = mmap(0, 512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        say_ret("mmap 512M", big == MAP_FAILED ? -1 : 0);
        void *small = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        say_ret("mmap 1M", small == MAP_FAILED ? -1 : 0);
        _exit(0);
    }
    reap("AS child", pid);

    pid = fork();
    if (pid == 0) {
        r = (struct rlimit){ 256 << 10, 256 << 10 };
        setrlimit(RLIMIT_STACK, &r);
        execl(self, self, "--recurse", (char *)0);
        _exit(127);
    }
    reap("recursion with a 256K stack", pid);

    pid = fork();
    if (pid == 0) {
        signal(SIGXCPU, on_xcpu);
        r = (struct rlimit){ 1, 2 };
        setrlimit(RLIMIT_CPU, &r);
        for (volatile unsigned long i = 0;; i++) {}
    }
    reap("CPU 1s/2s spinner", pid);

    r = (struct rlimit){ 0, 0 };
    say_ret("prlimit self CORE", prlimit(0, RLIMIT_CORE, NULL, &r));
    say_ret("prlimit own pid", prlimit(getpid(), RLIMIT_CORE, NULL, &r));
    say_ret("prlimit pid -1", prlimit(-1, RLIMIT_CORE, NULL, &r));
    say_ret("prlimit bad resource", prlimit(0, 77, NULL, &r));
    pid = fork();
    if (pid == 0) {
        say_ret("prlimit of parent (same ids)", prlimit(getppid(), RLIMIT_NOFILE, NULL, &r));
        setresuid(1000, 1000, 1000);
        say_ret("prlimit of parent as another user", prlimit(getppid(), RLIMIT_NOFILE, NULL, &r));
        _exit(0);
    }
    reap("prlimit child", pid);
    cleanup();
}

static void case_user(void) {
    say_ids("ids");
    say_groups();
    say_sets("caps");
    mode_t old = umask(022);
    say("umask was %03o", old);
    umask(old);
    long made = mkdir("/privs-user-dir", 0755);
    say_ret("mkdir in / (root's 0755)", made);
    if (made == 0) rmdir("/privs-user-dir");
    make_tmpdir();
    close(open(in_tmp("own"), O_CREAT | O_WRONLY, 0666));
    struct stat st;
    stat(in_tmp("own"), &st);
    say("new file: uid %u gid %u mode %o", st.st_uid, st.st_gid, st.st_mode & 0777);
    say_ret("chown new file to root", chown(in_tmp("own"), 0, -1));
    say_ret("chgrp new file to 20 (a supplementary group)", chown(in_tmp("own"), -1, 20));
    say_ret("chgrp new file to 30", chown(in_tmp("own"), -1, 30));
    say_ret("bind tcp 127.0.0.1:999", try_bind(SOCK_STREAM, 999));
    say_ret("setuid 0", setuid(0));
    struct rlimit r = { 4, 4 };
    say_ret("setrlimit NPROC 4", setrlimit(RLIMIT_NPROC, &r));
    int gate[2];
    if (pipe(gate) < 0) return;
    pid_t kids[8];
    int n = 0, err = 0;
    for (; n < 8; n++) {
        kids[n] = fork();
        if (kids[n] == 0) {
            char c;
            close(gate[1]);
            (void)!read(gate[0], &c, 1);
            _exit(0);
        }
        if (kids[n] < 0) {
            err = errno;
            break;
        }
    }
    say("forked %d, then %s", n, ename(err));
    close(gate[1]);
    close(gate[0]);
    for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
    unlink(in_tmp("own"));
    rmdir(tmpdir);
}

/* Recurses until the stack runs out (SIGSEGV), then reports roughly how deep. */
static volatile long depth_kb;
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static void dive(int n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    depth_kb = n;
    dive(n + 1);
    pad[1] = pad[0];
}
static void on_segv(int s) {
    (void)s;
    say("stack overflow after %s", depth_kb < 256 ? "less than 256 KiB" : depth_kb < 1024 ? "256 KiB to 1 MiB" : "more than 1 MiB");
    _exit(0);
}

static const struct dcase cases[] = {
    CASE(status), CASE(limits), CASE(ops), CASE(capctl), CASE(setid), CASE(rlimits), CASE(user), { 0, 0 },
};

int main(int argc, char **argv) {
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "--show-caps") == 0) {
        say_sets("  after exec");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--show-ids") == 0) {
        say_ids("  after exec");
        say_sets("  after exec");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--recurse") == 0) {
        static char alt[65536];
        stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
        sigaltstack(&ss, NULL);
        struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_ONSTACK };
        sigaction(SIGSEGV, &sa, NULL);
        dive(0);
        return 1;
    }
    signal(SIGPIPE, SIG_DFL);
    return run_cases(cases, argc, argv, 0);
}
