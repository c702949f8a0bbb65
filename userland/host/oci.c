/*
 * oci: a host-world program for Cyrius. It runs in user mode but is served by
 * the kernel's host OCI-verb table, not the Linux one: each OCI verb is ONE
 * system call. No libc (libc would issue Linux syscalls); built with
 * -nostdlib and marked host-world by ELFOSABI 0xC7 in its ELF header.
 *
 *   oci create ID IMAGE [CMD...] | start ID | state ID | kill ID SIG | delete ID [force]
 */
#define HOST_WRITE 0
#define HOST_EXIT 1
#define HOST_CREATE 2
#define HOST_START 3
#define HOST_STATE 4
#define HOST_KILL 5
#define HOST_DELETE 6

typedef unsigned long u64;

static long host6(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return ret;
}

static long host(long nr, long a, long b, long c, long d) { return host6(nr, a, b, c, d, 0, 0); }

static u64 len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void out(const char *s) { host(HOST_WRITE, 1, (long)s, (long)len(s), 0); }
static int eq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
static long num(const char *s) { long v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0'); return v; }

static void fail(long err) {
    static char buf[32];
    int i = 31;
    unsigned long v = (unsigned long)(-err);
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v && i > 0);
    out("oci: error ");
    out(buf + i);
    out("\n");
    host(HOST_EXIT, 1, 0, 0, 0);
}

static int run(int argc, char **argv) {
    if (argc < 3) {
        out("usage: oci create ID IMAGE [CMD...] | start ID | state ID | kill ID SIG | delete ID [force]\n");
        return 2;
    }
    const char *verb = argv[1], *id = argv[2];
    long r;
    if (eq(verb, "create") && argc >= 4) {
        static char cmd[1024];
        u64 n = 0; /* the words after IMAGE, joined by spaces */
        for (int i = 4; i < argc; i++) {
            if (i > 4 && n < sizeof cmd - 1) cmd[n++] = ' ';
            for (const char *c = argv[i]; *c && n < sizeof cmd - 1; c++) cmd[n++] = *c;
        }
        r = host6(HOST_CREATE, (long)id, (long)len(id), (long)argv[3], (long)len(argv[3]), (long)cmd, (long)n);
    }
    else if (eq(verb, "start")) r = host(HOST_START, (long)id, (long)len(id), 0, 0);
    else if (eq(verb, "kill") && argc == 4) r = host(HOST_KILL, (long)id, (long)len(id), num(argv[3]), 0);
    else if (eq(verb, "delete")) r = host(HOST_DELETE, (long)id, (long)len(id), argc > 3 && eq(argv[3], "force"), 0);
    else if (eq(verb, "state")) {
        static char json[4096];
        r = host(HOST_STATE, (long)id, (long)len(id), (long)json, sizeof json - 1);
        if (r >= 0) { json[r] = 0; out(json); out("\n"); }
    } else {
        out("oci: unknown verb\n");
        return 2;
    }
    if (r < 0) fail(r);
    return 0;
}

/* Entry: the initial stack holds argc, argv[], NULL, envp[] (as for Linux programs). */
void oci_main(long *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    host(HOST_EXIT, run(argc, argv), 0, 0, 0);
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call oci_main\n ud2\n");
