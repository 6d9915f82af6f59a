/* Characterization through the adapter interface (transport.h): files_transcripts.json replayed
 * through the legacy transport (a0ipc_legacy_transport_new, against the reference server) and
 * through the gRPC transport (against a real a0ipcd with --root on its own copy of the fixture
 * tree), each legacy function mapped to the interface's operations as docs/files.md's table
 * says. Both must match the recording by the rules of docs/legacy-protocol.md and give the same
 * status codes. Then the operations the legacy has no function for (stat, deep listings, ranges,
 * the adapter's own pre-checks) are run on both transports and must answer alike. */
#include <fnmatch.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "a0ipc/grpc_transport.h"
#include "a0ipc/legacy_transport.h"
#include "legacy_replay.h"
#include "legacy_testutil.h"
#include "support/daemon_proc.h"
#include "transport/legacy/legacy_base64.h"

#define PASSWORD "characterization"

typedef struct side {
    a0ipc_transport *t;
    char *root;
} side;

typedef struct fixture {
    lt_server srv;
    test_daemon daemon;
    side legacy, grpc;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    a0ipc_status st = A0IPC_STATUS_INIT;

    lt_server_start(&fx->srv, PASSWORD);
    fx->legacy.root = lt_mkdtemp("replay-legacy");
    lt_build_fixture(fx->legacy.root);
    a0ipc_legacy_options lo = {.rfc_url = "127.0.0.1",
                               .rfc_port = fx->srv.port,
                               .rfc_password = PASSWORD,
                               .root = fx->legacy.root};
    fx->legacy.t = a0ipc_legacy_transport_new(&lo, &st);
    if (!fx->legacy.t)
        fail_msg("legacy transport: %s", a0ipc_status_message(&st));

    fx->grpc.root = lt_mkdtemp("replay-grpc");
    lt_build_fixture(fx->grpc.root);
    const char *extra[] = {"--root", fx->grpc.root, NULL};
    test_daemon_start(&fx->daemon, extra);
    a0ipc_grpc_options go;
    a0ipc_grpc_options_init(&go);
    go.target = fx->daemon.unix_target;
    fx->grpc.t = a0ipc_grpc_transport_new(&go, &st);
    if (!fx->grpc.t)
        fail_msg("grpc transport: %s", a0ipc_status_message(&st));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    a0ipc_transport_free(fx->legacy.t);
    a0ipc_transport_free(fx->grpc.t);
    test_daemon_stop(&fx->daemon, SIGTERM);
    test_daemon_cleanup(&fx->daemon);
    lt_server_stop(&fx->srv);
    lt_rm_rf(fx->legacy.root);
    lt_rm_rf(fx->grpc.root);
    free(fx->legacy.root);
    free(fx->grpc.root);
    free(fx);
    return 0;
}

/* ---- the legacy functions over the interface (docs/files.md, "Legacy parity") ---- */

typedef struct bytes {
    uint8_t *p;
    size_t n;
} bytes;

