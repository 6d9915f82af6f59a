/* Base64 as Python's base64.b64encode writes it, and the strict reading of RFC answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/legacy/legacy_base64.h"

static void round_trips(void **state)
{
    (void)state;
    /* python3 -c 'import base64; print(base64.b64encode(b"..."))' */
    static const struct {
        const char *raw, *b64;
    } rows[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"hello\n", "aGVsbG8K"},
        {"one\n", "b25lCg=="},
        {"\xff\xfe\xfd", "//79"},
        {"\xfb\xff", "+/8="},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *e = a0ipc_base64_encode((const uint8_t *)rows[i].raw, strlen(rows[i].raw));
        assert_string_equal(e, rows[i].b64);
        free(e);
        uint8_t *d;
        size_t n;
        assert_int_equal(a0ipc_base64_decode(rows[i].b64, strlen(rows[i].b64), &d, &n), 0);
        assert_non_null(d);
        assert_int_equal(n, strlen(rows[i].raw));
        assert_memory_equal(d, rows[i].raw, n);
        free(d);
    }
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char *e = a0ipc_base64_encode(all, sizeof all);
    uint8_t *d;
    size_t n;
    assert_int_equal(a0ipc_base64_decode(e, strlen(e), &d, &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(d, all, 256);
    free(d);
    free(e);
}

static void refuses_what_python_does_not_write(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg",       /* no padding */
        "Zg=",      /* short padding */
        "Z===",     /* too much */
        "Zg==Zg==", /* padding inside */
        "Zm9v\n",   /* line break */
        "Zm 9",     /* outside the alphabet */
        "Zh==",     /* bits under the padding are not zero */
        "Zm9=",     "====",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *d = (uint8_t *)1;
        size_t n = 1;
        if (a0ipc_base64_decode(bad[i], strlen(bad[i]), &d, &n) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_null(d);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(refuses_what_python_does_not_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
