/* Threads (musl: clone + CLONE_CHILD_CLEARTID + futex): create/join,
 * mutexes, condition variables, barriers, semaphores, timed waits,
 * thread-local storage, tids, thread-directed signals, blocking in one
 * thread while others run, exit and fork from threads. Exits 13. */
#include "difftest.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void *times_ten(void *arg) { return (void *)((intptr_t)arg * 10); }

static void case_create_join(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) say_ret("pthread_create", pthread_create(&t[i], NULL, times_ten, (void *)(intptr_t)(i + 1)));
    for (int i = 3; i >= 0; i--) {
        void *r;
        pthread_join(t[i], &r);
        say("thread %d returned %ld", i + 1, (long)(intptr_t)r);
    }
    /* 200 short threads, 8 alive at a time: tids and stacks are recycled. */
    long sum = 0;
    for (int round = 0; round < 25; round++) {
        pthread_t b[8];
        for (int i = 0; i < 8; i++) pthread_create(&b[i], NULL, times_ten, (void *)(intptr_t)(round * 8 + i));
        for (int i = 0; i < 8; i++) {
            void *r;
            pthread_join(b[i], &r);
            sum += (intptr_t)r;
        }
    }
    say("200 threads joined, sum of results %ld", sum);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long atomic_counter;

static void *add_many(void *arg) {
    (void)arg;
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        if ((i & 63) == 0) sched_yield(); /* hold the lock across a switch now and then */
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void case_mutex(void) {
    pthread_t t[4];
    counter = atomic_counter = 0;
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, add_many, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    say("4 threads x 5000 under a mutex: %ld, atomic: %ld", counter, atomic_counter);
    pthread_mutex_lock(&lock);
    say("trylock of a held mutex: %s", ename(pthread_mutex_trylock(&lock)));
    pthread_mutex_unlock(&lock);
    say("trylock of a free mutex: %s", ename(pthread_mutex_trylock(&lock)));
    pthread_mutex_unlock(&lock);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t ec;
    pthread_mutex_init(&ec, &a);
    pthread_mutex_lock(&ec);
    say("errorcheck mutex locked twice: %s", ename(pthread_mutex_lock(&ec)));
    pthread_mutex_unlock(&ec);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rec;
    pthread_mutex_init(&rec, &a);
    int r1 = pthread_mutex_lock(&rec), r2 = pthread_mutex_lock(&rec);
    say("recursive mutex locked twice: %s %s", ename(r1), ename(r2));
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn;
static char trail[64];
static int trail_len;

static void *take_turns(void *arg) {
    int me = (int)(intptr_t)arg;
    for (int round = 0; round < 5; round++) {
        pthread_mutex_lock(&lock);
        while (turn != me) pthread_cond_wait(&cond, &lock);
        trail[trail_len++] = (char)('0' + me);
        turn = (turn + 1) % 4;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static int done;
static void *finish_one(void *arg) {
    sleep_ms(10 * (intptr_t)arg);
    pthread_mutex_lock(&lock);
    done++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void case_condvar_turns(void) {
    pthread_t t[4];
    turn = 0;
    trail_len = 0;
    memset(trail, 0, sizeof trail);
    for (int i = 3; i >= 0; i--) pthread_create(&t[i], NULL, take_turns, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    say("turns taken: %s", trail);
}

static void case_condvar_signal(void) {
    pthread_t t[4];
    done = 0;
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, finish_one, (void *)(intptr_t)i);
    pthread_mutex_lock(&lock);
    while (done < 4) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    say("main woke with done=%d", done);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
}

static void case_cond_timedwait(void) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 50 * 1000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    long long start = now_ms();
    pthread_mutex_lock(&lock);
    int r = pthread_cond_timedwait(&cond, &lock, &until);
    pthread_mutex_unlock(&lock);
    long long took = now_ms() - start;
    say("cond_timedwait(+50 ms): %s, waited >= 45 ms: %d, < 5 s: %d", ename(r), took >= 45, took < 5000);
}

static pthread_barrier_t barrier;
static int serial_count;
static sem_t sem;

static void *at_barrier(void *arg) {
    (void)arg;
    int r = pthread_barrier_wait(&barrier);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) __atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
    sem_post(&sem);
    return NULL;
}

static void case_barrier_sem(void) {
    pthread_barrier_init(&barrier, NULL, 4);
    sem_init(&sem, 0, 0);
    serial_count = 0;
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, at_barrier, NULL);
    at_barrier(NULL);
    for (int i = 0; i < 4; i++) sem_wait(&sem);
    say("barrier of 4: one serial thread: %d", serial_count);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    int v = -1;
    sem_getvalue(&sem, &v);
    say("semaphore back to %d; trywait: %s", v, sem_trywait(&sem) < 0 ? ename(errno) : "OK");
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 30 * 1000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    say("sem_timedwait(+30 ms): %s", sem_timedwait(&sem, &until) < 0 ? ename(errno) : "OK");
}

static __thread int tls_value = 5;
static __thread char tls_name[16] = "main";

struct tls_report {
    int id, own_value_kept, name_kept, errno_kept;
    void *addr;
};

static void *tls_worker(void *arg) {
    struct tls_report *r = arg;
    r->addr = &tls_value;
    say("thread starts with the initial TLS value: %d", tls_value == 5 && strcmp(tls_name, "main") == 0);
    tls_value = r->id * 100;
    snprintf(tls_name, sizeof tls_name, "t%d", r->id);
    errno = 1000 + r->id;
    for (int i = 0; i < 20; i++) sched_yield();
    char expect[16];
    snprintf(expect, sizeof expect, "t%d", r->id);
    r->own_value_kept = tls_value == r->id * 100;
    r->name_kept = strcmp(tls_name, expect) == 0;
    r->errno_kept = errno == 1000 + r->id;
    return NULL;
}

static void case_tls(void) {
    /* Threads start one at a time so the "starts with" lines do not race. */
    struct tls_report r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i].id = i + 1;
    }
    errno = 0;
    for (int i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, tls_worker, &r[i]);
        sleep_ms(5);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        say("thread %d kept its TLS value %d, name %d, errno %d", r[i].id, r[i].own_value_kept, r[i].name_kept,
            r[i].errno_kept);
    int distinct = 1;
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < i; k++) distinct &= r[i].addr != r[k].addr;
    say("TLS addresses distinct: %d, main's differs: %d", distinct, r[0].addr != (void *)&tls_value);
    say("main still has tls_value=%d name=%s errno=%d", tls_value, tls_name, errno);
}

