/* What a token may call. A token's permissions are words from the tokens file:
 *
 *   *                              every method, files read and written
 *   service:a0.runtime.v1.Files    every method of that service
 *   method:/a0.runtime.v1.Terminal/Run   that one method
 *   files:read-only                the Files methods marked NO_SIDE_EFFECTS in the .proto
 *                                  (Stat, ListDir, Read, Archive, Watch), and never a write:
 *                                  this also takes writes away from `*` and service:...Files
 *   terminal:all-sessions          the Terminal sessions of every identity, not only the
 *                                  token's own (not implied by `*`); grants no method
 *
 * Deny by default: a method no word names is PERMISSION_DENIED. */
#ifndef A0IPC_SECURITY_PERMISSIONS_H
#define A0IPC_SECURITY_PERMISSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "a0ipc/status.h"
#include "rpc/binding.h"

#define A0IPC_FILES_SERVICE "a0.runtime.v1.Files"

typedef struct a0ipc_perms {
    bool all;             /* "*" */
    bool files_read_only; /* "files:read-only" */
    bool all_sessions;    /* "terminal:all-sessions": other identities' sessions too */
    char **services;      /* "service:NAME": NAME, owned */
    size_t n_services;
    char **methods; /* "method:/S/M": "/S/M", owned */
    size_t n_methods;
} a0ipc_perms;

/* Adds one permission word; errors say what the valid words are. */
int a0ipc_perms_add(a0ipc_perms *p, const char *word, a0ipc_status *st);
void a0ipc_perms_free(a0ipc_perms *p);

/* Whether p lets a caller call path (m: its descriptor, NULL for a method the server does not
 * serve). Returns A0IPC_OK or A0IPC_PERMISSION_DENIED; *allows_write is false for a read-only
 * set. why (may be NULL) gets a short reason for the client. */
a0ipc_code a0ipc_perms_check(const a0ipc_perms *p, const char *path, const a0ipc_rpc_method *m,
                             bool *allows_write, char *why, size_t why_cap);

#endif
