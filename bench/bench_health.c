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

#include "grpc/health/v1/health.a0ipc.h"
#include "rpc/client.h"

#ifndef A0IPCD_DEFAULT_PATH
#define A0IPCD_DEFAULT_PATH "a0ipcd"
#endif

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

static char tmpdir[] = "/tmp/a0ipc-bench-XXXXXX";
static bool have_tmpdir;
static pid_t daemon_pid = -1, echo_pid = -1;

/* ---- small helpers ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cleanup(void)
{
    if (echo_pid > 0) {
        kill(echo_pid, SIGKILL);
        waitpid(echo_pid, NULL, 0);
        echo_pid = -1;
    }
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = -1;
    }
    if (!have_tmpdir)
        return;
    /* Everything the bench or the daemon may have left in it. */
    static const char *const names[] = {"a0ipcd.sock", "ready", "ready.tmp", "a0ipcd.log",
                                        "echo.sock"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[sizeof tmpdir + 32];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    if (rmdir(tmpdir) != 0)
        fprintf(stderr, "bench_health: could not remove %s: %s\n", tmpdir, strerror(errno));
    have_tmpdir = false;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_health: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    cleanup();
    exit(1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const int64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

/* ---- machine and pinning ---- */

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *v = strchr(line, ':');
        if (!v)
            break;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, cap, "%s", v);
        break;
    }
    fclose(f);
}

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        _exit(127);
    }
}

/* ---- CPU time and memory of a process ---- */

/* utime + stime of pid (all its threads) in ns, from /proc/PID/stat. */
static int64_t proc_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: fields are counted after its closing parenthesis. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (int64_t)(utime + stime) * (1000000000 / sysconf(_SC_CLK_TCK));
}

static int64_t self_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Value in kB of a "Key:   123 kB" line of /proc/PID/status, or -1. */
static long proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Busy time of the whole machine in ns (every CPU, steal included), from /proc/stat: what is not
 * ours in it is other work competing for the CPUs, which the figures must be read against. */
static int64_t machine_busy_ns(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8)
        return -1;
    return (int64_t)(user + nice + sys + irq + softirq + steal) *
           (1000000000 / sysconf(_SC_CLK_TCK));
}

/* CPU used by the server process, by this process and by the machine over a measured stretch. */
typedef struct cpu_mark {
    int64_t wall, server, client, machine;
} cpu_mark;

static cpu_mark cpu_now(pid_t server)
{
    cpu_mark m = {now_ns(), proc_cpu_ns(server), self_cpu_ns(), machine_busy_ns()};
    return m;
}

/* ---- the daemon ---- */

static void start_daemon(const char *path, int cpu, char *unix_target, char *tcp_target, size_t cap)
{
    char sock[256], ready[256], log[256], listen_unix[300];
    snprintf(sock, sizeof sock, "%s/a0ipcd.sock", tmpdir);
    snprintf(ready, sizeof ready, "%s/ready", tmpdir);
    snprintf(log, sizeof log, "%s/a0ipcd.log", tmpdir);
    snprintf(listen_unix, sizeof listen_unix, "unix:%s", sock);

    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        pin_to(cpu);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* an interrupted bench leaves no daemon behind */
        /* Its log would interleave with the table: it goes to a file, shown if startup fails. */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(path, path, "--listen", listen_unix, "--listen", "127.0.0.1:0", "--insecure",
              "--ready-file", ready, "--log-calls", "false", (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    daemon_pid = pid;

    for (int64_t deadline = now_ns() + 10 * 1000000000LL; now_ns() < deadline;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            daemon_pid = -1;
            char cmd[300];
            snprintf(cmd, sizeof cmd, "cat '%s' >&2", log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no daemon log)\n");
            die("a0ipcd (%s) exited during startup (status %d)", path, status);
        }
        FILE *f = fopen(ready, "r");
        if (!f) {
            usleep(10000);
            continue;
        }
        char line[256];
        unix_target[0] = tcp_target[0] = '\0';
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strncmp(line, "unix:", 5) == 0)
                snprintf(unix_target, cap, "%s", line);
            else if (line[0])
                snprintf(tcp_target, cap, "ipv4:%s", line); /* a literal: no resolver involved */
        }
        fclose(f);
        if (!unix_target[0] || !tcp_target[0])
            die("a0ipcd's ready file %s lacks an address", ready);
        return;
    }
    die("a0ipcd did not become ready within 10 s (log: %s)", log);
}

