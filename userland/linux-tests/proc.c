/* Processes: fork + wait status decoding, pid relations, copy-on-write,
 * vfork, execve (argv, envp, close-on-exec, signal dispositions, #!),
 * WNOHANG, ECHILD, waitid, reaping order, orphans. Exits 10. */
#include "difftest.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static char *self; /* argv[0]: how to exec this program again */

static pid_t child_exit(int code) {
    pid_t pid = fork();
    if (pid == 0) _exit(code);
    return pid;
}

static void case_exit_codes(void) {
    int codes[] = { 0, 1, 7, 255 };
    for (int i = 0; i < 4; i++) {
        char who[32];
        snprintf(who, sizeof who, "_exit(%d)", codes[i]);
        reap(who, child_exit(codes[i]));
    }
    pid_t pid = fork();
    if (pid == 0) exit(300); /* only the low 8 bits survive */
    reap("exit(300)", pid);
    pid = fork();
    if (pid == 0) syscall(SYS_exit_group, 0x1234);
    reap("exit_group(0x1234)", pid);
}

static void case_signaled(void) {
    pid_t pid = fork();
    if (pid == 0) { kill(getpid(), SIGKILL); _exit(1); }
    reap("kill(self, SIGKILL)", pid);
    pid = fork();
    if (pid == 0) {
        struct rlimit none = { 0, 0 };
        setrlimit(RLIMIT_CORE, &none); /* no core file on a host that would write one */
        abort();
    }
    reap("abort()", pid);
    pid = fork();
    if (pid == 0) { raise(SIGTERM); _exit(1); }
    reap("raise(SIGTERM)", pid);
    pid = fork();
    if (pid == 0) { raise(SIGUSR1); _exit(1); }
    reap("raise(SIGUSR1)", pid);
    pid = fork();
    if (pid == 0) { signal(SIGUSR2, SIG_IGN); raise(SIGUSR2); _exit(4); }
    reap("raise(ignored SIGUSR2)", pid);
    /* The child gets SIGHUP's default action, whatever this program
     * inherited (nohup ignores it). */
    signal(SIGHUP, SIG_DFL);
    pid = fork();
    if (pid == 0) { pause(); _exit(1); }
    kill(pid, SIGHUP);
    reap("SIGHUP from parent", pid);
}

