/* bench_health: Health.Check latency and throughput of the real a0ipcd, next to a raw socket
 * ping-pong floor measured in the same run with the same CPU pinning (issue 2, Benchmark).
 *
 * It prints figures and the targets beside them, never a verdict: on a shared 2-core VM the
 * numbers move by tens of percent from run to run, so a timed pass/fail would only flake.
 *
 * Layout: a0ipcd and the echo server of the floor run pinned to one CPU, this process (and every
 * thread the gRPC core starts in it: threads inherit the mask) to another. A round trip of the
 * floor then pays the same cross-CPU wake-ups as a call, so the ratio isolates what the rpc stack
 * adds (its CPU time and any extra wake-ups), whatever a wake-up costs on the machine of the day.
 * Both children are forked before grpc_init: forking a process that runs the core's threads is
 * not safe.
 *
 * Usage: bench_health [path-to-a0ipcd]   (default: the a0ipcd of this build tree) */
#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "grpc/health/v1/health.a0ipc.h"
#include "rpc/client.h"

#define SEQ_WARMUP       2000
#define SEQ_N            20000
#define PINGPONG_BYTES   16
#define IN_FLIGHT        64
#define LOAD_WARMUP_NS   (1000 * 1000000LL)
#define LOAD_MEASURE_NS  (3000 * 1000000LL)
#define STALL_NS         (10 * 1000000000LL) /* no completion for this long: the daemon hangs */
#define CALL_TIMEOUT_MS  10000               /* every call carries a deadline, as real ones do */
#define TARGET_SEQ_RATIO 1.5
#define TARGET_CALLS_S   60000.0

static pid_t echo_pid = -1;

/* ---- the floor: a raw socket echo server and a blocking ping-pong client ---- */

/* One process, one connection at a time: read a message, send it back, until EOF. */
static void echo_serve(int lunix, int ltcp)
{
    struct pollfd pfd[2] = {{.fd = lunix, .events = POLLIN}, {.fd = ltcp, .events = POLLIN}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            int c = accept(pfd[i].fd, NULL, NULL);
            if (c < 0)
                continue;
            if (i == 1)
                bu_set_nodelay(c);
            char buf[PINGPONG_BYTES];
            while (bu_read_full(c, buf, sizeof buf) == 0 && bu_write_full(c, buf, sizeof buf) == 0)
                ;
            close(c);
        }
    }
}

static void start_echo(int cpu, struct sockaddr_un *ua, struct sockaddr_in *ta)
{
    int lunix, ltcp;
    bu_listen_pair("echo.sock", &lunix, ua, &ltcp, ta);
    pid_t pid = bu_fork_pinned(cpu);
    if (pid == 0) {
        echo_serve(lunix, ltcp);
        _exit(0);
    }
    echo_pid = pid;
    close(lunix);
    close(ltcp);
}

typedef struct result {
    double p50, p99;    /* us */
    double srv_cpu_us;  /* server CPU per call (sequential) */
    double cli_cpu_us;  /* client CPU per call (sequential) */
    double calls_s;     /* in-flight runs */
    double srv_cpu_pct; /* of one CPU, in-flight runs */
    double cli_cpu_pct;
    double others_pct; /* CPU used by everything else on the machine, steal included */
} result;

static void finish_result(result *r, int64_t *lat, size_t n, bu_cpu_mark a, bu_cpu_mark b)
{
    bu_sort_ns(lat, n);
    r->p50 = bu_pct_us(lat, n, 50);
    r->p99 = bu_pct_us(lat, n, 99);
    double wall = (double)(b.wall - a.wall);
    r->srv_cpu_us = (double)(b.server - a.server) / 1000.0 / (double)n;
    r->cli_cpu_us = (double)(b.client - a.client) / 1000.0 / (double)n;
    r->srv_cpu_pct = 100.0 * (double)(b.server - a.server) / wall;
    r->cli_cpu_pct = 100.0 * (double)(b.client - a.client) / wall;
    /* Clock-tick granularity (10 ms) can make a quiet machine look slightly negative. */
    int64_t others = (b.machine - a.machine) - (b.server - a.server) - (b.client - a.client);
    r->others_pct = others > 0 ? 100.0 * (double)others / wall : 0;
    r->calls_s = (double)n / (wall / 1e9);
}

