/* POSIX threads: mutexes, condition variables, atomics (MIPS ll/sc), thread-local storage,
   pthread_once, a barrier and joins with return values. Output is deterministic.
   needs: linux (picolibc has no threads) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 4
#define ROUNDS 20000
#define ITEMS 2000
#define SLOTS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned counter;
static unsigned atomic_counter;
static __thread unsigned mine;

static void *count(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        mine += id;
    }
    return (void *)(uintptr_t)(mine / ROUNDS * 100 + id);
}

/* a bounded queue: one producer, two consumers, two condition variables */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[SLOTS], head, used, done;

static void *produce(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (used == SLOTS)
            pthread_cond_wait(&not_full, &qlock);
        queue[(head + used++) % SLOTS] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

static void *consume(void *arg)
{
    long long *sum = arg;
    int taken = 0;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (used == 0 && !done)
            pthread_cond_wait(&not_empty, &qlock);
        if (used == 0) {
            pthread_mutex_unlock(&qlock);
            break;
        }
        int v = queue[head];
        head = (head + 1) % SLOTS;
        used--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
        *sum += v;
        taken++;
    }
    return (void *)(uintptr_t)(taken > 0);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int initialized;
static void init_once(void) { initialized++; }

static pthread_barrier_t barrier;
static int arrived[WORKERS];

static void *meet(void *arg)
{
    int id = (int)(uintptr_t)arg;
    pthread_once(&once, init_once);
    arrived[id] = 1;
    int serial = pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD;
    int all = 1;
    for (int i = 0; i < WORKERS; i++)
        all &= arrived[i];
    return (void *)(uintptr_t)(all * 2 + serial);
}

int main(void)
{
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, count, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
    for (int i = 0; i < WORKERS; i++) {
        void *result;
        pthread_join(t[i], &result);
        printf("worker %d returned %u\n", i + 1, (unsigned)(uintptr_t)result);
    }
    printf("mutex counter %u, atomic counter %u (expected %u), main's tls %u\n", counter, atomic_counter, WORKERS * ROUNDS, mine);

    pthread_t producer, consumers[2];
    long long sums[2] = {0, 0};
    pthread_create(&producer, NULL, produce, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&consumers[i], NULL, consume, &sums[i]);
    pthread_join(producer, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(consumers[i], NULL);
    printf("queue sum %lld (expected %d)\n", sums[0] + sums[1], ITEMS * (ITEMS + 1) / 2);

    pthread_barrier_init(&barrier, NULL, WORKERS);
    int serials = 0, complete = 0;
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, meet, (void *)(uintptr_t)i);
    for (int i = 0; i < WORKERS; i++) {
        void *result;
        pthread_join(t[i], &result);
        serials += (int)(uintptr_t)result & 1;
        complete += (int)(uintptr_t)result >> 1;
    }
    pthread_barrier_destroy(&barrier);
    printf("barrier: %d of %d saw everyone, %d serial thread, once ran %d time\n", complete, WORKERS, serials, initialized);
    return 0;
}