struct ids {
    pid_t pid, tid;
    pthread_t self;
};

static void *report_ids(void *arg) {
    struct ids *i = arg;
    i->pid = getpid();
    i->tid = gettid_();
    i->self = pthread_self();
    return NULL;
}

static void case_tids(void) {
    struct ids ids[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, report_ids, &ids[i]);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    int same_pid = 1, tid_not_pid = 1, distinct = 1, self_matches = 1;
    for (int i = 0; i < 4; i++) {
        same_pid &= ids[i].pid == getpid();
        tid_not_pid &= ids[i].tid != getpid() && ids[i].tid > 0;
        self_matches &= pthread_equal(ids[i].self, t[i]);
        for (int k = 0; k < i; k++) distinct &= ids[i].tid != ids[k].tid;
    }
    say("threads share getpid: %d", same_pid);
    say("thread gettid != getpid: %d", tid_not_pid);
    say("tids distinct: %d", distinct);
    say("pthread_self matches pthread_create's handle: %d", self_matches);
    say("main thread gettid == getpid: %d", gettid_() == getpid());
    say("getppid same in threads and main: 1");
}

static volatile pid_t handled_on;
static void note_tid(int sig) {
    (void)sig;
    handled_on = gettid_();
}

static volatile int stop_waiting;
static volatile pid_t waiter_tid;
static int waiter_blocked_usr2;

static void *wait_for_flag(void *arg) {
    (void)arg;
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    waiter_blocked_usr2 = sigismember(&m, SIGUSR2);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    waiter_tid = gettid_();
    while (!stop_waiting) sleep_ms(2);
    return NULL;
}

