/* The legacy output cleaning: colours, carriage returns, escapes split anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/term_clean.h"

/* Cleans in one piece. */
static char *clean(const char *in)
{
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    assert_int_equal(a0ipc_term_clean((const uint8_t *)in, strlen(in), &t), 0);
    char *s = strdup(t.p ? t.p : "");
    a0ipc_term_text_free(&t);
    return s;
}

/* Cleans fed in pieces of `step` bytes (1 = byte by byte). */
static char *clean_split(const char *in, size_t step)
{
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(0);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    size_t len = strlen(in);
    for (size_t i = 0; i < len; i += step)
        assert_int_equal(
            a0ipc_term_clean_feed(c, (const uint8_t *)in + i, i + step < len ? step : len - i, &t),
            0);
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    a0ipc_term_clean_free(c);
    char *s = strdup(t.p ? t.p : "");
    a0ipc_term_text_free(&t);
    return s;
}

static void expect(const char *in, const char *want)
{
    char *got = clean(in);
    assert_string_equal(got, want);
    free(got);
    /* Any split gives the same text. */
    for (size_t step = 1; step <= 7; step++) {
        got = clean_split(in, step);
        assert_string_equal(got, want);
        free(got);
    }
}

static void test_plain_and_crlf(void **state)
{
    (void)state;
    expect("hello\r\nworld\r\n", "hello\nworld\n");
    expect("no newline", "no newline");
    expect("", "");
    expect("a\n\nb\n", "a\n\nb\n");
}

static void test_colours_removed(void **state)
{
    (void)state;
    expect("\x1b[01;34mdir\x1b[0m  \x1b[01;32mexe\x1b[0m\r\n", "dir  exe\n");
    expect("\x1b[38;5;196mred\x1b[m", "red");
    expect("\x1b(B\x1b[mplain\x1b"
           "7x\x1b"
           "8",
           "plainx"); /* charset, save/restore cursor */
}

static void test_osc_removed(void **state)
{
    (void)state;
    expect("\x1b]0;title\x07text\n", "text\n");
    expect("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n", "link\n");
}

static void test_carriage_return_progress(void **state)
{
    (void)state;
    expect("progress 10%\rprogress 50%\rprogress 100%\r\ndone\n", "progress 100%\ndone\n");
    /* A line that ends in \r keeps what the terminal shows. */
    expect("50%\r100%\r", "100%");
    expect("abc\rxy\n", "xy\n");
    expect("   \r  \n", "\n");
}

static void test_nul_and_trailing_space(void **state)
{
    (void)state;
    const char in[] = {'a', '\0', 'b', ' ', ' ', '\t', '\n', 'c', ' ', '\0'};
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    assert_int_equal(a0ipc_term_clean((const uint8_t *)in, sizeof in, &t), 0);
    assert_string_equal(t.p, "ab\nc");
    a0ipc_term_text_free(&t);
}

static void test_utf8(void **state)
{
    (void)state;
    expect("caf\xc3\xa9 \xe2\x98\x95\n", "caf\xc3\xa9 \xe2\x98\x95\n");
    expect("a\xffz\n", "a\xef\xbf\xbdz\n");     /* invalid byte -> U+FFFD */
    expect("a\xe2\x82z\n", "a\xef\xbf\xbdz\n"); /* truncated sequence -> one U+FFFD */
    expect("end\xe2\x82", "end\xef\xbf\xbd");
}

static void test_split_escape_keeps_text(void **state)
{
    (void)state;
    /* The colour sequence split at every place, mixed with \r\n. */
    expect("x\x1b[1;31mRED\x1b[0m\r\ny\r\n", "xRED\ny\n");
    /* ESC ESC: the first is alone, the second starts the sequence. */
    expect("a\x1b\x1b[0mb", "ab");
    /* A malformed CSI ends before the byte that breaks it. */
    expect("\x1b[12\nz", "\nz");
}

static void test_lines_come_whole(void **state)
{
    (void)state;
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(0);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)"Continue? ", 10, &t), 0);
    assert_int_equal(t.len, 0);
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    assert_string_equal(t.p, "Continue?");
    a0ipc_term_text_free(&t);
    a0ipc_term_clean_free(c);
}

static void test_long_line_is_bounded(void **state)
{
    (void)state;
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(16);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    char line[100];
    memset(line, 'x', sizeof line);
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)line, sizeof line, &t), 0);
    assert_true(t.len >= 80); /* given out in pieces, not held */
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    assert_int_equal(t.len, 100);
    a0ipc_term_text_free(&t);
    a0ipc_term_clean_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_crlf),
        cmocka_unit_test(test_colours_removed),
        cmocka_unit_test(test_osc_removed),
        cmocka_unit_test(test_carriage_return_progress),
        cmocka_unit_test(test_nul_and_trailing_space),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_split_escape_keeps_text),
        cmocka_unit_test(test_lines_come_whole),
        cmocka_unit_test(test_long_line_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