static void case_ids(void) {
    pid_t parent = getpid();
    int fd[2];
    if (pipe(fd) < 0) { say("pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        say("child ppid == parent pid: %d", getppid() == parent);
        say("child pid != parent pid: %d", getpid() != parent);
        say("child pgid == parent pgid: %d", getpgrp() == getpgid(parent));
        say("child sid == parent sid: %d", getsid(0) == getsid(parent));
        say("gettid == getpid in child: %d", (pid_t)syscall(SYS_gettid) == getpid());
        pid_t me = getpid();
        (void)!write(fd[1], &me, sizeof me);
        _exit(0);
    }
    pid_t reported = 0;
    (void)!read(fd[0], &reported, sizeof reported);
    reap("child", pid);
    say("fork() result == child getpid: %d", reported == pid);
    say("parent pid unchanged: %d", getpid() == parent);
    close(fd[0]);
    close(fd[1]);

    /* setpgid in the child: a new group, visible from the parent. */
    int go[2], ready[2];
    if (pipe(go) < 0 || pipe(ready) < 0) { say("pipe failed"); return; }
    pid = fork();
    if (pid == 0) {
        say("setpgid(0, 0): %d", setpgid(0, 0));
        say("child leads its group: %d", getpgrp() == getpid());
        char c = 'r';
        (void)!write(ready[1], &c, 1);
        (void)!read(go[0], &c, 1);
        _exit(0);
    }
    char c;
    (void)!read(ready[0], &c, 1);
    say("parent sees child's new group: %d", getpgid(pid) == pid);
    say("parent's group unchanged: %d", getpgrp() != pid);
    (void)!write(go[1], &c, 1);
    reap("child", pid);
    say("getpgid(reaped child): %s", getpgid(pid) < 0 ? ename(errno) : "found");
    say("kill(reaped child, 0): %s", kill(pid, 0) < 0 ? ename(errno) : "found");
}

static void case_sessions(void) {
    int ready[2], go[2];
    if (pipe(ready) < 0 || pipe(go) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        pid_t sid = setsid();
        say("setsid returns my pid: %d", sid == getpid());
        say("getsid(0) == pid: %d, getpgrp() == pid: %d", getsid(0) == getpid(), getpgrp() == getpid());
        say_ret("setsid again (already a leader)", setsid());
        say_ret("setpgid(0, 0) as a session leader", setpgid(0, 0));
        char c = 'r';
        (void)!write(ready[1], &c, 1);
        (void)!read(go[0], &c, 1);
        pid_t inner = fork();
        if (inner == 0) {
            say("grandchild inherits the new session: %d", getsid(0) == getppid());
            say_ret("grandchild setpgid into the parent's group", setpgid(0, getppid()));
            _exit(0);
        }
        waitpid(inner, NULL, 0);
        _exit(0);
    }
    char c;
    (void)!read(ready[0], &c, 1);
    say("parent sees the child's session: %d", getsid(pid) == pid);
    say_ret("parent setpgid on a child in another session", setpgid(pid, getpgrp()));
    say_ret("setpgid(no such pid)", setpgid(4000000, 0));
    say_ret("setpgid(self, -1)", setpgid(0, -1));
    (void)!write(go[1], &c, 1);
    reap("child", pid);
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

static int g_var = 1;
static char g_pages[3 * 4096];

static void case_cow(void) {
    int *heap = malloc(sizeof *heap);
    int stack_var = 3;
    *heap = 2;
    memset(g_pages, 'a', sizeof g_pages);
    int go[2];
    if (pipe(go) < 0) { say("pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        (void)!read(go[0], &c, 1); /* the parent has written its copies by now */
        say("child sees g=%d heap=%d stack=%d page=%c", g_var, *heap, stack_var, g_pages[4096]);
        g_var = 10;
        *heap = 20;
        stack_var = 30;
        memset(g_pages, 'c', sizeof g_pages);
        say("child wrote g=%d heap=%d stack=%d page=%c", g_var, *heap, stack_var, g_pages[8191]);
        _exit(0);
    }
    g_var = 100;
    g_pages[4096] = 'p';
    (void)!write(go[1], "x", 1);
    reap("child", pid);
    say("parent sees g=%d heap=%d stack=%d page=%c%c%c", g_var, *heap, stack_var, g_pages[0], g_pages[4096], g_pages[8191]);
    /* A grandchild of a COW child: three generations of copies. */
    pid = fork();
    if (pid == 0) {
        g_var = 5;
        pid_t inner = fork();
        if (inner == 0) { g_var++; _exit(g_var); }
        int st;
        waitpid(inner, &st, 0);
        _exit(WEXITSTATUS(st) * 10 + g_var);
    }
    reap("child (grandchild's g * 10 + child's g)", pid);
    say("parent g still %d", g_var);
    free(heap);
    close(go[0]);
    close(go[1]);
}

static volatile int shared_by_vfork;

static void case_vfork(void) {
    shared_by_vfork = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        shared_by_vfork = 42; /* vfork shares memory: the parent sees this */
        _exit(9);
    }
    say("vfork returned in parent: %d", pid > 0);
    say("parent sees the child's write: %d", shared_by_vfork);
    reap("vfork child", pid);
    pid = vfork();
    if (pid == 0) {
        char *args[] = { self, "--exec-child", "from vfork", NULL };
        char *env[] = { "DIFFTEST=vfork", NULL };
        execve(self, args, env);
        _exit(127);
    }
    reap("vfork+execve child", pid);
}

/* After execve: what the new image sees (argv[1] is "--exec-child"). */
static int exec_child(int argc, char **argv, char **envp) {
    say("exec child argc=%d", argc);
    for (int i = 2; i < argc; i++) {
        /* Temporary files carry the creator's pid: print the name without it. */
        const char *dash = strncmp(argv[i], "/tmp/difftest-", 14) == 0 ? strchr(argv[i] + 14, '-') : NULL;
        if (dash) say("argv[%d]=\"/tmp/difftest-PID%s\"", i, dash);
        else say("argv[%d]=\"%s\"", i, argv[i]);
    }
    int n = 0;
    for (char **e = envp; *e; e++, n++) {
        if (strncmp(*e, "DIFFTEST_", 9) != 0) say("env \"%s\"", *e); /* those hold numbers */
    }
    say("env count=%d", n);
    const char *fds = getenv("DIFFTEST_FDS");
    if (fds) {
        int keep = -1, cloexec = -1;
        sscanf(fds, "%d,%d", &keep, &cloexec);
        say("plain fd open after exec: %d", fcntl(keep, F_GETFD) >= 0);
        int r = fcntl(cloexec, F_GETFD);
        say("cloexec fd after exec: %s", r < 0 ? ename(errno) : "still open");
        struct sigaction sa;
        sigaction(SIGUSR2, NULL, &sa);
        say("ignored SIGUSR2 stays ignored: %d", sa.sa_handler == SIG_IGN);
        sigaction(SIGUSR1, NULL, &sa);
        say("handled SIGUSR1 back to default: %d", sa.sa_handler == SIG_DFL);
        sigset_t mask;
        sigprocmask(SIG_BLOCK, NULL, &mask);
        say("blocked SIGINT stays blocked: %d", sigismember(&mask, SIGINT));
        const char *pid = getenv("DIFFTEST_PID");
        say("pid unchanged by exec: %d", pid && atoi(pid) == getpid());
    }
    return 33;
}

static void on_usr1(int sig) { (void)sig; }

static void case_exec(void) {
    int keep[2], cloexec[2];
    if (pipe(keep) < 0 || pipe2(cloexec, O_CLOEXEC) < 0) { say("pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGUSR2, SIG_IGN);
        signal(SIGUSR1, on_usr1);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, NULL);
        char fds[64], mypid[64];
        snprintf(fds, sizeof fds, "DIFFTEST_FDS=%d,%d", keep[1], cloexec[1]);
        snprintf(mypid, sizeof mypid, "DIFFTEST_PID=%d", getpid());
        char *args[] = { self, "--exec-child", "hello world", "", "three", NULL };
        char *env[] = { "DIFFTEST=42", "EMPTY=", fds, mypid, NULL };
        execve(self, args, env);
        say("execve failed: %s", ename(errno));
        _exit(127);
    }
    reap("exec child", pid);
    close(keep[0]); close(keep[1]); close(cloexec[0]); close(cloexec[1]);

    char *none[] = { "x", NULL };
    say_ret("execve(missing file)", execve("/nonexistent/prog", none, none));
    say_ret("execve(\"\")", execve("", none, none));
    say_ret("execve(a directory)", execve("/tmp", none, none));
}

/* Writes `text` to a fresh file under /tmp with mode 0755; returns its path. */
static char *tmp_file(const char *tag, const char *text) {
    static char paths[4][64];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, 64, "/tmp/difftest-%d-%s", getpid(), tag);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0755);
    if (fd < 0) { say("create %s: %s", tag, ename(errno)); return path; }
    (void)!write(fd, text, strlen(text));
    close(fd);
    return path;
}

