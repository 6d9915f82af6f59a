/* The gRPC transport: the adapter interface over the generated clients of proto/. Health and
 * Files live here; Terminal in grpc_transport_terminal.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "a0/runtime/v1/terminal.a0ipc.h"
#include "a0ipc/grpc_transport.h"
#include "common/target.h"
#include "grpc/health/v1/health.a0ipc.h"
#include "transport/cancel.h"
#include "transport/grpc_transport_internal.h"
#include "transport/proto_mirrors.h"

/* Default deadlines per kind of operation, used when a0ipc_call_options.timeout_ms is 0. */
enum {
    DEADLINE_HEALTH_MS = 5000,
    DEADLINE_FILE_OP_MS = 30000,    /* stat, list, remove, mkdir, move */
    DEADLINE_TRANSFER_MS = 3600000, /* read, write, archive: big files take time */
};

void a0ipc_grpc_options_init(a0ipc_grpc_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_attempts = 5;
    o->initial_backoff_ms = 100;
    o->max_backoff_ms = 2000;
    o->reconnect_backoff_ms = 250;
    o->wait_for_ready = true;
}

/* ---- helpers shared with the terminal part ---- */

void gt_call_options(const grpc_transport *g, const a0ipc_call_options *o, int64_t default_ms,
                     a0ipc_rpc_call_options *out)
{
    gt_session_call_options(g, o, default_ms, NULL, out);
}

/* Whether s may be sent as a plain metadata value (printable ASCII). */
static bool header_value(const char *s)
{
    if (!s || !*s || strlen(s) > 256)
        return false;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

void gt_session_call_options(const grpc_transport *g, const a0ipc_call_options *o,
                             int64_t default_ms, const char *session_id,
                             a0ipc_rpc_call_options *out)
{
    memset(out, 0, sizeof *out);
    int64_t ms = o ? o->timeout_ms : 0;
    out->timeout_ms = ms == 0 ? default_ms : ms < 0 ? 0 : ms;
    out->wait_for_ready = g->opts.wait_for_ready;
    out->metadata = g->n_metadata ? g->metadata : NULL;
    out->n_metadata = g->n_metadata;
    const char *key = o && header_value(o->routing_key) ? o->routing_key
                      : header_value(session_id)        ? session_id
                                                        : NULL;
    if (!key)
        return;
    /* The rpc layer copies the entries (not the strings) when the call starts, in this thread,
     * so one array per thread is enough; the strings live as long as the call. */
    static _Thread_local a0ipc_rpc_metadata md[sizeof g->metadata / sizeof g->metadata[0] + 1];
    size_t n = 0;
    for (; n < g->n_metadata; n++)
        md[n] = g->metadata[n];
    md[n++] = (a0ipc_rpc_metadata){A0IPC_AFFINITY_HEADER, key};
    out->metadata = md;
    out->n_metadata = n;
}

static void cancel_stream(void *arg)
{
    a0ipc_rpc_stream_cancel(arg);
}

bool gt_stream_watch_cancel(const a0ipc_call_options *o, a0ipc_rpc_stream *s)
{
    return a0ipc_cancel_set_hook(o ? o->cancel : NULL, cancel_stream, s);
}

void gt_stream_unwatch_cancel(const a0ipc_call_options *o)
{
    a0ipc_cancel_set_hook(o ? o->cancel : NULL, NULL, NULL);
}

/* Ends a stream: the final status into st unless the caller stopped it (then CANCELLED). */
a0ipc_code gt_stream_end(a0ipc_rpc_stream *s, const a0ipc_call_options *o, bool stopped_by_caller,
                         a0ipc_status *st)
{
    bool raised = o && o->cancel && a0ipc_cancel_raised(o->cancel);
    gt_stream_unwatch_cancel(o);
    a0ipc_code code = a0ipc_rpc_stream_finish(s, st); /* cancels a stream not read to its end */
    if (stopped_by_caller || raised)
        code = a0ipc_status_set(st, A0IPC_CANCELLED, "stopped by the caller");
    a0ipc_rpc_stream_free(s);
    return code;
}

char *gt_strdup(const char *s)
{
    return strdup(s ? s : "");
}

/* ---- health ---- */

a0ipc_code gt_health(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                     a0ipc_serving *out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_HEALTH_MS, &co);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)(service ? service : "");
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    *out = A0IPC_SERVING_UNKNOWN;
    if (grpc_health_v1_health_check_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    *out = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
               ? A0IPC_SERVING
               : A0IPC_NOT_SERVING;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return A0IPC_OK;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_SERVING_MIRRORS_PROTO;

a0ipc_code gt_health_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                           a0ipc_serving_fn on_status, void *arg, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, 0, &co); /* a watch runs until stopped: no default deadline */
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)(service ? service : "");
    a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(g->channel, &co, &req, st);
    if (!s)
        return st->code;
    bool stopped = gt_stream_watch_cancel(o, s);
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    while (!stopped && grpc_health_v1_health_watch_read(s, &resp) == 1) {
        stopped = on_status(arg, (a0ipc_serving)resp->status) != 0;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    return gt_stream_end(s, o, stopped, st);
}

