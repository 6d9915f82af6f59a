/* a0.runtime.v1.Files: the streaming handlers (Read, Write, Archive, Watch).
 *
 * Memory per stream is one message: each handler fills one buffer (or builds one batch) and
 * a0ipc_rpc_send returns only when the transport has taken the message, so a slow client slows
 * the handler down instead of making the daemon buffer. Nothing per message goes into call
 * memory (a0ipc_rpc_ctx_alloc), which would live as long as the stream. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "services/files_handlers.h"
#include "common/same_number.h"

/* ---- Read ---- */

a0ipc_code a0ipc_files_h_read(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ReadRequest *req)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_reader *rd = NULL;
    uint64_t size = 0;
    if (a0ipc_files_read_open(a0ipc_files_h_root(ctx), req->path, req->offset, req->length, &rd,
                              &size, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    a0ipc_code code = A0IPC_OK;
    /* Chunks fit the daemon's own send limit (max-message-bytes), with room for the offset,
     * the size and the field headers. */
    size_t chunk = a0ipc_rpc_ctx_payload_max(ctx, 64);
    if (chunk > A0IPC_FILES_CHUNK_MAX)
        chunk = A0IPC_FILES_CHUNK_MAX;
    for (bool first = true;; first = false) {
        /* The file is read straight into the message's buffer: no copy of its bytes in here. */
        uint8_t *buf = a0ipc_rpc_data_buffer(ctx, chunk);
        size_t n = 0;
        uint64_t off = 0;
        if (a0ipc_files_read_next(rd, buf, chunk, &n, &off, &st)) {
            code = a0ipc_rpc_fail_status(ctx, &st);
            break;
        }
        if (n == 0 && !first)
            break;
        /* The first message goes out even when empty: it carries the file's size. */
        A0__Runtime__V1__ReadResponse m = A0__RUNTIME__V1__READ_RESPONSE__INIT;
        m.offset = off;
        if (first)
            m.file_size = size;
        code = a0ipc_rpc_send_data(ctx, &m.base, 1 /* ReadResponse.data */, n);
        if (code || n == 0)
            break;
    }
    a0ipc_files_read_close(rd);
    return code;
}

/* ---- Write ---- */

/* The header as core options; INVALID_ARGUMENT for what the core cannot be asked. */
static a0ipc_code write_options(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__WriteHeader *h,
                                a0ipc_files_write_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = h->mode;
    o->create_parents = h->create_parents;
    switch (h->overwrite) {
    case A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_UNSPECIFIED:
    case A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_REPLACE:
        break;
    case A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_FAIL:
        o->no_replace = true;
        break;
    default:
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "write: unknown overwrite policy %d",
                              (int)h->overwrite);
    }
    if (h->size_check_case == A0__RUNTIME__V1__WRITE_HEADER__SIZE_CHECK_EXPECTED_SIZE) {
        o->has_expected_size = true;
        o->expected_size = h->expected_size;
    }
    if (h->expected_sha256.len != 0) {
        if (h->expected_sha256.len != sizeof o->expected_sha256)
            return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT,
                                  "write: expected_sha256 has %zu bytes, not 32",
                                  h->expected_sha256.len);
        o->has_expected_sha256 = true;
        memcpy(o->expected_sha256, h->expected_sha256.data, sizeof o->expected_sha256);
    }
    return A0IPC_OK;
}

