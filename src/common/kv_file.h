/* Reading `key = value` files, the one format of a0ipcd's config and the router's flags: `#`
 * starts a comment, blank lines are skipped, white space around keys and values is cut. */
#ifndef A0IPC_KV_FILE_H
#define A0IPC_KV_FILE_H

#include "a0ipc/status.h"

/* Applies one setting; returns 0, or -1 with st saying what is wrong with it. */
typedef int (*a0ipc_kv_set_fn)(void *arg, const char *key, const char *value, a0ipc_status *st);

/* Calls set for every setting of path, in order, and stops at the first error: then st names
 * "path:line: why" (or, when the file cannot be opened, "cannot read <what> path: reason")
 * and -1 is returned. */
int a0ipc_kv_file_read(const char *path, const char *what, a0ipc_kv_set_fn set, void *arg,
                       a0ipc_status *st);

#endif
