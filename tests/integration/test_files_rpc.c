/* The Files service end to end in one process: the rpc server with the service on a temporary
 * unix socket, the blocking client, every RPC, the hostile path corpus against every RPC that
 * takes a path, and Writes whose stream is cancelled, runs past its deadline or fails its
 * checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "common/log.h"
#include "files_testutil.h"
#include "services/files.h"
#include "rpc/core.h"

typedef struct fixture {
    char *base; /* base/root is served; base/outside is the sentinel */
    char *dir;  /* base/root */
    char target[256];
    a0ipc_files_service *svc;
    a0ipc_rpc_server *srv;
    a0ipc_rpc_channel *ch;
    a0ipc_status st;
} fixture;

static const a0ipc_rpc_call_options five_s = {.timeout_ms = 5000};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->base = tu_mkdtemp("files-rpc");
    tu_hostile_tree(f->base);
    f->dir = tu_path(f->base, "root");
    tu_write(f->dir, "a.txt", "hello\n", (size_t)-1);
    tu_write(f->dir, "B.md", "# title\n", (size_t)-1);
    tu_write(f->dir, "empty", "", 0);
    snprintf(f->target, sizeof f->target, "unix:%s/s.sock", f->base);
    a0ipc_rpc_server_options o;
    a0ipc_rpc_server_options_init(&o);
    f->srv = a0ipc_rpc_server_new(&o, &f->st);
    assert_non_null(f->srv);
    f->svc = a0ipc_files_service_new(f->dir, &f->st);
    assert_non_null(f->svc);
    assert_int_equal(a0ipc_files_service_add(f->srv, f->svc, &f->st), 0);
    assert_int_equal(a0ipc_rpc_server_listen(f->srv, f->target, NULL, &f->st), 1);
    assert_int_equal(a0ipc_rpc_server_start(f->srv, &f->st), 0);
    f->ch = a0ipc_rpc_channel_new(f->target, NULL, &f->st);
    assert_non_null(f->ch);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    a0ipc_rpc_channel_free(f->ch);
    a0ipc_rpc_server_free(f->srv);
    a0ipc_files_service_free(f->svc); /* after the server, as files.h says */
    a0ipc_status_clear(&f->st);
    tu_rmrf(f->base);
    free(f->dir);
    free(f->base);
    free(f);
    return 0;
}

/* Waits until no call is in flight on the server, so a test can look at what a handler left
 * behind after the client gave up. A bound only against hanging: the handler must get there. */
static void wait_idle(fixture *f)
{
    for (int i = 0; i < 1000 && a0ipc_rpc_server_active_calls(f->srv) > 0; i++)
        usleep(10000);
    assert_int_equal(a0ipc_rpc_server_active_calls(f->srv), 0);
}

/* ---- calls as single functions returning the final code ---- */

