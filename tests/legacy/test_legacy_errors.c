/* The one table from legacy RFC failures to status codes, and reading the exception out of a
 * traceback body in both layouts: docs/legacy-protocol.md's (an "...Error" line on top, then the
 * full traceback) and Agent Zero's formatter (that line on top and cut from the end, and for a
 * chained exception the cause's line on top). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/legacy/legacy_errors.h"

typedef struct body_case {
    const char *body;
    const char *type;
    const char *message;
    a0ipc_code code;
} body_case;

static const body_case cases[] = {
    /* the documented layout, a type ending in Error */
    {"FileNotFoundError: File not found: /r/missing.txt\n\nTraceback (most recent call last):\n"
     "  File \"/srv/helpers/rfc_files.py\", line 22, in _read\n"
     "    raise FileNotFoundError(f\"File not found: {path}\")\n"
     "FileNotFoundError: File not found: /r/missing.txt\n",
     "FileNotFoundError", "File not found: /r/missing.txt", A0IPC_NOT_FOUND},
    /* Agent Zero's formatter: the line on top only (and its doubled header) */
    {"FileNotFoundError: Folder not found: /r/Zeta\n\nTraceback (most recent call last):\n"
     "Traceback (most recent call last):\n  File \"/a0/python/helpers/rfc_files.py\", line 9\n"
     "    raise FileNotFoundError(f\"Folder not found: {folder_path}\")\n\n",
     "FileNotFoundError", "Folder not found: /r/Zeta", A0IPC_NOT_FOUND},
    /* a plain Exception: the traceback alone */
    {"Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n"
     "Exception: Path is not a file: /r/sub\n",
     "Exception", "Path is not a file: /r/sub", A0IPC_UNKNOWN},
    /* chained, the documented layout (as the reference server writes it) */
    {"Traceback (most recent call last):\n  File \"/usr/lib/python3.11/base64.py\", line 88\n"
     "binascii.Error: Invalid base64-encoded string: number of data characters (9) cannot be 1 "
     "more than a multiple of 4\n\nDuring handling of the above exception, another exception "
     "occurred:\n\nTraceback (most recent call last):\n  File \"<stdin>\", line 9, in <module>\n"
     "Exception: Failed to write file /r/bad.txt: Invalid base64-encoded string: number of data "
     "characters (9) cannot be 1 more than a multiple of 4\n",
     "Exception",
     "Failed to write file /r/bad.txt: Invalid base64-encoded string: number of data characters "
     "(9) cannot be 1 more than a multiple of 4",
     A0IPC_UNKNOWN},
    /* chained, Agent Zero's formatter: the cause's line on top; the raised one still ends it */
    {"FileNotFoundError: [Errno 2] No such file or directory: '/r/nothere' -> '/r/x'\n\n"
     "Traceback (most recent call last):\nTraceback (most recent call last):\n  File \"f.py\"\n"
     "\nDuring handling of the above exception, another exception occurred:\n\n"
     "Traceback (most recent call last):\n  File \"f.py\", line 3\n"
     "Exception: Failed to move file /r/nothere to /r/x: [Errno 2] No such file or directory: "
     "'/r/nothere' -> '/r/x'\n",
     "Exception",
     "Failed to move file /r/nothere to /r/x: [Errno 2] No such file or directory: '/r/nothere' "
     "-> '/r/x'",
     A0IPC_UNKNOWN},
    /* the RFC's own refusals */
    {"Traceback (most recent call last):\n  File \"rfc.py\", line 40\nException: Invalid RFC "
     "hash\n",
     "Exception", "Invalid RFC hash", A0IPC_UNAUTHENTICATED},
    {"Traceback (most recent call last):\nException: No RFC password, cannot handle RFC calls.\n",
     "Exception", "No RFC password, cannot handle RFC calls.", A0IPC_FAILED_PRECONDITION},
    {"ModuleNotFoundError: No module named 'nope'\n\nTraceback (most recent call last):\n"
     "ModuleNotFoundError: No module named 'nope'\n",
     "ModuleNotFoundError", "No module named 'nope'", A0IPC_UNIMPLEMENTED},
    {"AttributeError: module 'helpers.rfc_files' has no attribute 'nope'\n\nTraceback\n"
     "AttributeError: module 'helpers.rfc_files' has no attribute 'nope'\n",
     "AttributeError", "module 'helpers.rfc_files' has no attribute 'nope'", A0IPC_UNIMPLEMENTED},
    /* CRLF lines, a bare type, trailing blank lines */
    {"Traceback (most recent call last):\r\n  File \"x\"\r\nException\r\n\r\n", "Exception", "",
     A0IPC_UNKNOWN},
    /* a non-builtin exception keeps its dotted name */
    {"Traceback (most recent call last):\n  File \"x\"\n"
     "python.helpers.errors.RepairableException: try again\n",
     "python.helpers.errors.RepairableException", "try again", A0IPC_UNKNOWN},
};

static void bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const body_case *c = &cases[i];
        a0ipc_legacy_error e;
        if (a0ipc_legacy_error_parse(c->body, strlen(c->body), &e) != 0)
            fail_msg("case %zu: no exception found", i);
        assert_string_equal(e.type, c->type);
        assert_string_equal(e.message, c->message);
        a0ipc_legacy_error_clear(&e);

        a0ipc_status st = A0IPC_STATUS_INIT;
        char *type = NULL;
        assert_int_equal(a0ipc_legacy_status_from_http(500, c->body, strlen(c->body), &st, &type),
                         c->code);
        assert_int_equal(st.code, c->code);
        assert_string_equal(a0ipc_status_message(&st), c->message);
        assert_string_equal(type, c->type);
        free(type);
        a0ipc_status_clear(&st);
    }
}

