/* Real bash sessions through the manager: exact completion and exit codes, state that persists,
 * long and strange commands, every timeout, dialogs answered with Write, signals, Unicode split
 * across reads, Attach resume and loss, limits, and sessions that end by themselves. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "term_testlib.h"

static a0ipc_term_manager *mgr;

static int setup(void **state)
{
    (void)state;
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.close_grace_ms = 200;
    a0ipc_status st = A0IPC_STATUS_INIT;
    mgr = a0ipc_term_manager_new(&cfg, &st);
    return mgr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    a0ipc_term_manager_free(mgr);
    return 0;
}

static void test_exit_codes(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    assert_true(s.exact_completion);
    a0ipc_term_event done;
    char *out = term_test_run(mgr, s.id, "echo hello", &done);
    assert_string_equal(out, "hello\r\n");
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(done.exit_code, 0);
    assert_int_equal(done.command_number, 1);
    free(out);
    out = term_test_run(mgr, s.id, "false", &done);
    assert_string_equal(out, "");
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(done.exit_code, 1);
    free(out);
    out = term_test_run(mgr, s.id, "no_such_command_a0ipc", &done);
    assert_non_null(strstr(out, "command not found"));
    assert_int_equal(done.exit_code, 127);
    free(out);
    /* Death by a signal: bash reports 128 + N. */
    out = term_test_run(mgr, s.id, "sh -c 'kill -TERM $$'", &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(done.exit_code, 128 + SIGTERM);
    free(out);
    out = term_test_run(mgr, s.id, "exit_code_of() { return 42; }; exit_code_of", &done);
    assert_int_equal(done.exit_code, 42);
    free(out);
    term_test_close(mgr, s.id);
}

static void test_shell_state_persists(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    free(term_test_run(mgr, s.id, "cd /tmp && export A0_X=42 && y=7", &done));
    char *out = term_test_run(mgr, s.id, "echo $PWD $A0_X $y $A0IPC_SESSION_ID", &done);
    char want[128];
    snprintf(want, sizeof want, "/tmp 42 7 %s\r\n", s.id);
    assert_string_equal(out, want);
    free(out);
    /* "!" is not history expansion; quotes survive. */
    out = term_test_run(mgr, s.id, "echo \"hi!\" 'it'\"'\"'s'", &done);
    assert_string_equal(out, "hi! it's\r\n");
    free(out);
    term_test_close(mgr, s.id);
}

/* Runs cmd and returns a copy of its DONE's cwd (the event's points into the cursor). */
static char *run_cwd(const char *id, const char *cmd)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    a0ipc_term_run_opts o = {.command = cmd, .command_len = strlen(cmd)};
    CHECK_OK(a0ipc_term_run(mgr, id, &o, &c, &st), &st);
    a0ipc_term_text out = A0IPC_TERM_TEXT_INIT;
    a0ipc_term_text_add(&out, "", 0);
    a0ipc_term_event done;
    term_test_drain(c, &out, &done, true);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    char *cwd = done.cwd ? strdup(done.cwd) : NULL;
    a0ipc_term_cursor_free(c);
    a0ipc_term_text_free(&out);
    return cwd;
}

