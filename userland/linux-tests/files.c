/* The file syscalls of issue 5, called raw (syscall(2)) in a fresh directory
 * argv[1], printing only what is the same on every correct kernel: modes,
 * sizes, link counts, owners, chosen timestamps, errno names, never inode
 * numbers or "now". The differential test runs it on Linux and in Cyrius. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#define AT_EMPTY 0x1000
#define NOFOLLOW 0x100

/* struct statx, spelled out (musl's headers may not have it). */
struct sx_ts { int64_t sec; uint32_t nsec; int32_t pad; };
struct sx {
    uint32_t mask, blksize; uint64_t attributes; uint32_t nlink, uid, gid; uint16_t mode, pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct sx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};

/* struct linux_dirent64 / linux_dirent (old) heads. */
struct d64 { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; char name[]; };
struct d32 { unsigned long ino; unsigned long off; uint16_t reclen; char name[]; };

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }
static void say(const char *what, long r) {
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else printf("%s: %ld\n", what, r);
}

static struct stat st_of(const char *path, int follow) {
    struct stat st;
    memset(&st, 0, sizeof st);
    if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, follow ? 0 : NOFOLLOW) < 0)
        printf("stat %s: %s\n", path, strerror(errno));
    return st;
}

static const char *kind(mode_t m) {
    switch (m & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    case S_IFSOCK: return "sock";
    }
    return "?";
}

static void show(const char *path, int follow) {
    struct stat st = st_of(path, follow);
    /* Directory sizes are filesystem-specific: not shown. */
    long long size = S_ISDIR(st.st_mode) ? 0 : (long long)st.st_size;
    printf("  %s: %s %04o size=%lld nlink=%lu uid=%u gid=%u\n", path, kind(st.st_mode), st.st_mode & 07777, size,
           (unsigned long)st.st_nlink, st.st_uid, st.st_gid);
}

static int mkfile(const char *path, const char *data) {
    int fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { printf("create %s: %s\n", path, strerror(errno)); return -1; }
    if (data) syscall(SYS_write, fd, data, strlen(data));
    syscall(SYS_close, fd);
    return 0;
}

static void links(void) {
    printf("== link, symlink, readlink\n");
    mkfile("a", "hello world\n");
    say("link a b", syscall(SYS_link, "a", "b"));
    show("a", 1);
    say("link a b again", syscall(SYS_link, "a", "b"));
    syscall(SYS_mkdir, "d", 0755);
    say("link dir", syscall(SYS_link, "d", "d2"));
    say("link missing", syscall(SYS_link, "nope", "x"));
    say("linkat bad flags", syscall(SYS_linkat, AT_FDCWD, "a", AT_FDCWD, "x", 0x8000));
    say("linkat empty old", syscall(SYS_linkat, AT_FDCWD, "", AT_FDCWD, "x", 0));
    say("symlink a s", syscall(SYS_symlink, "a", "s"));
    say("symlink empty target", syscall(SYS_symlink, "", "t"));
    say("symlink onto existing", syscall(SYS_symlink, "a", "b"));
    say("symlinkat dangling", syscall(SYS_symlinkat, "missing-target", AT_FDCWD, "dangling"));
    char buf[64] = {0};
    long n = syscall(SYS_readlink, "s", buf, sizeof buf);
    printf("readlink s: %ld '%.*s'\n", n, n > 0 ? (int)n : 0, buf);
    say("readlink regular", syscall(SYS_readlink, "a", buf, sizeof buf));
    show("s", 0);
    show("s", 1);
    say("linkat s follow", syscall(SYS_linkat, AT_FDCWD, "s", AT_FDCWD, "hard-to-a", 0x400));
    say("linkat s nofollow", syscall(SYS_linkat, AT_FDCWD, "s", AT_FDCWD, "hard-to-s", 0));
    show("hard-to-a", 0);
    show("hard-to-s", 0);
    show("a", 1);
    int dfd = syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    say("linkat into dirfd", syscall(SYS_linkat, AT_FDCWD, "a", dfd, "inner", 0));
    say("symlinkat into dirfd", syscall(SYS_symlinkat, "../a", dfd, "up"));
    n = syscall(SYS_readlinkat, dfd, "up", buf, sizeof buf);
    printf("readlinkat up: %ld '%.*s'\n", n, n > 0 ? (int)n : 0, buf);
    show("d/up", 1);
    syscall(SYS_close, dfd);
}

