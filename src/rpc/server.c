/* The server's lifecycle: listeners, registered methods, the completion-queue threads, the
 * request slots that accept calls, and the shutdown sequence that the core insists on (see
 * docs/grpc-core.md, "Pitfalls", 6: shutdown order). */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <errno.h>
#include <grpc/support/alloc.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/credentials_internal.h"
#include "rpc/server_internal.h"

/* Request slots posted per method: several, so a burst of new calls does not wait for the CQ
 * thread to re-post one slot at a time. */
#define SLOTS_PER_METHOD 8

typedef struct request_slot {
    cq_tag tag;
    a0ipc_rpc_server *srv;
    registered_method *reg;
    a0ipc_rpc_ctx *ctx; /* filled by the core when a call arrives */
} request_slot;

void a0ipc_rpc_server_options_init(a0ipc_rpc_server_options *o)
{
    memset(o, 0, sizeof *o);
    o->cq_threads = 1;
    o->max_workers = 256;
    o->max_receive_message_bytes = 4 * 1024 * 1024;
    o->max_send_message_bytes = 4 * 1024 * 1024;
    o->max_concurrent_streams = 100;
    o->stream_window_bytes = 4 * 1024 * 1024;
    o->log_calls = true;
    o->handshake_timeout_ms = 3000;
    o->connection_idle_ms = 300000;
    o->max_connections = 1024;
}

static void slot_done(cq_tag *t, bool ok);

/* Asks the core for the next call of slot->reg. On failure (only when shutting down) the slot
 * is freed. */
static void slot_post(request_slot *slot)
{
    a0ipc_rpc_server *s = slot->srv;
    registered_method *reg = slot->reg;
    a0ipc_rpc_ctx *ctx = a0ipc_rpc_ctx_new(s, reg);
    if (!ctx) {
        A0IPC_LOGE("out of memory: a request slot for %s is lost",
                   reg->method ? reg->method->path : "unknown methods");
        goto drop;
    }
    slot->ctx = ctx;
    grpc_call_error err;
    if (reg->method) {
        bool payload =
            reg->method->kind == A0IPC_RPC_UNARY || reg->method->kind == A0IPC_RPC_SERVER_STREAMING;
        err = grpc_server_request_registered_call(
            s->server, reg->core_handle, &ctx->call, &ctx->deadline, &ctx->md,
            payload ? &ctx->payload : NULL, s->cq, s->cq, &slot->tag);
    } else {
        err = grpc_server_request_call(s->server, &ctx->call, &ctx->details, &ctx->md, s->cq, s->cq,
                                       &slot->tag);
    }
    if (err == GRPC_CALL_OK)
        return;
    A0IPC_LOGE("could not post a request slot: %s", grpc_call_error_to_string(err));
    /* The ctx never got a call: free it without the call-level teardown. */
    grpc_metadata_array_destroy(&ctx->md);
    grpc_call_details_destroy(&ctx->details);
    pthread_mutex_destroy(&ctx->mu);
    pthread_cond_destroy(&ctx->cv);
    free(ctx);
drop:
    pthread_mutex_lock(&s->mu);
    s->n_slots--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    free(slot);
}

static void slot_done(cq_tag *t, bool ok)
{
    request_slot *slot = (request_slot *)t;
    a0ipc_rpc_server *s = slot->srv;
    a0ipc_rpc_ctx *ctx = slot->ctx;
    slot->ctx = NULL;
    if (!ok) {
        /* Shutdown returns unused slots with ok == 0: nothing was handed over. */
        grpc_metadata_array_destroy(&ctx->md);
        grpc_call_details_destroy(&ctx->details);
        pthread_mutex_destroy(&ctx->mu);
        pthread_cond_destroy(&ctx->cv);
        free(ctx);
        pthread_mutex_lock(&s->mu);
        s->n_slots--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        free(slot);
        return;
    }
    slot_post(slot); /* the next call may be taken while this one runs */
    a0ipc_rpc_ctx_begin(ctx);
}

static void shutdown_done(cq_tag *t, bool ok)
{
    a0ipc_rpc_server *s =
        (a0ipc_rpc_server *)((char *)t - offsetof(a0ipc_rpc_server, shutdown_tag));
    (void)ok;
    pthread_mutex_lock(&s->mu);
    s->shutdown_notified = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void *cq_thread_main(void *arg)
{
    a0ipc_rpc_server *s = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE) {
            cq_tag *t = ev.tag;
            t->done(t, ev.success != 0);
        }
    }
    return NULL;
}

