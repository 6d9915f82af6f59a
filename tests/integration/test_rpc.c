/* The rpc layer end to end in one process: a server with the test Echo service on a temporary
 * unix socket and the blocking client, through every method kind, status passthrough,
 * deadlines, cancellation, limits and graceful shutdown. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "a0/test/v1/echo.a0ipc.h"
#include "common/log.h"
#include "rpc/core.h"

typedef A0__Test__V1__EchoRequest Req;
typedef A0__Test__V1__EchoResponse Resp;

/* What the WaitForStop handler saw, for the test to check. */
static _Atomic int stop_reason; /* 0 none, 1 cancelled/deadline, 2 server stopping */
static _Atomic int handlers_running;

static a0ipc_code fail_if_asked(a0ipc_rpc_ctx *ctx, const Req *req)
{
    if (req->fail_code)
        return a0ipc_rpc_fail(ctx, (a0ipc_code)req->fail_code, "%s", req->text);
    return A0IPC_OK;
}

static a0ipc_code unary(a0ipc_rpc_ctx *ctx, const Req *req, Resp *resp)
{
    if (fail_if_asked(ctx, req) != A0IPC_OK)
        return (a0ipc_code)req->fail_code;
    if (!strcmp(req->text, "metadata")) {
        size_t len = 0;
        const char *v = a0ipc_rpc_ctx_metadata(ctx, "x-a0ipc-test", &len);
        char *copy = a0ipc_rpc_ctx_alloc(ctx, len + 1);
        if (v)
            memcpy(copy, v, len);
        resp->text = copy;
        return A0IPC_OK;
    }
    resp->text = a0ipc_rpc_ctx_strdup(ctx, req->text);
    if (req->pad_bytes > 0) {
        resp->pad.len = (size_t)req->pad_bytes;
        resp->pad.data = a0ipc_rpc_ctx_alloc(ctx, resp->pad.len);
    }
    return A0IPC_OK;
}

static a0ipc_code server_stream(a0ipc_rpc_ctx *ctx, const Req *req)
{
    atomic_fetch_add(&handlers_running, 1);
    a0ipc_code code = A0IPC_OK;
    uint8_t *pad = req->pad_bytes > 0 ? calloc(1, (size_t)req->pad_bytes) : NULL;
    for (int i = 0; code == A0IPC_OK && i < req->count; i++) {
        Resp r = A0__TEST__V1__ECHO_RESPONSE__INIT;
        r.text = req->text;
        r.index = i;
        r.pad.data = pad;
        r.pad.len = pad ? (size_t)req->pad_bytes : 0;
        code = a0_test_v1_echo_server_stream_send(ctx, &r);
    }
    free(pad);
    atomic_fetch_sub(&handlers_running, 1);
    if (code != A0IPC_OK)
        return code;
    return fail_if_asked(ctx, req);
}

static a0ipc_code client_stream(a0ipc_rpc_ctx *ctx, Resp *resp)
{
    char joined[1024] = "";
    int n = 0;
    for (;;) {
        Req *req = NULL;
        int got = a0_test_v1_echo_client_stream_recv(ctx, &req);
        if (got < 0)
            return a0ipc_rpc_ctx_recv_error(ctx);
        if (got == 0)
            break;
        strncat(joined, req->text, sizeof joined - strlen(joined) - 1);
        n++;
        protobuf_c_message_free_unpacked(&req->base, NULL);
    }
    resp->text = a0ipc_rpc_ctx_strdup(ctx, joined);
    resp->index = n;
    return A0IPC_OK;
}

static a0ipc_code bidi(a0ipc_rpc_ctx *ctx)
{
    for (int i = 0;; i++) {
        Req *req = NULL;
        int got = a0_test_v1_echo_bidi_recv(ctx, &req);
        if (got < 0)
            return a0ipc_rpc_ctx_recv_error(ctx);
        if (got == 0)
            return A0IPC_OK;
        Resp r = A0__TEST__V1__ECHO_RESPONSE__INIT;
        r.text = req->text;
        r.index = i;
        a0ipc_code code = a0_test_v1_echo_bidi_send(ctx, &r);
        protobuf_c_message_free_unpacked(&req->base, NULL);
        if (code != A0IPC_OK)
            return code;
    }
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool woken;
} waiter;

