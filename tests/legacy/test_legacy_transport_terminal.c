/* The legacy transport's terminal (legacy_transport_terminal.c) against a real OpenSSH sshd:
 * completion at the prompt, each timeout (the command keeps running and the session stays busy
 * until its prompt is back), a dialog answered with write_stdin, a busy session, Ctrl-C through
 * signal, resize, close during a Run, the session list and what the legacy cannot do. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "a0ipc/legacy_transport.h"
#include "legacy_testutil.h"
#include "sshd_harness.h"

typedef struct fixture {
    sshd sshd;
    a0ipc_transport *t;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    lt_sshd_start(&fx->sshd);
    a0ipc_legacy_options lo = {.ssh_host = "127.0.0.1",
                               .ssh_port = fx->sshd.port,
                               .ssh_user = fx->sshd.user,
                               .ssh_private_key_file = fx->sshd.user_key,
                               .ssh_host_key_sha256 = fx->sshd.host_fp,
                               .ssh_connect_timeout_ms = 20000,
                               .max_sessions = 2};
    a0ipc_status st = A0IPC_STATUS_INIT;
    fx->t = a0ipc_legacy_transport_new(&lo, &st);
    if (!fx->t)
        fail_msg("legacy transport: %s", a0ipc_status_message(&st));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    a0ipc_transport_free(fx->t);
    lt_sshd_stop(&fx->sshd);
    free(fx);
    return 0;
}

/* After each test: every session it left open is closed (a failed test leaves some). */
static int close_all(void **state)
{
    fixture *fx = *state;
    a0ipc_session_list *l = NULL;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_list_sessions(fx->t, NULL, &l, &st) == A0IPC_OK)
        for (size_t i = 0; i < l->n_sessions; i++)
            a0ipc_close_session(fx->t, NULL, l->sessions[i].id, 0, NULL, &st);
    a0ipc_session_list_free(l);
    a0ipc_status_clear(&st);
    return 0;
}

static char *open_session(fixture *fx)
{
    a0ipc_session_info si;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_create_session(fx->t, NULL, NULL, &si, &st) != A0IPC_OK) {
        lt_sshd_print_log(&fx->sshd);
        fail_msg("session: %s", a0ipc_status_message(&st));
    }
    char *id = strdup(si.id);
    a0ipc_session_info_clear(&si);
    return id;
}

static void close_session(fixture *fx, const char *id)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_close_session(fx->t, NULL, id, 0, NULL, &st), A0IPC_OK);
}

typedef struct text {
    char *p;
    size_t n;
} text;

static int collect(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    (void)seq, (void)lost;
    text *t = arg;
    t->p = realloc(t->p, t->n + len + 1);
    assert_non_null(t->p);
    memcpy(t->p + t->n, data, len);
    t->n += len;
    t->p[t->n] = '\0';
    return 0;
}

/* Runs cmd (clean output) and returns its text (caller frees); reason and code out. */
static char *run(fixture *fx, const char *id, a0ipc_run_options ro, a0ipc_done_reason *reason,
                 a0ipc_code want_code)
{
    ro.clean_output = true;
    text t = {0};
    a0ipc_run_result rr;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_code c = a0ipc_run(fx->t, NULL, id, &ro, collect, &t, &rr, &st);
    if (c != want_code)
        fail_msg("`%s`: %s: %s", ro.command, a0ipc_code_name(c), a0ipc_status_message(&st));
    if (reason)
        *reason = rr.reason;
    if (c == A0IPC_OK && rr.reason == A0IPC_DONE_EXITED)
        assert_int_equal(rr.exit_code, -1); /* never known over the legacy */
    a0ipc_status_clear(&st);
    return t.p ? t.p : strdup("");
}

static void expect_text(fixture *fx, const char *id, const char *cmd, const char *want)
{
    a0ipc_done_reason reason;
    char *got = run(fx, id, (a0ipc_run_options){.command = cmd}, &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_EXITED);
    if (strcmp(got, want) != 0)
        fail_msg("`%s`: got \"%s\", want \"%s\"", cmd, got, want);
    free(got);
}

/* As expect_text, for a session whose last command may not have ended yet: a Run refused with
 * FAILED_PRECONDITION is tried again (for up to 10 s). */
static void expect_eventually(fixture *fx, const char *id, const char *cmd, const char *want)
{
    for (int i = 0; i < 100; i++) {
        a0ipc_run_options ro = {.command = cmd, .clean_output = true};
        text t = {0};
        a0ipc_run_result rr;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_code c = a0ipc_run(fx->t, NULL, id, &ro, collect, &t, &rr, &st);
        a0ipc_status_clear(&st);
        if (c == A0IPC_FAILED_PRECONDITION) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        assert_int_equal(c, A0IPC_OK);
        assert_int_equal(rr.reason, A0IPC_DONE_EXITED);
        if (strcmp(t.p ? t.p : "", want) != 0)
            fail_msg("`%s`: got \"%s\", want \"%s\"", cmd, t.p ? t.p : "", want);
        free(t.p);
        return;
    }
    fail_msg("`%s`: the session stayed busy", cmd);
}

