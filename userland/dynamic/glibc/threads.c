/* glibc pthreads in a dynamically linked program: create/join with return
 * values, a mutex-protected counter, a condition variable, and `__thread`
 * variables (static TLS of the executable) that each thread sees alone. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>

#define THREADS 4
#define ROUNDS 20000

static __thread long mine = 100;
static __thread char tag[16];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;

static void *worker(void *arg) {
    long id = (long)(intptr_t)arg;
    snprintf(tag, sizeof tag, "thread-%ld", id);
    mine += id;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    /* Take turns in id order. */
    pthread_mutex_lock(&lock);
    while (turn != id) pthread_cond_wait(&turn_changed, &lock);
    printf("%s: tls %ld, errno separate %d\n", tag, mine, errno == 0);
    turn++;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&lock);
    return (void *)(intptr_t)(id * 10);
}

int main(void) {
    pthread_t t[THREADS];
    errno = 42;
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)(intptr_t)r;
    }
    printf("joined: sum %ld, counter %ld (want %d), main tls %ld, main errno %d\n", sum, counter, THREADS * ROUNDS,
           mine, errno);
    return 0;
}