static void wake(void *arg)
{
    waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->woken = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static a0ipc_code wait_for_stop(a0ipc_rpc_ctx *ctx, const Req *req, Resp *resp)
{
    (void)req;
    atomic_fetch_add(&handlers_running, 1);
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    a0ipc_rpc_ctx_on_stop(ctx, wake, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.woken)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
    bool stopping = a0ipc_rpc_ctx_server_stopping(ctx);
    atomic_store(&stop_reason, stopping ? 2 : 1);
    atomic_fetch_sub(&handlers_running, 1);
    resp->text = stopping ? "server stopping" : "cancelled";
    if (stopping)
        return a0ipc_rpc_fail(ctx, A0IPC_UNAVAILABLE, "server stopping");
    return a0ipc_rpc_fail(ctx, A0IPC_CANCELLED, "stopped");
}

typedef struct fixture {
    char dir[64], target[128];
    a0ipc_rpc_server *srv;
    a0ipc_rpc_channel *ch;
} fixture;

static fixture *fixture_new(int max_workers, int max_receive)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/a0ipc-rpc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->target, sizeof f->target, "unix:%s/s.sock", f->dir);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_server_options o;
    a0ipc_rpc_server_options_init(&o);
    o.max_workers = max_workers;
    o.max_receive_message_bytes = max_receive;
    o.log_calls = false;
    f->srv = a0ipc_rpc_server_new(&o, &st);
    assert_non_null(f->srv);
    const a0_test_v1_echo_handlers h = {.unary = unary,
                                        .server_stream = server_stream,
                                        .client_stream = client_stream,
                                        .bidi = bidi,
                                        .wait_for_stop = wait_for_stop};
    assert_int_equal(a0_test_v1_echo_register(f->srv, &h, NULL, 0, &st), 0);
    assert_int_equal(a0ipc_rpc_server_listen(f->srv, f->target, NULL, &st), 1);
    assert_int_equal(a0ipc_rpc_server_start(f->srv, &st), 0);
    f->ch = a0ipc_rpc_channel_new(f->target, NULL, &st);
    assert_non_null(f->ch);
    atomic_store(&stop_reason, 0);
    return f;
}

static void fixture_free(fixture *f)
{
    a0ipc_rpc_channel_free(f->ch);
    a0ipc_rpc_server_free(f->srv);
    char sock[160];
    snprintf(sock, sizeof sock, "%s/s.sock", f->dir);
    unlink(sock);
    rmdir(f->dir);
    free(f);
}

static int setup(void **state)
{
    *state = fixture_new(64, 4 * 1024 * 1024);
    return 0;
}

static int teardown(void **state)
{
    fixture_free(*state);
    return 0;
}

static const a0ipc_rpc_call_options five_s = {.timeout_ms = 5000};

