/* The legacy adapter (a0ipc/legacy_transport.h): construction, health, and the helpers its
 * files and terminal parts share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "transport/legacy/legacy_files.h"
#include "transport/legacy/legacy_transport_internal.h"

#define DEFAULT_MAX_FILE_BYTES ((size_t)256 << 20)
#define DEFAULT_MAX_SESSIONS   64u

a0ipc_code ltr_oom(a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
}

a0ipc_code ltr_unimplemented(a0ipc_status *st, const char *what)
{
    return a0ipc_status_set(st, A0IPC_UNIMPLEMENTED, "the legacy transport %s", what);
}

char *ltr_path(const legacy_transport *l, const char *path, a0ipc_status *st)
{
    if (!path || !*path) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "empty path");
        return NULL;
    }
    char *abs = NULL;
    if (path[0] == '/')
        abs = strdup(path);
    else if (asprintf(&abs, "%s%s%s", l->root, strcmp(l->root, "/") ? "/" : "", path) < 0)
        abs = NULL;
    if (!abs) {
        ltr_oom(st);
        return NULL;
    }
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    return abs;
}

char *ltr_parent(const char *abs)
{
    const char *slash = strrchr(abs, '/');
    if (!slash || slash == abs)
        return strdup("/");
    return strndup(abs, (size_t)(slash - abs));
}

const char *ltr_base(const char *abs)
{
    const char *slash = strrchr(abs, '/');
    return slash ? slash + 1 : abs;
}

char *ltr_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    char *out = NULL;
    if (asprintf(&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
        return NULL;
    return out;
}

static int cancel_raised(void *arg)
{
    return a0ipc_cancel_raised(arg);
}

void ltr_rfc_opts(const a0ipc_call_options *o, a0ipc_rfc_opts *ro)
{
    memset(ro, 0, sizeof *ro);
    ro->timeout_ms = o ? o->timeout_ms : 0;
    if (o && o->cancel) {
        ro->stop = cancel_raised;
        ro->stop_arg = o->cancel;
    }
}

a0ipc_code ltr_refine(const a0ipc_rfc_opts *ro, a0ipc_status *st)
{
    if (st->code != A0IPC_UNKNOWN || strcmp(ro->error_type, "Exception") != 0)
        return st->code;
    const char *msg = a0ipc_status_message(st);
    if (!strncmp(msg, "Path is not a file: ", 20) || !strncmp(msg, "Path is not a directory: ", 25))
        st->code = A0IPC_FAILED_PRECONDITION;
    else {
        const char *e = strstr(msg, "[Errno ");
        int no = 0;
        if (e && sscanf(e + 7, "%d]", &no) == 1 && no > 0)
            st->code = a0ipc_code_from_errno(no);
    }
    return st->code;
}

/* The legacy has no health call: the probe is the cheapest call that proves the RFC answers
 * with the right password and the file module is there, _path_exists_impl of the root. */
a0ipc_code ltr_health(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                      a0ipc_serving *out, a0ipc_status *st)
{
    (void)service;
    legacy_transport *l = t->ctx;
    *out = A0IPC_SERVING_UNKNOWN;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    bool exists = false;
    if (a0ipc_legacy_path_exists(l->rfc, &ro, l->root, &exists, st) != A0IPC_OK)
        return st->code;
    *out = exists ? A0IPC_SERVING : A0IPC_NOT_SERVING;
    return A0IPC_OK;
}

/* The RFC has nothing to wait on: a caller that wants changes asks ltr_health again. */
a0ipc_code ltr_health_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                            a0ipc_serving_fn on_status, void *arg, a0ipc_status *st)
{
    (void)t;
    (void)o;
    (void)service;
    (void)on_status;
    (void)arg;
    return a0ipc_status_set(st, A0IPC_UNIMPLEMENTED,
                            "the legacy protocol has no stream of health changes");
}

