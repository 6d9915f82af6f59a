/* The legacy output cleaning (common/legacy_clean.h): each rule on its own, with the legacy's
 * corner cases spelled out. test_legacy_clean_python.py checks it against Python at scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/legacy_clean.h"

static void check(const char *in, size_t len, const char *want)
{
    size_t n;
    char *got = a0ipc_legacy_clean_output((const uint8_t *)in, len, &n);
    assert_non_null(got);
    assert_int_equal(n, strlen(got));
    if (strcmp(got, want) != 0)
        fail_msg("clean(\"%.*s\")\n got \"%s\"\nwant \"%s\"", (int)len, in, got, want);
    free(got);
}

#define CLEAN(lit, want) check(lit, sizeof(lit) - 1, want)

static void rules(void **state)
{
    (void)state;
    CLEAN("", "");
    CLEAN("hello\n", "hello\n");
    /* ANSI: CSI and two-byte escapes go */
    CLEAN("\x1b[31mred\x1b[0m\n", "red\n");
    CLEAN("\x1b[?2004hroot@h:~# ", "root@h:~#");
    CLEAN("a\x1b"
          "7b\x1b"
          "Mc",
          "a\x1b"
          "7bc"); /* ESC 7 is not in @-Z \\-_: both stay */
    /* ... and only what the legacy regex matches: an OSC title loses "ESC ]" only */
    CLEAN("\x1b]0;user@host: ~\x07$ ", "0;user@host: ~\x07$");
    CLEAN("\x1b[12", "\x1b[12"); /* an unfinished CSI stays */
    /* NUL */
    CLEAN("a\0b\0\n", "ab\n");
    CLEAN("x\r\0\ny", "x\ny"); /* NUL goes before "\r\n" is joined */
    /* \r\n, and the text after the last \r */
    CLEAN("one\r\ntwo\r\n", "one\ntwo\n");
    CLEAN("progress 10%\rprogress 100%\n", "progress 100%\n");
    CLEAN("abc\rX\n", "X\n");          /* not an overwrite of the first column: the part after \r */
    CLEAN("done   \r   \n", "done\n"); /* the last part with text */
    CLEAN("  \r  \nx", "  \r  \nx");   /* a line with none stays as it was */
    CLEAN("   \n", "   \n");
    CLEAN("a \t\x0b\x0c\x1c\n", "a\n"); /* Python's white space */
    CLEAN("a\xc2\xa0\xe3\x80\x80\n", "a\n");
    CLEAN("a\xe2\x80\x8b\n", "a\xe2\x80\x8b\n"); /* U+200B is not white space */
    CLEAN("\r\r\n", "\r\n");                     /* one pass: "\r" + "\r\n" -> "\r\n" */
    /* UTF-8 with errors="replace" */
    CLEAN("caf\xc3\xa9 \xe2\x98\x95\n", "caf\xc3\xa9 \xe2\x98\x95\n");
    CLEAN("\xff", "\xef\xbf\xbd");
    CLEAN("\xe2\x82"
          "A",
          "\xef\xbf\xbd"
          "A"); /* one U+FFFD for the broken prefix */
    CLEAN("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate: three */
    CLEAN("\xf0\x9f\x98", "\xef\xbf\xbd");                         /* cut at the end: one */
    CLEAN("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