/* ---- files ---- */

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_FILE_TYPE_MIRRORS_PROTO;

static int copy_info(a0ipc_file_info *dst, const A0__Runtime__V1__FileInfo *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return -1;
    dst->name = gt_strdup(src->name);
    dst->path = gt_strdup(src->path);
    dst->symlink_target = gt_strdup(src->symlink_target);
    dst->type = (a0ipc_file_type)src->type;
    dst->size = src->size;
    dst->mode = src->mode;
    dst->mtime_ns = src->mtime_ns;
    if (!dst->name || !dst->path || !dst->symlink_target) {
        a0ipc_file_info_clear(dst);
        return -1;
    }
    return 0;
}

static a0ipc_code oom(a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
}

a0ipc_code gt_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                   bool follow_symlinks, a0ipc_file_info *out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_FILE_OP_MS, &co);
    A0__Runtime__V1__StatRequest req = A0__RUNTIME__V1__STAT_REQUEST__INIT;
    req.path = (char *)path;
    req.follow_symlinks = follow_symlinks;
    A0__Runtime__V1__StatResponse *resp = NULL;
    memset(out, 0, sizeof *out);
    if (a0_runtime_v1_files_stat_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    a0ipc_code code = copy_info(out, resp->info) == 0 ? A0IPC_OK : oom(st);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return code;
}

a0ipc_code gt_list_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                       uint32_t depth, bool include_hidden, a0ipc_file_list **out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_FILE_OP_MS, &co);
    A0__Runtime__V1__ListDirRequest req = A0__RUNTIME__V1__LIST_DIR_REQUEST__INIT;
    req.path = (char *)path;
    req.depth = depth;
    req.include_hidden = include_hidden;
    A0__Runtime__V1__ListDirResponse *resp = NULL;
    *out = NULL;
    if (a0_runtime_v1_files_list_dir_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    a0ipc_file_list *l = calloc(1, sizeof *l);
    if (l)
        l->entries = calloc(resp->n_entries ? resp->n_entries : 1, sizeof *l->entries);
    a0ipc_code code = A0IPC_OK;
    if (!l || !l->entries) {
        code = oom(st);
    } else {
        l->truncated = resp->truncated;
        for (size_t i = 0; i < resp->n_entries && code == A0IPC_OK; i++) {
            if (copy_info(&l->entries[i], resp->entries[i]) != 0)
                code = oom(st);
            else
                l->n_entries++;
        }
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (code != A0IPC_OK) {
        a0ipc_file_list_free(l);
        return code;
    }
    *out = l;
    return A0IPC_OK;
}

/* The server-streams of bytes (Read, Archive) read the same way: their data is field 1. */
#define DATA_FIELD 1

static a0ipc_code read_byte_stream(a0ipc_rpc_stream *s, const a0ipc_call_options *o,
                                   a0ipc_data_fn sink, void *arg, a0ipc_status *st)
{
    if (!s)
        return st->code;
    bool stopped = gt_stream_watch_cancel(o, s);
    /* The data is handed to the sink where it arrived, piece by piece (no copy of it here, no
     * allocation per 1 MiB chunk), before the next message is received. */
    const ProtobufCMessage *m = NULL;
    const a0ipc_rpc_piece *pieces = NULL;
    size_t n = 0;
    while (!stopped && a0ipc_rpc_stream_recv_split(s, DATA_FIELD, &m, &pieces, &n) == 1) {
        for (size_t i = 0; i < n && !stopped; i++)
            if (sink(arg, pieces[i].data, pieces[i].len) != 0)
                stopped = true;
    }
    return gt_stream_end(s, o, stopped, st);
}

a0ipc_code gt_read(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                   uint64_t offset, uint64_t length, a0ipc_data_fn sink, void *arg,
                   a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_TRANSFER_MS, &co);
    A0__Runtime__V1__ReadRequest req = A0__RUNTIME__V1__READ_REQUEST__INIT;
    req.path = (char *)path;
    req.offset = offset;
    req.length = length;
    return read_byte_stream(a0_runtime_v1_files_read_open(g->channel, &co, &req, st), o, sink, arg,
                            st);
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_ARCHIVE_FORMAT_MIRRORS_PROTO;

a0ipc_code gt_archive(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                      a0ipc_archive_format format, bool include_base_name, a0ipc_data_fn sink,
                      void *arg, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_TRANSFER_MS, &co);
    A0__Runtime__V1__ArchiveRequest req = A0__RUNTIME__V1__ARCHIVE_REQUEST__INIT;
    req.path = (char *)path;
    req.format = (A0__Runtime__V1__ArchiveFormat)format;
    req.include_base_name = include_base_name;
    return read_byte_stream(a0_runtime_v1_files_archive_open(g->channel, &co, &req, st), o, sink,
                            arg, st);
}