static void completes_at_the_prompt(void **state)
{
    fixture *fx = *state;
    char *id = open_session(fx);
    expect_text(fx, id, "echo one; echo two", "one\ntwo\n");
    expect_text(fx, id, "printf 'a'; printf 'b'", "ab");
    expect_text(fx, id, "cd /tmp", "");
    expect_text(fx, id, "pwd", "/tmp\n"); /* the prompt changed with the directory */
    expect_text(fx, id, "printf 'tail'", "tail");
    close_session(fx, id);
    free(id);
}

static void timeouts_leave_the_command_running(void **state)
{
    fixture *fx = *state;
    char *id = open_session(fx);
    a0ipc_done_reason reason;
    char *got =
        run(fx, id,
            (a0ipc_run_options){.command = "sleep 1; echo late", .first_output_timeout_ms = 200},
            &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_FIRST_OUTPUT_TIMEOUT);
    assert_string_equal(got, "");
    free(got);
    /* The command goes on and the session is its own until the prompt comes back. */
    free(
        run(fx, id, (a0ipc_run_options){.command = "echo early"}, NULL, A0IPC_FAILED_PRECONDITION));
    expect_eventually(fx, id, "echo after", "after\n");

    got = run(fx, id,
              (a0ipc_run_options){.command = "echo first; sleep 2; echo second",
                                  .between_outputs_timeout_ms = 300},
              &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_IDLE_TIMEOUT);
    assert_string_equal(got, "first\n");
    free(got);
    expect_eventually(fx, id, "echo next", "next\n");

    got =
        run(fx, id,
            (a0ipc_run_options){.command = "for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.1; done",
                                .total_timeout_ms = 250},
            &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_MAX_TIME);
    assert_non_null(strstr(got, "1\n"));
    assert_null(strstr(got, "8\n"));
    free(got);
    close_session(fx, id);
    free(id);
}

static void dialog_then_answer(void **state)
{
    fixture *fx = *state;
    char *id = open_session(fx);
    a0ipc_done_reason reason;
    char *got = run(fx, id,
                    (a0ipc_run_options){.command = "read -p 'Continue? ' ANSWER",
                                        .dialog_timeout_ms = 300,
                                        .total_timeout_ms = 20000},
                    &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_DIALOG);
    assert_string_equal(got, "Continue?");
    free(got);
    a0ipc_status st = A0IPC_STATUS_INIT;
    /* Echo is off: the answer does not come back, only what the command prints. */
    assert_int_equal(a0ipc_write_stdin(fx->t, NULL, id, (const uint8_t *)"yes\n", 4, &st),
                     A0IPC_OK);
    expect_eventually(fx, id, "echo $ANSWER", "yes\n"); /* the answer reached read */

    /* A pattern of the caller's own. */
    got = run(fx, id,
              (a0ipc_run_options){.command = "printf 'Overwrite [all] '; read x",
                                  .dialog_timeout_ms = 300,
                                  .dialog_patterns = (const char *[]){"\\[all\\]$"},
                                  .n_dialog_patterns = 1,
                                  .total_timeout_ms = 20000},
              &reason, A0IPC_OK);
    assert_int_equal(reason, A0IPC_DONE_DIALOG);
    free(got);
    assert_int_equal(a0ipc_write_stdin(fx->t, NULL, id, (const uint8_t *)"\n", 1, &st), A0IPC_OK);
    expect_eventually(fx, id, "true", "");
    /* A pattern that is not a regular expression is refused before anything is typed. */
    free(run(fx, id,
             (a0ipc_run_options){.command = "echo no",
                                 .dialog_timeout_ms = 100,
                                 .dialog_patterns = (const char *[]){"("},
                                 .n_dialog_patterns = 1},
             NULL, A0IPC_INVALID_ARGUMENT));
    close_session(fx, id);
    free(id);
}

typedef struct bg_run {
    fixture *fx;
    const char *id;
    a0ipc_code code;
    a0ipc_run_result rr;
} bg_run;

static void *run_in_background(void *arg)
{
    bg_run *b = arg;
    a0ipc_run_options ro = {.command = "sleep 30; echo never", .total_timeout_ms = 60000};
    a0ipc_status st = A0IPC_STATUS_INIT;
    b->code = a0ipc_run(b->fx->t, NULL, b->id, &ro, NULL, NULL, &b->rr, &st);
    a0ipc_status_clear(&st);
    return NULL;
}

