/* The router: picks the backend of every call from the flags, records what happened, falls back
 * and shadows (see include/a0ipc/router.h for the rules). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "transport/router_internal.h"

typedef struct session_owner {
    char *id;
    int backend;
    struct session_owner *next;
} session_owner;

typedef struct router {
    a0ipc_transport *backend[BACKEND_COUNT];
    char *flags_file;
    pthread_mutex_t mu; /* flags, breaker, sessions */
    router_flags flags;
    int consecutive_unavailable;
    int64_t breaker_open_until_ns; /* 0: closed */
    bool breaker_trial;            /* one call is trying gRPC after the cool-down */
    session_owner *sessions;
    router_metrics metrics;
} router;

int a0ipc_router_bucket(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a: stable across versions and machines, unlike rand() */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return (int)(h % 100);
}

static bool shadowable(router_op op)
{
    return op == OP_health || op == OP_stat || op == OP_list_dir || op == OP_read;
}

typedef struct route {
    int backend;
    bool shadow;
    bool pinned; /* a session's owner: never falls back */
} route;

static int owner_of(router *r, const char *session_id)
{
    for (session_owner *s = r->sessions; s; s = s->next)
        if (!strcmp(s->id, session_id))
            return s->backend;
    return -1;
}

static route decide(router *r, router_op op, const a0ipc_call_options *o, const char *session_id)
{
    route rt = {BACKEND_LEGACY, false, false};
    pthread_mutex_lock(&r->mu);
    int owner = session_id ? owner_of(r, session_id) : -1;
    if (owner >= 0) {
        rt.backend = owner;
        rt.pinned = true;
        pthread_mutex_unlock(&r->mu);
        return rt;
    }
    const router_flags *f = &r->flags;
    a0ipc_route_mode mode = f->method_set[op] ? f->method_mode[op] : f->mode;
    const char *key = o && o->routing_key && *o->routing_key ? o->routing_key : session_id;
    switch (mode) {
    case A0IPC_ROUTE_GRPC:
        rt.backend = BACKEND_GRPC;
        break;
    case A0IPC_ROUTE_CANARY:
        if (key ? a0ipc_router_bucket(key) < f->canary_percent : f->canary_percent >= 100)
            rt.backend = BACKEND_GRPC;
        break;
    case A0IPC_ROUTE_SHADOW:
        rt.shadow = shadowable(op) && r->backend[BACKEND_GRPC] && r->backend[BACKEND_LEGACY];
        break;
    default:
        break;
    }
    if (rt.backend == BACKEND_GRPC && r->breaker_open_until_ns) {
        if (a0ipc_mono_ns() < r->breaker_open_until_ns || r->breaker_trial) {
            rt.backend = BACKEND_LEGACY;
            atomic_fetch_add(&r->metrics.breaker_diverted[op], 1);
        } else {
            r->breaker_trial = true; /* half-open: this call tries gRPC */
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rt;
}

/* What a gRPC answer says about the daemon's health, for the circuit breaker. */
static void grpc_answered(router *r, a0ipc_code code)
{
    pthread_mutex_lock(&r->mu);
    if (code == A0IPC_UNAVAILABLE) {
        r->consecutive_unavailable++;
        if (r->breaker_trial || (!r->breaker_open_until_ns &&
                                 r->consecutive_unavailable >= r->flags.breaker_failures)) {
            r->breaker_open_until_ns =
                a0ipc_mono_ns() + (int64_t)r->flags.breaker_cooldown_ms * 1000000;
            r->breaker_trial = false;
            atomic_store(&r->metrics.breaker_open, 1);
            atomic_fetch_add(&r->metrics.breaker_opened, 1);
            A0IPC_LOGW("router: gRPC unavailable %d times in a row: sending its calls to legacy "
                       "for %d ms",
                       r->consecutive_unavailable, r->flags.breaker_cooldown_ms);
        }
    } else {
        r->consecutive_unavailable = 0;
        if (r->breaker_open_until_ns) {
            r->breaker_open_until_ns = 0;
            r->breaker_trial = false;
            atomic_store(&r->metrics.breaker_open, 0);
            A0IPC_LOGI("router: gRPC answers again: circuit closed");
        }
    }
    pthread_mutex_unlock(&r->mu);
}

static bool may_fall_back(router *r, route rt, a0ipc_code code, bool delivered)
{
    if (rt.backend != BACKEND_GRPC || rt.pinned || delivered || code != A0IPC_UNAVAILABLE ||
        !r->backend[BACKEND_LEGACY])
        return false;
    pthread_mutex_lock(&r->mu);
    bool on = r->flags.fallback;
    pthread_mutex_unlock(&r->mu);
    return on;
}

static a0ipc_code no_backend(int backend, a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "the router has no %s transport%s",
                            router_backend_names[backend],
                            backend == BACKEND_LEGACY ? " (built with A0IPC_LEGACY=OFF?)" : "");
}

/* Runs EXPR (a call on transport `b`) on the routed backend, records it, and repeats it on
 * legacy when may_fall_back says so. DELIVERED is an expression telling whether the caller
 * already received stream data. Sets `code`, and RT.backend to the backend that answered. */
#define ROUTED(OP, RT, DELIVERED, EXPR)                                                            \
    do {                                                                                           \
        int be_ = (RT).backend;                                                                    \
        a0ipc_transport *b = r->backend[be_];                                                      \
        int64_t t0_ = a0ipc_mono_ns();                                                             \
        a0ipc_code code_ = b ? (EXPR) : no_backend(be_, st);                                       \
        router_metrics_record(&r->metrics, be_, OP, code_, (a0ipc_mono_ns() - t0_) / 1000);        \
        if (b && be_ == BACKEND_GRPC)                                                              \
            grpc_answered(r, code_);                                                               \
        if (may_fall_back(r, RT, code_, DELIVERED)) {                                              \
            A0IPC_LOGW("router: %s: gRPC unavailable (%s): falling back to legacy",                \
                       router_op_names[OP], a0ipc_status_message(st));                             \
            atomic_fetch_add(&r->metrics.fallbacks[OP], 1);                                        \
            a0ipc_status_clear(st);                                                                \
            be_ = BACKEND_LEGACY;                                                                  \
            b = r->backend[be_];                                                                   \
            t0_ = a0ipc_mono_ns();                                                                 \
            code_ = (EXPR);                                                                        \
            router_metrics_record(&r->metrics, be_, OP, code_, (a0ipc_mono_ns() - t0_) / 1000);    \
        }                                                                                          \
        (RT).backend = be_;                                                                        \
        code = code_;                                                                              \
    } while (0)

/* The router's pass-through default, r_default_<op> for every operation: route the call by
 * the flags (with no session to pin it), fall back, record. The table below takes these for
 * the operations the router does not write itself, so a new operation is routed as soon as it
 * is in the list. Unused where the router has its own. */
#define ROUTER_DEFAULT(since, name, params, args)                                                  \
    __attribute__((unused)) static a0ipc_code r_default_##name(                                    \
        a0ipc_transport *t, const a0ipc_call_options *o, A0IPC_TRANSPORT_UNPAREN params,           \
        a0ipc_status *st)                                                                          \
    {                                                                                              \
        router *r = t->ctx;                                                                        \
        route rt = decide(r, OP_##name, o, NULL);                                                  \
        a0ipc_code code;                                                                           \
        ROUTED(OP_##name, rt, false, a0ipc_##name(b, o, A0IPC_TRANSPORT_UNPAREN args, st));        \
        return code;                                                                               \
    }
A0IPC_TRANSPORT_OPS(ROUTER_DEFAULT)
#undef ROUTER_DEFAULT

/* ---- shadow comparisons ---- */

static void mismatch(router *r, router_op op, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void mismatch(router *r, router_op op, const char *what, const char *fmt, ...)
{
    char diff[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diff, sizeof diff, fmt, ap);
    va_end(ap);
    atomic_fetch_add(&r->metrics.shadow_mismatched[op], 1);
    A0IPC_LOGW("router: shadow mismatch in %s %s: %s", router_op_names[op], what, diff);
}

/* Compares the codes; returns true when both succeeded (so results can be compared). */
static bool same_code(router *r, router_op op, const char *what, a0ipc_code legacy, a0ipc_code grpc)
{
    atomic_fetch_add(&r->metrics.shadow_compared[op], 1);
    if (legacy != grpc) {
        mismatch(r, op, what, "legacy %s, grpc %s", a0ipc_code_name(legacy), a0ipc_code_name(grpc));
        return false;
    }
    return legacy == A0IPC_OK;
}

static const char *diff_info(const a0ipc_file_info *a, const a0ipc_file_info *b, char *buf,
                             size_t cap)
{
    if (strcmp(a->name, b->name))
        snprintf(buf, cap, "name \"%s\" vs \"%s\"", a->name, b->name);
    else if (a->type != b->type)
        snprintf(buf, cap, "%s: type %d vs %d", a->name, a->type, b->type);
    else if (a->type == A0IPC_FILE_REGULAR && a->size != b->size)
        snprintf(buf, cap, "%s: size %llu vs %llu", a->name, (unsigned long long)a->size,
                 (unsigned long long)b->size);
    else if (a->mtime_ns / 1000000000 != b->mtime_ns / 1000000000)
        snprintf(buf, cap, "%s: mtime %lld vs %lld s", a->name,
                 (long long)(a->mtime_ns / 1000000000), (long long)(b->mtime_ns / 1000000000));
    else
        return NULL;
    return buf;
}

/* ---- operations ---- */

static a0ipc_code r_health(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                           a0ipc_serving *out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_health, o, NULL);
    a0ipc_code code;
    ROUTED(OP_health, rt, false, a0ipc_health(b, o, service, out, st));
    if (rt.shadow) {
        a0ipc_serving g = A0IPC_SERVING_UNKNOWN;
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_health(r->backend[BACKEND_GRPC], o, service, &g, &gst);
        if (same_code(r, OP_health, service ? service : "", code, gc) && g != *out)
            mismatch(r, OP_health, service ? service : "", "serving %d vs %d", *out, g);
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         bool follow, a0ipc_file_info *out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_stat, o, NULL);
    a0ipc_code code;
    ROUTED(OP_stat, rt, false, a0ipc_stat(b, o, path, follow, out, st));
    if (rt.shadow) {
        a0ipc_file_info g = {0};
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_stat(r->backend[BACKEND_GRPC], o, path, follow, &g, &gst);
        char buf[300];
        const char *d;
        if (same_code(r, OP_stat, path, code, gc) && (d = diff_info(out, &g, buf, sizeof buf)))
            mismatch(r, OP_stat, path, "%s", d);
        a0ipc_file_info_clear(&g);
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_list_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                             uint32_t depth, bool hidden, a0ipc_file_list **out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_list_dir, o, NULL);
    a0ipc_code code;
    ROUTED(OP_list_dir, rt, false, a0ipc_list_dir(b, o, path, depth, hidden, out, st));
    if (rt.shadow) {
        a0ipc_file_list *g = NULL;
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_list_dir(r->backend[BACKEND_GRPC], o, path, depth, hidden, &g, &gst);
        if (same_code(r, OP_list_dir, path, code, gc)) {
            const a0ipc_file_list *l = *out;
            char buf[300];
            const char *d = NULL;
            for (size_t i = 0; !d && i < l->n_entries && i < g->n_entries; i++)
                d = diff_info(&l->entries[i], &g->entries[i], buf, sizeof buf);
            if (d)
                mismatch(r, OP_list_dir, path, "%s", d);
            else if (l->n_entries != g->n_entries)
                mismatch(r, OP_list_dir, path, "%zu entries vs %zu", l->n_entries, g->n_entries);
        }
        a0ipc_file_list_free(g);
        a0ipc_status_clear(&gst);
    }
    return code;
}

/* Stream callbacks go through these, so the router knows whether anything reached the caller
 * (then a fallback would deliver twice) and, in shadow mode, can fingerprint the bytes. */
typedef struct data_tap {
    a0ipc_data_fn fn; /* NULL: only fingerprint (the shadow side) */
    void *arg;
    bool delivered;
    uint64_t bytes, fnv;
} data_tap;

static int tap_data(void *arg, const uint8_t *data, size_t len)
{
    data_tap *tap = arg;
    tap->delivered = true;
    tap->bytes += len;
    for (size_t i = 0; i < len; i++) {
        tap->fnv ^= data[i];
        tap->fnv *= 1099511628211ull;
    }
    return tap->fn ? tap->fn(tap->arg, data, len) : 0;
}

static a0ipc_code r_read(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         uint64_t offset, uint64_t length, a0ipc_data_fn sink, void *arg,
                         a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_read, o, NULL);
    data_tap tap = {sink, arg, false, 0, 14695981039346656037ull};
    a0ipc_code code;
    ROUTED(OP_read, rt, tap.delivered, a0ipc_read(b, o, path, offset, length, tap_data, &tap, st));
    if (rt.shadow) {
        data_tap g = {NULL, NULL, false, 0, 14695981039346656037ull};
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc =
            a0ipc_read(r->backend[BACKEND_GRPC], o, path, offset, length, tap_data, &g, &gst);
        if (same_code(r, OP_read, path, code, gc) && (g.bytes != tap.bytes || g.fnv != tap.fnv))
            mismatch(r, OP_read, path, "%llu bytes vs %llu%s", (unsigned long long)tap.bytes,
                     (unsigned long long)g.bytes, g.bytes == tap.bytes ? ", content differs" : "");
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_archive(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                            a0ipc_archive_format format, bool base, a0ipc_data_fn sink, void *arg,
                            a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_archive, o, NULL);
    data_tap tap = {sink, arg, false, 0, 0};
    a0ipc_code code;
    ROUTED(OP_archive, rt, tap.delivered,
           a0ipc_archive(b, o, path, format, base, tap_data, &tap, st));
    return code;
}

/* An upload's source can be read only once: it never falls back after the first chunk. */
typedef struct source_tap {
    a0ipc_source_fn fn;
    void *arg;
    bool pulled;
} source_tap;

static ssize_t tap_source(void *arg, uint8_t *buf, size_t cap)
{
    source_tap *tap = arg;
    tap->pulled = true;
    return tap->fn(tap->arg, buf, cap);
}

static a0ipc_code r_write(a0ipc_transport *t, const a0ipc_call_options *o,
                          const a0ipc_write_options *w, a0ipc_source_fn source, void *arg,
                          a0ipc_write_result *out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_write, o, NULL);
    source_tap tap = {source, arg, false};
    a0ipc_code code;
    ROUTED(OP_write, rt, tap.pulled, a0ipc_write(b, o, w, tap_source, &tap, out, st));
    return code;
}

typedef struct watch_tap {
    a0ipc_watch_fn fn;
    void *arg;
    bool delivered;
} watch_tap;

static int tap_watch(void *arg, const a0ipc_watch_event *ev)
{
    watch_tap *tap = arg;
    tap->delivered = true;
    return tap->fn(tap->arg, ev);
}

static a0ipc_code r_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                          bool recursive, a0ipc_watch_fn on_event, void *arg, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_watch, o, NULL);
    watch_tap tap = {on_event, arg, false};
    a0ipc_code code;
    ROUTED(OP_watch, rt, tap.delivered, a0ipc_watch(b, o, path, recursive, tap_watch, &tap, st));
    return code;
}

