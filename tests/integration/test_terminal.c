/* a0.runtime.v1.Terminal end to end in one process: the rpc server with the Terminal service on
 * a temporary unix socket and the blocking client. Exact exit codes, Attach resuming exactly
 * after a dropped stream, a dialog answered with Write, signals, listing, closing, Exec, errors,
 * and 100 MB through a Run stream with no byte lost. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "a0/runtime/v1/terminal.a0ipc.h"
#include "services/terminal.h"
#include "rpc/core.h"

static char dir[64], target[128];
static a0ipc_rpc_server *srv;
static a0ipc_rpc_channel *ch;
static const a0ipc_rpc_call_options opts = {.timeout_ms = 60000};

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/a0ipc-term-rpc-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(target, sizeof target, "unix:%s/s.sock", dir);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_server_options o;
    a0ipc_rpc_server_options_init(&o);
    o.log_calls = false;
    srv = a0ipc_rpc_server_new(&o, &st);
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.close_grace_ms = 200;
    if (!srv || a0ipc_terminal_service_register(srv, &cfg, &st) != 0 ||
        a0ipc_rpc_server_listen(srv, target, NULL, &st) != 1 ||
        a0ipc_rpc_server_start(srv, &st) != 0) {
        fprintf(stderr, "setup: %s\n", a0ipc_status_message(&st));
        return -1;
    }
    ch = a0ipc_rpc_channel_new(target, NULL, &st);
    return ch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    a0ipc_rpc_channel_free(ch);
    a0ipc_terminal_service_shutdown(200);
    a0ipc_rpc_server_free(srv);
    a0ipc_terminal_service_free();
    char sock[160];
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    unlink(sock);
    rmdir(dir);
    return 0;
}

#define CALL_OK(expr)                                                                              \
    do {                                                                                           \
        a0ipc_status st_ = A0IPC_STATUS_INIT;                                                      \
        a0ipc_status *cst = &st_;                                                                  \
        if ((expr) != A0IPC_OK)                                                                    \
            fail_msg("%s: %s", a0ipc_code_name(st_.code), a0ipc_status_message(&st_));             \
    } while (0)

/* A session without the user's start-up files. */
static char *create(void)
{
    A0__Runtime__V1__CreateSessionRequest req = A0__RUNTIME__V1__CREATE_SESSION_REQUEST__INIT;
    char *argv[] = {"/bin/bash", "--norc"};
    req.argv = argv;
    req.n_argv = 2;
    A0__Runtime__V1__CreateSessionResponse *resp = NULL;
    CALL_OK(a0_runtime_v1_terminal_create_session_call(ch, &opts, &req, &resp, cst));
    assert_true(resp->exact_completion);
    assert_true(resp->pid > 0);
    char *id = strdup(resp->session_id);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return id;
}

