/* Run's clean_output: the legacy cleaning (common/legacy_clean.h) streamed line by line. The
 * proof that streaming changes nothing: random outputs, cut at random places, give exactly
 * a0ipc_legacy_clean_output of the whole; then the cases the streaming adds (lines held whole,
 * the unfinished last line, UTF-8 and escapes split across feeds, overlong lines in pieces).
 * tests/unit/test_legacy_clean_python.py checks the same against the legacy's Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/legacy_clean.h"
#include "services/term_clean.h"

static char *legacy(const uint8_t *in, size_t len)
{
    char *s = a0ipc_legacy_clean_output(in, len, NULL);
    assert_non_null(s);
    return s;
}

/* Cleans in pieces whose sizes come from cuts[] in turn (0-terminated, repeated). */
static char *stream(const uint8_t *in, size_t len, size_t max_line, const size_t *cuts)
{
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(max_line);
    assert_non_null(c);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    assert_int_equal(a0ipc_term_text_add(&t, "", 0), 0);
    size_t k = 0;
    for (size_t at = 0; at < len;) {
        size_t n = cuts[k++];
        if (cuts[k] == 0)
            k = 0;
        if (n > len - at)
            n = len - at;
        assert_int_equal(a0ipc_term_clean_feed(c, in + at, n, &t), 0);
        at += n;
    }
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    a0ipc_term_clean_free(c);
    return t.p;
}

static void expect(const char *in, const char *want)
{
    static const size_t steps[][2] = {{1, 0}, {2, 0}, {3, 0}, {5, 0}, {7, 0}, {4096, 0}};
    size_t len = strlen(in);
    char *got = legacy((const uint8_t *)in, len);
    assert_string_equal(got, want);
    free(got);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        got = stream((const uint8_t *)in, len, 0, steps[i]);
        assert_string_equal(got, want);
        free(got);
    }
}

/* ---- the proof: random outputs, random cuts ---- */

static uint32_t rng_state = 20240607;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* What terminals print, and what breaks parsers: escapes of every kind, carriage returns, NUL,
 * white space of every kind, valid and broken UTF-8, "\n" in awkward places. */
static const char *const pieces[] = {
    "a",
    "hello",
    "root@box:~# ",
    " ",
    "  ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\r\r\n",
    "\x1b",
    "\x1b[",
    "\x1b[0m",
    "\x1b[31;1m",
    "\x1b[?2004h",
    "\x1b[2K",
    "\x1b[ q",
    "\x1b]0;title\x07",
    "\x1b]",
    "\x1bM",
    "\x1b\\",
    "\x1b"
    "7",
    "\x1b(B",
    "\x1b[1",
    "\x1b[;",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\xc2\xa0",
    "\xe2\x80\xa8",
    "\xe3\x80\x80",
    "\xc2\x85",
    "\xe2\x80\x8b",
    "caf\xc3\xa9",
    "\xe2\x98\x95",
    "\xf0\x9f\x98\x80",
    "\xff",
    "\xc3",
    "\xe2\x82",
    "\xed\xa0\x80",
    "\xf0\x9f\x98",
    "\xf4\x90\x80\x80",
    "\xc0\x80",
    "\x80",
    "progress 50%\r",
    "progress 100%\r\n",
    "Y/N? ",
    "\x1b\n",
    "\x1b[\n",
    "\xe2\n",
    "\r\x1b[0m\n",
};

static size_t random_output(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    if (rnd(8) == 0) { /* raw random bytes, NULs included */
        size_t len = 1 + rnd(200);
        for (; n < len && n < cap; n++)
            buf[n] = (uint8_t)rnd(256);
        return n;
    }
    for (uint32_t k = 1 + rnd(60); k > 0; k--) {
        const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
        size_t len = strlen(p);
        if (rnd(20) == 0) { /* a NUL, which strlen cannot carry in a piece */
            p = "\0";
            len = 1;
        }
        if (n + len > cap)
            break;
        memcpy(buf + n, p, len);
        n += len;
    }
    return n;
}

static void test_streamed_equals_legacy_whole(void **state)
{
    (void)state;
    uint8_t buf[4096];
    for (int i = 0; i < 20000; i++) {
        size_t len = random_output(buf, sizeof buf);
        size_t cuts[9];
        for (size_t k = 0; k < 8; k++)
            cuts[k] = 1 + rnd(i % 2 ? 5 : 300);
        cuts[8] = 0;
        char *want = legacy(buf, len);
        char *got = stream(buf, len, 0, cuts);
        if (strcmp(got, want) != 0)
            fail_msg("case %d (%zu bytes): streamed\n \"%s\"\nwhole\n \"%s\"", i, len, got, want);
        free(got);
        free(want);
    }
}

/* ---- what the legacy does, through the stream ---- */

static void test_plain_and_crlf(void **state)
{
    (void)state;
    expect("hello\r\nworld\r\n", "hello\nworld\n");
    expect("no newline", "no newline");
    expect("", "");
    expect("a\n\nb\n", "a\n\nb\n");
    expect("a\r\r\nb", "a\nb"); /* "\r\r\n" -> "\r\n": the part after the last \r is blank */
}

static void test_escapes_as_the_legacy_regex(void **state)
{
    (void)state;
    expect("\x1b[01;34mdir\x1b[0m  \x1b[01;32mexe\x1b[0m\r\n", "dir  exe\n");
    expect("\x1b[38;5;196mred\x1b[m", "red");
    expect("\x1b[?2004hroot@box:~# \x1b[?2004l\r\n", "root@box:~#\n");
    /* Only ESC + one byte of @..Z \ ] ^ _, or a CSI: ESC ( B and ESC 7 stay whole */
    expect("\x1b(B\x1b[mplain\x1b"
           "7x\x1b"
           "8",
           "\x1b(Bplain\x1b"
           "7x\x1b"
           "8");
    /* an OSC loses its ESC ] only: the title text stays */
    expect("\x1b]0;title\x07text\n", "0;title\x07text\n");
    /* a CSI without its final byte is not one */
    expect("\x1b[12\nz", "\x1b[12\nz");
    expect("a\x1b\x1b[0mb", "a\x1b"
                            "b");
}