static void unary_round_trip(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    req.text = "héllo";
    req.pad_bytes = 100000;
    Resp *resp = NULL;
    assert_int_equal(a0_test_v1_echo_unary_call(f->ch, &five_s, &req, &resp, &st), A0IPC_OK);
    assert_string_equal(resp->text, "héllo");
    assert_int_equal(resp->pad.len, 100000);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void status_reaches_client_unchanged(void **state)
{
    fixture *f = *state;
    for (int code = 1; code < A0IPC_CODE_COUNT; code++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
        char msg[64];
        snprintf(msg, sizeof msg, "failure %d: ünïcode ok", code);
        req.text = msg;
        req.fail_code = code;
        Resp *resp = NULL;
        assert_int_equal(a0_test_v1_echo_unary_call(f->ch, &five_s, &req, &resp, &st), code);
        assert_null(resp);
        assert_string_equal(st.message, msg);
        a0ipc_status_clear(&st);
    }
}

static void metadata_reaches_handler(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_metadata md[] = {{"x-a0ipc-test", "value-42"}};
    a0ipc_rpc_call_options o = {.timeout_ms = 5000, .metadata = md, .n_metadata = 1};
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    req.text = "metadata";
    Resp *resp = NULL;
    assert_int_equal(a0_test_v1_echo_unary_call(f->ch, &o, &req, &resp, &st), A0IPC_OK);
    assert_string_equal(resp->text, "value-42");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void server_streaming(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    req.text = "s";
    req.count = 500;
    a0ipc_rpc_stream *s = a0_test_v1_echo_server_stream_open(f->ch, &five_s, &req, &st);
    assert_non_null(s);
    int i = 0;
    Resp *r;
    while (a0_test_v1_echo_server_stream_read(s, &r) == 1) {
        assert_int_equal(r->index, i++);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(i, 500);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);

    /* A stream that ends in an error delivers its messages, then the status. */
    req.count = 3;
    req.fail_code = A0IPC_DATA_LOSS;
    req.text = "lost";
    s = a0_test_v1_echo_server_stream_open(f->ch, &five_s, &req, &st);
    i = 0;
    while (a0_test_v1_echo_server_stream_read(s, &r) == 1) {
        i++;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(i, 3);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_DATA_LOSS);
    assert_string_equal(st.message, "lost");
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
}

static void client_streaming(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_test_v1_echo_client_stream_open(f->ch, &five_s, &st);
    assert_non_null(s);
    const char *parts[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) {
        Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
        req.text = (char *)parts[i];
        assert_int_equal(a0_test_v1_echo_client_stream_write(s, &req), 0);
    }
    assert_int_equal(a0ipc_rpc_stream_close_send(s), 0);
    Resp *r = NULL;
    assert_int_equal(a0_test_v1_echo_client_stream_read(s, &r), 1);
    assert_string_equal(r->text, "abcde");
    assert_int_equal(r->index, 5);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    assert_int_equal(a0_test_v1_echo_client_stream_read(s, &r), 0);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
}

static void bidi_streaming(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_test_v1_echo_bidi_open(f->ch, &five_s, &st);
    assert_non_null(s);
    for (int i = 0; i < 20; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
        req.text = text;
        assert_int_equal(a0_test_v1_echo_bidi_write(s, &req), 0);
        Resp *r = NULL;
        assert_int_equal(a0_test_v1_echo_bidi_read(s, &r), 1);
        assert_string_equal(r->text, text);
        assert_int_equal(r->index, i);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_close_send(s), 0);
    Resp *r = NULL;
    assert_int_equal(a0_test_v1_echo_bidi_read(s, &r), 0);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
}

static void unknown_method_is_unimplemented_at_once(void **state)
{
    fixture *f = *state;
    a0ipc_rpc_method nope = a0_test_v1_echo_service.methods[A0_TEST_V1_ECHO__UNARY];
    nope.path = "/a0.test.v1.Echo/DoesNotExist";
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    /* With a 1 s deadline: a server that left the call waiting would give DEADLINE_EXCEEDED. */
    a0ipc_rpc_call_options one_s = {.timeout_ms = 1000};
    assert_int_equal(a0ipc_rpc_unary(f->ch, &nope, &one_s, &req.base, &resp, &st),
                     A0IPC_UNIMPLEMENTED);
    assert_non_null(strstr(st.message, "/a0.test.v1.Echo/DoesNotExist"));
    a0ipc_status_clear(&st);
}

static void deadline_reaches_handler(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    Resp *resp = NULL;
    a0ipc_rpc_call_options short_deadline = {.timeout_ms = 200};
    assert_int_equal(a0_test_v1_echo_wait_for_stop_call(f->ch, &short_deadline, &req, &resp, &st),
                     A0IPC_DEADLINE_EXCEEDED);
    a0ipc_status_clear(&st);
    for (int i = 0; i < 500 && atomic_load(&stop_reason) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&stop_reason), 1); /* the handler was woken, not left hanging */
}

static void cancellation_reaches_handler(void **state)
{
    fixture *f = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    const a0ipc_rpc_method *m = &a0_test_v1_echo_service.methods[A0_TEST_V1_ECHO__WAIT_FOR_STOP];
    a0ipc_rpc_stream *s = a0ipc_rpc_server_stream_open(f->ch, m, NULL, &req.base, &st);
    assert_non_null(s);
    for (int i = 0; i < 500 && atomic_load(&handlers_running) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&handlers_running), 1);
    a0ipc_rpc_stream_cancel(s);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_CANCELLED);
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
    for (int i = 0; i < 500 && atomic_load(&stop_reason) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&stop_reason), 1);
}

