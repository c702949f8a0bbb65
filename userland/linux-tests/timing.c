/* Clocks and sleeps: monotonic time never goes back, sleeps last at least
 * what was asked (and not absurdly longer), absolute sleeps, bad
 * arguments, the realtime clocks agree, CPU-time clocks. Exits 14. */
#include "difftest.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>

static long long ts_ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static void case_monotonic(void) {
    struct timespec prev, t;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    int backwards = 0, bad_nsec = 0;
    for (int i = 0; i < 2000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        backwards += ts_ns(t) < ts_ns(prev);
        bad_nsec += t.tv_nsec < 0 || t.tv_nsec >= 1000000000;
        prev = t;
    }
    say("2000 readings: went backwards %d times, bad tv_nsec %d", backwards, bad_nsec);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    sleep_ms(20);
    clock_gettime(CLOCK_MONOTONIC, &b);
    say("advances across a 20 ms sleep: %d", ts_ns(b) - ts_ns(a) >= 20000000LL);
    int ids[] = { CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_COARSE };
    const char *names[] = { "MONOTONIC_RAW", "MONOTONIC_COARSE", "BOOTTIME", "REALTIME_COARSE" };
    for (int i = 0; i < 4; i++) say_ret(names[i], clock_gettime(ids[i], &t));
    say_ret("clock_gettime(bad clock)", syscall(SYS_clock_gettime, 99, &t));
}

static void case_realtime(void) {
    struct timespec ts;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &ts);
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    say("after 2020: %d", ts.tv_sec > 1577836800);
    say("gettimeofday within 2 s of CLOCK_REALTIME: %d", tv.tv_sec - ts.tv_sec <= 2 && tv.tv_sec >= ts.tv_sec);
    say("time() within 2 s: %d", t - ts.tv_sec <= 2 && t >= ts.tv_sec);
    say("tv_usec in range: %d", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

static void case_getres(void) {
    struct timespec r = { 9, 9 };
    say_ret("clock_getres(MONOTONIC)", clock_getres(CLOCK_MONOTONIC, &r));
    say("resolution at most 10 ms: %d", r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000);
}

static void case_nanosleep(void) {
    long asks[] = { 1, 10, 50, 120 };
    for (int i = 0; i < 4; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct timespec req = { 0, asks[i] * 1000000L };
        int r = nanosleep(&req, NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long long took = ts_ns(b) - ts_ns(a);
        say("nanosleep(%ld ms) -> %d, slept >= asked: %d, < asked + 2 s: %d", asks[i], r,
            took >= asks[i] * 1000000LL, took < asks[i] * 1000000LL + 2000000000LL);
    }
    struct timespec zero = { 0, 0 };
    say_ret("nanosleep(0)", nanosleep(&zero, NULL));
    struct timespec bad = { 0, 1000000000L };
    say_ret("nanosleep(tv_nsec = 1e9)", nanosleep(&bad, NULL));
    struct timespec neg = { -1, 0 };
    say_ret("nanosleep(-1 s)", nanosleep(&neg, NULL));
    say_ret("nanosleep(NULL)", syscall(SYS_nanosleep, NULL, NULL));
    say_ret("usleep(20000)", usleep(20000));
}

static void case_clock_nanosleep(void) {
    struct timespec now, target, after;
    clock_gettime(CLOCK_MONOTONIC, &now);
    target = now;
    target.tv_nsec += 30000000;
    if (target.tv_nsec >= 1000000000) { target.tv_sec++; target.tv_nsec -= 1000000000; }
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    say("absolute MONOTONIC +30 ms -> %d, woke after the target: %d", r, ts_ns(after) >= ts_ns(target));
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
    say("absolute time in the past -> %d", r);
    clock_gettime(CLOCK_REALTIME, &now);
    target = now;
    target.tv_nsec += 30000000;
    if (target.tv_nsec >= 1000000000) { target.tv_sec++; target.tv_nsec -= 1000000000; }
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &target, NULL);
    clock_gettime(CLOCK_REALTIME, &after);
    say("absolute REALTIME +30 ms -> %d, woke after the target: %d", r, ts_ns(after) >= ts_ns(target));
    struct timespec rel = { 0, 20000000 }, a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    say("relative 20 ms -> %d, slept >= 20 ms: %d", r, ts_ns(b) - ts_ns(a) >= 20000000LL);
    struct timespec bad = { 0, -1 };
    say("bad tv_nsec -> %s", ename(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));
    say("bad clock -> %s", ename(clock_nanosleep(99, 0, &rel, NULL)));
}

static void case_cputime(void) {
    struct timespec a, b;
    say_ret("clock_gettime(PROCESS_CPUTIME_ID)", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
    say_ret("clock_gettime(THREAD_CPUTIME_ID)", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b));
    /* Spinning does use CPU time (and times() counts it). On a loaded host
     * the spin may get a small share of a CPU: wait for 20 ms of CPU time
     * with a generous wall-clock limit rather than spin a fixed time. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    long long start = now_ms();
    volatile unsigned long spin = 0;
    do {
        for (int i = 0; i < 100000; i++) spin++;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    } while (ts_ns(b) - ts_ns(a) < 20000000LL && now_ms() - start < 20000);
    say("spinning reached 20 ms of CPU time: %d", ts_ns(b) - ts_ns(a) >= 20000000LL);
    struct tms t;
    clock_t r = times(&t);
    say("times() ok: %d, utime+stime > 0: %d", r != (clock_t)-1, t.tms_utime + t.tms_stime > 0);
}

/* Sleeping uses (almost) no CPU time. */
static void case_cputime_sleep(void) {
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    sleep_ms(300);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    say("300 ms asleep cost less than 150 ms of process CPU: %d", ts_ns(b) - ts_ns(a) < 150000000LL);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    sleep_ms(300);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    say("300 ms asleep cost less than 150 ms of thread CPU: %d", ts_ns(b) - ts_ns(a) < 150000000LL);
}

static const struct dcase cases[] = {
    CASE(monotonic), CASE(realtime), CASE(getres), CASE(nanosleep), CASE(clock_nanosleep), CASE(cputime), CASE(cputime_sleep), { 0, 0 },
};

int main(int argc, char **argv) {
    return run_cases(cases, argc, argv, 14);
}
