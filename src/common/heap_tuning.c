#include "common/heap_tuning.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h> /* defines __GLIBC__ on glibc */
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* 32 MiB (glibc's own upper bound for the moving threshold): above the core's socket read
 * buffers (up to 4 MiB each, GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE) and a0ipc's messages (1 MiB of
 * data plus framing), so they come from the heap and are reused instead of being mapped fresh,
 * and every page faulted in, per read. Setting the threshold also fixes it: glibc otherwise
 * raises it on the first free of a mapped block and moves between the two regimes.
 * Up to 64 MiB of free heap top may stay mapped: a transfer's working set is a few buffers
 * (the 4 MiB HTTP/2 window), so this bounds what is kept rather than adding to it. */
enum { MMAP_THRESHOLD = 32 << 20, TRIM_THRESHOLD = 64 << 20 };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    atomic_bool on;
    atomic_ullong moved; /* bytes of large calls ended since the last trim */
} trimmer = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *trimmer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&trimmer.mu);
    while (!trimmer.stop) {
        struct timespec at;
        clock_gettime(CLOCK_REALTIME, &at);
        at.tv_nsec += 500 * 1000000L;
        if (at.tv_nsec >= 1000000000L) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&trimmer.cv, &trimmer.mu, &at);
        if (trimmer.stop || !atomic_exchange(&trimmer.moved, 0))
            continue;
        pthread_mutex_unlock(&trimmer.mu);
#ifdef __GLIBC__
        malloc_trim(0);
#endif
        pthread_mutex_lock(&trimmer.mu);
    }
    pthread_mutex_unlock(&trimmer.mu);
    return NULL;
}

int a0ipc_heap_trimmer_start(void)
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, A0IPC_HEAP_ARENAS);
#endif
    pthread_mutex_lock(&trimmer.mu);
    int rc = 0;
    if (!trimmer.running) {
        trimmer.stop = false;
        rc = pthread_create(&trimmer.thread, NULL, trimmer_main, NULL) == 0 ? 0 : -1;
        trimmer.running = rc == 0;
    }
    pthread_mutex_unlock(&trimmer.mu);
    atomic_store(&trimmer.on, rc == 0);
    return rc;
}

void a0ipc_heap_trimmer_stop(void)
{
    atomic_store(&trimmer.on, false);
    pthread_mutex_lock(&trimmer.mu);
    bool was = trimmer.running;
    trimmer.stop = true;
    trimmer.running = false;
    pthread_cond_signal(&trimmer.cv);
    pthread_mutex_unlock(&trimmer.mu);
    if (was)
        pthread_join(trimmer.thread, NULL);
}

void a0ipc_heap_call_done(unsigned long long bytes)
{
    if (bytes >= A0IPC_HEAP_TRIM_AFTER && atomic_load(&trimmer.on))
        atomic_fetch_add(&trimmer.moved, bytes);
}

void a0ipc_heap_tune_for_streams(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
#endif
}
