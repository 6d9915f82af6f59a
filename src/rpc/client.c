/* The client half of the rpc layer. Every call gets its own pluck completion queue and waits on
 * it, so a blocking API needs no threads of its own and calls never wait on each other. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/client.h"
#include "rpc/credentials_internal.h"
#include "rpc/msgbuf.h"
#include "rpc/status_mirror.h"

typedef struct method_handle {
    const a0ipc_rpc_method *method;
    void *handle;
    struct method_handle *next;
} method_handle;

struct a0ipc_rpc_channel {
    grpc_channel *ch;
    char *target;
    pthread_mutex_t mu;
    method_handle *handles; /* registered-call handles, one per method used */
};

struct a0ipc_rpc_stream {
    const a0ipc_rpc_method *m;
    grpc_call *call;
    grpc_completion_queue *cq;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
    bool got_initial_md, finished, at_end, parse_error;
    a0ipc_rpc_msgbuf borrowed;           /* where recv_split decodes */
    char tag_send, tag_recv, tag_status; /* distinct addresses used as tags */
};

void a0ipc_rpc_channel_options_init(a0ipc_rpc_channel_options *o)
{
    memset(o, 0, sizeof *o);
    o->enable_retries = true;
    o->max_receive_message_bytes = 16 * 1024 * 1024;
}

a0ipc_rpc_channel *a0ipc_rpc_channel_new(const char *target, const a0ipc_rpc_channel_options *o,
                                         a0ipc_status *st)
{
    a0ipc_rpc_channel_options defaults;
    if (!o) {
        a0ipc_rpc_channel_options_init(&defaults);
        o = &defaults;
    }
    if (!target || !*target) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "empty target");
        return NULL;
    }
    /* Each channel holds a reference on the core (grpc_init counts), released by
     * a0ipc_rpc_channel_free: a program that only uses liba0ipc never sees a grpc_* call, so the
     * library must start the core itself. The daemon and CLI also call a0ipc_rpc_init; that nests.
     */
    grpc_init();
    grpc_channel_credentials *creds = a0ipc_rpc_channel_credentials(o->security, st);
    if (!creds) {
        grpc_shutdown();
        return NULL;
    }

    grpc_arg args[9];
    size_t n = 0;
    memset(args, 0, sizeof args);
#define INT_ARG(k, v)                                                                              \
    do {                                                                                           \
        args[n].type = GRPC_ARG_INTEGER;                                                           \
        args[n].key = (char *)(k);                                                                 \
        args[n++].value.integer = (v);                                                             \
    } while (0)
#define STR_ARG(k, v)                                                                              \
    do {                                                                                           \
        args[n].type = GRPC_ARG_STRING;                                                            \
        args[n].key = (char *)(k);                                                                 \
        args[n++].value.string = (char *)(v);                                                      \
    } while (0)
    INT_ARG(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, o->max_receive_message_bytes);
    INT_ARG(GRPC_ARG_ENABLE_RETRIES, o->enable_retries ? 1 : 0);
    if (o->service_config_json)
        STR_ARG(GRPC_ARG_SERVICE_CONFIG, o->service_config_json);
    if (o->initial_reconnect_backoff_ms > 0) {
        INT_ARG(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, o->initial_reconnect_backoff_ms);
        INT_ARG(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, o->initial_reconnect_backoff_ms);
    }
    if (o->max_reconnect_backoff_ms > 0)
        INT_ARG(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, o->max_reconnect_backoff_ms);
    if (o->keepalive_time_ms > 0)
        INT_ARG(GRPC_ARG_KEEPALIVE_TIME_MS, o->keepalive_time_ms);
    if (o->authority_override)
        STR_ARG(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, o->authority_override);
    if (o->user_agent)
        STR_ARG(GRPC_ARG_PRIMARY_USER_AGENT_STRING, o->user_agent);
