/* One server call's life: from the core handing it over, through the handler (inline or on a
 * worker), to the final status; plus everything a handler can do with its ctx.
 *
 * A ctx holds two references while it lives: one for the handler path (released when the final
 * status batch completes) and one for RECV_CLOSE_ON_SERVER (released when the call is over on
 * the wire). Completions of the two can arrive on different CQ threads, hence the atomic count. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/heap_tuning.h"
#include "common/log.h"
#include "rpc/server_internal.h"
#include "rpc/utf8_fix.h"
#include "rpc/wire_check.h"
#include "rpc/status_mirror.h"

struct arena_block {
    arena_block *next;
    size_t cap, used;
    alignas(max_align_t) unsigned char data[];
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        A0IPC_LOGE("out of memory (%zu bytes)", n);
        abort(); /* as the core does: there is no sane way on from here */
    }
    return p;
}

static void ctx_close_done(cq_tag *t, bool ok);
static void ctx_final_done(cq_tag *t, bool ok);
static void ctx_op_done(cq_tag *t, bool ok);
static void ctx_run_work(a0ipc_work *w);

a0ipc_rpc_ctx *a0ipc_rpc_ctx_new(a0ipc_rpc_server *s, const registered_method *reg)
{
    a0ipc_rpc_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->srv = s;
    ctx->reg = reg;
    grpc_metadata_array_init(&ctx->md);
    grpc_call_details_init(&ctx->details);
    a0ipc_rpc_msgbuf_init(&ctx->borrowed);
    atomic_init(&ctx->refs, 2);
    atomic_init(&ctx->stop, false);
    ctx->close_tag.done = ctx_close_done;
    ctx->final_tag.done = ctx_final_done;
    ctx->op_tag.done = ctx_op_done;
    ctx->work.run = ctx_run_work;
    ctx->final_details = grpc_empty_slice();
    pthread_mutex_init(&ctx->mu, NULL);
    pthread_cond_init(&ctx->cv, NULL);
    return ctx;
}

bool a0ipc_rpc_ctx_try_ref(a0ipc_rpc_ctx *ctx)
{
    /* A ctx whose count already reached 0 is being destroyed: it stays in the live list (and in
     * memory) until ctx_destroy unlinks it under s->mu, but must not be revived. */
    int refs = atomic_load(&ctx->refs);
    while (refs > 0 && !atomic_compare_exchange_weak(&ctx->refs, &refs, refs + 1))
        ;
    return refs > 0;
}

static const char *ctx_path(a0ipc_rpc_ctx *ctx, char *buf, size_t cap)
{
    if (ctx->reg->method)
        return ctx->reg->method->path;
    size_t n = GRPC_SLICE_LENGTH(ctx->details.method);
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1),
             (const char *)GRPC_SLICE_START_PTR(ctx->details.method));
    return buf;
}

/* The audit record of a finished call: who (identity, and what the transport proved), what
 * (method), the outcome, how long and how much. Client-chosen text is escaped. */
static void ctx_audit(a0ipc_rpc_ctx *ctx)
{
    char raw[256], method[512], creds[200] = "", message[768] = "";
    const char *path = ctx_path(ctx, raw, sizeof raw);
    a0ipc_log_escape(method, sizeof method, path, strlen(path), false);
    const a0ipc_rpc_peer *p = &ctx->peer;
    if (p->cert_cn) {
        char cn[sizeof ctx->cert_cn * 4];
        snprintf(creds, sizeof creds, " cn=%s",
                 a0ipc_log_escape(cn, sizeof cn, p->cert_cn, strlen(p->cert_cn), false));
    } else if (p->has_cred) {
        snprintf(creds, sizeof creds, " uid=%u gid=%u pid=%d", (unsigned)p->uid, (unsigned)p->gid,
                 (int)p->pid);
    }
    if (ctx->status.message) {
        char text[600];
        snprintf(message, sizeof message, " message=\"%s\"",
                 a0ipc_log_escape(text, sizeof text, ctx->status.message,
                                  strlen(ctx->status.message), true));
    }
    double ms = (double)(a0ipc_mono_ns() - ctx->start_ns) / 1e6;
    static const char *const transports[] = {"plaintext", "tls", "unix"};
    a0ipc_log_audit("call method=%s status=%s duration_ms=%.3f identity=%s transport=%s peer=%s%s "
                    "bytes_in=%llu bytes_out=%llu%s",
                    method, a0ipc_code_name(ctx->status.code), ms, ctx->auth.identity,
                    transports[p->transport], p->address ? p->address : "?", creds,
                    (unsigned long long)ctx->bytes_in, (unsigned long long)ctx->bytes_out, message);
}

