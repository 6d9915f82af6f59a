#include "security/authorizer.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "security/tokens.h"

struct a0ipc_authorizer {
    pthread_rwlock_t lock;     /* guards everything below */
    a0ipc_token_table *tokens; /* NULL: no tokens file */
    bool health_exempt;
};

a0ipc_authorizer *a0ipc_authorizer_new(void)
{
    a0ipc_authorizer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_rwlock_init(&a->lock, NULL);
    a->health_exempt = true;
    return a;
}

void a0ipc_authorizer_free(a0ipc_authorizer *a)
{
    if (!a)
        return;
    a0ipc_token_table_free(a->tokens);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

int a0ipc_authorizer_configure(a0ipc_authorizer *a, const a0ipc_auth_settings *s, a0ipc_status *st)
{
    a0ipc_token_table *fresh = NULL;
    if (s->tokens_file && !(fresh = a0ipc_token_table_load(s->tokens_file, st)))
        return -1;
    pthread_rwlock_wrlock(&a->lock);
    a0ipc_token_table *old = a->tokens;
    a->tokens = fresh;
    a->health_exempt = s->health_exempt;
    pthread_rwlock_unlock(&a->lock);
    a0ipc_token_table_free(old);
    return 0;
}

size_t a0ipc_authorizer_token_count(a0ipc_authorizer *a)
{
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->tokens ? a->tokens->n : 0;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

static void deny(a0ipc_rpc_auth_result *out, a0ipc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void deny(a0ipc_rpc_auth_result *out, a0ipc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->code = code;
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

/* The token inside "Bearer <token>" (scheme case-insensitive, RFC 6750), or NULL. */
static const char *bearer(const char *v, size_t len, size_t *token_len)
{
    if (len < 7 || strncasecmp(v, "bearer ", 7) != 0)
        return NULL;
    v += 7;
    len -= 7;
    while (len && *v == ' ') {
        v++;
        len--;
    }
    *token_len = len;
    return len ? v : NULL;
}

void a0ipc_authorizer_authorize(void *arg, const a0ipc_rpc_auth_request *req,
                                a0ipc_rpc_auth_result *out)
{
    a0ipc_authorizer *a = arg;
    /* Client-chosen method names are quoted back only up to a sane length. */
    char path[96];
    snprintf(path, sizeof path, "%s", req->path);
    if (req->n_authorization > 1) {
        deny(out, A0IPC_UNAUTHENTICATED, "send one authorization header, not several");
        return;
    }
    pthread_rwlock_rdlock(&a->lock);
    if (req->authorization) {
        size_t len = 0;
        const char *token = bearer(req->authorization, req->authorization_len, &len);
        const a0ipc_token_entry *e = token ? a0ipc_token_table_find(a->tokens, token, len) : NULL;
        if (!token) {
            deny(out, A0IPC_UNAUTHENTICATED, "the authorization header must be \"Bearer <token>\"");
        } else if (!a->tokens) {
            deny(out, A0IPC_UNAUTHENTICATED,
                 "this a0ipcd has no tokens file, so it cannot check a token: send none, or set "
                 "tokens-file");
        } else if (!e) {
            /* Nothing of the token itself goes into the message: messages are logged. */
            deny(out, A0IPC_UNAUTHENTICATED,
                 "unknown or revoked token: ask the operator for a valid one (a0ipc token "
                 "add)");
        } else {
            snprintf(out->identity, sizeof out->identity, "token:%s", e->name);
            out->all_sessions = e->perms.all_sessions;
            char why[32];
            out->code = a0ipc_perms_check(&e->perms, req->path, req->method, &out->allows_write,
                                          why, sizeof why);
            if (out->code != A0IPC_OK)
                snprintf(out->message, sizeof out->message, "token %s may not call %s (%s)",
                         e->name, path, why);
        }
    } else if (a->health_exempt && !strcmp(req->path, "/grpc.health.v1.Health/Check")) {
        /* Check only: it is answered inline and at once. Watch holds a worker thread for as long
         * as the stream lives, so anonymous watchers could use up max-workers. */
        out->code = A0IPC_OK;
    } else if (a->tokens) {
        deny(out, A0IPC_UNAUTHENTICATED,
             "%s needs a token: send \"authorization: Bearer <token>\" (a0ipc: "
             "--token-file FILE)",
             path);
    } else {
        out->code = A0IPC_OK; /* the transport's own check is the credential */
    }
    pthread_rwlock_unlock(&a->lock);
}
