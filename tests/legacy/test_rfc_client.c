/* The legacy RFC client: endpoint rules, calls against the reference server (results, errors
 * and their codes, passwords), and transport failures against a canned HTTP peer in a thread
 * (the request bytes on the wire, non-JSON answers, timeouts, cancellation, size cap, refused
 * and dropped connections). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "legacy_testutil.h"
#include "transport/legacy/legacy_files.h"
#include "transport/legacy/rfc_client.h"
#include "transport/legacy/rfc_envelope.h"

#define PASSWORD "s3cret"

static void endpoint_rules(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int port;
        const char *want;
    } rows[] = {
        {NULL, 0, "http://localhost:55080/api/rfc"},
        {"", 0, "http://localhost:55080/api/rfc"},
        {"localhost", 55080, "http://localhost:55080/api/rfc"},
        {"10.0.0.5/", 8080, "http://10.0.0.5:8080/api/rfc"},
        {"http://a0.local/", 1, "http://a0.local:1/api/rfc"},
        {"https://a0.local", 443, "https://a0.local:443/api/rfc"},
        {"host//", 2, "http://host/:2/api/rfc"}, /* one "/" is cut, as the legacy does */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *got = a0ipc_rfc_endpoint(rows[i].url, rows[i].port);
        assert_string_equal(got, rows[i].want);
        free(got);
    }
}

static a0ipc_rfc_client *client_for(int port, const char *password, int64_t timeout_ms,
                                    size_t max_answer)
{
    a0ipc_rfc_config cfg = {.url = "127.0.0.1",
                            .port = port,
                            .password = password,
                            .timeout_ms = timeout_ms,
                            .max_answer = max_answer};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rfc_client *c = a0ipc_rfc_client_new(&cfg, &st);
    if (!c)
        fail_msg("client: %s", a0ipc_status_message(&st));
    return c;
}

static a0ipc_json *one_arg(const char *s)
{
    a0ipc_json *args = a0ipc_json_array();
    assert_int_equal(a0ipc_json_array_add(args, a0ipc_json_string(s)), 0);
    return args;
}

/* One call of helpers.rfc_files.<function>(path). */
static a0ipc_code call1(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *function,
                        const char *path, a0ipc_json **result, a0ipc_status *st)
{
    a0ipc_json *args = one_arg(path);
    a0ipc_code code = a0ipc_rfc_call(c, o, "helpers.rfc_files", function, args, NULL, result, st);
    a0ipc_json_free(args);
    return code;
}