static void ctx_destroy(a0ipc_rpc_ctx *ctx)
{
    a0ipc_rpc_server *s = ctx->srv;
    a0ipc_heap_call_done(ctx->bytes_in + ctx->bytes_out); /* large ones: give memory back */
    if (s->opts.on_call_done) {
        a0ipc_rpc_call_record rec = {ctx->reg->method, ctx->status.code,
                                     a0ipc_mono_ns() - ctx->start_ns, ctx->bytes_in,
                                     ctx->bytes_out};
        s->opts.on_call_done(s->opts.on_call_done_arg, &rec);
    }
    if (s->opts.log_calls)
        ctx_audit(ctx);
    pthread_mutex_lock(&s->mu);
    if (ctx->prev)
        ctx->prev->next = ctx->next;
    else
        s->live = ctx->next;
    if (ctx->next)
        ctx->next->prev = ctx->prev;
    s->n_live--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);

    grpc_call_unref(ctx->call);
    gpr_free(ctx->core_peer);
    grpc_metadata_array_destroy(&ctx->md);
    grpc_call_details_destroy(&ctx->details);
    if (ctx->payload)
        grpc_byte_buffer_destroy(ctx->payload);
    if (ctx->final_message)
        grpc_byte_buffer_destroy(ctx->final_message);
    if (ctx->last_message)
        grpc_byte_buffer_destroy(ctx->last_message);
    grpc_slice_unref(ctx->final_details);
    a0ipc_rpc_msgbuf_free(&ctx->borrowed);
    if (ctx->has_data_slice)
        grpc_slice_unref(ctx->data_slice);
    for (arena_block *b = ctx->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a0ipc_status_clear(&ctx->status);
    pthread_cond_destroy(&ctx->cv);
    pthread_mutex_destroy(&ctx->mu);
    free(ctx);
}

void a0ipc_rpc_ctx_unref(a0ipc_rpc_ctx *ctx)
{
    if (atomic_fetch_sub(&ctx->refs, 1) == 1)
        ctx_destroy(ctx);
}

/* ---- stopping ---- */

void a0ipc_rpc_ctx_fire_stop(a0ipc_rpc_ctx *ctx)
{
    atomic_store(&ctx->stop, true);
    pthread_mutex_lock(&ctx->mu);
    if (ctx->stop_fired) {
        pthread_mutex_unlock(&ctx->mu);
        return;
    }
    ctx->stop_fired = true;
    void (*fn)(void *) = ctx->on_stop;
    void *arg = ctx->on_stop_arg;
    if (fn) {
        ctx->in_stop_cb = true;
        pthread_mutex_unlock(&ctx->mu);
        fn(arg);
        pthread_mutex_lock(&ctx->mu);
        ctx->in_stop_cb = false;
        pthread_cond_broadcast(&ctx->cv);
    }
    pthread_mutex_unlock(&ctx->mu);
}

void a0ipc_rpc_ctx_on_stop(a0ipc_rpc_ctx *ctx, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&ctx->mu);
    while (ctx->in_stop_cb)
        pthread_cond_wait(&ctx->cv, &ctx->mu);
    ctx->on_stop = fn;
    ctx->on_stop_arg = arg;
    bool run_now = fn && ctx->stop_fired;
    pthread_mutex_unlock(&ctx->mu);
    if (run_now)
        fn(arg);
}

bool a0ipc_rpc_ctx_should_stop(a0ipc_rpc_ctx *ctx)
{
    return atomic_load(&ctx->stop) || a0ipc_rpc_ctx_deadline_left_ms(ctx) <= 0;
}

bool a0ipc_rpc_ctx_server_stopping(a0ipc_rpc_ctx *ctx)
{
    pthread_mutex_lock(&ctx->srv->mu);
    bool stopping = ctx->srv->stopping;
    pthread_mutex_unlock(&ctx->srv->mu);
    return stopping;
}

a0ipc_code a0ipc_rpc_fail_stopped(a0ipc_rpc_ctx *ctx)
{
    if (a0ipc_rpc_ctx_server_stopping(ctx))
        return a0ipc_rpc_fail(ctx, A0IPC_UNAVAILABLE, "a0ipcd is shutting down");
    if (a0ipc_rpc_ctx_deadline_left_ms(ctx) <= 0)
        return a0ipc_rpc_fail(ctx, A0IPC_DEADLINE_EXCEEDED, "the call's deadline passed");
    return a0ipc_rpc_fail(ctx, A0IPC_CANCELLED, "the client cancelled the call");
}