static void case_exec_script(void) {
    char text[512];
    snprintf(text, sizeof text, "#!%s --exec-child\nnot read by anyone\n", self);
    char *script = tmp_file("script", text);
    char *bad_interp = tmp_file("badinterp", "#!/nonexistent/interpreter\n");
    char *garbage = tmp_file("garbage", "just some text\n");
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = { "name-ignored", "arg1", NULL };
        char *env[] = { "VIA=script", NULL };
        execve(script, args, env);
        say("execve(script) failed: %s", ename(errno));
        _exit(127);
    }
    reap("script child", pid);
    char *none[] = { "x", NULL };
    say_ret("execve(#! with a missing interpreter)", execve(bad_interp, none, none));
    say_ret("execve(text without #!)", execve(garbage, none, none));
    unlink(script);
    unlink(bad_interp);
    unlink(garbage);
}

static void case_wnohang(void) {
    int go[2];
    if (pipe(go) < 0) { say("pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        (void)!read(go[0], &c, 1); /* returns 0 once the parent closes */
        _exit(6);
    }
    close(go[0]);
    int st = -1;
    say_ret("waitpid(WNOHANG) while the child runs", waitpid(pid, &st, WNOHANG));
    say_ret("wait4(-1, WNOHANG) while the child runs", wait4(-1, &st, WNOHANG, NULL));
    close(go[1]);
    pid_t r = 0;
    for (int i = 0; i < 5000 && r == 0; i++) {
        r = waitpid(pid, &st, WNOHANG);
        if (r == 0) sleep_ms(2);
    }
    say("waitpid(WNOHANG) after exit returns the pid: %d", r == pid);
    say_status("child", st);
    say_ret("waitpid(WNOHANG) with no children left", waitpid(-1, &st, WNOHANG));
}

static void case_echild(void) {
    int st;
    say_ret("wait() without children", wait(&st));
    say_ret("waitpid(parent)", waitpid(getppid(), &st, 0));
    say_ret("waitpid(self)", waitpid(getpid(), &st, 0));
    say_ret("waitpid(bad options)", waitpid(-1, &st, 0x40000));
    pid_t pid = child_exit(0);
    reap("child", pid);
    say_ret("waitpid(already reaped child)", waitpid(pid, &st, 0));
}

/* Children that block until told to exit, then exit with their number. */
static void case_reap_order(void) {
    enum { N = 3 };
    int go[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        if (pipe(go[i]) < 0) { say("pipe failed"); return; }
        pids[i] = fork();
        if (pids[i] == 0) {
            char c;
            for (int k = 0; k <= i; k++) close(go[k][1]); /* else a sibling never sees EOF */
            (void)!read(go[i][0], &c, 1);
            _exit(i + 1);
        }
        close(go[i][0]);
    }
    int order[] = { 2, 0, 1 };
    for (int k = 0; k < N; k++) {
        int i = order[k];
        close(go[i][1]);
        int st;
        pid_t r = wait(&st);
        say("wait() after releasing child %d: pid matches %d, exit %d", i + 1, r == pids[i], WEXITSTATUS(st));
    }
    /* Several zombies at once: each wait takes one; a specific pid picks it. */
    for (int i = 0; i < N; i++) pids[i] = child_exit(10 + i);
    sleep_ms(100);
    int st;
    pid_t r = waitpid(pids[1], &st, 0);
    say("waitpid(middle) picks it: %d exit %d", r == pids[1], WEXITSTATUS(st));
    int sum = 0;
    for (int k = 0; k < 2; k++) {
        if (wait(&st) > 0) sum += WEXITSTATUS(st);
    }
    say("the other two exit codes sum to %d", sum);
    say_ret("then wait()", wait(&st));
}

static void case_waitid(void) {
    pid_t pid = child_exit(5);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    say_ret("waitid(P_PID, WEXITED|WNOWAIT)", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    say("si_signo=%d si_code=%d si_status=%d pid matches %d", si.si_signo, si.si_code, si.si_status, si.si_pid == pid);
    memset(&si, 0, sizeof si);
    say_ret("waitid(P_ALL, WEXITED)", waitid(P_ALL, 0, &si, WEXITED));
    say("si_code=%d si_status=%d pid matches %d", si.si_code, si.si_status, si.si_pid == pid);
    pid = fork();
    if (pid == 0) { pause(); _exit(0); }
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof si);
    say_ret("waitid(P_PID, WEXITED) of a killed child", waitid(P_PID, pid, &si, WEXITED));
    say("si_code=%d si_status=%d", si.si_code, si.si_status);
    say_ret("waitid(P_ALL) without children", waitid(P_ALL, 0, &si, WEXITED));
    say_ret("waitid(no WEXITED etc.)", waitid(P_ALL, 0, &si, WNOHANG));
}

static void case_orphan(void) {
    int report[2];
    if (pipe(report) < 0) { say("pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        pid_t me = getpid();
        if (fork() == 0) {
            int moved = 0;
            for (int i = 0; i < 2500 && !moved; i++) {
                moved = getppid() != me;
                if (!moved) sleep_ms(2);
            }
            (void)!write(report[1], &moved, sizeof moved);
            _exit(0);
        }
        _exit(0);
    }
    close(report[1]);
    reap("middle child", pid);
    int moved = -1;
    (void)!read(report[0], &moved, sizeof moved);
    say("orphaned grandchild got a new parent: %d", moved);
    char c;
    say("report pipe at EOF after the grandchild ended: %d", read(report[0], &c, 1) == 0);
    close(report[0]);
}

static void case_many_children(void) {
    enum { N = 30 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) pids[i] = child_exit(i);
    int sum = 0, matched = 0;
    for (int i = 0; i < N; i++) {
        int st;
        pid_t r = wait(&st);
        for (int k = 0; k < N; k++) matched += r == pids[k];
        sum += WEXITSTATUS(st);
    }
    say("reaped %d of %d, exit codes sum %d", matched, N, sum);
    /* A chain: each generation forks the next and adds one to its status. */
    pid_t pid = fork();
    if (pid == 0) {
        int depth = 0;
        for (;;) {
            if (depth == 6) _exit(0);
            pid_t next = fork();
            if (next != 0) {
                int st;
                waitpid(next, &st, 0);
                _exit(WEXITSTATUS(st) + 1);
            }
            depth++;
        }
    }
    reap("chain of 7 processes", pid);
}

/* MAP_PRIVATE memory is copied by fork; the child unmapping it changes nothing here. */
static void case_mmap_fork(void) {
    int *private = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (private == MAP_FAILED) { say("mmap failed"); return; }
    private[0] = 1;
    private[1024] = 1;
    pid_t pid = fork();
    if (pid == 0) {
        private[0] = 2;
        munmap(private, 8192);
        _exit(0);
    }
    reap("child", pid);
    say("MAP_PRIVATE after the child wrote and unmapped it: %d %d", private[0], private[1024]);
    munmap(private, 8192);
}

/* MAP_SHARED anonymous memory stays shared across fork. */
static void case_mmap_shared(void) {
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { say("mmap failed"); return; }
    shared[0] = 1;
    pid_t pid = fork();
    if (pid == 0) {
        shared[0] = 2;
        _exit(0);
    }
    reap("child", pid);
    say("MAP_SHARED written by the child: %d", shared[0]);
    munmap(shared, 4096);
}

/* fork and dup share the open file description, and so the offset. */
static void case_shared_offset(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/difftest-%d-offset", getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) { say("open: %s", ename(errno)); return; }
    (void)!write(fd, "parent1\n", 8);
    pid_t pid = fork();
    if (pid == 0) {
        (void)!write(fd, "child\n", 6);
        _exit(0);
    }
    reap("child", pid);
    (void)!write(fd, "parent2\n", 8);
    say("offset after both wrote: %ld", (long)lseek(fd, 0, SEEK_CUR));
    int copy = dup(fd);
    lseek(copy, 0, SEEK_SET);
    say("dup shares it: %ld", (long)lseek(fd, 0, SEEK_CUR));
    char buf[64] = { 0 };
    long n = read(fd, buf, sizeof buf - 1);
    say("file holds %ld bytes:", n);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) say("  %s", line);
    int fresh = open(path, O_RDONLY);
    say("a second open has its own offset: %ld", (long)lseek(fresh, 0, SEEK_CUR));
    close(fresh);
    close(copy);
    close(fd);
    unlink(path);
}

/* wait for a group: 0 (mine), -pgid (that group). */
static void case_wait_groups(void) {
    int ready[2];
    if (pipe(ready) < 0) return;
    pid_t other = fork();
    if (other == 0) {
        setpgid(0, 0);
        char c = 'r';
        (void)!write(ready[1], &c, 1);
        _exit(8);
    }
    char c;
    (void)!read(ready[0], &c, 1);
    setpgid(other, other); /* also from the parent, as shells do (no race) */
    int st;
    say_ret("waitpid(0) with the only child in another group", waitpid(0, &st, 0));
    pid_t same = child_exit(9);
    pid_t r = waitpid(0, &st, 0);
    say("waitpid(0) takes the child in my group: %d, exit %d", r == same, WEXITSTATUS(st));
    r = waitpid(-other, &st, 0);
    say("waitpid(-pgid) takes the other: %d, exit %d", r == other, WEXITSTATUS(st));
    close(ready[0]);
    close(ready[1]);
}

/* A zombie still exists for kill(0) and getpgid until it is reaped. */
static void case_zombie(void) {
    pid_t pid = child_exit(4);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT); /* it is a zombie now */
    say_ret("kill(zombie, 0)", kill(pid, 0));
    say("getpgid(zombie) is my group: %d", getpgid(pid) == getpgrp());
    reap("zombie", pid);
    say_ret("kill(reaped, 0)", kill(pid, 0));
}

