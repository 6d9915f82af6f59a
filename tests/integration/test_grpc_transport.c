/* The gRPC transport (the client library) against real daemons: every file and terminal
 * operation through the adapter interface, retries only of idempotent methods, round_robin over
 * three daemons with one killed mid-run, and terminal sessions pinned to their daemon. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "a0ipc/grpc_transport.h"
#include "common/log.h"
#include "support/daemon_proc.h"
#include "rpc/core.h"

static char *make_root(const char *whoami)
{
    char *dir = strdup("/tmp/a0ipc-gt-root-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/whoami", dir);
    FILE *f = fopen(path, "w");
    fputs(whoami, f);
    fclose(f);
    return dir;
}

static void remove_tree(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static a0ipc_transport *transport_for(const char *target, int max_attempts)
{
    a0ipc_grpc_options o;
    a0ipc_grpc_options_init(&o);
    o.target = target;
    o.max_attempts = max_attempts;
    o.initial_backoff_ms = 10;
    o.max_backoff_ms = 50;
    o.reconnect_backoff_ms = 100;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_grpc_transport_new(&o, &st);
    if (!t)
        fail_msg("transport: %s", a0ipc_status_message(&st));
    return t;
}

/* ---- files through the interface ---- */

typedef struct buffer {
    char data[1 << 16];
    size_t len, pos;
} buffer;

