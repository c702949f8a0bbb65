/* System V IPC, differentially: shared memory segments (attach, fork,
 * detach, removal while attached, keys, permissions, address rules),
 * semaphore sets (atomic operations, waiting for values and for zero,
 * timeouts, signals, removal, SEM_UNDO at exit) and message queues (type
 * selection, truncation, limits, blocking senders and receivers).
 *
 * The host's IPC namespace is shared with whatever else runs there: the
 * cases make their own objects (IPC_PRIVATE or a key from their pid) and
 * never print ids, counts of other objects or times.
 */
#include "difftest.h"

#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/time.h>

#ifndef SHM_DEST
#define SHM_DEST 01000
#endif

/* A key nobody else uses: this process's pid in a private range. */
static key_t own_key(int n) { return (key_t)(0x43790000 + (getpid() & 0xffff) * 16 + n); }

/* Runs `fn` as user 1000 in a child and waits. */
static void as_user(const char *who, void (*fn)(void)) {
    pid_t c = fork();
    if (c == 0) {
        if (setgid(1000) < 0 || setuid(1000) < 0) say("setuid: %s", ename(errno));
        fn();
        _exit(0);
    }
    reap(who, c);
}

/* A result printed later: a call that wakes a child is reported after the
 * child is reaped, so the order of the two processes' lines is fixed. */
struct res { long r; int e; };
static struct res res(long r) { struct res x = { r, errno }; return x; }
static void say_res(const char *what, struct res x) {
    if (x.r < 0) say("%s: -1 %s", what, ename(x.e));
    else say("%s: %ld", what, x.r);
}

static void shm_stat(const char *what, int id) {
    struct shmid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        say("%s: IPC_STAT -1 %s", what, ename(errno));
        return;
    }
    say("%s: size %zu, nattch %lu, mode %o, dest %d, cpid is me %d, uid %u, ctime set %d", what, ds.shm_segsz,
        (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777, !!(ds.shm_perm.mode & SHM_DEST), ds.shm_cpid == getpid(),
        ds.shm_perm.uid, ds.shm_ctime > 0);
}

static void case_shm_basic(void) {
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    say("shmget: %d", id >= 0);
    shm_stat("new", id);
    char *a = shmat(id, 0, 0);
    say("shmat: %d", a != (char *)-1);
    strcpy(a, "hello");
    shm_stat("attached", id);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("lpid is me %d, atime set %d, dtime %ld", ds.shm_lpid == getpid(), ds.shm_atime > 0, (long)ds.shm_dtime);
    pid_t c = fork();
    if (c == 0) {
        say("child sees: %s", a);
        strcpy(a, "from the child");
        shm_stat("child", id);
        _exit(0);
    }
    reap("child", c);
    say("parent sees: %s", a);
    shm_stat("after the child exited", id);
    c = fork();
    if (c == 0) {
        shmdt(a);
        char *b = shmat(id, 0, SHM_RDONLY);
        say("child attach by id: %s", b);
        struct shmid_ds cds;
        shmctl(id, IPC_STAT, &cds);
        say("lpid is the child %d", cds.shm_lpid == getpid());
        _exit(0);
    }
    reap("child", c);
    char *b = shmat(id, 0, 0);
    say("second attach shares: %d, distinct address %d", strcmp(b, a) == 0, b != a);
    b[0] = 'F';
    say("through the first: %c", a[0]);
    shm_stat("twice", id);
    say_ret("shmdt second", shmdt(b));
    say_ret("shmdt again", shmdt(b));
    say_ret("shmdt misaligned", shmdt(a + 1));
    say_ret("shmdt unmapped", shmdt((void *)0x10000));
    say_ret("IPC_RMID while attached", shmctl(id, IPC_RMID, 0));
    shm_stat("removed", id);
    say("still usable: %c", a[0]);
    char *c2 = shmat(id, 0, 0);
    say_ret("attach a removed segment", c2 == (void *)-1 ? -1 : 0);
    if (c2 != (char *)-1) shmdt(c2);
    say_ret("shmdt last", shmdt(a));
    say_ret("IPC_STAT after", shmctl(id, IPC_STAT, &ds));
    char *again = shmat(id, 0, 0);
    say_ret("shmat after", again == (void *)-1 ? -1 : 0);
    /* A segment goes with the exit of its last attacher too. */
    int id2 = shmget(IPC_PRIVATE, 100, 0600);
    c = fork();
    if (c == 0) {
        shmat(id2, 0, 0);
        shmctl(id2, IPC_RMID, 0);
        shm_stat("child removed, attached", id2);
        _exit(0);
    }
    reap("child", c);
    say_ret("after the attacher exited", shmctl(id2, IPC_STAT, &ds));
    /* ...and with exec. */
    int id3 = shmget(IPC_PRIVATE, 100, 0600);
    shmat(id3, 0, 0);
    c = fork();
    if (c == 0) {
        char arg[32];
        snprintf(arg, sizeof arg, "%d", id3);
        char *argv[] = { "/proc/self/exe", "--shm-nattch", arg, 0 };
        execv("/proc/self/exe", argv);
        _exit(99);
    }
    reap("exec child", c);
    shmctl(id3, IPC_RMID, 0);
}

