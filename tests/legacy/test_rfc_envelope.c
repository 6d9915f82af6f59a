/* The RFC envelope, byte for byte against every vector of tests/fixtures/legacy/rfc_vectors.json:
 * the rfc_input text, the HMAC and the whole body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "legacy_testutil.h"
#include "transport/legacy/rfc_envelope.h"

static const a0ipc_json *field(const a0ipc_json *obj, const char *key, a0ipc_json_type type)
{
    const a0ipc_json *v = a0ipc_json_get(obj, key);
    if (!v || v->type != type)
        fail_msg("rfc_vectors.json: vector without a proper \"%s\"", key);
    return v;
}

/* The body json.dumps writes for {"rfc_input": s, "hash": h}, built without the writer under
 * test: s is json.dumps output with ensure_ascii, so only " and \ need escaping again. */
static char *expected_body(const char *input, const char *hash)
{
    size_t n = strlen(input);
    char *body = malloc(2 * n + 128);
    assert_non_null(body);
    char *p = body;
    p += sprintf(p, "{\"rfc_input\": \"");
    for (size_t i = 0; i < n; i++) {
        assert_true(input[i] >= 0x20 && input[i] <= 0x7E);
        if (input[i] == '"' || input[i] == '\\')
            *p++ = '\\';
        *p++ = input[i];
    }
    sprintf(p, "\", \"hash\": \"%s\"}", hash);
    return body;
}

static void every_vector(void **state)
{
    (void)state;
    a0ipc_json *doc = lt_load_golden("rfc_vectors.json");
    const a0ipc_json *vectors = field(doc, "vectors", A0IPC_JSON_ARRAY);
    assert_true(vectors->u.arr.n > 0);
    for (size_t i = 0; i < vectors->u.arr.n; i++) {
        const a0ipc_json *v = vectors->u.arr.items[i];
        const char *password = field(v, "password", A0IPC_JSON_STRING)->u.s.p;
        const char *module = field(v, "module", A0IPC_JSON_STRING)->u.s.p;
        const char *function = field(v, "function_name", A0IPC_JSON_STRING)->u.s.p;
        const a0ipc_json *args = field(v, "args", A0IPC_JSON_ARRAY);
        const a0ipc_json *kwargs = field(v, "kwargs", A0IPC_JSON_OBJECT);
        const a0ipc_json *call = field(v, "call", A0IPC_JSON_OBJECT);
        const a0ipc_json *want_input = field(call, "rfc_input", A0IPC_JSON_STRING);
        const char *want_hash = field(call, "hash", A0IPC_JSON_STRING)->u.s.p;
        a0ipc_status st = A0IPC_STATUS_INIT;

        char *input;
        size_t input_len;
        assert_int_equal(a0ipc_rfc_input(module, function, args, kwargs, &input, &input_len, &st),
                         A0IPC_OK);
        if (input_len != want_input->u.s.len || memcmp(input, want_input->u.s.p, input_len) != 0)
            fail_msg("vector %zu: rfc_input\n got: %s\nwant: %s", i, input, want_input->u.s.p);

        char hex[A0IPC_RFC_HASH_HEX_LEN + 1];
        assert_int_equal(a0ipc_rfc_hash(password, input, input_len, hex, &st), A0IPC_OK);
        if (strcmp(hex, want_hash) != 0)
            fail_msg("vector %zu: hash %s, want %s", i, hex, want_hash);

        char *body;
        size_t body_len;
        assert_int_equal(
            a0ipc_rfc_envelope(password, module, function, args, kwargs, &body, &body_len, &st),
            A0IPC_OK);
        char *want_body = expected_body(want_input->u.s.p, want_hash);
        assert_int_equal(body_len, strlen(body));
        if (strcmp(body, want_body) != 0)
            fail_msg("vector %zu: body\n got: %s\nwant: %s", i, body, want_body);
        free(want_body);
        free(body);
        free(input);
    }
    a0ipc_json_free(doc);
}

/* One body exactly as python3 printed it, so the test's own expectation is checked too. */
static void one_body_as_python_wrote_it(void **state)
{
    (void)state;
    a0ipc_json *args = a0ipc_json_array();
    assert_int_equal(a0ipc_json_array_add(args, a0ipc_json_string("/a0/usr/x.txt")), 0);
    char *body;
    size_t len;
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_rfc_envelope("s3cret", "helpers.rfc_files", "_file_exists_impl", args,
                                        NULL, &body, &len, &st),
                     A0IPC_OK);
    assert_string_equal(body,
                        "{\"rfc_input\": \"{\\\"module\\\": \\\"helpers.rfc_files\\\", "
                        "\\\"function_name\\\": \\\"_file_exists_impl\\\", \\\"args\\\": "
                        "[\\\"/a0/usr/x.txt\\\"], \\\"kwargs\\\": {}}\", \"hash\": "
                        "\"fd5e18703c459dabbcbc5f74c2ba7066655755b96676e961f2819ee967893664\"}");
    free(body);
    a0ipc_json_free(args);
}

static void bad_arguments(void **state)
{
    (void)state;
    char *out = (char *)1;
    size_t len = 1;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_json *notlist = a0ipc_json_object();
    assert_int_equal(a0ipc_rfc_input("m", "f", notlist, NULL, &out, &len, &st),
                     A0IPC_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(a0ipc_rfc_input(NULL, "f", NULL, NULL, &out, &len, &st),
                     A0IPC_INVALID_ARGUMENT);
    assert_int_equal(a0ipc_rfc_envelope("k", "m", "f", NULL, notlist, &out, &len, &st), A0IPC_OK);
    assert_non_null(strstr(out, "\\\"kwargs\\\": {}}"));
    free(out);
    a0ipc_json_free(notlist);
    a0ipc_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_vector),
        cmocka_unit_test(one_body_as_python_wrote_it),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