/* 1 MiB chunks: well under the 4 MiB message limit, large enough to amortise per-message cost. */
#define WRITE_CHUNK (1024 * 1024)

a0ipc_code gt_write(a0ipc_transport *t, const a0ipc_call_options *o, const a0ipc_write_options *w,
                    a0ipc_source_fn source, void *arg, a0ipc_write_result *out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    memset(out, 0, sizeof *out);
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_TRANSFER_MS, &co);
    uint8_t *buf = malloc(WRITE_CHUNK);
    if (!buf)
        return oom(st);
    a0ipc_rpc_stream *s = a0_runtime_v1_files_write_open(g->channel, &co, st);
    if (!s) {
        free(buf);
        return st->code;
    }
    bool stopped = gt_stream_watch_cancel(o, s);

    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = (char *)w->path;
    h.mode = w->mode;
    h.create_parents = w->create_parents;
    h.overwrite = w->overwrite == A0IPC_OVERWRITE_FAIL
                      ? A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_FAIL
                      : A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_REPLACE;
    if (w->has_expected_size) {
        h.size_check_case = A0__RUNTIME__V1__WRITE_HEADER__SIZE_CHECK_EXPECTED_SIZE;
        h.expected_size = w->expected_size;
    }
    if (w->expected_sha256) {
        h.expected_sha256.data = (uint8_t *)w->expected_sha256;
        h.expected_sha256.len = 32;
    }
    A0__Runtime__V1__WriteRequest msg = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    msg.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER;
    msg.header = &h;
    /* A send fails only when the call is over; the final status then says why. */
    bool sent = !stopped && a0_runtime_v1_files_write_write(s, &msg) == 0;
    while (sent && !stopped) {
        ssize_t n = source(arg, buf, WRITE_CHUNK);
        if (n < 0) {
            stopped = true; /* the caller aborts: cancel, so the daemon discards the upload */
            break;
        }
        if (n == 0)
            break;
        msg.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_DATA;
        msg.data.data = buf;
        msg.data.len = (size_t)n;
        sent = a0_runtime_v1_files_write_write(s, &msg) == 0;
        if (o && o->cancel && a0ipc_cancel_raised(o->cancel))
            stopped = true;
    }
    free(buf);
    if (sent && !stopped && a0ipc_rpc_stream_close_send(s) == 0) {
        A0__Runtime__V1__WriteResponse *resp = NULL;
        if (a0_runtime_v1_files_write_read(s, &resp) == 1) {
            out->bytes_written = resp->bytes_written;
            if (resp->sha256.len == sizeof out->sha256)
                memcpy(out->sha256, resp->sha256.data, sizeof out->sha256);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            /* drain the end of the stream so finish reports the real status */
            if (a0_runtime_v1_files_write_read(s, &resp) == 1)
                protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
    }
    a0ipc_code code = gt_stream_end(s, o, stopped, st);
    if (code != A0IPC_OK)
        memset(out, 0, sizeof *out);
    return code;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_FILE_TYPE_MIRRORS_PROTO;

a0ipc_code gt_remove(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                     bool recursive, bool missing_ok, a0ipc_file_type must_be, bool *removed,
                     a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_FILE_OP_MS, &co);
    A0__Runtime__V1__RemoveRequest req = A0__RUNTIME__V1__REMOVE_REQUEST__INIT;
    req.path = (char *)path;
    req.recursive = recursive;
    req.missing_ok = missing_ok;
    req.type = (A0__Runtime__V1__FileType)must_be;
    A0__Runtime__V1__RemoveResponse *resp = NULL;
    if (removed)
        *removed = false;
    if (a0_runtime_v1_files_remove_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    if (removed)
        *removed = resp->removed;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return A0IPC_OK;
}

a0ipc_code gt_make_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                       uint32_t mode, bool parents, bool exist_ok, bool *created, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_FILE_OP_MS, &co);
    A0__Runtime__V1__MakeDirRequest req = A0__RUNTIME__V1__MAKE_DIR_REQUEST__INIT;
    req.path = (char *)path;
    req.mode = mode;
    req.parents = parents;
    req.exist_ok = exist_ok;
    A0__Runtime__V1__MakeDirResponse *resp = NULL;
    if (created)
        *created = false;
    if (a0_runtime_v1_files_make_dir_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    if (created)
        *created = resp->created;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return A0IPC_OK;
}

