/* The adapter interface's growth rule (include/a0ipc/transport.h): the released method table is
 * a prefix of today's, operations only ever appended, each with the version that added it; and
 * what the wrappers do with a program's own table (versions, missing methods, forwarding,
 * destroy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "a0ipc/transport.h"

typedef void (*any_fn)(void);

typedef struct op_row {
    int since;
    const char *name;
    size_t offset;
} op_row;

static const op_row ops[] = {
#define ROW(since, name, params, args) {since, #name, offsetof(a0ipc_transport_ops, name)},
    A0IPC_TRANSPORT_OPS(ROW)
#undef ROW
};
#define N_OPS (sizeof ops / sizeof ops[0])

/* The table as released: append a release's new operations here when it ships; never change a
 * row. A program compiled against a release finds these members at these places. */
static const struct {
    int since;
    const char *name;
} released[] = {
    {2, "health"},        {2, "stat"},          {2, "list_dir"},       {2, "read"},
    {2, "write"},         {2, "remove"},        {2, "make_dir"},       {2, "move"},
    {2, "archive"},       {2, "watch"},         {2, "create_session"}, {2, "run"},
    {2, "write_stdin"},   {2, "attach"},        {2, "resize"},         {2, "signal"},
    {2, "close_session"}, {2, "list_sessions"}, {2, "exec"},           {2, "health_watch"},
};

static void released_layout_is_a_prefix(void **state)
{
    (void)state;
    assert_true(N_OPS >= sizeof released / sizeof released[0]);
    for (size_t i = 0; i < sizeof released / sizeof released[0]; i++) {
        assert_string_equal(ops[i].name, released[i].name);
        assert_int_equal(ops[i].since, released[i].since);
    }
}

static void header_members_come_first(void **state)
{
    (void)state;
    assert_int_equal(offsetof(a0ipc_transport_ops, version), 0);
    assert_true(offsetof(a0ipc_transport_ops, name) < offsetof(a0ipc_transport_ops, destroy));
    assert_int_equal(ops[0].offset, offsetof(a0ipc_transport_ops, destroy) + sizeof(any_fn));
}

/* Appended in order, no holes: member i is at first + i pointers, and the table ends there. */
static void methods_are_contiguous_in_list_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OPS; i++)
        assert_int_equal(ops[i].offset, ops[0].offset + i * sizeof(any_fn));
    assert_int_equal(sizeof(a0ipc_transport_ops), ops[N_OPS - 1].offset + sizeof(any_fn));
}

/* since never goes down along the list, and the newest operation is the current version's. */
static void versions_only_grow(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OPS; i++) {
        assert_true(ops[i].since >= 2);
        assert_true(ops[i].since <= A0IPC_TRANSPORT_VERSION);
        if (i)
            assert_true(ops[i].since >= ops[i - 1].since);
    }
    assert_int_equal(ops[N_OPS - 1].since, A0IPC_TRANSPORT_VERSION);
}

/* ---- a program's own transport ---- */

typedef struct probe {
    int destroyed;
    const char *source, *destination;
    bool overwrite, create_parents;
} probe;

static a0ipc_code p_move(a0ipc_transport *t, const a0ipc_call_options *o, const char *source,
                         const char *destination, bool overwrite, bool create_parents,
                         a0ipc_status *st)
{
    (void)o;
    probe *p = a0ipc_transport_ctx(t);
    p->source = source;
    p->destination = destination;
    p->overwrite = overwrite;
    p->create_parents = create_parents;
    return a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "probe");
}

static void p_destroy(a0ipc_transport *t)
{
    ((probe *)a0ipc_transport_ctx(t))->destroyed++;
}

static const a0ipc_transport_ops probe_ops = {
    .version = A0IPC_TRANSPORT_VERSION,
    .name = "probe",
    .destroy = p_destroy,
    .move = p_move,
};

static void wrappers_forward_and_destroy_once(void **state)
{
    (void)state;
    probe p = {0};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_transport_new(&probe_ops, &p, &st);
    assert_non_null(t);
    assert_string_equal(a0ipc_transport_name(t), "probe");
    assert_ptr_equal(a0ipc_transport_ctx(t), &p);
    assert_int_equal(a0ipc_move(t, NULL, "a", "b", true, false, &st), A0IPC_ALREADY_EXISTS);
    assert_string_equal(p.source, "a");
    assert_string_equal(p.destination, "b");
    assert_true(p.overwrite);
    assert_false(p.create_parents);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    assert_int_equal(p.destroyed, 1);
    a0ipc_transport_free(NULL);
}

static void missing_methods_are_unimplemented(void **state)
{
    (void)state;
    probe p = {0};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_transport_new(&probe_ops, &p, &st);
    assert_non_null(t);
    assert_true(a0ipc_transport_has(t, "move"));
    assert_false(a0ipc_transport_has(t, "stat"));
    assert_false(a0ipc_transport_has(t, "no_such_operation"));
    a0ipc_file_info fi = {0};
    assert_int_equal(a0ipc_stat(t, NULL, "x", false, &fi, &st), A0IPC_UNIMPLEMENTED);
    assert_string_equal(a0ipc_status_message(&st), "the probe transport has no stat");
    a0ipc_status_clear(&st);
    assert_int_equal(a0ipc_stat(NULL, NULL, "x", false, &fi, &st), A0IPC_UNIMPLEMENTED);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
}

/* A table from a newer header is read as far as this library knows it; version 1 (0.1's layout,
 * not a table) and garbage are refused, and the context stays the caller's. */
static void table_versions(void **state)
{
    (void)state;
    probe p = {0};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport_ops newer = probe_ops;
    newer.version = A0IPC_TRANSPORT_VERSION + 1;
    a0ipc_transport *t = a0ipc_transport_new(&newer, &p, &st);
    assert_non_null(t);
    assert_int_equal(a0ipc_move(t, NULL, "a", "b", false, true, &st), A0IPC_ALREADY_EXISTS);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);

    for (int v = -1; v <= 1; v++) {
        a0ipc_transport_ops old = probe_ops;
        old.version = v;
        assert_null(a0ipc_transport_new(&old, &p, &st));
        assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
        a0ipc_status_clear(&st);
    }
    assert_null(a0ipc_transport_new(NULL, &p, &st));
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    assert_int_equal(p.destroyed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(released_layout_is_a_prefix),
        cmocka_unit_test(header_members_come_first),
        cmocka_unit_test(methods_are_contiguous_in_list_order),
        cmocka_unit_test(versions_only_grow),
        cmocka_unit_test(wrappers_forward_and_destroy_once),
        cmocka_unit_test(missing_methods_are_unimplemented),
        cmocka_unit_test(table_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
