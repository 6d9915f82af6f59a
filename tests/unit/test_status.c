/* The error model: code names, the errno table, and status ownership. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "a0ipc/status.h"

static void code_names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < A0IPC_CODE_COUNT; c++)
        assert_int_equal(a0ipc_code_from_name(a0ipc_code_name((a0ipc_code)c)), c);
    assert_string_equal(a0ipc_code_name(A0IPC_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(a0ipc_code_name(A0IPC_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(a0ipc_code_name((a0ipc_code)17), "UNKNOWN_CODE");
    assert_string_equal(a0ipc_code_name((a0ipc_code)-1), "UNKNOWN_CODE");
    assert_int_equal(a0ipc_code_from_name("NOPE"), -1);
    assert_int_equal(a0ipc_code_from_name(NULL), -1);
}

static void errno_table(void **state)
{
    (void)state;
    static const struct {
        int err;
        a0ipc_code code;
    } rows[] = {
        {0, A0IPC_OK},
        {ENOENT, A0IPC_NOT_FOUND},
        {EEXIST, A0IPC_ALREADY_EXISTS},
        {EACCES, A0IPC_PERMISSION_DENIED},
        {EPERM, A0IPC_PERMISSION_DENIED},
        {EXDEV, A0IPC_PERMISSION_DENIED},
        {ENOTDIR, A0IPC_FAILED_PRECONDITION},
        {EISDIR, A0IPC_FAILED_PRECONDITION},
        {ENOTEMPTY, A0IPC_FAILED_PRECONDITION},
        {ELOOP, A0IPC_FAILED_PRECONDITION},
        {ENOSPC, A0IPC_RESOURCE_EXHAUSTED},
        {EDQUOT, A0IPC_RESOURCE_EXHAUSTED},
        {EMFILE, A0IPC_RESOURCE_EXHAUSTED},
        {EINVAL, A0IPC_INVALID_ARGUMENT},
        {ENAMETOOLONG, A0IPC_INVALID_ARGUMENT},
        {EFBIG, A0IPC_OUT_OF_RANGE},
        {EAGAIN, A0IPC_UNAVAILABLE},
        {ECONNREFUSED, A0IPC_UNAVAILABLE},
        {ETIMEDOUT, A0IPC_DEADLINE_EXCEEDED},
        {ECANCELED, A0IPC_CANCELLED},
        {ENOSYS, A0IPC_UNIMPLEMENTED},
        {EIO, A0IPC_DATA_LOSS},
        {EHWPOISON, A0IPC_INTERNAL}, /* not in the table: never OK by accident */
        {-12345, A0IPC_INTERNAL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (a0ipc_code_from_errno(rows[i].err) != rows[i].code)
            fail_msg("errno %d (%s): got %s, want %s", rows[i].err, strerror(rows[i].err),
                     a0ipc_code_name(a0ipc_code_from_errno(rows[i].err)),
                     a0ipc_code_name(rows[i].code));
    }
}

static void set_replaces_and_clear_frees(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_true(a0ipc_status_ok(&st));
    assert_string_equal(a0ipc_status_message(&st), "");
    assert_int_equal(a0ipc_status_set(&st, A0IPC_NOT_FOUND, "no session %s", "s-1"),
                     A0IPC_NOT_FOUND);
    assert_string_equal(st.message, "no session s-1");
    a0ipc_status_set(&st, A0IPC_ABORTED, "second %d", 2);
    assert_int_equal(st.code, A0IPC_ABORTED);
    assert_string_equal(st.message, "second 2");
    a0ipc_status_clear(&st);
    assert_int_equal(st.code, A0IPC_OK);
    assert_null(st.message);
}

static void from_errno_names_context_and_reason(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_status_from_errno(&st, ENOENT, "open %s", "a/b.txt"), A0IPC_NOT_FOUND);
    assert_string_equal(st.message, "open a/b.txt: No such file or directory");
    a0ipc_status_clear(&st);
}

static void move_transfers_ownership(void **state)
{
    (void)state;
    a0ipc_status a = A0IPC_STATUS_INIT, b = A0IPC_STATUS_INIT;
    a0ipc_status_set(&a, A0IPC_INTERNAL, "old");
    a0ipc_status_set(&b, A0IPC_UNAVAILABLE, "new");
    a0ipc_status_move(&a, &b);
    assert_int_equal(a.code, A0IPC_UNAVAILABLE);
    assert_string_equal(a.message, "new");
    assert_int_equal(b.code, A0IPC_OK);
    assert_null(b.message);
    a0ipc_status_move(&a, &a); /* self-move keeps the status */
    assert_string_equal(a.message, "new");
    a0ipc_status_clear(&a);
}

/* Every %s is capped at A0IPC_STATUS_QUOTE_MAX bytes; the other conversions print as printf
 * would, whatever their length modifiers and '*'. */
static void quoted_values_are_capped(void **state)
{
    (void)state;
    char *long_path = malloc(3801);
    memset(long_path, 'p', 3800);
    long_path[3800] = '\0';
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_status_from_errno(&st, ENOENT, "stat %s", long_path);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    char want[512];
    snprintf(want, sizeof want, "stat %.*s\u2026(+%d bytes): %s", A0IPC_STATUS_QUOTE_MAX, long_path,
             3800 - A0IPC_STATUS_QUOTE_MAX, strerror(ENOENT));
    assert_string_equal(st.message, want);

    /* never half a UTF-8 character: 'é' is 2 bytes, so 255 x 'a' + 'é' keeps only the a's */
    char utf[300];
    memset(utf, 'a', 255);
    strcpy(utf + 255, "\xc3\xa9tail");
    a0ipc_status_set(&st, A0IPC_INVALID_ARGUMENT, "[%s]", utf);
    snprintf(want, sizeof want, "[%.255s\u2026(+6 bytes)]", utf);
    assert_string_equal(st.message, want);

    /* two long values: each capped on its own, the message stays bounded */
    a0ipc_status_set(&st, A0IPC_ALREADY_EXISTS, "move %s to %s", long_path, long_path);
    assert_true(strlen(st.message) < 2 * A0IPC_STATUS_QUOTE_MAX + 64);

    /* a precision is the caller's own bound; "%s" alone passes a made message on */
    a0ipc_status_set(&st, A0IPC_INTERNAL, "%.300s|", long_path);
    assert_int_equal(strlen(st.message), 301);
    a0ipc_status_set(&st, A0IPC_INTERNAL, "%s", long_path);
    assert_string_equal(st.message, long_path);

    /* the other conversions */
    a0ipc_status_set(&st, A0IPC_INTERNAL, "%d %5u %ld %lld %llu %zu %o %x %c %.*s %*d %% %s %.2f",
                     -1, 7u, -2L, -3LL, 4ULL, (size_t)5, 8u, 255u, 'z', 2, "abc", 3, 9, "ok", 1.5);
    assert_string_equal(st.message, "-1     7 -2 -3 4 5 10 ff z ab   9 % ok 1.50");
    a0ipc_status_set(&st, A0IPC_INTERNAL, "short %s", "x");
    assert_string_equal(st.message, "short x");
    a0ipc_status_clear(&st);
    free(long_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(code_names_round_trip),
        cmocka_unit_test(errno_table),
        cmocka_unit_test(set_replaces_and_clear_frees),
        cmocka_unit_test(from_errno_names_context_and_reason),
        cmocka_unit_test(move_transfers_ownership),
        cmocka_unit_test(quoted_values_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
