/* Signals: handlers and sigreturn (registers and SSE state survive
 * asynchronous delivery), siginfo, masks and pending sets, SA_RESETHAND,
 * SA_NODEFER, SA_RESTART, SA_ONSTACK, raise/kill/tgkill, sigqueue and
 * queued real-time signals, sigsuspend, sigtimedwait, SIGCHLD, job control
 * stops, interrupted sleeps, alarm and interval timers, faults caught by
 * handlers (and forced when blocked or ignored), frames that cannot be
 * written. Exits 12. */
#include "difftest.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>

static volatile sig_atomic_t hits;
static void count_handler(int sig) { (void)sig; hits++; }

static void set_handler(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void set_info_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void block(int how, int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static int is_pending(int sig) {
    sigset_t s;
    sigpending(&s);
    return sigismember(&s, sig);
}

static int is_blocked(int sig) {
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

/* ---- registers across asynchronous handlers ---- */

static volatile double handler_sink;
static void noisy_handler(int sig) {
    /* Clobbers general and SSE registers. */
    double d = sig * 1.5;
    unsigned long x = sig;
    for (int i = 0; i < 200; i++) {
        d = d * 1.000001 + i / 3.0;
        x = x * 2862933555777941757UL + 3037000493UL;
    }
    handler_sink = d + (double)(x & 0xffff);
    hits++;
}

/* Integer and floating-point work with many live registers, no syscalls. */
static __attribute__((noinline)) unsigned long work(unsigned long seed, double *fp) {
    unsigned long a = seed, b = seed ^ 0x9e3779b97f4a7c15UL, c = 1, d = 2, e = 3, f = 5, g = 7, h = 11;
    double x = 1.0, y = 0.5, z = 0.25, w = 0.125;
    for (int i = 0; i < 100000; i++) {
        a = a * 6364136223846793005UL + 1442695040888963407UL;
        b ^= a >> 17;
        c += a ^ (b << 3);
        d = (d << 1 | d >> 63) ^ c;
        e += d * 3 + i;
        f ^= e >> 7;
        g += f + a;
        h = h * 31 + (g >> 11);
        x = x * 1.0000001 + (double)(a & 0xff) * 1e-6;
        y = y * 0.99999 + x * 1e-3;
        z = z + y * w;
        w = w * 0.9999999 + 1e-9 * (double)(h & 0xf);
    }
    *fp = x + y + z + w;
    return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

static void case_registers(void) {
    double ref_f;
    unsigned long ref = work(42, &ref_f);
    set_handler(SIGUSR1, noisy_handler, 0);
    hits = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            kill(parent, SIGUSR1);
            sleep_ms(2);
        }
    }
    int rounds = 0, mismatches = 0;
    long long deadline = now_ms() + 20000;
    while (hits < 30 && now_ms() < deadline) {
        double f;
        unsigned long r = work(42, &f);
        mismatches += r != ref || f != ref_f;
        rounds++;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    say("30 signals arrived during the computation: %d", hits >= 30);
    say("rounds with a wrong result: %d", mismatches);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- siginfo ---- */

static siginfo_t last_info;
static int last_had_context;
static void info_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    last_info = *si;
    last_had_context = ctx != NULL;
    hits++;
}

static void case_siginfo(void) {
    set_info_handler(SIGUSR1, info_handler, 0);
    set_info_handler(SIGUSR2, info_handler, 0);
    raise(SIGUSR1);
    say("raise: si_signo=%d si_code=%d si_pid is me: %d context: %d", last_info.si_signo, last_info.si_code,
        last_info.si_pid == getpid(), last_had_context);
    kill(getpid(), SIGUSR2);
    say("kill: si_signo=%d si_code=%d si_pid is me: %d", last_info.si_signo, last_info.si_code, last_info.si_pid == getpid());
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    say("tgkill: si_signo=%d si_code=%d si_pid is me: %d", last_info.si_signo, last_info.si_code, last_info.si_pid == getpid());
    hits = 0;
    /* SA_RESTART: whether the signal comes before or during waitpid, the
     * wait goes on (the order is up to the scheduler). */
    set_info_handler(SIGUSR2, info_handler, SA_RESTART);
    pid_t pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    reap("sender", pid);
    say("from a child: handled %d si_code=%d si_pid is the child: %d", (int)hits, last_info.si_code, last_info.si_pid == pid);
    set_handler(SIGUSR1, SIG_DFL, 0);
    set_handler(SIGUSR2, SIG_DFL, 0);
}

static void case_sigqueue(void) {
    set_info_handler(SIGUSR1, info_handler, 0);
    memset(&last_info, 0, sizeof last_info);
    union sigval v = { .sival_int = 1234 };
    say_ret("sigqueue", sigqueue(getpid(), SIGUSR1, v));
    say("si_code=%d si_value=%d", last_info.si_code, last_info.si_value.sival_int);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- masks ---- */

static int order[8], order_n;
static void order_handler(int sig) {
    if (order_n < 8) order[order_n++] = sig;
}

static void case_mask(void) {
    set_handler(SIGUSR1, count_handler, 0);
    hits = 0;
    block(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    say("blocked: handled %d, pending %d", (int)hits, is_pending(SIGUSR1));
    block(SIG_UNBLOCK, SIGUSR1);
    say("raised twice, unblocked: handled %d (standard signals do not queue), pending %d", (int)hits, is_pending(SIGUSR1));
    /* raise pends on the thread, kill on the process: two separate sets. */
    hits = 0;
    block(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    block(SIG_UNBLOCK, SIGUSR1);
    say("raise + kill twice, unblocked: handled %d", (int)hits);

    sigset_t all, now;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    sigprocmask(SIG_BLOCK, NULL, &now);
    say("SIGKILL/SIGSTOP cannot be blocked: %d %d, SIGTERM blocked: %d", sigismember(&now, SIGKILL),
        sigismember(&now, SIGSTOP), sigismember(&now, SIGTERM));
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    say_ret("sigprocmask(bad how)", syscall(SYS_rt_sigprocmask, 7, &all, NULL, 8));
    say_ret("rt_sigprocmask(bad size)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 4));

    /* Several blocked signals released at once: Linux delivers the lowest
     * first, each new frame on top, so the last one delivered runs first. */
    set_handler(SIGUSR1, order_handler, 0);
    set_handler(SIGUSR2, order_handler, 0);
    set_handler(SIGTERM, order_handler, 0);
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGUSR2);
    sigaddset(&all, SIGTERM);
    sigprocmask(SIG_BLOCK, &all, NULL);
    raise(SIGTERM);
    raise(SIGUSR2);
    raise(SIGUSR1);
    order_n = 0;
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    say("handlers ran in the order %d %d %d", order[0], order[1], order[2]);
    set_handler(SIGUSR1, SIG_DFL, 0);
    set_handler(SIGUSR2, SIG_DFL, 0);
    set_handler(SIGTERM, SIG_DFL, 0);

}

/* Setting SIG_IGN discards a pending signal, whichever set it pends in. */
static void case_ignore_discards(void) {
    block(SIG_BLOCK, SIGUSR2);
    kill(getpid(), SIGUSR2);
    say("kill: pending before SIG_IGN: %d", is_pending(SIGUSR2));
    set_handler(SIGUSR2, SIG_IGN, 0);
    say("kill: pending after SIG_IGN: %d", is_pending(SIGUSR2));
    set_handler(SIGUSR2, SIG_DFL, 0);
    raise(SIGUSR2);
    say("raise: pending before SIG_IGN: %d", is_pending(SIGUSR2));
    set_handler(SIGUSR2, SIG_IGN, 0);
    say("raise: pending after SIG_IGN: %d", is_pending(SIGUSR2));
    block(SIG_UNBLOCK, SIGUSR2);
    set_handler(SIGUSR2, SIG_DFL, 0);
}

static void case_rt_queue(void) {
    int sig = SIGRTMIN + 1;
    set_handler(sig, count_handler, 0);
    hits = 0;
    block(SIG_BLOCK, sig);
    raise(sig);
    raise(sig);
    raise(sig);
    block(SIG_UNBLOCK, sig);
    say("real-time signal raised 3 times while blocked: handled %d", (int)hits);
    set_handler(sig, SIG_DFL, 0);
}


/* ---- queued real-time signals, sigqueue ---- */

static int rt_values[8], rt_n;
static void rt_value_handler(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    if (rt_n < 8) rt_values[rt_n++] = sig * 100 + si->si_value.sival_int;
}

static void case_rt_values(void) {
    int a = SIGRTMIN + 1, b = SIGRTMIN + 2;
    set_info_handler(a, rt_value_handler, 0);
    set_info_handler(b, rt_value_handler, 0);
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, a);
    sigaddset(&both, b);
    sigprocmask(SIG_BLOCK, &both, NULL);
    for (int v = 1; v <= 3; v++) sigqueue(getpid(), b, (union sigval){ .sival_int = v });
    for (int v = 1; v <= 3; v++) sigqueue(getpid(), a, (union sigval){ .sival_int = v });
    say("pending: SIGRTMIN+1 %d, SIGRTMIN+2 %d", is_pending(a), is_pending(b));
    /* sigtimedwait takes the lowest signal's oldest entry first. */
    siginfo_t si;
    struct timespec ts = { 0, 0 };
    int got = sigtimedwait(&both, &si, &ts);
    say("sigtimedwait: SIGRTMIN+%d si_code=%d si_value=%d", got - SIGRTMIN, si.si_code, si.si_value.sival_int);
    rt_n = 0;
    sigprocmask(SIG_UNBLOCK, &both, NULL);
    /* Each delivery blocks its own signal until the handler returns, so one
     * signal's entries run in order. The lower signal's frame is set up
     * first and the higher one's on top of it, so the higher one runs first. */
    for (int i = 0; i < rt_n; i++) say("delivery %d: SIGRTMIN+%d value %d", i, rt_values[i] / 100 - SIGRTMIN, rt_values[i] % 100);
    say("pending after: %d %d", is_pending(a), is_pending(b));
    set_handler(a, SIG_DFL, 0);
    set_handler(b, SIG_DFL, 0);
}

static void case_sigqueue_other(void) {
    int sig = SIGRTMIN + 3;
    block(SIG_BLOCK, sig);
    pid_t pid = fork();
    if (pid == 0) {
        siginfo_t si;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        struct timespec ts = { 5, 0 };
        int r = sigtimedwait(&set, &si, &ts);
        say("child: got SIGRTMIN+%d si_code=%d si_value=%d from the parent: %d", r - SIGRTMIN, si.si_code,
            si.si_value.sival_int, si.si_pid == getppid());
        _exit(0);
    }
    /* Another process may not pose as kill() (si_code >= 0) or tkill. */
    siginfo_t fake;
    memset(&fake, 0, sizeof fake);
    fake.si_code = SI_USER;
    say_ret("rt_sigqueueinfo(child, SI_USER)", syscall(SYS_rt_sigqueueinfo, pid, sig, &fake));
    fake.si_code = SI_TKILL;
    say_ret("rt_sigqueueinfo(child, SI_TKILL)", syscall(SYS_rt_sigqueueinfo, pid, sig, &fake));
    say_ret("rt_sigqueueinfo(child, bad pointer)", syscall(SYS_rt_sigqueueinfo, pid, sig, (void *)8));
    say_ret("rt_tgsigqueueinfo(child, tid 0)", syscall(SYS_rt_tgsigqueueinfo, pid, 0, sig, &fake));
    long queued = sigqueue(pid, sig, (union sigval){ .sival_int = 42 });
    reap("child", pid);
    say_ret("sigqueue(child, 42)", queued);
    /* rt_tgsigqueueinfo to the caller's own thread. */
    set_info_handler(SIGUSR1, info_handler, 0);
    memset(&last_info, 0, sizeof last_info);
    siginfo_t mine;
    memset(&mine, 0, sizeof mine);
    mine.si_code = SI_QUEUE;
    mine.si_pid = getpid();
    mine.si_value.sival_int = 77;
    say_ret("rt_tgsigqueueinfo(self)", syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGUSR1, &mine));
    say("handler saw si_code=%d si_value=%d", last_info.si_code, last_info.si_value.sival_int);
    set_handler(SIGUSR1, SIG_DFL, 0);
    block(SIG_UNBLOCK, sig);
}

/* sigtimedwait for a blocked SIGCHLD whose action is SIG_DFL (ignore):
 * blocked signals are kept, so the wait sees it (what init programs do). */
static void case_sigwait_child(void) {
    block(SIG_BLOCK, SIGCHLD);
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        _exit(3);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    siginfo_t si;
    struct timespec ts = { 5, 0 };
    int r = sigtimedwait(&set, &si, &ts);
    say("sigtimedwait -> %d si_code=%d si_status=%d si_pid is the child: %d", r, si.si_code, si.si_status, si.si_pid == pid);
    reap("child", pid);
    block(SIG_UNBLOCK, SIGCHLD);
}

/* ---- flags ---- */

static int blocked_inside;
static void resethand_handler(int sig) {
    blocked_inside = is_blocked(sig);
    hits++;
}

static void case_resethand(void) {
    pid_t pid = fork();
    if (pid == 0) {
        hits = 0;
        set_handler(SIGUSR1, resethand_handler, SA_RESETHAND);
        raise(SIGUSR1);
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        say("handled %d; signal blocked inside the handler: %d; disposition now default: %d", (int)hits,
            blocked_inside, sa.sa_handler == SIG_DFL);
        raise(SIGUSR1);
        say("survived the second SIGUSR1 (wrong)");
        _exit(0);
    }
    reap("child", pid);
}

static int depth, max_depth, runs;
static void nested_handler(int sig) {
    depth++;
    runs++;
    if (depth > max_depth) max_depth = depth;
    blocked_inside = is_blocked(sig);
    if (runs < 3) raise(sig);
    depth--;
}

static int usr1_inside, usr2_inside;
static void mask_handler(int sig) {
    (void)sig;
    usr1_inside = is_blocked(SIGUSR1);
    usr2_inside = is_blocked(SIGUSR2);
}

static void case_nodefer(void) {
    int flags[] = { 0, SA_NODEFER };
    const char *names[] = { "default", "SA_NODEFER" };
    for (int i = 0; i < 2; i++) {
        depth = max_depth = runs = 0;
        set_handler(SIGUSR1, nested_handler, flags[i]);
        raise(SIGUSR1);
        say("%s: handler ran %d times, nested %d deep, own signal blocked inside: %d", names[i], runs, max_depth,
            blocked_inside);
    }
    /* sa_mask adds signals to the mask while the handler runs. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = mask_handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    say("inside a handler with sa_mask={SIGUSR2}: SIGUSR1 blocked %d, SIGUSR2 blocked %d", usr1_inside, usr2_inside);
    say("mask restored after the handler: SIGUSR1 %d SIGUSR2 %d", is_blocked(SIGUSR1), is_blocked(SIGUSR2));
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static int pipefd[2];
static void case_restart(void) {
    int flags[] = { SA_RESTART, 0 };
    const char *names[] = { "SA_RESTART", "no SA_RESTART" };
    for (int i = 0; i < 2; i++) {
        set_handler(SIGUSR1, count_handler, flags[i]);
        hits = 0;
        if (pipe(pipefd) < 0) return;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
            sleep_ms(100);
            kill(parent, SIGUSR1);
            sleep_ms(200);
            (void)!write(pipefd[1], "data", 4);
            _exit(0);
        }
        char buf[8];
        long r = read(pipefd[0], buf, sizeof buf);
        say("%s: read -> %ld %s, handler ran %d", names[i], r, r < 0 ? ename(errno) : "bytes", (int)hits);
        reap("child", pid);
        close(pipefd[0]);
        close(pipefd[1]);
    }
    /* wait4 behaves the same way. */
    set_handler(SIGUSR1, count_handler, SA_RESTART);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        sleep_ms(200);
        _exit(3);
    }
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    say("SA_RESTART: waitpid -> %s, status %d", r == pid ? "the child" : ename(errno), WEXITSTATUS(st));
    if (r != pid) waitpid(pid, NULL, 0);
    /* Without SA_RESTART the signal ends the wait. */
    set_handler(SIGUSR1, count_handler, 0);
    pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        sleep_ms(200);
        _exit(3);
    }
    r = waitpid(pid, &st, 0);
    say("no SA_RESTART: waitpid -> %s", r == pid ? "the child" : ename(errno));
    reap("child", pid);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- senders ---- */

static void case_senders(void) {
    set_handler(SIGUSR1, count_handler, 0);
    hits = 0;
    say_ret("raise", raise(SIGUSR1));
    say_ret("kill(getpid())", kill(getpid(), SIGUSR1));
    say_ret("tgkill(self)", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
    say_ret("tkill(self)", syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1));
    say("handler ran %d times", (int)hits);
    /* kill(0) and kill(-pgid) reach the caller's group: try it in a group of one. */
    pid_t pid = fork();
    if (pid == 0) {
        hits = 0;
        setpgid(0, 0);
        kill(0, SIGUSR1);
        kill(-getpid(), SIGUSR1);
        _exit(hits);
    }
    reap("child in its own group, kill(0) and kill(-pgid)", pid);
    say_ret("kill(self, 0)", kill(getpid(), 0));
    say_ret("kill(self, 65)", kill(getpid(), 65));
    say_ret("kill(no such pid)", kill(4000000, SIGUSR1));
    say_ret("tgkill(wrong tgid)", syscall(SYS_tgkill, 4000000, syscall(SYS_gettid), SIGUSR1));
    say_ret("sigaction(SIGKILL)", sigaction(SIGKILL, &(struct sigaction){ .sa_handler = count_handler }, NULL));
    say_ret("sigaction(SIGSTOP)", sigaction(SIGSTOP, &(struct sigaction){ .sa_handler = count_handler }, NULL));
    say_ret("rt_sigaction(0)", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8));
    say_ret("rt_sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, NULL, 8));
    /* Default-ignored signals do nothing. */
    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    say("default-ignored signals left me alive: 1");
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static void case_sigsuspend(void) {
    set_handler(SIGUSR1, count_handler, 0);
    hits = 0;
    block(SIG_BLOCK, SIGUSR1);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigset_t none;
    sigemptyset(&none);
    say_ret("sigsuspend", sigsuspend(&none));
    say("handler ran %d, SIGUSR1 blocked again afterwards: %d", (int)hits, is_blocked(SIGUSR1));
    reap("sender", pid);
    /* A signal already pending when sigsuspend unblocks it ends it at once. */
    raise(SIGUSR1);
    say_ret("sigsuspend with one pending", sigsuspend(&none));
    say("handler ran %d", (int)hits);
    block(SIG_UNBLOCK, SIGUSR1);
    /* pause() returns after a handler. */
    pid = fork();
    if (pid == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    say_ret("pause", pause());
    reap("sender", pid);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static siginfo_t chld_info;
static volatile sig_atomic_t chld_hits;
static void chld_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    chld_info = *si;
    chld_hits++;
}

/* SIGCHLD reaches a handler; with SIG_IGN children are reaped by the kernel. */
static void case_sigchld(void) {
    set_info_handler(SIGCHLD, chld_handler, 0);
    block(SIG_BLOCK, SIGCHLD);
    chld_hits = 0;
    pid_t pid = fork();
    if (pid == 0) _exit(3);
    sigset_t none;
    sigemptyset(&none);
    while (!chld_hits) sigsuspend(&none);
    say("SIGCHLD handled: si_signo=%d", chld_info.si_signo);
    reap("child", pid);
    block(SIG_UNBLOCK, SIGCHLD);
    signal(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0) _exit(0);
    int st;
    say_ret("wait with SIGCHLD ignored", waitpid(pid, &st, 0) == pid ? 1 : -1);
    signal(SIGCHLD, SIG_DFL);
}

/* What SIGCHLD's siginfo says about the child. */
static void case_sigchld_info(void) {
    set_info_handler(SIGCHLD, chld_handler, 0);
    block(SIG_BLOCK, SIGCHLD);
    chld_hits = 0;
    pid_t pid = fork();
    if (pid == 0) _exit(3);
    sigset_t none;
    sigemptyset(&none);
    while (!chld_hits) sigsuspend(&none);
    say("SIGCHLD: si_signo=%d si_code=%d si_status=%d si_pid is the child: %d", chld_info.si_signo,
        chld_info.si_code, chld_info.si_status, chld_info.si_pid == pid);
    reap("child", pid);
    chld_hits = 0;
    pid = fork();
    if (pid == 0) { pause(); _exit(0); }
    kill(pid, SIGTERM);
    while (!chld_hits) sigsuspend(&none);
    say("SIGCHLD for a killed child: si_code=%d si_status=%d", chld_info.si_code, chld_info.si_status);
    reap("child", pid);
    block(SIG_UNBLOCK, SIGCHLD);
    signal(SIGCHLD, SIG_DFL);
}

static void case_stop_cont(void) {
    /* The child gets a process group of its own (set on both sides, so
       neither order of running matters): SIGTSTP from kill() is dropped for
       an orphaned process group, which the test's own group may be when the
       suite runs in the background; the child's new group, whose parent is
       in another group of the same session, never is. */
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        for (;;) pause();
    }
    setpgid(pid, pid);
    int st;
    kill(pid, SIGSTOP);
    say("waitpid(WUNTRACED) pid matches: %d", waitpid(pid, &st, WUNTRACED) == pid);
    say_status("child", st);
    say_ret("waitpid(WNOHANG|WUNTRACED) again (reported once)", waitpid(pid, &st, WNOHANG | WUNTRACED));
    kill(pid, SIGCONT);
    say("waitpid(WCONTINUED) pid matches: %d", waitpid(pid, &st, WCONTINUED) == pid);
    say_status("child", st);
    kill(pid, SIGTSTP);
    waitpid(pid, &st, WUNTRACED);
    say_status("after SIGTSTP", st);
    /* A signal sent while stopped waits for SIGCONT. */
    kill(pid, SIGTERM);
    say_ret("stopped child with SIGTERM pending, WNOHANG", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGCONT);
    waitpid(pid, &st, 0);
    say_status("after SIGCONT", st);
    /* SIGKILL ends a stopped child. */
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGKILL);
    reap("stopped child after SIGKILL", pid);
}

static void case_nanosleep_eintr(void) {
    set_handler(SIGUSR1, count_handler, SA_RESTART);
    hits = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec req = { 3, 0 }, rem = { 0, 0 };
    long long start = now_ms();
    int r = nanosleep(&req, &rem);
    long long slept = now_ms() - start;
    say("nanosleep(3 s) -> %d %s, handler ran %d", r, r < 0 ? ename(errno) : "", (int)hits);
    long rem_ms = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
    say("remaining between 1 s and 3 s: %d", rem_ms > 1000 && rem_ms < 3000);
    say("remaining + slept about 3 s: %d", rem_ms + slept > 2500 && rem_ms + slept < 3500);
    reap("sender", pid);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

/* Waits up to `ms` for the handler count to reach `n` (no pause(): a
 * timer that never fires must not hang the test). */
static void wait_hits(int n, long ms) {
    long long start = now_ms();
    while (hits < n && now_ms() - start < ms) {
        struct timespec t = { 0, 5000000 };
        nanosleep(&t, NULL);
    }
}

static void case_alarm(void) {
    set_handler(SIGALRM, count_handler, 0);
    hits = 0;
    say_ret("alarm(5) with none set", alarm(5));
    say_ret("alarm(0) returns what was left", alarm(0));
    long long start = now_ms();
    alarm(1);
    wait_hits(1, 5000);
    long long took = now_ms() - start;
    say("SIGALRM handled %d after >= 900 ms: %d", (int)hits, took >= 900);
    set_handler(SIGALRM, SIG_DFL, 0);
}

static void case_itimer(void) {
    set_handler(SIGALRM, count_handler, 0);
    hits = 0;
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    /* The clock starts before the timer: a preemption between the two must
     * not make the ticks look early. */
    long long start = now_ms();
    say_ret("setitimer(ITIMER_REAL, 20 ms periodic)", setitimer(ITIMER_REAL, &it, NULL));
    wait_hits(5, 5000);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    say("5 periodic SIGALRMs: %d, after >= 100 ms: %d", hits >= 5, now_ms() - start >= 100);
    set_handler(SIGALRM, SIG_DFL, 0);
}


/* getitimer/setitimer values, and alarm() on the same timer. */
static void case_itimer_values(void) {
    struct itimerval it = { { 0, 0 }, { 2, 300000 } }, now, old;
    say_ret("setitimer(2.3 s one-shot)", setitimer(ITIMER_REAL, &it, NULL));
    getitimer(ITIMER_REAL, &now);
    long left = now.it_value.tv_sec * 1000000 + now.it_value.tv_usec;
    say("left in (2.2 s, 2.3 s]: %d, interval %ld.%06ld", left > 2200000 && left <= 2300000,
        (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);
    struct itimerval periodic = { { 0, 50000 }, { 0, 700000 } };
    setitimer(ITIMER_REAL, &periodic, &old);
    left = old.it_value.tv_sec * 1000000 + old.it_value.tv_usec;
    say("old value in (2.2 s, 2.3 s]: %d", left > 2200000 && left <= 2300000);
    getitimer(ITIMER_REAL, &now);
    say("periodic: interval %ld.%06ld, value <= 0.7 s: %d", (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec,
        now.it_value.tv_sec == 0 && now.it_value.tv_usec <= 700000);
    /* alarm() replaces it and rounds what was left to whole seconds. */
    say_ret("alarm(5) over a 0.7 s timer", alarm(5));
    getitimer(ITIMER_REAL, &now);
    say("after alarm: interval %ld.%06ld, value > 4 s: %d", (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec,
        now.it_value.tv_sec >= 4);
    it.it_value.tv_sec = 2;
    it.it_value.tv_usec = 700000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("alarm(0) over a 2.7 s timer", alarm(0));
    it.it_value.tv_sec = 2;
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("alarm(0) over a 2.2 s timer", alarm(0));
    it.it_value.tv_sec = 0;
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("alarm(0) over a 0.2 s timer", alarm(0));
    /* musl's alarm() is setitimer (rounding up); the syscall rounds to the nearest. */
    it.it_value.tv_sec = 2;
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("syscall alarm(0) over a 2.2 s timer", syscall(SYS_alarm, 0));
    it.it_value.tv_usec = 700000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("syscall alarm(0) over a 2.7 s timer", syscall(SYS_alarm, 0));
    it.it_value.tv_sec = 0;
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, NULL);
    say_ret("syscall alarm(0) over a 0.2 s timer", syscall(SYS_alarm, 0));
    getitimer(ITIMER_REAL, &now);
    say("disarmed: %d", now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
    say_ret("setitimer(which 5)", syscall(SYS_setitimer, 5, &it, NULL));
    say_ret("getitimer(which 5)", syscall(SYS_getitimer, 5, &now));
    it.it_value.tv_usec = 1000000;
    say_ret("setitimer(tv_usec 1000000)", setitimer(ITIMER_REAL, &it, NULL));
    say_ret("setitimer(bad pointer)", syscall(SYS_setitimer, ITIMER_REAL, (void *)8, NULL));
}

static void case_sigtimedwait(void) {
    block(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    siginfo_t si;
    struct timespec ts = { 0, 0 };
    say_ret("sigtimedwait with SIGUSR1 pending", sigtimedwait(&set, &si, &ts));
    say_ret("sigtimedwait with nothing pending (timeout 0)", sigtimedwait(&set, &si, &ts));
    int sig = 0;
    raise(SIGUSR1);
    say_ret("sigwait", sigwait(&set, &sig));
    say("sigwait got %d", sig);
    block(SIG_UNBLOCK, SIGUSR1);
}

/* ---- handlers on an alternate stack, and for faults ---- */

static char altstack[65536];
static int on_alt;
static void alt_handler(int sig) {
    char here;
    (void)sig;
    on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}

static void case_altstack(void) {
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    say_ret("sigaltstack", sigaltstack(&ss, NULL));
    set_handler(SIGUSR1, alt_handler, SA_ONSTACK);
    raise(SIGUSR1);
    say("SA_ONSTACK handler ran on the alternate stack: %d", on_alt);
    set_handler(SIGUSR1, alt_handler, 0);
    raise(SIGUSR1);
    say("handler without SA_ONSTACK ran on the alternate stack: %d", on_alt);
    stack_t old;
    sigaltstack(NULL, &old);
    say("sigaltstack query: size matches %d, flags %d", old.ss_size == sizeof altstack, old.ss_flags);
    ss.ss_size = 100;
    say_ret("sigaltstack(too small)", sigaltstack(&ss, NULL));
    ss.ss_flags = SS_DISABLE;
    say_ret("sigaltstack(SS_DISABLE)", sigaltstack(&ss, NULL));
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static sigjmp_buf fault_jmp;
static siginfo_t fault_info;
static void fault_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    fault_info = *si;
    siglongjmp(fault_jmp, 1);
}

static const char read_only[] = "constant";
static volatile int zero = 0;

static void case_faults(void) {
    int sigs[] = { SIGSEGV, SIGFPE, SIGILL, SIGBUS };
    for (int i = 0; i < 4; i++) set_info_handler(sigs[i], fault_handler, SA_NODEFER);
    if (!sigsetjmp(fault_jmp, 1)) {
        *(volatile int *)8 = 1;
    }
    say("NULL+8 write: si_signo=%d si_code=%d si_addr=%p", fault_info.si_signo, fault_info.si_code, fault_info.si_addr);
    if (!sigsetjmp(fault_jmp, 1)) {
        *(volatile char *)read_only = 'x';
    }
    say("write to .rodata: si_signo=%d si_code=%d si_addr is the string: %d", fault_info.si_signo, fault_info.si_code,
        fault_info.si_addr == (void *)read_only);
    if (!sigsetjmp(fault_jmp, 1)) {
        volatile int r = 7 / zero;
        (void)r;
    }
    say("divide by zero: si_signo=%d si_code=%d", fault_info.si_signo, fault_info.si_code);
    if (!sigsetjmp(fault_jmp, 1)) {
        __asm__ volatile("ud2");
    }
    say("ud2: si_signo=%d si_code=%d", fault_info.si_signo, fault_info.si_code);
    say("process still alive after 4 faults: 1");
    for (int i = 0; i < 4; i++) set_handler(sigs[i], SIG_DFL, 0);
}


/* A handler that returns re-executes the faulting instruction: this one
 * makes the page writable first, so the write then succeeds. */
static char *fault_page;
static int fault_code;
static void unprotect_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    fault_code = si->si_code;
    hits += si->si_addr == (void *)(fault_page + 16);
    mprotect(fault_page, 4096, PROT_READ | PROT_WRITE);
}

static void trap_handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    (void)sig;
    fault_info = *si;
    last_had_context = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    hits++;
}

static void case_fault_return(void) {
    fault_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    set_info_handler(SIGSEGV, unprotect_handler, 0);
    hits = 0;
    fault_page[16] = 'x';
    say("write to a read-only page: handler ran %d (si_code=%d), then the write happened: %d", (int)hits, fault_code,
        fault_page[16] == 'x');
    munmap(fault_page, 4096);
    /* int3 is a trap: the handler returns after it. */
    set_info_handler(SIGTRAP, trap_handler, 0);
    hits = 0;
    __asm__ volatile("int3");
    say("int3: handled %d, si_signo=%d si_code=%d trapno=%d, execution went on", (int)hits, fault_info.si_signo,
        fault_info.si_code, last_had_context);
    set_handler(SIGSEGV, SIG_DFL, 0);
    set_handler(SIGTRAP, SIG_DFL, 0);
}

/* What the sigcontext of a fault says (Linux fills trapno/err/cr2). */
static int ctx_trapno, ctx_err;
static unsigned long ctx_cr2;
static void context_handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    (void)sig;
    fault_info = *si;
    ctx_trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    ctx_err = (int)uc->uc_mcontext.gregs[REG_ERR];
    ctx_cr2 = (unsigned long)uc->uc_mcontext.gregs[REG_CR2];
    siglongjmp(fault_jmp, 1);
}

static void case_fault_context(void) {
    set_info_handler(SIGSEGV, context_handler, SA_NODEFER);
    set_info_handler(SIGILL, context_handler, SA_NODEFER);
    set_info_handler(SIGFPE, context_handler, SA_NODEFER);
    if (!sigsetjmp(fault_jmp, 1)) *(volatile int *)16 = 1;
    say("write to 16: trapno=%d err=%d cr2=%lu", ctx_trapno, ctx_err, ctx_cr2);
    if (!sigsetjmp(fault_jmp, 1)) (void)*(volatile int *)32;
    say("read of 32: trapno=%d err=%d cr2=%lu", ctx_trapno, ctx_err, ctx_cr2);
    if (!sigsetjmp(fault_jmp, 1)) __asm__ volatile("ud2");
    say("ud2: trapno=%d err=%d cr2 kept from the last page fault: %d", ctx_trapno, ctx_err, ctx_cr2 == 32);
    if (!sigsetjmp(fault_jmp, 1)) __asm__ volatile("hlt");
    say("hlt (privileged): si_signo=%d si_code=%d si_addr=%p trapno=%d", fault_info.si_signo, fault_info.si_code,
        fault_info.si_addr, ctx_trapno);
    if (!sigsetjmp(fault_jmp, 1)) {
        volatile long big = -0x7fffffffffffffffL - 1, m = -1;
        big = big / m;
    }
    say("LONG_MIN / -1: si_signo=%d si_code=%d trapno=%d", fault_info.si_signo, fault_info.si_code, ctx_trapno);
    say("handlers still installed after siglongjmp: %d", sigaction(SIGSEGV, NULL, &(struct sigaction){ 0 }) == 0);
    if (!sigsetjmp(fault_jmp, 1)) *(volatile int *)0 = 1;
    /* The mask saved by sigsetjmp came back: SIGSEGV is not blocked. */
    say("SIGSEGV blocked after siglongjmp: %d", is_blocked(SIGSEGV));
    set_handler(SIGSEGV, SIG_DFL, 0);
    set_handler(SIGILL, SIG_DFL, 0);
    set_handler(SIGFPE, SIG_DFL, 0);
}

/* A fault cannot be blocked or ignored: the process dies anyway. */
static void case_fault_forced(void) {
    pid_t pid = fork();
    if (pid == 0) {
        set_info_handler(SIGSEGV, fault_handler, 0);
        block(SIG_BLOCK, SIGSEGV);
        *(volatile int *)8 = 1;
        _exit(0);
    }
    reap("SIGSEGV blocked, handler installed", pid);
    pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_IGN);
        *(volatile int *)8 = 1;
        _exit(0);
    }
    reap("SIGSEGV ignored", pid);
    pid = fork();
    if (pid == 0) {
        block(SIG_BLOCK, SIGFPE);
        volatile int r = 7 / zero;
        (void)r;
        _exit(0);
    }
    reap("SIGFPE blocked, divide by zero", pid);
    pid = fork();
    if (pid == 0) {
        __asm__ volatile("ud2");
        _exit(0);
    }
    reap("ud2 without a handler", pid);
    /* A signal sent with kill() while blocked stays pending instead. */
    block(SIG_BLOCK, SIGSEGV);
    kill(getpid(), SIGSEGV);
    say("kill(SIGSEGV) while blocked: pending %d", is_pending(SIGSEGV));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    int sig = 0;
    sigwait(&set, &sig);
    say("sigwait took it: %d", sig);
    block(SIG_UNBLOCK, SIGSEGV);
}

/* No room for the frame (the alternate stack is not writable): SIGSEGV is
 * forced; its own handler runs if it can, else the process dies. */
static void case_bad_frame(void) {
    pid_t pid = fork();
    if (pid == 0) {
        char *bad = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        stack_t ss = { .ss_sp = bad, .ss_size = 65536, .ss_flags = 0 };
        sigaltstack(&ss, NULL);
        set_handler(SIGUSR1, count_handler, SA_ONSTACK);
        set_info_handler(SIGSEGV, fault_handler, 0);
        memset(&fault_info, 0, sizeof fault_info);
        if (!sigsetjmp(fault_jmp, 1)) raise(SIGUSR1);
        say("SIGUSR1 frame unwritable: SIGUSR1 handled %d, SIGSEGV handler got si_code=%d si_addr=%p", (int)hits,
            fault_info.si_code, fault_info.si_addr);
        set_info_handler(SIGSEGV, fault_handler, SA_ONSTACK);
        raise(SIGUSR1);
        say("survived (wrong)");
        _exit(0);
    }
    reap("both handlers on the unwritable stack", pid);
}

/* A handler may edit the saved context; sigreturn applies the mask in it. */
static void edit_mask_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    sigaddset(&uc->uc_sigmask, SIGUSR2);
    hits++;
}

static void case_ucontext(void) {
    set_info_handler(SIGUSR1, edit_mask_handler, 0);
    hits = 0;
    say("SIGUSR2 blocked before: %d", is_blocked(SIGUSR2));
    raise(SIGUSR1);
    say("handled %d, SIGUSR2 blocked after sigreturn: %d", (int)hits, is_blocked(SIGUSR2));
    block(SIG_UNBLOCK, SIGUSR2);
    set_handler(SIGUSR1, SIG_DFL, 0);
}

static const struct dcase cases[] = {
    CASE(registers), CASE(siginfo), CASE(sigqueue), CASE(mask), CASE(ignore_discards), CASE(rt_queue), CASE(rt_values),
    CASE(sigqueue_other), CASE(sigwait_child), CASE(resethand), CASE(nodefer), CASE(restart), CASE(senders),
    CASE(sigsuspend), CASE(sigchld), CASE(sigchld_info), CASE(stop_cont), CASE(nanosleep_eintr), CASE(alarm),
    CASE(itimer), CASE(itimer_values), CASE(sigtimedwait), CASE(altstack), CASE(ucontext), CASE(faults),
    CASE(fault_return), CASE(fault_context), CASE(fault_forced), CASE(bad_frame),
    { 0, 0 },
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 12);
}
