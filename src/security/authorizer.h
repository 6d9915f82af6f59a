/* a0ipc_authorizer: the rpc server's authorize hook (rpc/server.h), deciding every call from
 * its bearer token and what the transport proved.
 *
 *  1. More than one `authorization` entry, or one that is not "Bearer <token>": UNAUTHENTICATED.
 *  2. A token: it must be in the tokens file (else UNAUTHENTICATED, whatever the method: a
 *     revoked token is told so even on Health), and its permissions must name the method (else
 *     PERMISSION_DENIED). The call's identity is "token:<name>".
 *  3. No token: Health.Check is let through when health-exempt is on (not Watch: a stream holds a
 *     worker thread as long as it lives); otherwise, when a tokens file
 *     is configured, UNAUTHENTICATED. Without a tokens file the transport is the credential:
 *     the listener's own checks (unix peer credentials, the required client certificate, or
 *     plaintext on loopback that the operator asked for) already decided who may connect.
 *
 * Thread-safety: authorize runs on completion-queue threads while configure (SIGHUP) swaps the
 * table under a write lock held only for the swap: a call never waits for file I/O. */
#ifndef A0IPC_SECURITY_AUTHORIZER_H
#define A0IPC_SECURITY_AUTHORIZER_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc/server.h"

typedef struct a0ipc_authorizer a0ipc_authorizer;

typedef struct a0ipc_auth_settings {
    const char *tokens_file; /* NULL: no tokens (transport credentials only) */
    bool health_exempt;      /* grpc.health.v1.Health/Check needs no token */
} a0ipc_auth_settings;

a0ipc_authorizer *a0ipc_authorizer_new(void);
void a0ipc_authorizer_free(a0ipc_authorizer *a);

/* (Re)loads the tokens file and applies the settings, all at once. On error nothing changes
 * (the old tokens stay in force) and st says what is wrong with the file. */
int a0ipc_authorizer_configure(a0ipc_authorizer *a, const a0ipc_auth_settings *s, a0ipc_status *st);

/* How many tokens are in force (for the reload log line). */
size_t a0ipc_authorizer_token_count(a0ipc_authorizer *a);

/* The a0ipc_rpc_authorize_fn; arg is the a0ipc_authorizer. */
void a0ipc_authorizer_authorize(void *arg, const a0ipc_rpc_auth_request *req,
                                a0ipc_rpc_auth_result *out);

#endif