static void against_the_reference_server(void **state)
{
    (void)state;
    lt_server srv;
    lt_server_start(&srv, PASSWORD);
    char *root = lt_mkdtemp("rfc-client");
    lt_build_fixture(root);
    char path[4096];
    a0ipc_rfc_client *c = client_for(srv.port, PASSWORD, 0, 0);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rfc_opts o = {0};
    a0ipc_json *r;

    snprintf(path, sizeof path, "%s/a.txt", root);
    assert_int_equal(call1(c, &o, "_file_exists_impl", path, &r, &st), A0IPC_OK);
    assert_int_equal(r->type, A0IPC_JSON_BOOL);
    assert_true(r->u.b);
    assert_string_equal(o.error_type, "");
    a0ipc_json_free(r);

    /* A name that is not ASCII travels as \u escapes and comes back as the same bytes. */
    snprintf(path, sizeof path, "%s/utf8-\xc3\xa9t\xc3\xa9.txt", root);
    assert_int_equal(call1(c, &o, "_read_file_as_base64_impl", path, &r, &st), A0IPC_OK);
    assert_string_equal(r->u.s.p, "Y2Fmw6kg4piVCg==");
    a0ipc_json_free(r);

    /* Server-side exceptions: the table's code, the message exactly, the type on the side. */
    snprintf(path, sizeof path, "%s/missing.txt", root);
    assert_int_equal(call1(c, &o, "_read_file_as_base64_impl", path, &r, &st), A0IPC_NOT_FOUND);
    assert_null(r);
    char want[4200];
    snprintf(want, sizeof want, "File not found: %s", path);
    assert_string_equal(a0ipc_status_message(&st), want);
    assert_string_equal(o.error_type, "FileNotFoundError");

    snprintf(path, sizeof path, "%s/sub", root);
    assert_int_equal(call1(c, &o, "_read_file_as_base64_impl", path, &r, &st), A0IPC_UNKNOWN);
    snprintf(want, sizeof want, "Path is not a file: %s", path);
    assert_string_equal(a0ipc_status_message(&st), want);
    assert_string_equal(o.error_type, "Exception");

    assert_int_equal(call1(c, &o, "_no_such_function", path, &r, &st), A0IPC_UNIMPLEMENTED);
    assert_string_equal(o.error_type, "AttributeError");
    a0ipc_json *none = a0ipc_json_array();
    assert_int_equal(a0ipc_rfc_call(c, &o, "os", "getcwd", none, NULL, &r, &st),
                     A0IPC_UNIMPLEMENTED);
    assert_string_equal(a0ipc_status_message(&st), "No module named 'os'");
    a0ipc_json_free(none);

    /* The next call starts clean: no stale error type. */
    assert_int_equal(call1(c, &o, "_path_exists_impl", root, &r, &st), A0IPC_OK);
    assert_string_equal(o.error_type, "");
    a0ipc_json_free(r);
    /* opts are optional */
    assert_int_equal(call1(c, NULL, "_path_exists_impl", root, &r, &st), A0IPC_OK);
    a0ipc_json_free(r);
    a0ipc_rfc_client_free(c);

    /* A wrong password: the server's refusal. */
    c = client_for(srv.port, "wrong", 0, 0);
    assert_int_equal(call1(c, &o, "_path_exists_impl", root, &r, &st), A0IPC_UNAUTHENTICATED);
    assert_string_equal(a0ipc_status_message(&st), "Invalid RFC hash");
    a0ipc_rfc_client_free(c);

    /* An environment proxy is not used (aiohttp ignores it by default; so must we). */
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
    c = client_for(srv.port, PASSWORD, 0, 0);
    assert_int_equal(call1(c, &o, "_path_exists_impl", root, &r, &st), A0IPC_OK);
    a0ipc_json_free(r);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");

    /* An answer above the cap is refused, not buffered. */
    a0ipc_rfc_client_free(c);
    c = client_for(srv.port, PASSWORD, 0, 100);
    snprintf(path, sizeof path, "%s/bin.dat", root);
    assert_int_equal(call1(c, &o, "_read_file_as_base64_impl", path, &r, &st),
                     A0IPC_RESOURCE_EXHAUSTED);
    assert_null(r);
    a0ipc_rfc_client_free(c);
    lt_server_stop(&srv);

    /* A server without a password refuses every call. */
    lt_server_start(&srv, NULL);
    c = client_for(srv.port, PASSWORD, 0, 0);
    assert_int_equal(call1(c, &o, "_path_exists_impl", root, &r, &st), A0IPC_FAILED_PRECONDITION);
    assert_string_equal(a0ipc_status_message(&st), "No RFC password, cannot handle RFC calls.");
    a0ipc_rfc_client_free(c);
    lt_server_stop(&srv);

    a0ipc_status_clear(&st);
    lt_rm_rf(root);
    free(root);
}

/* ---- a canned HTTP peer ---- */

typedef enum { PEER_ANSWER, PEER_SILENT, PEER_DROP } peer_mode;

typedef struct peer {
    int listen_fd, port;
    peer_mode mode;
    const char *answer; /* the whole HTTP response */
    char request[65536];
    size_t request_len;
    pthread_t thread;
} peer;

static void *peer_main(void *arg)
{
    peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    /* Read the head, then Content-Length bytes of body. */
    size_t body_at = 0, want = 0;
    while (p->request_len < sizeof p->request - 1) {
        ssize_t r = read(fd, p->request + p->request_len, sizeof p->request - 1 - p->request_len);
        if (r <= 0)
            break;
        p->request_len += (size_t)r;
        p->request[p->request_len] = '\0';
        char *end = strstr(p->request, "\r\n\r\n");
        if (end && !body_at) {
            body_at = (size_t)(end - p->request) + 4;
            const char *cl = strcasestr(p->request, "\r\nContent-Length: ");
            want = cl ? strtoul(cl + 18, NULL, 10) : 0;
        }
        if (body_at && p->request_len >= body_at + want)
            break;
    }
    if (p->mode == PEER_ANSWER) {
        ssize_t w = write(fd, p->answer, strlen(p->answer));
        (void)w;
    } else if (p->mode == PEER_SILENT) {
        char b;
        ssize_t r = read(fd, &b, 1); /* until the client gives up */
        (void)r;
    }
    close(fd);
    return NULL;
}

static void peer_start(peer *p, peer_mode mode, const char *answer)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->answer = answer;
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->listen_fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(p->listen_fd, 4), 0);
    assert_int_equal(getsockname(p->listen_fd, (struct sockaddr *)&a, &alen), 0);
    p->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_join(peer *p)
{
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
}