static int key_id;
static key_t user_key;

static void user_shm(void) {
    say_ret("user shmget 0600", shmget(user_key, 0, 0600) < 0 ? -1 : 0);
    say_ret("user shmget 0", shmget(user_key, 0, 0) < 0 ? -1 : 0);
    say_ret("user shmat", shmat(key_id, 0, 0) == (void *)-1 ? -1 : 0);
    struct shmid_ds ds;
    say_ret("user IPC_STAT", shmctl(key_id, IPC_STAT, &ds));
    say_ret("user IPC_RMID", shmctl(key_id, IPC_RMID, 0));
    say_ret("user IPC_SET", shmctl(key_id, IPC_SET, &ds));
}

static void user_shm_readable(void) {
    struct shmid_ds ds;
    say_ret("user IPC_STAT", shmctl(key_id, IPC_STAT, &ds));
    say_ret("user shmat RDONLY", shmat(key_id, 0, SHM_RDONLY) == (void *)-1 ? -1 : 0);
    say_ret("user shmat RW", shmat(key_id, 0, 0) == (void *)-1 ? -1 : 0);
}

static void case_shm_keys(void) {
    key_t k = own_key(1);
    int id = shmget(k, 4096, IPC_CREAT | 0600);
    key_id = id;
    user_key = k;
    say("created: %d", id >= 0);
    say("same key: %d", shmget(k, 4096, 0) == id);
    say("size 0 finds it: %d", shmget(k, 0, 0) == id);
    say_ret("larger size", shmget(k, 8192, 0));
    say_ret("IPC_CREAT|IPC_EXCL", shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600));
    say_ret("unused key", shmget(own_key(2), 10, 0));
    say_ret("new of size 0", shmget(IPC_PRIVATE, 0, 0600));
    say_ret("new of size -1", shmget(IPC_PRIVATE, (size_t)-1, 0600));
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("key kept: %d", ds.shm_perm.__key == k);
    as_user("user", user_shm);
    ds.shm_perm.mode = 0644;
    ds.shm_perm.uid = 0;
    say_ret("IPC_SET 0644", shmctl(id, IPC_SET, &ds));
    shm_stat("after IPC_SET", id);
    as_user("user", user_shm_readable);
    say_ret("IPC_RMID", shmctl(id, IPC_RMID, 0));
    say_ret("key after removal", shmget(k, 0, 0));
    say_ret("bad command", shmctl(id, 99, &ds));
    say_ret("id -1", shmctl(-1, IPC_STAT, &ds));
    say_ret("IPC_STAT bad pointer", shmctl(shmget(IPC_PRIVATE, 10, 0600), IPC_STAT, (void *)8));
    struct shminfo info;
    memset(&info, 0, sizeof info);
    int r = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    say("IPC_INFO: ok %d, shmmax %lu, shmmin %lu, shmmni %lu, shmseg %lu, shmall %lu", r >= 0, info.shmmax,
        info.shmmin, info.shmmni, info.shmseg, info.shmall);
    struct shm_info sinfo;
    say("SHM_INFO: ok %d", shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo) >= 0);
}