/* Sending a real signal to a zombie succeeds (and does nothing). */
static void case_zombie_kill(void) {
    pid_t pid = child_exit(4);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    say_ret("kill(zombie, SIGTERM)", kill(pid, SIGTERM));
    reap("zombie", pid);
}

static int hup_pipe = -1;
static void on_hup(int sig) {
    (void)sig;
    (void)!write(hup_pipe, "H", 1);
}

/* A process group that loses its last parent outside it while a member is
 * stopped gets SIGHUP then SIGCONT (POSIX orphaned process groups). */
static void case_orphaned_pgrp(void) {
    int report[2];
    if (pipe(report) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        pid_t stopped = fork();
        if (stopped == 0) {
            hup_pipe = report[1];
            signal(SIGHUP, on_hup);
            raise(SIGSTOP);
            (void)!write(report[1], "C", 1); /* continued */
            _exit(0);
        }
        int st;
        waitpid(stopped, &st, WUNTRACED); /* it is stopped now */
        _exit(0);                          /* the group is orphaned */
    }
    close(report[1]);
    reap("group leader", pid);
    char got[8] = { 0 };
    int n = 0;
    struct pollfd p = { report[0], POLLIN, 0 };
    while (n < 2 && poll(&p, 1, 5000) == 1) {
        if (read(report[0], got + n, 1) != 1) break;
        n++;
    }
    say("the stopped member reported: %s", n ? got : "nothing within 5 s");
    close(report[0]);
}