static void request_on_the_wire(void **state)
{
    (void)state;
    peer p;
    peer_start(&p, PEER_ANSWER,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n"
               "Connection: close\r\n\r\ntrue");
    a0ipc_rfc_client *c = client_for(p.port, PASSWORD, 0, 0);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_json *r;
    assert_int_equal(call1(c, NULL, "_file_exists_impl", "/a0/usr/x.txt", &r, &st), A0IPC_OK);
    assert_true(r->type == A0IPC_JSON_BOOL && r->u.b);
    a0ipc_json_free(r);
    a0ipc_rfc_client_free(c);
    peer_join(&p);

    assert_true(strncmp(p.request, "POST /api/rfc HTTP/1.1\r\n", 24) == 0);
    assert_non_null(strcasestr(p.request, "\r\nContent-Type: application/json\r\n"));
    assert_null(strcasestr(p.request, "\r\nExpect:"));
    /* The body is rfc_vectors.json's first vector, byte for byte. */
    const char *body = strstr(p.request, "\r\n\r\n") + 4;
    assert_string_equal(body,
                        "{\"rfc_input\": \"{\\\"module\\\": \\\"helpers.rfc_files\\\", "
                        "\\\"function_name\\\": \\\"_file_exists_impl\\\", \\\"args\\\": "
                        "[\\\"/a0/usr/x.txt\\\"], \\\"kwargs\\\": {}}\", \"hash\": "
                        "\"fd5e18703c459dabbcbc5f74c2ba7066655755b96676e961f2819ee967893664\"}");
}

static a0ipc_code canned(const char *answer, a0ipc_status *st)
{
    peer p;
    peer_start(&p, PEER_ANSWER, answer);
    a0ipc_rfc_client *c = client_for(p.port, PASSWORD, 0, 0);
    a0ipc_json *r = (a0ipc_json *)1;
    a0ipc_code code = call1(c, NULL, "_file_exists_impl", "/x", &r, st);
    if (code != A0IPC_OK)
        assert_null(r);
    a0ipc_json_free(code == A0IPC_OK ? r : NULL);
    a0ipc_rfc_client_free(c);
    peer_join(&p);
    return code;
}

static void odd_answers(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(canned("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                            "not json!",
                            &st),
                     A0IPC_INTERNAL);
    assert_non_null(strstr(a0ipc_status_message(&st), "answered 200 with malformed JSON"));
    assert_int_equal(canned("HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n"
                            "Connection: close\r\n\r\n404: Not Found",
                            &st),
                     A0IPC_UNIMPLEMENTED);
    assert_string_equal(a0ipc_status_message(&st), "404: Not Found");
    assert_int_equal(canned("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n",
                            &st),
                     A0IPC_UNAVAILABLE);
    a0ipc_status_clear(&st);
}

/* A 200 answer with body json, for the legacy_files call made by fn. */
static a0ipc_code shaped(const char *json, a0ipc_code (*fn)(a0ipc_rfc_client *, a0ipc_status *),
                         a0ipc_status *st)
{
    char answer[512];
    snprintf(answer, sizeof answer,
             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(json),
             json);
    peer p;
    peer_start(&p, PEER_ANSWER, answer);
    a0ipc_rfc_client *c = client_for(p.port, PASSWORD, 0, 0);
    a0ipc_code code = fn(c, st);
    a0ipc_rfc_client_free(c);
    peer_join(&p);
    return code;
}

static a0ipc_code do_list(a0ipc_rfc_client *c, a0ipc_status *st)
{
    a0ipc_legacy_entries e = {(a0ipc_legacy_entry *)1, 1};
    a0ipc_code code = a0ipc_legacy_list_folder(c, NULL, "/r", false, &e, st);
    if (code != A0IPC_OK) {
        assert_null(e.v);
        assert_int_equal(e.n, 0);
    }
    a0ipc_legacy_entries_clear(&e);
    return code;
}

static a0ipc_code do_subdirs(a0ipc_rfc_client *c, a0ipc_status *st)
{
    const char *star[] = {"*"};
    a0ipc_legacy_globs inc = {star, 1, false};
    a0ipc_legacy_names n = {(char **)1, 1};
    a0ipc_code code = a0ipc_legacy_get_subdirectories(c, NULL, "/r", &inc, NULL, &n, st);
    if (code != A0IPC_OK) {
        assert_null(n.v);
        assert_int_equal(n.n, 0);
    }
    a0ipc_legacy_names_clear(&n);
    return code;
}

static a0ipc_code do_read(a0ipc_rfc_client *c, a0ipc_status *st)
{
    uint8_t *data = (uint8_t *)1;
    size_t len = 1;
    a0ipc_code code = a0ipc_legacy_read_file_as_base64(c, NULL, "/r/a", &data, &len, st);
    if (code != A0IPC_OK)
        assert_null(data);
    free(code == A0IPC_OK ? data : NULL);
    return code;
}

