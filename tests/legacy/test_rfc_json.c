/* The legacy RFC's JSON: the writer against Python's json.dumps (expected texts produced by
 * Debian's python3 3.11), the reader against json.loads' grammar. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/legacy/rfc_json.h"

static void check_string(const char *in, size_t len, const char *want)
{
    a0ipc_jbuf b = {0};
    a0ipc_json_dump_string(&b, in, len);
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    a0ipc_jbuf_free(&b);
}

#define STR(lit, want) check_string(lit, sizeof(lit) - 1, want)

static void strings_as_python(void **state)
{
    (void)state;
    STR("", "\"\"");
    STR("/a0/usr/x.txt", "\"/a0/usr/x.txt\"");
    STR("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
    STR("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
    STR("\x00\x01\x1f\x7f", "\"\\u0000\\u0001\\u001f\\u007f\"");
    STR("caf\xc3\xa9", "\"caf\\u00e9\"");
    STR("\xe2\x98\x95", "\"\\u2615\"");
    STR("\xe2\x80\xa8", "\"\\u2028\"");
    STR("a\xe2\x82\xac"
        "b",
        "\"a\\u20acb\"");
    STR("\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\""); /* above U+FFFF: a surrogate pair */
    STR("\xf4\x8f\xbf\xbf", "\"\\udbff\\udfff\"");
    /* Not UTF-8: each byte as os.fsdecode (surrogateescape) gives it to Python. */
    STR("\xff", "\"\\udcff\"");
    STR("\xe2\x82", "\"\\udce2\\udc82\"");
    STR("\xc0\x80", "\"\\udcc0\\udc80\"");                       /* overlong */
    STR("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");            /* an encoded surrogate */
    STR("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\""); /* above U+10FFFF */
}

static void check_float(double f, const char *want)
{
    a0ipc_jbuf b = {0};
    a0ipc_json_dump_float(&b, f);
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    a0ipc_jbuf_free(&b);
}

static void floats_as_python_repr(void **state)
{
    (void)state;
    check_float(1.5, "1.5");
    check_float(0.0, "0.0");
    check_float(-0.0, "-0.0");
    check_float(1700000000.0, "1700000000.0");
    check_float(0.1, "0.1");
    check_float(0.1 + 0.2, "0.30000000000000004");
    check_float(1.0 / 3, "0.3333333333333333");
    check_float(1e15, "1000000000000000.0");
    check_float(1e16, "1e+16"); /* exponent from 17 integer digits on */
    check_float(123456789.125, "123456789.125");
    check_float(0.0001, "0.0001");
    check_float(1e-05, "1e-05"); /* and from the fifth place after the point */
    check_float(-1e-07, "-1e-07");
    check_float(2.5e-7, "2.5e-07");
    check_float(1e100, "1e+100");
    check_float(9223372036854775808.0, "9.223372036854776e+18");
    check_float(5e-324, "5e-324");
    check_float(1.7976931348623157e308, "1.7976931348623157e+308");
    check_float(2.2250738585072014e-308, "2.2250738585072014e-308");
    /* Powers of two where the nearest shortest decimal misses and the next one up is right. */
    check_float(ldexp(1, -1017), "7.120236347223045e-307");
    check_float(ldexp(1, -1007), "7.291122019556398e-304");
    check_float(NAN, "NaN");
    check_float(INFINITY, "Infinity");
    check_float(-INFINITY, "-Infinity");
}

static char *dump(const a0ipc_json *v)
{
    a0ipc_jbuf b = {0};
    a0ipc_json_dump(&b, v);
    assert_false(b.oom);
    return b.p;
}

