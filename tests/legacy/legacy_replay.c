#include "legacy_replay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "legacy_testutil.h"

const char *lt_arg_str(const a0ipc_json *args, size_t i)
{
    assert_true(i < args->u.arr.n);
    assert_int_equal(args->u.arr.items[i]->type, A0IPC_JSON_STRING);
    return args->u.arr.items[i]->u.s.p;
}

bool lt_arg_bool(const a0ipc_json *args, size_t i)
{
    assert_true(i < args->u.arr.n);
    assert_int_equal(args->u.arr.items[i]->type, A0IPC_JSON_BOOL);
    return args->u.arr.items[i]->u.b;
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

/* The rule for messages (docs/legacy-protocol.md, "Comparing answers"): exact, or equal up to the
 * first ':' after the path. */
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

void lt_replay_transcripts(const char *root, lt_step_fn step, lt_code_check_fn check, void *ctx)
{
    a0ipc_json *doc = lt_load_golden("files_transcripts.json");
    const a0ipc_json *steps = a0ipc_json_get(doc, "steps");
    assert_non_null(steps);
    assert_int_equal(steps->type, A0IPC_JSON_ARRAY);
    assert_true(steps->u.arr.n > 0);
    size_t errors = 0;
    for (size_t i = 0; i < steps->u.arr.n; i++) {
        const a0ipc_json *s = steps->u.arr.items[i];
        const a0ipc_json *fnv = a0ipc_json_get(s, "function");
        assert_non_null(fnv);
        const char *fn = fnv->u.s.p;
        a0ipc_json *args = lt_subst_root(a0ipc_json_get(s, "args"), root);
        const a0ipc_json *want_result = a0ipc_json_get(s, "result");
        const a0ipc_json *want_error = a0ipc_json_get(s, "error");
        assert_true((want_result != NULL) != (want_error != NULL));

        lt_reset_mtimes(root);
        char got_type[64] = "";
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_json *got = step(ctx, fn, args, got_type, &st);

        if (want_error) {
            a0ipc_json *want = lt_subst_root(want_error, root);
            const char *type = a0ipc_json_get(want, "type")->u.s.p;
            const char *message = a0ipc_json_get(want, "message")->u.s.p;
            if (got)
                fail_msg("step %zu %s: succeeded, want %s: %s", i, fn, type, message);
            if (strcmp(got_type, type) != 0 ||
                !message_matches(a0ipc_status_message(&st), message, root))
                fail_msg("step %zu %s: got %s: %s (%s)\nwant %s: %s", i, fn, got_type,
                         a0ipc_status_message(&st), a0ipc_code_name(st.code), type, message);
            if (check)
                check(ctx, fn, type, &st);
            a0ipc_json_free(want);
            errors++;
        } else {
            if (!got)
                fail_msg("step %zu %s: %s: %s (%s)", i, fn, got_type, a0ipc_status_message(&st),
                         a0ipc_code_name(st.code));
            a0ipc_json *want = lt_subst_root(want_result, root);
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