a0ipc_rpc_server *a0ipc_rpc_server_new(const a0ipc_rpc_server_options *o, a0ipc_status *st)
{
    a0ipc_rpc_server *s = calloc(1, sizeof *s);
    if (!s) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    if (o)
        s->opts = *o;
    else
        a0ipc_rpc_server_options_init(&s->opts);
    if (s->opts.cq_threads < 1)
        s->opts.cq_threads = 1;
    if (s->opts.stream_window_bytes < 65536)
        s->opts.stream_window_bytes = 65536; /* HTTP/2's own initial window */
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->conns_mu, NULL);
    s->shutdown_tag.done = shutdown_done;

    grpc_arg args[10];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = s->opts.max_receive_message_bytes;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = s->opts.max_send_message_bytes;
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = GRPC_ARG_MAX_CONCURRENT_STREAMS;
    args[2].value.integer = s->opts.max_concurrent_streams;
    /* On by default in the core: a second daemon on a taken port would start "fine" and steal
     * connections. A taken port must be an error. */
    args[3].type = GRPC_ARG_INTEGER;
    args[3].key = GRPC_ARG_ALLOW_REUSEPORT;
    args[3].value.integer = 0;
    /* A connection that never finishes its handshake (a port scanner, a half-sent HTTP/2
     * preface) holds up shutdown until this timeout: keep it short. */
    args[4].type = GRPC_ARG_INTEGER;
    args[4].key = GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS;
    args[4].value.integer = s->opts.handshake_timeout_ms;
    args[5].type = GRPC_ARG_INTEGER;
    args[5].key = GRPC_ARG_HTTP2_BDP_PROBE;
    args[5].value.integer = 0;
    args[6].type = GRPC_ARG_INTEGER;
    args[6].key = GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES;
    args[6].value.integer = s->opts.stream_window_bytes;
    /* Identity only. The core inflates a compressed message whole before the receive limit is
     * checked (1.51: a 1 MiB gzip bomb took the RSS to 1.1 GiB before RESOURCE_EXHAUSTED).
     * With no other algorithm enabled a compressed message is refused (UNIMPLEMENTED) without
     * being inflated, and grpc-accept-encoding tells clients not to compress. */
    args[7].type = GRPC_ARG_INTEGER;
    args[7].key = GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET;
    args[7].value.integer = 1 << GRPC_COMPRESS_NONE;
    /* A connection that makes no call holds a descriptor and buffers: close it when idle. */
    args[8].type = GRPC_ARG_INTEGER;
    args[8].key = GRPC_ARG_MAX_CONNECTION_IDLE_MS;
    args[8].value.integer = s->opts.connection_idle_ms > 0 ? s->opts.connection_idle_ms : INT_MAX;
    /* The core has no connection limit: the socket mutator is where we see each TCP
     * connection first (server_tcp_limit.c). */
    s->tcp_limit = a0ipc_rpc_tcp_limit_new(s);
    if (!s->tcp_limit) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        a0ipc_rpc_server_free(s);
        return NULL;
    }
    args[9] = a0ipc_rpc_tcp_limit_arg(s->tcp_limit);
    grpc_channel_args chargs = {10, args};

    s->server = grpc_server_create(&chargs, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->server, s->cq, NULL);
    s->pool = a0ipc_worker_pool_new(s->opts.max_workers);
    s->generic.srv = s;
    if (!s->server || !s->cq || !s->pool) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create the gRPC server");
        a0ipc_rpc_server_free(s);
        return NULL;
    }
    return s;
}

/* Why the core could not listen on a TCP address: it only logs a nested error blob, so bind the
 * same address once more (SO_REUSEADDR, as the core does) and tell the reason in one line. */