static void values_and_separators(void **state)
{
    (void)state;
    a0ipc_json *o = a0ipc_json_object();
    a0ipc_json *k = a0ipc_json_array();
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_int(1)), 0);
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_float(2.5)), 0);
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_null()), 0);
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_bool(true)), 0);
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_bool(false)), 0);
    assert_int_equal(a0ipc_json_array_add(k, a0ipc_json_string("x")), 0);
    a0ipc_json *inner = a0ipc_json_object();
    assert_int_equal(a0ipc_json_object_add(inner, "n", a0ipc_json_object()), 0);
    assert_int_equal(a0ipc_json_array_add(k, inner), 0);
    assert_int_equal(a0ipc_json_object_add(o, "k", k), 0);
    assert_int_equal(a0ipc_json_object_add(o, "e", a0ipc_json_array()), 0);
    char *text = dump(o);
    /* python3 -c 'import json; print(json.dumps({"k": [1, 2.5, None, True, False, "x",
     * {"n": {}}], "e": []}))' */
    assert_string_equal(text,
                        "{\"k\": [1, 2.5, null, true, false, \"x\", {\"n\": {}}], \"e\": []}");
    free(text);

    a0ipc_json *ints = a0ipc_json_array();
    assert_int_equal(a0ipc_json_array_add(ints, a0ipc_json_int(INT64_MIN)), 0);
    assert_int_equal(a0ipc_json_array_add(ints, a0ipc_json_int(-1)), 0);
    assert_int_equal(a0ipc_json_array_add(ints, a0ipc_json_int(0)), 0);
    text = dump(ints);
    assert_string_equal(text, "[-9223372036854775808, -1, 0]");
    free(text);

    /* A NULL child (a failed constructor) is refused, and the parent stays usable. */
    assert_int_equal(a0ipc_json_array_add(ints, NULL), -1);
    assert_int_equal(a0ipc_json_object_add(o, "x", NULL), -1);
    assert_null(a0ipc_json_string(NULL));
    a0ipc_json_free(ints);
    a0ipc_json_free(o);
}

static a0ipc_json *parse_ok(const char *text)
{
    a0ipc_json *v = NULL;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_json_parse(text, strlen(text), &v, &st) != A0IPC_OK)
        fail_msg("parse %s: %s", text, a0ipc_status_message(&st));
    assert_non_null(v);
    return v;
}

static void parse_fails(const char *text, size_t len, a0ipc_code code)
{
    a0ipc_json *v = (a0ipc_json *)1;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_json_parse(text, len, &v, &st) != code)
        fail_msg("parse of \"%.*s\" gave %s (%s), wanted %s", (int)len, text,
                 a0ipc_code_name(st.code), a0ipc_status_message(&st), a0ipc_code_name(code));
    assert_null(v);
    assert_non_null(strstr(a0ipc_status_message(&st), "JSON"));
    a0ipc_status_clear(&st);
}

#define FAILS(lit, code) parse_fails(lit, sizeof(lit) - 1, code)

/* Whatever json.dumps writes reads back to a value that writes the same text. */
static void reader_round_trips(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "null",
        "true",
        "[]",
        "{}",
        "\"\"",
        "\"aGVsbG8K\"",
        "[1, -2, 0, 1.5, -0.0, 1700000000.0, 1e+16, 5e-324, NaN, Infinity, -Infinity]",
        "{\"name\": \"utf8-\\u00e9t\\u00e9.txt\", \"is_file\": true, \"size\": 10, "
        "\"modified\": 1700000000.0}",
        "[\"\\ud83d\\ude00\", \"\\u0000\\u001f\\\"\\\\\", \"\\udcff\"]",
        "{\"a\": {\"b\": [[], [{}], null]}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        a0ipc_json *v = parse_ok(texts[i]);
        char *again = dump(v);
        assert_string_equal(again, texts[i]);
        free(again);
        a0ipc_json_free(v);
    }
}