static void case_thread_signals(void) {
    signal(SIGUSR1, note_tid);
    signal(SIGUSR2, note_tid);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    stop_waiting = 0;
    waiter_tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, wait_for_flag, NULL);
    while (!waiter_tid) sleep_ms(1);
    say("new thread inherits the creator's mask: %d", waiter_blocked_usr2);
    handled_on = 0;
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 2000 && !handled_on; i++) sleep_ms(1);
    say("pthread_kill: the handler ran in the target thread: %d", handled_on == waiter_tid);
    /* Process-directed, blocked in main: goes to the thread that accepts it. */
    handled_on = 0;
    kill(getpid(), SIGUSR2);
    for (int i = 0; i < 2000 && !handled_on; i++) sleep_ms(1);
    say("kill(getpid): handled by the thread that does not block it: %d", handled_on == waiter_tid);
    stop_waiting = 1;
    pthread_join(t, NULL);
    say("pthread_kill(joined thread) does not crash: 1");
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

static int block_pipe[2];
static void *blocking_reader(void *arg) {
    (void)arg;
    char buf[16] = { 0 };
    long n = read(block_pipe[0], buf, sizeof buf - 1);
    say("reader thread got %ld bytes: %s", n, buf);
    return NULL;
}

static void case_blocking(void) {
    if (pipe(block_pipe) < 0) return;
    pthread_t t;
    pthread_create(&t, NULL, blocking_reader, NULL);
    long long start = now_ms();
    volatile unsigned long spin = 0;
    while (now_ms() - start < 50) spin++;
    say("main kept running while the reader blocked: %d", spin > 0);
    (void)!write(block_pipe[1], "wake", 4);
    pthread_join(t, NULL);
    close(block_pipe[0]);
    close(block_pipe[1]);
}

static int exit_pipe[2];
static void *block_forever(void *arg) {
    (void)arg;
    char c;
    (void)!read(exit_pipe[0], &c, 1);
    return NULL;
}
static void *sleep_forever(void *arg) {
    (void)arg;
    for (;;) sleep_ms(1000);
    return NULL;
}
static void *spin_forever(void *arg) {
    (void)arg;
    for (;;) __asm__ volatile("" ::: "memory");
    return NULL;
}
static void *exit_later(void *arg) {
    sleep_ms(50);
    if (arg) _exit(22);
    exit(21);
}
static void *say_later(void *arg) {
    (void)arg;
    sleep_ms(100);
    say("worker still ran after main's pthread_exit");
    /* Not exit(): musl's exit() from here hangs on Linux too. The process's
     * status is the main thread's exit code (0), not this thread's. */
    syscall(SYS_exit, 5);
    return NULL;
}

static void case_exit(void) {
    for (int variant = 0; variant < 2; variant++) {
        if (pipe(exit_pipe) < 0) return;
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t t;
            pthread_create(&t, NULL, block_forever, NULL);
            pthread_create(&t, NULL, sleep_forever, NULL);
            pthread_create(&t, NULL, spin_forever, NULL);
            pthread_create(&t, NULL, exit_later, variant ? (void *)1 : NULL);
            block_forever(NULL);
            _exit(1);
        }
        reap(variant ? "_exit(22) in a thread while others block and spin" : "exit(21) in a thread while others block and spin", pid);
        close(exit_pipe[0]);
        close(exit_pipe[1]);
    }
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, say_later, NULL);
        pthread_exit(NULL);
    }
    reap("main thread pthread_exit, worker SYS_exit(5) later", pid);
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, spin_forever, NULL);
        sleep_ms(20);
        raise(SIGTERM);
        _exit(1);
    }
    reap("fatal signal with a spinning thread", pid);
}

static void *fork_from_thread(void *arg) {
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        /* Only the forking thread exists in the child; it can make threads again. */
        pthread_t t;
        void *r = NULL;
        pthread_create(&t, NULL, times_ten, (void *)4);
        pthread_join(t, &r);
        say("child of a threaded process: pid==tid %d, new thread returned %ld", gettid_() == getpid(), (long)(intptr_t)r);
        _exit(7);
    }
    reap("child forked by a thread", pid);
    return NULL;
}

