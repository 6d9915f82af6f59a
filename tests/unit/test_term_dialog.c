/* Dialog detection on the tail of the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/term_dialog.h"

static bool match(const a0ipc_term_dialog *d, const char *tail)
{
    return a0ipc_term_dialog_match(d, (const uint8_t *)tail, strlen(tail));
}

static void test_legacy_patterns(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_dialog *d = a0ipc_term_dialog_new(NULL, 0, &st);
    assert_non_null(d);
    assert_true(match(d, "Continue? "));
    assert_true(match(d, "Do you want to continue? [Y/n] "));
    assert_true(match(d, "Overwrite (yes/no)"));
    assert_true(match(d, "Password:"));
    assert_true(match(d, "\x1b[1mProceed?\x1b[0m  \r\n"));
    assert_true(match(d, "Password:\r\n\r\n"));      /* empty lines do not count */
    assert_true(match(d, "Enter name:\nsomething")); /* one of the last two lines */
    assert_false(match(d, "line one\nline two\nall done"));
    assert_false(match(d, "question?\nline two\nline three"));
    assert_false(match(d, ""));
    a0ipc_term_dialog_free(d);
}

static void test_custom_patterns(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *pats[] = {"^>>> ?$", "press any key"};
    a0ipc_term_dialog *d = a0ipc_term_dialog_new(pats, 2, &st);
    assert_non_null(d);
    assert_true(match(d, "Python 3\n>>> "));
    assert_true(match(d, "PRESS ANY KEY to go on"));
    assert_false(match(d, "Continue?"));
    a0ipc_term_dialog_free(d);
}

static void test_bad_pattern(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *pats[] = {"ok", "(unclosed"};
    assert_null(a0ipc_term_dialog_new(pats, 2, &st));
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    assert_non_null(strstr(a0ipc_status_message(&st), "(unclosed"));
    a0ipc_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_patterns),
        cmocka_unit_test(test_custom_patterns),
        cmocka_unit_test(test_bad_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