/* ---- terminal ---- */

static void remember_session(router *r, const char *id, int backend)
{
    session_owner *s = malloc(sizeof *s);
    if (!s || !(s->id = strdup(id))) {
        free(s);
        A0IPC_LOGW("router: out of memory: session %s is not pinned to its backend", id);
        return;
    }
    s->backend = backend;
    pthread_mutex_lock(&r->mu);
    s->next = r->sessions;
    r->sessions = s;
    pthread_mutex_unlock(&r->mu);
}

static void forget_session(router *r, const char *id)
{
    pthread_mutex_lock(&r->mu);
    for (session_owner **p = &r->sessions; *p; p = &(*p)->next) {
        if (!strcmp((*p)->id, id)) {
            session_owner *gone = *p;
            *p = gone->next;
            free(gone->id);
            free(gone);
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
}

static a0ipc_code r_create_session(a0ipc_transport *t, const a0ipc_call_options *o,
                                   const a0ipc_session_options *so, a0ipc_session_info *out,
                                   a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_create_session, o, NULL);
    a0ipc_code code;
    ROUTED(OP_create_session, rt, false, a0ipc_create_session(b, o, so, out, st));
    if (code == A0IPC_OK)
        remember_session(r, out->id, rt.backend);
    return code;
}

typedef struct output_tap {
    a0ipc_output_fn fn;
    void *arg;
    bool delivered;
} output_tap;

static int tap_output(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    output_tap *tap = arg;
    tap->delivered = true;
    return tap->fn(tap->arg, seq, data, len, lost);
}

static a0ipc_code r_run(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                        const a0ipc_run_options *ro, a0ipc_output_fn on_output, void *arg,
                        a0ipc_run_result *out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_run, o, id);
    output_tap tap = {on_output, arg, false};
    a0ipc_code code;
    ROUTED(OP_run, rt, tap.delivered, a0ipc_run(b, o, id, ro, tap_output, &tap, out, st));
    return code;
}