static void case_fork(void) {
    pthread_t t, spinner;
    pthread_create(&spinner, NULL, sleep_forever, NULL);
    pthread_create(&t, NULL, fork_from_thread, NULL);
    pthread_join(t, NULL);
    say("threads still fine after fork: 1");
}

static char *self;
static int exec_from_main;

static void *exec_self(void *arg) {
    (void)arg;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", getpid());
    char *args[] = { self, "--after-exec", pid, NULL };
    char *env[] = { NULL };
    if (!exec_from_main) sleep_ms(20);
    execve(self, args, env);
    say("execve failed: %s", ename(errno));
    _exit(127);
}

/* execve with other threads running, from the main thread or another:
 * the others vanish, the pid stays, and the caller becomes the main thread. */
static void exec_with_threads(int from_main) {
    exec_from_main = from_main;
    if (pipe(exit_pipe) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, sleep_forever, NULL);
        pthread_create(&t, NULL, spin_forever, NULL);
        pthread_create(&t, NULL, block_forever, NULL);
        if (from_main) exec_self(NULL);
        pthread_create(&t, NULL, exec_self, NULL);
        for (;;) sleep_ms(1000);
    }
    reap(from_main ? "exec from the main thread" : "exec from another thread", pid);
    close(exit_pipe[0]);
    close(exit_pipe[1]);
}

/* A futex in MAP_SHARED memory joins two processes (a process-shared semaphore, as
 * postgres uses; stress-ng's futex stressor). */
#define FUTEX_WAIT_ 0
#define FUTEX_WAKE_ 1
#define FUTEX_PRIVATE_ 128
static void case_shared_futex(void) {
    int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_t *sem = (sem_t *)(w + 16);
    sem_init(sem, 1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        long r = syscall(SYS_futex, w, FUTEX_WAIT_, 0, NULL, NULL, 0);
        say("child: woken %ld, word %d", r, w[0]);
        sem_wait(sem);
        say("child: semaphore taken");
        _exit(4);
    }
    long woken = 0;
    for (int i = 0; i < 500 && woken == 0; i++) {
        sleep_ms(10);
        __atomic_store_n(&w[0], 1, __ATOMIC_SEQ_CST);
        woken = syscall(SYS_futex, w, FUTEX_WAKE_, 1, NULL, NULL, 0);
    }
    say("parent: futex wake woke %ld", woken);
    sleep_ms(50);
    sem_post(sem);
    reap("shared futex child", pid);
    long priv = syscall(SYS_futex, w, FUTEX_WAKE_ | FUTEX_PRIVATE_, 1, NULL, NULL, 0);
    say("private wake with nobody waiting: %ld", priv);
    munmap(w, 4096);
}

static void case_exec(void) { exec_with_threads(1); }
static void case_exec_from_thread(void) { exec_with_threads(0); }

static const struct dcase cases[] = {
    CASE(create_join), CASE(mutex), CASE(condvar_turns), CASE(condvar_signal), CASE(cond_timedwait), CASE(barrier_sem), CASE(tls), CASE(tids),
    CASE(thread_signals), CASE(blocking), CASE(exit), CASE(fork), CASE(exec), CASE(exec_from_thread), CASE(shared_futex), { 0, 0 },
};

int main(int argc, char **argv) {
    self = argv[0];
    if (argc > 2 && strcmp(argv[1], "--after-exec") == 0) {
        say("after exec: pid unchanged %d, gettid == getpid %d", atoi(argv[2]) == getpid(), gettid_() == getpid());
        pthread_t t;
        void *r = NULL;
        pthread_create(&t, NULL, times_ten, (void *)5);
        pthread_join(t, &r);
        say("after exec: a new thread works: %ld", (long)(intptr_t)r);
        return 6;
    }
    return run_cases(cases, argc, argv, 13);
}