static void bodies_without_an_exception(void **state)
{
    (void)state;
    static const char *const none[] = {
        "",
        "\n\n",
        "500 Internal Server Error\n\nServer got itself in trouble",
        "Traceback (most recent call last):\n  File \"x\", line 1\n    raise X(\n",
        "Something: went wrong\n\n  indented last line",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        a0ipc_legacy_error e = {(char *)1, (char *)1};
        assert_int_equal(a0ipc_legacy_error_parse(none[i], strlen(none[i]), &e), -1);
        assert_null(e.type);
        assert_null(e.message);
    }
    /* "Something: went wrong" on top is not an "...Error" line, so it is not taken either. */
    a0ipc_status st = A0IPC_STATUS_INIT;
    char *type = (char *)1;
    assert_int_equal(a0ipc_legacy_status_from_http(500, none[2], strlen(none[2]), &st, &type),
                     A0IPC_UNKNOWN);
    assert_null(type);
    assert_string_equal(a0ipc_status_message(&st), none[2]);
    a0ipc_status_clear(&st);
}

static void the_type_table(void **state)
{
    (void)state;
    static const struct {
        const char *type, *message;
        a0ipc_code code;
    } rows[] = {
        {"FileNotFoundError", "x", A0IPC_NOT_FOUND},
        {"PermissionError", "[Errno 13] Permission denied: '/x'", A0IPC_PERMISSION_DENIED},
        {"FileExistsError", "x", A0IPC_ALREADY_EXISTS},
        {"IsADirectoryError", "x", A0IPC_FAILED_PRECONDITION},
        {"NotADirectoryError", "x", A0IPC_FAILED_PRECONDITION},
        {"TimeoutError", "", A0IPC_DEADLINE_EXCEEDED},
        {"ConnectionRefusedError", "x", A0IPC_UNAVAILABLE},
        {"BrokenPipeError", "x", A0IPC_UNAVAILABLE},
        {"TypeError", "f() missing 1 required positional argument: 'path'", A0IPC_INVALID_ARGUMENT},
        {"ValueError", "x", A0IPC_INVALID_ARGUMENT},
        {"MemoryError", "", A0IPC_RESOURCE_EXHAUSTED},
        {"OverflowError", "x", A0IPC_OUT_OF_RANGE},
        {"NotImplementedError", "", A0IPC_UNIMPLEMENTED},
        {"ImportError", "x", A0IPC_UNIMPLEMENTED},
        {"AttributeError", "'NoneType' object has no attribute 'x'", A0IPC_UNKNOWN},
        {"OSError", "[Errno 28] No space left on device", A0IPC_RESOURCE_EXHAUSTED},
        {"OSError", "[Errno 2] No such file or directory: 'x'", A0IPC_NOT_FOUND},
        {"OSError", "no errno here", A0IPC_UNKNOWN},
        {"Exception", "[Errno 2] No such file or directory", A0IPC_UNKNOWN},
        {"Exception", "Invalid RFC hash!", A0IPC_UNKNOWN}, /* exact text only */
        {"binascii.Error", "x", A0IPC_UNKNOWN},
        {"aiohttp.PermissionError", "x", A0IPC_PERMISSION_DENIED}, /* the module is ignored */
        {"KeyError", "'k'", A0IPC_UNKNOWN},
        {NULL, "x", A0IPC_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (a0ipc_legacy_code_for(rows[i].type, rows[i].message) != rows[i].code)
            fail_msg("%s: %s -> %s, want %s", rows[i].type ? rows[i].type : "(null)",
                     rows[i].message,
                     a0ipc_code_name(a0ipc_legacy_code_for(rows[i].type, rows[i].message)),
                     a0ipc_code_name(rows[i].code));
}

static void other_http_statuses(void **state)
{
    (void)state;
    static const struct {
        long http;
        const char *body, *message;
        a0ipc_code code;
    } rows[] = {
        {404, "404: Not Found", "404: Not Found", A0IPC_UNIMPLEMENTED},
        {401, "", "legacy RFC answered HTTP 401", A0IPC_UNAUTHENTICATED},
        {403, "Forbidden\n", "Forbidden", A0IPC_PERMISSION_DENIED},
        {400, "Bad Request", "Bad Request", A0IPC_INTERNAL},
        {502, "Bad Gateway", "Bad Gateway", A0IPC_UNAVAILABLE},
        {503, "", "legacy RFC answered HTTP 503", A0IPC_UNAVAILABLE},
        {504, "x", "x", A0IPC_UNAVAILABLE},
        {429, "x", "x", A0IPC_UNAVAILABLE},
        {418, "teapot", "teapot", A0IPC_UNKNOWN},
        /* A traceback-looking body on another status is the HTTP server's, not the RFC's. */
        {502, "Traceback\nException: Invalid RFC hash\n", "Traceback\nException: Invalid RFC hash",
         A0IPC_UNAVAILABLE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        char *type = (char *)1;
        assert_int_equal(a0ipc_legacy_status_from_http(rows[i].http, rows[i].body,
                                                       strlen(rows[i].body), &st, &type),
                         rows[i].code);
        assert_null(type);
        assert_string_equal(a0ipc_status_message(&st), rows[i].message);
        a0ipc_status_clear(&st);
    }
    /* A long page is cut for the message. */
    char *page = malloc(100000);
    assert_non_null(page);
    memset(page, 'x', 99999);
    page[99999] = '\0';
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_legacy_status_from_http(500, page, 99999, &st, NULL);
    assert_int_equal(st.code, A0IPC_UNKNOWN);
    assert_true(strlen(a0ipc_status_message(&st)) < 5000);
    a0ipc_status_clear(&st);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bodies),
        cmocka_unit_test(bodies_without_an_exception),
        cmocka_unit_test(the_type_table),
        cmocka_unit_test(other_http_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
