/* The router over two fake transports: modes, canary buckets, per-method overrides, fallback,
 * the circuit breaker, shadow comparison, session pinning, flag reloads and metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "a0ipc/router.h"
#include "common/log.h"

/* A fake backend: answers from its settings and counts what it was asked. */
typedef struct fake {
    const char *name;
    a0ipc_code code;      /* what every call answers */
    uint64_t size;        /* stat's size */
    const char *data;     /* read's content */
    bool fail_after_data; /* read: deliver data, then answer code */
    int calls[32];
    int session_counter;
} fake;

enum { F_HEALTH, F_STAT, F_READ, F_WRITE, F_CREATE, F_RUN, F_CLOSE, F_LIST };

static a0ipc_code answer(fake *f, a0ipc_status *st)
{
    if (f->code != A0IPC_OK)
        return a0ipc_status_set(st, f->code, "%s says %s", f->name, a0ipc_code_name(f->code));
    return A0IPC_OK;
}

static a0ipc_code f_health(a0ipc_transport *t, const a0ipc_call_options *o, const char *svc,
                           a0ipc_serving *out, a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_HEALTH]++;
    *out = A0IPC_SERVING;
    return answer(f, st);
}

static a0ipc_code f_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         bool follow, a0ipc_file_info *out, a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_STAT]++;
    memset(out, 0, sizeof *out);
    if (answer(f, st) != A0IPC_OK)
        return st->code;
    out->name = strdup(path);
    out->path = strdup(path);
    out->symlink_target = strdup("");
    out->type = A0IPC_FILE_REGULAR;
    out->size = f->size;
    return A0IPC_OK;
}

static a0ipc_code f_read(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         uint64_t off, uint64_t len, a0ipc_data_fn sink, void *arg,
                         a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_READ]++;
    if (f->code != A0IPC_OK && !f->fail_after_data)
        return answer(f, st);
    if (sink(arg, (const uint8_t *)f->data, strlen(f->data)) != 0)
        return a0ipc_status_set(st, A0IPC_CANCELLED, "stopped");
    return answer(f, st);
}

static a0ipc_code f_write(a0ipc_transport *t, const a0ipc_call_options *o,
                          const a0ipc_write_options *w, a0ipc_source_fn src, void *arg,
                          a0ipc_write_result *out, a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_WRITE]++;
    memset(out, 0, sizeof *out);
    return answer(f, st);
}

static a0ipc_code f_create(a0ipc_transport *t, const a0ipc_call_options *o,
                           const a0ipc_session_options *so, a0ipc_session_info *out,
                           a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_CREATE]++;
    memset(out, 0, sizeof *out);
    if (answer(f, st) != A0IPC_OK)
        return st->code;
    char id[64];
    snprintf(id, sizeof id, "%s-%d", f->name, ++f->session_counter);
    out->id = strdup(id);
    out->running_command = strdup("");
    return A0IPC_OK;
}

static a0ipc_code f_run(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                        const a0ipc_run_options *ro, a0ipc_output_fn fn, void *arg,
                        a0ipc_run_result *out, a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_RUN]++;
    return answer(f, st);
}

static a0ipc_code f_close(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                          uint32_t grace, a0ipc_session_end *out, a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_CLOSE]++;
    return answer(f, st);
}

static a0ipc_code f_list(a0ipc_transport *t, const a0ipc_call_options *o, a0ipc_session_list **out,
                         a0ipc_status *st)
{
    fake *f = a0ipc_transport_ctx(t);
    f->calls[F_LIST]++;
    *out = NULL;
    if (answer(f, st) != A0IPC_OK)
        return st->code;
    a0ipc_session_list *l = calloc(1, sizeof *l);
    l->sessions = calloc(1, sizeof *l->sessions);
    l->sessions[0].id = strdup(f->name);
    l->sessions[0].running_command = strdup("");
    l->n_sessions = 1;
    *out = l;
    return A0IPC_OK;
}

/* What a program that brings its own transport writes: a table of the methods it has (the
 * others are UNIMPLEMENTED) and an instance per context. */
static const a0ipc_transport_ops fake_ops = {
    .version = A0IPC_TRANSPORT_VERSION,
    .name = "fake",
    .health = f_health,
    .stat = f_stat,
    .read = f_read,
    .write = f_write,
    .create_session = f_create,
    .run = f_run,
    .close_session = f_close,
    .list_sessions = f_list,
};