static void why_not_listening(const char *addr, char *why, size_t cap)
{
    static const char *const schemes[] = {"dns:///", "ipv4:", "ipv6:", "dns:"};
    const char *a = addr;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (!strncmp(a, schemes[i], strlen(schemes[i]))) {
            a += strlen(schemes[i]);
            break;
        }
    char host[256];
    const char *colon = strrchr(a, ':');
    size_t n = colon ? (size_t)(colon - a) : 0;
    if (!colon || n >= sizeof host) {
        snprintf(why, cap, "not host:port");
        return;
    }
    memcpy(host, a, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (gai != 0) {
        snprintf(why, cap, "%s", gai_strerror(gai));
        return;
    }
    int err = 0;
    for (struct addrinfo *r = res; r; r = r->ai_next) {
        int fd = socket(r->ai_family, r->ai_socktype | SOCK_CLOEXEC, r->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        err = bind(fd, r->ai_addr, r->ai_addrlen) == 0 ? 0 : errno;
        close(fd);
        if (err)
            break;
    }
    freeaddrinfo(res);
    if (err)
        snprintf(why, cap, "%s (errno %d)", strerror(err), err);
    else
        snprintf(why, cap, "the gRPC core refused it (bad address or no permission)");
}

int a0ipc_rpc_server_listen(a0ipc_rpc_server *s, const char *addr, const a0ipc_rpc_server_tls *tls,
                            a0ipc_status *st)
{
    if (s->started) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "listen after start");
        return 0;
    }
    grpc_server_credentials *creds =
        tls ? a0ipc_rpc_server_tls_credentials(tls, st) : grpc_insecure_server_credentials_create();
    if (!creds)
        return 0;
    int port = grpc_server_add_http2_port(s->server, addr, creds);
    grpc_server_credentials_release(creds); /* the server holds its own reference */
    if (port == 0) {
        char why[256];
        why_not_listening(addr, why, sizeof why);
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "cannot listen on %s: %s", addr, why);
    }
    return port;
}

int a0ipc_rpc_server_add_service(a0ipc_rpc_server *s, const a0ipc_rpc_service *svc,
                                 const a0ipc_rpc_handler_fn *handlers, void *data, unsigned flags,
                                 a0ipc_status *st)
{
    if (s->started) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "add_service after start");
        return -1;
    }
    registered_method *grown =
        realloc(s->methods, (s->n_methods + svc->n_methods) * sizeof *s->methods);
    if (!grown && s->n_methods + svc->n_methods) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    s->methods = grown;
    for (size_t i = 0; i < svc->n_methods; i++) {
        const a0ipc_rpc_method *m = &svc->methods[i];
        for (size_t j = 0; j < s->n_methods; j++) {
            if (strcmp(s->methods[j].method->path, m->path) == 0) {
                a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "method %s registered twice", m->path);
                return -1;
            }
        }
        bool payload = m->kind == A0IPC_RPC_UNARY || m->kind == A0IPC_RPC_SERVER_STREAMING;
        registered_method *r = &s->methods[s->n_methods];
        r->srv = s;
        r->method = m;
        r->handler = handlers ? handlers[i] : NULL;
        r->data = data;
        r->run_inline = (flags & A0IPC_RPC_INLINE) != 0;
        r->core_handle = grpc_server_register_method(
            s->server, m->path, NULL,
            payload ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE, 0);
        if (!r->core_handle) {
            a0ipc_status_set(st, A0IPC_INTERNAL, "the core refused method %s", m->path);
            return -1;
        }
        s->n_methods++;
    }
    return 0;
}

static void post_slots(a0ipc_rpc_server *s, registered_method *reg, int n)
{
    for (int i = 0; i < n; i++) {
        request_slot *slot = calloc(1, sizeof *slot);
        if (!slot) {
            A0IPC_LOGE("out of memory posting request slots");
            return;
        }
        slot->tag.done = slot_done;
        slot->srv = s;
        slot->reg = reg;
        pthread_mutex_lock(&s->mu);
        s->n_slots++;
        pthread_mutex_unlock(&s->mu);
        slot_post(slot);
    }
}

int a0ipc_rpc_server_start(a0ipc_rpc_server *s, a0ipc_status *st)
{
    grpc_server_start(s->server);
    s->started = true;
    if (a0ipc_rpc_unix_start(s, st) != 0)
        return -1;
    s->cq_threads = calloc((size_t)s->opts.cq_threads, sizeof *s->cq_threads);
    if (!s->cq_threads) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    for (int i = 0; i < s->opts.cq_threads; i++) {
        if (pthread_create(&s->cq_threads[i], NULL, cq_thread_main, s) != 0) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED,
                             "cannot start a completion-queue thread");
            return -1;
        }
        s->n_cq_threads++;
    }
    for (size_t i = 0; i < s->n_methods; i++)
        post_slots(s, &s->methods[i], SLOTS_PER_METHOD);
    /* Calls to unknown methods must be answered at once, not left waiting in the core. */
    post_slots(s, &s->generic, 2);
    return 0;
}