/* Stops the daemon the way an operator would and returns its exit status. */
static int stop_daemon(void)
{
    int status = -1;
    kill(daemon_pid, SIGTERM);
    waitpid(daemon_pid, &status, 0);
    daemon_pid = -1;
    return status;
}

/* ---- the floor: a raw socket echo server and a blocking ping-pong client ---- */

static int read_full(int fd, char *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const char *buf, size_t n)
{
    for (size_t put = 0; put < n;) {
        ssize_t r = send(fd, buf + put, n - put, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        put += (size_t)r;
    }
    return 0;
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

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
                set_nodelay(c);
            char buf[PINGPONG_BYTES];
            while (read_full(c, buf, sizeof buf) == 0 && write_full(c, buf, sizeof buf) == 0)
                ;
            close(c);
        }
    }
}

static void start_echo(int cpu, struct sockaddr_un *ua, struct sockaddr_in *ta)
{
    memset(ua, 0, sizeof *ua);
    ua->sun_family = AF_UNIX;
    snprintf(ua->sun_path, sizeof ua->sun_path, "%s/echo.sock", tmpdir);
    int lunix = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lunix < 0 || bind(lunix, (struct sockaddr *)ua, sizeof *ua) != 0 || listen(lunix, 4) != 0)
        die("echo server: unix socket %s: %s", ua->sun_path, strerror(errno));

    memset(ta, 0, sizeof *ta);
    ta->sin_family = AF_INET;
    ta->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *ta;
    int ltcp = socket(AF_INET, SOCK_STREAM, 0);
    if (ltcp < 0 || bind(ltcp, (struct sockaddr *)ta, sizeof *ta) != 0 || listen(ltcp, 4) != 0 ||
        getsockname(ltcp, (struct sockaddr *)ta, &len) != 0)
        die("echo server: tcp socket: %s", strerror(errno));

    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        pin_to(cpu);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
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

static void finish_result(result *r, int64_t *lat, size_t n, cpu_mark a, cpu_mark b)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    r->p50 = pct_us(lat, n, 50);
    r->p99 = pct_us(lat, n, 99);
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
        die("floor: connect to the echo server: %s", strerror(errno));
    if (tcp)
        set_nodelay(fd);
    char msg[PINGPONG_BYTES], back[PINGPONG_BYTES];
    memset(msg, 'x', sizeof msg);
    for (int i = 0; i < SEQ_WARMUP; i++)
        if (write_full(fd, msg, sizeof msg) != 0 || read_full(fd, back, sizeof back) != 0)
            die("floor: echo failed: %s", strerror(errno));
    cpu_mark a = cpu_now(echo_pid);
    for (int i = 0; i < SEQ_N; i++) {
        int64_t t = now_ns();
        if (write_full(fd, msg, sizeof msg) != 0 || read_full(fd, back, sizeof back) != 0)
            die("floor: echo failed: %s", strerror(errno));
        lat[i] = now_ns() - t;
    }
    cpu_mark b = cpu_now(echo_pid);
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
        die("Health.Check on %s: %s: %s", a0ipc_rpc_channel_target(ch), a0ipc_code_name(st.code),
            a0ipc_status_message(&st));
    if (resp->status != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
        die("Health.Check on %s: status %d, not SERVING", a0ipc_rpc_channel_target(ch),
            (int)resp->status);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static result sequential_run(const char *target, int64_t *lat)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, NULL, &st);
    if (!ch)
        die("channel to %s: %s", target, a0ipc_status_message(&st));
    a0ipc_rpc_call_options o = {.timeout_ms = CALL_TIMEOUT_MS, .wait_for_ready = true};
    check_once(ch, &o); /* connects */
    o.wait_for_ready = false;
    for (int i = 0; i < SEQ_WARMUP; i++)
        check_once(ch, &o);
    cpu_mark a = cpu_now(daemon_pid);
    for (int i = 0; i < SEQ_N; i++) {
        int64_t t = now_ns();
        check_once(ch, &o);
        lat[i] = now_ns() - t;
    }
    cpu_mark b = cpu_now(daemon_pid);
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
        die("load: could not create a call");
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
    c->start_ns = now_ns();
    grpc_call_error err = grpc_call_start_batch(c->call, ops, 6, c, NULL);
    if (err != GRPC_CALL_OK)
        die("load: start_batch: %s", grpc_call_error_to_string(err));
}