static a0ipc_code r_write_stdin(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                                const uint8_t *data, size_t len, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_write_stdin, o, id);
    a0ipc_code code;
    ROUTED(OP_write_stdin, rt, false, a0ipc_write_stdin(b, o, id, data, len, st));
    return code;
}

static a0ipc_code r_attach(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           uint64_t from_seq, a0ipc_output_fn on_output, void *arg,
                           a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_attach, o, id);
    output_tap tap = {on_output, arg, false};
    a0ipc_code code;
    ROUTED(OP_attach, rt, tap.delivered, a0ipc_attach(b, o, id, from_seq, tap_output, &tap, st));
    return code;
}

static a0ipc_code r_resize(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           uint32_t rows, uint32_t cols, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_resize, o, id);
    a0ipc_code code;
    ROUTED(OP_resize, rt, false, a0ipc_resize(b, o, id, rows, cols, st));
    return code;
}

static a0ipc_code r_signal(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           int signo, a0ipc_signal_target target, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_signal, o, id);
    a0ipc_code code;
    ROUTED(OP_signal, rt, false, a0ipc_signal(b, o, id, signo, target, st));
    return code;
}

static a0ipc_code r_close_session(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                                  uint32_t grace_ms, a0ipc_session_end *out, a0ipc_status *st)
{
    router *r = t->ctx;
    route rt = decide(r, OP_close_session, o, id);
    a0ipc_code code;
    ROUTED(OP_close_session, rt, false, a0ipc_close_session(b, o, id, grace_ms, out, st));
    if (code == A0IPC_OK || code == A0IPC_NOT_FOUND)
        forget_session(r, id);
    return code;
}