static void ctx_close_done(cq_tag *t, bool ok)
{
    a0ipc_rpc_ctx *ctx = (a0ipc_rpc_ctx *)((char *)t - offsetof(a0ipc_rpc_ctx, close_tag));
    if (!ok || ctx->cancelled)
        a0ipc_rpc_ctx_fire_stop(ctx);
    a0ipc_rpc_ctx_unref(ctx);
}

/* ---- accessors ---- */

void *a0ipc_rpc_ctx_data(a0ipc_rpc_ctx *ctx)
{
    return ctx->reg->data;
}

const a0ipc_rpc_method *a0ipc_rpc_ctx_method(a0ipc_rpc_ctx *ctx)
{
    return ctx->reg->method;
}

const char *a0ipc_rpc_ctx_peer(a0ipc_rpc_ctx *ctx)
{
    return ctx->peer.address ? ctx->peer.address : "?";
}

const a0ipc_rpc_peer *a0ipc_rpc_ctx_peer_info(a0ipc_rpc_ctx *ctx)
{
    return &ctx->peer;
}

const char *a0ipc_rpc_ctx_identity(a0ipc_rpc_ctx *ctx)
{
    return ctx->auth.identity;
}

bool a0ipc_rpc_ctx_allows_write(a0ipc_rpc_ctx *ctx)
{
    return ctx->auth.allows_write;
}

size_t a0ipc_rpc_ctx_max_send(a0ipc_rpc_ctx *ctx)
{
    int max = ctx->srv->opts.max_send_message_bytes;
    return max > 0 ? (size_t)max : SIZE_MAX;
}

size_t a0ipc_rpc_ctx_payload_max(a0ipc_rpc_ctx *ctx, size_t overhead)
{
    size_t max = a0ipc_rpc_ctx_max_send(ctx);
    return max > overhead + 256 ? max - overhead : 256;
}

bool a0ipc_rpc_ctx_all_sessions(a0ipc_rpc_ctx *ctx)
{
    return ctx->auth.all_sessions;
}

const char *a0ipc_rpc_ctx_metadata(a0ipc_rpc_ctx *ctx, const char *key, size_t *len)
{
    for (size_t i = 0; i < ctx->md.count; i++) {
        if (grpc_slice_str_cmp(ctx->md.metadata[i].key, key) == 0) {
            if (len)
                *len = GRPC_SLICE_LENGTH(ctx->md.metadata[i].value);
            return (const char *)GRPC_SLICE_START_PTR(ctx->md.metadata[i].value);
        }
    }
    return NULL;
}

