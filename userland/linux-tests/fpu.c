/* FPU/SSE/AVX state per thread and process (boot/tests/fpu.rs).
 *
 * Every check keeps distinct values in all 16 vector registers inside one
 * assembly routine (so no compiler-generated code can touch them) while
 * the kernel preempts, yields, forks, delivers a signal whose handler
 * clobbers them, or execs, and then compares them with what was loaded.
 * With AVX (CPUID and XCR0 say so) the registers are ymm0-15, else xmm0-15
 * (the same checks for the fxsave path; `fpu --xmm CASE...` forces them on
 * an AVX machine). Output is relations only, so the host Linux prints the
 * same as Cyrius on a CPU with the same features; `hostile_xstate` needs
 * xsave frames (OSXSAVE).
 */
#include "difftest.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* Load/store all 16 vector registers from/to (base): ymm (32-byte slots)
 * when \wide, else xmm (16 bytes, in the same 32-byte slots). */
__asm__(
    ".macro VLOAD base, wide\n"
    " .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "  .if \\wide\n   vmovdqu \\i*32(\\base), %ymm\\i\n"
    "  .else\n   movdqu \\i*32(\\base), %xmm\\i\n  .endif\n"
    " .endr\n"
    ".endm\n"
    ".macro VSTORE base, wide\n"
    " .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "  .if \\wide\n   vmovdqu %ymm\\i, \\i*32(\\base)\n"
    "  .else\n   movdqu %xmm\\i, \\i*32(\\base)\n  .endif\n"
    " .endr\n"
    ".endm\n"
    /* spin(pattern, rounds, iters, out): load; rounds x (busy loop, touch
     * the vector state, sched_yield); store. */
    ".macro SPIN name, wide\n"
    "\\name:\n"
    " mov %rcx, %r8\n mov %rdx, %r9\n mov %rsi, %r10\n"
    " VLOAD %rdi, \\wide\n"
    "1: mov %r9, %rdx\n"
    "2: dec %rdx\n jnz 2b\n"
    " .if \\wide\n  vxorps %ymm14, %ymm15, %ymm15\n  vxorps %ymm14, %ymm15, %ymm15\n"
    " .else\n  xorps %xmm14, %xmm15\n  xorps %xmm14, %xmm15\n .endif\n"
    " mov $24, %eax\n syscall\n"
    " dec %r10\n jnz 1b\n"
    " VSTORE %r8, \\wide\n"
    " ret\n"
    ".endm\n"
    /* with_syscall(pattern, out, nr, a0, a1, a2): load; syscall nr(a0, a1,
     * a2); store; returns the syscall's result. */
    ".macro WITH_SYSCALL name, wide\n"
    "\\name:\n"
    " mov %rsi, %r11\n push %r11\n"
    " mov %rdx, %rax\n"
    " VLOAD %rdi, \\wide\n"
    " mov %rcx, %rdi\n mov %r8, %rsi\n mov %r9, %rdx\n"
    " syscall\n"
    " pop %r11\n"
    " VSTORE %r11, \\wide\n"
    " ret\n"
    ".endm\n"
    /* The signal handler's first instructions: record the registers and
     * MXCSR/FCW the handler starts with, then the C part. */
    ".macro ENTRY name, wide\n"
    "\\name:\n"
    " lea at_entry(%rip), %rax\n"
    " VSTORE %rax, \\wide\n"
    " stmxcsr entry_mxcsr(%rip)\n fnstcw entry_fcw(%rip)\n"
    " jmp handler_c\n"
    ".endm\n"
    ".text\n"
    "SPIN spin_y, 1\nSPIN spin_x, 0\n"
    "WITH_SYSCALL sys_y, 1\nWITH_SYSCALL sys_x, 0\n"
    "ENTRY entry_y, 1\nENTRY entry_x, 0\n"
    "load_y: VLOAD %rdi, 1\n ret\n"
    "load_x: VLOAD %rdi, 0\n ret\n"
    /* The ymm upper halves (AVX) into out[16][16]. */
    "uppers: .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    " vextractf128 $1, %ymm\\i, \\i*16(%rdi)\n .endr\n ret\n");

typedef unsigned char regs_t[16][32];
void spin_y(const void *, long, long, void *), spin_x(const void *, long, long, void *);
long sys_y(const void *, void *, long, long, long, long), sys_x(const void *, void *, long, long, long, long);
void entry_y(int, siginfo_t *, void *), entry_x(int, siginfo_t *, void *);
void load_y(const void *), load_x(const void *), uppers(void *);

regs_t at_entry __attribute__((aligned(32)));
uint32_t entry_mxcsr;
uint16_t entry_fcw;

static int wide;     /* AVX usable (and not --xmm): ymm, else xmm */
static int osxsave;  /* the kernel uses XSAVE (CPUID.1 ECX.OSXSAVE) */
static int nbytes;   /* bytes compared per register */
static char *self;

static int avx_usable(void) {
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return 0; /* OSXSAVE, AVX */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

static void fill(regs_t r, int seed) {
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 32; j++) r[i][j] = (unsigned char)(seed * 131 + i * 17 + j * 3 + 1);
}

/* spin() rounds of 4M iterations take ~20 ms under QEMU's TCG: longer than
 * the 10 ms slice, so the timer preempts each spinning thread many times
 * besides the sched_yield at the end of every round. */

/* How many registers differ between what was loaded and what came back. */
static int differing(regs_t a, regs_t b) {
    int n = 0;
    for (int i = 0; i < 16; i++) n += memcmp(a[i], b[i], nbytes) != 0;
    return n;
}

static void spin(regs_t in, long rounds, long iters, regs_t out) {
    if (wide) spin_y(in, rounds, iters, out);
    else spin_x(in, rounds, iters, out);
}

static long with_syscall(regs_t in, regs_t out, long nr, long a0, long a1, long a2) {
    return wide ? sys_y(in, out, nr, a0, a1, a2) : sys_x(in, out, nr, a0, a1, a2);
}

static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static uint32_t get_mxcsr(void) {
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static uint16_t get_fcw(void) {
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}

static void case_features(void) {
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    say("AT_HWCAP is CPUID.1 EDX: %d", getauxval(AT_HWCAP) == d);
    say("AT_HWCAP2 has no bits but FSGSBASE: %d", (getauxval(AT_HWCAP2) & ~2ul) == 0);
    unsigned long size = 512 + 0ul;
    if (c & (1u << 27)) {
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
        size = b + 4;
    }
    unsigned long min = getauxval(AT_MINSIGSTKSZ);
    say("AT_MINSIGSTKSZ covers frame + FPU area: %d", min >= 440 + size + 64 && min % 16 == 0);
    say("initial MXCSR 0x%x FCW 0x%x", get_mxcsr(), get_fcw());
}

struct job {
    int seed;
    int bad;
};

static void *spinner(void *arg) {
    struct job *j = arg;
    regs_t in, out;
    fill(in, j->seed);
    spin(in, 20, 4000000, out);
    j->bad = differing(in, out);
    return NULL;
}

static void case_threads(void) {
    struct job jobs[3] = { { 1, -1 }, { 2, -1 }, { 3, -1 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, spinner, &jobs[i]);
    spinner(&jobs[2]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) say("thread %d: registers changed behind its back: %d", i, jobs[i].bad);
}

static void case_fork(void) {
    regs_t in, out;
    fill(in, 4);
    long pid = with_syscall(in, out, SYS_fork, 0, 0, 0);
    if (pid == 0) {
        int inherited = differing(in, out) == 0;
        regs_t mine;
        fill(mine, 5);
        spin(mine, 20, 4000000, out);
        _exit(inherited && differing(mine, out) == 0 ? 0 : 1);
    }
    say("parent kept its registers over fork: %d", differing(in, out) == 0);
    spin(in, 20, 4000000, out);
    say("parent kept them while the child ran: %d", differing(in, out) == 0);
    reap("child (inherited, then kept its own)", pid);
}

/* The handler: checks what it starts with and what the frame holds, then
 * clobbers every register and MXCSR; `edit` makes it change the frame. */
static int edit;
static regs_t pattern, junk;
static int saw_clean, saw_frame, frame_xstate;

void handler_c(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    int clean = entry_mxcsr == 0x1f80 && entry_fcw == 0x37f;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < nbytes; j++) clean &= at_entry[i][j] == 0;
    saw_clean = clean;
    uint32_t magic1 = *(uint32_t *)(fp + 464);
    frame_xstate = magic1 == 0x46505853u && (uc->uc_flags & 1);
    int ok = *(uint32_t *)(fp + 24) == 0x7f80; /* MXCSR */
    for (int i = 0; i < 16; i++) {
        ok &= memcmp(fp + 160 + 16 * i, pattern[i], 16) == 0; /* xmm */
        if (wide && frame_xstate) ok &= memcmp(fp + 576 + 16 * i, pattern[i] + 16, 16) == 0; /* ymm upper */
    }
    saw_frame = ok;
    if (edit == 1) {
        fp[160] ^= 0xff;              /* xmm0's first byte */
        if (wide) fp[576 + 16] ^= 0xff; /* ymm1's upper half */
        *(uint32_t *)(fp + 24) = 0x3f80;
    } else if (edit == 2) {
        *(uint32_t *)(fp + 24) |= 1u << 31; /* a reserved MXCSR bit */
    } else if (edit == 3) {
        fp[512 + 7] |= 0x80; /* xstate_bv bit 63 */
    } else if (edit == 4) {
        fp[512 + 8] = 1; /* xcomp_bv */
    }
    if (wide) load_y(junk);
    else load_x(junk);
    set_mxcsr(0x1f80);
}

static void catch_usr1(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = wide ? entry_y : entry_x;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
}

/* Loads the pattern, MXCSR 0x7f80 (round toward zero), and has the
 * kernel deliver SIGUSR1 from inside the routine; returns MXCSR after. */
static uint32_t signal_round(regs_t out) {
    fill(pattern, 6);
    fill(junk, 7);
    catch_usr1();
    set_mxcsr(0x7f80);
    with_syscall(pattern, out, SYS_kill, getpid(), SIGUSR1, 0);
    uint32_t after = get_mxcsr();
    set_mxcsr(0x1f80);
    signal(SIGUSR1, SIG_DFL);
    return after;
}

static void case_signal(void) {
    regs_t out;
    edit = 0;
    int mxcsr = signal_round(out) == 0x7f80;
    say("handler starts with the init FPU state: %d", saw_clean);
    say("frame holds the interrupted registers and MXCSR: %d", saw_frame);
    say("frame is an xsave frame exactly when the kernel uses XSAVE: %d", frame_xstate == osxsave);
    say("registers survive a clobbering handler: %d", differing(pattern, out) == 0);
    say("MXCSR survives: %d", mxcsr);
}

static void case_signal_edit(void) {
    regs_t out;
    edit = 1;
    uint32_t mxcsr = signal_round(out);
    regs_t want;
    memcpy(want, pattern, sizeof want);
    want[0][0] ^= 0xff;
    if (wide) want[1][16] ^= 0xff;
    say("edits of the frame's registers take effect: %d", differing(want, out) == 0);
    say("an edit of the frame's MXCSR takes effect: %d", mxcsr == 0x3f80);
    edit = 0;
}

/* A frame made unloadable: rt_sigreturn must kill with SIGSEGV, not crash. */
static void hostile(int how, const char *what) {
    pid_t pid = fork();
    if (pid == 0) {
        regs_t out;
        edit = how;
        signal_round(out);
        _exit(0);
    }
    reap(what, pid);
}

static void case_hostile(void) { hostile(2, "reserved MXCSR bit in the frame"); }

static void case_hostile_xstate(void) {
    if (!osxsave) {
        say("no xsave frames here");
        return;
    }
    hostile(3, "xstate_bv beyond XCR0");
    hostile(4, "xcomp_bv set");
}

/* exec gives the new program the init state, whatever the old one had. */
static void case_exec(void) {
    pid_t pid = fork();
    if (pid == 0) {
        regs_t in, out;
        fill(in, 8);
        char *argv[] = { self, wide ? "--fresh" : "--fresh-xmm", NULL };
        char *envp[] = { NULL };
        set_mxcsr(0x7f80);
        __asm__ volatile("fldpi\n fldcw %0" : : "m"((uint16_t){ 0x27f }));
        with_syscall(in, out, SYS_execve, (long)self, (long)argv, (long)envp);
        _exit(99);
    }
    reap("exec'd program", pid);
}

static int fresh(void) {
    int ok = get_mxcsr() == 0x1f80 && get_fcw() == 0x37f;
    uint16_t fsw;
    __asm__ volatile("fnstsw %0" : "=m"(fsw));
    ok &= ((fsw >> 11) & 7) == 0; /* x87 stack empty: TOP 0 */
    say("after exec: MXCSR, FCW and the x87 stack are in their init state: %d", ok);
    if (wide) {
        unsigned char up[16][16];
        uppers(up);
        int zero = 1;
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) zero &= up[i][j] == 0;
        say("after exec: the ymm upper halves are zero: %d", zero);
        ok &= zero;
    }
    return ok ? 3 : 4;
}

static const struct dcase cases[] = {
    CASE(features), CASE(threads), CASE(fork), CASE(signal), CASE(signal_edit), CASE(hostile), CASE(hostile_xstate),
    CASE(exec), { 0, 0 },
};

int main(int argc, char **argv) {
    self = argv[0];
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    osxsave = (c >> 27) & 1;
    wide = avx_usable();
    if (argc > 1 && strcmp(argv[1], "--xmm") == 0) {
        wide = 0;
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    nbytes = wide ? 32 : 16;
    if (argc > 1 && strcmp(argv[1], "--fresh-xmm") == 0) wide = 0;
    if (argc > 1 && strncmp(argv[1], "--fresh", 7) == 0) return fresh();
    if (argc > 1 && strcmp(argv[1], "--avx") == 0) {
        say("avx %d xsave %d", wide, osxsave);
        return 0;
    }
    return run_cases(cases, argc, argv, 0);
}