/* posix_spawn (musl: clone(CLONE_VM|CLONE_VFORK) on a separate stack). */
static void case_spawn(void) {
    pid_t pid;
    char *args[] = { self, "--exec-child", "spawned", NULL };
    char *env[] = { "VIA=posix_spawn", NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/dev/null", O_RDONLY, 0);
    int r = posix_spawn(&pid, self, &fa, NULL, args, env);
    int st = 0;
    pid_t w = r == 0 ? waitpid(pid, &st, 0) : -1; /* the child prints first */
    say("posix_spawn: %s", ename(r));
    if (w == pid) say_status("spawned child", st);
    posix_spawn_file_actions_destroy(&fa);
    char *none[] = { "x", NULL };
    r = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, none, none);
    say("posix_spawn(missing): %s", ename(r));
}

/* Many and long arguments reach the new image intact. */
static void case_big_args(void) {
    enum { N = 2000 };
    static char *args[N + 4];
    static char storage[N][100];
    args[0] = self;
    args[1] = "--count-args";
    for (int i = 0; i < N; i++) {
        memset(storage[i], 'a' + i % 26, 99);
        storage[i][99] = 0;
        args[i + 2] = storage[i];
    }
    args[N + 2] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        char *env[] = { "BIG=1", NULL };
        execve(self, args, env);
        say("execve: %s", ename(errno));
        _exit(127);
    }
    reap("child with 2000 arguments of 99 bytes", pid);
}