static void close_session(const char *id)
{
    A0__Runtime__V1__CloseSessionRequest req = A0__RUNTIME__V1__CLOSE_SESSION_REQUEST__INIT;
    req.session_id = (char *)id;
    A0__Runtime__V1__CloseSessionResponse *resp = NULL;
    CALL_OK(a0_runtime_v1_terminal_close_session_call(ch, &opts, &req, &resp, cst));
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

typedef struct collected {
    char *out;
    size_t len;
    A0__Runtime__V1__Done done;
} collected;

/* Runs a command and collects the stream; checks the offsets follow each other. */
static void run(const char *id, const char *cmd, const A0__Runtime__V1__RunTimeouts *t,
                collected *c)
{
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = (char *)id;
    req.command = (char *)cmd;
    req.timeouts = (A0__Runtime__V1__RunTimeouts *)t;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    assert_non_null(s);
    memset(c, 0, sizeof *c);
    c->out = calloc(1, 1);
    uint64_t next = UINT64_MAX;
    bool done = false;
    A0__Runtime__V1__RunResponse *r;
    while (a0_runtime_v1_terminal_run_read(s, &r) == 1) {
        assert_false(done); /* nothing after Done */
        if (r->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT) {
            if (next != UINT64_MAX)
                assert_int_equal(r->output->seq, next);
            next = r->output->seq + r->output->data.len;
            c->out = realloc(c->out, c->len + r->output->data.len + 1);
            memcpy(c->out + c->len, r->output->data.data, r->output->data.len);
            c->len += r->output->data.len;
            c->out[c->len] = '\0';
        } else {
            assert_int_equal(r->event_case, A0__RUNTIME__V1__RUN_RESPONSE__EVENT_DONE);
            c->done = *r->done;
            done = true;
        }
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    assert_true(done);
}

static void test_exit_codes_over_grpc(void **state)
{
    (void)state;
    char *id = create();
    collected c;
    run(id, "echo hi", NULL, &c);
    assert_string_equal(c.out, "hi\r\n");
    assert_int_equal(c.done.reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
    assert_int_equal(c.done.exit_code, 0);
    assert_int_equal(c.done.last_seq, 4);
    free(c.out);
    run(id, "false", NULL, &c);
    assert_int_equal(c.done.exit_code, 1);
    free(c.out);
    run(id, "no_such_command_a0ipc", NULL, &c);
    assert_int_equal(c.done.exit_code, 127);
    free(c.out);
    run(id, "sh -c 'kill -KILL $$'", NULL, &c);
    assert_int_equal(c.done.exit_code, 128 + SIGKILL);
    free(c.out);
    close_session(id);
    free(id);
}

static void test_attach_after_dropped_stream_resumes_exactly(void **state)
{
    (void)state;
    char *id = create();
    /* Drop a Run stream after its first piece of output. */
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = id;
    req.command = "for i in $(seq 1 30); do echo line-$i; sleep 0.01; done";
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    assert_non_null(s);
    A0__Runtime__V1__RunResponse *r;
    assert_int_equal(a0_runtime_v1_terminal_run_read(s, &r), 1);
    assert_int_equal(r->event_case, A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT);
    assert_int_equal(r->output->seq, 0);
    uint64_t resume = r->output->data.len;
    /* bytes are not NUL-terminated: copy by length (strndup may read past them) */
    char *first = calloc(1, r->output->data.len + 1);
    memcpy(first, r->output->data.data, r->output->data.len);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    a0ipc_rpc_stream_cancel(s);
    a0ipc_rpc_stream_free(s);

    /* Come back from where we stopped; the command went on meanwhile. */
    A0__Runtime__V1__AttachRequest areq = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    areq.session_id = id;
    areq.from_seq = resume;
    s = a0_runtime_v1_terminal_attach_open(ch, &opts, &areq, &st);
    assert_non_null(s);
    size_t cap = 4096, len = strlen(first);
    char *all = malloc(cap);
    memcpy(all, first, len + 1);
    A0__Runtime__V1__AttachResponse *a;
    bool done = false;
    while (!done && a0_runtime_v1_terminal_attach_read(s, &a) == 1) {
        if (a->event_case == A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_OUTPUT) {
            assert_int_equal(a->output->seq, len);
            while (len + a->output->data.len + 1 > cap)
                all = realloc(all, cap *= 2);
            memcpy(all + len, a->output->data.data, a->output->data.len);
            len += a->output->data.len;
            all[len] = '\0';
        } else {
            assert_int_equal(a->event_case, A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_DONE);
            assert_int_equal(a->done->reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
            assert_int_equal(a->done->command_number, 1);
            assert_int_equal(a->done->last_seq, len);
            done = true;
        }
        protobuf_c_message_free_unpacked(&a->base, NULL);
    }
    assert_true(done);
    a0ipc_rpc_stream_free(s); /* the Attach stream would go on: cancel it */
    char want[1024] = "";
    for (int i = 1; i <= 30; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "line-%d\r\n", i);
    assert_string_equal(all, want);
    free(all);
    free(first);
    close_session(id);
    free(id);
}

static void test_dialog_write_and_busy(void **state)
{
    (void)state;
    char *id = create();
    A0__Runtime__V1__RunTimeouts t = A0__RUNTIME__V1__RUN_TIMEOUTS__INIT;
    t.dialog_ms = 150;
    collected c;
    run(id, "read -p 'Overwrite file? ' a; echo \"answer=$a\"", &t, &c);
    assert_int_equal(c.done.reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_DIALOG);
    assert_string_equal(c.out, "Overwrite file? ");
    uint64_t resume = c.done.last_seq;
    free(c.out);

    /* Busy: a second command is refused and the message names the first. */
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = id;
    req.command = "echo nope";
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    A0__Runtime__V1__RunResponse *r;
    assert_true(a0_runtime_v1_terminal_run_read(s, &r) <= 0); /* ends; finish says why */
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_FAILED_PRECONDITION);
    assert_non_null(strstr(a0ipc_status_message(&st), "read -p"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);

    /* Listed as busy. */
    A0__Runtime__V1__ListSessionsRequest lreq = A0__RUNTIME__V1__LIST_SESSIONS_REQUEST__INIT;
    A0__Runtime__V1__ListSessionsResponse *list = NULL;
    CALL_OK(a0_runtime_v1_terminal_list_sessions_call(ch, &opts, &lreq, &list, cst));
    bool found = false;
    for (size_t i = 0; i < list->n_sessions; i++) {
        A0__Runtime__V1__SessionInfo *e = list->sessions[i];
        if (strcmp(e->session_id, id) != 0)
            continue;
        found = true;
        assert_int_equal(e->state, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_BUSY);
        assert_non_null(strstr(e->running_command, "read -p"));
        assert_int_equal(e->n_argv, 2);
        assert_true(e->created_unix_ms > 1600000000000LL);
        assert_int_equal(e->end_seq, resume);
    }
    assert_true(found);
    protobuf_c_message_free_unpacked(&list->base, NULL);

    /* Answer it. */
    A0__Runtime__V1__WriteInputRequest w = A0__RUNTIME__V1__WRITE_INPUT_REQUEST__INIT;
    w.session_id = id;
    w.data.data = (uint8_t *)"yes\n";
    w.data.len = 4;
    A0__Runtime__V1__WriteInputResponse *wr = NULL;
    CALL_OK(a0_runtime_v1_terminal_write_call(ch, &opts, &w, &wr, cst));
    protobuf_c_message_free_unpacked(&wr->base, NULL);
    A0__Runtime__V1__AttachRequest areq = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    areq.session_id = id;
    areq.from_seq = resume;
    s = a0_runtime_v1_terminal_attach_open(ch, &opts, &areq, &st);
    A0__Runtime__V1__AttachResponse *a;
    assert_int_equal(a0_runtime_v1_terminal_attach_read(s, &a), 1);
    assert_int_equal(a->event_case, A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_OUTPUT);
    assert_int_equal(a->output->seq, resume);
    assert_memory_equal(a->output->data.data, "answer=yes\r\n", 12);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    assert_int_equal(a0_runtime_v1_terminal_attach_read(s, &a), 1);
    assert_int_equal(a->event_case, A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_DONE);
    assert_int_equal(a->done->exit_code, 0);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    a0ipc_rpc_stream_free(s);
    close_session(id);
    free(id);
}

static void test_signal_resize_clean(void **state)
{
    (void)state;
    char *id = create();
    A0__Runtime__V1__RunTimeouts t = A0__RUNTIME__V1__RUN_TIMEOUTS__INIT;
    t.first_output_ms = 100;
    collected c;
    run(id, "sleep 30", &t, &c);
    assert_int_equal(c.done.reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_FIRST_OUTPUT_TIMEOUT);
    free(c.out);
    A0__Runtime__V1__SignalRequest sreq = A0__RUNTIME__V1__SIGNAL_REQUEST__INIT;
    sreq.session_id = id;
    sreq.signal = SIGTERM;
    A0__Runtime__V1__SignalResponse *sresp = NULL;
    CALL_OK(a0_runtime_v1_terminal_signal_call(ch, &opts, &sreq, &sresp, cst));
    protobuf_c_message_free_unpacked(&sresp->base, NULL);
    A0__Runtime__V1__ResizeRequest rz = A0__RUNTIME__V1__RESIZE_REQUEST__INIT;
    rz.session_id = id;
    rz.rows = 40;
    rz.cols = 132;
    A0__Runtime__V1__ResizeResponse *rzr = NULL;
    /* The shell may still be reporting the signalled command: Resize works either way. */
    CALL_OK(a0_runtime_v1_terminal_resize_call(ch, &opts, &rz, &rzr, cst));
    protobuf_c_message_free_unpacked(&rzr->base, NULL);
    /* Wait for the signalled command to end: Attach from where Run stopped. */
    A0__Runtime__V1__AttachRequest areq = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    areq.session_id = id;
    areq.from_seq = c.done.last_seq;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_attach_open(ch, &opts, &areq, &st);
    A0__Runtime__V1__AttachResponse *a;
    int exit_code = -1;
    while (exit_code < 0 && a0_runtime_v1_terminal_attach_read(s, &a) == 1) {
        if (a->event_case == A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_DONE)
            exit_code = a->done->exit_code;
        protobuf_c_message_free_unpacked(&a->base, NULL);
    }
    a0ipc_rpc_stream_free(s);
    assert_int_equal(exit_code, 128 + SIGTERM);

    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = id;
    req.command = "stty size; printf '\\033[1;32mok\\033[0m  \\r\\n'";
    req.clean_output = true;
    s = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    char text[256] = "";
    A0__Runtime__V1__RunResponse *r;
    while (a0_runtime_v1_terminal_run_read(s, &r) == 1) {
        if (r->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT)
            strncat(text, (char *)r->output->data.data, r->output->data.len);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    a0ipc_rpc_stream_free(s);
    assert_string_equal(text, "40 132\nok\n");
    close_session(id);
    free(id);
}

static void test_errors(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    A0__Runtime__V1__CloseSessionRequest creq = A0__RUNTIME__V1__CLOSE_SESSION_REQUEST__INIT;
    creq.session_id = "0123";
    A0__Runtime__V1__CloseSessionResponse *cresp = NULL;
    assert_int_equal(a0_runtime_v1_terminal_close_session_call(ch, &opts, &creq, &cresp, &st),
                     A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    creq.session_id = "";
    assert_int_equal(a0_runtime_v1_terminal_close_session_call(ch, &opts, &creq, &cresp, &st),
                     A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    A0__Runtime__V1__AttachRequest areq = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    areq.session_id = "nope";
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_attach_open(ch, &opts, &areq, &st);
    A0__Runtime__V1__AttachResponse *a;
    assert_true(a0_runtime_v1_terminal_attach_read(s, &a) <= 0);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);
    A0__Runtime__V1__SignalRequest sreq = A0__RUNTIME__V1__SIGNAL_REQUEST__INIT;
    sreq.session_id = "nope";
    sreq.signal = 999;
    A0__Runtime__V1__SignalResponse *sresp = NULL;
    assert_int_equal(a0_runtime_v1_terminal_signal_call(ch, &opts, &sreq, &sresp, &st),
                     A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    A0__Runtime__V1__ExecRequest ereq = A0__RUNTIME__V1__EXEC_REQUEST__INIT;
    A0__Runtime__V1__ExecResponse *eresp = NULL;
    assert_int_equal(a0_runtime_v1_terminal_exec_call(ch, &opts, &ereq, &eresp, &st),
                     A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
}

static void test_exec_over_grpc(void **state)
{
    (void)state;
    A0__Runtime__V1__ExecRequest req = A0__RUNTIME__V1__EXEC_REQUEST__INIT;
    char *argv[] = {"sh", "-c", "cat; echo err >&2; head -c 5000 /dev/zero; exit 4"};
    req.argv = argv;
    req.n_argv = 3;
    req.stdin_data.data = (uint8_t *)"input\n";
    req.stdin_data.len = 6;
    req.max_output_bytes = 100;
    A0__Runtime__V1__ExecResponse *resp = NULL;
    CALL_OK(a0_runtime_v1_terminal_exec_call(ch, &opts, &req, &resp, cst));
    assert_int_equal(resp->stdout_data.len, 100);
    assert_memory_equal(resp->stdout_data.data, "input\n", 6);
    assert_true(resp->stdout_truncated);
    assert_int_equal(resp->stderr_data.len, 4);
    assert_false(resp->stderr_truncated);
    assert_int_equal(resp->exit_code, 4);
    assert_false(resp->timed_out);
    protobuf_c_message_free_unpacked(&resp->base, NULL);

    char *argv2[] = {"sleep", "30"};
    req.argv = argv2;
    req.n_argv = 2;
    req.timeout_ms = 100;
    CALL_OK(a0_runtime_v1_terminal_exec_call(ch, &opts, &req, &resp, cst));
    assert_true(resp->timed_out);
    assert_int_equal(resp->signal, SIGKILL);
    protobuf_c_message_free_unpacked(&resp->base, NULL);

    /* The call's deadline, when sooner, ends it too. */
    a0ipc_status st = A0IPC_STATUS_INIT;
    req.timeout_ms = 0;
    const a0ipc_rpc_call_options short_call = {.timeout_ms = 200};
    assert_int_equal(a0_runtime_v1_terminal_exec_call(ch, &short_call, &req, &resp, &st),
                     A0IPC_DEADLINE_EXCEEDED);
    a0ipc_status_clear(&st);
}

static void test_100mb_through_grpc(void **state)
{
    (void)state;
    char *id = create();
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = id;
    req.command = "seq 1 11200000"; /* 100.9 MB with "\r\n" line ends */
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    assert_non_null(s);
    unsigned long next = 1;
    char line[32];
    size_t line_len = 0, line_off = 0;
    uint64_t got = 0;
    A0__Runtime__V1__RunResponse *r;
    A0__Runtime__V1__DoneReason reason = 0;
    while (a0_runtime_v1_terminal_run_read(s, &r) == 1) {
        if (r->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT) {
            assert_int_equal(r->output->seq, got);
            const uint8_t *p = r->output->data.data;
            for (size_t i = 0; i < r->output->data.len; i++) {
                if (line_off == line_len) {
                    line_len = (size_t)snprintf(line, sizeof line, "%lu\r\n", next++);
                    line_off = 0;
                }
                if (p[i] != (uint8_t)line[line_off++])
                    fail_msg("byte %llu differs", (unsigned long long)(got + i));
            }
            got += r->output->data.len;
        } else {
            reason = r->done->reason;
            assert_int_equal(r->done->last_seq, got);
        }
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    assert_int_equal(reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
    assert_int_equal(next, 11200001);
    assert_int_equal(line_off, line_len);
    assert_true(got >= 100000000);
    close_session(id);
    free(id);
}

/* The reported case: a second Run on a session whose first Run stream is left unread is
 * refused with FAILED_PRECONDITION naming the first command while it runs, and runs once it has
 * ended (seen by an independent Attach reader, not by a sleep); the unread stream still gives
 * its own output and Done afterwards. The deadlines only guard against a hang. (The stall this
 * guards against needs more output than gRPC buffers: tests/unit/test_term_session.c.) */
static void test_unread_run_does_not_hold_the_session(void **state)
{
    (void)state;
    char *id = create();
    const a0ipc_rpc_call_options guard = {.timeout_ms = 10000};
    a0ipc_status st = A0IPC_STATUS_INIT;

    /* The first Run: opened, never read until the end of the test. */
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = id;
    req.command = "sleep 1; echo x";
    a0ipc_rpc_stream *first = a0_runtime_v1_terminal_run_open(ch, &opts, &req, &st);
    assert_non_null(first);

    /* The stream is open once the request is sent, before the daemon typed the command: wait
     * until ListSessions shows it running, so the next Run surely finds it busy. */
    A0__Runtime__V1__ListSessionsRequest lreq = A0__RUNTIME__V1__LIST_SESSIONS_REQUEST__INIT;
    bool busy = false;
    for (int i = 0; i < 1000 && !busy; i++) {
        A0__Runtime__V1__ListSessionsResponse *list = NULL;
        CALL_OK(a0_runtime_v1_terminal_list_sessions_call(ch, &guard, &lreq, &list, cst));
        for (size_t k = 0; k < list->n_sessions; k++)
            if (strcmp(list->sessions[k]->session_id, id) == 0)
                busy =
                    list->sessions[k]->state == A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_BUSY;
        protobuf_c_message_free_unpacked(&list->base, NULL);
        if (!busy)
            usleep(1000);
    }
    assert_true(busy);

    /* While it runs: refused at once, and the message says what runs. */
    A0__Runtime__V1__RunRequest req2 = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req2.session_id = id;
    req2.command = "echo y";
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(ch, &guard, &req2, &st);
    assert_non_null(s);
    A0__Runtime__V1__RunResponse *r;
    assert_true(a0_runtime_v1_terminal_run_read(s, &r) <= 0);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_FAILED_PRECONDITION);
    assert_non_null(strstr(a0ipc_status_message(&st), "sleep 1; echo x"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_stream_free(s);

    /* Wait for its end the way a client that dropped the Run would: Attach from 0. */
    A0__Runtime__V1__AttachRequest areq = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    areq.session_id = id;
    s = a0_runtime_v1_terminal_attach_open(ch, &guard, &areq, &st);
    assert_non_null(s);
    A0__Runtime__V1__AttachResponse *a;
    bool ended = false;
    while (!ended && a0_runtime_v1_terminal_attach_read(s, &a) == 1) {
        if (a->event_case == A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_DONE) {
            assert_int_equal(a->done->reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
            assert_int_equal(a->done->command_number, 1);
            ended = true;
        }
        protobuf_c_message_free_unpacked(&a->base, NULL);
    }
    assert_true(ended);
    a0ipc_rpc_stream_free(s);

    /* The first command has ended: the session is free although its Run was never read. */
    s = a0_runtime_v1_terminal_run_open(ch, &guard, &req2, &st);
    assert_non_null(s);
    char text[64] = "";
    A0__Runtime__V1__DoneReason reason = 0;
    while (a0_runtime_v1_terminal_run_read(s, &r) == 1) {
        if (r->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT)
            strncat(text, (char *)r->output->data.data, r->output->data.len);
        else
            reason = r->done->reason;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    assert_int_equal(reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
    assert_string_equal(text, "y\r\n");

    /* The first Run's stream still holds its own command's output and end, nothing more. */
    text[0] = '\0';
    reason = 0;
    while (a0_runtime_v1_terminal_run_read(first, &r) == 1) {
        if (r->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT)
            strncat(text, (char *)r->output->data.data, r->output->data.len);
        else
            reason = r->done->reason;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_finish(first, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(first);
    assert_int_equal(reason, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
    assert_string_equal(text, "x\r\n");
    close_session(id);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes_over_grpc),
        cmocka_unit_test(test_attach_after_dropped_stream_resumes_exactly),
        cmocka_unit_test(test_dialog_write_and_busy),
        cmocka_unit_test(test_unread_run_does_not_hold_the_session),
        cmocka_unit_test(test_signal_resize_clean),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_exec_over_grpc),
        cmocka_unit_test(test_100mb_through_grpc),
    };
    a0ipc_rpc_init();
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    a0ipc_rpc_shutdown();
    return failed;
}
