/* Hands the kernel bad user pointers, lengths and ranges across the
 * syscall families: kernel-half and non-canonical addresses, lengths that
 * wrap or pass the end of user space, misaligned and empty ranges, and
 * integer arguments whose upper half Linux ignores. Every call must fail
 * (or succeed) exactly as on Linux, and nothing may be lost on the way
 * (the pipe still holds its bytes after the failed reads). Exit status 3. */
#include "difftest.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

/* The first address of the kernel half. */
#define KERNEL ((void *)0xffff800000000000UL)
/* Non-canonical: bit 63 set, bits 47..62 clear. */
#define NONCANON ((void *)0x8000000000000000UL)
/* Canonical but just past user space (the hole's lower end). */
#define PAST_USER ((void *)0x0000800000000000UL)
#define HUGE_LEN ((size_t)-1)
#define PAGE 4096UL

static void ret(const char *what, long r) { say_ret(what, r); }

/* "ok" for success whose value differs between systems (addresses, counts). */
static void okay(const char *what, long r) {
    if (r < 0) say("%s: -1 %s", what, ename(errno));
    else say("%s: ok", what);
}

static char buf[8192];

static void case_classic(void) {
    ret("write(1, NULL, 5)", syscall(SYS_write, 1, (void *)0, 5));
    ret("write(1, kernel address, 5)", syscall(SYS_write, 1, KERNEL, 5));
    ret("uname(NULL)", syscall(SYS_uname, (void *)0));
    ret("clock_gettime(REALTIME, 0x10)", syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)0x10));
    ret("write(99, buf, 1)", syscall(SYS_write, 99, "x", 1));
    ret("syscall 1000", syscall(1000));
    ret("syscall -1", syscall(-1L));
    ret("syscall sched_yield | 1<<32 (the number is an int)", syscall((1L << 32) | SYS_sched_yield));
    struct utsname u;
    ret("uname(&u)", syscall(SYS_uname, &u));
    say("sysname=%s machine=%s", u.sysname, u.machine);
}

static void case_read_write(void) {
    int p[2];
    if (pipe(p) < 0) return say("pipe failed");
    ret("write(pipe, abc, 3)", write(p[1], "abc", 3));
    ret("read(pipe, kernel, 3)", syscall(SYS_read, p[0], KERNEL, 3));
    ret("read(pipe, noncanonical, 3)", syscall(SYS_read, p[0], NONCANON, 3));
    ret("read(pipe, past user space, 3)", syscall(SYS_read, p[0], PAST_USER, 3));
    ret("read(pipe, buf, SIZE_MAX)", syscall(SYS_read, p[0], buf, HUGE_LEN));
    ret("read(pipe, buf, 1<<62)", syscall(SYS_read, p[0], buf, 1UL << 62));
    ret("read(pipe, buf, 3) after the failures", syscall(SYS_read, p[0], buf, 3));
    say("bytes: %.3s", buf);
    ret("write(pipe, kernel, 1)", syscall(SYS_write, p[1], KERNEL, 1));
    ret("write(pipe, noncanonical, 1)", syscall(SYS_write, p[1], NONCANON, 1));
    ret("write(pipe, buf, SIZE_MAX)", syscall(SYS_write, p[1], buf, HUGE_LEN));
    ret("write(pipe, NULL, 0)", syscall(SYS_write, p[1], (void *)0, 0));
    ret("read(pipe, kernel, 0)", syscall(SYS_read, p[0], KERNEL, 0));
    ret("read(-1, kernel, 3)", syscall(SYS_read, -1, KERNEL, 3));
    ret("pread64(pipe, buf, 1, 0)", syscall(SYS_pread64, p[0], buf, 1, 0));
    ret("pread64(pipe, buf, 1, -1)", syscall(SYS_pread64, p[0], buf, 1, -1L));
    /* The upper half of an `int fd` is ignored. */
    ret("write(pipe | 1<<32, x, 1)", syscall(SYS_write, (long)p[1] | (1L << 32), "x", 1));
    ret("read(pipe | 1<<32, buf, 1)", syscall(SYS_read, (long)p[0] | (1L << 32), buf, 1));
    close(p[0]);
    close(p[1]);
}