#undef INT_ARG
#undef STR_ARG
    grpc_channel_args chargs = {n, args};

    a0ipc_rpc_channel *c = calloc(1, sizeof *c);
    if (c)
        c->target = strdup(target);
    if (!c || !c->target) {
        free(c);
        grpc_channel_credentials_release(creds);
        grpc_shutdown();
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    /* The core reports a bad target or service config by returning a lame channel whose calls
     * fail; they then say why, so there is nothing to check here. */
    c->ch = grpc_channel_create(target, creds, &chargs);
    grpc_channel_credentials_release(creds);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void a0ipc_rpc_channel_free(a0ipc_rpc_channel *c)
{
    if (!c)
        return;
    grpc_channel_destroy(c->ch);
    for (method_handle *h = c->handles, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    pthread_mutex_destroy(&c->mu);
    free(c->target);
    free(c);
    grpc_shutdown();
}

const char *a0ipc_rpc_channel_target(const a0ipc_rpc_channel *c)
{
    return c->target;
}

/* A registered-call handle lets the core skip parsing the method path on every call. */
static void *method_handle_for(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m)
{
    pthread_mutex_lock(&c->mu);
    method_handle *h = c->handles;
    while (h && h->method != m)
        h = h->next;
    if (!h && (h = malloc(sizeof *h)) != NULL) {
        h->method = m;
        h->handle = grpc_channel_register_call(c->ch, m->path, NULL, NULL);
        h->next = c->handles;
        c->handles = h;
    }
    pthread_mutex_unlock(&c->mu);
    return h ? h->handle : NULL;
}

static gpr_timespec deadline_of(const a0ipc_rpc_call_options *o)
{
    if (!o || o->timeout_ms <= 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_millis(o->timeout_ms, GPR_TIMESPAN));
}

static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return m;
}

/* Metadata the caller gave, as the core wants it; md must hold o->n_metadata entries. */
static void fill_metadata(grpc_metadata *md, const a0ipc_rpc_call_options *o)
{
    for (size_t i = 0; o && i < o->n_metadata; i++) {
        memset(&md[i], 0, sizeof md[i]);
        md[i].key = grpc_slice_from_static_string(o->metadata[i].key);
        md[i].value = grpc_slice_from_static_string(o->metadata[i].value);
    }
}

static bool pluck(grpc_completion_queue *cq, void *tag)
{
    grpc_event ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static void drain_and_destroy(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
}

/* The casts below convert between a0ipc_code and grpc_status_code: checked value by value. */
A0IPC_CODE_MIRRORS_GRPC;

/* The status the call ended with, unchanged, into st. */
static a0ipc_code take_status(a0ipc_status *st, grpc_status_code code, grpc_slice details,
                              const char *error_string)
{
    size_t n = GRPC_SLICE_LENGTH(details);
    if (code == GRPC_STATUS_OK)
        a0ipc_status_clear(st);
    else if (n)
        a0ipc_status_set(st, (a0ipc_code)code, "%.*s", (int)n,
                         (const char *)GRPC_SLICE_START_PTR(details));
    else
        a0ipc_status_set(st, (a0ipc_code)code, "%s", error_string ? error_string : "");
    return st->code;
}

static grpc_call *create_call(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m,
                              grpc_completion_queue *cq, const a0ipc_rpc_call_options *o)
{
    void *handle = method_handle_for(c, m);
    if (!handle)
        return NULL;
    return grpc_channel_create_registered_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, handle,
                                               deadline_of(o), NULL);
}

a0ipc_code a0ipc_rpc_unary(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m,
                           const a0ipc_rpc_call_options *o, const ProtobufCMessage *req,
                           ProtobufCMessage **resp, a0ipc_status *st)
{
    *resp = NULL;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_call *call = create_call(c, m, cq, o);
    if (!call) {
        drain_and_destroy(cq);
        return a0ipc_status_set(st, A0IPC_INTERNAL, "could not create a call to %s", m->path);
    }
    size_t n_md = o ? o->n_metadata : 0;
    grpc_metadata md[n_md ? n_md : 1];
    fill_metadata(md, o);
    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_byte_buffer *send = pack(req), *recv = NULL;
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_md;
    ops[0].data.send_initial_metadata.metadata = md;
    if (o && o->wait_for_ready)
        ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY |
                       GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    /* Without RECV_INITIAL_METADATA a Trailers-Only answer (any early error) never completes. */
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &code;
    ops[5].data.recv_status_on_client.status_details = &details;
    ops[5].data.recv_status_on_client.error_string = &error_string;

    char tag;
    grpc_call_error err = grpc_call_start_batch(call, ops, 6, &tag, NULL);
    if (err != GRPC_CALL_OK)
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not start a call to %s: %s", m->path,
                         grpc_call_error_to_string(err));
    else if (!pluck(cq, &tag))
        a0ipc_status_set(st, A0IPC_INTERNAL, "the call to %s failed in the core", m->path);
    else {
        if (o && o->peer_out) {
            char *peer = grpc_call_get_peer(call);
            *o->peer_out = peer ? strdup(peer) : NULL;
            gpr_free(peer);
        }
        if (take_status(st, code, details, error_string) == A0IPC_OK) {
            *resp = recv ? unpack(m->response, recv) : NULL;
            if (!*resp)
                a0ipc_status_set(st, A0IPC_INTERNAL, "the response of %s is not a valid %s",
                                 m->path, m->response->name);
        }
    }
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_byte_buffer_destroy(send);
    grpc_slice_unref(details);
    gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_call_unref(call);
    drain_and_destroy(cq);
    return st->code;
}