static result floor_run(const struct sockaddr *addr, socklen_t alen, bool tcp, int64_t *lat)
{
    int fd = socket(addr->sa_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, addr, alen) != 0)
        bu_die("floor: connect to the echo server: %s", strerror(errno));
    if (tcp)
        bu_set_nodelay(fd);
    char msg[PINGPONG_BYTES], back[PINGPONG_BYTES];
    memset(msg, 'x', sizeof msg);
    for (int i = 0; i < SEQ_WARMUP; i++)
        if (bu_write_full(fd, msg, sizeof msg) != 0 || bu_read_full(fd, back, sizeof back) != 0)
            bu_die("floor: echo failed: %s", strerror(errno));
    bu_cpu_mark a = bu_cpu_now(echo_pid);
    for (int i = 0; i < SEQ_N; i++) {
        int64_t t = a0ipc_mono_ns();
        if (bu_write_full(fd, msg, sizeof msg) != 0 || bu_read_full(fd, back, sizeof back) != 0)
            bu_die("floor: echo failed: %s", strerror(errno));
        lat[i] = a0ipc_mono_ns() - t;
    }
    bu_cpu_mark b = bu_cpu_now(echo_pid);
    close(fd);
    result r;
    finish_result(&r, lat, SEQ_N, a, b);
    return r;
}

/* ---- sequential Health.Check through our client library ---- */

static void check_once(a0ipc_rpc_channel *ch, const a0ipc_rpc_call_options *o)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (grpc_health_v1_health_check_call(ch, o, &req, &resp, &st) != A0IPC_OK)
        bu_die("Health.Check on %s: %s: %s", a0ipc_rpc_channel_target(ch), a0ipc_code_name(st.code),
               a0ipc_status_message(&st));
    if (resp->status != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
        bu_die("Health.Check on %s: status %d, not SERVING", a0ipc_rpc_channel_target(ch),
               (int)resp->status);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static result sequential_run(const char *target, int64_t *lat)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, NULL, &st);
    if (!ch)
        bu_die("channel to %s: %s", target, a0ipc_status_message(&st));
    a0ipc_rpc_call_options o = {.timeout_ms = CALL_TIMEOUT_MS, .wait_for_ready = true};
    check_once(ch, &o); /* connects */
    o.wait_for_ready = false;
    for (int i = 0; i < SEQ_WARMUP; i++)
        check_once(ch, &o);
    bu_cpu_mark a = bu_cpu_now(bu_daemon_pid);
    for (int i = 0; i < SEQ_N; i++) {
        int64_t t = a0ipc_mono_ns();
        check_once(ch, &o);
        lat[i] = a0ipc_mono_ns() - t;
    }
    bu_cpu_mark b = bu_cpu_now(bu_daemon_pid);
    a0ipc_rpc_channel_free(ch);
    result r;
    finish_result(&r, lat, SEQ_N, a, b);
    return r;
}

/* ---- many calls in flight: the gRPC core's async API ----
 *
 * Our client library is blocking by design (one thread per outstanding call), so 64 calls in
 * flight through it would take 64 threads, and the figure would measure thread switching on
 * the client CPU rather than what the daemon can serve. The load generator therefore drives
 * the core directly: one completion queue, 64 unary calls, each re-issued as it completes. The
 * calls are what our client sends (registered method, the same channel arguments, the same
 * six-op batch), so the server side sees the same traffic. */

typedef struct load_call {
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *send, *recv;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
    int64_t start_ns;
} load_call;

typedef struct load {
    grpc_channel *ch;
    grpc_completion_queue *cq;
    void *method;
    grpc_slice request; /* the empty HealthCheckRequest, serialized once */
} load;