/* Sessions live on both sides while traffic moves: list both and join the lists. */
static a0ipc_code r_list_sessions(a0ipc_transport *t, const a0ipc_call_options *o,
                                  a0ipc_session_list **out, a0ipc_status *st)
{
    router *r = t->ctx;
    a0ipc_session_list *lists[BACKEND_COUNT] = {NULL, NULL};
    a0ipc_code code = A0IPC_UNAVAILABLE;
    size_t total = 0;
    *out = NULL;
    for (int be = 0; be < BACKEND_COUNT; be++) {
        a0ipc_transport *b = r->backend[be];
        if (!b)
            continue;
        a0ipc_status bst = A0IPC_STATUS_INIT;
        int64_t t0 = a0ipc_mono_ns();
        a0ipc_code c = a0ipc_list_sessions(b, o, &lists[be], &bst);
        router_metrics_record(&r->metrics, be, OP_list_sessions, c, (a0ipc_mono_ns() - t0) / 1000);
        if (c == A0IPC_OK) {
            code = A0IPC_OK;
            total += lists[be]->n_sessions;
        } else if (code != A0IPC_OK) {
            code = c;
            a0ipc_status_move(st, &bst);
        }
        a0ipc_status_clear(&bst);
    }
    if (code != A0IPC_OK)
        return code;
    a0ipc_status_clear(st);
    a0ipc_session_list *all = calloc(1, sizeof *all);
    if (all)
        all->sessions = calloc(total ? total : 1, sizeof *all->sessions);
    if (!all || !all->sessions) {
        free(all);
        for (int be = 0; be < BACKEND_COUNT; be++)
            a0ipc_session_list_free(lists[be]);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int be = 0; be < BACKEND_COUNT; be++) {
        if (!lists[be])
            continue;
        /* Move the entries: their strings now belong to the joined list. */
        memcpy(all->sessions + all->n_sessions, lists[be]->sessions,
               lists[be]->n_sessions * sizeof *all->sessions);
        all->n_sessions += lists[be]->n_sessions;
        free(lists[be]->sessions);
        free(lists[be]);
    }
    *out = all;
    return A0IPC_OK;
}

