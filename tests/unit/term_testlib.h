/* Helpers for the terminal tests that run real sessions through the manager. */
#ifndef A0IPC_TESTS_TERM_TESTLIB_H
#define A0IPC_TESTS_TERM_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "services/term_manager.h"
#include "services/term_text.h"
#include "services/term_utf8.h"

/* Fails the test with the status's message when rc is not A0IPC_OK. */
#define CHECK_OK(rc, st)                                                                           \
    do {                                                                                           \
        if ((rc) != A0IPC_OK)                                                                      \
            fail_msg("%s: %s", a0ipc_code_name((st)->code), a0ipc_status_message(st));             \
    } while (0)

/* Fails the test with the status's message when a constructor returned NULL. */
#define CHECK_MADE(p, st)                                                                          \
    do {                                                                                           \
        if (!(p))                                                                                  \
            fail_msg("%s: %s", a0ipc_code_name((st)->code), a0ipc_status_message(st));             \
    } while (0)

/* A bash session that does not read the user's start-up files, so that tests do not depend on
 * (or disturb) what they do. */
static inline void term_test_create(a0ipc_term_manager *m, a0ipc_term_created *out)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    static const char *const argv[] = {"/bin/bash", "--norc"};
    a0ipc_term_create_opts o = {.argv = argv, .argc = 2};
    a0ipc_code rc = a0ipc_term_create(m, &o, out, &st);
    CHECK_OK(rc, &st);
    a0ipc_status_clear(&st);
}

/* Reads a cursor to its DONE: the output in *out, the DONE in *done. Checks that Output events
 * follow each other without gaps (raw mode) and never end inside a UTF-8 sequence. */
static inline void term_test_drain(a0ipc_term_cursor *c, a0ipc_term_text *out,
                                   a0ipc_term_event *done, bool raw)
{
    uint64_t expect_seq = UINT64_MAX;
    for (;;) {
        a0ipc_term_event ev;
        a0ipc_term_event_kind k = a0ipc_term_cursor_next(c, &ev);
        if (k == A0IPC_TERM_EV_OUTPUT) {
            if (raw && expect_seq != UINT64_MAX)
                assert_int_equal(ev.seq, expect_seq);
            expect_seq = ev.seq + ev.len;
            assert_int_equal(a0ipc_utf8_incomplete_tail(ev.data, ev.len), 0);
            assert_int_equal(a0ipc_term_text_add(out, ev.data, ev.len), 0);
            continue;
        }
        assert_int_equal(k, A0IPC_TERM_EV_DONE);
        *done = ev;
        if (raw && expect_seq != UINT64_MAX)
            assert_int_equal(ev.last_seq, expect_seq);
        return;
    }
}

/* Runs cmd with the given timeouts; returns the output (caller frees) and the DONE. */
static inline char *term_test_run_opts(a0ipc_term_manager *m, const char *id,
                                       const a0ipc_term_run_opts *o, a0ipc_term_event *done)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    a0ipc_code rc = a0ipc_term_run(m, id, o, &c, &st);
    CHECK_OK(rc, &st);
    a0ipc_term_text out = A0IPC_TERM_TEXT_INIT;
    a0ipc_term_text_add(&out, "", 0);
    term_test_drain(c, &out, done, !o->clean_output);
    a0ipc_term_cursor_free(c);
    return out.p;
}

static inline char *term_test_run(a0ipc_term_manager *m, const char *id, const char *cmd,
                                  a0ipc_term_event *done)
{
    a0ipc_term_run_opts o = {.command = cmd, .command_len = strlen(cmd)};
    return term_test_run_opts(m, id, &o, done);
}

/* Attaches from seq and reads until command `number` completes or the session ends (an
 * earlier command's completion at the same offset is skipped, as a client would). */
static inline char *term_test_attach_until_done(a0ipc_term_manager *m, const char *id,
                                                uint64_t from, uint64_t number,
                                                a0ipc_term_event *done)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    a0ipc_code rc = a0ipc_term_attach(m, id, from, false, &c, &st);
    CHECK_OK(rc, &st);
    a0ipc_term_text out = A0IPC_TERM_TEXT_INIT;
    a0ipc_term_text_add(&out, "", 0);
    do
        term_test_drain(c, &out, done, true);
    while (done->reason == A0IPC_TERM_DONE_EXITED && done->command_number != number);
    a0ipc_term_cursor_free(c);
    return out.p;
}

static inline void term_test_close(a0ipc_term_manager *m, const char *id)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    int code, sig;
    a0ipc_code rc = a0ipc_term_close(m, id, 200, &code, &sig, &st);
    CHECK_OK(rc, &st);
}

static inline void term_test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

#endif
