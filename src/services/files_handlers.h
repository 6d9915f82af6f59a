/* What files.c (registration, unary handlers) and files_streams.c (streaming handlers) share. */
#ifndef A0IPC_SERVICES_FILES_HANDLERS_H
#define A0IPC_SERVICES_FILES_HANDLERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdbool.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "services/files.h"
#include "services/files_fs.h"

struct a0ipc_files_service {
    a0ipc_files_root *root;
    pthread_t cleaner; /* a0ipc_files_service_clean_temps, when cleaner_started */
    bool cleaner_started;
    atomic_bool cleaner_stop;
    size_t clean_max_entries;
};

/* The service of a call. */
static inline a0ipc_files_root *a0ipc_files_h_root(a0ipc_rpc_ctx *ctx)
{
    return ((a0ipc_files_service *)a0ipc_rpc_ctx_data(ctx))->root;
}

/* Whether the request named its path absolutely: answers then name paths the same way. */
static inline bool a0ipc_files_h_absolute(const char *path)
{
    return path && path[0] == '/';
}

/* A root-relative path from the core in the request's form, in call memory (lives until the
 * response is sent). */
char *a0ipc_files_h_display(a0ipc_rpc_ctx *ctx, const char *rel, bool absolute);

/* ---- streaming handlers (files_streams.c) ---- */
a0_runtime_v1_files_read_fn a0ipc_files_h_read;
a0_runtime_v1_files_write_fn a0ipc_files_h_write;
a0_runtime_v1_files_archive_fn a0ipc_files_h_archive;
a0_runtime_v1_files_watch_fn a0ipc_files_h_watch;

#endif