int64_t a0ipc_rpc_ctx_deadline_left_ms(a0ipc_rpc_ctx *ctx)
{
    if (gpr_time_cmp(ctx->deadline, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0)
        return INT64_MAX;
    gpr_timespec left = gpr_time_sub(ctx->deadline, gpr_now(GPR_CLOCK_MONOTONIC));
    return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

void *a0ipc_rpc_ctx_alloc(a0ipc_rpc_ctx *ctx, size_t size)
{
    size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    arena_block *b = ctx->arena;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 4096 ? size : 4096;
        b = xmalloc(sizeof *b + cap);
        b->cap = cap;
        b->used = 0;
        b->next = ctx->arena;
        ctx->arena = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *a0ipc_rpc_ctx_strdup(a0ipc_rpc_ctx *ctx, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(a0ipc_rpc_ctx_alloc(ctx, n), s, n);
}

a0ipc_code a0ipc_rpc_fail(a0ipc_rpc_ctx *ctx, a0ipc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    a0ipc_status_setv(&ctx->status, code, fmt, ap);
    va_end(ap);
    return code;
}

a0ipc_code a0ipc_rpc_fail_status(a0ipc_rpc_ctx *ctx, a0ipc_status *st)
{
    a0ipc_status_move(&ctx->status, st);
    return ctx->status.code;
}

/* ---- messages ---- */

/* Encodes a response; every response of every method goes through here. Its strings are sent
 * as valid UTF-8 (utf8_fix.h); the message is left as the handler made it. */
static grpc_byte_buffer *pack(const ProtobufCMessage *msg, size_t *len)
{
    /* The handler's message, changed for the time of the encoding and put back. */
    a0ipc_rpc_utf8_fixes *fx = a0ipc_rpc_utf8_fix((ProtobufCMessage *)msg);
    *len = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(*len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    a0ipc_rpc_utf8_undo(fx);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

/* The server's decode step, which every request message of every method goes through
 * (wire_check.h); ctx->bad_request says why when it refuses. */
static ProtobufCMessage *decode_request(a0ipc_rpc_ctx *ctx, const ProtobufCMessageDescriptor *d,
                                        const uint8_t *data, size_t len, ProtobufCAllocator *alloc)
{
    return a0ipc_rpc_decode_request(d, data, len, alloc, ctx->bad_request, sizeof ctx->bad_request);
}

/* Decodes a received request with the default allocator; *len is its encoded size. */
static ProtobufCMessage *unpack_request(a0ipc_rpc_ctx *ctx, const ProtobufCMessageDescriptor *d,
                                        grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb)) {
        snprintf(ctx->bad_request, sizeof ctx->bad_request, "the request is not a valid %s",
                 d->name);
        return NULL;
    }
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *len = GRPC_SLICE_LENGTH(all);
    ProtobufCMessage *m = decode_request(ctx, d, GRPC_SLICE_START_PTR(all), *len, NULL);
    grpc_slice_unref(all);
    return m;
}

/* Starts ops and waits for them on the handler's thread. Returns the batch's success. */
static bool run_blocking(a0ipc_rpc_ctx *ctx, const grpc_op *ops, size_t n)
{
    pthread_mutex_lock(&ctx->mu);
    ctx->op_done = false;
    pthread_mutex_unlock(&ctx->mu);
    grpc_call_error err = grpc_call_start_batch(ctx->call, ops, n, &ctx->op_tag, NULL);
    if (err != GRPC_CALL_OK) {
        A0IPC_LOGW("start_batch failed: %s", grpc_call_error_to_string(err));
        return false;
    }
    pthread_mutex_lock(&ctx->mu);
    while (!ctx->op_done)
        pthread_cond_wait(&ctx->cv, &ctx->mu);
    bool ok = ctx->op_ok;
    pthread_mutex_unlock(&ctx->mu);
    return ok;
}

static void ctx_op_done(cq_tag *t, bool ok)
{
    a0ipc_rpc_ctx *ctx = (a0ipc_rpc_ctx *)((char *)t - offsetof(a0ipc_rpc_ctx, op_tag));
    pthread_mutex_lock(&ctx->mu);
    ctx->op_done = true;
    ctx->op_ok = ok;
    pthread_cond_broadcast(&ctx->cv);
    pthread_mutex_unlock(&ctx->mu);
}

/* Sends bb (len bytes) as the next message and waits until the transport took it. bb stays
 * the caller's. */
static a0ipc_code send_buffer(a0ipc_rpc_ctx *ctx, grpc_byte_buffer *bb, size_t len)
{
    /* No early refusal when the call should stop: a handler winding down at shutdown may still
     * send its last messages. A call that is really gone fails the batch below. */
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!ctx->sent_initial_metadata) {
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        ctx->sent_initial_metadata = true;
    }
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
    if (!run_blocking(ctx, ops, n))
        return a0ipc_rpc_fail_stopped(ctx);
    ctx->bytes_out += len;
    return A0IPC_OK;
}

a0ipc_code a0ipc_rpc_send(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg)
{
    size_t len;
    grpc_byte_buffer *bb = pack(msg, &len);
    a0ipc_code code = send_buffer(ctx, bb, len);
    grpc_byte_buffer_destroy(bb);
    return code;
}

/* Room before the data for its field's tag and length (two varints of at most 5 and 10). */
#define DATA_HEADROOM 16

uint8_t *a0ipc_rpc_data_buffer(a0ipc_rpc_ctx *ctx, size_t cap)
{
    if (ctx->has_data_slice && cap <= ctx->data_cap)
        return GRPC_SLICE_START_PTR(ctx->data_slice) + DATA_HEADROOM;
    if (ctx->has_data_slice)
        grpc_slice_unref(ctx->data_slice);
    /* A new slice per message: the core may still hold the previous one (it is freed when the
     * core lets go of it), so a buffer is never written while the transport reads it. */
    ctx->data_slice = grpc_slice_malloc(DATA_HEADROOM + cap);
    ctx->data_cap = cap;
    ctx->has_data_slice = true;
    return GRPC_SLICE_START_PTR(ctx->data_slice) + DATA_HEADROOM;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

a0ipc_code a0ipc_rpc_send_data(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg, uint32_t field,
                               size_t len)
{
    if (len && (!ctx->has_data_slice || len > ctx->data_cap))
        return a0ipc_rpc_fail(ctx, A0IPC_INTERNAL, "send_data: %zu bytes without a buffer", len);
    size_t rest_len;
    grpc_byte_buffer *rest = pack(msg, &rest_len);
    if (!len) {
        a0ipc_code code = send_buffer(ctx, rest, rest_len);
        grpc_byte_buffer_destroy(rest);
        return code;
    }
    /* The field goes on the wire as tag, length, bytes; written into the headroom so that the
     * three are one slice. Protobuf readers accept fields in any order, so the rest of the
     * message follows it. */
    uint8_t head[DATA_HEADROOM];
    size_t k = put_varint(head, ((uint64_t)field << 3) | 2);
    k += put_varint(head + k, len);
    uint8_t *data = GRPC_SLICE_START_PTR(ctx->data_slice) + DATA_HEADROOM;
    memcpy(data - k, head, k);
    grpc_slice parts[2];
    parts[0] = grpc_slice_sub(ctx->data_slice, DATA_HEADROOM - k, DATA_HEADROOM + len);
    parts[1] = rest->data.raw.slice_buffer.slices[0];
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(parts, 2);
    grpc_slice_unref(parts[0]);
    grpc_byte_buffer_destroy(rest);
    grpc_slice_unref(ctx->data_slice); /* the byte buffer holds it now */
    ctx->has_data_slice = false;
    a0ipc_code code = send_buffer(ctx, bb, k + len + rest_len);
    grpc_byte_buffer_destroy(bb);
    return code;
}

a0ipc_code a0ipc_rpc_send_last(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg)
{
    if (ctx->last_message)
        grpc_byte_buffer_destroy(ctx->last_message);
    ctx->last_message = pack(msg, &ctx->last_len);
    return A0IPC_OK;
}

/* The next request message's bytes into ctx->recv_buf: 1, 0 at the end, -1 (see server.h). */
static int recv_buffer(a0ipc_rpc_ctx *ctx)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &ctx->recv_buf;
    ctx->recv_buf = NULL;
    if (!run_blocking(ctx, &op, 1))
        return -1;
    if (!ctx->recv_buf) {
        /* The core answers an empty receive both when the client half-closed and when the call
         * was cancelled or ran past its deadline. Telling them apart matters: a half-closed
         * upload is complete, a cancelled one must not be published. A batch on a call that is
         * gone fails at once, so send the initial metadata now (harmless if the call is alive:
         * it is sent before any response anyway) and believe its answer. */
        if (!ctx->sent_initial_metadata) {
            grpc_op md;
            memset(&md, 0, sizeof md);
            md.op = GRPC_OP_SEND_INITIAL_METADATA;
            ctx->sent_initial_metadata = true;
            if (!run_blocking(ctx, &md, 1))
                return -1;
        }
        if (atomic_load(&ctx->stop) && !a0ipc_rpc_ctx_server_stopping(ctx))
            return -1; /* cancelled or expired, as seen by RECV_CLOSE_ON_SERVER */
        return 0;      /* the client half-closed */
    }
    return 1;
}

/* Counts a decoded message in, or marks the parse failure; frees the bytes either way. */
static int recv_done(a0ipc_rpc_ctx *ctx, bool parsed, size_t len)
{
    grpc_byte_buffer_destroy(ctx->recv_buf);
    ctx->recv_buf = NULL;
    if (!parsed) {
        ctx->recv_parse_error = true;
        return -1;
    }
    ctx->bytes_in += len;
    return 1;
}

int a0ipc_rpc_recv(a0ipc_rpc_ctx *ctx, ProtobufCMessage **out)
{
    *out = NULL;
    int rc = recv_buffer(ctx);
    if (rc != 1)
        return rc;
    size_t len = 0;
    *out = unpack_request(ctx, ctx->reg->method->request, ctx->recv_buf, &len);
    return recv_done(ctx, *out != NULL, len);
}

int a0ipc_rpc_recv_borrowed(a0ipc_rpc_ctx *ctx, const ProtobufCMessage **out)
{
    *out = NULL;
    int rc = recv_buffer(ctx);
    if (rc != 1)
        return rc;
    size_t len = 0;
    const uint8_t *data = NULL;
    if (a0ipc_rpc_msgbuf_bytes(&ctx->borrowed, ctx->recv_buf, &data, &len))
        *out = decode_request(ctx, ctx->reg->method->request, data, len, &ctx->borrowed.alloc);
    else
        snprintf(ctx->bad_request, sizeof ctx->bad_request, "the request is not a valid %s",
                 ctx->reg->method->request->name);
    return recv_done(ctx, *out != NULL, len);
}

a0ipc_code a0ipc_rpc_ctx_recv_error(a0ipc_rpc_ctx *ctx)
{
    if (ctx->recv_parse_error)
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "%s", ctx->bad_request);
    return a0ipc_rpc_fail_stopped(ctx);
}

/* ---- finishing ---- */

static void ctx_final_done(cq_tag *t, bool ok)
{
    a0ipc_rpc_ctx *ctx = (a0ipc_rpc_ctx *)((char *)t - offsetof(a0ipc_rpc_ctx, final_tag));
    (void)ok; /* a call the client already left cannot be told anything more */
    a0ipc_rpc_ctx_unref(ctx);
}

/* The cast below converts between a0ipc_code and grpc_status_code: checked value by value. */
A0IPC_CODE_MIRRORS_GRPC;

/* Sends resp (may be NULL) and the status in ctx->status; never blocks. Releases the handler
 * path's reference when the batch completes. */
static void ctx_finish(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *resp)
{
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&ctx->mu);
    if (ctx->revoked) /* its credential was revoked while it ran: that is how it ends */
        a0ipc_status_set(&ctx->status, ctx->revoke_code, "%s", ctx->revoke_message);
    pthread_mutex_unlock(&ctx->mu);
    if (!ctx->sent_initial_metadata) {
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        ctx->sent_initial_metadata = true;
    }
    if (ctx->last_message && ctx->status.code == A0IPC_OK) {
        ctx->final_message = ctx->last_message;
        ctx->last_message = NULL;
        ctx->bytes_out += ctx->last_len;
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = ctx->final_message;
    } else if (resp && ctx->status.code == A0IPC_OK) {
        size_t len;
        ctx->final_message = pack(resp, &len);
        ctx->bytes_out += len;
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = ctx->final_message;
    }
    ctx->final_details = ctx->status.message ? grpc_slice_from_copied_string(ctx->status.message)
                                             : grpc_empty_slice();
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)ctx->status.code;
    ops[n++].data.send_status_from_server.status_details = &ctx->final_details;
    grpc_call_error err = grpc_call_start_batch(ctx->call, ops, n, &ctx->final_tag, NULL);
    if (err != GRPC_CALL_OK) {
        A0IPC_LOGW("sending a status failed: %s", grpc_call_error_to_string(err));
        a0ipc_rpc_ctx_unref(ctx);
    }
}

