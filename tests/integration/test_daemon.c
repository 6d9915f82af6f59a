/* The real a0ipcd, started as a process on a temporary unix socket and a loopback port, called
 * by the C client: health, unknown methods, deadlines, limits, hostile bytes, graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "grpc/health/v1/health.a0ipc.h"
#include "support/daemon_proc.h"
#include "rpc/core.h"

typedef Grpc__Health__V1__HealthCheckRequest HReq;
typedef Grpc__Health__V1__HealthCheckResponse HResp;
#define SERVING     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING

static const a0ipc_rpc_call_options five_s = {.timeout_ms = 5000, .wait_for_ready = true};

static a0ipc_code check(const char *target, const char *service, int *status_out, a0ipc_status *st)
{
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, NULL, st);
    assert_non_null(ch);
    HReq req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    HResp *resp = NULL;
    a0ipc_code code = grpc_health_v1_health_check_call(ch, &five_s, &req, &resp, st);
    if (resp) {
        *status_out = resp->status;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    a0ipc_rpc_channel_free(ch);
    return code;
}

static int start(void **state)
{
    test_daemon *d = calloc(1, sizeof *d);
    test_daemon_start(d, NULL);
    *state = d;
    return 0;
}

static int stop(void **state)
{
    test_daemon *d = *state;
    test_daemon_cleanup(d);
    free(d);
    return 0;
}

static void check_over_unix_and_tcp(void **state)
{
    test_daemon *d = *state;
    const char *targets[] = {d->unix_target, d->tcp_target};
    const char *services[] = {"", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"};
    for (int t = 0; t < 2; t++) {
        for (int s = 0; s < 3; s++) {
            a0ipc_status st = A0IPC_STATUS_INIT;
            int status = -1;
            assert_int_equal(check(targets[t], services[s], &status, &st), A0IPC_OK);
            assert_int_equal(status, SERVING);
        }
        a0ipc_status st = A0IPC_STATUS_INIT;
        int status = -1;
        assert_int_equal(check(targets[t], "no.such.Service", &status, &st), A0IPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "no.such.Service"));
        a0ipc_status_clear(&st);
    }
    assert_true(test_daemon_log_contains(d, "call method=/grpc.health.v1.Health/Check status=OK"));
    assert_true(test_daemon_log_contains(d, "status=NOT_FOUND"));
}

static void unknown_method_is_unimplemented(void **state)
{
    test_daemon *d = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(d->tcp_target, NULL, &st);
    a0ipc_rpc_method nope = grpc_health_v1_health_service.methods[GRPC_HEALTH_V1_HEALTH__CHECK];
    nope.path = "/a0.runtime.v1.Nothing/Here";
    HReq req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    /* Connect first, so the 1 s deadline measures the answer and not the connection set-up. */
    int status;
    assert_int_equal(check(d->tcp_target, "", &status, &st), A0IPC_OK);
    a0ipc_rpc_call_options one_s = {.timeout_ms = 1000};
    assert_int_equal(a0ipc_rpc_unary(ch, &nope, &one_s, &req.base, &resp, &st),
                     A0IPC_UNIMPLEMENTED);
    assert_non_null(strstr(st.message, "/a0.runtime.v1.Nothing/Here"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_channel_free(ch);
}

static void expired_deadline(void **state)
{
    test_daemon *d = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(d->unix_target, NULL, &st);
    HReq req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    a0ipc_rpc_call_options short_deadline = {.timeout_ms = 300};
    a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(ch, &short_deadline, &req, &st);
    assert_non_null(s);
    HResp *r = NULL;
    assert_int_equal(grpc_health_v1_health_watch_read(s, &r), 1);
    assert_int_equal(r->status, SERVING);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* The stream ends (0 or -1); the status says why. */
    assert_int_not_equal(grpc_health_v1_health_watch_read(s, &r), 1);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_DEADLINE_EXCEEDED);
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
    a0ipc_rpc_channel_free(ch);
}

static void oversize_message(void **state)
{
    (void)state;
    test_daemon d;
    const char *extra[] = {"--max-message-bytes", "1024", NULL};
    test_daemon_start(&d, extra);
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    a0ipc_status st = A0IPC_STATUS_INIT;
    int status;
    assert_int_equal(check(d.unix_target, big, &status, &st), A0IPC_RESOURCE_EXHAUSTED);
    a0ipc_status_clear(&st);
    assert_int_equal(check(d.unix_target, "", &status, &st), A0IPC_OK);
    test_daemon_cleanup(&d);
}

