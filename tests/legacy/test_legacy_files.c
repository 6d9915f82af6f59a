/* Characterization: ../shared/legacy/files_transcripts.json replayed through legacy_files.c
 * (the C legacy transport) against the reference server, on the fixture tree of the legacy
 * README §2, compared by the rules written there:
 *   results exactly, except a directory's size and the order of _get_subdirectories_impl (a
 *   set); errors: the exception type exactly, the message exactly up to the first ':' that
 *   follows the path when the rest is a Python-specific reason.
 * Every mtime is set back to 1700000000 before each step, as the recorded run evidently did.
 * The zip functions, absent from the recording, are checked against the README's description. */
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

static const char *arg_str(const a0ipc_json *args, size_t i)
{
    assert_true(i < args->u.arr.n);
    assert_int_equal(args->u.arr.items[i]->type, A0IPC_JSON_STRING);
    return args->u.arr.items[i]->u.s.p;
}

static bool arg_bool(const a0ipc_json *args, size_t i)
{
    assert_true(i < args->u.arr.n);
    assert_int_equal(args->u.arr.items[i]->type, A0IPC_JSON_BOOL);
    return args->u.arr.items[i]->u.b;
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

/* A directory's size is file-system dependent: set it to 0 on both sides. */
static void zero_dir_sizes(a0ipc_json *list)
{
    for (size_t i = 0; i < list->u.arr.n; i++) {
        const a0ipc_json *is_dir = a0ipc_json_get(list->u.arr.items[i], "is_dir");
        a0ipc_json *size = (a0ipc_json *)a0ipc_json_get(list->u.arr.items[i], "size");
        if (is_dir && is_dir->type == A0IPC_JSON_BOOL && is_dir->u.b && size)
            size->u.i = 0;
    }
}

static int cmp_str(const void *a, const void *b)
{
    const a0ipc_json *x = *(a0ipc_json *const *)a, *y = *(a0ipc_json *const *)b;
    return strcmp(x->u.s.p, y->u.s.p);
}

static void sort_strings(a0ipc_json *list)
{
    if (list->u.arr.n > 1)
        qsort(list->u.arr.items, list->u.arr.n, sizeof list->u.arr.items[0], cmp_str);
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
static a0ipc_json *run_step(fixture *fx, const char *fn, const a0ipc_json *args, a0ipc_rfc_opts *o,
                            a0ipc_status *st)
{
    a0ipc_rfc_client *c = fx->client;
    uint8_t *data;
    size_t len;
    bool b;
    if (strcmp(fn, "_read_file_as_base64_impl") == 0 || strcmp(fn, "_read_file_binary_impl") == 0) {
        a0ipc_code code =
            fn[6] == 'f' ? a0ipc_legacy_read_file_as_base64(c, o, arg_str(args, 0), &data, &len, st)
                         : a0ipc_legacy_read_file_binary(c, o, arg_str(args, 0), &data, &len, st);
        if (code != A0IPC_OK)
            return NULL;
        a0ipc_json *r = bytes_json(data, len);
        free(data);
        return r;
    }
    if (strcmp(fn, "_write_file_from_base64_impl") == 0)
        return a0ipc_legacy_write_file_from_base64(c, o, arg_str(args, 0), arg_str(args, 1), st) ==
                       A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_write_file_binary_impl") == 0) {
        const char *b64 = arg_str(args, 1);
        assert_int_equal(a0ipc_base64_decode(b64, strlen(b64), &data, &len), 0);
        a0ipc_code code = a0ipc_legacy_write_file_binary(c, o, arg_str(args, 0), data, len, st);
        free(data);
        return code == A0IPC_OK ? a0ipc_json_bool(true) : NULL;
    }
    if (strcmp(fn, "_delete_file_impl") == 0)
        return a0ipc_legacy_delete_file(c, o, arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_delete_folder_impl") == 0)
        return a0ipc_legacy_delete_folder(c, o, arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_make_dirs_impl") == 0)
        return a0ipc_legacy_make_dirs(c, o, arg_str(args, 0), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_move_file_impl") == 0)
        return a0ipc_legacy_move_file(c, o, arg_str(args, 0), arg_str(args, 1), st) == A0IPC_OK
                   ? a0ipc_json_bool(true)
                   : NULL;
    if (strcmp(fn, "_path_exists_impl") == 0)
        return a0ipc_legacy_path_exists(c, o, arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_file_exists_impl") == 0)
        return a0ipc_legacy_file_exists(c, o, arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_folder_exists_impl") == 0)
        return a0ipc_legacy_folder_exists(c, o, arg_str(args, 0), &b, st) == A0IPC_OK
                   ? a0ipc_json_bool(b)
                   : NULL;
    if (strcmp(fn, "_list_folder_impl") == 0) {
        a0ipc_legacy_entries e;
        if (a0ipc_legacy_list_folder(c, o, arg_str(args, 0), arg_bool(args, 1), &e, st) != A0IPC_OK)
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
        if (a0ipc_legacy_get_subdirectories(c, o, arg_str(args, 0), ip, ep, &names, st) != A0IPC_OK)
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

/* The README's rule for messages: exact, or equal up to the first ':' after the path. */
static bool message_matches(const char *got, const char *want, const char *root)
{
    if (strcmp(got, want) == 0)
        return true;
    const char *at = strstr(want, root);
    if (!at)
        return false;
    const char *colon = strchr(at + strlen(root), ':');
    if (!colon)
        return false;
    size_t n = (size_t)(colon - want) + 1;
    return strncmp(got, want, n) == 0;
}

static char *dump(const a0ipc_json *v)
{
    a0ipc_jbuf b = {0};
    a0ipc_json_dump(&b, v);
    return b.p;
}

static void replays_files_transcripts(void **state)
{
    fixture *fx = *state;
    a0ipc_json *doc = lt_load_golden("files_transcripts.json");
    const a0ipc_json *steps = a0ipc_json_get(doc, "steps");
    assert_non_null(steps);
    assert_int_equal(steps->type, A0IPC_JSON_ARRAY);
    assert_true(steps->u.arr.n > 0);
    size_t errors = 0;
    for (size_t i = 0; i < steps->u.arr.n; i++) {
        const a0ipc_json *step = steps->u.arr.items[i];
        const a0ipc_json *fnv = a0ipc_json_get(step, "function");
        assert_non_null(fnv);
        const char *fn = fnv->u.s.p;
        a0ipc_json *args = lt_subst_root(a0ipc_json_get(step, "args"), fx->root);
        const a0ipc_json *want_result = a0ipc_json_get(step, "result");
        const a0ipc_json *want_error = a0ipc_json_get(step, "error");
        assert_true((want_result != NULL) != (want_error != NULL));

        lt_reset_mtimes(fx->root);
        a0ipc_rfc_opts o = {0};
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_json *got = run_step(fx, fn, args, &o, &st);

        if (want_error) {
            a0ipc_json *want = lt_subst_root(want_error, fx->root);
            const char *type = a0ipc_json_get(want, "type")->u.s.p;
            const char *message = a0ipc_json_get(want, "message")->u.s.p;
            if (got)
                fail_msg("step %zu %s: succeeded, want %s: %s", i, fn, type, message);
            if (strcmp(o.error_type, type) != 0 ||
                !message_matches(a0ipc_status_message(&st), message, fx->root))
                fail_msg("step %zu %s: got %s: %s (%s)\nwant %s: %s", i, fn, o.error_type,
                         a0ipc_status_message(&st), a0ipc_code_name(st.code), type, message);
            /* And the code is the table's, from the type and the message as received. */
            assert_int_equal(st.code, a0ipc_legacy_code_for(type, a0ipc_status_message(&st)));
            assert_int_equal(st.code, strcmp(type, "FileNotFoundError") == 0 ? A0IPC_NOT_FOUND
                                                                             : A0IPC_UNKNOWN);
            a0ipc_json_free(want);
            errors++;
        } else {
            if (!got)
                fail_msg("step %zu %s: %s: %s (%s)", i, fn, o.error_type, a0ipc_status_message(&st),
                         a0ipc_code_name(st.code));
            a0ipc_json *want = lt_subst_root(want_result, fx->root);
            if (strcmp(fn, "_list_folder_impl") == 0) {
                zero_dir_sizes(got);
                zero_dir_sizes(want);
            } else if (strcmp(fn, "_get_subdirectories_impl") == 0) {
                sort_strings(got);
                sort_strings(want);
            }
            if (!a0ipc_json_equal(got, want)) {
                char *g = dump(got), *w = dump(want);
                fail_msg("step %zu %s:\n got: %s\nwant: %s", i, fn, g, w);
            }
            a0ipc_json_free(want);
        }
        a0ipc_json_free(got);
        a0ipc_json_free(args);
        a0ipc_status_clear(&st);
    }
    assert_true(errors > 0);
    a0ipc_json_free(doc);
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