/* ---- life ---- */

/* Frees r, its backends and its session table. */
static void router_free(router *r)
{
    for (int be = 0; be < BACKEND_COUNT; be++)
        a0ipc_transport_free(r->backend[be]);
    while (r->sessions) {
        session_owner *s = r->sessions;
        r->sessions = s->next;
        free(s->id);
        free(s);
    }
    pthread_mutex_destroy(&r->mu);
    free(r->flags_file);
    free(r);
}

static void r_destroy(a0ipc_transport *t)
{
    router_free(t->ctx);
}

/* The defaults first, then what the router does differently: a later designator replaces an
 * earlier one (C11 6.7.9p19), which is the point here, so GCC's warning about it is off. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#define ROUTER_METHOD(since, name, params, args) .name = r_default_##name,
/* clang-format off */
static const a0ipc_transport_ops router_ops = {
    .version = A0IPC_TRANSPORT_VERSION,
    .name = "router",
    .destroy = r_destroy,
    A0IPC_TRANSPORT_OPS(ROUTER_METHOD)
    /* shadowed in shadow mode */
    .health = r_health,
    .stat = r_stat,
    .list_dir = r_list_dir,
    .read = r_read,
    /* streams: no fallback once the caller has data, or an upload's source was read */
    .archive = r_archive,
    .write = r_write,
    .watch = r_watch,
    .run = r_run,
    .attach = r_attach,
    /* sessions: pinned to the backend that created them */
    .create_session = r_create_session,
    .write_stdin = r_write_stdin,
    .resize = r_resize,
    .signal = r_signal,
    .close_session = r_close_session,
    /* both backends, joined */
    .list_sessions = r_list_sessions,
};
/* clang-format on */
#undef ROUTER_METHOD
#pragma GCC diagnostic pop

