/* Exec: separate stdout and stderr, exit codes and signals, stdin, caps, timeouts, limits. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/term_exec.h"
#include "services/term_reaper.h"

static a0ipc_terminal_config cfg;

static int setup(void **state)
{
    (void)state;
    a0ipc_terminal_config_init(&cfg);
    /* Exec's children are reaped through the reaper like the sessions'. */
    return a0ipc_reaper_set_subreaper();
}

/* Runs sh -c script; fails the test when it cannot start. */
static void sh(const char *script, const a0ipc_term_exec_opts *extra, a0ipc_term_exec_result *r)
{
    const char *argv[] = {"sh", "-c", script};
    a0ipc_term_exec_opts o = extra ? *extra : (a0ipc_term_exec_opts){0};
    o.argv = argv;
    o.argc = 3;
    if (!extra)
        o.cancel_fd = -1;
    a0ipc_status st = A0IPC_STATUS_INIT;
    memset(r, 0, sizeof *r);
    if (a0ipc_term_exec(&cfg, &o, r, &st) != A0IPC_OK)
        fail_msg("%s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
}

static const char *text(const a0ipc_term_text *t)
{
    return t->p ? t->p : "";
}

static void test_streams_and_exit_codes(void **state)
{
    (void)state;
    a0ipc_term_exec_result r;
    sh("echo out; echo err >&2; exit 3", NULL, &r);
    assert_string_equal(text(&r.out), "out\n");
    assert_string_equal(text(&r.err), "err\n");
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    assert_false(r.timed_out);
    a0ipc_term_exec_result_free(&r);
    sh("kill -SEGV $$", NULL, &r);
    assert_int_equal(r.signal, SIGSEGV);
    assert_int_equal(r.exit_code, 0);
    a0ipc_term_exec_result_free(&r);
}

static void test_stdin_env_cwd(void **state)
{
    (void)state;
    a0ipc_term_exec_result r;
    a0ipc_term_kv env[] = {{"A0_NAME", "world"}};
    const char input[] = "line one\nline two\n";
    a0ipc_term_exec_opts o = {.stdin_data = (const uint8_t *)input,
                              .stdin_len = sizeof input - 1,
                              .env = env,
                              .n_env = 1,
                              .cwd = "/tmp",
                              .cancel_fd = -1};
    sh("wc -l; echo \"hello $A0_NAME from $PWD\"", &o, &r);
    assert_string_equal(text(&r.out), "2\nhello world from /tmp\n");
    a0ipc_term_exec_result_free(&r);
    /* A program that never reads stdin still ends; the input is dropped. */
    static uint8_t big[1 << 20];
    o.stdin_data = big;
    o.stdin_len = sizeof big;
    sh("exit 0", &o, &r);
    assert_int_equal(r.exit_code, 0);
    a0ipc_term_exec_result_free(&r);
}

static void test_output_cap(void **state)
{
    (void)state;
    a0ipc_term_exec_result r;
    a0ipc_term_exec_opts o = {.max_output = 1000, .cancel_fd = -1};
    sh("head -c 300000 /dev/zero; head -c 10 /dev/zero >&2", &o, &r);
    assert_int_equal(r.out.len, 1000);
    assert_true(r.out_truncated);
    assert_int_equal(r.err.len, 10);
    assert_false(r.err_truncated);
    assert_int_equal(r.exit_code, 0); /* the program was not stopped */
    a0ipc_term_exec_result_free(&r);
}

static void test_timeout_kills_group(void **state)
{
    (void)state;
    a0ipc_term_exec_result r;
    a0ipc_term_exec_opts o = {.timeout_ms = 200, .cancel_fd = -1};
    sh("echo before; sleep 30; echo after", &o, &r);
    assert_true(r.timed_out);
    assert_int_equal(r.signal, SIGKILL);
    assert_string_equal(text(&r.out), "before\n");
    a0ipc_term_exec_result_free(&r);
}

static void test_background_child_does_not_hold_the_call(void **state)
{
    (void)state;
    /* The sleep keeps stdout open; Exec ends when sh ends, not at the timeout. */
    a0ipc_term_exec_result r;
    a0ipc_term_exec_opts o = {.timeout_ms = 20000, .cancel_fd = -1};
    sh("sleep 30 & echo $!", &o, &r);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    pid_t bg = atoi(text(&r.out));
    assert_true(bg > 0);
    assert_int_equal(kill(bg, SIGKILL), 0); /* it outlived the call: end it */
    a0ipc_term_exec_result_free(&r);
}

static void test_cancel(void **state)
{
    (void)state;
    int efd = eventfd(1, EFD_CLOEXEC); /* already signalled */
    a0ipc_term_exec_result r;
    a0ipc_term_exec_opts o = {.timeout_ms = 20000, .cancel_fd = efd};
    sh("sleep 30", &o, &r);
    assert_true(r.cancelled);
    assert_int_equal(r.signal, SIGKILL);
    a0ipc_term_exec_result_free(&r);
    close(efd);
}

static void test_start_errors(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_exec_result r = {0};
    const char *argv[] = {"no-such-program-a0ipc"};
    a0ipc_term_exec_opts o = {.argv = argv, .argc = 1, .cancel_fd = -1};
    assert_int_equal(a0ipc_term_exec(&cfg, &o, &r, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    const char *argv2[] = {"true"};
    a0ipc_term_exec_opts o2 = {.argv = argv2, .argc = 1, .cwd = "/no/such/dir", .cancel_fd = -1};
    assert_int_equal(a0ipc_term_exec(&cfg, &o2, &r, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    const char *argv3[] = {"/etc/passwd"};
    a0ipc_term_exec_opts o3 = {.argv = argv3, .argc = 1, .cancel_fd = -1};
    assert_int_equal(a0ipc_term_exec(&cfg, &o3, &r, &st), A0IPC_PERMISSION_DENIED);
    assert_int_equal(st.code, A0IPC_PERMISSION_DENIED);
    a0ipc_status_clear(&st);
    a0ipc_term_exec_opts o4 = {.argc = 0, .cancel_fd = -1};
    assert_int_equal(a0ipc_term_exec(&cfg, &o4, &r, &st), A0IPC_INVALID_ARGUMENT);
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    a0ipc_term_exec_result_free(&r);
}

static void test_limits_and_user(void **state)
{
    (void)state;
    a0ipc_terminal_config saved = cfg;
    cfg.rlimit_nofile = 64;
    cfg.rlimit_cpu_s = 100;
    a0ipc_term_exec_result r;
    sh("ulimit -n; ulimit -t", NULL, &r);
    assert_string_equal(text(&r.out), "64\n100\n");
    a0ipc_term_exec_result_free(&r);
    if (geteuid() == 0) {
        cfg.uid = 65534; /* nobody */
        cfg.gid = 65534;
        sh("id -u; id -g; id -G", NULL, &r);
        assert_string_equal(text(&r.out), "65534\n65534\n65534\n");
        a0ipc_term_exec_result_free(&r);
    }
    cfg = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_and_exit_codes),
        cmocka_unit_test(test_stdin_env_cwd),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_timeout_kills_group),
        cmocka_unit_test(test_background_child_does_not_hold_the_call),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_limits_and_user),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