static void modes(void) {
    printf("== chmod, chown, umask\n");
    say("chmod a 600", syscall(SYS_chmod, "a", 0600));
    show("a", 1);
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    say("fchmod 640", syscall(SYS_fchmod, fd, 0640));
    show("a", 1);
    say("fchmodat 604", syscall(SYS_fchmodat, AT_FDCWD, "a", 0604));
    show("a", 1);
    say("chmod via symlink 4755", syscall(SYS_chmod, "s", 04755));
    show("a", 1);
    say("fchmodat2 nofollow symlink", syscall(SYS_fchmodat2, AT_FDCWD, "s", 0600, NOFOLLOW));
    say("fchmodat2 nofollow regular", syscall(SYS_fchmodat2, AT_FDCWD, "a", 0644, NOFOLLOW));
    say("fchmodat2 bad flags", syscall(SYS_fchmodat2, AT_FDCWD, "a", 0644, 0x4));
    say("fchmodat2 empty path", syscall(SYS_fchmodat2, fd, "", 0600, AT_EMPTY));
    show("a", 1);
    say("chmod missing", syscall(SYS_chmod, "nope", 0644));
    say("chmod 4755", syscall(SYS_chmod, "a", 04755));
    say("chown a 1000:1000", syscall(SYS_chown, "a", 1000, 1000));
    show("a", 1);
    say("chown a -1:2000", syscall(SYS_chown, "a", -1, 2000));
    show("a", 1);
    say("lchown s 3000:3001", syscall(SYS_lchown, "s", 3000, 3001));
    show("s", 0);
    show("s", 1);
    say("fchown 0:0", syscall(SYS_fchown, fd, 0, 0));
    show("a", 1);
    say("fchownat nofollow", syscall(SYS_fchownat, AT_FDCWD, "s", 5, 6, NOFOLLOW));
    show("s", 0);
    say("fchownat bad flags", syscall(SYS_fchownat, AT_FDCWD, "s", 5, 6, 0x2));
    say("fchown bad fd", syscall(SYS_fchown, 99, 0, 0));
    syscall(SYS_close, fd);
    say("umask 077", syscall(SYS_umask, 077));
    mkfile("private", "x");
    show("private", 1);
    syscall(SYS_mkdir, "privdir", 0777);
    show("privdir", 1);
    say("umask 022", syscall(SYS_umask, 022));
}

static void sizes(void) {
    printf("== truncate\n");
    say("truncate a 5", syscall(SYS_truncate, "a", 5));
    show("a", 1);
    say("truncate a 100000", syscall(SYS_truncate, "a", 100000));
    show("a", 1);
    say("truncate negative", syscall(SYS_truncate, "a", (long)-1));
    say("truncate dir", syscall(SYS_truncate, "d", 0));
    say("truncate missing", syscall(SYS_truncate, "nope", 0));
    say("truncate via symlink", syscall(SYS_truncate, "s", 3));
    show("a", 1);
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    say("ftruncate read-only fd", syscall(SYS_ftruncate, fd, 0));
    syscall(SYS_close, fd);
    fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDWR);
    say("ftruncate 7", syscall(SYS_ftruncate, fd, 7));
    char buf[16];
    long n = syscall(SYS_pread64, fd, buf, sizeof buf, 0);
    printf("pread after truncate: %ld bytes, tail zero=%d\n", n, n == 7 && buf[3] == 0 && buf[6] == 0);
    syscall(SYS_close, fd);
}