int a0ipc_rpc_server_active_calls(a0ipc_rpc_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_live;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Waits on s->cv until pred(s) holds or deadline_ns (monotonic; 0 = forever) passes. Call with
 * s->mu held. */
static bool wait_until(a0ipc_rpc_server *s, bool (*pred)(a0ipc_rpc_server *), int64_t deadline_ns)
{
    while (!pred(s)) {
        if (deadline_ns == 0) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        int64_t now = a0ipc_mono_ns();
        if (now >= deadline_ns)
            return false;
        /* The condvar uses CLOCK_REALTIME; convert the remaining time. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t left = deadline_ns - now;
        int64_t ns = ts.tv_nsec + left % 1000000000;
        ts.tv_sec += (time_t)(left / 1000000000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    return true;
}

static bool no_live_calls(a0ipc_rpc_server *s)
{
    return s->n_live == 0;
}

/* Calls fn on every live call, each held by a reference of its own while fn runs, and without
 * s->mu held (fn may end the call, which takes s->mu to unlink it). */
static void each_live_call(a0ipc_rpc_server *s, void (*fn)(a0ipc_rpc_ctx *))
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_live, i = 0;
    a0ipc_rpc_ctx **live = n ? malloc((size_t)n * sizeof *live) : NULL;
    for (a0ipc_rpc_ctx *c = s->live; c && live && i < n; c = c->next)
        if (a0ipc_rpc_ctx_try_ref(c))
            live[i++] = c;
    pthread_mutex_unlock(&s->mu);
    for (int j = 0; j < i; j++) {
        fn(live[j]);
        a0ipc_rpc_ctx_unref(live[j]);
    }
    free(live);
}

void a0ipc_rpc_server_reauthorize(a0ipc_rpc_server *s)
{
    each_live_call(s, a0ipc_rpc_ctx_reauthorize);
}

static bool all_returned(a0ipc_rpc_server *s)
{
    return s->n_live == 0 && s->n_slots == 0 && s->shutdown_notified;
}

void a0ipc_rpc_server_shutdown(a0ipc_rpc_server *s, int grace_ms)
{
    pthread_mutex_lock(&s->mu);
    if (s->stopping || !s->started) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);

    /* No connection may be handed to the core once it is shutting down. */
    a0ipc_rpc_unix_stop(s);
    grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);

    /* Ask every handler to wind down: streams end with UNAVAILABLE instead of being cut. */
    each_live_call(s, a0ipc_rpc_ctx_fire_stop);

    pthread_mutex_lock(&s->mu);
    int64_t deadline = a0ipc_mono_ns() + (int64_t)(grace_ms > 0 ? grace_ms : 0) * 1000000;
    if (!wait_until(s, no_live_calls, deadline)) {
        A0IPC_LOGW("%d call(s) still running after the %d ms grace period: cancelling them",
                   s->n_live, grace_ms);
        pthread_mutex_unlock(&s->mu);
        grpc_server_cancel_all_calls(s->server);
        pthread_mutex_lock(&s->mu);
    } else if (!wait_until(s, all_returned, deadline)) {
        /* No call left, yet the core has not finished: a connection that never spoke (handed
         * over by a unix listener, so no handshake timeout applies) keeps its channel open.
         * Cancelling all calls also disconnects every channel. */
        pthread_mutex_unlock(&s->mu);
        grpc_server_cancel_all_calls(s->server);
        pthread_mutex_lock(&s->mu);
    }
    wait_until(s, all_returned, 0);
    pthread_mutex_unlock(&s->mu);
}

void a0ipc_rpc_server_free(a0ipc_rpc_server *s)
{
    if (!s)
        return;
    if (s->started) {
        a0ipc_rpc_server_shutdown(s, 0);
    } else if (s->server) {
        /* Never started: the core still wants the shutdown handshake before destroy. */
        grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
        grpc_event ev;
        do
            ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        while (ev.type == GRPC_OP_COMPLETE && ev.tag != &s->shutdown_tag);
    }
    if (s->server)
        grpc_server_destroy(s->server);
    if (s->cq) {
        grpc_completion_queue_shutdown(s->cq);
        for (int i = 0; i < s->n_cq_threads; i++)
            pthread_join(s->cq_threads[i], NULL);
        if (!s->n_cq_threads) {
            while (
                grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
                GRPC_QUEUE_SHUTDOWN)
                ;
        }
        grpc_completion_queue_destroy(s->cq);
    }
    /* The unix accept threads and the limiter write the connection table: both stop before it
     * is freed. The core may still hold the limiter; it outlives us then. */
    a0ipc_rpc_unix_stop(s);
    a0ipc_rpc_tcp_limit_detach(s->tcp_limit);
    s->tcp_limit = NULL;
    a0ipc_rpc_unix_free(s);
    a0ipc_rpc_conns_free(s);
    a0ipc_worker_pool_free(s->pool);
    free(s->cq_threads);
    free(s->methods);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->conns_mu);
    free(s);
}