/* Waits until the session lists as busy. */
static void wait_busy(fixture *fx, const char *id)
{
    for (int i = 0; i < 500; i++) {
        a0ipc_session_list *l = NULL;
        a0ipc_status st = A0IPC_STATUS_INIT;
        assert_int_equal(a0ipc_list_sessions(fx->t, NULL, &l, &st), A0IPC_OK);
        bool busy = false;
        for (size_t k = 0; k < l->n_sessions; k++)
            if (!strcmp(l->sessions[k].id, id) && l->sessions[k].state == A0IPC_SESSION_BUSY) {
                busy = true;
                assert_string_equal(l->sessions[k].running_command, "sleep 30; echo never");
            }
        a0ipc_session_list_free(l);
        if (busy)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the session never became busy");
}

static void busy_interrupt_and_close(void **state)
{
    fixture *fx = *state;
    char *id = open_session(fx);
    bg_run b = {.fx = fx, .id = id};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_in_background, &b), 0);
    wait_busy(fx, id);
    /* A second command while one runs: refused, naming it. */
    a0ipc_run_result rr;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_run_options ro = {.command = "echo y"};
    assert_int_equal(a0ipc_run(fx->t, NULL, id, &ro, NULL, NULL, &rr, &st),
                     A0IPC_FAILED_PRECONDITION);
    assert_non_null(strstr(a0ipc_status_message(&st), "sleep 30"));
    /* Ctrl-C ends the sleep; the prompt ends the Run. */
    assert_int_equal(a0ipc_signal(fx->t, NULL, id, SIGINT, A0IPC_SIGNAL_FOREGROUND, &st), A0IPC_OK);
    pthread_join(th, NULL);
    assert_int_equal(b.code, A0IPC_OK);
    assert_int_equal(b.rr.reason, A0IPC_DONE_EXITED);
    assert_int_equal(a0ipc_signal(fx->t, NULL, id, SIGKILL, A0IPC_SIGNAL_SESSION, &st),
                     A0IPC_UNIMPLEMENTED);

    /* Closing while a Run waits ends it with SESSION_CLOSED. */
    assert_int_equal(pthread_create(&th, NULL, run_in_background, &b), 0);
    wait_busy(fx, id);
    close_session(fx, id);
    pthread_join(th, NULL);
    assert_int_equal(b.code, A0IPC_OK);
    assert_int_equal(b.rr.reason, A0IPC_DONE_SESSION_CLOSED);
    assert_int_equal(a0ipc_run(fx->t, NULL, id, &ro, NULL, NULL, &rr, &st), A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    free(id);
}

static void resize_limits_and_refusals(void **state)
{
    fixture *fx = *state;
    char *id = open_session(fx);
    expect_text(fx, id, "stty size", "50 100\n"); /* the legacy's PTY */
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_resize(fx->t, NULL, id, 30, 120, &st), A0IPC_OK);
    expect_text(fx, id, "stty size", "30 120\n");
    assert_int_equal(a0ipc_resize(fx->t, NULL, id, 0, 120, &st), A0IPC_INVALID_ARGUMENT);

    /* max_sessions is 2. */
    char *second = open_session(fx);
    a0ipc_session_info si;
    assert_int_equal(a0ipc_create_session(fx->t, NULL, NULL, &si, &st), A0IPC_RESOURCE_EXHAUSTED);
    close_session(fx, second);
    free(second);

    const char *argv[] = {"/bin/sh"};
    a0ipc_session_options so = {.argv = argv, .argc = 1};
    assert_int_equal(a0ipc_create_session(fx->t, NULL, &so, &si, &st), A0IPC_UNIMPLEMENTED);
    a0ipc_run_options ro = {.command = "echo a\necho b"};
    a0ipc_run_result rr;
    assert_int_equal(a0ipc_run(fx->t, NULL, id, &ro, NULL, NULL, &rr, &st), A0IPC_INVALID_ARGUMENT);
    assert_int_equal(a0ipc_attach(fx->t, NULL, id, 0, collect, NULL, &st), A0IPC_UNIMPLEMENTED);
    a0ipc_exec_options eo = {.argv = argv, .argc = 1};
    a0ipc_exec_result er;
    assert_int_equal(a0ipc_exec(fx->t, NULL, &eo, &er, &st), A0IPC_UNIMPLEMENTED);
    assert_int_equal(a0ipc_close_session(fx->t, NULL, "legacy-999", 0, NULL, &st), A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    close_session(fx, id);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(completes_at_the_prompt, close_all),
        cmocka_unit_test_teardown(timeouts_leave_the_command_running, close_all),
        cmocka_unit_test_teardown(dialog_then_answer, close_all),
        cmocka_unit_test_teardown(busy_interrupt_and_close, close_all),
        cmocka_unit_test_teardown(resize_limits_and_refusals, close_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