static void finish_with(a0ipc_rpc_ctx *ctx, a0ipc_code code, const char *msg)
{
    a0ipc_status_set(&ctx->status, code, "%s", msg);
    ctx_finish(ctx, NULL);
}

/* Decodes the request, calls the handler, sends what it made. Runs on a worker, or on the CQ
 * thread for inline unary handlers. */
static void ctx_run_handler(a0ipc_rpc_ctx *ctx)
{
    const a0ipc_rpc_method *m = ctx->reg->method;
    bool has_req = m->kind == A0IPC_RPC_UNARY || m->kind == A0IPC_RPC_SERVER_STREAMING;
    bool has_resp = m->kind == A0IPC_RPC_UNARY || m->kind == A0IPC_RPC_CLIENT_STREAMING;
    ProtobufCMessage *req = NULL;
    if (has_req) {
        size_t len = 0;
        if (!ctx->payload) {
            finish_with(ctx, A0IPC_INVALID_ARGUMENT, "the call carried no request message");
            return;
        }
        req = unpack_request(ctx, m->request, ctx->payload, &len);
        ctx->bytes_in += len;
        grpc_byte_buffer_destroy(ctx->payload);
        ctx->payload = NULL;
        if (!req) {
            a0ipc_status_set(&ctx->status, A0IPC_INVALID_ARGUMENT, "%s", ctx->bad_request);
            ctx_finish(ctx, NULL);
            return;
        }
    }
    ProtobufCMessage *resp = NULL;
    if (has_resp) {
        resp = xmalloc(m->response->sizeof_message);
        m->response->message_init(resp);
    }
    a0ipc_code code = m->invoke(ctx->reg->handler, ctx, req, resp);
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL); /* no callback may outlive the handler's frame */
    if (code == A0IPC_OK)
        a0ipc_status_clear(&ctx->status); /* an earlier a0ipc_rpc_fail was recovered from */
    else if (code != ctx->status.code || !ctx->status.message)
        a0ipc_status_set(&ctx->status, code, "%s",
                         ctx->status.message ? ctx->status.message : a0ipc_code_name(code));
    ctx_finish(ctx, resp);
    if (req)
        protobuf_c_message_free_unpacked(req, NULL);
    free(resp); /* its fields live in the ctx arena or are static */
}