static a0ipc_transport *fake_transport(fake *f)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_transport_new(&fake_ops, f, &st);
    assert_non_null(t);
    return t;
}

typedef struct fixture {
    fake legacy, grpc;
    a0ipc_transport *router;
    char flags_path[64];
} fixture;

static void write_flags(fixture *fx, const char *text)
{
    FILE *f = fopen(fx->flags_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static fixture *setup_with(const char *flags)
{
    static const char *const vars[] = {"A0IPC_ROUTER_MODE",
                                       "A0IPC_ROUTER_CANARY_PERCENT",
                                       "A0IPC_ROUTER_METHODS",
                                       "A0IPC_ROUTER_FALLBACK",
                                       "A0IPC_ROUTER_BREAKER_FAILURES",
                                       "A0IPC_ROUTER_BREAKER_COOLDOWN_MS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    fixture *fx = calloc(1, sizeof *fx);
    fx->legacy = (fake){.name = "legacy", .size = 10, .data = "legacy-bytes"};
    fx->grpc = (fake){.name = "grpc", .size = 10, .data = "legacy-bytes"};
    strcpy(fx->flags_path, "/tmp/a0ipc-flags-XXXXXX");
    int fd = mkstemp(fx->flags_path);
    assert_true(fd >= 0);
    close(fd);
    write_flags(fx, flags);
    a0ipc_status st = A0IPC_STATUS_INIT;
    fx->router = a0ipc_router_new(fake_transport(&fx->legacy), fake_transport(&fx->grpc),
                                  fx->flags_path, &st);
    if (!fx->router)
        fail_msg("router_new: %s", a0ipc_status_message(&st));
    return fx;
}

static void teardown_fx(fixture *fx)
{
    a0ipc_transport_free(fx->router);
    unlink(fx->flags_path);
    free(fx);
}

static a0ipc_code stat_with_key(fixture *fx, const char *key, uint64_t *size)
{
    a0ipc_call_options o = {.routing_key = key};
    a0ipc_file_info fi;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_code code = a0ipc_stat(fx->router, &o, "a.txt", false, &fi, &st);
    if (size)
        *size = fi.size;
    a0ipc_file_info_clear(&fi);
    a0ipc_status_clear(&st);
    return code;
}

static void modes_pick_the_backend(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = legacy\n");
    assert_int_equal(stat_with_key(fx, "agent-1", NULL), A0IPC_OK);
    assert_int_equal(fx->legacy.calls[F_STAT], 1);
    assert_int_equal(fx->grpc.calls[F_STAT], 0);
    teardown_fx(fx);

    fx = setup_with("mode = grpc\n");
    assert_int_equal(stat_with_key(fx, "agent-1", NULL), A0IPC_OK);
    assert_int_equal(fx->legacy.calls[F_STAT], 0);
    assert_int_equal(fx->grpc.calls[F_STAT], 1);
    teardown_fx(fx);
}

static void canary_is_a_stable_share_of_keys(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = canary\ncanary-percent = 25\n");
    int expected = 0;
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "agent-%d", i);
        int bucket = a0ipc_router_bucket(key);
        assert_true(bucket >= 0 && bucket < 100);
        expected += bucket < 25;
        int before = fx->grpc.calls[F_STAT];
        for (int again = 0; again < 3; again++) /* a key never changes side */
            stat_with_key(fx, key, NULL);
        assert_int_equal(fx->grpc.calls[F_STAT] - before, bucket < 25 ? 3 : 0);
    }
    assert_int_equal(fx->grpc.calls[F_STAT], 3 * expected);
    /* The hash spreads keys: a quarter, give or take. */
    assert_in_range(expected, 180, 320);
    /* No key: legacy unless 100 %. */
    int before = fx->grpc.calls[F_STAT];
    stat_with_key(fx, NULL, NULL);
    assert_int_equal(fx->grpc.calls[F_STAT], before);
    teardown_fx(fx);

    fx = setup_with("mode = canary\ncanary-percent = 100\n");
    stat_with_key(fx, NULL, NULL);
    assert_int_equal(fx->grpc.calls[F_STAT], 1);
    teardown_fx(fx);
    /* Known values: the hash is part of the contract (a session must not move on upgrade). */
    assert_int_equal(a0ipc_router_bucket(""), 2166136261u % 100);
}

static int count_sink(void *arg, const uint8_t *data, size_t len)
{
    (void)data;
    *(size_t *)arg += len;
    return 0;
}

static void per_method_override_routes_read(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = legacy\nmethod.read = grpc\n");
    a0ipc_status st = A0IPC_STATUS_INIT;
    size_t got = 0;
    assert_int_equal(a0ipc_read(fx->router, NULL, "a", 0, 0, count_sink, &got, &st), A0IPC_OK);
    assert_int_equal(fx->grpc.calls[F_READ], 1);
    assert_int_equal(fx->legacy.calls[F_READ], 0);
    assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_OK);
    assert_int_equal(fx->legacy.calls[F_STAT], 1);
    teardown_fx(fx);
}

