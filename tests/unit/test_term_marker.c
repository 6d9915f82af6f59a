/* The completion marker: found and removed wherever reads split it; look-alikes pass through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/term_marker.h"
#include "services/term_shell.h"

#define NONCE "0123456789abcdef0123456789abcdef"

typedef struct result {
    char out[4096];
    size_t out_len;
    a0ipc_term_mark marks[8];
    size_t mark_at[8]; /* output length when each marker was found */
    int n_marks;
} result;

/* Feeds in pieces of `step` bytes and collects output and markers. */
static void run(const char *in, size_t len, size_t step, result *r)
{
    memset(r, 0, sizeof *r);
    a0ipc_term_marker m;
    a0ipc_term_marker_init(&m, NONCE);
    uint8_t out[64 + A0IPC_TERM_MARKER_MAX];
    for (size_t i = 0; i < len; i += step) {
        const uint8_t *p = (const uint8_t *)in + i;
        size_t n = i + step < len ? step : len - i;
        while (n > 0) {
            size_t out_len;
            bool found;
            a0ipc_term_mark mk;
            size_t used = a0ipc_term_marker_feed(&m, p, n, out, &out_len, &found, &mk);
            memcpy(r->out + r->out_len, out, out_len);
            r->out_len += out_len;
            if (found) {
                r->mark_at[r->n_marks] = r->out_len;
                r->marks[r->n_marks++] = mk;
            }
            p += used;
            n -= used;
        }
    }
    r->out_len += a0ipc_term_marker_flush(&m, (uint8_t *)r->out + r->out_len);
}

static void test_marker_every_split(void **state)
{
    (void)state;
    const char *in = "output line\r\n\x1b]a0;" NONCE ";7;127\x07next";
    for (size_t step = 1; step <= strlen(in); step++) {
        result r;
        run(in, strlen(in), step, &r);
        assert_int_equal(r.n_marks, 1);
        assert_int_equal(r.marks[0].id, 7);
        assert_int_equal(r.marks[0].exit_code, 127);
        assert_int_equal(r.mark_at[0], 13);
        assert_int_equal(r.out_len, 17);
        assert_memory_equal(r.out, "output line\r\nnext", 17);
    }
}

static void test_marker_without_number(void **state)
{
    (void)state;
    const char *in = "\x1b]a0;" NONCE ";;0\x07";
    result r;
    run(in, strlen(in), 3, &r);
    assert_int_equal(r.n_marks, 1);
    assert_int_equal(r.marks[0].id, 0);
    assert_int_equal(r.marks[0].exit_code, 0);
    assert_int_equal(r.out_len, 0);
}

static void test_two_markers_back_to_back(void **state)
{
    (void)state;
    const char *in = "\x1b]a0;" NONCE ";1;0\x07\x1b]a0;" NONCE ";2;1\x07";
    result r;
    run(in, strlen(in), 5, &r);
    assert_int_equal(r.n_marks, 2);
    assert_int_equal(r.marks[1].id, 2);
    assert_int_equal(r.marks[1].exit_code, 1);
}

static void test_lookalikes_pass_through(void **state)
{
    (void)state;
    const char *cases[] = {
        "\x1b]a0;ffffffffffffffffffffffffffffffff;1;0\x07", /* another session's nonce */
        "\x1b]0;window title\x07",                          /* an ordinary OSC */
        "\x1b[31mred\x1b[0m",                               /* colours */
        "\x1b]a0;" NONCE ";1;\x07",                         /* no status */
        "\x1b]a0;" NONCE ";x;0\x07",                        /* not a number */
        "\x1b\x1b]a0;" NONCE,                               /* unfinished at the end */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t step = 1; step <= 4; step++) {
            result r;
            run(cases[c], strlen(cases[c]), step, &r);
            assert_int_equal(r.n_marks, 0);
            assert_int_equal(r.out_len, strlen(cases[c]));
            assert_memory_equal(r.out, cases[c], r.out_len);
        }
    }
}

static void test_esc_inside_broken_marker_starts_a_new_one(void **state)
{
    (void)state;
    const char *in = "\x1b]a0;01\x1b]a0;" NONCE ";3;2\x07";
    result r;
    run(in, strlen(in), 1, &r);
    assert_int_equal(r.n_marks, 1);
    assert_int_equal(r.marks[0].id, 3);
    assert_int_equal(r.out_len, 7);
    assert_memory_equal(r.out, "\x1b]a0;01", 7);
}

static void test_setup_line_prints_the_marker(void **state)
{
    (void)state;
    char *s = a0ipc_term_marker_setup(NONCE);
    assert_non_null(s);
    assert_non_null(strstr(s, "PROMPT_COMMAND="));
    assert_non_null(strstr(s, NONCE));
    assert_int_equal(s[strlen(s) - 1], '\n');
    free(s);
    char nonce[A0IPC_TERM_NONCE_LEN + 1];
    assert_int_equal(a0ipc_term_random_hex(nonce), 0);
    assert_int_equal(strspn(nonce, "0123456789abcdef"), A0IPC_TERM_NONCE_LEN);
}

static void test_shell_line(void **state)
{
    (void)state;
    size_t n;
    char *l = a0ipc_term_shell_line(5, "echo 'hi'", 9, NULL, &n);
    assert_string_equal(l, "__a0_id=5; eval 'echo '\\''hi'\\'''\n");
    assert_int_equal(n, strlen(l));
    free(l);
    l = a0ipc_term_shell_line(6, NULL, 0, "/tmp/x y/cmd", &n);
    assert_string_equal(l, "__a0_id=6; eval \"$(< '/tmp/x y/cmd')\"\n");
    free(l);
    assert_true(a0ipc_term_shell_inline_ok("echo a\n\techo b", 14));
    assert_false(a0ipc_term_shell_inline_ok("printf '\x03'", 11));
    char long_line[2000];
    memset(long_line, 'a', sizeof long_line);
    assert_false(a0ipc_term_shell_inline_ok(long_line, sizeof long_line));
    assert_int_equal(a0ipc_term_shell_trim("ls\n\n", 4), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_every_split),
        cmocka_unit_test(test_marker_without_number),
        cmocka_unit_test(test_two_markers_back_to_back),
        cmocka_unit_test(test_lookalikes_pass_through),
        cmocka_unit_test(test_esc_inside_broken_marker_starts_a_new_one),
        cmocka_unit_test(test_setup_line_prints_the_marker),
        cmocka_unit_test(test_shell_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