static void ctx_run_work(a0ipc_work *w)
{
    ctx_run_handler((a0ipc_rpc_ctx *)((char *)w - offsetof(a0ipc_rpc_ctx, work)));
}

/* The value of the first auth property `name`, or NULL. */
static const grpc_auth_property *auth_property(grpc_auth_context *ac, const char *name)
{
    grpc_auth_property_iterator it = grpc_auth_context_find_properties_by_name(ac, name);
    return grpc_auth_property_iterator_next(&it);
}

static bool prop_is(const grpc_auth_property *p, const char *value)
{
    return p->value_length == strlen(value) && !memcmp(p->value, value, p->value_length);
}

/* What the transport proved about the peer, and the identity that follows from it. The TLS
 * credentials of a0ipcd report "tls", the older SSL credentials "ssl". */
static void ctx_identify(a0ipc_rpc_ctx *ctx)
{
    a0ipc_rpc_peer *p = &ctx->peer;
    ctx->core_peer = grpc_call_get_peer(ctx->call);
    p->address = ctx->core_peer;
    p->transport = A0IPC_RPC_TRANSPORT_PLAINTEXT;
    if (!a0ipc_rpc_unix_peer(ctx->srv, ctx->core_peer, p)) {
        if (ctx->core_peer && !strncmp(ctx->core_peer, "unix:", 5))
            p->transport = A0IPC_RPC_TRANSPORT_UNIX; /* the core's own listener: no creds */
        grpc_auth_context *ac = grpc_call_auth_context(ctx->call);
        const grpc_auth_property *type =
            ac ? auth_property(ac, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME) : NULL;
        if (type && (prop_is(type, GRPC_SSL_TRANSPORT_SECURITY_TYPE) ||
                     prop_is(type, GRPC_TLS_TRANSPORT_SECURITY_TYPE))) {
            p->transport = A0IPC_RPC_TRANSPORT_TLS;
            /* Present only when the client sent a certificate and the server verified it. */
            const grpc_auth_property *cn = auth_property(ac, GRPC_X509_CN_PROPERTY_NAME);
            if (cn) {
                size_t n = cn->value_length < sizeof ctx->cert_cn - 1 ? cn->value_length
                                                                      : sizeof ctx->cert_cn - 1;
                memcpy(ctx->cert_cn, cn->value, n);
                ctx->cert_cn[n] = '\0';
                p->cert_cn = ctx->cert_cn;
            }
        }
        grpc_auth_context_release(ac);
    }
    a0ipc_rpc_auth_result *a = &ctx->auth;
    a->code = A0IPC_OK;
    a->allows_write = true;
    if (p->cert_cn) {
        char cn[sizeof a->identity - 3];
        snprintf(a->identity, sizeof a->identity, "cn:%s",
                 a0ipc_log_escape(cn, sizeof cn, p->cert_cn, strlen(p->cert_cn), false));
    } else if (p->has_cred) {
        snprintf(a->identity, sizeof a->identity, "uid:%u", (unsigned)p->uid);
        a->all_sessions = p->uid == 0; /* root on the host sees every session */
    } else {
        snprintf(a->identity, sizeof a->identity, "anonymous");
    }
}