static bool is_router(const a0ipc_transport *t)
{
    return t && t->ops == &router_ops;
}

a0ipc_transport *a0ipc_router_new(a0ipc_transport *legacy, a0ipc_transport *grpc,
                                  const char *flags_file, a0ipc_status *st)
{
    router *r = calloc(1, sizeof *r);
    if (!r || (flags_file && !(r->flags_file = strdup(flags_file)))) {
        free(r);
        a0ipc_transport_free(legacy);
        a0ipc_transport_free(grpc);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->backend[BACKEND_LEGACY] = legacy;
    r->backend[BACKEND_GRPC] = grpc;
    a0ipc_transport *t = NULL;
    if (router_flags_load(&r->flags, r->flags_file, st) != 0 ||
        !(t = a0ipc_transport_new(&router_ops, r, st))) {
        router_free(r);
        return NULL;
    }
    return t;
}

int a0ipc_router_reload(a0ipc_transport *t, a0ipc_status *st)
{
    if (!is_router(t)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "not a router");
        return -1;
    }
    router *r = t->ctx;
    router_flags fresh;
    if (router_flags_load(&fresh, r->flags_file, st) != 0) {
        A0IPC_LOGW("router: flags not reloaded, the old ones stay: %s", a0ipc_status_message(st));
        return -1;
    }
    pthread_mutex_lock(&r->mu);
    r->flags = fresh;
    pthread_mutex_unlock(&r->mu);
    char *text = router_flags_describe(&fresh);
    A0IPC_LOGI("router: flags reloaded: %s", text ? text : "");
    free(text);
    return 0;
}

char *a0ipc_router_metrics(a0ipc_transport *t)
{
    return is_router(t) ? router_metrics_text(&((router *)t->ctx)->metrics) : NULL;
}

char *a0ipc_router_describe(a0ipc_transport *t)
{
    if (!is_router(t))
        return NULL;
    router *r = t->ctx;
    pthread_mutex_lock(&r->mu);
    router_flags f = r->flags;
    pthread_mutex_unlock(&r->mu);
    return router_flags_describe(&f);
}
