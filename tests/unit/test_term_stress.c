/* Volume and concurrency: 100 MB through one Run with no byte lost, and 50 sessions at once. */
#include <pthread.h>

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

/* FNV-1a, 64 bit. */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* What `seq 1 N` prints through a terminal: "1\r\n2\r\n...", generated piece by piece. */
typedef struct expected {
    unsigned long next, last;
    char line[32];
    size_t len, off;
} expected;

static int expected_byte(expected *e)
{
    if (e->off == e->len) {
        if (e->next > e->last)
            return -1;
        e->len = (size_t)snprintf(e->line, sizeof e->line, "%lu\r\n", e->next++);
        e->off = 0;
    }
    return (unsigned char)e->line[e->off++];
}

static void test_100mb_no_byte_lost(void **state)
{
    (void)state;
    const unsigned long n = 11200000; /* 100.9 MB with "\r\n" line ends */
    a0ipc_term_created s;
    term_test_create(mgr, &s);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "seq 1 %lu", n);
    a0ipc_term_run_opts o = {.command = cmd, .command_len = strlen(cmd)};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_cursor *c;
    CHECK_OK(a0ipc_term_run(mgr, s.id, &o, &c, &st), &st);

    expected e = {.next = 1, .last = n};
    uint64_t got = 0, h_got = 0xcbf29ce484222325ULL, h_want = 0xcbf29ce484222325ULL;
    a0ipc_term_event ev;
    while (a0ipc_term_cursor_next(c, &ev) == A0IPC_TERM_EV_OUTPUT) {
        assert_int_equal(ev.seq, got);
        for (size_t i = 0; i < ev.len; i++) {
            int want = expected_byte(&e);
            if (want != ev.data[i])
                fail_msg("byte %llu: got 0x%02x, want 0x%02x", (unsigned long long)(got + i),
                         ev.data[i], want);
            uint8_t b = (uint8_t)want;
            h_want = fnv(h_want, &b, 1);
        }
        h_got = fnv(h_got, ev.data, ev.len);
        got += ev.len;
    }
    assert_int_equal(ev.kind, A0IPC_TERM_EV_DONE);
    assert_int_equal(ev.reason, A0IPC_TERM_DONE_EXITED);
    assert_int_equal(ev.exit_code, 0);
    assert_int_equal(expected_byte(&e), -1); /* nothing missing at the end either */
    assert_true(got >= 100000000);
    assert_int_equal(ev.last_seq, got);
    assert_true(h_got == h_want);
    a0ipc_term_cursor_free(c);
    term_test_close(mgr, s.id);
}

#define N_SESSIONS 50

typedef struct worker {
    int i;
    a0ipc_term_created s;
    char *out;
    a0ipc_code rc;
    a0ipc_term_event done;
} worker;

static void *session_worker(void *arg)
{
    worker *w = arg;
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *argv[] = {"/bin/bash", "--norc"};
    a0ipc_term_create_opts o = {.argv = argv, .argc = 2};
    w->rc = a0ipc_term_create(mgr, &o, &w->s, &st);
    a0ipc_status_clear(&st);
    if (w->rc != A0IPC_OK)
        return NULL;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "for k in 1 2 3; do echo s%d-$k; sleep 0.05; done; (exit %d)", w->i,
             w->i % 7);
    a0ipc_term_run_opts r = {.command = cmd, .command_len = strlen(cmd)};
    a0ipc_term_cursor *c;
    w->rc = a0ipc_term_run(mgr, w->s.id, &r, &c, &st);
    a0ipc_status_clear(&st);
    if (w->rc != A0IPC_OK)
        return NULL;
    a0ipc_term_text out = A0IPC_TERM_TEXT_INIT;
    a0ipc_term_event ev;
    while (a0ipc_term_cursor_next(c, &ev) == A0IPC_TERM_EV_OUTPUT)
        a0ipc_term_text_add(&out, ev.data, ev.len);
    w->done = ev;
    w->out = out.p;
    a0ipc_term_cursor_free(c);
    return NULL;
}

static void test_50_concurrent_sessions(void **state)
{
    (void)state;
    worker w[N_SESSIONS];
    pthread_t t[N_SESSIONS];
    for (int i = 0; i < N_SESSIONS; i++) {
        w[i] = (worker){.i = i};
        assert_int_equal(pthread_create(&t[i], NULL, session_worker, &w[i]), 0);
    }
    for (int i = 0; i < N_SESSIONS; i++)
        pthread_join(t[i], NULL);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_info *v;
    size_t n;
    CHECK_OK(a0ipc_term_list(mgr, &v, &n, &st), &st);
    assert_int_equal(n, N_SESSIONS);
    a0ipc_term_info_free(v, n);
    for (int i = 0; i < N_SESSIONS; i++) {
        assert_int_equal(w[i].rc, A0IPC_OK);
        char want[64];
        snprintf(want, sizeof want, "s%d-1\r\ns%d-2\r\ns%d-3\r\n", i, i, i);
        assert_string_equal(w[i].out, want);
        assert_int_equal(w[i].done.reason, A0IPC_TERM_DONE_EXITED);
        assert_int_equal(w[i].done.exit_code, i % 7);
        free(w[i].out);
        term_test_close(mgr, w[i].s.id);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_100mb_no_byte_lost),
        cmocka_unit_test(test_50_concurrent_sessions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