/* ---- streams ---- */

static a0ipc_rpc_stream *stream_start(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m,
                                      const a0ipc_rpc_call_options *o,
                                      const ProtobufCMessage *first, a0ipc_status *st)
{
    a0ipc_rpc_stream *s = calloc(1, sizeof *s);
    if (!s) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    s->m = m;
    a0ipc_rpc_msgbuf_init(&s->borrowed);
    s->cq = grpc_completion_queue_create_for_pluck(NULL);
    s->call = create_call(c, m, s->cq, o);
    s->details = grpc_empty_slice();
    grpc_metadata_array_init(&s->initial_md);
    grpc_metadata_array_init(&s->trailing_md);
    if (!s->call) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create a call to %s", m->path);
        s->finished = true;
        a0ipc_rpc_stream_free(s);
        return NULL;
    }

    grpc_op status_op;
    memset(&status_op, 0, sizeof status_op);
    status_op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    status_op.data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    status_op.data.recv_status_on_client.status = &s->status;
    status_op.data.recv_status_on_client.status_details = &s->details;
    status_op.data.recv_status_on_client.error_string = &s->error_string;
    grpc_call_error err = grpc_call_start_batch(s->call, &status_op, 1, &s->tag_status, NULL);
    if (err != GRPC_CALL_OK)
        s->finished = true; /* no status will ever arrive: free must not wait for one */

    size_t n_md = o ? o->n_metadata : 0;
    grpc_metadata md[n_md ? n_md : 1];
    fill_metadata(md, o);
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = n_md;
    ops[n].data.send_initial_metadata.metadata = md;
    if (o && o->wait_for_ready)
        ops[n].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY |
                       GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
    n++;
    grpc_byte_buffer *bb = NULL;
    if (first) {
        bb = pack(first);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = bb;
        ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    }
    if (err == GRPC_CALL_OK)
        err = grpc_call_start_batch(s->call, ops, n, &s->tag_send, NULL);
    if (err != GRPC_CALL_OK) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not start a call to %s: %s", m->path,
                         grpc_call_error_to_string(err));
        a0ipc_rpc_stream_free(s);
        return NULL;
    }
    /* A failed send is not an error yet: the status (read by finish) says what happened. */
    pluck(s->cq, &s->tag_send);
    if (bb)
        grpc_byte_buffer_destroy(bb);
    return s;
}

a0ipc_rpc_stream *a0ipc_rpc_stream_open(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m,
                                        const a0ipc_rpc_call_options *o, a0ipc_status *st)
{
    return stream_start(c, m, o, NULL, st);
}

a0ipc_rpc_stream *a0ipc_rpc_server_stream_open(a0ipc_rpc_channel *c, const a0ipc_rpc_method *m,
                                               const a0ipc_rpc_call_options *o,
                                               const ProtobufCMessage *req, a0ipc_status *st)
{
    return stream_start(c, m, o, req, st);
}