static void test_carriage_returns(void **state)
{
    (void)state;
    expect("progress 10%\rprogress 50%\rprogress 100%\r\ndone\n", "progress 100%\ndone\n");
    expect("50%\r100%\r", "100%"); /* the last part that is not blank */
    expect("abc\rxy\n", "xy\n");
    /* a line with no text at all stays as it was, carriage returns and spaces included */
    expect("   \r  \n", "   \r  \n");
    expect("x  \n \t\n", "x\n \t\n");
}

static void test_unicode_spaces_and_nul(void **state)
{
    (void)state;
    /* Python's isspace: U+00A0, U+3000 and \x1c are white space, U+200B is not */
    expect("a\xc2\xa0\n", "a\n");
    expect("b\xe3\x80\x80\r\n", "b\n");
    expect("c\x1c\n", "c\n");
    expect("d\xe2\x80\x8b\n", "d\xe2\x80\x8b\n");
    const char in[] = {'a', '\0', 'b', ' ', ' ', '\t', '\n', 'c', ' ', '\0'};
    static const size_t one[] = {1, 0};
    char *got = stream((const uint8_t *)in, sizeof in, 0, one);
    assert_string_equal(got, "ab\nc");
    free(got);
}

static void test_utf8(void **state)
{
    (void)state;
    expect("caf\xc3\xa9 \xe2\x98\x95\n", "caf\xc3\xa9 \xe2\x98\x95\n");
    expect("a\xffz\n", "a\xef\xbf\xbdz\n");     /* invalid byte -> U+FFFD */
    expect("a\xe2\x82z\n", "a\xef\xbf\xbdz\n"); /* truncated sequence -> one U+FFFD */
    expect("end\xe2\x82", "end\xef\xbf\xbd");   /* unfinished at the end */
}

static void test_lines_come_whole(void **state)
{
    (void)state;
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(0);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)"one\r\nContinue? ", 15, &t), 0);
    assert_int_equal(t.len, 4);
    assert_memory_equal(t.p, "one\n", 4);
    /* a character split across feeds waits for its end */
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)"\xe2\x98", 2, &t), 0);
    assert_int_equal(t.len, 4);
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)"\x95", 1, &t), 0);
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    assert_string_equal(t.p, "one\nContinue? \xe2\x98\x95");
    /* finish starts a new line */
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    assert_string_equal(t.p, "one\nContinue? \xe2\x98\x95");
    a0ipc_term_text_free(&t);
    a0ipc_term_clean_free(c);
}

static void test_overlong_line_in_pieces(void **state)
{
    (void)state;
    static const size_t whole[] = {4096, 0}, bytes[] = {1, 0}, odd[] = {3, 7, 0};
    /* Memory is bounded: 100 bytes through a 16-byte bound come out before the end. */
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(16);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    char line[100];
    memset(line, 'x', sizeof line);
    assert_int_equal(a0ipc_term_clean_feed(c, (const uint8_t *)line, sizeof line, &t), 0);
    assert_int_equal(t.len, 96); /* six pieces of 16; 4 bytes held */
    assert_int_equal(a0ipc_term_clean_finish(c, &t), 0);
    assert_int_equal(t.len, 100);
    a0ipc_term_text_free(&t);
    a0ipc_term_clean_free(c);

    /* Pieces are cut at the same bytes however the input is fed: max_line + 1 bytes held
     * give out the first max_line, moved back to a character's start. */
    const char *in = "0123456789abcde\xe2\x98\x95tail  \rend\n";
    char *a = stream((const uint8_t *)in, strlen(in), 16, whole);
    char *b = stream((const uint8_t *)in, strlen(in), 16, bytes);
    char *d = stream((const uint8_t *)in, strlen(in), 16, odd);
    /* 17 bytes held: the first 16 end inside the 3-byte character, so the piece is the 15
     * before it; the rest of the line (13 bytes) then ends with its "\n" and is cleaned alone. */
    assert_string_equal(a, "0123456789abcde"
                           "end\n");
    assert_string_equal(b, a);
    assert_string_equal(d, a);
    /* Inexact where a carriage return spans a cut: the legacy keeps only "end" of the line. */
    char *leg = legacy((const uint8_t *)in, strlen(in));
    assert_string_equal(leg, "end\n");
    free(leg);
    free(a);
    free(b);
    free(d);

    /* A line of exactly max_line bytes before its "\n" is held whole, so it is exact; one byte
     * more and the space before the cut is trailing white space of a piece. */
    static const size_t two[] = {2, 0};
    char *e = stream((const uint8_t *)"abcdefghijklmn p\n", 17, 16, two);
    assert_string_equal(e, "abcdefghijklmn p\n");
    free(e);
    e = stream((const uint8_t *)"abcdefghijklmno p\n", 18, 16, two);
    assert_string_equal(e, "abcdefghijklmnop\n");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streamed_equals_legacy_whole),
        cmocka_unit_test(test_plain_and_crlf),
        cmocka_unit_test(test_escapes_as_the_legacy_regex),
        cmocka_unit_test(test_carriage_returns),
        cmocka_unit_test(test_unicode_spaces_and_nul),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_lines_come_whole),
        cmocka_unit_test(test_overlong_line_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