static void case_shm_addresses(void) {
    int id = shmget(IPC_PRIVATE, 8192, 0600);
    char *free_at = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(free_at, 3 * 4096);
    char *a = shmat(id, free_at, 0);
    say("at a free address: %d", a == free_at);
    say_ret("over an attachment", shmat(id, free_at, 0) == (void *)-1 ? -1 : 0);
    say_ret("misaligned", shmat(id, free_at + 100, 0) == (void *)-1 ? -1 : 0);
    shmdt(a);
    char *r = shmat(id, free_at + 100, SHM_RND);
    say("SHM_RND rounds down: %d", r == free_at);
    shmdt(r);
    char *m = mmap(free_at, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("mapped over: %d", m == free_at);
    say_ret("over a mapping", shmat(id, free_at, 0) == (void *)-1 ? -1 : 0);
    char *rm = shmat(id, free_at, SHM_REMAP);
    say("SHM_REMAP replaces it: %d", rm == free_at);
    rm[5000] = 'z';
    shmdt(rm);
    char *u = shmat(id, 0, 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("attached: nattch %lu", (unsigned long)ds.shm_nattch);
    say_ret("munmap it", munmap(u, 8192));
    shmctl(id, IPC_STAT, &ds);
    say("munmap detaches: nattch %lu", (unsigned long)ds.shm_nattch);
    say_ret("shmdt after munmap", shmdt(u));
    say_ret("SHM_REMAP without address", shmat(id, 0, SHM_REMAP) == (void *)-1 ? -1 : 0);
    say_ret("id -1", shmat(-1, 0, 0) == (void *)-1 ? -1 : 0);
    say_ret("stale id", shmat(id + 1, 0, 0) == (void *)-1 ? -1 : 0);
    pid_t c = fork();
    if (c == 0) {
        char *ro = shmat(id, 0, SHM_RDONLY);
        say("read-only reads: %c", ro[5000]);
        ro[0] = 'x';
        say("wrote a read-only attachment");
        _exit(0);
    }
    reap("writer", c);
    shmctl(id, IPC_RMID, 0);
}

static void sem_vals(const char *what, int id, int n) {
    unsigned short v[8] = { 0 };
    if (semctl(id, 0, GETALL, v) < 0) {
        say("%s: GETALL -1 %s", what, ename(errno));
        return;
    }
    char line[128];
    int off = 0;
    for (int i = 0; i < n; i++) off += snprintf(line + off, sizeof line - off, " %u", v[i]);
    say("%s:%s", what, line);
}

static int semop1(int id, unsigned short num, short op, short flg) {
    struct sembuf b = { num, op, flg };
    return semop(id, &b, 1);
}

static void case_sem_basic(void) {
    int id = semget(IPC_PRIVATE, 3, 0600);
    say("semget: %d", id >= 0);
    sem_vals("new", id, 3);
    say_ret("SETVAL 1 = 5", semctl(id, 1, SETVAL, 5));
    say("GETVAL 1: %d, GETPID is me %d", semctl(id, 1, GETVAL), semctl(id, 1, GETPID) == getpid());
    say("GETPID 0: %d", semctl(id, 0, GETPID));
    unsigned short all[3] = { 1, 2, 3 };
    say_ret("SETALL", semctl(id, 0, SETALL, all));
    sem_vals("set", id, 3);
    struct sembuf two[2] = { { 0, 1, 0 }, { 2, -3, 0 } };
    say_ret("semop {0 +1, 2 -3}", semop(id, two, 2));
    sem_vals("after", id, 3);
    struct sembuf fail[2] = { { 0, 1, 0 }, { 1, -10, IPC_NOWAIT } };
    say_ret("semop {0 +1, 1 -10} NOWAIT", semop(id, fail, 2));
    sem_vals("unchanged", id, 3);
    struct sembuf same[2] = { { 0, -2, 0 }, { 0, 5, 0 } };
    say_ret("semop {0 -2, 0 +5} (in order)", semop(id, same, 2));
    sem_vals("after", id, 3);
    say_ret("zero wait NOWAIT on 1", semop1(id, 1, 0, IPC_NOWAIT));
    say_ret("zero wait on 2", semop1(id, 2, 0, 0));
    say_ret("sem 3", semop1(id, 3, 1, 0));
    say_ret("nsops 0", semop(id, two, 0));
    say_ret("nsops 501", semop(id, two, 501));
    say_ret("bad pointer", semop(id, (struct sembuf *)8, 1));
    say_ret("past SEMVMX", semop1(id, 0, 32767, 0));
    say_ret("SETVAL -1", semctl(id, 0, SETVAL, -1));
    say_ret("SETVAL 32768", semctl(id, 0, SETVAL, 32768));
    say_ret("SETVAL num 3", semctl(id, 3, SETVAL, 1));
    say_ret("GETVAL num 3", semctl(id, 3, GETVAL));
    say_ret("GETVAL num -1", semctl(id, -1, GETVAL));
    unsigned short big[3] = { 1, 40000, 1 };
    say_ret("SETALL 40000", semctl(id, 0, SETALL, big));
    say_ret("GETALL bad pointer", semctl(id, 0, GETALL, (void *)8));
    struct semid_ds ds;
    memset(&ds, 0, sizeof ds);
    say_ret("IPC_STAT", semctl(id, 0, IPC_STAT, &ds));
    say("nsems %lu, mode %o, otime set %d, ctime set %d", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777, ds.sem_otime > 0, ds.sem_ctime > 0);
    say_ret("semget nsems 0 new", semget(IPC_PRIVATE, 0, 0600));
    say_ret("semget nsems 32001", semget(IPC_PRIVATE, 32001, 0600));
    say_ret("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
    key_t k = own_key(3);
    int kid = semget(k, 2, IPC_CREAT | 0600);
    say("keyed: %d, again %d", kid >= 0, semget(k, 1, 0) == kid);
    say_ret("more semaphores than it has", semget(k, 3, 0));
    say_ret("IPC_EXCL", semget(k, 2, IPC_CREAT | IPC_EXCL));
    say_ret("RMID keyed", semctl(kid, 0, IPC_RMID));
    struct seminfo si;
    memset(&si, 0, sizeof si);
    int r = semctl(0, 0, IPC_INFO, &si);
    say("IPC_INFO ok %d: semmni %d semmsl %d semmns %d semopm %d semvmx %d semaem %d semume %d semusz %d semmap %d semmnu %d",
        r >= 0, si.semmni, si.semmsl, si.semmns, si.semopm, si.semvmx, si.semaem, si.semume, si.semusz, si.semmap, si.semmnu);
    say_ret("bad command", semctl(id, 0, 99));
    say_ret("IPC_RMID", semctl(id, 0, IPC_RMID));
    say_ret("semop after removal", semop1(id, 0, 1, 0));
    say_ret("GETVAL after removal", semctl(id, 0, GETVAL));
}

static volatile sig_atomic_t alarmed;
static void on_alarm(int s) { (void)s; alarmed = 1; }

/* Polls GETNCNT/GETZCNT until a waiter shows (bounded). */
static int wait_count(int id, int cmd) {
    long long end = now_ms() + 5000;
    int n;
    while ((n = semctl(id, 0, cmd)) == 0 && now_ms() < end) sleep_ms(5);
    return n;
}

static void case_sem_wait(void) {
    int id = semget(IPC_PRIVATE, 1, 0600);
    pid_t c = fork();
    if (c == 0) {
        int r = semop1(id, 0, -2, 0);
        say("child took 2: %d, value now %d", r, semctl(id, 0, GETVAL));
        _exit(0);
    }
    say("GETNCNT: %d", wait_count(id, GETNCNT));
    say_ret("+1", semop1(id, 0, 1, 0));
    sleep_ms(50);
    say("still waiting: GETNCNT %d, value %d", semctl(id, 0, GETNCNT), semctl(id, 0, GETVAL));
    struct res r1 = res(semop1(id, 0, 1, 0));
    reap("child", c);
    say_res("+1", r1);
    say("GETNCNT after: %d", semctl(id, 0, GETNCNT));
    semctl(id, 0, SETVAL, 2);
    c = fork();
    if (c == 0) {
        int r = semop1(id, 0, 0, 0);
        say("child saw zero: %d", r);
        _exit(0);
    }
    say("GETZCNT: %d", wait_count(id, GETZCNT));
    semop1(id, 0, -1, 0);
    sleep_ms(50);
    say("GETZCNT at 1: %d", semctl(id, 0, GETZCNT));
    semop1(id, 0, -1, 0);
    reap("child", c);
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    struct sembuf take = { 0, -1, 0 };
    long long t0 = now_ms();
    int r = syscall(SYS_semtimedop, id, &take, 1, &ts);
    say("semtimedop: %d %s, waited >= 90 ms %d", r, r < 0 ? ename(errno) : "", now_ms() - t0 >= 90);
    struct timespec bad = { 0, 2000000000 };
    say_ret("semtimedop bad timeout", syscall(SYS_semtimedop, id, &take, 1, &bad));
    say_ret("semtimedop timeout pointer", syscall(SYS_semtimedop, id, &take, 1, (void *)8));
    c = fork();
    if (c == 0) {
        struct sigaction sa = { .sa_handler = on_alarm };
        sigaction(SIGALRM, &sa, 0);
        struct itimerval it = { { 0, 0 }, { 0, 100000 } };
        setitimer(ITIMER_REAL, &it, 0);
        int rr = semop1(id, 0, -1, 0);
        say("child semop: %d %s, alarmed %d", rr, rr < 0 ? ename(errno) : "", alarmed);
        _exit(0);
    }
    reap("interrupted", c);
    c = fork();
    if (c == 0) {
        int rr = semop1(id, 0, -1, 0);
        say("child semop: %d %s", rr, rr < 0 ? ename(errno) : "");
        _exit(0);
    }
    wait_count(id, GETNCNT);
    struct res rm = res(semctl(id, 0, IPC_RMID));
    reap("removed under", c);
    say_res("IPC_RMID with a waiter", rm);
}

static void case_sem_undo(void) {
    int id = semget(IPC_PRIVATE, 2, 0600);
    pid_t c = fork();
    if (c == 0) {
        semop1(id, 0, 3, SEM_UNDO);
        say("child raised to %d", semctl(id, 0, GETVAL));
        _exit(0);
    }
    reap("child", c);
    say("after its exit: %d", semctl(id, 0, GETVAL));
    semctl(id, 0, SETVAL, 2);
    c = fork();
    if (c == 0) {
        semop1(id, 0, -1, SEM_UNDO);
        semop1(id, 0, -1, SEM_UNDO);
        semop1(id, 0, 1, SEM_UNDO);
        say("child left %d", semctl(id, 0, GETVAL));
        _exit(0);
    }
    reap("child", c);
    say("after its exit: %d, GETPID is the child %d", semctl(id, 0, GETVAL), semctl(id, 0, GETPID) == c);
    int sync[2];
    if (pipe(sync) < 0) return;
    c = fork();
    if (c == 0) {
        semop1(id, 0, 3, SEM_UNDO);
        (void)!write(sync[1], "x", 1);
        sleep_ms(100);
        _exit(0);
    }
    char b;
    (void)!read(sync[0], &b, 1);
    semctl(id, 0, SETVAL, 10);
    reap("child", c);
    say("SETVAL cleared the adjustment: %d", semctl(id, 0, GETVAL));
    semctl(id, 1, SETVAL, 0);
    c = fork();
    if (c == 0) {
        semop1(id, 1, 5, SEM_UNDO);
        (void)!write(sync[1], "x", 1);
        sleep_ms(100);
        _exit(0);
    }
    (void)!read(sync[0], &b, 1);
    semop1(id, 1, -4, 0);
    reap("child", c);
    say("undo clamps at zero: %d", semctl(id, 1, GETVAL));
    c = fork();
    if (c == 0) {
        semop1(id, 1, 32767, SEM_UNDO);
        say_ret("adjustment past SEMAEM", semop1(id, 1, -1, 0) < 0 ? -1 : semop1(id, 1, 1, SEM_UNDO));
        _exit(0);
    }
    reap("child", c);
    semctl(id, 0, IPC_RMID);
}

struct msgbuf_ { long mtype; char text[64]; };

static void rcv(const char *what, int id, size_t size, long type, int flags) {
    struct msgbuf_ m;
    memset(&m, 0, sizeof m);
    ssize_t n = msgrcv(id, &m, size, type, flags);
    if (n < 0) say("%s: -1 %s", what, ename(errno));
    else say("%s: %zd bytes, type %ld, \"%.*s\"", what, n, m.mtype, (int)n, m.text);
}

static int snd(int id, long type, const char *text, int flags) {
    struct msgbuf_ m = { type, { 0 } };
    size_t n = strlen(text);
    memcpy(m.text, text, n);
    return msgsnd(id, &m, n, flags);
}

static void case_msg(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    say("msgget: %d", id >= 0);
    say_ret("send 5", snd(id, 5, "five", 0));
    say_ret("send 2", snd(id, 2, "two", 0));
    say_ret("send 7", snd(id, 7, "seven", 0));
    say_ret("send 2", snd(id, 2, "two again", 0));
    struct msqid_ds ds;
    memset(&ds, 0, sizeof ds);
    msgctl(id, IPC_STAT, &ds);
    say("qnum %lu, cbytes %lu, qbytes %lu, lspid is me %d, lrpid %d", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
        (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid(), ds.msg_lrpid);
    rcv("type 0", id, 64, 0, 0);
    rcv("type -6", id, 64, -6, 0);
    rcv("type 7 EXCEPT", id, 64, 7, MSG_EXCEPT);
    rcv("type 3", id, 64, 3, IPC_NOWAIT);
    rcv("too small", id, 3, 0, 0);
    rcv("NOERROR", id, 3, 0, MSG_NOERROR);
    rcv("empty", id, 64, 0, IPC_NOWAIT);
    msgctl(id, IPC_STAT, &ds);
    say("qnum %lu, cbytes %lu, lrpid is me %d", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, ds.msg_lrpid == getpid());
    say_ret("type 0", snd(id, 0, "x", 0));
    say_ret("type -1", snd(id, -1, "x", 0));
    struct msgbuf_ m = { 1, { 0 } };
    say_ret("size 8193", msgsnd(id, &m, 8193, 0));
    say_ret("bad pointer", msgsnd(id, (void *)8, 4, 0));
    say_ret("receive bad pointer", msgrcv(id, (void *)8, 4, 0, IPC_NOWAIT));
    say_ret("receive size -1", msgrcv(id, &m, (size_t)-1, 0, IPC_NOWAIT));
    say_ret("id -1", snd(-1, 1, "x", 0));
    ds.msg_qbytes = 20;
    say_ret("IPC_SET qbytes 20", msgctl(id, IPC_SET, &ds));
    say_ret("send 12", snd(id, 1, "twelve bytes", 0));
    say_ret("send 12 more NOWAIT", snd(id, 1, "twelve bytes", IPC_NOWAIT));
    pid_t c = fork();
    if (c == 0) {
        long long t0 = now_ms();
        int r = snd(id, 1, "blocked sender", 0);
        say("child send: %d, waited >= 80 ms %d", r, now_ms() - t0 >= 80);
        _exit(0);
    }
    sleep_ms(150);
    struct msgbuf_ room;
    struct res got = res(msgrcv(id, &room, 64, 0, 0));
    reap("sender", c);
    say_res("make room", got);
    rcv("then", id, 64, 0, 0);
    c = fork();
    if (c == 0) {
        rcv("child waited for type 9", id, 64, 9, 0);
        _exit(0);
    }
    sleep_ms(100);
    snd(id, 8, "eight", 0);
    snd(id, 9, "nine", 0);
    reap("receiver", c);
    rcv("left", id, 64, 0, IPC_NOWAIT);
    c = fork();
    if (c == 0) {
        rcv("child waiting", id, 64, 0, 0);
        _exit(0);
    }
    sleep_ms(100);
    struct res rm = res(msgctl(id, IPC_RMID, 0));
    reap("removed under", c);
    say_res("IPC_RMID with a waiter", rm);
    say_ret("send after removal", snd(id, 1, "x", 0));
    struct msginfo mi;
    memset(&mi, 0, sizeof mi);
    int r = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    say("IPC_INFO ok %d: msgmax %d msgmnb %d msgmni %d msgpool %d msgmap %d msgssz %d msgseg %d msgtql %d", r >= 0, mi.msgmax,
        mi.msgmnb, mi.msgmni, mi.msgpool, mi.msgmap, mi.msgssz, mi.msgseg, mi.msgtql);
    key_t k = own_key(4);
    int kid = msgget(k, IPC_CREAT | 0640);
    say("keyed: %d, again %d", kid >= 0, msgget(k, 0) == kid);
    say_ret("IPC_EXCL", msgget(k, IPC_CREAT | IPC_EXCL | 0600));
    say_ret("unused key", msgget(own_key(5), 0));
    msgctl(kid, IPC_RMID, 0);
}

static const struct dcase cases[] = {
    CASE(shm_basic), CASE(shm_keys), CASE(shm_addresses), CASE(sem_basic), CASE(sem_wait), CASE(sem_undo), CASE(msg), { 0, 0 },
};

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--shm-nattch") == 0) {
        struct shmid_ds ds;
        shmctl(atoi(argv[2]), IPC_STAT, &ds);
        say("after exec: nattch %lu", (unsigned long)ds.shm_nattch);
        return 0;
    }
    return run_cases(cases, argc, argv, 0);
}