static void fallback_on_unavailable(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = grpc\n");
    fx->grpc.code = A0IPC_UNAVAILABLE;
    fx->legacy.size = 77;
    uint64_t size = 0;
    assert_int_equal(stat_with_key(fx, "k", &size), A0IPC_OK);
    assert_int_equal(size, 77); /* legacy's answer */
    assert_int_equal(fx->grpc.calls[F_STAT], 1);
    assert_int_equal(fx->legacy.calls[F_STAT], 1);
    /* Other errors are answers, not outages: no fallback. */
    fx->grpc.code = A0IPC_NOT_FOUND;
    assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_NOT_FOUND);
    assert_int_equal(fx->legacy.calls[F_STAT], 1);
    char *m = a0ipc_router_metrics(fx->router);
    assert_non_null(strstr(m, "a0ipc_router_fallbacks_total{method=\"stat\"} 1\n"));
    free(m);
    teardown_fx(fx);

    fx = setup_with("mode = grpc\nfallback = false\n");
    fx->grpc.code = A0IPC_UNAVAILABLE;
    assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_UNAVAILABLE);
    assert_int_equal(fx->legacy.calls[F_STAT], 0);
    teardown_fx(fx);
}

static void no_fallback_once_data_was_delivered(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = grpc\n");
    fx->grpc.code = A0IPC_UNAVAILABLE;
    fx->grpc.fail_after_data = true;
    a0ipc_status st = A0IPC_STATUS_INIT;
    size_t got = 0;
    assert_int_equal(a0ipc_read(fx->router, NULL, "a", 0, 0, count_sink, &got, &st),
                     A0IPC_UNAVAILABLE);
    assert_int_equal(got, strlen("legacy-bytes")); /* delivered once, not twice */
    assert_int_equal(fx->legacy.calls[F_READ], 0);
    a0ipc_status_clear(&st);
    teardown_fx(fx);
}

static void breaker_opens_and_recovers(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = grpc\nbreaker-failures = 3\nbreaker-cooldown-ms = 200\n");
    fx->grpc.code = A0IPC_UNAVAILABLE;
    for (int i = 0; i < 3; i++)
        assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_OK); /* via fallback */
    assert_int_equal(fx->grpc.calls[F_STAT], 3);
    for (int i = 0; i < 5; i++) /* open: gRPC is not even tried */
        assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_OK);
    assert_int_equal(fx->grpc.calls[F_STAT], 3);
    char *m = a0ipc_router_metrics(fx->router);
    assert_non_null(strstr(m, "a0ipc_router_breaker_open 1\n"));
    assert_non_null(strstr(m, "a0ipc_router_breaker_diverted_total{method=\"stat\"} 5\n"));
    free(m);
    usleep(250000);
    fx->grpc.code = A0IPC_OK; /* the daemon is back: the trial call closes the circuit */
    assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_OK);
    assert_int_equal(fx->grpc.calls[F_STAT], 4);
    assert_int_equal(stat_with_key(fx, "k", NULL), A0IPC_OK);
    assert_int_equal(fx->grpc.calls[F_STAT], 5);
    m = a0ipc_router_metrics(fx->router);
    assert_non_null(strstr(m, "a0ipc_router_breaker_open 0\n"));
    assert_non_null(strstr(m, "a0ipc_router_breaker_opened_total 1\n"));
    free(m);
    teardown_fx(fx);
}

