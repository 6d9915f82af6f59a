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

#endif