/* Asks the server's authorizer about this call. Returns false when the call must not run (the
 * status is then in ctx->auth). */
/* What the authorize hook is asked about this call (path points into path_buf). */
static a0ipc_rpc_auth_request auth_request(a0ipc_rpc_ctx *ctx, char *path_buf, size_t cap)
{
    a0ipc_rpc_auth_request req = {
        .path = ctx_path(ctx, path_buf, cap),
        .method = ctx->reg->method,
        .peer = &ctx->peer,
    };
    for (size_t i = 0; i < ctx->md.count; i++) {
        if (grpc_slice_str_cmp(ctx->md.metadata[i].key, "authorization") != 0)
            continue;
        if (req.n_authorization++ == 0) {
            req.authorization = (const char *)GRPC_SLICE_START_PTR(ctx->md.metadata[i].value);
            req.authorization_len = GRPC_SLICE_LENGTH(ctx->md.metadata[i].value);
        }
    }
    return req;
}

/* The cast below converts between a0ipc_code and grpc_status_code: checked value by value. */
A0IPC_CODE_MIRRORS_GRPC;

void a0ipc_rpc_ctx_reauthorize(a0ipc_rpc_ctx *ctx)
{
    a0ipc_rpc_server *s = ctx->srv;
    if (!ctx->authorized || !s->opts.authorize)
        return;
    char path[256];
    a0ipc_rpc_auth_request req = auth_request(ctx, path, sizeof path);
    a0ipc_rpc_auth_result r = ctx->auth; /* as the transport proved it, then the hook's say */
    r.code = A0IPC_OK;
    r.message[0] = '\0';
    s->opts.authorize(s->opts.authorize_arg, &req, &r);
    if (r.code == A0IPC_OK)
        return;
    r.message[sizeof r.message - 1] = '\0';
    pthread_mutex_lock(&ctx->mu);
    if (!ctx->revoked) {
        ctx->revoked = true;
        ctx->revoke_code = r.code;
        snprintf(ctx->revoke_message, sizeof ctx->revoke_message, "%s",
                 r.message[0] ? r.message : a0ipc_code_name(r.code));
    }
    char msg[sizeof ctx->revoke_message];
    snprintf(msg, sizeof msg, "%s", ctx->revoke_message);
    a0ipc_code code = ctx->revoke_code;
    pthread_mutex_unlock(&ctx->mu);
    /* The client hears it now, even from a handler blocked in a receive; the handler is woken
     * and its own ending then goes nowhere. */
    grpc_call_cancel_with_status(ctx->call, (grpc_status_code)code, msg, NULL);
    a0ipc_rpc_ctx_fire_stop(ctx);
}

