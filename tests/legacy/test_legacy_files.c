/* Characterization: tests/fixtures/legacy/files_transcripts.json replayed through legacy_files.c
 * (the C legacy transport) against the reference server, on the fixture tree of its README,
 * compared by the rules of docs/legacy-protocol.md ("Comparing answers"):
 *   results exactly, except a directory's size and the order of _get_subdirectories_impl (a
 *   set); errors: the exception type exactly, the message exactly up to the first ':' that
 *   follows the path when the rest is a Python-specific reason.
 * Every mtime is set back to 1700000000 before each step, as the recorded run evidently did.
 * The zip functions, absent from the recording, are checked against docs/legacy-protocol.md. */
#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "legacy_replay.h"
#include "legacy_testutil.h"
#include "transport/legacy/legacy_base64.h"
#include "transport/legacy/legacy_errors.h"
#include "transport/legacy/legacy_files.h"

#define PASSWORD "characterization"

typedef struct fixture {
    lt_server srv;
    a0ipc_rfc_client *client;
    char *root;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    lt_server_start(&fx->srv, PASSWORD);
    a0ipc_rfc_config cfg = {.url = "127.0.0.1", .port = fx->srv.port, .password = PASSWORD};
    a0ipc_status st = A0IPC_STATUS_INIT;
    fx->client = a0ipc_rfc_client_new(&cfg, &st);
    assert_non_null(fx->client);
    fx->root = lt_mkdtemp("legacy-files");
    lt_build_fixture(fx->root);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    a0ipc_rfc_client_free(fx->client);
    lt_server_stop(&fx->srv);
    lt_rm_rf(fx->root);
    free(fx->root);
    free(fx);
    return 0;
}

/* A JSON glob argument as a0ipc_legacy_globs (v points into the JSON value). */
static a0ipc_legacy_globs *globs_of(const a0ipc_json *g, const char **buf, size_t cap,
                                    a0ipc_legacy_globs *out)
{
    if (g->type == A0IPC_JSON_NULL)
        return NULL;
    if (g->type == A0IPC_JSON_STRING) {
        buf[0] = g->u.s.p;
        *out = (a0ipc_legacy_globs){buf, 1, false};
        return out;
    }
    assert_int_equal(g->type, A0IPC_JSON_ARRAY);
    assert_true(g->u.arr.n <= cap);
    for (size_t i = 0; i < g->u.arr.n; i++)
        buf[i] = g->u.arr.items[i]->u.s.p;
    *out = (a0ipc_legacy_globs){buf, g->u.arr.n, true};
    return out;
}

static a0ipc_json *entries_json(const a0ipc_legacy_entries *e)
{
    a0ipc_json *arr = a0ipc_json_array();
    for (size_t i = 0; i < e->n; i++) {
        a0ipc_json *o = a0ipc_json_object();
        assert_int_equal(a0ipc_json_object_add(o, "name", a0ipc_json_string(e->v[i].name)), 0);
        assert_int_equal(a0ipc_json_object_add(o, "path", a0ipc_json_string(e->v[i].path)), 0);
        assert_int_equal(a0ipc_json_object_add(o, "is_file", a0ipc_json_bool(e->v[i].is_file)), 0);
        assert_int_equal(a0ipc_json_object_add(o, "is_dir", a0ipc_json_bool(e->v[i].is_dir)), 0);
        assert_int_equal(a0ipc_json_object_add(o, "size", a0ipc_json_int(e->v[i].size)), 0);
        assert_int_equal(a0ipc_json_object_add(o, "modified", a0ipc_json_float(e->v[i].modified)),
                         0);
        assert_int_equal(a0ipc_json_array_add(arr, o), 0);
    }
    return arr;
}

static a0ipc_json *bytes_json(const uint8_t *data, size_t len)
{
    char *b64 = a0ipc_base64_encode(data, len);
    a0ipc_json *s = a0ipc_json_string(b64);
    free(b64);
    return s;
}

/* Runs one step through the C functions; returns the result as the JSON the legacy would
 * have answered, or NULL with st and o->error_type set. */