static void times(void) {
    printf("== utimensat, utimes, utime\n");
    struct timespec ts[2] = {{1000000000, 5}, {1234567890, 123456789}};
    say("utimensat explicit", syscall(SYS_utimensat, AT_FDCWD, "a", ts, 0));
    struct stat st = st_of("a", 1);
    printf("  atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {42, 7}};
    say("utimensat omit atime", syscall(SYS_utimensat, AT_FDCWD, "a", omit, 0));
    st = st_of("a", 1);
    printf("  atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    say("utimensat now atime", syscall(SYS_utimensat, AT_FDCWD, "a", now, 0));
    st = st_of("a", 1);
    time_t t = time(NULL);
    printf("  atime is now=%d mtime=%lld\n", st.st_atim.tv_sec >= t - 5 && st.st_atim.tv_sec <= t + 5,
           (long long)st.st_mtim.tv_sec);
    say("utimensat NULL times", syscall(SYS_utimensat, AT_FDCWD, "a", NULL, 0));
    st = st_of("a", 1);
    printf("  mtime is now=%d\n", st.st_mtim.tv_sec >= t - 5 && st.st_mtim.tv_sec <= t + 5);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    say("utimensat nsec 1e9", syscall(SYS_utimensat, AT_FDCWD, "a", bad, 0));
    struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    say("utimensat both omit, missing path", syscall(SYS_utimensat, AT_FDCWD, "nope", both_omit, 0));
    say("utimensat missing", syscall(SYS_utimensat, AT_FDCWD, "nope", ts, 0));
    say("utimensat NULL path AT_FDCWD", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
    say("utimensat bad flags", syscall(SYS_utimensat, AT_FDCWD, "a", ts, 0x2));
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    struct timespec fts[2] = {{77, 0}, {88, 0}};
    say("futimens (NULL path)", syscall(SYS_utimensat, fd, NULL, fts, 0));
    say("futimens with flags", syscall(SYS_utimensat, fd, NULL, fts, NOFOLLOW));
    syscall(SYS_close, fd);
    st = st_of("a", 1);
    printf("  atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    struct timespec lts[2] = {{11, 0}, {22, 0}};
    say("utimensat symlink nofollow", syscall(SYS_utimensat, AT_FDCWD, "s", lts, NOFOLLOW));
    printf("  symlink mtime=%lld target mtime=%lld\n", (long long)st_of("s", 0).st_mtim.tv_sec,
           (long long)st_of("a", 1).st_mtim.tv_sec);
    struct timeval tv[2] = {{100, 250000}, {200, 999999}};
    say("utimes", syscall(SYS_utimes, "a", tv));
    st = st_of("a", 1);
    printf("  atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
    say("utimes usec 1e6", syscall(SYS_utimes, "a", badtv));
    struct { long actime, modtime; } ub = {300, 400};
    say("utime", syscall(SYS_utime, "a", &ub));
    st = st_of("a", 1);
    printf("  atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    struct timeval ftv[2] = {{500, 0}, {600, 0}};
    say("futimesat", syscall(SYS_futimesat, AT_FDCWD, "a", ftv));
    printf("  mtime=%lld\n", (long long)st_of("a", 1).st_mtim.tv_sec);
}

static void statxes(void) {
    printf("== statx\n");
    struct sx x;
    struct stat st = st_of("a", 1);
    memset(&x, 0xff, sizeof x);
    say("statx a", syscall(SYS_statx, AT_FDCWD, "a", 0, 0x7ff, &x));
    printf("  basic=%d %s %04o size=%llu nlink=%u uid=%u gid=%u\n", (x.mask & 0x7ff) == 0x7ff, kind(x.mode),
           x.mode & 07777, (unsigned long long)x.size, x.nlink, x.uid, x.gid);
    printf("  ino same=%d mtime same=%d dev same=%d blocks same=%d\n", x.ino == st.st_ino,
           x.mtime.sec == st.st_mtim.tv_sec && x.mtime.nsec == (uint32_t)st.st_mtim.tv_nsec,
           makedev(x.dev_major, x.dev_minor) == st.st_dev, x.blocks == (uint64_t)st.st_blocks);
    say("statx s nofollow", syscall(SYS_statx, AT_FDCWD, "s", NOFOLLOW, 0x7ff, &x));
    printf("  %s size=%llu\n", kind(x.mode), (unsigned long long)x.size);
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    say("statx empty path fd", syscall(SYS_statx, fd, "", AT_EMPTY, 0x7ff, &x));
    printf("  %s size=%llu\n", kind(x.mode), (unsigned long long)x.size);
    syscall(SYS_close, fd);
    say("statx empty path no flag", syscall(SYS_statx, AT_FDCWD, "", 0, 0x7ff, &x));
    say("statx reserved mask", syscall(SYS_statx, AT_FDCWD, "a", 0, 0x80000000u, &x));
    say("statx bad flags", syscall(SYS_statx, AT_FDCWD, "a", 0x1, 0x7ff, &x));
    say("statx both sync types", syscall(SYS_statx, AT_FDCWD, "a", 0x6000, 0x7ff, &x));
    say("statx force sync", syscall(SYS_statx, AT_FDCWD, "a", 0x2000, 0x7ff, &x));
    say("statx missing", syscall(SYS_statx, AT_FDCWD, "nope", 0, 0x7ff, &x));
    say("statx bad buffer", syscall(SYS_statx, AT_FDCWD, "a", 0, 0x7ff, (void *)16));
    say("statx dev node", syscall(SYS_statx, AT_FDCWD, "/dev/null", 0, 0x7ff, &x));
    printf("  %s rdev=%u:%u\n", kind(x.mode), x.rdev_major, x.rdev_minor);
}

static void nodes(void) {
    printf("== mknod\n");
    say("mknod fifo", syscall(SYS_mknodat, AT_FDCWD, "fifo", S_IFIFO | 0666, 0));
    show("fifo", 0);
    say("mknod regular", syscall(SYS_mknodat, AT_FDCWD, "plain", S_IFREG | 0600, 0));
    show("plain", 0);
    say("mknod type 0", syscall(SYS_mknodat, AT_FDCWD, "plain0", 0640, 0));
    show("plain0", 0);
    say("mknod dir", syscall(SYS_mknodat, AT_FDCWD, "ndir", S_IFDIR | 0755, 0));
    say("mknod bad type", syscall(SYS_mknodat, AT_FDCWD, "nbad", 0170000 | 0644, 0));
    say("mknod existing", syscall(SYS_mknodat, AT_FDCWD, "a", S_IFREG | 0644, 0));
    say("mknod char 1:3", syscall(SYS_mknod, "null2", S_IFCHR | 0666, makedev(1, 3)));
    struct stat st = st_of("null2", 0);
    printf("  %s %04o rdev=%u:%u\n", kind(st.st_mode), st.st_mode & 07777, major(st.st_rdev), minor(st.st_rdev));
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void listing(int old) {
    int fd = syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    char buf[4096];
    char *names[64];
    int count = 0;
    long n;
    while ((n = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, 200)) > 0) {
        for (long off = 0; off < n;) {
            const char *name;
            unsigned type;
            uint16_t reclen;
            if (old) {
                struct d32 *d = (struct d32 *)(buf + off);
                name = d->name, reclen = d->reclen, type = (unsigned char)buf[off + reclen - 1];
            } else {
                struct d64 *d = (struct d64 *)(buf + off);
                name = d->name, reclen = d->reclen, type = d->type;
            }
            char *line = malloc(300);
            snprintf(line, 300, "%s type=%u", name, type);
            if (count < 64) names[count++] = line;
            off += reclen;
        }
    }
    if (n < 0) printf("getdents: %s\n", strerror(errno));
    qsort(names, count, sizeof names[0], cmp);
    for (int i = 0; i < count; i++) printf("  %s\n", names[i]);
    say("getdents tiny buffer", syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, 8));
    syscall(SYS_lseek, fd, 0, SEEK_SET);
    say("getdents tiny buffer from start", syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, 8));
    syscall(SYS_close, fd);
    int file = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    say("getdents on a file", syscall(old ? SYS_getdents : SYS_getdents64, file, buf, sizeof buf));
    syscall(SYS_close, file);
}

static void dirs(void) {
    printf("== getdents64, getdents\n");
    mkfile("d/file", "f");
    syscall(SYS_mkdir, "d/sub", 0755);
    syscall(SYS_mknodat, AT_FDCWD, "d/pipe", S_IFIFO | 0644, 0);
    listing(0);
    listing(1);
    printf("== rmdir, unlink, rename\n");
    say("rmdir non-empty", syscall(SYS_rmdir, "d"));
    say("rmdir file", syscall(SYS_rmdir, "a"));
    say("unlink dir", syscall(SYS_unlink, "d/sub"));
    say("rmdir sub", syscall(SYS_rmdir, "d/sub"));
    say("rmdir dot", syscall(SYS_rmdir, "d/."));
    say("rename b c", syscall(SYS_rename, "b", "c"));
    show("c", 1);
    say("unlink c", syscall(SYS_unlink, "c"));
    show("a", 1);
}

static void access_checks(void) {
    printf("== access\n");
    say("access a rw", syscall(SYS_access, "a", R_OK | W_OK));
    say("access missing", syscall(SYS_access, "nope", F_OK));
    say("access bad mode", syscall(SYS_access, "a", 8));
    say("access dangling", syscall(SYS_access, "dangling", F_OK));
    say("faccessat2 dangling nofollow", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, NOFOLLOW));
    say("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "a", F_OK, 0x1));
    say("faccessat2 eaccess", syscall(SYS_faccessat2, AT_FDCWD, "a", R_OK, 0x200));
}

static void copy(void) {
    printf("== sendfile\n");
    mkfile("src", "0123456789");
    int in = syscall(SYS_openat, AT_FDCWD, "src", O_RDONLY);
    int out = syscall(SYS_openat, AT_FDCWD, "dst", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    say("sendfile whole", syscall(SYS_sendfile, out, in, NULL, 100));
    say("sendfile at eof", syscall(SYS_sendfile, out, in, NULL, 100));
    say("in offset after", syscall(SYS_lseek, in, 0, SEEK_CUR));
    off_t off = 3;
    say("sendfile offset 3 count 4", syscall(SYS_sendfile, out, in, &off, 4));
    printf("  offset now %lld, in offset %ld\n", (long long)off, syscall(SYS_lseek, in, 0, SEEK_CUR));
    syscall(SYS_close, out);
    char buf[64] = {0};
    int r = syscall(SYS_openat, AT_FDCWD, "dst", O_RDONLY);
    long n = syscall(SYS_read, r, buf, sizeof buf);
    printf("  dst: '%.*s'\n", (int)(n > 0 ? n : 0), buf);
    syscall(SYS_close, r);
    int p[2];
    syscall(SYS_pipe2, p, 0);
    off = 5;
    say("sendfile to pipe", syscall(SYS_sendfile, p[1], in, &off, 100));
    n = syscall(SYS_read, p[0], buf, sizeof buf);
    printf("  pipe: '%.*s'\n", (int)(n > 0 ? n : 0), buf);
    int out2 = syscall(SYS_openat, AT_FDCWD, "dst2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    syscall(SYS_write, p[1], "abc", 3);
    say("sendfile from pipe", syscall(SYS_sendfile, out2, p[0], NULL, 10));
    syscall(SYS_close, out2);
    say("sendfile bad in fd", syscall(SYS_sendfile, p[1], 99, NULL, 10));
    say("sendfile to read-only fd", syscall(SYS_sendfile, in, in, NULL, 10));
    int app = syscall(SYS_openat, AT_FDCWD, "dst", O_WRONLY | O_APPEND);
    off = 0;
    say("sendfile to O_APPEND", syscall(SYS_sendfile, app, in, &off, 10));
    off = -1;
    say("sendfile negative offset", syscall(SYS_sendfile, p[1], in, &off, 10));
    say("sendfile bad offset pointer", syscall(SYS_sendfile, p[1], in, (void *)8, 10));
    syscall(SYS_close, app);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
    syscall(SYS_close, in);
}

static void selects(void) {
    printf("== select, pselect6\n");
    int p[2];
    syscall(SYS_pipe2, p, 0);
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    say("select empty pipe, timeout 0", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
    printf("  read bit=%d\n", FD_ISSET(p[0], &r));
    syscall(SYS_write, p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    say("select data + writable", syscall(SYS_select, p[1] + 1, &r, &w, NULL, NULL));
    printf("  read bit=%d write bit=%d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    FD_ZERO(&r);
    FD_SET(p[1] + 5, &r);
    say("select closed fd", syscall(SYS_select, p[1] + 6, &r, NULL, NULL, &tv));
    say("select nfds -1", syscall(SYS_select, -1, NULL, NULL, NULL, &tv));
    struct timeval neg = {-1, 0};
    say("select negative timeout", syscall(SYS_select, 0, NULL, NULL, NULL, &neg));
    char c;
    syscall(SYS_read, p[0], &c, 1);
    struct timeval t20 = {0, 20000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    say("select 20 ms, nothing", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &t20));
    printf("  timeout left %ld.%06ld read bit=%d\n", (long)t20.tv_sec, (long)t20.tv_usec, FD_ISSET(p[0], &r));
    int f = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    FD_ZERO(&r);
    FD_SET(f, &r);
    say("select regular file", syscall(SYS_select, f + 1, &r, NULL, NULL, NULL));
    syscall(SYS_close, f);
    struct timespec ts0 = {0, 0};
    uint64_t mask = 1 << (SIGUSR1 - 1);
    struct { void *ss; size_t len; } sig = {&mask, 8}, badsig = {&mask, 4};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    say("pselect6 timeout 0 with mask", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts0, &sig));
    say("pselect6 bad sigset size", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts0, &badsig));
    syscall(SYS_close, p[1]);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    say("pselect6 writer closed", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, NULL));
    printf("  read bit=%d\n", FD_ISSET(p[0], &r));
    syscall(SYS_close, p[0]);
}

static void syncs(void) {
    printf("== fsync, sync, fadvise64\n");
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDWR);
    int p[2];
    syscall(SYS_pipe2, p, 0);
    say("fsync file", syscall(SYS_fsync, fd));
    say("fdatasync file", syscall(SYS_fdatasync, fd));
    say("fsync pipe", syscall(SYS_fsync, p[0]));
    say("fsync bad fd", syscall(SYS_fsync, 99));
    say("sync", syscall(SYS_sync));
    say("syncfs", syscall(SYS_syncfs, fd));
    say("syncfs bad fd", syscall(SYS_syncfs, 99));
    say("fadvise sequential", syscall(SYS_fadvise64, fd, 0, 0, 2));
    say("fadvise bad advice", syscall(SYS_fadvise64, fd, 0, 0, 99));
    say("fadvise pipe", syscall(SYS_fadvise64, p[0], 0, 0, 2));
    say("fadvise negative len", syscall(SYS_fadvise64, fd, 0, (long)-1, 2));
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
    syscall(SYS_close, fd);
}

static void locks(void) {
    printf("== flock\n");
    int a = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    int b = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    int a2 = syscall(SYS_dup, a);
    say("a LOCK_EX", syscall(SYS_flock, a, LOCK_EX));
    say("a LOCK_EX again", syscall(SYS_flock, a, LOCK_EX));
    say("dup of a LOCK_EX|NB", syscall(SYS_flock, a2, LOCK_EX | LOCK_NB));
    say("b LOCK_EX|NB", syscall(SYS_flock, b, LOCK_EX | LOCK_NB));
    say("b LOCK_SH|NB", syscall(SYS_flock, b, LOCK_SH | LOCK_NB));
    say("a LOCK_UN", syscall(SYS_flock, a, LOCK_UN));
    say("b LOCK_SH|NB", syscall(SYS_flock, b, LOCK_SH | LOCK_NB));
    say("a LOCK_SH|NB", syscall(SYS_flock, a, LOCK_SH | LOCK_NB));
    say("a upgrade LOCK_EX|NB", syscall(SYS_flock, a, LOCK_EX | LOCK_NB));
    say("b LOCK_EX|NB (a lost its lock)", syscall(SYS_flock, b, LOCK_EX | LOCK_NB));
    say("a LOCK_SH|NB", syscall(SYS_flock, a, LOCK_SH | LOCK_NB));
    syscall(SYS_close, b);
    say("a LOCK_EX|NB after b closed", syscall(SYS_flock, a, LOCK_EX | LOCK_NB));
    say("flock bad op", syscall(SYS_flock, a, 0));
    say("flock bad fd", syscall(SYS_flock, 99, LOCK_SH));
    /* A blocked LOCK_EX waits until the holder lets go. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int c = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
        long r = syscall(SYS_flock, c, LOCK_EX);
        printf("child: blocking LOCK_EX: %s\n", err(r));
        _exit(0);
    }
    struct timespec ms50 = {0, 50000000};
    nanosleep(&ms50, NULL);
    printf("parent: unlocking\n");
    fflush(stdout);
    syscall(SYS_flock, a, LOCK_UN);
    int status;
    waitpid(child, &status, 0);
    syscall(SYS_close, a);
    syscall(SYS_close, a2);
}

static void fsinfo(void) {
    printf("== statfs, sysinfo\n");
    struct statfs_raw {
        long type, bsize; unsigned long blocks, bfree, bavail, files, ffree; int fsid[2];
        long namelen, frsize, flags, spare[4];
    } s, t;
    say("statfs .", syscall(SYS_statfs, ".", &s));
    printf("  tmpfs=%d namelen=%ld bsize>0=%d valid=%d\n", s.type == 0x01021994, s.namelen, s.bsize > 0,
           (s.flags & 0x20) != 0);
    int fd = syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    say("fstatfs file", syscall(SYS_fstatfs, fd, &t));
    printf("  same type=%d same fsid=%d\n", s.type == t.type, s.fsid[0] == t.fsid[0] && s.fsid[1] == t.fsid[1]);
    syscall(SYS_close, fd);
    int p[2];
    syscall(SYS_pipe2, p, 0);
    say("fstatfs pipe", syscall(SYS_fstatfs, p[0], &t));
    printf("  pipefs=%d\n", t.type == 0x50495045);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
    say("statfs missing", syscall(SYS_statfs, "nope", &s));
    say("fstatfs bad fd", syscall(SYS_fstatfs, 99, &s));
    struct {
        long uptime; unsigned long loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
        unsigned short procs, pad; unsigned long totalhigh, freehigh; unsigned mem_unit;
        char f[20 - 2 * sizeof(long) - sizeof(int)];
    } si;
    say("sysinfo", syscall(SYS_sysinfo, &si));
    printf("  ram>0=%d free<=total=%d procs>=1=%d unit=%u\n", si.totalram > 0, si.freeram <= si.totalram,
           si.procs >= 1, si.mem_unit);
    say("sysinfo bad pointer", syscall(SYS_sysinfo, (void *)8));
}

static void ids(void) {
    printf("== uid/gid family (in a child)\n");
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        unsigned r, e, s;
        long fd;
        printf("getuid=%ld geteuid=%ld getgid=%ld getegid=%ld\n", syscall(SYS_getuid), syscall(SYS_geteuid),
               syscall(SYS_getgid), syscall(SYS_getegid));
        gid_t groups[8] = {50, 7, 30};
        say("setgroups 3", syscall(SYS_setgroups, 3, groups));
        say("getgroups 0", syscall(SYS_getgroups, 0, NULL));
        say("getgroups 2 (too small)", syscall(SYS_getgroups, 2, groups));
        memset(groups, 0, sizeof groups);
        long n = syscall(SYS_getgroups, 8, groups);
        printf("getgroups: %ld:", n);
        for (long i = 0; i < n; i++) printf(" %u", groups[i]);
        printf("\n");
        say("setgroups -1", syscall(SYS_setgroups, -1, groups));
        say("setresgid 100 101 102", syscall(SYS_setresgid, 100, 101, 102));
        syscall(SYS_getresgid, &r, &e, &s);
        printf("  resgid %u %u %u getgid=%ld getegid=%ld\n", r, e, s, syscall(SYS_getgid), syscall(SYS_getegid));
        say("setresuid 1000 0 0", syscall(SYS_setresuid, 1000, 0, 0));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u getuid=%ld geteuid=%ld\n", r, e, s, syscall(SYS_getuid), syscall(SYS_geteuid));
        mkfile("rootonly", "secret");
        syscall(SYS_chmod, "rootonly", 0600);
        say("  access rootonly R_OK (real uid 1000)", syscall(SYS_access, "rootonly", R_OK));
        say("  faccessat2 AT_EACCESS (effective 0)", syscall(SYS_faccessat2, AT_FDCWD, "rootonly", R_OK, 0x200));
        show("rootonly", 1);
        syscall(SYS_mkdir, "open", 0777);
        syscall(SYS_chmod, "open", 0777);
        say("setreuid -1 1001", syscall(SYS_setreuid, -1, 1001));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u\n", r, e, s);
        fd = syscall(SYS_openat, AT_FDCWD, "rootonly", O_RDONLY);
        say("  open rootonly as 1001", fd < 0 ? fd : 0);
        fd = syscall(SYS_openat, AT_FDCWD, "mine", O_WRONLY | O_CREAT, 0644);
        say("  create in root-owned dir", fd < 0 ? fd : 0);
        fd = syscall(SYS_openat, AT_FDCWD, "open/mine", O_WRONLY | O_CREAT, 0644);
        say("  create in 0777 dir", fd < 0 ? fd : 0);
        show("open/mine", 1);
        say("  chown open/mine to 5 (not root)", syscall(SYS_chown, "open/mine", 5, -1));
        say("  chmod rootonly (not owner)", syscall(SYS_chmod, "rootonly", 0644));
        say("setgroups as 1001", syscall(SYS_setgroups, 0, NULL));
        say("setresuid -1 1000 -1 (real id)", syscall(SYS_setresuid, -1, 1000, -1));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u\n", r, e, s);
        say("setuid 1001 (saved id)", syscall(SYS_setuid, 1001));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u\n", r, e, s);
        say("setregid -1 102 (saved id)", syscall(SYS_setregid, -1, 102));
        syscall(SYS_getresgid, &r, &e, &s);
        printf("  resgid %u %u %u\n", r, e, s);
        say("setuid 0 (no longer held)", syscall(SYS_setuid, 0));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u\n", r, e, s);
        say("setuid 2000", syscall(SYS_setuid, 2000));
        syscall(SYS_getresuid, &r, &e, &s);
        printf("  resuid %u %u %u\n", r, e, s);
        say("setuid 0 now", syscall(SYS_setuid, 0));
        say("setresuid 2000 -1 -1", syscall(SYS_setresuid, 2000, -1, -1));
        say("setresuid 5 -1 -1", syscall(SYS_setresuid, 5, -1, -1));
        say("setreuid 2000 2000", syscall(SYS_setreuid, 2000, 2000));
        say("setgid 101 (unprivileged, held)", syscall(SYS_setgid, 101));
        say("setgid 9 (unprivileged)", syscall(SYS_setgid, 9));
        say("setregid 102 -1", syscall(SYS_setregid, 102, -1));
        syscall(SYS_getresgid, &r, &e, &s);
        printf("  resgid %u %u %u\n", r, e, s);
        say("setuid -1", syscall(SYS_setuid, -1));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    syscall(SYS_umask, 022);
    if (syscall(SYS_mkdir, argv[1], 0755) < 0 && errno != EEXIST) {
        printf("mkdir %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (syscall(SYS_chdir, argv[1]) < 0) {
        printf("chdir %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    links();
    modes();
    sizes();
    times();
    statxes();
    nodes();
    dirs();
    access_checks();
    copy();
    selects();
    syncs();
    locks();
    fsinfo();
    ids();
    printf("done\n");
    return 0;
}
