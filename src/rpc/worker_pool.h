/* A pool of threads for handlers that may block. It grows on demand up to a maximum and keeps
 * its idle threads, so a busy server does not pay a thread start per call. */
#ifndef A0IPC_RPC_WORKER_POOL_H
#define A0IPC_RPC_WORKER_POOL_H

#include <stdbool.h>

typedef struct a0ipc_worker_pool a0ipc_worker_pool;

typedef struct a0ipc_work {
    void (*run)(struct a0ipc_work *w);
    struct a0ipc_work *next; /* owned by the pool while queued */
} a0ipc_work;

a0ipc_worker_pool *a0ipc_worker_pool_new(int max_threads);
/* Queues w for an idle thread or a new one. Returns false, without queueing, when every one of
 * max_threads threads is busy: the caller must answer the work itself. */
bool a0ipc_worker_pool_submit(a0ipc_worker_pool *p, a0ipc_work *w);
/* Lets queued work finish, then joins and frees every thread. */
void a0ipc_worker_pool_free(a0ipc_worker_pool *p);

#endif