static void case_paths(void) {
    struct stat st;
    ret("stat(kernel path)", syscall(SYS_stat, KERNEL, &st));
    ret("stat(noncanonical path)", syscall(SYS_stat, NONCANON, &st));
    ret("stat(/, kernel buf)", syscall(SYS_stat, "/", KERNEL));
    ret("stat(/, noncanonical buf)", syscall(SYS_stat, "/", NONCANON));
    ret("fstat(0, past user space)", syscall(SYS_fstat, 0, PAST_USER));
    ret("newfstatat(AT_FDCWD, /, buf, 0x80000000)", syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0x80000000L));
    ret("open(kernel path)", syscall(SYS_open, KERNEL, O_RDONLY));
    ret("openat(AT_FDCWD, noncanonical path)", syscall(SYS_openat, AT_FDCWD, NONCANON, O_RDONLY));
    ret("openat(AT_FDCWD as an unsigned int, NULL)", syscall(SYS_openat, (long)AT_FDCWD & 0xffffffffL, (void *)0, O_RDONLY));
    ret("access(kernel path)", syscall(SYS_access, KERNEL, F_OK));
    ret("mkdir(noncanonical path)", syscall(SYS_mkdir, NONCANON, 0755));
    ret("readlink(/, buf, 0)", syscall(SYS_readlink, "/", buf, 0));
    ret("getcwd(kernel, 4096)", syscall(SYS_getcwd, KERNEL, 4096));
    ret("getcwd(buf, 1)", syscall(SYS_getcwd, buf, 1));
    ret("chdir(past user space)", syscall(SYS_chdir, PAST_USER));
    ret("truncate(kernel path, 0)", syscall(SYS_truncate, KERNEL, 0));
    ret("ftruncate(-1, -1)", syscall(SYS_ftruncate, -1, -1L));
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    ret("getdents64(/, kernel, 4096)", syscall(SYS_getdents64, dir, KERNEL, 4096));
    ret("getdents64(/, noncanonical, 4096)", syscall(SYS_getdents64, dir, NONCANON, 4096));
    okay("getdents64(/, buf, 4096) after the failures", syscall(SYS_getdents64, dir, buf, 4096));
    close(dir);
}

static void case_vectors(void) {
    int p[2];
    if (pipe(p) < 0) return say("pipe failed");
    (void)!write(p[1], "hello", 5);
    struct iovec iov[2] = { { buf, 2 }, { KERNEL, 3 } };
    ret("readv(pipe, kernel iovec array, 1)", syscall(SYS_readv, p[0], KERNEL, 1));
    ret("readv(pipe, {buf, kernel}, 2)", syscall(SYS_readv, p[0], iov, 2));
    iov[1].iov_base = NONCANON;
    ret("readv(pipe, {buf, noncanonical}, 2)", syscall(SYS_readv, p[0], iov, 2));
    iov[1] = (struct iovec){ buf, HUGE_LEN };
    ret("readv(pipe, {buf, SIZE_MAX}, 2)", syscall(SYS_readv, p[0], iov, 2));
    iov[1] = (struct iovec){ buf, 1UL << 62 };
    ret("readv(pipe, {buf, 1<<62}, 2)", syscall(SYS_readv, p[0], iov, 2));
    ret("readv(pipe, iov, 1025)", syscall(SYS_readv, p[0], iov, 1025));
    ret("readv(pipe, NULL, 0)", syscall(SYS_readv, p[0], (void *)0, 0));
    iov[1] = (struct iovec){ buf + 2, 3 };
    ret("readv(pipe, {buf, buf+2}, 2) after the failures", syscall(SYS_readv, p[0], iov, 2));
    say("bytes: %.5s", buf);
    iov[0] = (struct iovec){ KERNEL, 1 };
    ret("writev(pipe, {kernel}, 1)", syscall(SYS_writev, p[1], iov, 1));
    close(p[0]);
    close(p[1]);
}