static int to_buffer(void *arg, const uint8_t *data, size_t len)
{
    buffer *b = arg;
    assert_true(b->len + len <= sizeof b->data);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static ssize_t from_buffer(void *arg, uint8_t *buf, size_t cap)
{
    buffer *b = arg;
    size_t n = b->len - b->pos < cap ? b->len - b->pos : cap;
    memcpy(buf, b->data + b->pos, n);
    b->pos += n;
    return (ssize_t)n;
}

static ssize_t abort_source(void *arg, uint8_t *buf, size_t cap)
{
    int *calls = arg;
    if ((*calls)++ == 0) {
        memset(buf, 'x', cap < 100 ? cap : 100);
        return cap < 100 ? (ssize_t)cap : 100;
    }
    return -1;
}

typedef struct watch_seen {
    a0ipc_cancel *cancel;
    int ready, created;
    char path[256];
} watch_seen;

static int on_watch(void *arg, const a0ipc_watch_event *ev)
{
    watch_seen *w = arg;
    if (ev->type == A0IPC_WATCH_READY)
        w->ready = 1;
    if (ev->type == A0IPC_WATCH_CREATE) {
        w->created++;
        snprintf(w->path, sizeof w->path, "%s", ev->path);
        return 1; /* seen: stop */
    }
    return 0;
}

typedef struct watch_thread {
    a0ipc_transport *t;
    watch_seen seen;
    a0ipc_code code;
} watch_thread;

static void *run_watch(void *arg)
{
    watch_thread *w = arg;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_call_options o = {.timeout_ms = 20000};
    w->code = a0ipc_watch(w->t, &o, ".", false, on_watch, &w->seen, &st);
    a0ipc_status_clear(&st);
    return NULL;
}

static void files_through_the_interface(void **state)
{
    (void)state;
    char *root = make_root("daemon-0");
    test_daemon d;
    const char *extra[] = {"--root", root, NULL};
    test_daemon_start(&d, extra);
    a0ipc_transport *t = transport_for(d.unix_target, 5);
    a0ipc_status st = A0IPC_STATUS_INIT;

    a0ipc_serving serving;
    assert_int_equal(a0ipc_health(t, NULL, "a0.runtime.v1.Files", &serving, &st), A0IPC_OK);
    assert_int_equal(serving, A0IPC_SERVING);

    /* put, then get back the same bytes with the same SHA-256 */
    buffer up = {.len = 0};
    for (int i = 0; i < 40000; i++)
        up.data[up.len++] = (char)('a' + i % 26);
    a0ipc_write_options w = {.path = "dir/file.txt", .create_parents = true};
    a0ipc_write_result wr;
    assert_int_equal(a0ipc_write(t, NULL, &w, from_buffer, &up, &wr, &st), A0IPC_OK);
    assert_int_equal(wr.bytes_written, 40000);
    buffer down = {.len = 0};
    assert_int_equal(a0ipc_read(t, NULL, "dir/file.txt", 0, 0, to_buffer, &down, &st), A0IPC_OK);
    assert_int_equal(down.len, 40000);
    assert_memory_equal(down.data, up.data, 40000);

    /* an aborted upload changes nothing */
    int calls = 0;
    w.path = "dir/aborted.txt";
    assert_int_equal(a0ipc_write(t, NULL, &w, abort_source, &calls, &wr, &st), A0IPC_CANCELLED);
    a0ipc_file_info fi;
    assert_int_equal(a0ipc_stat(t, NULL, "dir/aborted.txt", false, &fi, &st), A0IPC_NOT_FOUND);

    assert_int_equal(a0ipc_stat(t, NULL, "dir/file.txt", false, &fi, &st), A0IPC_OK);
    assert_int_equal(fi.type, A0IPC_FILE_REGULAR);
    assert_int_equal(fi.size, 40000);
    assert_string_equal(fi.name, "file.txt");
    a0ipc_file_info_clear(&fi);

    bool created = false, removed = false;
    assert_int_equal(a0ipc_make_dir(t, NULL, "a/b", 0, true, false, &created, &st), A0IPC_OK);
    assert_true(created);
    assert_int_equal(a0ipc_move(t, NULL, "dir/file.txt", "a/b/moved.txt", false, false, &st),
                     A0IPC_OK);
    a0ipc_file_list *l = NULL;
    assert_int_equal(a0ipc_list_dir(t, NULL, "a", 3, false, &l, &st), A0IPC_OK);
    assert_int_equal(l->n_entries, 2);
    assert_string_equal(l->entries[0].name, "b");
    assert_string_equal(l->entries[1].name, "moved.txt");
    a0ipc_file_list_free(l);

    buffer zip = {.len = 0};
    assert_int_equal(a0ipc_archive(t, NULL, "a", A0IPC_ARCHIVE_ZIP, false, to_buffer, &zip, &st),
                     A0IPC_OK);
    assert_true(zip.len > 22);
    assert_memory_equal(zip.data, "PK\3\4", 4);

    /* errors arrive unchanged: code and a message naming the path */
    assert_int_equal(a0ipc_read(t, NULL, "nope.txt", 0, 0, to_buffer, &down, &st), A0IPC_NOT_FOUND);
    assert_non_null(strstr(st.message, "nope.txt"));
    assert_int_equal(a0ipc_stat(t, NULL, "../escape", false, &fi, &st), A0IPC_PERMISSION_DENIED);

    /* a watch sees a new file, and the caller's callback stops it */
    watch_thread wt = {.t = t};
    pthread_t th;
    pthread_create(&th, NULL, run_watch, &wt);
    for (int i = 0; i < 500 && !wt.seen.ready; i++)
        usleep(10000);
    assert_true(wt.seen.ready);
    w.path = "new.txt";
    up.pos = 0;
    up.len = 3;
    assert_int_equal(a0ipc_write(t, NULL, &w, from_buffer, &up, &wr, &st), A0IPC_OK);
    pthread_join(th, NULL);
    assert_int_equal(wt.code, A0IPC_CANCELLED); /* stopped by the callback */
    assert_int_equal(wt.seen.created, 1);
    assert_non_null(strstr(wt.seen.path, "new.txt"));

    assert_int_equal(a0ipc_remove(t, NULL, "a", true, false, A0IPC_FILE_UNSPECIFIED, &removed, &st),
                     A0IPC_OK);
    assert_true(removed);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    test_daemon_cleanup(&d);
    remove_tree(root);
    free(root);
}

/* ---- terminal through the interface ---- */

typedef struct collected {
    char text[4096];
    size_t len;
} collected;

static int collect(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    (void)seq;
    (void)lost;
    collected *c = arg;
    size_t n = len < sizeof c->text - 1 - c->len ? len : sizeof c->text - 1 - c->len;
    memcpy(c->text + c->len, data, n);
    c->len += n;
    c->text[c->len] = 0;
    return 0;
}

static void terminal_through_the_interface(void **state)
{
    (void)state;
    test_daemon d;
    const char *extra[] = {"--session-cgroup", "off", NULL};
    test_daemon_start(&d, extra);
    a0ipc_transport *t = transport_for(d.tcp_target, 5);
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *argv[] = {"/bin/bash", "--norc"};
    a0ipc_session_options so = {.argv = argv, .argc = 2};
    a0ipc_session_info s;
    assert_int_equal(a0ipc_create_session(t, NULL, &so, &s, &st), A0IPC_OK);
    assert_true(s.pid > 0);

    collected out = {.len = 0};
    a0ipc_run_options ro = {.command = "echo hello-$((6*7))", .total_timeout_ms = 20000};
    a0ipc_run_result rr;
    assert_int_equal(a0ipc_run(t, NULL, s.id, &ro, collect, &out, &rr, &st), A0IPC_OK);
    assert_int_equal(rr.reason, A0IPC_DONE_EXITED);
    assert_int_equal(rr.exit_code, 0);
    assert_non_null(strstr(out.text, "hello-42"));
    ro.command = "(exit 3)";
    assert_int_equal(a0ipc_run(t, NULL, s.id, &ro, collect, &out, &rr, &st), A0IPC_OK);
    assert_int_equal(rr.exit_code, 3);

    a0ipc_session_list *l = NULL;
    assert_int_equal(a0ipc_list_sessions(t, NULL, &l, &st), A0IPC_OK);
    assert_int_equal(l->n_sessions, 1);
    assert_string_equal(l->sessions[0].id, s.id);
    a0ipc_session_list_free(l);

    const char *exec_argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 7"};
    a0ipc_exec_options eo = {.argv = exec_argv, .argc = 3};
    a0ipc_exec_result er;
    assert_int_equal(a0ipc_exec(t, NULL, &eo, &er, &st), A0IPC_OK);
    assert_int_equal(er.exit_code, 7);
    assert_string_equal((char *)er.stdout_data, "out\n");
    assert_string_equal((char *)er.stderr_data, "err\n");
    a0ipc_exec_result_clear(&er);

    assert_int_equal(a0ipc_close_session(t, NULL, s.id, 500, NULL, &st), A0IPC_OK);
    assert_int_equal(a0ipc_run(t, NULL, s.id, &ro, collect, &out, &rr, &st), A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    a0ipc_session_info_clear(&s);
    a0ipc_transport_free(t);
    test_daemon_cleanup(&d);
}

/* ---- retries: only idempotent methods, only UNAVAILABLE ---- */

static atomic_int stat_calls, mkdir_calls;

static a0ipc_code flaky_stat(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__StatRequest *req,
                             A0__Runtime__V1__StatResponse *resp)
{
    if (atomic_fetch_add(&stat_calls, 1) < 2)
        return a0ipc_rpc_fail(ctx, A0IPC_UNAVAILABLE, "not yet");
    A0__Runtime__V1__FileInfo *fi = a0ipc_rpc_ctx_alloc(ctx, sizeof *fi);
    a0__runtime__v1__file_info__init(fi);
    fi->name = a0ipc_rpc_ctx_strdup(ctx, req->path);
    fi->path = fi->name;
    resp->info = fi;
    return A0IPC_OK;
}

static a0ipc_code down_mkdir(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__MakeDirRequest *req,
                             A0__Runtime__V1__MakeDirResponse *resp)
{
    atomic_fetch_add(&mkdir_calls, 1);
    return a0ipc_rpc_fail(ctx, A0IPC_UNAVAILABLE, "down");
}

static void retries_only_idempotent_methods(void **state)
{
    (void)state;
    char dir[] = "/tmp/a0ipc-retry-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char target[128];
    snprintf(target, sizeof target, "unix:%s/s.sock", dir);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_server_options so;
    a0ipc_rpc_server_options_init(&so);
    so.log_calls = false;
    a0ipc_rpc_server *srv = a0ipc_rpc_server_new(&so, &st);
    const a0_runtime_v1_files_handlers h = {.stat = flaky_stat, .make_dir = down_mkdir};
    assert_int_equal(a0_runtime_v1_files_register(srv, &h, NULL, 0, &st), 0);
    assert_int_equal(a0ipc_rpc_server_listen(srv, target, NULL, &st), 1);
    assert_int_equal(a0ipc_rpc_server_start(srv, &st), 0);

    a0ipc_transport *t = transport_for(target, 5);
    a0ipc_file_info fi;
    /* Stat is NO_SIDE_EFFECTS in the .proto: two UNAVAILABLE answers, then success. */
    assert_int_equal(a0ipc_stat(t, NULL, "x", false, &fi, &st), A0IPC_OK);
    assert_int_equal(atomic_load(&stat_calls), 3);
    a0ipc_file_info_clear(&fi);
    /* MakeDir is not marked idempotent: one attempt, and the status unchanged. */
    bool created;
    assert_int_equal(a0ipc_make_dir(t, NULL, "d", 0, false, false, &created, &st),
                     A0IPC_UNAVAILABLE);
    assert_string_equal(st.message, "down");
    assert_int_equal(atomic_load(&mkdir_calls), 1);
    a0ipc_transport_free(t);

    /* max_attempts = 1: no retries at all. */
    atomic_store(&stat_calls, 0);
    t = transport_for(target, 1);
    assert_int_equal(a0ipc_stat(t, NULL, "x", false, &fi, &st), A0IPC_UNAVAILABLE);
    assert_int_equal(atomic_load(&stat_calls), 1);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    a0ipc_rpc_server_free(srv);
    char sock[160];
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    unlink(sock);
    rmdir(dir);
}

/* ---- three daemons ---- */

typedef struct cluster {
    test_daemon d[3];
    char *roots[3];
    char target[512];
} cluster;

/* The cluster of the running test, so its teardown stops the daemons even after a failed
 * assertion jumped out of the test. */
static cluster *running_cluster;

static int cluster_teardown(void **state)
{
    (void)state;
    if (running_cluster) {
        for (int i = 0; i < 3; i++) {
            test_daemon_cleanup(&running_cluster->d[i]);
            if (running_cluster->roots[i]) {
                remove_tree(running_cluster->roots[i]);
                free(running_cluster->roots[i]);
            }
        }
        running_cluster = NULL;
    }
    return 0;
}

static void cluster_start(cluster *c)
{
    memset(c, 0, sizeof *c);
    running_cluster = c;
    int n = snprintf(c->target, sizeof c->target, "ipv4:");
    for (int i = 0; i < 3; i++) {
        char who[16];
        snprintf(who, sizeof who, "daemon-%d", i);
        c->roots[i] = make_root(who);
        const char *extra[] = {"--root", c->roots[i], "--session-cgroup", "off", NULL};
        test_daemon_start(&c->d[i], extra);
        n += snprintf(c->target + n, sizeof c->target - (size_t)n, "%s%s", i ? "," : "",
                      c->d[i].tcp_target);
    }
}

static void cluster_stop(cluster *c)
{
    (void)c;
    cluster_teardown(NULL);
}

static void round_robin_survives_a_killed_daemon(void **state)
{
    (void)state;
    cluster c;
    cluster_start(&c);
    a0ipc_transport *t = transport_for(c.target, 5);
    a0ipc_status st = A0IPC_STATUS_INIT;
    int seen[3] = {0, 0, 0}, failures = 0, killed_at = -1;
    /* Until every daemon has served (round_robin connects its subchannels as it goes: on a
     * loaded machine that takes more calls), then one daemon dies, then 60 calls more. */
    for (int i = 0; i < 600 && (killed_at < 0 || i < killed_at + 60); i++) {
        if (killed_at < 0 && seen[0] && seen[1] && seen[2]) {
            kill(c.d[1].pid, SIGKILL);
            waitpid(c.d[1].pid, NULL, 0);
            c.d[1].pid = 0;
            killed_at = i;
        }
        buffer b = {.len = 0};
        if (a0ipc_read(t, NULL, "whoami", 0, 0, to_buffer, &b, &st) != A0IPC_OK) {
            failures++;
            continue;
        }
        b.data[b.len] = 0;
        int who = b.data[7] - '0';
        assert_in_range(who, 0, 2);
        seen[who]++;
        if (killed_at >= 0 && i > killed_at + 5)
            assert_int_not_equal(who, 1);
    }
    a0ipc_status_clear(&st);
    /* Every daemon served while alive; no call failed: retried on UNAVAILABLE, then balanced
     * over the two that are left. */
    assert_true(killed_at >= 0);
    assert_int_equal(failures, 0);
    a0ipc_transport_free(t);
    cluster_stop(&c);
}

/* LeakSanitizer (scripts/test --sanitize): c-ares, which gRPC resolves dns:/// names with, keeps
 * a few bytes of its own per process (seen with dns:///localhost). Not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcares.so\n";
}

/* A port free on both 127.0.0.1 and ::1, or 0 when the host has no IPv6 loopback. */
static int port_free_on_both_loopbacks(void)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int s4 = socket(AF_INET, SOCK_STREAM, 0), s6 = socket(AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        socklen_t len = sizeof a4;
        int port = 0;
        if (s4 >= 0 && s6 >= 0 && bind(s4, (struct sockaddr *)&a4, sizeof a4) == 0 &&
            getsockname(s4, (struct sockaddr *)&a4, &len) == 0) {
            a6.sin6_port = a4.sin_port;
            if (bind(s6, (struct sockaddr *)&a6, sizeof a6) == 0)
                port = ntohs(a4.sin_port);
        }
        if (s4 >= 0)
            close(s4);
        if (s6 >= 0)
            close(s6);
        if (port)
            return port;
    }
    return 0;
}

/* dns:///localhost:PORT with a daemon on 127.0.0.1:PORT and another on [::1]:PORT: the name's
 * two addresses are both used (round robin), sessions stay on theirs. gRPC's resolver (c-ares)
 * gives localhost both loopback addresses whatever /etc/hosts says (RFC 6761). */
static void dns_name_with_two_addresses(void **state)
{
    (void)state;
    int port = port_free_on_both_loopbacks();
    if (!port) {
        fprintf(stderr, "skipped: no port free on both 127.0.0.1 and ::1 (no IPv6 loopback?)\n");
        skip();
    }
    cluster c;
    memset(&c, 0, sizeof c);
    running_cluster = &c;
    char listen[2][64];
    snprintf(listen[0], sizeof listen[0], "127.0.0.1:%d", port);
    snprintf(listen[1], sizeof listen[1], "[::1]:%d", port);
    for (int i = 0; i < 2; i++) {
        char who[16];
        snprintf(who, sizeof who, "daemon-%d", i);
        c.roots[i] = make_root(who);
        const char *extra[] = {"--listen",         listen[i], "--root", c.roots[i],
                               "--session-cgroup", "off",     NULL};
        test_daemon_start(&c.d[i], extra);
    }
    snprintf(c.target, sizeof c.target, "dns:///localhost:%d", port);
    a0ipc_transport *t = transport_for(c.target, 5);
    a0ipc_status st = A0IPC_STATUS_INIT;
    int seen[2] = {0, 0};
    for (int i = 0; i < 20; i++) {
        buffer b = {.len = 0};
        if (a0ipc_read(t, NULL, "whoami", 0, 0, to_buffer, &b, &st) != A0IPC_OK)
            fail_msg("read through %s: %s", c.target, a0ipc_status_message(&st));
        b.data[b.len] = 0;
        int who = b.data[7] - '0';
        assert_in_range(who, 0, 1);
        seen[who]++;
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
    const char *argv[] = {"/bin/bash", "--norc"};
    a0ipc_session_options so = {.argv = argv, .argc = 2};
    for (int i = 0; i < 4; i++) {
        a0ipc_session_info s;
        assert_int_equal(a0ipc_create_session(t, NULL, &so, &s, &st), A0IPC_OK);
        a0ipc_run_options ro = {.command = "true", .total_timeout_ms = 20000};
        a0ipc_run_result rr;
        collected out = {.len = 0};
        if (a0ipc_run(t, NULL, s.id, &ro, collect, &out, &rr, &st) != A0IPC_OK)
            fail_msg("run: %s", a0ipc_status_message(&st));
        assert_int_equal(a0ipc_close_session(t, NULL, s.id, 1000, NULL, &st), A0IPC_OK);
        a0ipc_session_info_clear(&s);
    }
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    cluster_stop(&c);
}

static void sessions_stay_on_their_daemon(void **state)
{
    (void)state;
    cluster c;
    cluster_start(&c);
    a0ipc_transport *t = transport_for(c.target, 5);
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *argv[] = {"/bin/bash", "--norc"};
    a0ipc_session_options so = {.argv = argv, .argc = 2};
    a0ipc_session_info s[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(a0ipc_create_session(t, NULL, &so, &s[i], &st), A0IPC_OK);
    /* Every call about a session reaches the daemon that has it: none is NOT_FOUND. */
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < 3; i++) {
            a0ipc_run_options ro = {.command = "true", .total_timeout_ms = 20000};
            a0ipc_run_result rr;
            collected out = {.len = 0};
            if (a0ipc_run(t, NULL, s[i].id, &ro, collect, &out, &rr, &st) != A0IPC_OK)
                fail_msg("run on session %d: %s %s", i, a0ipc_code_name(st.code),
                         a0ipc_status_message(&st));
            assert_int_equal(rr.exit_code, 0);
        }
    /* Each session lives on exactly one daemon. */
    int total = 0;
    for (int d = 0; d < 3; d++) {
        a0ipc_transport *one = transport_for(c.d[d].tcp_target, 1);
        a0ipc_session_list *l = NULL;
        assert_int_equal(a0ipc_list_sessions(one, NULL, &l, &st), A0IPC_OK);
        total += (int)l->n_sessions;
        a0ipc_session_list_free(l);
        a0ipc_transport_free(one);
    }
    assert_int_equal(total, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a0ipc_close_session(t, NULL, s[i].id, 200, NULL, &st), A0IPC_OK);
        a0ipc_session_info_clear(&s[i]);
    }
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    cluster_stop(&c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    a0ipc_log_set_level(A0IPC_LOG_ERROR);
    a0ipc_rpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_through_the_interface),
        cmocka_unit_test(terminal_through_the_interface),
        cmocka_unit_test(retries_only_idempotent_methods),
        cmocka_unit_test_teardown(round_robin_survives_a_killed_daemon, cluster_teardown),
        cmocka_unit_test_teardown(sessions_stay_on_their_daemon, cluster_teardown),
        cmocka_unit_test_teardown(dns_name_with_two_addresses, cluster_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    a0ipc_rpc_shutdown();
    return failed;
}