static void shadow_compares_read_only_calls(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = shadow\n");
    fx->legacy.size = 5;
    fx->grpc.size = 6;
    uint64_t size = 0;
    assert_int_equal(stat_with_key(fx, "k", &size), A0IPC_OK);
    assert_int_equal(size, 5); /* the legacy answer is the one returned */
    assert_int_equal(fx->grpc.calls[F_STAT], 1);
    fx->grpc.size = 5;
    assert_int_equal(stat_with_key(fx, "k", &size), A0IPC_OK);
    /* A read whose bytes differ. */
    fx->grpc.data = "grpc-bytes!!";
    a0ipc_status st = A0IPC_STATUS_INIT;
    size_t got = 0;
    assert_int_equal(a0ipc_read(fx->router, NULL, "a", 0, 0, count_sink, &got, &st), A0IPC_OK);
    assert_int_equal(got, strlen("legacy-bytes")); /* only legacy's bytes reach the caller */
    /* Writes are never doubled. */
    a0ipc_write_options w = {.path = "x"};
    a0ipc_write_result wr;
    assert_int_equal(a0ipc_write(fx->router, NULL, &w, NULL, NULL, &wr, &st), A0IPC_OK);
    assert_int_equal(fx->legacy.calls[F_WRITE], 1);
    assert_int_equal(fx->grpc.calls[F_WRITE], 0);
    char *m = a0ipc_router_metrics(fx->router);
    assert_non_null(strstr(m, "a0ipc_router_shadow_comparisons_total{method=\"stat\"} 2\n"));
    assert_non_null(strstr(m, "a0ipc_router_shadow_mismatches_total{method=\"stat\"} 1\n"));
    assert_non_null(strstr(m, "a0ipc_router_shadow_mismatches_total{method=\"read\"} 1\n"));
    free(m);
    teardown_fx(fx);
}

static void sessions_stay_on_their_backend(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = grpc\n");
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_session_info s;
    assert_int_equal(a0ipc_create_session(fx->router, NULL, NULL, &s, &st), A0IPC_OK);
    assert_string_equal(s.id, "grpc-1");
    /* Kill switch: everything back to legacy... */
    write_flags(fx, "mode = legacy\n");
    assert_int_equal(a0ipc_router_reload(fx->router, &st), 0);
    a0ipc_run_options ro = {.command = "true"};
    a0ipc_run_result rr;
    /* ...but the running session stays where it lives. */
    assert_int_equal(a0ipc_run(fx->router, NULL, s.id, &ro, NULL, NULL, &rr, &st), A0IPC_OK);
    assert_int_equal(fx->grpc.calls[F_RUN], 1);
    assert_int_equal(fx->legacy.calls[F_RUN], 0);
    /* Even when gRPC is unavailable: a pinned call never falls back to a backend without it. */
    fx->grpc.code = A0IPC_UNAVAILABLE;
    assert_int_equal(a0ipc_run(fx->router, NULL, s.id, &ro, NULL, NULL, &rr, &st),
                     A0IPC_UNAVAILABLE);
    assert_int_equal(fx->legacy.calls[F_RUN], 0);
    fx->grpc.code = A0IPC_OK;
    assert_int_equal(a0ipc_close_session(fx->router, NULL, s.id, 0, NULL, &st), A0IPC_OK);
    /* Once closed it is forgotten: new sessions follow the flags. */
    a0ipc_session_info s2;
    assert_int_equal(a0ipc_create_session(fx->router, NULL, NULL, &s2, &st), A0IPC_OK);
    assert_string_equal(s2.id, "legacy-1");
    a0ipc_session_list *all = NULL;
    assert_int_equal(a0ipc_list_sessions(fx->router, NULL, &all, &st), A0IPC_OK);
    assert_int_equal(all->n_sessions, 2); /* both sides, joined */
    a0ipc_session_list_free(all);
    a0ipc_session_info_clear(&s);
    a0ipc_session_info_clear(&s2);
    teardown_fx(fx);
}

