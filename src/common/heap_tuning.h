/* Process-wide malloc settings for programs that stream large messages through the gRPC core. */
#ifndef A0IPC_COMMON_HEAP_TUNING_H
#define A0IPC_COMMON_HEAP_TUNING_H

/* Keeps the core's receive buffers (up to 4 MiB) and a0ipc's 1 MiB messages on the heap, and
 * the heap's top mapped (glibc only; a no-op elsewhere). Without it, glibc's moving mmap
 * threshold and its trimming of the heap top make a download fault every page of its receive
 * buffers in again, at random, per transfer: 3-10x slower (bench/README.md, "Downloads are
 * bimodal"). Process-wide, so only programs call it (the CLI, the benches), never the library. Call
 * it before any thread starts. */
void a0ipc_heap_tune_for_streams(void);

/* For the daemon: memory that many concurrent large transfers took is given back to the system
 * once they are done (64 concurrent 100 MiB transfers left a0ipcd at 188 MB RSS for good;
 * malloc_trim(0) brought it to 35 MB). Caps glibc's arenas at A0IPC_HEAP_ARENAS (its default is
 * 8 per CPU, each keeping its own free memory), and starts a thread that calls malloc_trim(0)
 * within half a second after calls that moved at least A0IPC_HEAP_TRIM_AFTER bytes ended
 * (a0ipc_heap_call_done; never while nothing large happens). Call before any thread starts;
 * a0ipc_heap_trimmer_stop before exit. Returns 0, or -1 when the thread cannot start. */
#define A0IPC_HEAP_ARENAS     4
#define A0IPC_HEAP_TRIM_AFTER (8u << 20)
int a0ipc_heap_trimmer_start(void);
void a0ipc_heap_trimmer_stop(void);
/* A call ended that moved `bytes` (in and out): cheap, any thread; a no-op without a trimmer. */
void a0ipc_heap_call_done(unsigned long long bytes);

#endif