static void load_call_start(load *L, load_call *c)
{
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(CALL_TIMEOUT_MS, GPR_TIMESPAN));
    c->call = grpc_channel_create_registered_call(L->ch, NULL, GRPC_PROPAGATE_DEFAULTS, L->cq,
                                                  L->method, deadline, NULL);
    if (!c->call)
        bu_die("load: could not create a call");
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->send = grpc_raw_byte_buffer_create(&L->request, 1); /* takes a ref, copies nothing */
    c->recv = NULL;
    c->status = GRPC_STATUS_UNKNOWN;
    c->details = grpc_empty_slice();
    c->error_string = NULL;

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = c->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    /* Without RECV_INITIAL_METADATA a Trailers-Only answer (any early error) never completes. */
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &c->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
    ops[5].data.recv_status_on_client.status = &c->status;
    ops[5].data.recv_status_on_client.status_details = &c->details;
    ops[5].data.recv_status_on_client.error_string = &c->error_string;
    c->start_ns = a0ipc_mono_ns();
    grpc_call_error err = grpc_call_start_batch(c->call, ops, 6, c, NULL);
    if (err != GRPC_CALL_OK)
        bu_die("load: start_batch: %s", grpc_call_error_to_string(err));
}

/* Frees what the call held; dies if it did not end OK with a response. */
static void load_call_end(load_call *c, bool success)
{
    if (!success || c->status != GRPC_STATUS_OK || !c->recv) {
        size_t n = GRPC_SLICE_LENGTH(c->details);
        bu_die("load: Health.Check failed: batch %s, status %d: %.*s %s", success ? "ok" : "failed",
               (int)c->status, (int)n, (const char *)GRPC_SLICE_START_PTR(c->details),
               c->error_string ? c->error_string : "");
    }
    grpc_byte_buffer_destroy(c->recv);
    grpc_byte_buffer_destroy(c->send);
    grpc_slice_unref(c->details);
    gpr_free((void *)c->error_string);
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_call_unref(c->call);
    c->call = NULL;
}

