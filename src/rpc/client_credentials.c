/* Channel credentials from rpc/credentials.h's plain values: TLS with a CA to trust and
 * optionally a client certificate (mTLS), and a bearer token as call credentials. Whatever was
 * read of a key or a token is wiped before it is freed. */
#include <errno.h>
#include <stdbool.h>
#include <grpc/support/alloc.h>
#include <grpc/support/string_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/credentials_internal.h"

static void wipe_free(char *p, size_t cap)
{
    if (p) {
        explicit_bzero(p, cap);
        free(p);
    }
}

/* Reads a whole (small) PEM file. Caller frees with wipe_free(p, *cap + 1). */
static char *read_pem(const char *path, const char *what, size_t *cap_out, a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read the %s %s", what, path);
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && cap < (1u << 24)) {
            /* Not realloc: the old block would be freed unwiped. */
            char *grown = malloc(cap * 2 + 1);
            if (grown)
                memcpy(grown, buf, n);
            wipe_free(buf, cap + 1);
            buf = grown;
            cap *= 2;
        } else if (n == cap) {
            break;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (!buf || err || n == 0) {
        wipe_free(buf, cap + 1);
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "the %s %s is empty or unreadable", what,
                         path);
        return NULL;
    }
    buf[n] = '\0';
    *cap_out = cap;
    return buf;
}

/* ---- the token, as call credentials ---- */

typedef struct token_plugin {
    char *header; /* "Bearer <token>" */
    size_t len;
} token_plugin;

static int token_get_metadata(void *state, grpc_auth_metadata_context context,
                              grpc_credentials_plugin_metadata_cb cb, void *user_data,
                              grpc_metadata creds_md[GRPC_METADATA_CREDENTIALS_PLUGIN_SYNC_MAX],
                              size_t *num_creds_md, grpc_status_code *status,
                              const char **error_details)
{
    (void)context;
    (void)cb;
    (void)user_data;
    token_plugin *t = state;
    /* Answered synchronously (return 1): the core takes over these slices. */
    memset(creds_md, 0, sizeof creds_md[0]);
    creds_md[0].key = grpc_slice_from_static_string("authorization");
    creds_md[0].value = grpc_slice_from_copied_buffer(t->header, t->len);
    *num_creds_md = 1;
    *status = GRPC_STATUS_OK;
    *error_details = NULL;
    return 1;
}

static char *token_debug_string(void *state)
{
    (void)state;
    return gpr_strdup("a0ipc bearer token (not shown)");
}

static void token_destroy(void *state)
{
    token_plugin *t = state;
    wipe_free(t->header, t->len + 1);
    free(t);
}

static grpc_call_credentials *token_credentials(const char *token, a0ipc_status *st)
{
    token_plugin *t = calloc(1, sizeof *t);
    size_t n = strlen(token);
    if (t) {
        t->len = n + 7;
        t->header = malloc(t->len + 1);
    }
    if (!t || !t->header) {
        free(t);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    memcpy(t->header, "Bearer ", 7);
    memcpy(t->header + 7, token, n + 1);
    grpc_metadata_credentials_plugin plugin = {
        .get_metadata = token_get_metadata,
        .debug_string = token_debug_string,
        .destroy = token_destroy,
        .state = t,
        .type = "a0ipc_bearer_token",
    };
    /* Security level NONE: also over unix sockets and plaintext loopback. */
    return grpc_metadata_credentials_create_from_plugin(plugin, GRPC_SECURITY_NONE, NULL);
}

/* ---- TLS ---- */

static grpc_channel_credentials *tls_credentials(const a0ipc_rpc_channel_security *s,
                                                 a0ipc_status *st)
{
    if (!!s->cert_file != !!s->key_file) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "a client certificate needs its key, and a key its certificate "
                         "(--cert and --key)");
        return NULL;
    }
    size_t ca_cap = 0, cert_cap = 0, key_cap = 0;
    char *ca = NULL, *cert = NULL, *key = NULL;
    grpc_channel_credentials *creds = NULL;
    if (s->ca_file && !(ca = read_pem(s->ca_file, "CA file", &ca_cap, st)))
        goto out;
    if (s->cert_file && (!(cert = read_pem(s->cert_file, "certificate", &cert_cap, st)) ||
                         !(key = read_pem(s->key_file, "key", &key_cap, st))))
        goto out;
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    /* NULL roots: the system's CAs. The server's name is checked against the target's host (or
     * the override) by the core. */
    creds = grpc_ssl_credentials_create_ex(ca, cert ? &pair : NULL, NULL, NULL);
    if (!creds)
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create TLS credentials");
out:
    wipe_free(ca, ca_cap + 1);
    wipe_free(cert, cert_cap + 1);
    wipe_free(key, key_cap + 1);
    return creds;
}

grpc_channel_credentials *a0ipc_rpc_channel_credentials(const a0ipc_rpc_channel_security *s,
                                                        a0ipc_status *st)
{
    if (!s)
        return grpc_insecure_credentials_create();
    grpc_channel_credentials *channel =
        (s->ca_file || s->cert_file) ? tls_credentials(s, st) : grpc_insecure_credentials_create();
    if (!channel)
        return NULL;
    if (!s->token || !*s->token)
        return channel;
    grpc_call_credentials *call = token_credentials(s->token, st);
    if (!call) {
        grpc_channel_credentials_release(channel);
        return NULL;
    }
    grpc_channel_credentials *both = grpc_composite_channel_credentials_create(channel, call, NULL);
    grpc_channel_credentials_release(channel);
    grpc_call_credentials_release(call);
    if (!both)
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not combine TLS and token credentials");
    return both;
}