static int to_bytes(void *arg, const uint8_t *data, size_t len)
{
    bytes *b = arg;
    b->p = realloc(b->p, b->n + len + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

typedef struct source {
    const uint8_t *p;
    size_t n, at;
} source;

static ssize_t from_source(void *arg, uint8_t *buf, size_t cap)
{
    source *s = arg;
    size_t n = s->n - s->at < cap ? s->n - s->at : cap;
    memcpy(buf, s->p + s->at, n);
    s->at += n;
    return (ssize_t)n;
}

/* Turns a failed operation into the legacy's exception; NULL for the step's result. */
static a0ipc_json *raise_(char type[64], a0ipc_status *st, const char *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static a0ipc_json *raise_(char type[64], a0ipc_status *st, const char *t, const char *fmt, ...)
{
    snprintf(type, 64, "%s", t);
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    a0ipc_status_set(st, st->code, "%s", msg);
    return NULL;
}

/* The not-found / wrong-kind / other split every legacy function makes. */
static a0ipc_json *raise_for(char type[64], a0ipc_status *st, const char *missing,
                             const char *wrong_kind, const char *other, const char *path)
{
    if (st->code == A0IPC_NOT_FOUND && missing)
        return raise_(type, st, "FileNotFoundError", "%s: %s", missing, path);
    if (st->code == A0IPC_FAILED_PRECONDITION && wrong_kind)
        return raise_(type, st, "Exception", "%s: %s", wrong_kind, path);
    char *msg = strdup(a0ipc_status_message(st));
    a0ipc_json *r = raise_(type, st, "Exception", "%s %s: %s", other, path, msg);
    free(msg);
    return r;
}

static a0ipc_json *entry_json(const a0ipc_file_info *fi)
{
    a0ipc_json *o = a0ipc_json_object();
    assert_int_equal(a0ipc_json_object_add(o, "name", a0ipc_json_string(fi->name)), 0);
    assert_int_equal(a0ipc_json_object_add(o, "path", a0ipc_json_string(fi->path)), 0);
    assert_int_equal(
        a0ipc_json_object_add(o, "is_file", a0ipc_json_bool(fi->type == A0IPC_FILE_REGULAR)), 0);
    assert_int_equal(
        a0ipc_json_object_add(o, "is_dir", a0ipc_json_bool(fi->type == A0IPC_FILE_DIR)), 0);
    assert_int_equal(a0ipc_json_object_add(o, "size", a0ipc_json_int((int64_t)fi->size)), 0);
    assert_int_equal(
        a0ipc_json_object_add(o, "modified", a0ipc_json_float((double)fi->mtime_ns / 1e9)), 0);
    return o;
}

static bool glob_any(const a0ipc_json *g, const char *name)
{
    if (g->type == A0IPC_JSON_NULL)
        return false;
    if (g->type == A0IPC_JSON_STRING)
        return fnmatch(g->u.s.p, name, 0) == 0;
    for (size_t i = 0; i < g->u.arr.n; i++)
        if (fnmatch(g->u.arr.items[i]->u.s.p, name, 0) == 0)
            return true;
    return false;
}

static a0ipc_json *write_bytes(a0ipc_transport *t, const char *path, const uint8_t *data,
                               size_t len, char type[64], a0ipc_status *st)
{
    source src = {data, len, 0};
    a0ipc_write_options w = {.path = path, .create_parents = true};
    a0ipc_write_result wr;
    if (a0ipc_write(t, NULL, &w, from_source, &src, &wr, st) != A0IPC_OK)
        return raise_for(type, st, NULL, NULL, "Failed to write file", path);
    assert_int_equal(wr.bytes_written, len);
    return a0ipc_json_bool(true);
}

static a0ipc_json *exists(a0ipc_transport *t, const char *path, a0ipc_file_type want)
{
    a0ipc_file_info fi;
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool yes = a0ipc_stat(t, NULL, path, true, &fi, &st) == A0IPC_OK &&
               (want == A0IPC_FILE_UNSPECIFIED || fi.type == want);
    a0ipc_file_info_clear(&fi);
    a0ipc_status_clear(&st);
    return a0ipc_json_bool(yes);
}

static a0ipc_json *step(void *ctx, const char *fn, const a0ipc_json *args, char type[64],
                        a0ipc_status *st)
{
    a0ipc_transport *t = ctx;
    const char *path = lt_arg_str(args, 0);
    if (!strcmp(fn, "_read_file_as_base64_impl") || !strcmp(fn, "_read_file_binary_impl")) {
        bytes b = {0};
        if (a0ipc_read(t, NULL, path, 0, 0, to_bytes, &b, st) != A0IPC_OK) {
            free(b.p);
            return raise_for(type, st, "File not found", "Path is not a file",
                             "Failed to read file", path);
        }
        char *b64 = a0ipc_base64_encode(b.p, b.n);
        a0ipc_json *r = a0ipc_json_string(b64);
        free(b64);
        free(b.p);
        return r;
    }
    if (!strcmp(fn, "_write_file_from_base64_impl") || !strcmp(fn, "_write_file_binary_impl")) {
        const char *b64 = lt_arg_str(args, 1);
        uint8_t *data = NULL;
        size_t len = 0;
        if (a0ipc_base64_decode(b64, strlen(b64), &data, &len) != 0) {
            st->code = A0IPC_INVALID_ARGUMENT; /* refused before anything is sent */
            return raise_(type, st, "Exception",
                          "Failed to write file %s: Invalid base64-encoded string", path);
        }
        a0ipc_json *r = write_bytes(t, path, data, len, type, st);
        free(data);
        return r;
    }
    if (!strcmp(fn, "_delete_file_impl") || !strcmp(fn, "_delete_folder_impl")) {
        bool dir = !strcmp(fn, "_delete_folder_impl"), removed = false;
        if (a0ipc_remove(t, NULL, path, dir, false, dir ? A0IPC_FILE_DIR : A0IPC_FILE_REGULAR,
                         &removed, st) != A0IPC_OK)
            return dir ? raise_for(type, st, "Folder not found", "Path is not a directory",
                                   "Failed to delete folder", path)
                       : raise_for(type, st, "File not found", "Path is not a file",
                                   "Failed to delete file", path);
        assert_true(removed);
        return a0ipc_json_bool(true);
    }
    if (!strcmp(fn, "_list_folder_impl")) {
        a0ipc_file_list *l = NULL;
        if (a0ipc_list_dir(t, NULL, path, 1, lt_arg_bool(args, 1), &l, st) != A0IPC_OK)
            return raise_for(type, st, "Folder not found", "Path is not a directory",
                             "Failed to list folder", path);
        a0ipc_json *arr = a0ipc_json_array();
        for (size_t i = 0; i < l->n_entries; i++)
            assert_int_equal(a0ipc_json_array_add(arr, entry_json(&l->entries[i])), 0);
        a0ipc_file_list_free(l);
        return arr;
    }
    if (!strcmp(fn, "_make_dirs_impl")) {
        bool created;
        if (a0ipc_make_dir(t, NULL, path, 0, true, true, &created, st) != A0IPC_OK)
            return raise_for(type, st, NULL, NULL, "Failed to create directories", path);
        return a0ipc_json_bool(true);
    }
    if (!strcmp(fn, "_move_file_impl")) {
        const char *dst = lt_arg_str(args, 1);
        if (a0ipc_move(t, NULL, path, dst, true, true, st) != A0IPC_OK) {
            char *msg = strdup(a0ipc_status_message(st));
            a0ipc_json *r =
                raise_(type, st, "Exception", "Failed to move file %s to %s: %s", path, dst, msg);
            free(msg);
            return r;
        }
        return a0ipc_json_bool(true);
    }
    if (!strcmp(fn, "_path_exists_impl"))
        return exists(t, path, A0IPC_FILE_UNSPECIFIED);
    if (!strcmp(fn, "_file_exists_impl"))
        return exists(t, path, A0IPC_FILE_REGULAR);
    if (!strcmp(fn, "_folder_exists_impl"))
        return exists(t, path, A0IPC_FILE_DIR);
    if (!strcmp(fn, "_get_subdirectories_impl")) {
        a0ipc_json *arr = a0ipc_json_array();
        a0ipc_file_list *l = NULL;
        a0ipc_status lst = A0IPC_STATUS_INIT;
        if (a0ipc_list_dir(t, NULL, path, 1, true, &l, &lst) == A0IPC_OK)
            for (size_t i = 0; i < l->n_entries; i++) {
                const a0ipc_file_info *fi = &l->entries[i];
                if (fi->type == A0IPC_FILE_DIR && glob_any(args->u.arr.items[1], fi->name) &&
                    !glob_any(args->u.arr.items[2], fi->name))
                    assert_int_equal(a0ipc_json_array_add(arr, a0ipc_json_string(fi->name)), 0);
            }
        else
            assert_int_equal(lst.code, A0IPC_NOT_FOUND); /* the legacy gives [] then */
        a0ipc_file_list_free(l);
        a0ipc_status_clear(&lst);
        return arr;
    }
    fail_msg("files_transcripts.json: no mapping for %s", fn);
    return NULL;
}

/* Both transports must give the codes a0ipcd gives: the router's shadow compares them. */
static void check_code(void *ctx, const char *fn, const char *type, const a0ipc_status *st)
{
    (void)ctx;
    const char *msg = a0ipc_status_message(st);
    a0ipc_code want = !strcmp(type, "FileNotFoundError")   ? A0IPC_NOT_FOUND
                      : !strncmp(msg, "Path is not a", 13) ? A0IPC_FAILED_PRECONDITION
                      : !strcmp(fn, "_move_file_impl")     ? A0IPC_NOT_FOUND
                      : !strncmp(fn, "_write_file", 11)    ? A0IPC_INVALID_ARGUMENT
                                                           : A0IPC_UNKNOWN;
    if (st->code != want)
        fail_msg("%s: %s: code %s, want %s", fn, msg, a0ipc_code_name(st->code),
                 a0ipc_code_name(want));
}

static void legacy_transport_replays_transcripts(void **state)
{
    fixture *fx = *state;
    lt_replay_transcripts(fx->legacy.root, step, check_code, fx->legacy.t);
}

static void grpc_transport_replays_transcripts(void **state)
{
    fixture *fx = *state;
    lt_replay_transcripts(fx->grpc.root, step, check_code, fx->grpc.t);
}

/* ---- beyond the recording: the same operation on both transports answers alike ---- */

typedef struct pair {
    a0ipc_transport *t[2]; /* legacy, grpc */
    const char *what;
} pair;

static void same_code(const pair *p, const char *op, a0ipc_code want, a0ipc_code l, a0ipc_code g,
                      const a0ipc_status *ls, const a0ipc_status *gs)
{
    if (l != want || g != want)
        fail_msg("%s: legacy %s (%s), grpc %s (%s); want %s", op, a0ipc_code_name(l),
                 a0ipc_status_message(ls), a0ipc_code_name(g), a0ipc_status_message(gs),
                 a0ipc_code_name(want));
    (void)p;
}

static void stat_both(const pair *p, const char *path, a0ipc_code want)
{
    a0ipc_file_info fi[2];
    a0ipc_status st[2] = {A0IPC_STATUS_INIT, A0IPC_STATUS_INIT};
    a0ipc_code c[2];
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_stat(p->t[i], NULL, path, true, &fi[i], &st[i]);
    same_code(p, path, want, c[0], c[1], &st[0], &st[1]);
    if (want == A0IPC_OK) {
        assert_string_equal(fi[0].name, fi[1].name);
        assert_string_equal(fi[0].path, fi[1].path);
        assert_int_equal(fi[0].type, fi[1].type);
        if (fi[0].type == A0IPC_FILE_REGULAR)
            assert_int_equal(fi[0].size, fi[1].size);
        assert_int_equal(fi[0].mtime_ns, fi[1].mtime_ns);
    }
    for (int i = 0; i < 2; i++) {
        a0ipc_file_info_clear(&fi[i]);
        a0ipc_status_clear(&st[i]);
    }
}

static void write_both(const pair *p, const char *op, const a0ipc_write_options *w,
                       const char *content, a0ipc_code want)
{
    a0ipc_status st[2] = {A0IPC_STATUS_INIT, A0IPC_STATUS_INIT};
    a0ipc_code c[2];
    for (int i = 0; i < 2; i++) {
        source src = {(const uint8_t *)content, strlen(content), 0};
        a0ipc_write_result wr;
        c[i] = a0ipc_write(p->t[i], NULL, w, from_source, &src, &wr, &st[i]);
    }
    same_code(p, op, want, c[0], c[1], &st[0], &st[1]);
    a0ipc_status_clear(&st[0]);
    a0ipc_status_clear(&st[1]);
}

static void read_both(const pair *p, const char *path, uint64_t off, uint64_t len, a0ipc_code want,
                      const char *want_text)
{
    a0ipc_status st[2] = {A0IPC_STATUS_INIT, A0IPC_STATUS_INIT};
    a0ipc_code c[2];
    bytes b[2] = {{0}};
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_read(p->t[i], NULL, path, off, len, to_bytes, &b[i], &st[i]);
    same_code(p, path, want, c[0], c[1], &st[0], &st[1]);
    for (int i = 0; want_text && i < 2; i++) {
        assert_int_equal(b[i].n, strlen(want_text));
        assert_memory_equal(b[i].p, want_text, b[i].n);
    }
    for (int i = 0; i < 2; i++) {
        free(b[i].p);
        a0ipc_status_clear(&st[i]);
    }
}

static void both_transports_answer_alike(void **state)
{
    fixture *fx = *state;
    lt_reset_mtimes(fx->legacy.root);
    lt_reset_mtimes(fx->grpc.root);
    pair p = {{fx->legacy.t, fx->grpc.t}, ""};
    a0ipc_status st[2] = {A0IPC_STATUS_INIT, A0IPC_STATUS_INIT};
    a0ipc_code c[2];

    /* Stat, with relative paths (joined to the adapter's root, read beneath --root). */
    stat_both(&p, "a.txt", A0IPC_OK);
    stat_both(&p, "sub", A0IPC_OK);
    stat_both(&p, "sub/deeper/two.txt", A0IPC_OK);
    stat_both(&p, "missing", A0IPC_NOT_FOUND);
    stat_both(&p, "a.txt/x", A0IPC_FAILED_PRECONDITION);
    stat_both(&p, "", A0IPC_INVALID_ARGUMENT);

    /* A listing two levels deep: same entries in the same order. */
    a0ipc_file_list *l[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_list_dir(p.t[i], NULL, "sub", 2, false, &l[i], &st[i]);
    same_code(&p, "list sub depth 2", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    assert_int_equal(l[0]->n_entries, l[1]->n_entries);
    assert_true(l[0]->n_entries >= 3);
    for (size_t i = 0; i < l[0]->n_entries; i++) {
        assert_string_equal(l[0]->entries[i].path, l[1]->entries[i].path);
        assert_int_equal(l[0]->entries[i].type, l[1]->entries[i].type);
    }
    a0ipc_file_list_free(l[0]);
    a0ipc_file_list_free(l[1]);

    /* Ranges. */
    read_both(&p, "sub/deeper/two.txt", 4, 6, A0IPC_OK, "two\ntw");
    read_both(&p, "sub/deeper/two.txt", 400, 0, A0IPC_OK, "");
    read_both(&p, "sub/deeper/two.txt", 401, 0, A0IPC_OUT_OF_RANGE, NULL);

    /* The checks the legacy lacks, made by the adapter: nothing is written when they fail. */
    write_both(&p, "overwrite fail",
               &(a0ipc_write_options){.path = "a.txt", .overwrite = A0IPC_OVERWRITE_FAIL}, "x",
               A0IPC_ALREADY_EXISTS);
    write_both(&p, "no parents", &(a0ipc_write_options){.path = "nodir/f.txt"}, "x",
               A0IPC_NOT_FOUND);
    write_both(
        &p, "size",
        &(a0ipc_write_options){.path = "a.txt", .has_expected_size = true, .expected_size = 5},
        "xyz", A0IPC_FAILED_PRECONDITION);
    static const uint8_t zeros[32];
    write_both(&p, "sha256", &(a0ipc_write_options){.path = "a.txt", .expected_sha256 = zeros},
               "xyz", A0IPC_DATA_LOSS);
    read_both(&p, "a.txt", 0, 0, A0IPC_OK, "overwritten");

    bool b[2];
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_make_dir(p.t[i], NULL, "sub", 0, false, false, &b[i], &st[i]);
    same_code(&p, "mkdir existing", A0IPC_ALREADY_EXISTS, c[0], c[1], &st[0], &st[1]);
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_make_dir(p.t[i], NULL, "sub", 0, false, true, &b[i], &st[i]);
    same_code(&p, "mkdir exist_ok", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    assert_false(b[0] || b[1]);
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_make_dir(p.t[i], NULL, "x/y", 0, false, false, &b[i], &st[i]);
    same_code(&p, "mkdir no parents", A0IPC_NOT_FOUND, c[0], c[1], &st[0], &st[1]);
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_make_dir(p.t[i], NULL, "made", 0, false, false, &b[i], &st[i]);
    same_code(&p, "mkdir", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    assert_true(b[0] && b[1]);

    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_move(p.t[i], NULL, "a.txt", "sub/one.txt", false, false, &st[i]);
    same_code(&p, "move onto existing", A0IPC_ALREADY_EXISTS, c[0], c[1], &st[0], &st[1]);

    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_remove(p.t[i], NULL, "sub", false, false, 0, &b[i], &st[i]);
    same_code(&p, "remove non-empty", A0IPC_FAILED_PRECONDITION, c[0], c[1], &st[0], &st[1]);
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_remove(p.t[i], NULL, "gone", false, true, 0, &b[i], &st[i]);
    same_code(&p, "remove missing_ok", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    assert_false(b[0] || b[1]);
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_remove(p.t[i], NULL, "made", false, false, A0IPC_FILE_DIR, &b[i], &st[i]);
    same_code(&p, "remove empty dir", A0IPC_OK, c[0], c[1], &st[0], &st[1]);

    /* A zip either way (the legacy's temporary zip is fetched and removed). */
    bytes z[2] = {{0}};
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_archive(p.t[i], NULL, "sub", A0IPC_ARCHIVE_ZIP, true, to_bytes, &z[i], &st[i]);
    same_code(&p, "archive", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    for (int i = 0; i < 2; i++) {
        assert_true(z[i].n > 22);
        assert_memory_equal(z[i].p, "PK", 2);
        free(z[i].p);
    }

    a0ipc_serving sv[2];
    for (int i = 0; i < 2; i++)
        c[i] = a0ipc_health(p.t[i], NULL, "", &sv[i], &st[i]);
    same_code(&p, "health", A0IPC_OK, c[0], c[1], &st[0], &st[1]);
    assert_int_equal(sv[0], A0IPC_SERVING);
    assert_int_equal(sv[1], A0IPC_SERVING);

    /* What the legacy cannot do says so. */
    c[0] = a0ipc_archive(p.t[0], NULL, "sub", A0IPC_ARCHIVE_TAR_GZ, false, to_bytes, &z[0], &st[0]);
    assert_int_equal(c[0], A0IPC_UNIMPLEMENTED);
    assert_non_null(strstr(a0ipc_status_message(&st[0]), "zip"));
    a0ipc_status_clear(&st[0]);
    a0ipc_status_clear(&st[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(legacy_transport_replays_transcripts),
        cmocka_unit_test(grpc_transport_replays_transcripts),
        cmocka_unit_test(both_transports_answer_alike),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