static void oversize_message_is_resource_exhausted(void **state)
{
    (void)state;
    fixture *f = fixture_new(8, 1024);
    a0ipc_status st = A0IPC_STATUS_INIT;
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    req.text = big;
    Resp *resp = NULL;
    assert_int_equal(a0_test_v1_echo_unary_call(f->ch, &five_s, &req, &resp, &st),
                     A0IPC_RESOURCE_EXHAUSTED);
    a0ipc_status_clear(&st);
    req.text = "small"; /* and the server still serves */
    assert_int_equal(a0_test_v1_echo_unary_call(f->ch, &five_s, &req, &resp, &st), A0IPC_OK);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    fixture_free(f);
}

static void malformed_request_is_invalid_argument(void **state)
{
    fixture *f = *state;
    /* Field 3 of EchoRequest is an int32; send it length-delimited instead. */
    static const uint8_t bad[] = {0x1a, 0x03, 'a', 'b', 'c'};
    A0__Test__V1__EchoResponse carrier = A0__TEST__V1__ECHO_RESPONSE__INIT;
    carrier.pad.data = (uint8_t *)bad; /* EchoResponse.pad is field 3, bytes: same wire bytes */
    carrier.pad.len = 3;
    a0ipc_rpc_method as_response = a0_test_v1_echo_service.methods[A0_TEST_V1_ECHO__UNARY];
    a0ipc_status st = A0IPC_STATUS_INIT;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(a0ipc_rpc_unary(f->ch, &as_response, &five_s, &carrier.base, &resp, &st),
                     A0IPC_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "a0.test.v1.EchoRequest"));
    a0ipc_status_clear(&st);
}

static void worker_limit_is_resource_exhausted(void **state)
{
    (void)state;
    fixture *f = fixture_new(2, 4 * 1024 * 1024);
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    const a0ipc_rpc_method *m = &a0_test_v1_echo_service.methods[A0_TEST_V1_ECHO__WAIT_FOR_STOP];
    a0ipc_rpc_stream *busy[2];
    for (int i = 0; i < 2; i++)
        busy[i] = a0ipc_rpc_server_stream_open(f->ch, m, NULL, &req.base, &st);
    for (int i = 0; i < 500 && atomic_load(&handlers_running) < 2; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&handlers_running), 2);
    Resp *resp = NULL;
    req.text = "third";
    /* The open succeeds on the wire; the status tells the refusal. */
    a0ipc_rpc_stream *third = a0_test_v1_echo_server_stream_open(f->ch, &five_s, &req, &st);
    assert_int_not_equal(a0_test_v1_echo_server_stream_read(third, &resp), 1);
    assert_int_equal(a0ipc_rpc_stream_finish(third, &st), A0IPC_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(st.message, "limit of 2 concurrent calls"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(third);
    for (int i = 0; i < 2; i++)
        a0ipc_rpc_stream_free(busy[i]);
    fixture_free(f);
}

typedef struct call_result {
    fixture *f;
    a0ipc_code code;
} call_result;

static void *wait_call(void *arg)
{
    call_result *r = arg;
    a0ipc_status st = A0IPC_STATUS_INIT;
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    Resp *resp = NULL;
    r->code = a0_test_v1_echo_wait_for_stop_call(r->f->ch, NULL, &req, &resp, &st);
    a0ipc_status_clear(&st);
    return NULL;
}

static void shutdown_asks_handlers_to_stop(void **state)
{
    (void)state;
    fixture *f = fixture_new(8, 4 * 1024 * 1024);
    call_result r = {f, A0IPC_OK};
    pthread_t t;
    pthread_create(&t, NULL, wait_call, &r);
    for (int i = 0; i < 500 && atomic_load(&handlers_running) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&handlers_running), 1);
    a0ipc_rpc_server_shutdown(f->srv, 30000);
    pthread_join(t, NULL);
    assert_int_equal(r.code, A0IPC_UNAVAILABLE); /* told, not cut off */
    assert_int_equal(atomic_load(&stop_reason), 2);
    assert_int_equal(a0ipc_rpc_server_active_calls(f->srv), 0);
    fixture_free(f);
}