static result load_run(const char *target)
{
    /* The channel arguments a0ipc_rpc_channel_new sets by default. */
    grpc_arg args[2];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = 16 * 1024 * 1024;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_ENABLE_RETRIES;
    args[1].value.integer = 1;
    grpc_channel_args chargs = {2, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();

    load L;
    L.ch = grpc_channel_create(target, creds, &chargs);
    grpc_channel_credentials_release(creds);
    L.cq = grpc_completion_queue_create_for_next(NULL);
    L.method = grpc_channel_register_call(
        L.ch, grpc_health_v1_health_service.methods[GRPC_HEALTH_V1_HEALTH__CHECK].path, NULL, NULL);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    size_t len = protobuf_c_message_get_packed_size(&req.base);
    L.request = grpc_slice_malloc(len);
    protobuf_c_message_pack(&req.base, GRPC_SLICE_START_PTR(L.request));
    /* Connect before the clock starts, so warm-up measures calls, not the handshake. */
    /* Wait through the completion queue: a connection attempt makes progress only while
     * something polls, and nothing else polls this channel yet. */
    int64_t until = a0ipc_mono_ns() + 10 * 1000000000LL;
    grpc_connectivity_state state;
    while ((state = grpc_channel_check_connectivity_state(L.ch, 1)) != GRPC_CHANNEL_READY) {
        if (a0ipc_mono_ns() > until)
            bu_die("load: no connection to %s within 10 s", target);
        gpr_timespec soon =
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(200, GPR_TIMESPAN));
        grpc_channel_watch_connectivity_state(L.ch, state, soon, L.cq, &L);
        grpc_completion_queue_next(L.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }

    load_call calls[IN_FLIGHT];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < IN_FLIGHT; i++)
        load_call_start(&L, &calls[i]);

    size_t cap = 1 << 20, n = 0;
    int64_t *lat = malloc(cap * sizeof *lat);
    if (!lat)
        bu_die("out of memory");
    int64_t start = a0ipc_mono_ns();
    int64_t t0 = start + LOAD_WARMUP_NS, t1 = t0 + LOAD_MEASURE_NS;
    bu_cpu_mark a = {0}, b = {0};
    bool measuring = false, done = false;
    int outstanding = IN_FLIGHT;
    while (outstanding > 0) {
        grpc_event ev = grpc_completion_queue_next(
            L.cq,
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(STALL_NS, GPR_TIMESPAN)),
            NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            bu_die("load: no completion on %s for %lld s (%d calls outstanding)", target,
                   (long long)(STALL_NS / 1000000000), outstanding);
        load_call *c = ev.tag;
        int64_t t = a0ipc_mono_ns();
        load_call_end(c, ev.success != 0);
        if (!measuring && !done && t >= t0) {
            a = bu_cpu_now(bu_daemon_pid);
            measuring = true;
        }
        if (measuring && t >= t1) {
            b = bu_cpu_now(bu_daemon_pid);
            measuring = false;
            done = true;
        }
        if (measuring) {
            if (n == cap) {
                int64_t *grown = realloc(lat, 2 * cap * sizeof *lat);
                if (!grown)
                    bu_die("out of memory");
                lat = grown;
                cap *= 2;
            }
            lat[n++] = t - c->start_ns;
        }
        if (done)
            outstanding--;
        else
            load_call_start(&L, c);
    }

    result r;
    finish_result(&r, lat, n, a, b);
    free(lat);
    grpc_slice_unref(L.request);
    grpc_channel_destroy(L.ch);
    grpc_completion_queue_shutdown(L.cq);
    while (grpc_completion_queue_next(L.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(L.cq);
    return r;
}

/* ---- output ---- */

/* Column layout shared by the header and the rows of each table. */
#define SEQ_COLS  "  %-29s %-5s %8s %8s %9s %11s %11s %8s\n"
#define LOAD_COLS "  %-29s %-5s %8s %8s %8s %12s %12s %8s\n"

static void print_seq_row(const char *what, const char *transport, const result *r,
                          const result *floor)
{
    char p50[16], p99[16], ratio[16] = "-", srv[16], cli[16], others[16];
    snprintf(p50, sizeof p50, "%.1f", r->p50);
    snprintf(p99, sizeof p99, "%.1f", r->p99);
    if (floor)
        snprintf(ratio, sizeof ratio, "%.2fx", r->p50 / floor->p50);
    snprintf(srv, sizeof srv, "%.1f", r->srv_cpu_us);
    snprintf(cli, sizeof cli, "%.1f", r->cli_cpu_us);
    snprintf(others, sizeof others, "%.0f%%", r->others_pct);
    printf(SEQ_COLS, what, transport, p50, p99, ratio, srv, cli, others);
}

static void print_load_row(const char *transport, const result *r)
{
    char rate[16], p50[16], p99[16], srv[24], cli[24], others[16];
    snprintf(rate, sizeof rate, "%.0f", r->calls_s);
    snprintf(p50, sizeof p50, "%.0f", r->p50);
    snprintf(p99, sizeof p99, "%.0f", r->p99);
    snprintf(srv, sizeof srv, "%.0f%% %.1fus", r->srv_cpu_pct, r->srv_cpu_us);
    snprintf(cli, sizeof cli, "%.0f%% %.1fus", r->cli_cpu_pct, r->cli_cpu_us);
    snprintf(others, sizeof others, "%.0f%%", r->others_pct);
    printf(LOAD_COLS, "Health.Check (core async API)", transport, rate, p50, p99, srv, cli, others);
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [path-to-a0ipcd]\n", argv[0]);
        return 2;
    }
    const char *daemon_path = argc == 2 ? argv[1] : A0IPCD_DEFAULT_PATH;
    bu_require_executable("bench_health", daemon_path);
    bu_init("bench_health", NULL);

    /* Server side on the first CPU we may use, client side on the second. */
    int srv_cpu, cli_cpu, ncpu = bu_pick_cpus(&srv_cpu, &cli_cpu);

    char unix_target[512], tcp_target[512];
    struct sockaddr_un echo_unix;
    struct sockaddr_in echo_tcp;
    bu_start_daemon(daemon_path, srv_cpu, NULL, unix_target, tcp_target, sizeof unix_target);
    start_echo(srv_cpu, &echo_unix, &echo_tcp);
    bu_pin_to(cli_cpu); /* before grpc_init: the core's threads inherit it */
    grpc_init();

    printf("bench_health: Health.Check on a0ipcd next to a raw socket floor (figures only)\n");
    bu_print_machine(ncpu, srv_cpu, cli_cpu, "a0ipcd and the echo server");
    printf("daemon     : %s (pid %d), --log-calls false, otherwise defaults\n", daemon_path,
           (int)bu_daemon_pid);
    printf("sequential : %d calls after %d warm-up, one at a time; floor = %d-byte blocking "
           "send/recv echo\n",
           SEQ_N, SEQ_WARMUP, PINGPONG_BYTES);
    printf("in flight  : %d unary calls on one channel, one completion queue, %.1f s after %.1f s "
           "warm-up\n",
           IN_FLIGHT, LOAD_MEASURE_NS / 1e9, LOAD_WARMUP_NS / 1e9);
    printf("deadlines  : every call %d ms; TCP is 127.0.0.1 with TCP_NODELAY\n\n", CALL_TIMEOUT_MS);
    fflush(stdout);

    int64_t *lat = malloc(SEQ_N * sizeof *lat);
    if (!lat)
        bu_die("out of memory");
    /* Each floor is measured right before its gRPC row, so both see the same VM weather. */
    result fu = floor_run((struct sockaddr *)&echo_unix, sizeof echo_unix, false, lat);
    result gu = sequential_run(unix_target, lat);
    result ft = floor_run((struct sockaddr *)&echo_tcp, sizeof echo_tcp, true, lat);
    result gt = sequential_run(tcp_target, lat);
    free(lat);

    printf("Sequential calls, one at a time\n");
    printf(SEQ_COLS, "", "trans", "p50 us", "p99 us", "p50/floor", "srv us/call", "cli us/call",
           "others");
    print_seq_row("raw socket ping-pong floor", "unix", &fu, NULL);
    print_seq_row("Health.Check (a0ipc client)", "unix", &gu, &fu);
    print_seq_row("raw socket ping-pong floor", "tcp", &ft, NULL);
    print_seq_row("Health.Check (a0ipc client)", "tcp", &gt, &ft);
    printf("  target: Health.Check p50 within %.1fx of the same-run floor\n\n", TARGET_SEQ_RATIO);
    fflush(stdout);

    result lu = load_run(unix_target);
    result lt = load_run(tcp_target);
    printf("%d calls in flight on one channel\n", IN_FLIGHT);
    printf(LOAD_COLS, "", "trans", "calls/s", "p50 us", "p99 us", "daemon CPU", "client CPU",
           "others");
    print_load_row("unix", &lu);
    print_load_row("tcp", &lt);
    printf("  target: >= %.0f calls/s\n\n", TARGET_CALLS_S);
    printf(
        "CPU: srv = the echo server (floor rows) or a0ipcd, cli = this process; %% = of one CPU.\n"
        "others = CPU taken by every other process on the machine, plus steal, while measuring:\n"
        "figures are only comparable between runs where it stays near 0%%.\n\n");

    long rss = bu_proc_status_kb(bu_daemon_pid, "VmRSS"),
         hwm = bu_proc_status_kb(bu_daemon_pid, "VmHWM");
    printf("a0ipcd memory after the runs: VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss / 1024.0,
           hwm / 1024.0);

    grpc_shutdown_blocking();
    bu_print_exit_status(bu_stop_daemon());
    return 0;
}
