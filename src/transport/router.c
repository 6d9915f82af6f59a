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
    return op == OP_HEALTH || op == OP_STAT || op == OP_LIST_DIR || op == OP_READ;
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
    router *r = t->state;
    route rt = decide(r, OP_HEALTH, o, NULL);
    a0ipc_code code;
    ROUTED(OP_HEALTH, rt, false, b->health(b, o, service, out, st));
    if (rt.shadow) {
        a0ipc_serving g = A0IPC_SERVING_UNKNOWN;
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_health(r->backend[BACKEND_GRPC], o, service, &g, &gst);
        if (same_code(r, OP_HEALTH, service ? service : "", code, gc) && g != *out)
            mismatch(r, OP_HEALTH, service ? service : "", "serving %d vs %d", *out, g);
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         bool follow, a0ipc_file_info *out, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_STAT, o, NULL);
    a0ipc_code code;
    ROUTED(OP_STAT, rt, false, b->stat(b, o, path, follow, out, st));
    if (rt.shadow) {
        a0ipc_file_info g = {0};
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_stat(r->backend[BACKEND_GRPC], o, path, follow, &g, &gst);
        char buf[300];
        const char *d;
        if (same_code(r, OP_STAT, path, code, gc) && (d = diff_info(out, &g, buf, sizeof buf)))
            mismatch(r, OP_STAT, path, "%s", d);
        a0ipc_file_info_clear(&g);
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_list_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                             uint32_t depth, bool hidden, a0ipc_file_list **out, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_LIST_DIR, o, NULL);
    a0ipc_code code;
    ROUTED(OP_LIST_DIR, rt, false, b->list_dir(b, o, path, depth, hidden, out, st));
    if (rt.shadow) {
        a0ipc_file_list *g = NULL;
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc = a0ipc_list_dir(r->backend[BACKEND_GRPC], o, path, depth, hidden, &g, &gst);
        if (same_code(r, OP_LIST_DIR, path, code, gc)) {
            const a0ipc_file_list *l = *out;
            char buf[300];
            const char *d = NULL;
            for (size_t i = 0; !d && i < l->n_entries && i < g->n_entries; i++)
                d = diff_info(&l->entries[i], &g->entries[i], buf, sizeof buf);
            if (d)
                mismatch(r, OP_LIST_DIR, path, "%s", d);
            else if (l->n_entries != g->n_entries)
                mismatch(r, OP_LIST_DIR, path, "%zu entries vs %zu", l->n_entries, g->n_entries);
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
    router *r = t->state;
    route rt = decide(r, OP_READ, o, NULL);
    data_tap tap = {sink, arg, false, 0, 14695981039346656037ull};
    a0ipc_code code;
    ROUTED(OP_READ, rt, tap.delivered, b->read(b, o, path, offset, length, tap_data, &tap, st));
    if (rt.shadow) {
        data_tap g = {NULL, NULL, false, 0, 14695981039346656037ull};
        a0ipc_status gst = A0IPC_STATUS_INIT;
        a0ipc_code gc =
            a0ipc_read(r->backend[BACKEND_GRPC], o, path, offset, length, tap_data, &g, &gst);
        if (same_code(r, OP_READ, path, code, gc) && (g.bytes != tap.bytes || g.fnv != tap.fnv))
            mismatch(r, OP_READ, path, "%llu bytes vs %llu%s", (unsigned long long)tap.bytes,
                     (unsigned long long)g.bytes, g.bytes == tap.bytes ? ", content differs" : "");
        a0ipc_status_clear(&gst);
    }
    return code;
}

static a0ipc_code r_archive(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                            a0ipc_archive_format format, bool base, a0ipc_data_fn sink, void *arg,
                            a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_ARCHIVE, o, NULL);
    data_tap tap = {sink, arg, false, 0, 0};
    a0ipc_code code;
    ROUTED(OP_ARCHIVE, rt, tap.delivered, b->archive(b, o, path, format, base, tap_data, &tap, st));
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
    router *r = t->state;
    route rt = decide(r, OP_WRITE, o, NULL);
    source_tap tap = {source, arg, false};
    a0ipc_code code;
    ROUTED(OP_WRITE, rt, tap.pulled, b->write(b, o, w, tap_source, &tap, out, st));
    return code;
}

static a0ipc_code r_remove(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                           bool recursive, bool missing_ok, a0ipc_file_type must_be, bool *removed,
                           a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_REMOVE, o, NULL);
    a0ipc_code code;
    ROUTED(OP_REMOVE, rt, false,
           b->remove(b, o, path, recursive, missing_ok, must_be, removed, st));
    return code;
}

static a0ipc_code r_make_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                             uint32_t mode, bool parents, bool exist_ok, bool *created,
                             a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_MAKE_DIR, o, NULL);
    a0ipc_code code;
    ROUTED(OP_MAKE_DIR, rt, false, b->make_dir(b, o, path, mode, parents, exist_ok, created, st));
    return code;
}