static void case_sockets(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return say("socketpair failed");
    ret("socketpair(AF_UNIX, kernel)", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, KERNEL));
    ret("sendto(sock, kernel, 4)", syscall(SYS_sendto, sv[0], KERNEL, 4, 0, (void *)0, 0));
    ret("sendto(-1, kernel, 4)", syscall(SYS_sendto, -1, KERNEL, 4, 0, (void *)0, 0));
    ret("sendto(sock, buf, 4, 0, kernel addr, 16)", syscall(SYS_sendto, sv[0], buf, 4, 0, KERNEL, 16));
    ret("sendto(sock, buf, 4, 0, buf, -1)", syscall(SYS_sendto, sv[0], buf, 4, 0, buf, -1));
    ret("send(sock, ping, 4)", syscall(SYS_sendto, sv[0], "ping", 4, 0, (void *)0, 0));
    ret("recvfrom(sock, kernel, 4)", syscall(SYS_recvfrom, sv[1], KERNEL, 4, MSG_DONTWAIT, (void *)0, (void *)0));
    ret("recvfrom(sock, noncanonical, 4)", syscall(SYS_recvfrom, sv[1], NONCANON, 4, MSG_DONTWAIT, (void *)0, (void *)0));
    ret("recvmsg(sock, kernel msghdr)", syscall(SYS_recvmsg, sv[1], KERNEL, MSG_DONTWAIT));
    struct iovec iov = { KERNEL, 4 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    ret("recvmsg(sock, {iov: kernel})", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));
    m.msg_iov = KERNEL;
    ret("recvmsg(sock, {iov array: kernel})", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));
    m.msg_iovlen = 1025;
    ret("recvmsg(sock, {iovlen 1025})", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));
    iov = (struct iovec){ buf, 4 };
    m = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
    ret("recvmsg(sock, buf) after the failures", syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT));
    say("bytes: %.4s", buf);
    m.msg_name = KERNEL;
    m.msg_namelen = 16;
    ret("sendmsg(sock, {name: kernel})", syscall(SYS_sendmsg, sv[0], &m, 0));
    ret("sendmsg(sock, kernel msghdr)", syscall(SYS_sendmsg, sv[0], KERNEL, 0));
    ret("getsockname(sock, buf, NULL)", syscall(SYS_getsockname, sv[0], buf, (void *)0));
    ret("getsockname(sock, buf, kernel)", syscall(SYS_getsockname, sv[0], buf, KERNEL));
    int len = -1;
    ret("getsockname(sock, buf, &-1)", syscall(SYS_getsockname, sv[0], buf, &len));
    ret("getsockopt(sock, SOL_SOCKET, SO_TYPE, buf, kernel)", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, buf, KERNEL));
    ret("setsockopt(sock, SOL_SOCKET, SO_RCVBUF, kernel, 4)", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVBUF, KERNEL, 4));
    ret("bind(sock, kernel, 16)", syscall(SYS_bind, sv[0], KERNEL, 16));
    ret("connect(sock, kernel, 16)", syscall(SYS_connect, sv[0], KERNEL, 16));
    ret("connect(sock, buf, 129)", syscall(SYS_connect, sv[0], buf, 129));
    close(sv[0]);
    close(sv[1]);
}

