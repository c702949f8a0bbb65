/* Hands the kernel bad user pointers: each call must fail with EFAULT. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void report(const char *what, long r) {
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

int main(void) {
    report("write(1, NULL, 5)", syscall(SYS_write, 1, (void *)0, 5));
    report("write(1, kernel address, 5)", syscall(SYS_write, 1, (void *)0xffff800000000000UL, 5));
    report("uname(NULL)", syscall(SYS_uname, (void *)0));
    report("clock_gettime(REALTIME, 0x10)", syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)0x10));
    report("write(99, buf, 1)", syscall(SYS_write, 99, "x", 1));
    report("syscall 1000", syscall(1000));
    struct utsname u;
    report("uname(&u)", syscall(SYS_uname, &u));
    printf("sysname=%s machine=%s\n", u.sysname, u.machine);
    return 3;
}