static int connect_tcp(const char *target)
{
    int port = atoi(strrchr(target, ':') + 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

static void hostile_bytes_do_not_hurt(void **state)
{
    test_daemon *d = *state;
    srand(12345);
    /* Random bytes, many times. */
    for (int i = 0; i < 20; i++) {
        int fd = connect_tcp(d->tcp_target);
        unsigned char junk[4096];
        for (size_t j = 0; j < sizeof junk; j++)
            junk[j] = (unsigned char)rand();
        ssize_t unused = write(fd, junk, (size_t)(rand() % (int)sizeof junk) + 1);
        (void)unused;
        close(fd);
    }
    /* A valid HTTP/2 preface followed by garbage frames. */
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    int fd = connect_tcp(d->tcp_target);
    assert_int_equal(write(fd, preface, sizeof preface - 1), (ssize_t)(sizeof preface - 1));
    unsigned char frames[256];
    memset(frames, 0xff, sizeof frames);
    ssize_t unused = write(fd, frames, sizeof frames);
    (void)unused;
    close(fd);
    /* Half-open: a preface, then silence, kept open while others call and while it stops. */
    int half_open[4];
    for (int i = 0; i < 4; i++) {
        half_open[i] = connect_tcp(d->tcp_target);
        assert_int_equal(write(half_open[i], preface, 10), 10); /* not even the whole preface */
    }
    a0ipc_status st = A0IPC_STATUS_INIT;
    int status = -1;
    assert_int_equal(check(d->tcp_target, "", &status, &st), A0IPC_OK);
    assert_int_equal(status, SERVING);
    assert_int_equal(check(d->unix_target, "", &status, &st), A0IPC_OK);
    assert_true(test_daemon_running(d));
    int wstatus = test_daemon_stop(d, SIGTERM);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    for (int i = 0; i < 4; i++)
        close(half_open[i]);
}

static void sigterm_during_watch_ends_it_cleanly(void **state)
{
    test_daemon *d = *state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(d->unix_target, NULL, &st);
    HReq req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(ch, &five_s, &req, &st);
    assert_non_null(s);
    HResp *r = NULL;
    assert_int_equal(grpc_health_v1_health_watch_read(s, &r), 1);
    assert_int_equal(r->status, SERVING);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    kill(d->pid, SIGTERM);
    /* The watcher hears NOT_SERVING, then the stream ends with a status, not a reset. */
    assert_int_equal(grpc_health_v1_health_watch_read(s, &r), 1);
    assert_int_equal(r->status, NOT_SERVING);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    assert_int_not_equal(grpc_health_v1_health_watch_read(s, &r), 1);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_UNAVAILABLE);
    assert_non_null(strstr(st.message, "shutting down"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
    a0ipc_rpc_channel_free(ch);

    int wstatus = test_daemon_stop(d, SIGTERM);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    assert_true(test_daemon_log_contains(d, "shutting down"));
}

static void refuses_bad_start(void **state)
{
    test_daemon *d = *state;
    char out[4096];
    const char *plain[] = {"--listen", "127.0.0.1:0", NULL};
    assert_int_equal(test_daemon_run(plain, out, sizeof out), 2);
    assert_non_null(strstr(out, "refusing plaintext TCP"));
    const char *anywhere[] = {"--listen", "0.0.0.0:0", "--insecure", NULL};
    assert_int_equal(test_daemon_run(anywhere, out, sizeof out), 2);
    assert_non_null(strstr(out, "loopback addresses only"));
    const char *unknown[] = {"--bogus", NULL};
    assert_int_equal(test_daemon_run(unknown, out, sizeof out), 2);
    assert_non_null(strstr(out, "--bogus"));
    /* Taken addresses are errors, not silently shared. */
    const char *same_port[] = {"--listen", d->tcp_target, "--insecure", NULL};
    assert_int_equal(test_daemon_run(same_port, out, sizeof out), 1);
    /* One line with the address and the errno, not the core's nested error text. */
    char line[256];
    snprintf(line, sizeof line, "cannot listen on %s: Address already in use (errno %d)\n",
             d->tcp_target, EADDRINUSE);
    assert_non_null(strstr(out, line));
    assert_null(strstr(out, "UNKNOWN:"));
    const char *same_sock[] = {"--listen", d->unix_target, NULL};
    assert_int_equal(test_daemon_run(same_sock, out, sizeof out), 1);
    assert_non_null(strstr(out, "in use"));
    assert_true(test_daemon_running(d));
    const char *help[] = {"--help", NULL};
    assert_int_equal(test_daemon_run(help, out, sizeof out), 0);
    assert_non_null(strstr(out, "--listen ADDR"));
    const char *version[] = {"--version", NULL};
    assert_int_equal(test_daemon_run(version, out, sizeof out), 0);
    assert_non_null(strstr(out, "a0ipcd "));
}

/* GET path from the metrics port; returns the whole response (caller frees). */
static char *http_get(int port, const char *path)
{
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    int fd = connect_tcp(target);
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 16, len = 0;
    char *resp = malloc(cap);
    ssize_t got;
    while (len + 1 < cap && (got = read(fd, resp + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    resp[len] = '\0';
    close(fd);
    return resp;
}

static int start_with_metrics(void **state)
{
    test_daemon *d = calloc(1, sizeof *d);
    const char *extra[] = {"--metrics-listen", "127.0.0.1:0", NULL};
    test_daemon_start(d, extra);
    *state = d;
    return 0;
}

/* GET /metrics until it holds every one of want (NULL-terminated), for up to 5 s: a call is
 * counted by the per-call hook, which runs when the daemon destroys the call object, a moment
 * after the client already has its answer. Returns the last response (caller frees). */
static char *metrics_when(int port, const char *const *want)
{
    char *resp = NULL;
    for (int waited = 0; waited <= 5000; waited += 20) {
        free(resp);
        resp = http_get(port, "/metrics");
        bool all = true;
        for (int i = 0; all && want[i]; i++)
            all = strstr(resp, want[i]) != NULL;
        if (all)
            break;
        usleep(20000);
    }
    return resp;
}

static void metrics_endpoint(void **state)
{
    test_daemon *d = *state; /* stopped by the teardown, also when an assertion fails */
    assert_true(d->metrics_port > 0);
    a0ipc_status st = A0IPC_STATUS_INIT;
    int status;
    for (int i = 0; i < 3; i++)
        assert_int_equal(check(d->unix_target, "", &status, &st), A0IPC_OK);
    assert_int_equal(check(d->unix_target, "no.Such", &status, &st), A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    const char *const want[] = {
        "a0ipcd_calls_total{method=\"/grpc.health.v1.Health/Check\",code=\"OK\"} 3\n",
        "a0ipcd_calls_total{method=\"/grpc.health.v1.Health/Check\",code=\"NOT_FOUND\"} 1\n",
        "a0ipcd_call_duration_seconds_count{method=\"/grpc.health.v1.Health/Check\"} 4\n",
        NULL,
    };
    char *resp = metrics_when(d->metrics_port, want);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
    for (int i = 0; want[i]; i++)
        if (!strstr(resp, want[i]))
            fail_msg("/metrics lacks %s within 5 s:\n%s", want[i], resp);
    assert_non_null(strstr(resp, "a0ipcd_active_calls "));
    free(resp);
    resp = http_get(d->metrics_port, "/elsewhere");
    assert_non_null(strstr(resp, "HTTP/1.1 404"));
    free(resp);
    int wstatus = test_daemon_stop(d, SIGTERM);
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
}

static void metrics_listen_refuses_remote(void **state)
{
    (void)state;
    char out[4096];
    const char *remote[] = {"--listen", "unix:/tmp/a0ipc-metrics-refused.sock", "--metrics-listen",
                            "0.0.0.0:0", NULL};
    assert_int_equal(test_daemon_run(remote, out, sizeof out), 1);
    assert_non_null(strstr(out, "not a loopback address"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    a0ipc_rpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(check_over_unix_and_tcp, start, stop),
        cmocka_unit_test_setup_teardown(unknown_method_is_unimplemented, start, stop),
        cmocka_unit_test_setup_teardown(expired_deadline, start, stop),
        cmocka_unit_test(oversize_message),
        cmocka_unit_test_setup_teardown(hostile_bytes_do_not_hurt, start, stop),
        cmocka_unit_test_setup_teardown(sigterm_during_watch_ends_it_cleanly, start, stop),
        cmocka_unit_test_setup_teardown(refuses_bad_start, start, stop),
        cmocka_unit_test_setup_teardown(metrics_endpoint, start_with_metrics, stop),
        cmocka_unit_test(metrics_listen_refuses_remote),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    a0ipc_rpc_shutdown();
    return failed;
}