static void reader_details(void **state)
{
    (void)state;
    /* Python's int/float split: 1 is an int, 1.0 and 1e0 are floats; they are not equal. */
    a0ipc_json *a = parse_ok(" [1, 1.0, 1e0, 1E+2, -0] ");
    assert_int_equal(a->u.arr.items[0]->type, A0IPC_JSON_INT);
    assert_int_equal(a->u.arr.items[1]->type, A0IPC_JSON_FLOAT);
    assert_int_equal(a->u.arr.items[2]->type, A0IPC_JSON_FLOAT);
    assert_true(a->u.arr.items[3]->u.f == 100.0);
    assert_int_equal(a->u.arr.items[4]->type, A0IPC_JSON_INT);
    assert_false(a0ipc_json_equal(a->u.arr.items[0], a->u.arr.items[1]));
    assert_true(a0ipc_json_equal(a->u.arr.items[1], a->u.arr.items[2]));
    a0ipc_json_free(a);

    /* Escapes and UTF-8: a surrogate pair is one character; \udcXX is the byte it escaped; any
     * other lone surrogate is U+FFFD; raw UTF-8 passes through; \/ is /. */
    a0ipc_json *s = parse_ok("[\"\\ud83d\\ude00\", \"\\udcff\", \"\\ud800x\", \"caf\xc3\xa9\\/\","
                             " \"\\u0000\"]");
    assert_string_equal(s->u.arr.items[0]->u.s.p, "\xf0\x9f\x98\x80");
    assert_string_equal(s->u.arr.items[1]->u.s.p, "\xff");
    assert_string_equal(s->u.arr.items[2]->u.s.p, "\xef\xbf\xbdx");
    assert_string_equal(s->u.arr.items[3]->u.s.p, "caf\xc3\xa9/");
    assert_int_equal(s->u.arr.items[4]->u.s.len, 1);
    assert_int_equal(s->u.arr.items[4]->u.s.p[0], '\0');
    a0ipc_json_free(s);

    /* Duplicate keys: the last one wins, as with json.loads. */
    a0ipc_json *o = parse_ok("{\"k\": 1, \"k\": 2}");
    assert_int_equal(a0ipc_json_get(o, "k")->u.i, 2);
    assert_null(a0ipc_json_get(o, "missing"));
    assert_null(a0ipc_json_get(NULL, "k"));
    a0ipc_json_free(o);

    a0ipc_json *big = parse_ok("[9223372036854775807, -9223372036854775808]");
    assert_true(big->u.arr.items[0]->u.i == INT64_MAX);
    assert_true(big->u.arr.items[1]->u.i == INT64_MIN);
    a0ipc_json *copy = a0ipc_json_copy(big);
    assert_true(a0ipc_json_equal(big, copy));
    a0ipc_json_free(copy);
    a0ipc_json_free(big);
}

static void reader_refuses(void **state)
{
    (void)state;
    FAILS("", A0IPC_INVALID_ARGUMENT);
    FAILS("   ", A0IPC_INVALID_ARGUMENT);
    FAILS("[1,]", A0IPC_INVALID_ARGUMENT);
    FAILS("{\"a\": 1,}", A0IPC_INVALID_ARGUMENT);
    FAILS("{'a': 1}", A0IPC_INVALID_ARGUMENT);
    FAILS("{\"a\" 1}", A0IPC_INVALID_ARGUMENT);
    FAILS("\"tab\there\"", A0IPC_INVALID_ARGUMENT); /* raw control character (strict) */
    FAILS("\"\\x41\"", A0IPC_INVALID_ARGUMENT);
    FAILS("\"\\u12g4\"", A0IPC_INVALID_ARGUMENT);
    FAILS("\"open", A0IPC_INVALID_ARGUMENT);
    FAILS("01", A0IPC_INVALID_ARGUMENT); /* extra data after 0 */
    FAILS("1.", A0IPC_INVALID_ARGUMENT);
    FAILS("-", A0IPC_INVALID_ARGUMENT);
    FAILS("nul", A0IPC_INVALID_ARGUMENT);
    FAILS("True", A0IPC_INVALID_ARGUMENT);
    FAILS("-Inf", A0IPC_INVALID_ARGUMENT);
    FAILS("[1] [2]", A0IPC_INVALID_ARGUMENT);
    FAILS("\"a\"\0", A0IPC_INVALID_ARGUMENT);
    FAILS("9223372036854775808", A0IPC_OUT_OF_RANGE);
    /* Deep nesting is refused, not a stack overflow. */
    char deep[2001];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[2000] = '\0';
    parse_fails(deep, 2000, A0IPC_INVALID_ARGUMENT);
    memset(deep, '[', 2000);
    parse_fails(deep, 2000, A0IPC_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_as_python),     cmocka_unit_test(floats_as_python_repr),
        cmocka_unit_test(values_and_separators), cmocka_unit_test(reader_round_trips),
        cmocka_unit_test(reader_details),        cmocka_unit_test(reader_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