int a0ipc_rpc_stream_send(a0ipc_rpc_stream *s, const ProtobufCMessage *msg)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = pack(msg);
    bool ok = grpc_call_start_batch(s->call, &op, 1, &s->tag_send, NULL) == GRPC_CALL_OK &&
              pluck(s->cq, &s->tag_send);
    grpc_byte_buffer_destroy(op.data.send_message.send_message);
    return ok ? 0 : -1;
}

int a0ipc_rpc_stream_close_send(a0ipc_rpc_stream *s)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    bool ok = grpc_call_start_batch(s->call, &op, 1, &s->tag_send, NULL) == GRPC_CALL_OK &&
              pluck(s->cq, &s->tag_send);
    return ok ? 0 : -1;
}

/* The next message's bytes: 1 with *bb set (the caller destroys it), 0 at the end, -1. */
static int recv_buffer(a0ipc_rpc_stream *s, grpc_byte_buffer **bb)
{
    *bb = NULL;
    if (s->at_end)
        return 0;
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!s->got_initial_md) {
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n++].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
        s->got_initial_md = true;
    }
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = bb;
    if (grpc_call_start_batch(s->call, ops, n, &s->tag_recv, NULL) != GRPC_CALL_OK ||
        !pluck(s->cq, &s->tag_recv)) {
        if (*bb)
            grpc_byte_buffer_destroy(*bb);
        *bb = NULL;
        return -1;
    }
    if (!*bb) {
        s->at_end = true;
        return 0;
    }
    return 1;
}

/* A message that did not parse ends the call: the rest of the stream cannot be trusted. */
static int parse_failed(a0ipc_rpc_stream *s)
{
    s->parse_error = true;
    grpc_call_cancel(s->call, NULL);
    return -1;
}

int a0ipc_rpc_stream_recv(a0ipc_rpc_stream *s, ProtobufCMessage **out)
{
    *out = NULL;
    grpc_byte_buffer *bb;
    int rc = recv_buffer(s, &bb);
    if (rc != 1)
        return rc;
    *out = unpack(s->m->response, bb);
    grpc_byte_buffer_destroy(bb);
    return *out ? 1 : parse_failed(s);
}

int a0ipc_rpc_stream_recv_split(a0ipc_rpc_stream *s, uint32_t field, const ProtobufCMessage **out,
                                const a0ipc_rpc_piece **pieces, size_t *n_pieces)
{
    *out = NULL;
    *pieces = NULL;
    *n_pieces = 0;
    /* The previous message's bytes go back before the next ones are read: held across the
     * read, they made the heap grow (and page-fault in) while the message arrived. */
    a0ipc_rpc_msgbuf_release(&s->borrowed);
    grpc_byte_buffer *bb;
    int rc = recv_buffer(s, &bb);
    if (rc != 1)
        return rc;
    size_t len;
    *out = a0ipc_rpc_msgbuf_unpack_split(&s->borrowed, s->m->response, bb, field, &len);
    if (!*out)
        return parse_failed(s);
    *pieces = s->borrowed.pieces;
    *n_pieces = s->borrowed.n_pieces;
    return 1;
}

a0ipc_code a0ipc_rpc_stream_finish(a0ipc_rpc_stream *s, a0ipc_status *st)
{
    if (!s->finished) {
        if (!s->at_end)
            grpc_call_cancel(s->call, NULL); /* the caller gives up the rest of the stream */
        pluck(s->cq, &s->tag_status);
        s->finished = true;
    }
    if (s->parse_error)
        return a0ipc_status_set(st, A0IPC_INTERNAL, "a response of %s is not a valid %s",
                                s->m->path, s->m->response->name);
    return take_status(st, s->status, s->details, s->error_string);
}

void a0ipc_rpc_stream_cancel(a0ipc_rpc_stream *s)
{
    grpc_call_cancel(s->call, NULL);
}

void a0ipc_rpc_stream_free(a0ipc_rpc_stream *s)
{
    if (!s)
        return;
    if (s->call) {
        if (!s->finished) {
            grpc_call_cancel(s->call, NULL);
            pluck(s->cq, &s->tag_status);
        }
        grpc_call_unref(s->call);
    }
    grpc_slice_unref(s->details);
    gpr_free((void *)s->error_string);
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    a0ipc_rpc_msgbuf_free(&s->borrowed);
    drain_and_destroy(s->cq);
    free(s);
}
