/* Characterization of the terminal: one list of commands run over the legacy SSH transport
 * (a0ipc_legacy_transport_new against a real OpenSSH sshd) and over the gRPC transport (against
 * a real a0ipcd) with clean_output gives the same text, command by command. Each side gets a
 * fresh session in the same working directory; every Run must end EXITED (the legacy by its
 * prompt, a0ipcd by its exact marker). The commands cover what the legacy cleaning touches:
 * colours, carriage returns, CRLF, an OSC title, whitespace-only lines, UTF-8, output without
 * a final newline, no output at all, and output longer than one read. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "a0ipc/grpc_transport.h"
#include "a0ipc/legacy_transport.h"
#include "legacy_testutil.h"
#include "sshd_harness.h"
#include "support/daemon_proc.h"

static const char *const commands[] = {
    "echo hello",
    "printf 'a\\tb\\n'",
    "printf '\\033[1;31mred\\033[0m plain \\033[32mgreen\\033[0m\\n'",
    "printf 'progress 10%%\\rprogress 100%%\\n'",
    "printf 'one\\r\\ntwo\\r\\n'",
    "printf '\\033]0;a title\\007after the title\\n'",
    "printf 'x\\n   \\ny\\n'",
    "printf 'caf\\303\\251 \\342\\230\\225\\n'",
    "ls /nonexistent-a0ipc-dir 2>&1",
    "printf 'no final newline'",
    "true",
    "pwd",
    "seq 1 2000",
    "echo done",
};

typedef struct fixture {
    sshd sshd;
    test_daemon daemon;
    char *cwd;
    a0ipc_transport *t[2]; /* legacy, grpc */
    char *session[2];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    lt_sshd_start(&fx->sshd);
    test_daemon_start(&fx->daemon, NULL);
    fx->cwd = lt_mkdtemp("term-char");
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_legacy_options lo = {.ssh_host = "127.0.0.1",
                               .ssh_port = fx->sshd.port,
                               .ssh_user = fx->sshd.user,
                               .ssh_private_key_file = fx->sshd.user_key,
                               .ssh_host_key_sha256 = fx->sshd.host_fp,
                               .ssh_connect_timeout_ms = 20000};
    fx->t[0] = a0ipc_legacy_transport_new(&lo, &st);
    a0ipc_grpc_options go;
    a0ipc_grpc_options_init(&go);
    go.target = fx->daemon.unix_target;
    if (fx->t[0])
        fx->t[1] = a0ipc_grpc_transport_new(&go, &st);
    if (!fx->t[0] || !fx->t[1])
        fail_msg("transport: %s", a0ipc_status_message(&st));
    for (int i = 0; i < 2; i++) {
        a0ipc_session_options so = {.cwd = fx->cwd};
        a0ipc_session_info si;
        if (a0ipc_create_session(fx->t[i], NULL, &so, &si, &st) != A0IPC_OK) {
            lt_sshd_print_log(&fx->sshd);
            fail_msg("%s session: %s", a0ipc_transport_name(fx->t[i]), a0ipc_status_message(&st));
        }
        fx->session[i] = strdup(si.id);
        a0ipc_session_info_clear(&si);
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    for (int i = 0; i < 2; i++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        if (fx->session[i])
            a0ipc_close_session(fx->t[i], NULL, fx->session[i], 500, NULL, &st);
        a0ipc_status_clear(&st);
        free(fx->session[i]);
        a0ipc_transport_free(fx->t[i]);
    }
    test_daemon_stop(&fx->daemon, SIGTERM);
    test_daemon_cleanup(&fx->daemon);
    lt_sshd_stop(&fx->sshd);
    lt_rm_rf(fx->cwd);
    free(fx->cwd);
    free(fx);
    return 0;
}

typedef struct text {
    char *p;
    size_t n;
    uint64_t next_seq;
} text;

static int collect(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    text *t = arg;
    assert_int_equal(lost, 0);
    (void)seq;
    t->p = realloc(t->p, t->n + len + 1);
    assert_non_null(t->p);
    memcpy(t->p + t->n, data, len);
    t->n += len;
    t->p[t->n] = '\0';
    return 0;
}

/* Runs cmd with the legacy's timeouts (docs/legacy-protocol.md, "Terminal over SSH") and clean
 * output. */
static char *run(fixture *fx, int side, const char *cmd)
{
    a0ipc_run_options ro = {.command = cmd,
                            .first_output_timeout_ms = 30000,
                            .between_outputs_timeout_ms = 15000,
                            .total_timeout_ms = 180000,
                            .dialog_timeout_ms = 5000,
                            .clean_output = true};
    text t = {0};
    a0ipc_run_result rr;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_run(fx->t[side], NULL, fx->session[side], &ro, collect, &t, &rr, &st) != A0IPC_OK)
        fail_msg("%s `%s`: %s: %s", a0ipc_transport_name(fx->t[side]), cmd,
                 a0ipc_code_name(st.code), a0ipc_status_message(&st));
    if (rr.reason != A0IPC_DONE_EXITED)
        fail_msg("%s `%s`: ended with reason %d, not EXITED; output so far \"%s\"",
                 a0ipc_transport_name(fx->t[side]), cmd, rr.reason, t.p ? t.p : "");
    return t.p ? t.p : strdup("");
}

static void same_cleaned_output_over_ssh_and_grpc(void **state)
{
    fixture *fx = *state;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char *legacy = run(fx, 0, commands[i]);
        char *grpc = run(fx, 1, commands[i]);
        if (strcmp(legacy, grpc) != 0)
            fail_msg("`%s`\nlegacy (ssh): \"%s\"\n  grpc:       \"%s\"", commands[i], legacy, grpc);
        if (strcmp(commands[i], "pwd") == 0) {
            char want[4096];
            snprintf(want, sizeof want, "%s\n", fx->cwd);
            assert_string_equal(grpc, want); /* both really ran, in the same place */
        }
        free(legacy);
        free(grpc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_cleaned_output_over_ssh_and_grpc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