static void flags_from_file_and_environment(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = canary\ncanary-percent = 5\nmethod.run = legacy\n");
    a0ipc_status st = A0IPC_STATUS_INIT;
    char *d = a0ipc_router_describe(fx->router);
    assert_non_null(strstr(d, "mode = canary\n"));
    assert_non_null(strstr(d, "canary-percent = 5\n"));
    assert_non_null(strstr(d, "method.run = legacy\n"));
    free(d);
    /* The environment wins over the file. */
    setenv("A0IPC_ROUTER_MODE", "grpc", 1);
    setenv("A0IPC_ROUTER_METHODS", "stat=legacy,read=shadow", 1);
    assert_int_equal(a0ipc_router_reload(fx->router, &st), 0);
    d = a0ipc_router_describe(fx->router);
    assert_non_null(strstr(d, "mode = grpc\n"));
    assert_non_null(strstr(d, "method.stat = legacy\n"));
    assert_non_null(strstr(d, "method.read = shadow\n"));
    free(d);
    /* A bad reload keeps the flags in force. */
    setenv("A0IPC_ROUTER_CANARY_PERCENT", "150", 1);
    assert_int_equal(a0ipc_router_reload(fx->router, &st), -1);
    assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "A0IPC_ROUTER_CANARY_PERCENT"));
    unsetenv("A0IPC_ROUTER_CANARY_PERCENT");
    write_flags(fx, "mode = sideways\n");
    unsetenv("A0IPC_ROUTER_MODE");
    assert_int_equal(a0ipc_router_reload(fx->router, &st), -1);
    assert_non_null(strstr(st.message, ":1: bad value \"sideways\" for router flag mode"));
    d = a0ipc_router_describe(fx->router);
    assert_non_null(strstr(d, "mode = grpc\n"));
    free(d);
    setenv("A0IPC_ROUTER_METHODS", "nonsense", 1);
    assert_int_equal(a0ipc_router_reload(fx->router, &st), -1);
    unsetenv("A0IPC_ROUTER_METHODS");
    a0ipc_status_clear(&st);
    teardown_fx(fx);
}

static void metrics_are_prometheus_text(void **state)
{
    (void)state;
    fixture *fx = setup_with("mode = grpc\n");
    stat_with_key(fx, "k", NULL);
    stat_with_key(fx, "k", NULL);
    fx->grpc.code = A0IPC_NOT_FOUND;
    stat_with_key(fx, "k", NULL);
    char *m = a0ipc_router_metrics(fx->router);
    assert_non_null(
        strstr(m, "a0ipc_router_calls_total{backend=\"grpc\",method=\"stat\",code=\"OK\"} 2\n"));
    assert_non_null(strstr(
        m, "a0ipc_router_calls_total{backend=\"grpc\",method=\"stat\",code=\"NOT_FOUND\"} 1\n"));
    assert_non_null(strstr(
        m, "a0ipc_router_call_duration_seconds_count{backend=\"grpc\",method=\"stat\"} 3\n"));
    assert_non_null(strstr(m, "le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(m, "# TYPE a0ipc_router_call_duration_seconds histogram\n"));
    free(m);
    teardown_fx(fx);
}

static void missing_backend_is_unavailable(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    unsetenv("A0IPC_ROUTER_MODE");
    a0ipc_transport *r = a0ipc_router_new(NULL, NULL, NULL, &st);
    assert_non_null(r);
    a0ipc_file_info fi;
    assert_int_equal(a0ipc_stat(r, NULL, "a", false, &fi, &st), A0IPC_UNAVAILABLE);
    assert_non_null(strstr(st.message, "no legacy transport"));
    a0ipc_status_clear(&st);
    a0ipc_transport_free(r);
}

int main(void)
{
    a0ipc_log_set_level(A0IPC_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modes_pick_the_backend),
        cmocka_unit_test(canary_is_a_stable_share_of_keys),
        cmocka_unit_test(per_method_override_routes_read),
        cmocka_unit_test(fallback_on_unavailable),
        cmocka_unit_test(no_fallback_once_data_was_delivered),
        cmocka_unit_test(breaker_opens_and_recovers),
        cmocka_unit_test(shadow_compares_read_only_calls),
        cmocka_unit_test(sessions_stay_on_their_backend),
        cmocka_unit_test(flags_from_file_and_environment),
        cmocka_unit_test(metrics_are_prometheus_text),
        cmocka_unit_test(missing_backend_is_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