static void test_done_tells_where_the_shell_is(void **state)
{
    (void)state;
    char dir[] = "/tmp/a0ipc-cwd-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char real[4096], link[4200], odd[4200];
    assert_non_null(realpath(dir, real));
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(odd, sizeof odd, "%s/caf\xe9", real); /* not UTF-8: bytes as they are */
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(mkdir(odd, 0700), 0);
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "cd '%s'", real);
    char *cwd = run_cwd(s.id, cmd);
    assert_string_equal(cwd, real);
    free(cwd);
    snprintf(cmd, sizeof cmd, "cd '%s'", link); /* the physical path, as /proc shows it */
    cwd = run_cwd(s.id, cmd);
    assert_string_equal(cwd, real);
    free(cwd);
    snprintf(cmd, sizeof cmd, "cd \"$(printf '%s/caf\\351')\"", real);
    cwd = run_cwd(s.id, cmd);
    assert_string_equal(cwd, odd);
    free(cwd);
    /* Attach reports the same for a completion it reads back. */
    a0ipc_term_event done;
    free(term_test_run(mgr, s.id, "cd / && true", &done));
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    CHECK_OK(a0ipc_term_attach(mgr, s.id, done.last_seq, false, &c, &st), &st);
    a0ipc_term_event ev;
    /* Every command so far printed nothing: the completions share one offset, the earlier
     * ones come first (with their own cwd). */
    while (a0ipc_term_cursor_next(c, &ev) != A0IPC_TERM_EV_DONE ||
           ev.command_number != done.command_number)
        assert_true(ev.kind != A0IPC_TERM_EV_DONE || ev.reason == A0IPC_TERM_DONE_EXITED);
    assert_string_equal(ev.cwd, "/");
    a0ipc_term_cursor_free(c);
    term_test_close(mgr, s.id);
    rmdir(odd);
    unlink(link);
    rmdir(dir);
}