/* Frees l and everything it owns; l may be half made. */
static void ltr_free(legacy_transport *l)
{
    if (l) {
        ltr_terminal_destroy(l);
        a0ipc_rfc_client_free(l->rfc);
        free(l->root);
        free(l->ssh_host);
        free(l->ssh_user);
        if (l->ssh_password) {
            explicit_bzero(l->ssh_password, strlen(l->ssh_password));
            free(l->ssh_password);
        }
        free(l->ssh_key);
        free(l->ssh_host_key);
        pthread_mutex_destroy(&l->mu);
        free(l);
    }
}

static void ltr_destroy(a0ipc_transport *t)
{
    ltr_free(t->ctx);
}

/* One table for every instance: ltr_<operation> for each operation of the list. */
#define LTR_METHOD(since, name, params, args) .name = ltr_##name,
/* clang-format off */
static const a0ipc_transport_ops legacy_ops = {
    .version = A0IPC_TRANSPORT_VERSION,
    .name = "legacy",
    .destroy = ltr_destroy,
    A0IPC_TRANSPORT_OPS(LTR_METHOD)
};
/* clang-format on */
#undef LTR_METHOD

/* strdup of an optional string; false when out of memory. */
static bool copy_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

a0ipc_transport *a0ipc_legacy_transport_new(const a0ipc_legacy_options *o, a0ipc_status *st)
{
    static const a0ipc_legacy_options none = {0};
    if (!o)
        o = &none;
    const char *root = o->root && *o->root ? o->root : "/";
    if (root[0] != '/') {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "legacy root \"%s\" is not absolute", root);
        return NULL;
    }
    if (o->rfc_port < 0 || o->rfc_port > 65535 || o->ssh_port < 0 || o->ssh_port > 65535) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "legacy port out of range (1..65535)");
        return NULL;
    }
    legacy_transport *l = calloc(1, sizeof *l);
    if (!l) {
        ltr_oom(st);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);

    l->max_file_bytes = o->max_file_bytes ? o->max_file_bytes : DEFAULT_MAX_FILE_BYTES;
    l->max_sessions = o->max_sessions ? o->max_sessions : DEFAULT_MAX_SESSIONS;
    l->root = ltr_path(&(legacy_transport){.root = "/"}, root, st);
    bool ok = l->root && copy_opt(&l->ssh_host, o->ssh_host) &&
              copy_opt(&l->ssh_user, o->ssh_user) && copy_opt(&l->ssh_password, o->ssh_password) &&
              copy_opt(&l->ssh_key, o->ssh_private_key_file) &&
              copy_opt(&l->ssh_host_key, o->ssh_host_key_sha256);
    if (!ok) {
        if (l->root)
            ltr_oom(st);
        ltr_free(l);
        return NULL;
    }
    l->ssh = (a0ipc_legacy_ssh_config){.host = l->ssh_host,
                                       .port = o->ssh_port,
                                       .user = l->ssh_user,
                                       .password = l->ssh_password,
                                       .private_key_file = l->ssh_key,
                                       .host_key_sha256 = l->ssh_host_key,
                                       .connect_timeout_ms = o->ssh_connect_timeout_ms};
    /* The answer to a read carries the file as base64 in JSON: 4/3 of it and some room. */
    a0ipc_rfc_config rc = {.url = o->rfc_url,
                           .port = o->rfc_port,
                           .password = o->rfc_password,
                           .timeout_ms = o->rfc_timeout_ms,
                           .max_answer = l->max_file_bytes / 3 * 4 + 65536};
    a0ipc_transport *t = NULL;
    if (!(l->rfc = a0ipc_rfc_client_new(&rc, st)) ||
        !(t = a0ipc_transport_new(&legacy_ops, l, st))) {
        ltr_free(l);
        return NULL;
    }
    A0IPC_LOGD("legacy transport: RFC %s, root %s", a0ipc_rfc_client_endpoint(l->rfc), l->root);
    return t;
}