static a0ipc_code do_exists(a0ipc_rfc_client *c, a0ipc_status *st)
{
    bool b = true;
    a0ipc_code code = a0ipc_legacy_file_exists(c, NULL, "/r/a", &b, st);
    if (code != A0IPC_OK)
        assert_false(b);
    return code;
}

static a0ipc_code do_delete(a0ipc_rfc_client *c, a0ipc_status *st)
{
    return a0ipc_legacy_delete_file(c, NULL, "/r/a", st);
}

/* legacy_files refuses answers of the wrong shape, leaving its outputs empty. */
static void answers_of_the_wrong_shape(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(shaped("[]", do_list, &st), A0IPC_OK);
    assert_int_equal(shaped("{}", do_list, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("[1]", do_list, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("[{\"name\": \"a\", \"path\": \"/r/a\", \"is_file\": true, "
                            "\"is_dir\": false, \"size\": \"6\", \"modified\": 1.0}]",
                            do_list, &st),
                     A0IPC_INTERNAL);
    assert_int_equal(shaped("[\"a\", \"b\"]", do_subdirs, &st), A0IPC_OK);
    assert_int_equal(shaped("[\"a\", 2]", do_subdirs, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("\"aGk=\"", do_read, &st), A0IPC_OK);
    assert_int_equal(shaped("\"not base64\"", do_read, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("true", do_read, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("\"yes\"", do_exists, &st), A0IPC_INTERNAL);
    assert_int_equal(shaped("false", do_delete, &st), A0IPC_INTERNAL); /* "done" is true */
    assert_int_equal(shaped("true", do_delete, &st), A0IPC_OK);
    a0ipc_status_clear(&st);
}

static int stop_soon(void *arg)
{
    return ++*(int *)arg > 1; /* the first poll comes at once; stop on the second */
}

static void transport_failures(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_json *r;

    /* Refused: nothing listens on the port. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    a0ipc_rfc_client *c = client_for(ntohs(a.sin_port), PASSWORD, 0, 0);
    assert_int_equal(call1(c, NULL, "_path_exists_impl", "/", &r, &st), A0IPC_UNAVAILABLE);
    assert_non_null(strstr(a0ipc_status_message(&st), "/api/rfc"));
    a0ipc_rfc_client_free(c);

    /* Dropped: the peer reads the request and closes without an answer. */
    peer p;
    peer_start(&p, PEER_DROP, NULL);
    c = client_for(p.port, PASSWORD, 0, 0);
    assert_int_equal(call1(c, NULL, "_path_exists_impl", "/", &r, &st), A0IPC_UNAVAILABLE);
    a0ipc_rfc_client_free(c);
    peer_join(&p);

    /* Silent: the client's timeout, then a per-call one. */
    peer_start(&p, PEER_SILENT, NULL);
    c = client_for(p.port, PASSWORD, 300, 0);
    assert_int_equal(call1(c, NULL, "_path_exists_impl", "/", &r, &st), A0IPC_DEADLINE_EXCEEDED);
    assert_non_null(strstr(a0ipc_status_message(&st), "300 ms"));
    a0ipc_rfc_client_free(c);
    peer_join(&p);

    peer_start(&p, PEER_SILENT, NULL);
    c = client_for(p.port, PASSWORD, 60000, 0);
    a0ipc_rfc_opts o = {.timeout_ms = 200};
    assert_int_equal(call1(c, &o, "_path_exists_impl", "/", &r, &st), A0IPC_DEADLINE_EXCEEDED);
    a0ipc_rfc_client_free(c);
    peer_join(&p);

    /* Silent, and the caller stops waiting. */
    peer_start(&p, PEER_SILENT, NULL);
    c = client_for(p.port, PASSWORD, 60000, 0);
    int polls = 0;
    o = (a0ipc_rfc_opts){.stop = stop_soon, .stop_arg = &polls};
    assert_int_equal(call1(c, &o, "_path_exists_impl", "/", &r, &st), A0IPC_CANCELLED);
    assert_true(polls >= 2);
    a0ipc_rfc_client_free(c);
    peer_join(&p);

    /* Bad configuration */
    a0ipc_rfc_config bad = {.port = 70000};
    assert_null(a0ipc_rfc_client_new(&bad, &st));
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoint_rules),      cmocka_unit_test(against_the_reference_server),
        cmocka_unit_test(request_on_the_wire), cmocka_unit_test(odd_answers),
        cmocka_unit_test(transport_failures),  cmocka_unit_test(answers_of_the_wrong_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