static const struct dcase cases[] = {
    CASE(exit_codes), CASE(signaled), CASE(ids), CASE(sessions), CASE(cow), CASE(vfork), CASE(exec),
    CASE(exec_script), CASE(wnohang), CASE(echild), CASE(reap_order), CASE(waitid),
    CASE(orphan), CASE(many_children), CASE(mmap_fork), CASE(mmap_shared), CASE(shared_offset),
    CASE(wait_groups), CASE(zombie), CASE(zombie_kill), CASE(orphaned_pgrp), CASE(spawn), CASE(big_args), { 0, 0 },
};

int main(int argc, char **argv, char **envp) {
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "--exec-child") == 0) return exec_child(argc, argv, envp);
    if (argc > 1 && strcmp(argv[1], "--count-args") == 0) {
        long bytes = 0, intact = 1;
        for (int i = 2; i < argc; i++) {
            bytes += strlen(argv[i]);
            intact &= strlen(argv[i]) == 99 && argv[i][0] == 'a' + (i - 2) % 26 && argv[i][98] == argv[i][0];
        }
        say("argc %d, %ld bytes, all intact %ld, env %s", argc, bytes, intact, getenv("BIG") ? "passed" : "missing");
        return 0;
    }
    signal(SIGPIPE, SIG_DFL);
    return run_cases(cases, argc, argv, 10);
}