/* Frees what the call held; dies if it did not end OK with a response. */
static void load_call_end(load_call *c, bool success)
{
    if (!success || c->status != GRPC_STATUS_OK || !c->recv) {
        size_t n = GRPC_SLICE_LENGTH(c->details);
        die("load: Health.Check failed: batch %s, status %d: %.*s %s", success ? "ok" : "failed",
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
    for (int64_t until = now_ns() + 10 * 1000000000LL;
         grpc_channel_check_connectivity_state(L.ch, 1) != GRPC_CHANNEL_READY;) {
        if (now_ns() > until)
            die("load: no connection to %s within 10 s", target);
        usleep(1000);
    }

    load_call calls[IN_FLIGHT];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < IN_FLIGHT; i++)
        load_call_start(&L, &calls[i]);

    size_t cap = 1 << 20, n = 0;
    int64_t *lat = malloc(cap * sizeof *lat);
    if (!lat)
        die("out of memory");
    int64_t start = now_ns();
    int64_t t0 = start + LOAD_WARMUP_NS, t1 = t0 + LOAD_MEASURE_NS;
    cpu_mark a = {0}, b = {0};
    bool measuring = false, done = false;
    int outstanding = IN_FLIGHT;
    while (outstanding > 0) {
        grpc_event ev = grpc_completion_queue_next(
            L.cq,
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(STALL_NS, GPR_TIMESPAN)),
            NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            die("load: no completion on %s for %lld s (%d calls outstanding)", target,
                (long long)(STALL_NS / 1000000000), outstanding);
        load_call *c = ev.tag;
        int64_t t = now_ns();
        load_call_end(c, ev.success != 0);
        if (!measuring && !done && t >= t0) {
            a = cpu_now(daemon_pid);
            measuring = true;
        }
        if (measuring && t >= t1) {
            b = cpu_now(daemon_pid);
            measuring = false;
            done = true;
        }
        if (measuring) {
            if (n == cap) {
                int64_t *grown = realloc(lat, 2 * cap * sizeof *lat);
                if (!grown)
                    die("out of memory");
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
    if (access(daemon_path, X_OK) != 0) {
        fprintf(stderr, "bench_health: %s: %s\n", daemon_path, strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    have_tmpdir = true;
    atexit(cleanup);

    /* Server side on the first CPU we may use, client side on the second. */
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    int ncpu = CPU_COUNT(&allowed), cpus[2] = {-1, -1};
    for (int c = 0, k = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[k++] = c;
    int srv_cpu = cpus[0], cli_cpu = ncpu >= 2 ? cpus[1] : cpus[0];

    char unix_target[512], tcp_target[512];
    struct sockaddr_un echo_unix;
    struct sockaddr_in echo_tcp;
    start_daemon(daemon_path, srv_cpu, unix_target, tcp_target, sizeof unix_target);
    start_echo(srv_cpu, &echo_unix, &echo_tcp);
    pin_to(cli_cpu); /* before grpc_init: the core's threads inherit it */
    grpc_init();

    char model[256];
    struct utsname un;
    cpu_model(model, sizeof model);
    uname(&un);
    printf("bench_health: Health.Check on a0ipcd next to a raw socket floor (figures only)\n");
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online == ncpu)
        printf("machine    : nproc %d, %s, Linux %s\n", ncpu, model, un.release);
    else /* run under taskset or in a cpuset: say what this process may use */
        printf("machine    : nproc %d (of %ld online), %s, Linux %s\n", ncpu, online, model,
               un.release);
    if (ncpu >= 2)
        printf("pinning    : a0ipcd and the echo server on CPU %d; this client and all its threads "
               "on CPU %d\n",
               srv_cpu, cli_cpu);
    else
        printf("pinning    : ONE CPU available: a0ipcd, the echo server and this client all on "
               "CPU %d (latencies include sharing it)\n",
               srv_cpu);
    printf("daemon     : %s (pid %d), --log-calls false, otherwise defaults\n", daemon_path,
           (int)daemon_pid);
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
        die("out of memory");
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

    long rss = proc_status_kb(daemon_pid, "VmRSS"), hwm = proc_status_kb(daemon_pid, "VmHWM");
    printf("a0ipcd memory after the runs: VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss / 1024.0,
           hwm / 1024.0);

    grpc_shutdown_blocking();
    int status = stop_daemon();
    if (WIFEXITED(status))
        printf("a0ipcd exit status after SIGTERM: %d\n", WEXITSTATUS(status));
    else
        printf("a0ipcd ended by signal %d after SIGTERM\n",
               WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return 0;
}
