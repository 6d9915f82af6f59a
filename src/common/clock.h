/* The monotonic clock, for timeouts, deadlines and durations: it never jumps when the wall clock
 * is set. The one place that reads it, so every part counts time the same way. */
#ifndef A0IPC_COMMON_CLOCK_H
#define A0IPC_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of CLOCK_MONOTONIC (since an arbitrary point, typically boot). */
static inline int64_t a0ipc_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The same in milliseconds. */
static inline int64_t a0ipc_mono_ms(void)
{
    return a0ipc_mono_ns() / 1000000;
}

#endif