static a0ipc_json *run_step_opts(fixture *fx, const char *fn, const a0ipc_json *args,
                                 a0ipc_rfc_opts *o, a0ipc_status *st)
{
    a0ipc_rfc_client *c = fx->client;
    uint8_t *data;
    size_t len;
    bool b;
    if (strcmp(fn, "_read_file_as_base64_impl") == 0 || strcmp(fn, "_read_file_binary_impl") == 0) {
        a0ipc_code code =
            fn[6] == 'f'
                ? a0ipc_legacy_read_file_as_base64(c, o, lt_arg_str(args, 0), &data, &len, st)
                : a0ipc_legacy_read_file_binary(c, o, lt_arg_str(args, 0), &data, &len, st);
        if (code != A0IPC_OK)
            return NULL;
        a0ipc_json *r = bytes_json(data, len);
        free(data);
        return r;
    }
    if (strcmp(fn, "_write_file_from_base64_impl") == 0)
        return a0ipc_legacy_write_file_from_base64(c, o, lt_arg_str(args, 0), lt_arg_str(args, 1),
                                                   st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_write_file_binary_impl") == 0) {
        const char *b64 = lt_arg_str(args, 1);
        assert_int_equal(a0ipc_base64_decode(b64, strlen(b64), &data, &len), 0);
        a0ipc_code code = a0ipc_legacy_write_file_binary(c, o, lt_arg_str(args, 0), data, len, st);
        free(data);
        return code == A0IPC_OK ? a0ipc_json_bool(true) : NULL;
    }
    if (strcmp(fn, "_delete_file_impl") == 0)
        return a0ipc_legacy_delete_file(c, o, lt_arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_delete_folder_impl") == 0)
        return a0ipc_legacy_delete_folder(c, o, lt_arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_make_dirs_impl") == 0)
        return a0ipc_legacy_make_dirs(c, o, lt_arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_move_file_impl") == 0)
        return a0ipc_legacy_move_file(c, o, lt_arg_str(args, 0), lt_arg_str(args, 1), st) ==
                       A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_path_exists_impl") == 0)
        return a0ipc_legacy_path_exists(c, o, lt_arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_file_exists_impl") == 0)
        return a0ipc_legacy_file_exists(c, o, lt_arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_folder_exists_impl") == 0)
        return a0ipc_legacy_folder_exists(c, o, lt_arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_list_folder_impl") == 0) {
        a0ipc_legacy_entries e;
        if (a0ipc_legacy_list_folder(c, o, lt_arg_str(args, 0), lt_arg_bool(args, 1), &e, st) !=
            A0IPC_OK)
            return NULL;
        a0ipc_json *r = entries_json(&e);
        a0ipc_legacy_entries_clear(&e);
        return r;
    }
    if (strcmp(fn, "_get_subdirectories_impl") == 0) {
        const char *ibuf[16], *ebuf[16];
        a0ipc_legacy_globs inc, exc;
        assert_int_equal(args->u.arr.n, 3);
        a0ipc_legacy_globs *ip = globs_of(args->u.arr.items[1], ibuf, 16, &inc);
        a0ipc_legacy_globs *ep = globs_of(args->u.arr.items[2], ebuf, 16, &exc);
        a0ipc_legacy_names names;
        if (a0ipc_legacy_get_subdirectories(c, o, lt_arg_str(args, 0), ip, ep, &names, st) !=
            A0IPC_OK)
            return NULL;
        a0ipc_json *r = a0ipc_json_array();
        for (size_t i = 0; i < names.n; i++)
            assert_int_equal(a0ipc_json_array_add(r, a0ipc_json_string(names.v[i])), 0);
        a0ipc_legacy_names_clear(&names);
        return r;
    }
    fail_msg("files_transcripts.json: no C function for %s", fn);
    return NULL;
}

static a0ipc_json *run_step(void *ctx, const char *fn, const a0ipc_json *args, char type[64],
                            a0ipc_status *st)
{
    a0ipc_rfc_opts o = {0};
    a0ipc_json *got = run_step_opts(ctx, fn, args, &o, st);
    snprintf(type, 64, "%s", o.error_type);
    return got;
}

/* The code is the error table's, from the type and the message as received. */
static void check_code(void *ctx, const char *fn, const char *type, const a0ipc_status *st)
{
    (void)ctx, (void)fn;
    assert_int_equal(st->code, a0ipc_legacy_code_for(type, a0ipc_status_message(st)));
    assert_int_equal(st->code,
                     strcmp(type, "FileNotFoundError") == 0 ? A0IPC_NOT_FOUND : A0IPC_UNKNOWN);
}

static void replays_files_transcripts(void **state)
{
    fixture *fx = *state;
    lt_replay_transcripts(fx->root, run_step, check_code, fx);
}

/* The names (sorted) and contents of a zip's entries, read back with libarchive. */
static void check_zip(struct archive *a, const char *const *names, const char *const *contents,
                      size_t n)
{
    char *seen[8];
    size_t k = 0;
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        assert_true(k < 8);
        seen[k] = strdup(archive_entry_pathname(e));
        char buf[512];
        ssize_t r = archive_read_data(a, buf, sizeof buf - 1);
        assert_true(r >= 0);
        buf[r] = '\0';
        size_t j = 0;
        while (j < n && strcmp(names[j], seen[k]) != 0)
            j++;
        if (j == n)
            fail_msg("unexpected zip entry %s", seen[k]);
        assert_true(strncmp(buf, contents[j], strlen(contents[j])) == 0);
        k++;
    }
    assert_int_equal(k, n);
    for (size_t i = 0; i < k; i++)
        free(seen[i]);
}

static void zip_functions(void **state)
{
    fixture *fx = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s/sub", fx->root);
    a0ipc_status st = A0IPC_STATUS_INIT;
    static const char *const with_base[] = {"sub/one.txt", "sub/deeper/two.txt"};
    static const char *const without[] = {"one.txt", "deeper/two.txt"};
    static const char *const contents[] = {"one\n", "two\ntwo\n"};

    /* _zip_dir_impl: a temporary zip on the server's side (here the same host). */
    char *zip_path;
    assert_int_equal(a0ipc_legacy_zip_dir(fx->client, NULL, path, &zip_path, &st), A0IPC_OK);
    size_t n = strlen(zip_path);
    assert_true(n > 4 && strcmp(zip_path + n - 4, ".zip") == 0);
    struct archive *a = archive_read_new();
    archive_read_support_format_zip(a);
    assert_int_equal(archive_read_open_filename(a, zip_path, 4096), ARCHIVE_OK);
    check_zip(a, with_base, contents, 2);
    archive_read_free(a);
    unlink(zip_path);
    free(zip_path);

    /* _read_directory_impl: the zip's bytes, entries relative to the directory. */
    uint8_t *zip;
    size_t len;
    assert_int_equal(a0ipc_legacy_read_directory(fx->client, NULL, path, &zip, &len, &st),
                     A0IPC_OK);
    a = archive_read_new();
    archive_read_support_format_zip(a);
    assert_int_equal(archive_read_open_memory(a, zip, len), ARCHIVE_OK);
    check_zip(a, without, contents, 2);
    archive_read_free(a);
    free(zip);

    a0ipc_rfc_opts o = {0};
    snprintf(path, sizeof path, "%s/none", fx->root);
    assert_int_equal(a0ipc_legacy_read_directory(fx->client, &o, path, &zip, &len, &st),
                     A0IPC_NOT_FOUND);
    assert_null(zip);
    assert_string_equal(o.error_type, "FileNotFoundError");
    a0ipc_status_clear(&st);
}

static void bad_arguments(void **state)
{
    fixture *fx = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool b;
    assert_int_equal(a0ipc_legacy_path_exists(fx->client, NULL, NULL, &b, &st),
                     A0IPC_INVALID_ARGUMENT);
    const char *two[] = {"a", "b"};
    a0ipc_legacy_globs not_one = {two, 2, false};
    a0ipc_legacy_names names;
    assert_int_equal(
        a0ipc_legacy_get_subdirectories(fx->client, NULL, fx->root, &not_one, NULL, &names, &st),
        A0IPC_INVALID_ARGUMENT);
    assert_int_equal(
        a0ipc_legacy_get_subdirectories(fx->client, NULL, fx->root, NULL, NULL, &names, &st),
        A0IPC_INVALID_ARGUMENT);
    assert_int_equal(a0ipc_legacy_write_file_binary(fx->client, NULL, fx->root, NULL, 3, &st),
                     A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(replays_files_transcripts, setup, teardown),
        cmocka_unit_test_setup_teardown(zip_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