a0ipc_code gt_move(a0ipc_transport *t, const a0ipc_call_options *o, const char *source,
                   const char *destination, bool overwrite, bool create_parents, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_FILE_OP_MS, &co);
    A0__Runtime__V1__MoveRequest req = A0__RUNTIME__V1__MOVE_REQUEST__INIT;
    req.source = (char *)source;
    req.destination = (char *)destination;
    req.overwrite = overwrite;
    req.create_parents = create_parents;
    A0__Runtime__V1__MoveResponse *resp = NULL;
    if (a0_runtime_v1_files_move_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return A0IPC_OK;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_WATCH_TYPE_MIRRORS_PROTO;

a0ipc_code gt_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                    bool recursive, a0ipc_watch_fn on_event, void *arg, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, 0, &co); /* a watch runs until stopped: no default deadline */
    A0__Runtime__V1__WatchRequest req = A0__RUNTIME__V1__WATCH_REQUEST__INIT;
    req.path = (char *)path;
    req.recursive = recursive;
    a0ipc_rpc_stream *s = a0_runtime_v1_files_watch_open(g->channel, &co, &req, st);
    if (!s)
        return st->code;
    bool stopped = gt_stream_watch_cancel(o, s);
    A0__Runtime__V1__WatchResponse *resp = NULL;
    while (!stopped && a0_runtime_v1_files_watch_read(s, &resp) == 1) {
        for (size_t i = 0; i < resp->n_events && !stopped; i++) {
            const A0__Runtime__V1__WatchEvent *e = resp->events[i];
            a0ipc_watch_event ev = {(a0ipc_watch_type)e->type, e->path, e->old_path, e->is_dir};
            stopped = on_event(arg, &ev) != 0;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    return gt_stream_end(s, o, stopped, st);
}

/* ---- construction ---- */

/* Frees g and everything it owns; g may be half made. */
static void gt_free(grpc_transport *g)
{
    gt_terminal_free(g);
    a0ipc_rpc_channel_free(g->channel);
    free(g->authorization);
    free(g->host_name);
    for (size_t i = 0; i < sizeof g->owned / sizeof g->owned[0]; i++)
        free(g->owned[i]);
    free(g->service_config);
    free(g->target);
    free(g);
}

static void gt_destroy(a0ipc_transport *t)
{
    gt_free(t->ctx);
}

/* One table for every instance: gt_<operation> for each operation of the list. */
#define GT_METHOD(since, name, params, args) .name = gt_##name,
/* clang-format off */
static const a0ipc_transport_ops grpc_ops = {
    .version = A0IPC_TRANSPORT_VERSION,
    .name = "grpc",
    .destroy = gt_destroy,
    A0IPC_TRANSPORT_OPS(GT_METHOD)
};
/* clang-format on */
#undef GT_METHOD

/* Appends the retry policy for every idempotent method of svc to json. */
static void add_retry_names(FILE *json, const a0ipc_rpc_service *svc, bool *first)
{
    for (size_t i = 0; i < svc->n_methods; i++) {
        if (svc->methods[i].idempotency == A0IPC_RPC_IDEMPOTENCY_UNKNOWN)
            continue;
        fprintf(json, "%s{\"service\":\"%s\",\"method\":\"%s\"}", *first ? "" : ",", svc->name,
                svc->methods[i].name);
        *first = false;
    }
}

char *a0ipc_grpc_service_config(const a0ipc_grpc_options *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *json = open_memstream(&text, &len);
    if (!json)
        return NULL;
    int attempts = o->max_attempts < 1 ? 1 : o->max_attempts > 5 ? 5 : o->max_attempts;
    fprintf(json, "{\"loadBalancingConfig\":[{\"round_robin\":{}}]");
    if (attempts > 1) {
        fprintf(json, ",\"methodConfig\":[{\"name\":[");
        bool first = true;
        add_retry_names(json, &grpc_health_v1_health_service, &first);
        add_retry_names(json, &a0_runtime_v1_files_service, &first);
        add_retry_names(json, &a0_runtime_v1_terminal_service, &first);
        fprintf(json,
                "],\"retryPolicy\":{\"maxAttempts\":%d,\"initialBackoff\":\"%d.%03ds\","
                "\"maxBackoff\":\"%d.%03ds\",\"backoffMultiplier\":2,"
                "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]",
                attempts, o->initial_backoff_ms / 1000, o->initial_backoff_ms % 1000,
                o->max_backoff_ms / 1000, o->max_backoff_ms % 1000);
    }
    fprintf(json, "}");
    if (fclose(json) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

a0ipc_transport *a0ipc_grpc_transport_new(const a0ipc_grpc_options *o, a0ipc_status *st)
{
    if (!o || !o->target || !*o->target) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "the gRPC transport needs a target");
        return NULL;
    }
    grpc_transport *g = calloc(1, sizeof *g);
    if (!g) {
        oom(st);
        return NULL;
    }
    g->opts = *o;
    g->target = strdup(o->target);
    g->opts.target = g->target;
    /* Own copies: pinned channels are made later, long after the caller's strings may be gone. */
    const char **owned[] = {&g->opts.ca_file, &g->opts.cert_file, &g->opts.key_file,
                            &g->opts.server_name};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (*owned[i] && !(*owned[i] = g->owned[i] = strdup(*owned[i])))
            goto fail_oom;
    g->opts.token = NULL; /* kept only as the authorization header below */
    g->service_config = a0ipc_grpc_service_config(o);
    g->host_name = a0ipc_target_host(o->target);
    if (!g->target || !g->service_config)
        goto fail_oom;
    if (o->token) {
        if (asprintf(&g->authorization, "Bearer %s", o->token) < 0) {
            g->authorization = NULL;
            goto fail_oom;
        }
        g->metadata[0] = (a0ipc_rpc_metadata){"authorization", g->authorization};
        g->n_metadata = 1;
    }
    a0ipc_rpc_channel_options_init(&g->channel_opts);
    g->channel_opts.service_config_json = g->service_config;
    g->channel_opts.initial_reconnect_backoff_ms = o->reconnect_backoff_ms;
    g->channel_opts.keepalive_time_ms = o->keepalive_time_ms;
    g->channel_opts.authority_override = g->opts.server_name;
    if (!g->channel_opts.authority_override && a0ipc_target_is_address_list(g->target))
        g->channel_opts.authority_override = g->host_name;
    g->channel_opts.user_agent = "a0ipc";
    if (gt_credentials_setup(g, st) != 0)
        goto fail;
    g->channel = a0ipc_rpc_channel_new(g->target, &g->channel_opts, st);
    if (!g->channel || gt_terminal_init(g, st) != 0)
        goto fail;

    a0ipc_transport *t = a0ipc_transport_new(&grpc_ops, g, st);
    if (!t)
        goto fail;
    return t;

fail_oom:
    oom(st);
fail:
    gt_free(g);
    return NULL;
}