static void case_waiting(void) {
    struct pollfd pfd = { 0, POLLOUT, 0 };
    ret("poll(kernel, 1, 0)", syscall(SYS_poll, KERNEL, 1, 0));
    ret("poll(noncanonical, 1, 0)", syscall(SYS_poll, NONCANON, 1, 0));
    ret("poll(NULL, 0, 0)", syscall(SYS_poll, (void *)0, 0, 0));
    ret("poll(&pfd, 1<<30, 0)", syscall(SYS_poll, &pfd, 1L << 30, 0));
    ret("poll(&pfd, 1 | 1<<32, 0) (nfds is an unsigned int)", syscall(SYS_poll, &pfd, 1L | (1L << 32), 0) >= 0 ? 0 : -1);
    ret("ppoll(&pfd, 1, kernel timeout)", syscall(SYS_ppoll, &pfd, 1, KERNEL, (void *)0, 8));
    struct timeval tv = { 0, 0 };
    ret("select(1, kernel, NULL, NULL, &0)", syscall(SYS_select, 1, KERNEL, (void *)0, (void *)0, &tv));
    ret("select(1, NULL, NULL, NULL, kernel)", syscall(SYS_select, 1, (void *)0, (void *)0, (void *)0, KERNEL));
    ret("select(-1, ...)", syscall(SYS_select, -1, (void *)0, (void *)0, (void *)0, &tv));
    int ep = epoll_create1(0);
    ret("epoll_wait(ep, kernel, 1, 0)", syscall(SYS_epoll_wait, ep, KERNEL, 1, 0));
    ret("epoll_ctl(ep, ADD, 0, kernel)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, 0, KERNEL));
    ret("epoll_ctl(ep, 99, 0, kernel)", syscall(SYS_epoll_ctl, ep, 99, 0, KERNEL));
    close(ep);
    static uint32_t word = 7;
    ret("futex(kernel, WAKE, 1)", syscall(SYS_futex, KERNEL, FUTEX_WAKE, 1, 0, 0, 0));
    ret("futex(noncanonical, WAKE, 1)", syscall(SYS_futex, NONCANON, FUTEX_WAKE, 1, 0, 0, 0));
    ret("futex(&word + 1 byte, WAKE, 1)", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAKE, 1, 0, 0, 0));
    ret("futex(&word, WAKE, 1)", syscall(SYS_futex, &word, FUTEX_WAKE, 1, 0, 0, 0));
    ret("futex(&word, WAIT, 7, kernel timeout)", syscall(SYS_futex, &word, FUTEX_WAIT, 7, KERNEL, 0, 0));
    ret("futex(&word, WAIT, 8, NULL)", syscall(SYS_futex, &word, FUTEX_WAIT, 8, (void *)0, 0, 0));
    ret("futex(kernel, WAIT, 0, NULL)", syscall(SYS_futex, KERNEL, FUTEX_WAIT, 0, (void *)0, 0, 0));
    ret("nanosleep(kernel, NULL)", syscall(SYS_nanosleep, KERNEL, (void *)0));
    ret("clock_nanosleep(MONOTONIC, 0, noncanonical)", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NONCANON, (void *)0));
}