static bool ctx_authorize(a0ipc_rpc_ctx *ctx)
{
    a0ipc_rpc_server *s = ctx->srv;
    if (!s->opts.authorize)
        return ctx->authorized = true;
    char path[256];
    a0ipc_rpc_auth_request req = auth_request(ctx, path, sizeof path);
    s->opts.authorize(s->opts.authorize_arg, &req, &ctx->auth);
    ctx->auth.message[sizeof ctx->auth.message - 1] = '\0';
    ctx->auth.identity[sizeof ctx->auth.identity - 1] = '\0';
    if (ctx->auth.code == A0IPC_OK)
        return ctx->authorized = true;
    if (!ctx->auth.message[0])
        snprintf(ctx->auth.message, sizeof ctx->auth.message, "%s",
                 a0ipc_code_name(ctx->auth.code));
    return false;
}

void a0ipc_rpc_ctx_begin(a0ipc_rpc_ctx *ctx)
{
    a0ipc_rpc_server *s = ctx->srv;
    ctx->start_ns = a0ipc_mono_ns();
    ctx->deadline = gpr_convert_clock_type(ctx->deadline, GPR_CLOCK_MONOTONIC);

    pthread_mutex_lock(&s->mu);
    ctx->next = s->live;
    if (s->live)
        s->live->prev = ctx;
    s->live = ctx;
    s->n_live++;
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);

    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &ctx->cancelled;
    if (grpc_call_start_batch(ctx->call, &close_op, 1, &ctx->close_tag, NULL) != GRPC_CALL_OK)
        a0ipc_rpc_ctx_unref(ctx); /* cannot happen on a fresh call; keep the count right */

    ctx_identify(ctx);
    const registered_method *reg = ctx->reg;
    if (stopping) {
        finish_with(ctx, A0IPC_UNAVAILABLE, "a0ipcd is shutting down");
    } else if (!ctx_authorize(ctx)) {
        finish_with(ctx, ctx->auth.code, ctx->auth.message);
    } else if (!reg->method || !reg->handler) {
        char path[256], msg[320];
        snprintf(msg, sizeof msg, "method %s is not implemented by a0ipcd",
                 ctx_path(ctx, path, sizeof path));
        finish_with(ctx, A0IPC_UNIMPLEMENTED, msg);
    } else if (reg->run_inline && reg->method->kind == A0IPC_RPC_UNARY) {
        ctx_run_handler(ctx);
    } else if (!a0ipc_worker_pool_submit(s->pool, &ctx->work)) {
        char msg[160];
        snprintf(msg, sizeof msg, "a0ipcd is at its limit of %d concurrent calls; retry later",
                 s->opts.max_workers);
        finish_with(ctx, A0IPC_RESOURCE_EXHAUSTED, msg);
    }
}