a0ipc_code a0ipc_files_h_write(a0ipc_rpc_ctx *ctx, A0__Runtime__V1__WriteResponse *resp)
{
    A0__Runtime__V1__WriteRequest *m = NULL;
    int rc = a0_runtime_v1_files_write_recv(ctx, &m);
    if (rc < 0)
        return a0ipc_rpc_ctx_recv_error(ctx);
    if (rc == 0)
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "write: the stream had no header");
    a0ipc_files_write_options o;
    a0ipc_code code = A0IPC_OK;
    if (m->content_case != A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER)
        code = a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT,
                              "write: the first message must carry the header");
    else
        code = write_options(ctx, m->header, &o);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_writer *w = NULL;
    if (!code && a0ipc_files_write_begin(a0ipc_files_h_root(ctx), m->header->path, &o, &w, &st))
        code = a0ipc_rpc_fail_status(ctx, &st);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    if (code)
        return code;

    /* From here on every way out that is not a commit aborts: the temporary file goes, the
     * destination stays as it was. The chunks are borrowed: decoded into memory the call
     * reuses, so a 1 GiB upload does not allocate (and page-fault in) 1024 chunk buffers. */
    for (;;) {
        const ProtobufCMessage *any = NULL;
        rc = a0ipc_rpc_recv_borrowed(ctx, &any);
        if (rc < 0) { /* broken, cancelled, past its deadline, or the server is stopping */
            a0ipc_files_write_abort(w);
            return a0ipc_rpc_ctx_recv_error(ctx);
        }
        if (rc == 0)
            break;
        const A0__Runtime__V1__WriteRequest *d = (const A0__Runtime__V1__WriteRequest *)any;
        if (d->content_case != A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_DATA)
            code = a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT,
                                  "write: every message after the header must carry data");
        else if (a0ipc_files_write_chunk(w, d->data.data, d->data.len, &st))
            code = a0ipc_rpc_fail_status(ctx, &st);
        if (code) {
            a0ipc_files_write_abort(w);
            return code;
        }
    }
    /* gRPC core reports a cancelled or expired call's pending receive as "no message", the
     * same as a client that half-closed, and the rpc layer may learn of the cancellation an
     * instant later. Committing on that end would publish a partial upload. So: seal (checks
     * and fsync, which take a while), then look whether the call is still wanted, and only
     * then rename. */
    if (a0ipc_files_write_seal(w, &st)) {
        a0ipc_files_write_abort(w);
        return a0ipc_rpc_fail_status(ctx, &st);
    }
    if (a0ipc_rpc_ctx_should_stop(ctx)) {
        a0ipc_files_write_abort(w);
        return a0ipc_rpc_fail_stopped(ctx);
    }
    uint64_t written = 0;
    uint8_t *sha = a0ipc_rpc_ctx_alloc(ctx, 32);
    if (a0ipc_files_write_commit(w, &written, sha, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    resp->bytes_written = written;
    resp->sha256.data = sha;
    resp->sha256.len = 32;
    return A0IPC_OK;
}

/* ---- Archive ---- */

static a0ipc_code archive_sink(void *arg, const void *data, size_t len, a0ipc_status *st)
{
    a0ipc_rpc_ctx *ctx = arg;
    /* In messages that fit the daemon's own send limit. */
    size_t max = a0ipc_rpc_ctx_payload_max(ctx, 16);
    a0ipc_code code = A0IPC_OK;
    for (size_t at = 0; at < len && !code; at += max) {
        A0__Runtime__V1__ArchiveResponse m = A0__RUNTIME__V1__ARCHIVE_RESPONSE__INIT;
        m.data.data = (uint8_t *)data + at;
        m.data.len = len - at < max ? len - at : max;
        code = a0_runtime_v1_files_archive_send(ctx, &m);
    }
    if (code)
        a0ipc_status_set(st, code, "archive: the call ended");
    return code;
}

a0ipc_code a0ipc_files_h_archive(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ArchiveRequest *req)
{
    a0ipc_files_archive_format format;
    switch (req->format) {
    case A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_UNSPECIFIED:
    case A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_ZIP:
        format = A0IPC_FILES_ARCHIVE_ZIP;
        break;
    case A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_TAR_GZ:
        format = A0IPC_FILES_ARCHIVE_TAR_GZ;
        break;
    default:
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "archive: unknown format %d",
                              (int)req->format);
    }
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_files_archive(a0ipc_files_h_root(ctx), req->path, format, req->include_base_name,
                            archive_sink, ctx, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    return A0IPC_OK;
}

/* ---- Watch ---- */

/* Events per message: enough to carry a burst, few enough to keep a message small. */
#define WATCH_BATCH 256

static void wake_watch(void *arg)
{
    uint64_t one = 1;
    /* Runs on a completion-queue thread: a write to an eventfd never blocks (it is non-blocking
     * and a full counter still wakes the poll). */
    ssize_t n = write(*(int *)arg, &one, sizeof one);
    (void)n;
}

typedef struct watch_batch {
    A0__Runtime__V1__WatchEvent ev[WATCH_BATCH];
    A0__Runtime__V1__WatchEvent *ptrs[WATCH_BATCH];
    char *strs[2 * WATCH_BATCH]; /* owned strings of this batch */
    size_t n, n_strs;
    size_t bytes; /* about what the events take encoded */
} watch_batch;

static void batch_clear(watch_batch *b)
{
    for (size_t i = 0; i < b->n_strs; i++)
        free(b->strs[i]);
    b->n = b->n_strs = 0;
    b->bytes = 0;
}

/* The cast below converts files_fs.h's a0ipc_files_event_type (and the proto's own READY) to the
 * proto's WatchEventType. */
A0IPC_SAME_NUMBER(A0IPC_FILES_EVENT_CREATE,
                  A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_CREATE);
A0IPC_SAME_NUMBER(A0IPC_FILES_EVENT_MODIFY,
                  A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_MODIFY);
A0IPC_SAME_NUMBER(A0IPC_FILES_EVENT_REMOVE,
                  A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_REMOVE);
A0IPC_SAME_NUMBER(A0IPC_FILES_EVENT_RENAME,
                  A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_RENAME);
A0IPC_SAME_NUMBER(A0IPC_FILES_EVENT_OVERFLOW,
                  A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_OVERFLOW);

/* Adds one event; paths are root-relative (or NULL) and shown in the request's form. */
static int batch_add(watch_batch *b, const a0ipc_files_root *r, int type, const char *path,
                     const char *old_path, bool is_dir, bool absolute)
{
    A0__Runtime__V1__WatchEvent *e = &b->ev[b->n];
    a0__runtime__v1__watch_event__init(e);
    e->type = (A0__Runtime__V1__WatchEventType)type;
    e->is_dir = is_dir;
    if (path) {
        char *p = a0ipc_files_display_path(r, path, absolute);
        if (!p)
            return -1;
        b->strs[b->n_strs++] = e->path = p;
    }
    if (old_path) {
        char *p = a0ipc_files_display_path(r, old_path, absolute);
        if (!p)
            return -1;
        b->strs[b->n_strs++] = e->old_path = p;
    }
    b->ptrs[b->n++] = e;
    b->bytes += 24 + (e->path ? strlen(e->path) : 0) + (e->old_path ? strlen(e->old_path) : 0);
    return 0;
}

static a0ipc_code batch_send(a0ipc_rpc_ctx *ctx, watch_batch *b)
{
    A0__Runtime__V1__WatchResponse m = A0__RUNTIME__V1__WATCH_RESPONSE__INIT;
    m.events = b->ptrs;
    m.n_events = b->n;
    a0ipc_code code = a0_runtime_v1_files_watch_send(ctx, &m);
    batch_clear(b);
    return code;
}

a0ipc_code a0ipc_files_h_watch(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__WatchRequest *req)
{
    a0ipc_files_root *root = a0ipc_files_h_root(ctx);
    a0ipc_status st = A0IPC_STATUS_INIT;
    char *rel = NULL;
    bool absolute = false;
    if (a0ipc_files_path_parse(root, req->path, strlen(req->path), &rel, &absolute, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    a0ipc_files_watch *w = NULL;
    if (a0ipc_files_watch_open(root, req->path, req->recursive, &w, &st)) {
        free(rel);
        return a0ipc_rpc_fail_status(ctx, &st);
    }
    watch_batch *b = calloc(1, sizeof *b);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    a0ipc_code code = A0IPC_OK;
    if (!b || efd < 0) {
        code = a0ipc_rpc_fail(ctx, A0IPC_RESOURCE_EXHAUSTED, "watch: out of memory or fds");
        goto out;
    }
    a0ipc_rpc_ctx_on_stop(ctx, wake_watch, &efd);

    /* The watch is in place: say so before anything else, so the client knows from when on
     * every change is reported. */
    if (batch_add(b, root, A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_READY, rel, NULL,
                  true, absolute) != 0) {
        code = a0ipc_rpc_fail(ctx, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto stop;
    }
    code = batch_send(ctx, b);
    /* A batch stays under the daemon's own send limit: room is kept for one more event of
     * the longest paths after the budget is reached. */
    size_t budget = a0ipc_rpc_ctx_payload_max(ctx, 2 * PATH_MAX + 64);
    while (!code) {
        a0ipc_files_event ev;
        int got = 0;
        while (b->n < WATCH_BATCH && b->bytes < budget &&
               (got = a0ipc_files_watch_next(w, &ev, &st)) == 1) {
            int rc = batch_add(b, root, (int)ev.type, ev.path, ev.old_path, ev.is_dir, absolute);
            a0ipc_files_event_clear(&ev);
            if (rc != 0) {
                code = a0ipc_rpc_fail(ctx, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
        }
        if (!code && got < 0)
            code = a0ipc_rpc_fail_status(ctx, &st);
        if (!code && b->n)
            code = batch_send(ctx, b);
        if (code || a0ipc_files_watch_ended(w) || a0ipc_rpc_ctx_should_stop(ctx))
            break;
        if (b->n == 0 && got == 1)
            continue; /* a full batch went out; more may be ready */
        struct pollfd p[2] = {{a0ipc_files_watch_fd(w), POLLIN, 0}, {efd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            code = a0ipc_rpc_fail(ctx, A0IPC_INTERNAL, "watch: poll: %s", strerror(errno));
            break;
        }
    }
    if (!code && !a0ipc_files_watch_ended(w) && a0ipc_rpc_ctx_should_stop(ctx))
        code = a0ipc_rpc_fail_stopped(ctx);
stop:
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
out:
    if (b)
        batch_clear(b);
    free(b);
    if (efd >= 0)
        close(efd);
    a0ipc_files_watch_free(w);
    free(rel);
    return code;
}
