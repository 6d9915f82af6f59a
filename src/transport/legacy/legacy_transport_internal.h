/* Shared by the parts of the legacy adapter: legacy_transport.c (construction, health, the
 * helpers below), legacy_transport_files.c and legacy_transport_terminal.c. */
#ifndef A0IPC_LEGACY_TRANSPORT_INTERNAL_H
#define A0IPC_LEGACY_TRANSPORT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "a0ipc/legacy_transport.h"
#include "transport/transport_impl.h"
#include "transport/legacy/legacy_ssh.h"
#include "transport/legacy/rfc_client.h"

typedef struct ltr_session ltr_session;

typedef struct legacy_transport {
    a0ipc_rfc_client *rfc;
    char *root; /* without a trailing "/" unless it is "/" */
    size_t max_file_bytes;
    a0ipc_legacy_ssh_config ssh; /* its strings are the copies below */
    char *ssh_host, *ssh_user, *ssh_password, *ssh_key, *ssh_host_key;
    uint32_t max_sessions;

    pthread_mutex_t mu; /* the session table */
    ltr_session *sessions;
    uint32_t n_sessions;
    uint64_t next_session;
} legacy_transport;

/* The runtime path for a request path: absolute ones unchanged, relative ones joined to the
 * root; trailing slashes cut. NULL with INVALID_ARGUMENT (empty) or RESOURCE_EXHAUSTED. */
char *ltr_path(const legacy_transport *l, const char *path, a0ipc_status *st);
/* The directory part of a runtime path ("/" for "/x"); caller frees. */
char *ltr_parent(const char *abs);
/* The last component; points into abs. */
const char *ltr_base(const char *abs);
/* Joins a display path and a name ("sub" + "x" -> "sub/x"); caller frees. */
char *ltr_join(const char *dir, const char *name);

/* RFC options for a call: its deadline (0: the client's 30 s; < 0: none) and cancellation. */
void ltr_rfc_opts(const a0ipc_call_options *o, a0ipc_rfc_opts *ro);

/* Gives a legacy failure the code a0ipcd gives the same condition, where the legacy's
 * message says what it was: "Path is not a file/directory: P" (a plain Exception, UNKNOWN by
 * the error table) is FAILED_PRECONDITION, and a "[Errno N] ..." reason inside an Exception's
 * message goes through the errno table. The message stays the legacy's. */
a0ipc_code ltr_refine(const a0ipc_rfc_opts *ro, a0ipc_status *st);

a0ipc_code ltr_oom(a0ipc_status *st);
a0ipc_code ltr_unimplemented(a0ipc_status *st, const char *what);

/* The methods, ltr_<operation> for every operation: health in legacy_transport.c, the files' in
 * legacy_transport_files.c, the terminal's in legacy_transport_terminal.c; legacy_transport.c's
 * table names them all. */
#define LTR_DECLARE(since, name, params, args) A0IPC_TRANSPORT_METHOD_DECL(ltr_##name, params)
A0IPC_TRANSPORT_OPS(LTR_DECLARE)
#undef LTR_DECLARE

/* Closes every session left open. */
void ltr_terminal_destroy(legacy_transport *l);

#endif