static a0ipc_code call_stat(fixture *f, const char *path, bool follow,
                            A0__Runtime__V1__StatResponse **out)
{
    A0__Runtime__V1__StatRequest req = A0__RUNTIME__V1__STAT_REQUEST__INIT;
    req.path = (char *)path;
    req.follow_symlinks = follow;
    A0__Runtime__V1__StatResponse *resp = NULL;
    a0ipc_code c = a0_runtime_v1_files_stat_call(f->ch, &five_s, &req, &resp, &f->st);
    if (out)
        *out = resp;
    else if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

static a0ipc_code call_list(fixture *f, const char *path, A0__Runtime__V1__ListDirResponse **out)
{
    A0__Runtime__V1__ListDirRequest req = A0__RUNTIME__V1__LIST_DIR_REQUEST__INIT;
    req.path = (char *)path;
    req.depth = 2;
    A0__Runtime__V1__ListDirResponse *resp = NULL;
    a0ipc_code c = a0_runtime_v1_files_list_dir_call(f->ch, &five_s, &req, &resp, &f->st);
    if (out)
        *out = resp;
    else if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

/* Reads a whole Read stream; *data (may be NULL) gets the bytes, *msgs the message count. */
static a0ipc_code call_read(fixture *f, const char *path, uint64_t off, uint64_t len, char **data,
                            size_t *n, int *msgs, uint64_t *file_size)
{
    A0__Runtime__V1__ReadRequest req = A0__RUNTIME__V1__READ_REQUEST__INIT;
    req.path = (char *)path;
    req.offset = off;
    req.length = len;
    a0ipc_rpc_stream *s = a0_runtime_v1_files_read_open(f->ch, &five_s, &req, &f->st);
    assert_non_null(s);
    size_t at = 0, cap = 0;
    char *buf = NULL;
    int count = 0;
    A0__Runtime__V1__ReadResponse *m;
    while (a0_runtime_v1_files_read_read(s, &m) == 1) {
        assert_true(m->data.len <= (1u << 20));
        assert_int_equal(m->offset, off + at);
        if (count == 0 && file_size)
            *file_size = m->file_size;
        if (at + m->data.len + 1 > cap) {
            cap = (at + m->data.len + 1) * 2;
            buf = realloc(buf, cap);
        }
        if (m->data.len) /* an empty chunk has no data pointer */
            memcpy(buf + at, m->data.data, m->data.len);
        at += m->data.len;
        count++;
        protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    a0ipc_code c = a0ipc_rpc_stream_finish(s, &f->st);
    a0ipc_rpc_stream_free(s);
    if (buf)
        buf[at] = '\0';
    if (data)
        *data = buf;
    else
        free(buf);
    if (n)
        *n = at;
    if (msgs)
        *msgs = count;
    return c;
}

static a0ipc_rpc_stream *write_open(fixture *f, const A0__Runtime__V1__WriteHeader *h,
                                    const a0ipc_rpc_call_options *o)
{
    a0ipc_rpc_stream *s = a0_runtime_v1_files_write_open(f->ch, o, &f->st);
    assert_non_null(s);
    A0__Runtime__V1__WriteRequest m = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    m.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER;
    m.header = (A0__Runtime__V1__WriteHeader *)h;
    a0_runtime_v1_files_write_write(s, &m);
    return s;
}

static void write_data(a0ipc_rpc_stream *s, const void *data, size_t len)
{
    A0__Runtime__V1__WriteRequest m = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    m.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_DATA;
    m.data.data = (uint8_t *)data;
    m.data.len = len;
    a0_runtime_v1_files_write_write(s, &m);
}

static a0ipc_code write_finish(fixture *f, a0ipc_rpc_stream *s,
                               A0__Runtime__V1__WriteResponse **out)
{
    a0ipc_rpc_stream_close_send(s);
    A0__Runtime__V1__WriteResponse *resp = NULL;
    if (a0_runtime_v1_files_write_read(s, &resp) != 1)
        resp = NULL;
    a0ipc_code c = a0ipc_rpc_stream_finish(s, &f->st);
    a0ipc_rpc_stream_free(s);
    if (out)
        *out = resp;
    else if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

static a0ipc_code call_write(fixture *f, const char *path, const char *content, bool parents,
                             A0__Runtime__V1__WriteResponse **out)
{
    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = (char *)path;
    h.create_parents = parents;
    a0ipc_rpc_stream *s = write_open(f, &h, &five_s);
    write_data(s, content, strlen(content));
    return write_finish(f, s, out);
}

static a0ipc_code call_remove(fixture *f, const char *path, bool recursive, bool missing_ok)
{
    A0__Runtime__V1__RemoveRequest req = A0__RUNTIME__V1__REMOVE_REQUEST__INIT;
    req.path = (char *)path;
    req.recursive = recursive;
    req.missing_ok = missing_ok;
    A0__Runtime__V1__RemoveResponse *resp = NULL;
    a0ipc_code c = a0_runtime_v1_files_remove_call(f->ch, &five_s, &req, &resp, &f->st);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

static a0ipc_code call_mkdir(fixture *f, const char *path, bool parents, bool exist_ok)
{
    A0__Runtime__V1__MakeDirRequest req = A0__RUNTIME__V1__MAKE_DIR_REQUEST__INIT;
    req.path = (char *)path;
    req.parents = parents;
    req.exist_ok = exist_ok;
    A0__Runtime__V1__MakeDirResponse *resp = NULL;
    a0ipc_code c = a0_runtime_v1_files_make_dir_call(f->ch, &five_s, &req, &resp, &f->st);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

static a0ipc_code call_move(fixture *f, const char *src, const char *dst, bool overwrite,
                            bool parents)
{
    A0__Runtime__V1__MoveRequest req = A0__RUNTIME__V1__MOVE_REQUEST__INIT;
    req.source = (char *)src;
    req.destination = (char *)dst;
    req.overwrite = overwrite;
    req.create_parents = parents;
    A0__Runtime__V1__MoveResponse *resp = NULL;
    a0ipc_code c = a0_runtime_v1_files_move_call(f->ch, &five_s, &req, &resp, &f->st);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return c;
}

static a0ipc_code call_archive(fixture *f, const char *path, A0__Runtime__V1__ArchiveFormat fmt,
                               char **data, size_t *n)
{
    A0__Runtime__V1__ArchiveRequest req = A0__RUNTIME__V1__ARCHIVE_REQUEST__INIT;
    req.path = (char *)path;
    req.format = fmt;
    a0ipc_rpc_stream *s = a0_runtime_v1_files_archive_open(f->ch, &five_s, &req, &f->st);
    assert_non_null(s);
    size_t at = 0;
    char *buf = NULL;
    A0__Runtime__V1__ArchiveResponse *m;
    while (a0_runtime_v1_files_archive_read(s, &m) == 1) {
        assert_true(m->data.len <= (1u << 20));
        buf = realloc(buf, at + m->data.len + 1);
        if (m->data.len)
            memcpy(buf + at, m->data.data, m->data.len);
        at += m->data.len;
        protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    a0ipc_code c = a0ipc_rpc_stream_finish(s, &f->st);
    a0ipc_rpc_stream_free(s);
    if (data)
        *data = buf;
    else
        free(buf);
    if (n)
        *n = at;
    return c;
}

/* Opens a Watch and reads its first message, which must be READY unless the call failed. */
static a0ipc_rpc_stream *watch_open(fixture *f, const char *path, bool recursive,
                                    const a0ipc_rpc_call_options *o, char **ready_path)
{
    if (ready_path)
        *ready_path = NULL;
    A0__Runtime__V1__WatchRequest req = A0__RUNTIME__V1__WATCH_REQUEST__INIT;
    req.path = (char *)path;
    req.recursive = recursive;
    a0ipc_rpc_stream *s = a0_runtime_v1_files_watch_open(f->ch, o, &req, &f->st);
    assert_non_null(s);
    A0__Runtime__V1__WatchResponse *m = NULL;
    if (a0_runtime_v1_files_watch_read(s, &m) != 1)
        return s; /* the caller finishes it and looks at the code */
    assert_int_equal(m->n_events, 1);
    assert_int_equal(m->events[0]->type, A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_READY);
    if (ready_path)
        *ready_path = strdup(m->events[0]->path);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return s;
}

static a0ipc_code call_watch(fixture *f, const char *path)
{
    static const a0ipc_rpc_call_options short_call = {.timeout_ms = 2000};
    char *ready = NULL;
    a0ipc_rpc_stream *s = watch_open(f, path, true, &short_call, &ready);
    if (ready) /* a watch that was accepted: end it from our side */
        a0ipc_rpc_stream_cancel(s);
    free(ready);
    a0ipc_code c = a0ipc_rpc_stream_finish(s, &f->st);
    a0ipc_rpc_stream_free(s);
    return c;
}

/* ---- every RPC ---- */

static void test_stat_and_list_in_the_request_form(void **state)
{
    fixture *f = *state;
    A0__Runtime__V1__StatResponse *sr = NULL;
    assert_int_equal(call_stat(f, "a.txt", false, &sr), A0IPC_OK);
    assert_string_equal(sr->info->path, "a.txt");
    assert_int_equal(sr->info->type, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_FILE);
    assert_int_equal(sr->info->size, 6);
    protobuf_c_message_free_unpacked(&sr->base, NULL);

    char *abs = tu_path(f->dir, "a.txt");
    assert_int_equal(call_stat(f, abs, false, &sr), A0IPC_OK);
    assert_string_equal(sr->info->path, abs); /* legacy callers get $ROOT/x back */
    assert_string_equal(sr->info->name, "a.txt");
    protobuf_c_message_free_unpacked(&sr->base, NULL);
    free(abs);

    assert_int_equal(call_stat(f, "link_out", false, &sr), A0IPC_OK);
    assert_int_equal(sr->info->type, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_SYMLINK);
    assert_string_equal(sr->info->symlink_target, "../outside");
    protobuf_c_message_free_unpacked(&sr->base, NULL);
    assert_int_equal(call_stat(f, "nope", false, NULL), A0IPC_NOT_FOUND);
    assert_string_equal(f->st.message, "stat nope: No such file or directory");

    A0__Runtime__V1__ListDirResponse *lr = NULL;
    assert_int_equal(call_list(f, f->dir, &lr), A0IPC_OK);
    assert_true(lr->n_entries > 5);
    char *want = tu_path(f->dir, "a.txt");
    assert_string_equal(lr->entries[0]->path, want); /* "a.txt" sorts first, as in the legacy */
    assert_string_equal(lr->entries[1]->name, "B.md");
    assert_false(lr->truncated);
    free(want);
    protobuf_c_message_free_unpacked(&lr->base, NULL);
    assert_int_equal(call_list(f, "a.txt", NULL), A0IPC_FAILED_PRECONDITION);
}

static void test_read_in_chunks(void **state)
{
    fixture *f = *state;
    size_t big = (3u << 20) + 12345;
    char *content = malloc(big);
    for (size_t i = 0; i < big; i++)
        content[i] = (char)(i * 7 + i / 4096);
    tu_write(f->dir, "big.bin", content, big);
    char *data = NULL;
    size_t n = 0;
    int msgs = 0;
    uint64_t size = 0;
    assert_int_equal(call_read(f, "big.bin", 0, 0, &data, &n, &msgs, &size), A0IPC_OK);
    assert_int_equal(n, big);
    assert_int_equal(size, big);
    assert_int_equal(msgs, 4);
    assert_memory_equal(data, content, big);
    free(data);
    assert_int_equal(call_read(f, "big.bin", 1000, 10, &data, &n, &msgs, &size), A0IPC_OK);
    assert_memory_equal(data, content + 1000, 10);
    free(data);
    free(content);
    /* An empty file still gives one message, with its size. */
    size = 99;
    assert_int_equal(call_read(f, "empty", 0, 0, NULL, &n, &msgs, &size), A0IPC_OK);
    assert_int_equal(msgs, 1);
    assert_int_equal(size, 0);
    assert_int_equal(call_read(f, "a.txt", 7, 0, NULL, &n, &msgs, NULL), A0IPC_OUT_OF_RANGE);
    assert_int_equal(call_read(f, "dir", 0, 0, NULL, &n, &msgs, NULL), A0IPC_FAILED_PRECONDITION);
    assert_int_equal(call_read(f, "nope", 0, 0, NULL, &n, &msgs, NULL), A0IPC_NOT_FOUND);
}

static void test_write_round_trip(void **state)
{
    fixture *f = *state;
    A0__Runtime__V1__WriteResponse *wr = NULL;
    assert_int_equal(call_write(f, "new/dir/w.txt", "hello\n", true, &wr), A0IPC_OK);
    assert_int_equal(wr->bytes_written, 6);
    assert_int_equal(wr->sha256.len, 32);
    unsigned char want[32];
    unsigned int wl = 0;
    EVP_Digest("hello\n", 6, want, &wl, EVP_sha256(), NULL);
    assert_memory_equal(wr->sha256.data, want, 32);
    protobuf_c_message_free_unpacked(&wr->base, NULL);
    char *s = tu_read(f->dir, "new/dir/w.txt", NULL);
    assert_string_equal(s, "hello\n");
    free(s);

    /* Policy FAIL, and a checked size and checksum. */
    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = "a.txt";
    h.overwrite = A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_FAIL;
    assert_int_equal(write_finish(f, write_open(f, &h, &five_s), NULL), A0IPC_ALREADY_EXISTS);
    h.overwrite = A0__RUNTIME__V1__OVERWRITE_POLICY__OVERWRITE_POLICY_REPLACE;
    h.size_check_case = A0__RUNTIME__V1__WRITE_HEADER__SIZE_CHECK_EXPECTED_SIZE;
    h.expected_size = 6;
    h.expected_sha256.data = want;
    h.expected_sha256.len = 32;
    a0ipc_rpc_stream *st = write_open(f, &h, &five_s);
    write_data(st, "hel", 3);
    write_data(st, "lo\n", 3);
    assert_int_equal(write_finish(f, st, NULL), A0IPC_OK);
}

static void test_write_failures_leave_destination(void **state)
{
    fixture *f = *state;
    char *before = tu_snapshot(f->dir);
    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = "a.txt";

    /* Checksum mismatch: DATA_LOSS. */
    uint8_t bad[32] = {0};
    h.expected_sha256.data = bad;
    h.expected_sha256.len = 32;
    a0ipc_rpc_stream *s = write_open(f, &h, &five_s);
    write_data(s, "changed", 7);
    assert_int_equal(write_finish(f, s, NULL), A0IPC_DATA_LOSS);
    /* A checksum of the wrong length: INVALID_ARGUMENT before anything is created. */
    h.expected_sha256.len = 31;
    s = write_open(f, &h, &five_s);
    assert_int_equal(write_finish(f, s, NULL), A0IPC_INVALID_ARGUMENT);
    h.expected_sha256.len = 0;

    /* Cancelled mid-way, once the temporary file exists. */
    s = write_open(f, &h, &five_s);
    write_data(s, "partial", 7);
    for (int i = 0; i < 500 && tu_count_uploads(f->dir, ".") == 0; i++)
        usleep(10000);
    assert_int_equal(tu_count_uploads(f->dir, "."), 1);
    a0ipc_rpc_stream_cancel(s);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &f->st), A0IPC_CANCELLED);
    a0ipc_rpc_stream_free(s);
    wait_idle(f);
    assert_int_equal(tu_count_uploads(f->dir, "."), 0);

    /* Past its deadline mid-way. */
    const a0ipc_rpc_call_options short_call = {.timeout_ms = 300};
    s = write_open(f, &h, &short_call);
    write_data(s, "partial", 7);
    A0__Runtime__V1__WriteResponse *resp = NULL;
    assert_int_not_equal(a0_runtime_v1_files_write_read(s, &resp), 1); /* waits for the end */
    assert_int_equal(a0ipc_rpc_stream_finish(s, &f->st), A0IPC_DEADLINE_EXCEEDED);
    a0ipc_rpc_stream_free(s);
    wait_idle(f);
    assert_int_equal(tu_count_temps(f->dir, "."), 0);

    /* A stream without a header, or with a second one. */
    s = a0_runtime_v1_files_write_open(f->ch, &five_s, &f->st);
    write_data(s, "x", 1);
    assert_int_equal(write_finish(f, s, NULL), A0IPC_INVALID_ARGUMENT);
    s = write_open(f, &h, &five_s);
    A0__Runtime__V1__WriteRequest m = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    m.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER;
    m.header = &h;
    a0_runtime_v1_files_write_write(s, &m);
    assert_int_equal(write_finish(f, s, NULL), A0IPC_INVALID_ARGUMENT);
    wait_idle(f);

    char *after = tu_snapshot(f->dir);
    char *s1 = tu_read(f->dir, "a.txt", NULL);
    assert_string_equal(s1, "hello\n");
    free(s1);
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
    /* Only the root's own mtime may differ (temporary files came and went). */
    assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
    free(before);
    free(after);
}

static void test_remove_mkdir_move(void **state)
{
    fixture *f = *state;
    assert_int_equal(call_mkdir(f, "m/n/o", false, false), A0IPC_NOT_FOUND);
    assert_int_equal(call_mkdir(f, "m/n/o", true, false), A0IPC_OK);
    assert_int_equal(call_mkdir(f, "m/n/o", true, false), A0IPC_ALREADY_EXISTS);
    assert_int_equal(call_mkdir(f, "m/n/o", true, true), A0IPC_OK);
    assert_int_equal(call_move(f, "B.md", "moved/B2.md", false, true), A0IPC_OK);
    assert_true(tu_exists(f->dir, "moved/B2.md"));
    assert_int_equal(call_move(f, "nothere", "x", false, true), A0IPC_NOT_FOUND);
    assert_int_equal(call_move(f, "a.txt", "moved/B2.md", false, false), A0IPC_ALREADY_EXISTS);
    assert_int_equal(call_remove(f, "m", false, false), A0IPC_FAILED_PRECONDITION);
    assert_int_equal(call_remove(f, "m", true, false), A0IPC_OK);
    assert_int_equal(call_remove(f, "m", true, false), A0IPC_NOT_FOUND);
    assert_int_equal(call_remove(f, "m", true, true), A0IPC_OK);
    assert_false(tu_exists(f->dir, "m"));

    A0__Runtime__V1__RemoveRequest req = A0__RUNTIME__V1__REMOVE_REQUEST__INIT;
    req.path = "a.txt";
    req.type = (A0__Runtime__V1__FileType)42;
    A0__Runtime__V1__RemoveResponse *resp = NULL;
    assert_int_equal(a0_runtime_v1_files_remove_call(f->ch, &five_s, &req, &resp, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_true(tu_exists(f->dir, "a.txt"));
}

static void test_archive(void **state)
{
    fixture *f = *state;
    char *data = NULL;
    size_t n = 0;
    assert_int_equal(call_archive(f, "dir",
                                  A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_UNSPECIFIED,
                                  &data, &n),
                     A0IPC_OK);
    struct archive *a = archive_read_new();
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    assert_int_equal(archive_read_open_memory(a, data, n), ARCHIVE_OK);
    struct archive_entry *e;
    assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
    assert_string_equal(archive_entry_pathname(e), "a.txt");
    char buf[64] = {0};
    assert_int_equal(archive_read_data(a, buf, sizeof buf - 1), 8);
    assert_string_equal(buf, "inside-a");
    assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
    archive_read_free(a);
    free(data);
    assert_int_equal(
        call_archive(f, ".", A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_TAR_GZ, &data, &n),
        A0IPC_OK);
    assert_memory_equal(data, "\x1f\x8b", 2);
    free(data);
    assert_int_equal(call_archive(f, ".", (A0__Runtime__V1__ArchiveFormat)9, NULL, NULL),
                     A0IPC_INVALID_ARGUMENT);
}

static void test_watch(void **state)
{
    fixture *f = *state;
    char *ready = NULL;
    a0ipc_rpc_stream *s = watch_open(f, "dir", true, &five_s, &ready);
    assert_non_null(ready);
    assert_string_equal(ready, "dir");
    free(ready);
    /* READY came after the watch was in place: this change must be reported. */
    tu_write(f->dir, "dir/new.txt", "x", (size_t)-1);
    A0__Runtime__V1__WatchResponse *m = NULL;
    bool seen = false;
    while (!seen && a0_runtime_v1_files_watch_read(s, &m) == 1) {
        for (size_t i = 0; i < m->n_events; i++)
            if (m->events[i]->type == A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_CREATE &&
                strcmp(m->events[i]->path, "dir/new.txt") == 0)
                seen = true;
        protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    assert_true(seen);
    a0ipc_rpc_stream_cancel(s);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &f->st), A0IPC_CANCELLED);
    a0ipc_rpc_stream_free(s);
    wait_idle(f); /* the handler noticed the cancellation and returned */

    /* The watched directory goes away: REMOVE, then the stream ends OK. */
    s = watch_open(f, "dir", false, &five_s, NULL);
    char *d = tu_path(f->dir, "dir");
    tu_rmrf(d);
    free(d);
    bool removed = false;
    while (a0_runtime_v1_files_watch_read(s, &m) == 1) {
        for (size_t i = 0; i < m->n_events; i++)
            if (m->events[i]->type == A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_REMOVE &&
                strcmp(m->events[i]->path, "dir") == 0)
                removed = true;
        protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    assert_true(removed);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &f->st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
}

/* ---- the hostile corpus against every RPC that takes a path ---- */

typedef a0ipc_code (*rpc_fn)(fixture *f, const char *path);

static a0ipc_code r_stat(fixture *f, const char *p)
{
    return call_stat(f, p, true, NULL);
}
static a0ipc_code r_list(fixture *f, const char *p)
{
    return call_list(f, p, NULL);
}
static a0ipc_code r_read(fixture *f, const char *p)
{
    return call_read(f, p, 0, 0, NULL, NULL, NULL, NULL);
}
static a0ipc_code r_write(fixture *f, const char *p)
{
    return call_write(f, p, "EVIL", true, NULL);
}
static a0ipc_code r_remove(fixture *f, const char *p)
{
    return call_remove(f, p, true, true);
}
static a0ipc_code r_mkdir(fixture *f, const char *p)
{
    return call_mkdir(f, p, true, true);
}
static a0ipc_code r_move_src(fixture *f, const char *p)
{
    return call_move(f, p, "moved-here", true, true);
}
static a0ipc_code r_move_dst(fixture *f, const char *p)
{
    return call_move(f, "victim.txt", p, true, true);
}
static a0ipc_code r_archive(fixture *f, const char *p)
{
    return call_archive(f, p, A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_ZIP, NULL, NULL);
}
static a0ipc_code r_watch(fixture *f, const char *p)
{
    return call_watch(f, p);
}

static void test_hostile_corpus_against_every_rpc(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name;
        rpc_fn fn;
    } rpcs[] = {{"Stat", r_stat},
                {"ListDir", r_list},
                {"Read", r_read},
                {"Write", r_write},
                {"Remove", r_remove},
                {"MakeDir", r_mkdir},
                {"Move(source)", r_move_src},
                {"Move(destination)", r_move_dst},
                {"Archive", r_archive},
                {"Watch", r_watch}};
    char *outside = tu_path(f->base, "outside");
    char *before_out = tu_snapshot(outside), *before_root = tu_snapshot(f->dir);
    int failures = 0;
    for (size_t i = 0; i < tu_corpus_len; i++) {
        char *p = tu_corpus_expand(f->base, tu_corpus[i].path);
        for (size_t k = 0; k < sizeof rpcs / sizeof rpcs[0]; k++) {
            a0ipc_code c = rpcs[k].fn(f, p);
            bool leak = strstr(a0ipc_status_message(&f->st), f->base) != NULL;
            if (c != tu_corpus[i].code || leak) {
                fprintf(stderr, "FAIL %s(\"%.60s\"): got %s \"%s\", want %s\n", rpcs[k].name,
                        tu_corpus[i].path, a0ipc_code_name(c), a0ipc_status_message(&f->st),
                        a0ipc_code_name(tu_corpus[i].code));
                failures++;
            }
        }
        free(p);
    }
    wait_idle(f);
    char *after_out = tu_snapshot(outside), *after_root = tu_snapshot(f->dir);
    assert_string_equal(before_out, after_out);
    assert_string_equal(before_root, after_root);
    assert_int_equal(failures, 0);
    free(before_out);
    free(after_out);
    free(before_root);
    free(after_root);
    free(outside);
}

int main(void)
{
    a0ipc_log_set_level(A0IPC_LOG_WARN);
    a0ipc_rpc_init();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_stat_and_list_in_the_request_form),
        T(test_read_in_chunks),
        T(test_write_round_trip),
        T(test_write_failures_leave_destination),
        T(test_remove_mkdir_move),
        T(test_archive),
        T(test_watch),
        T(test_hostile_corpus_against_every_rpc),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    a0ipc_rpc_shutdown();
    return failed;
}