static a0ipc_code r_move(a0ipc_transport *t, const a0ipc_call_options *o, const char *source,
                         const char *destination, bool overwrite, bool create_parents,
                         a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_MOVE, o, NULL);
    a0ipc_code code;
    ROUTED(OP_MOVE, rt, false, b->move(b, o, source, destination, overwrite, create_parents, st));
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
    router *r = t->state;
    route rt = decide(r, OP_WATCH, o, NULL);
    watch_tap tap = {on_event, arg, false};
    a0ipc_code code;
    ROUTED(OP_WATCH, rt, tap.delivered, b->watch(b, o, path, recursive, tap_watch, &tap, st));
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
    router *r = t->state;
    route rt = decide(r, OP_CREATE_SESSION, o, NULL);
    a0ipc_code code;
    ROUTED(OP_CREATE_SESSION, rt, false, b->create_session(b, o, so, out, st));
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
    router *r = t->state;
    route rt = decide(r, OP_RUN, o, id);
    output_tap tap = {on_output, arg, false};
    a0ipc_code code;
    ROUTED(OP_RUN, rt, tap.delivered, b->run(b, o, id, ro, tap_output, &tap, out, st));
    return code;
}

static a0ipc_code r_write_stdin(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                                const uint8_t *data, size_t len, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_WRITE_STDIN, o, id);
    a0ipc_code code;
    ROUTED(OP_WRITE_STDIN, rt, false, b->write_stdin(b, o, id, data, len, st));
    return code;
}

static a0ipc_code r_attach(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           uint64_t from_seq, a0ipc_output_fn on_output, void *arg,
                           a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_ATTACH, o, id);
    output_tap tap = {on_output, arg, false};
    a0ipc_code code;
    ROUTED(OP_ATTACH, rt, tap.delivered, b->attach(b, o, id, from_seq, tap_output, &tap, st));
    return code;
}

static a0ipc_code r_resize(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           uint32_t rows, uint32_t cols, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_RESIZE, o, id);
    a0ipc_code code;
    ROUTED(OP_RESIZE, rt, false, b->resize(b, o, id, rows, cols, st));
    return code;
}

static a0ipc_code r_signal(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           int signo, a0ipc_signal_target target, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_SIGNAL, o, id);
    a0ipc_code code;
    ROUTED(OP_SIGNAL, rt, false, b->signal(b, o, id, signo, target, st));
    return code;
}

static a0ipc_code r_close_session(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                                  uint32_t grace_ms, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_CLOSE_SESSION, o, id);
    a0ipc_code code;
    ROUTED(OP_CLOSE_SESSION, rt, false, b->close_session(b, o, id, grace_ms, st));
    if (code == A0IPC_OK || code == A0IPC_NOT_FOUND)
        forget_session(r, id);
    return code;
}

/* Sessions live on both sides while traffic moves: list both and join the lists. */
static a0ipc_code r_list_sessions(a0ipc_transport *t, const a0ipc_call_options *o,
                                  a0ipc_session_list **out, a0ipc_status *st)
{
    router *r = t->state;
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
        router_metrics_record(&r->metrics, be, OP_LIST_SESSIONS, c, (a0ipc_mono_ns() - t0) / 1000);
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

static a0ipc_code r_exec(a0ipc_transport *t, const a0ipc_call_options *o,
                         const a0ipc_exec_options *eo, a0ipc_exec_result *out, a0ipc_status *st)
{
    router *r = t->state;
    route rt = decide(r, OP_EXEC, o, NULL);
    a0ipc_code code;
    ROUTED(OP_EXEC, rt, false, b->exec(b, o, eo, out, st));
    return code;
}

/* ---- life ---- */

static void r_destroy(a0ipc_transport *t)
{
    router *r = t->state;
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
    free(t);
}

a0ipc_transport *a0ipc_router_new(a0ipc_transport *legacy, a0ipc_transport *grpc,
                                  const char *flags_file, a0ipc_status *st)
{
    a0ipc_transport *t = calloc(1, sizeof *t);
    router *r = calloc(1, sizeof *r);
    if (!t || !r || (flags_file && !(r->flags_file = strdup(flags_file)))) {
        free(t);
        free(r);
        a0ipc_transport_free(legacy);
        a0ipc_transport_free(grpc);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->backend[BACKEND_LEGACY] = legacy;
    r->backend[BACKEND_GRPC] = grpc;
    t->version = A0IPC_TRANSPORT_VERSION;
    t->name = "router";
    t->state = r;
    t->destroy = r_destroy;
    if (router_flags_load(&r->flags, r->flags_file, st) != 0) {
        r_destroy(t);
        return NULL;
    }
    t->health = r_health;
    t->stat = r_stat;
    t->list_dir = r_list_dir;
    t->read = r_read;
    t->write = r_write;
    t->remove = r_remove;
    t->make_dir = r_make_dir;
    t->move = r_move;
    t->archive = r_archive;
    t->watch = r_watch;
    t->create_session = r_create_session;
    t->run = r_run;
    t->write_stdin = r_write_stdin;
    t->attach = r_attach;
    t->resize = r_resize;
    t->signal = r_signal;
    t->close_session = r_close_session;
    t->list_sessions = r_list_sessions;
    t->exec = r_exec;
    return t;
}

int a0ipc_router_reload(a0ipc_transport *t, a0ipc_status *st)
{
    if (!t || strcmp(t->name, "router")) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "not a router");
        return -1;
    }
    router *r = t->state;
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
    return t && !strcmp(t->name, "router") ? router_metrics_text(&((router *)t->state)->metrics)
                                           : NULL;
}

char *a0ipc_router_describe(a0ipc_transport *t)
{
    if (!t || strcmp(t->name, "router"))
        return NULL;
    router *r = t->state;
    pthread_mutex_lock(&r->mu);
    router_flags f = r->flags;
    pthread_mutex_unlock(&r->mu);
    return router_flags_describe(&f);
}