static void shutdown_cancels_after_grace(void **state)
{
    (void)state;
    fixture *f = fixture_new(8, 4 * 1024 * 1024);
    a0ipc_status st = A0IPC_STATUS_INIT;
    /* A stream whose client never reads: the handler blocks in send (flow control) and cannot
     * notice the shutdown by itself; after the grace period the server must cancel it. */
    Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
    req.text = "flood";
    req.count = 1000000;
    req.pad_bytes = 64 * 1024;
    a0ipc_rpc_stream *s = a0_test_v1_echo_server_stream_open(f->ch, NULL, &req, &st);
    assert_non_null(s);
    for (int i = 0; i < 500 && atomic_load(&handlers_running) == 0; i++)
        usleep(10000);
    a0ipc_rpc_server_shutdown(f->srv, 300);
    assert_int_equal(a0ipc_rpc_server_active_calls(f->srv), 0);
    assert_int_equal(atomic_load(&handlers_running), 0);
    Resp *r;
    while (a0_test_v1_echo_server_stream_read(s, &r) == 1)
        protobuf_c_message_free_unpacked(&r->base, NULL);
    assert_int_not_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
    fixture_free(f);
}

static void *hammer(void *arg)
{
    fixture *f = arg;
    for (int i = 0; i < 300; i++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        Req req = A0__TEST__V1__ECHO_REQUEST__INIT;
        char text[32];
        snprintf(text, sizeof text, "t%d", i);
        req.text = text;
        Resp *resp = NULL;
        if (a0_test_v1_echo_unary_call(f->ch, &five_s, &req, &resp, &st) != A0IPC_OK ||
            strcmp(resp->text, text) != 0)
            return (void *)1;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    return NULL;
}

static void concurrent_calls(void **state)
{
    fixture *f = *state;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, f);
    for (int i = 0; i < 8; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
}

static void generated_table_matches_proto(void **state)
{
    (void)state;
    const a0ipc_rpc_service *svc = &a0_test_v1_echo_service;
    assert_string_equal(svc->name, "a0.test.v1.Echo");
    assert_int_equal(svc->n_methods, A0_TEST_V1_ECHO__N_METHODS);
    assert_int_equal(svc->n_methods, 5);
    static const struct {
        const char *path;
        a0ipc_rpc_kind kind;
        a0ipc_rpc_idempotency idem;
    } want[] = {
        {"/a0.test.v1.Echo/Unary", A0IPC_RPC_UNARY, A0IPC_RPC_NO_SIDE_EFFECTS},
        {"/a0.test.v1.Echo/ServerStream", A0IPC_RPC_SERVER_STREAMING, A0IPC_RPC_IDEMPOTENT},
        {"/a0.test.v1.Echo/ClientStream", A0IPC_RPC_CLIENT_STREAMING,
         A0IPC_RPC_IDEMPOTENCY_UNKNOWN},
        {"/a0.test.v1.Echo/Bidi", A0IPC_RPC_BIDI_STREAMING, A0IPC_RPC_IDEMPOTENCY_UNKNOWN},
        {"/a0.test.v1.Echo/WaitForStop", A0IPC_RPC_UNARY, A0IPC_RPC_IDEMPOTENCY_UNKNOWN},
    };
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(svc->methods[i].path, want[i].path);
        assert_int_equal(svc->methods[i].kind, want[i].kind);
        assert_int_equal(svc->methods[i].idempotency, want[i].idem);
        assert_ptr_equal(svc->methods[i].request, &a0__test__v1__echo_request__descriptor);
        assert_ptr_equal(svc->methods[i].response, &a0__test__v1__echo_response__descriptor);
    }
}

int main(void)
{
    a0ipc_log_set_level(A0IPC_LOG_WARN);
    a0ipc_rpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_table_matches_proto),
        cmocka_unit_test_setup_teardown(unary_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(status_reaches_client_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(metadata_reaches_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(server_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(client_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(bidi_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_method_is_unimplemented_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(deadline_reaches_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(cancellation_reaches_handler, setup, teardown),
        cmocka_unit_test(oversize_message_is_resource_exhausted),
        cmocka_unit_test_setup_teardown(malformed_request_is_invalid_argument, setup, teardown),
        cmocka_unit_test(worker_limit_is_resource_exhausted),
        cmocka_unit_test(shutdown_asks_handlers_to_stop),
        cmocka_unit_test(shutdown_cancels_after_grace),
        cmocka_unit_test_setup_teardown(concurrent_calls, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    a0ipc_rpc_shutdown();
    return failed;
}