static void case_signals(void) {
    ret("rt_sigaction(SIGUSR1, kernel, NULL, 8)", syscall(SYS_rt_sigaction, SIGUSR1, KERNEL, (void *)0, 8));
    ret("rt_sigaction(SIGUSR1, NULL, kernel, 8)", syscall(SYS_rt_sigaction, SIGUSR1, (void *)0, KERNEL, 8));
    ret("rt_sigaction(SIGUSR1, NULL, noncanonical, 8)", syscall(SYS_rt_sigaction, SIGUSR1, (void *)0, NONCANON, 8));
    ret("rt_sigaction(SIGUSR1, NULL, NULL, 1<<32 | 8)", syscall(SYS_rt_sigaction, SIGUSR1, (void *)0, (void *)0, (1L << 32) | 8));
    ret("rt_sigaction(SIGUSR1 | 1<<32, NULL, NULL, 8)", syscall(SYS_rt_sigaction, SIGUSR1 | (1L << 32), (void *)0, (void *)0, 8));
    ret("rt_sigprocmask(SIG_BLOCK, kernel, NULL, 8)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, KERNEL, (void *)0, 8));
    ret("rt_sigprocmask(SIG_BLOCK, NULL, past user space, 8)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)0, PAST_USER, 8));
    ret("rt_sigpending(kernel, 8)", syscall(SYS_rt_sigpending, KERNEL, 8));
    ret("sigaltstack(kernel, NULL)", syscall(SYS_sigaltstack, KERNEL, (void *)0));
    ret("kill(self, 1<<32) (signal 0)", syscall(SYS_kill, getpid(), 1L << 32));
    ret("kill(self, 65)", syscall(SYS_kill, getpid(), 65));
}

static void case_time_and_info(void) {
    ret("clock_gettime(MONOTONIC, kernel)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL));
    ret("clock_gettime(MONOTONIC, noncanonical)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NONCANON));
    ret("clock_gettime(MONOTONIC, last user byte)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (char *)PAST_USER - 1));
    ret("clock_gettime(1<<32 | MONOTONIC, buf)", syscall(SYS_clock_gettime, (1L << 32) | CLOCK_MONOTONIC, buf));
    ret("clock_getres(MONOTONIC, kernel)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, KERNEL));
    ret("gettimeofday(kernel, NULL)", syscall(SYS_gettimeofday, KERNEL, (void *)0));
    ret("time(kernel)", syscall(SYS_time, KERNEL) < 0 ? -1 : 0);
    ret("sysinfo(kernel)", syscall(SYS_sysinfo, KERNEL));
    ret("getrusage(SELF, kernel)", syscall(SYS_getrusage, RUSAGE_SELF, KERNEL));
    ret("times(kernel)", syscall(SYS_times, KERNEL) == -1 ? -1 : 0);
    ret("getrandom(kernel, 16, 0)", syscall(SYS_getrandom, KERNEL, 16, 0));
    ret("getrandom(buf, 16, 0x100)", syscall(SYS_getrandom, buf, 16, 0x100));
    ret("prctl(PR_SET_NAME, kernel)", syscall(SYS_prctl, 15, KERNEL, 0, 0, 0));
    ret("pipe(kernel)", syscall(SYS_pipe, KERNEL));
    ret("pipe2(buf, 0x1)", syscall(SYS_pipe2, buf, 1));
    ret("execve(kernel path)", syscall(SYS_execve, KERNEL, (void *)0, (void *)0));
    ret("wait4(-1, kernel, WNOHANG | 0x100, NULL)", syscall(SYS_wait4, -1, KERNEL, WNOHANG | 0x100, (void *)0));
}

static void case_memory(void) {
    char *m = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return say("mmap failed");
    ret("munmap(kernel, 4096)", syscall(SYS_munmap, KERNEL, PAGE));
    ret("munmap(past user space, 4096)", syscall(SYS_munmap, PAST_USER, PAGE));
    ret("munmap(noncanonical, 4096)", syscall(SYS_munmap, NONCANON, PAGE));
    ret("munmap(m, SIZE_MAX)", syscall(SYS_munmap, m, HUGE_LEN));
    ret("munmap(m, 0)", syscall(SYS_munmap, m, 0));
    ret("munmap(m + 1, 4096)", syscall(SYS_munmap, m + 1, PAGE));
    ret("mprotect(kernel, 4096, READ)", syscall(SYS_mprotect, KERNEL, PAGE, PROT_READ));
    ret("mprotect(past user space, 4096, READ)", syscall(SYS_mprotect, PAST_USER, PAGE, PROT_READ));
    ret("mprotect(m, SIZE_MAX, READ)", syscall(SYS_mprotect, m, HUGE_LEN, PROT_READ));
    ret("mprotect(m + 1, 4096, READ)", syscall(SYS_mprotect, m + 1, PAGE, PROT_READ));
    ret("mprotect(m, 4096, 0x100)", syscall(SYS_mprotect, m, PAGE, 0x100));
    ret("mprotect(m, 4096, GROWSDOWN | GROWSUP)", syscall(SYS_mprotect, m, PAGE, PROT_GROWSDOWN | PROT_GROWSUP));
    ret("mprotect(m, 4096, READ | GROWSDOWN)", syscall(SYS_mprotect, m, PAGE, PROT_READ | PROT_GROWSDOWN));
    ret("mprotect(m, 0, READ)", syscall(SYS_mprotect, m, 0, PROT_READ));
    ret("mprotect(m, 4096, READ | 1<<32)", syscall(SYS_mprotect, m, PAGE, PROT_READ | (1L << 32)));
    long fixed = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    ret("mmap(kernel, 4096, FIXED)", syscall(SYS_mmap, KERNEL, PAGE, PROT_READ, fixed, -1, 0));
    ret("mmap(past user space - 4096, 8192, FIXED)", syscall(SYS_mmap, (char *)PAST_USER - PAGE, 2 * PAGE, PROT_READ, fixed, -1, 0));
    ret("mmap(m + 1, 4096, FIXED)", syscall(SYS_mmap, m + 1, PAGE, PROT_READ, fixed, -1, 0));
    long anon = MAP_PRIVATE | MAP_ANONYMOUS;
    ret("mmap(NULL, SIZE_MAX)", syscall(SYS_mmap, 0, HUGE_LEN, PROT_READ, anon, -1, 0));
    ret("mmap(NULL, 1<<62)", syscall(SYS_mmap, 0, 1UL << 62, PROT_READ, anon, -1, 0));
    ret("mmap(NULL, 0)", syscall(SYS_mmap, 0, 0, PROT_READ, anon, -1, 0));
    ret("mmap(NULL, 4096, offset 4097)", syscall(SYS_mmap, 0, PAGE, PROT_READ, anon, -1, PAGE + 1));
    ret("mmap(NULL, 4096, no type)", syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
    ret("mmap(NULL, 4096, fd -1, not anonymous)", syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, -1, 0));
    okay("mmap(m + 1 as a hint, 4096)", syscall(SYS_mmap, m + 1, PAGE, PROT_READ, anon, -1, 0));
    ret("madvise(kernel, 4096, NORMAL)", syscall(SYS_madvise, KERNEL, PAGE, MADV_NORMAL));
    ret("madvise(m, SIZE_MAX, NORMAL)", syscall(SYS_madvise, m, HUGE_LEN, MADV_NORMAL));
    ret("madvise(m, 4096, 999)", syscall(SYS_madvise, m, PAGE, 999));
    ret("madvise(m + 1, 4096, NORMAL)", syscall(SYS_madvise, m + 1, PAGE, MADV_NORMAL));
    ret("msync(kernel, 4096, SYNC)", syscall(SYS_msync, KERNEL, PAGE, MS_SYNC));
    ret("msync(m, SIZE_MAX, SYNC)", syscall(SYS_msync, m, HUGE_LEN, MS_SYNC));
    ret("msync(m, 4096, ASYNC | SYNC)", syscall(SYS_msync, m, PAGE, MS_ASYNC | MS_SYNC));
    ret("mremap(kernel, 4096, 8192, MAYMOVE)", syscall(SYS_mremap, KERNEL, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0));
    ret("mremap(m, 4096, 0, 0)", syscall(SYS_mremap, m, PAGE, 0, 0, 0));
    ret("mremap(m, 4096, 8192, 0x80)", syscall(SYS_mremap, m, PAGE, 2 * PAGE, 0x80, 0));
    ret("brk(kernel) is the old break", syscall(SYS_brk, KERNEL) == syscall(SYS_brk, 0) ? 0 : -1);
    m[0] = 1;
    ret("m still writable", m[0] == 1 ? 0 : -1);
    munmap(m, 4 * PAGE);
}

static const struct dcase cases[] = {
    CASE(classic), CASE(read_write), CASE(paths), CASE(vectors), CASE(sockets),
    CASE(waiting), CASE(signals), CASE(time_and_info), CASE(memory), { 0, 0 },
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 3);
}