static void test_multiline_long_and_control_commands(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    /* Several lines complete as one command, with the last line's status. */
    char *out = term_test_run(mgr, s.id, "echo one\necho two\n\tfalse\n", &done);
    assert_string_equal(out, "one\r\ntwo\r\n");
    assert_int_equal(done.exit_code, 1);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    free(out);
    /* A line longer than the terminal's 4095-byte line buffer goes through the file. */
    size_t n = 10000;
    char *cmd = malloc(n + 32);
    strcpy(cmd, "echo ");
    memset(cmd + 5, 'x', n);
    strcpy(cmd + 5 + n, " | wc -c");
    out = term_test_run(mgr, s.id, cmd, &done);
    assert_int_equal(atoi(out), (int)n + 1);
    assert_int_equal(done.exit_code, 0);
    free(out);
    free(cmd);
    /* A raw control character would be ^C to the line discipline: it too goes by file. */
    out = term_test_run(mgr, s.id, "printf 'a\003b' | od -An -c | tr -d ' '", &done);
    assert_string_equal(out, "a003b\r\n");
    free(out);
    /* Commands ending in a comment or a background "&" still complete. */
    out = term_test_run(mgr, s.id, "true # comment", &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    free(out);
    out = term_test_run(mgr, s.id, "sleep 0.1 &", &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    free(out);
    term_test_close(mgr, s.id);
}

static void test_busy_and_not_found(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_run_opts o = {.command = "sleep 5", .command_len = 7, .total_ms = 100};
    a0ipc_term_event done;
    free(term_test_run_opts(mgr, s.id, &o, &done));
    assert_int_equal(done.reason, A0IPC_TERM_DONE_MAX_TIME);
    /* Still running: a new command is refused, naming what runs. */
    a0ipc_term_cursor *c;
    a0ipc_term_run_opts o2 = {.command = "echo x", .command_len = 6};
    assert_int_equal(a0ipc_term_run(mgr, s.id, &o2, &c, &st), A0IPC_FAILED_PRECONDITION);
    assert_int_equal(st.code, A0IPC_FAILED_PRECONDITION);
    assert_non_null(strstr(a0ipc_status_message(&st), "sleep 5"));
    a0ipc_status_clear(&st);
    /* Listed as busy with its command. */
    a0ipc_term_info *v;
    size_t n;
    CHECK_OK(a0ipc_term_list(mgr, &v, &n, &st), &st);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].id, s.id) == 0) {
            found = true;
            assert_int_equal(v[i].state, A0IPC_TERM_STATE_BUSY);
            assert_string_equal(v[i].running_command, "sleep 5");
            assert_string_equal(v[i].argv[0], "/bin/bash");
        }
    }
    assert_true(found);
    a0ipc_term_info_free(v, n);
    /* Unknown sessions. */
    assert_int_equal(a0ipc_term_run(mgr, "nope", &o2, &c, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    assert_int_equal(a0ipc_term_write(mgr, "nope", "x", 1, 0, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    int code, sig;
    assert_int_equal(a0ipc_term_close(mgr, "nope", 0, &code, &sig, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    term_test_close(mgr, s.id);
}

static void test_timeouts_do_not_stop_the_command(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;

    /* No output at all. */
    a0ipc_term_run_opts o = {.command = "sleep 0.5; echo late", .first_output_ms = 100};
    o.command_len = strlen(o.command);
    char *out = term_test_run_opts(mgr, s.id, &o, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_FIRST_OUTPUT_TIMEOUT);
    assert_string_equal(out, "");
    free(out);
    /* The command ran on: Attach from where Run stopped sees the rest and its end. */
    a0ipc_term_event end;
    out = term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end);
    assert_string_equal(out, "late\r\n");
    assert_int_equal(end.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(end.command_number, done.command_number);
    free(out);

    /* Output, then silence. */
    a0ipc_term_run_opts o2 = {.command = "echo first; sleep 0.5; echo second",
                              .between_outputs_ms = 100};
    o2.command_len = strlen(o2.command);
    out = term_test_run_opts(mgr, s.id, &o2, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_IDLE_TIMEOUT);
    assert_string_equal(out, "first\r\n");
    free(out);
    out = term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end);
    assert_string_equal(out, "second\r\n");
    free(out);

    /* Steady output past the total time. */
    a0ipc_term_run_opts o3 = {.command = "for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 0.05; "
                                         "done",
                              .total_ms = 150,
                              .between_outputs_ms = 5000};
    o3.command_len = strlen(o3.command);
    out = term_test_run_opts(mgr, s.id, &o3, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_MAX_TIME);
    free(out);
    out = term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end);
    assert_non_null(strstr(out, "10\r\n"));
    assert_int_equal(end.exit_code, 0);
    free(out);
    term_test_close(mgr, s.id);
}

static void test_dialog_then_write_answers(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    a0ipc_term_run_opts o = {.command = "read -p \"Continue? \" answer; echo \"got $answer\"",
                             .dialog_ms = 150,
                             .between_outputs_ms = 10000};
    o.command_len = strlen(o.command);
    char *out = term_test_run_opts(mgr, s.id, &o, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_DIALOG);
    assert_string_equal(out, "Continue? ");
    free(out);
    a0ipc_status st = A0IPC_STATUS_INIT;
    CHECK_OK(a0ipc_term_write(mgr, s.id, "yes\n", 4, 0, &st), &st);
    a0ipc_term_event end;
    out = term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end);
    assert_string_equal(out, "got yes\r\n");
    assert_int_equal(end.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(end.exit_code, 0);
    free(out);
    /* Output that is not a question does not end the Run as a dialog. */
    a0ipc_term_run_opts o2 = {.command = "echo working; sleep 0.4; echo finished",
                              .dialog_ms = 100};
    o2.command_len = strlen(o2.command);
    out = term_test_run_opts(mgr, s.id, &o2, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    assert_string_equal(out, "working\r\nfinished\r\n");
    free(out);
    term_test_close(mgr, s.id);
}

static void test_signals(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done, end;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_run_opts o = {.command = "sleep 30", .command_len = 8, .total_ms = 100};
    free(term_test_run_opts(mgr, s.id, &o, &done));
    assert_int_equal(done.reason, A0IPC_TERM_DONE_MAX_TIME);
    int count;
    CHECK_OK(a0ipc_term_signal(mgr, s.id, SIGINT, false, &count, &st), &st);
    assert_true(count > 0 && count != s.pid); /* sleep's process group, not the shell's */
    char *out = term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end);
    assert_int_equal(end.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(end.exit_code, 128 + SIGINT);
    free(out);
    /* SIGKILL to a pipeline: every process of the foreground group. */
    a0ipc_term_run_opts o2 = {.command = "sleep 30 | sleep 30", .total_ms = 100};
    o2.command_len = strlen(o2.command);
    free(term_test_run_opts(mgr, s.id, &o2, &done));
    CHECK_OK(a0ipc_term_signal(mgr, s.id, SIGKILL, false, &count, &st), &st);
    free(term_test_attach_until_done(mgr, s.id, done.last_seq, done.command_number, &end));
    assert_int_equal(end.exit_code, 128 + SIGKILL);
    /* Bad numbers. */
    assert_int_equal(a0ipc_term_signal(mgr, s.id, 0, false, &count, &st), A0IPC_INVALID_ARGUMENT);
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    term_test_close(mgr, s.id);
}

static void test_unicode_split_across_reads(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    /* The euro sign and an emoji arrive in pieces, with pauses between them; every Output
     * event must still end on a character boundary (term_test_drain checks). */
    char *out = term_test_run(mgr, s.id,
                              "printf '\\342\\202'; sleep 0.2; printf '\\254 \\360\\237'; "
                              "sleep 0.2; printf '\\230\\200\\n'",
                              &done);
    assert_string_equal(out, "\xe2\x82\xac \xf0\x9f\x98\x80\r\n");
    free(out);
    term_test_close(mgr, s.id);
}

static void test_clean_output(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    a0ipc_term_run_opts o = {.command =
                                 "printf '\\033[31mred\\033[0m   \\r\\n'; for p in 10 50 100; do "
                                 "printf '\\r%s%%' $p; sleep 0.05; done; printf '\\ndone'",
                             .clean_output = true};
    o.command_len = strlen(o.command);
    char *out = term_test_run_opts(mgr, s.id, &o, &done);
    assert_string_equal(out, "red\n100%\ndone");
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    free(out);
    term_test_close(mgr, s.id);
}

static void test_attach_resumes_exactly(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    char *all = term_test_run(mgr, s.id, "seq 1 20000", &done);
    size_t len = strlen(all);
    assert_int_equal(done.last_seq, len); /* the first command's output starts at 0 */
    /* From any offset, Attach gives exactly the bytes from there, then the completion. */
    uint64_t offsets[] = {0, 1, 777, len / 2, len - 1, len};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        a0ipc_term_event end;
        char *part = term_test_attach_until_done(mgr, s.id, offsets[i], 1, &end);
        assert_string_equal(part, all + offsets[i]);
        assert_int_equal(end.reason, A0IPC_TERM_DONE_EXITED);
        assert_int_equal(end.last_seq, len);
        free(part);
    }
    /* Several readers at once, each with its own position. */
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *a, *b;
    CHECK_OK(a0ipc_term_attach(mgr, s.id, 0, false, &a, &st), &st);
    CHECK_OK(a0ipc_term_attach(mgr, s.id, 10, false, &b, &st), &st);
    a0ipc_term_event ea, eb;
    assert_int_equal(a0ipc_term_cursor_next(a, &ea), A0IPC_TERM_EV_OUTPUT);
    assert_int_equal(a0ipc_term_cursor_next(b, &eb), A0IPC_TERM_EV_OUTPUT);
    assert_int_equal(ea.seq, 0);
    assert_int_equal(eb.seq, 10);
    a0ipc_term_cursor_free(a);
    a0ipc_term_cursor_free(b);
    /* Beyond the end. */
    assert_int_equal(a0ipc_term_attach(mgr, s.id, len + 1, false, &a, &st), A0IPC_OUT_OF_RANGE);
    assert_int_equal(st.code, A0IPC_OUT_OF_RANGE);
    a0ipc_status_clear(&st);
    free(all);
    term_test_close(mgr, s.id);
}

static void test_attach_reports_loss(void **state)
{
    (void)state;
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.ring_bytes = 64 * 1024;
    cfg.subreaper = false; /* already set by the first manager */
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *small = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(small, &st);
    a0ipc_term_created s;
    term_test_create(small, &s);
    a0ipc_term_event done;
    /* 200 KB through a 64 KiB ring: the Run reader sets the pace and loses nothing ... */
    char *all = term_test_run(small, s.id, "head -c 200000 /dev/zero | tr '\\0' a", &done);
    assert_int_equal(strlen(all), 200000);
    assert_int_equal(done.last_seq, 200000);
    free(all);
    /* ... but an Attach from 0 comes too late and is told exactly what it missed. */
    a0ipc_term_cursor *c;
    CHECK_OK(a0ipc_term_attach(small, s.id, 0, false, &c, &st), &st);
    a0ipc_term_event ev;
    assert_int_equal(a0ipc_term_cursor_next(c, &ev), A0IPC_TERM_EV_LOST);
    assert_int_equal(ev.seq, 0);
    assert_int_equal(ev.len, 200000 - 64 * 1024);
    size_t got = 0;
    while (a0ipc_term_cursor_next(c, &ev) == A0IPC_TERM_EV_OUTPUT) {
        assert_int_equal(ev.seq, 200000 - 64 * 1024 + got);
        got += ev.len;
    }
    assert_int_equal(ev.kind, A0IPC_TERM_EV_DONE);
    assert_int_equal(got, 64 * 1024);
    a0ipc_term_cursor_free(c);
    a0ipc_term_manager_free(small);
}

/* A hang guard for a cursor: wakes it (it returns STOPPED) if the test has not stopped the guard
 * within its time. Only a guard against hanging forever: passing never depends on it. */
typedef struct guard {
    pthread_t t;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool over;
    a0ipc_term_cursor *c;
} guard;

static void *guard_main(void *arg)
{
    guard *g = arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&g->mu);
    int rc = 0;
    while (!g->over && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g->cv, &g->mu, &until);
    if (!g->over)
        a0ipc_term_cursor_wake(g->c);
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void guard_start(guard *g, a0ipc_term_cursor *c)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->over = false;
    g->c = c;
    assert_int_equal(pthread_create(&g->t, NULL, guard_main, g), 0);
}

static void guard_stop(guard *g)
{
    pthread_mutex_lock(&g->mu);
    g->over = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->t, NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

/* A Run whose client never reads sets the pace only while its command runs. Once the command
 * has ended the session is the next command's: output typed with Write (200 KB through a 64 KiB
 * ring) flows to an Attach reader and the next Run runs, while the stale Run reader, behind
 * the ring now, is told it lost output instead of holding everything back. Before the fix the
 * stale reader's position still paced the session: the typed command blocked on its output
 * after 60 KB and the Attach reader waited for ever. */
static void test_unread_run_does_not_hold_the_session(void **state)
{
    (void)state;
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.ring_bytes = 64 * 1024;
    cfg.close_grace_ms = 200;
    cfg.subreaper = false; /* already set by the first manager */
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *small = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(small, &st);
    a0ipc_term_created s;
    term_test_create(small, &s);

    const char *cmd = "echo x";
    a0ipc_term_run_opts o = {.command = cmd, .command_len = strlen(cmd)};
    a0ipc_term_cursor *stale;
    CHECK_OK(a0ipc_term_run(small, s.id, &o, &stale, &st), &st);
    a0ipc_term_event done;
    free(term_test_attach_until_done(small, s.id, 0, 1, &done));
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    uint64_t after = done.last_seq;

    const char *typed = "head -c 200000 /dev/zero | tr '\\0' b; echo; echo typed-end\n";
    a0ipc_term_cursor *c;
    CHECK_OK(a0ipc_term_attach(small, s.id, after, false, &c, &st), &st);
    CHECK_OK(a0ipc_term_write(small, s.id, typed, strlen(typed), 0, &st), &st);
    guard g;
    guard_start(&g, c);
    char tail[16] = "";
    uint64_t seen = 0;
    for (;;) {
        a0ipc_term_event ev;
        a0ipc_term_event_kind k = a0ipc_term_cursor_next(c, &ev);
        if (k == A0IPC_TERM_EV_STOPPED)
            fail_msg("the typed command's output stopped after %llu bytes: the unread Run of "
                     "an ended command still holds the session",
                     (unsigned long long)seen);
        if (k != A0IPC_TERM_EV_OUTPUT)
            continue; /* LOST: this reader is slower than the command, which is allowed */
        seen += ev.len;
        /* the last bytes seen, to find the end line however the reads split it */
        size_t keep = strlen(tail), add = ev.len < 15 ? ev.len : 15;
        if (keep + add > 15) {
            memmove(tail, tail + keep + add - 15, 15 - add);
            keep = 15 - add;
        }
        memcpy(tail + keep, ev.data + ev.len - add, add);
        tail[keep + add] = '\0';
        if (strstr(tail, "typed-end\r\n"))
            break;
    }
    guard_stop(&g);
    a0ipc_term_cursor_free(c);

    /* The stale Run's own output was overwritten: it says so instead of a gap. */
    a0ipc_term_event ev;
    assert_int_equal(a0ipc_term_cursor_next(stale, &ev), A0IPC_TERM_EV_LOST);
    assert_int_equal(ev.seq, 0);
    assert_int_equal(ev.command_number, 1);
    a0ipc_term_cursor_free(stale);

    char *out = term_test_run(small, s.id, "echo y", &done);
    assert_string_equal(out, "y\r\n");
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);
    free(out);
    term_test_close(small, s.id);
    a0ipc_term_manager_free(small);
}

static void test_write_resize_and_idle_typing(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_event done;
    CHECK_OK(a0ipc_term_resize(mgr, s.id, 30, 120, &st), &st);
    char *out = term_test_run(mgr, s.id, "stty size", &done);
    assert_string_equal(out, "30 120\r\n");
    free(out);
    assert_int_equal(a0ipc_term_resize(mgr, s.id, 0, 10, &st), A0IPC_INVALID_ARGUMENT);
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
    /* Typed while idle, a line reaches the shell; its output is in the stream. */
    a0ipc_term_cursor *c;
    CHECK_OK(a0ipc_term_attach(mgr, s.id, 0, true, &c, &st), &st);
    CHECK_OK(a0ipc_term_write(mgr, s.id, "echo typed\n", 11, 0, &st), &st);
    a0ipc_term_event ev;
    assert_int_equal(a0ipc_term_cursor_next(c, &ev), A0IPC_TERM_EV_OUTPUT);
    assert_int_equal(ev.len, 7);
    assert_memory_equal(ev.data, "typed\r\n", 7);
    a0ipc_term_cursor_free(c);
    term_test_close(mgr, s.id);
}

static void test_shell_exit_ends_session(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_term_event done;
    char *out = term_test_run(mgr, s.id, "echo bye; exit 3", &done);
    assert_string_equal(out, "bye\r\nexit\r\n"); /* bash says "exit" on a terminal */
    assert_int_equal(done.reason, A0IPC_TERM_DONE_SESSION_CLOSED);
    assert_int_equal(done.exit_code, 3);
    free(out);
    /* Still listed, as exited, until closed. */
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_info *v;
    size_t n;
    CHECK_OK(a0ipc_term_list(mgr, &v, &n, &st), &st);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].id, s.id) == 0) {
            found = true;
            assert_int_equal(v[i].state, A0IPC_TERM_STATE_EXITED);
            assert_int_equal(v[i].exit_code, 3);
        }
    }
    assert_true(found);
    a0ipc_term_info_free(v, n);
    a0ipc_term_cursor *c;
    a0ipc_term_run_opts o = {.command = "true", .command_len = 4};
    assert_int_equal(a0ipc_term_run(mgr, s.id, &o, &c, &st), A0IPC_FAILED_PRECONDITION);
    assert_int_equal(st.code, A0IPC_FAILED_PRECONDITION);
    a0ipc_status_clear(&st);
    int code, sig;
    CHECK_OK(a0ipc_term_close(mgr, s.id, 0, &code, &sig, &st), &st);
    assert_int_equal(code, 3);
    assert_int_equal(sig, 0);
    assert_int_equal(a0ipc_term_close(mgr, s.id, 0, &code, &sig, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
}

static void test_close_ends_open_readers(void **state)
{
    (void)state;
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    a0ipc_term_run_opts o = {.command = "echo started; sleep 30", .command_len = 22};
    CHECK_OK(a0ipc_term_run(mgr, s.id, &o, &c, &st), &st);
    a0ipc_term_event ev;
    assert_int_equal(a0ipc_term_cursor_next(c, &ev), A0IPC_TERM_EV_OUTPUT);
    term_test_close(mgr, s.id);
    a0ipc_term_text rest = A0IPC_TERM_TEXT_INIT;
    term_test_drain(c, &rest, &ev, true);
    assert_int_equal(ev.reason, A0IPC_TERM_DONE_SESSION_CLOSED);
    assert_int_equal(ev.signal, SIGHUP);
    a0ipc_term_text_free(&rest);
    a0ipc_term_cursor_free(c);
    /* A woken reader returns STOPPED at once. */
    a0ipc_term_created s2;
    term_test_create(mgr, &s2);
    CHECK_OK(a0ipc_term_attach(mgr, s2.id, 0, true, &c, &st), &st);
    a0ipc_term_cursor_wake(c);
    assert_int_equal(a0ipc_term_cursor_next(c, &ev), A0IPC_TERM_EV_STOPPED);
    a0ipc_term_cursor_free(c);
    term_test_close(mgr, s2.id);
}

static void test_session_limit_and_idle_ttl(void **state)
{
    (void)state;
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.max_sessions = 2;
    cfg.subreaper = false;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *m = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(m, &st);
    a0ipc_term_created a, b, c;
    term_test_create(m, &a);
    const char *argv[] = {"/bin/bash", "--norc"};
    a0ipc_term_create_opts o = {.argv = argv, .argc = 2, .idle_ttl_s = 1};
    CHECK_OK(a0ipc_term_create(m, &o, &b, &st), &st);
    assert_int_equal(
        a0ipc_term_create(m, &(a0ipc_term_create_opts){.argv = argv, .argc = 2}, &c, &st),
        A0IPC_RESOURCE_EXHAUSTED);
    assert_int_equal(st.code, A0IPC_RESOURCE_EXHAUSTED);
    a0ipc_status_clear(&st);
    /* b is closed once idle for its TTL, which frees its slot. */
    a0ipc_code rc = A0IPC_RESOURCE_EXHAUSTED;
    for (int i = 0; i < 100 && rc != A0IPC_OK; i++) {
        term_test_sleep_ms(100);
        rc = a0ipc_term_create(m, &(a0ipc_term_create_opts){.argv = argv, .argc = 2}, &c, &st);
        a0ipc_status_clear(&st);
    }
    assert_int_equal(rc, A0IPC_OK);
    a0ipc_term_info *v;
    size_t n;
    CHECK_OK(a0ipc_term_list(m, &v, &n, &st), &st);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(v[i].id, b.id);
    a0ipc_term_info_free(v, n);
    a0ipc_term_manager_free(m);
}

static void test_bad_create(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_created s;
    const char *argv[] = {"/no/such/shell"};
    a0ipc_term_create_opts o = {.argv = argv, .argc = 1};
    assert_int_equal(a0ipc_term_create(mgr, &o, &s, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    a0ipc_term_create_opts o2 = {.cwd = "/no/such/dir"};
    assert_int_equal(a0ipc_term_create(mgr, &o2, &s, &st), A0IPC_NOT_FOUND);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    assert_non_null(strstr(a0ipc_status_message(&st), "/no/such/dir"));
    a0ipc_status_clear(&st);
    a0ipc_term_kv env[] = {{"BAD=KEY", "x"}};
    a0ipc_term_create_opts o3 = {.env = env, .n_env = 1};
    assert_int_equal(a0ipc_term_create(mgr, &o3, &s, &st), A0IPC_INVALID_ARGUMENT);
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    a0ipc_status_clear(&st);
}

static void test_create_options_and_raw_shell(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    /* The default shell, with a HOME that has no start-up files. */
    a0ipc_term_kv env[] = {{"A0_GREETING", "hello there"}, {"HOME", "/nonexistent-a0ipc"}};
    a0ipc_term_create_opts o = {.cwd = "/usr", .env = env, .n_env = 2, .rows = 24, .cols = 80};
    a0ipc_term_created s;
    CHECK_OK(a0ipc_term_create(mgr, &o, &s, &st), &st);
    a0ipc_term_event done;
    char *out = term_test_run(mgr, s.id, "echo \"$PWD|$A0_GREETING|$TERM\"; stty size", &done);
    assert_string_equal(out, "/usr|hello there|xterm-256color\r\n24 80\r\n");
    free(out);
    term_test_close(mgr, s.id);
    /* A shell other than bash has no marker: Run ends by timeouts only. */
    const char *argv[] = {"/bin/sh"};
    a0ipc_term_create_opts o2 = {.argv = argv, .argc = 1};
    CHECK_OK(a0ipc_term_create(mgr, &o2, &s, &st), &st);
    assert_false(s.exact_completion);
    a0ipc_term_run_opts r = {
        .command = "echo raw-$((6*7))", .between_outputs_ms = 300, .first_output_ms = 3000};
    r.command_len = strlen(r.command);
    out = term_test_run_opts(mgr, s.id, &r, &done);
    assert_int_equal(done.reason, A0IPC_TERM_DONE_IDLE_TIMEOUT);
    assert_non_null(strstr(out, "raw-42"));
    free(out);
    term_test_close(mgr, s.id);
}

static void test_session_as_other_user_with_limits(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.uid = 65534; /* nobody */
    cfg.gid = 65534;
    cfg.rlimit_nofile = 128;
    cfg.rlimit_nproc = 512;
    cfg.subreaper = false;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *m = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(m, &st);
    a0ipc_term_created s;
    term_test_create(m, &s);
    a0ipc_term_event done;
    char *out = term_test_run(
        m, s.id, "id -u; id -g; ulimit -n; ulimit -u; tty >/dev/null && echo tty", &done);
    assert_string_equal(out, "65534\r\n65534\r\n128\r\n512\r\ntty\r\n");
    free(out);
    /* A long command goes through a file the session's user can read. */
    char cmd[3100];
    snprintf(cmd, sizeof cmd, "echo %02990d | wc -c", 7);
    out = term_test_run(m, s.id, cmd, &done);
    assert_string_equal(out, "2991\r\n");
    assert_int_equal(done.exit_code, 0);
    free(out);
    a0ipc_term_manager_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_shell_state_persists),
        cmocka_unit_test(test_done_tells_where_the_shell_is),
        cmocka_unit_test(test_multiline_long_and_control_commands),
        cmocka_unit_test(test_busy_and_not_found),
        cmocka_unit_test(test_timeouts_do_not_stop_the_command),
        cmocka_unit_test(test_dialog_then_write_answers),
        cmocka_unit_test(test_signals),
        cmocka_unit_test(test_unicode_split_across_reads),
        cmocka_unit_test(test_clean_output),
        cmocka_unit_test(test_attach_resumes_exactly),
        cmocka_unit_test(test_attach_reports_loss),
        cmocka_unit_test(test_unread_run_does_not_hold_the_session),
        cmocka_unit_test(test_write_resize_and_idle_typing),
        cmocka_unit_test(test_shell_exit_ends_session),
        cmocka_unit_test(test_close_ends_open_readers),
        cmocka_unit_test(test_session_limit_and_idle_ttl),
        cmocka_unit_test(test_bad_create),
        cmocka_unit_test(test_create_options_and_raw_shell),
        cmocka_unit_test(test_session_as_other_user_with_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
