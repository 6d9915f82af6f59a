/* bench_terminal: terminal sessions of the real a0ipcd through the a0ipc client library (issue 4,
 * Benchmark): the round trip of `echo x` on an open session and the output throughput of a
 * command, each next to a raw PTY floor measured in the same run with the same CPU pinning, and
 * the daemon's memory per idle session.
 *
 * It prints figures and the targets beside them, never a verdict: on a shared 2-core VM the
 * numbers move by tens of percent from run to run, so a timed pass/fail would only flake.
 *
 * Layout as in bench_health: a0ipcd (and so the shells of its sessions, which inherit its CPU
 * mask) and the floor's PTY children pinned to one CPU, this process and every thread the gRPC
 * core starts in it to the other. The floor's children are forked before the first channel
 * exists (forking a process that runs the core's threads is not safe), and wait on their PTY
 * until they are measured.
 *
 * Usage: bench_terminal [--rounds N] [--output-mb N] [path-to-a0ipcd] */
#include <errno.h>
#include <inttypes.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "a0ipc/grpc_transport.h"
#include "a0ipc/transport.h"
#include "bench_util.h"
#include "services/term_marker.h"
#include "services/term_shell.h"

#define DEFAULT_ROUNDS 500
#define WARMUP_ROUNDS  50
/* The floor's round trip is ~20 us: 500 of them take 10 ms, one clock tick, too short for the
 * CPU columns (counted in ticks) to mean anything. It gets more; its percentiles compare all the
 * same. */
#define FLOOR_ROUNDS      20000
#define MIN_CPU_WALL_S    0.1 /* shorter rows print no CPU figures: ticks of 10 ms */
#define DEFAULT_OUTPUT_MB 200
#define IDLE_SESSIONS     50
#define NORC_SESSIONS     20
#define RUN_TIMEOUT_MS    120000 /* a stuck session ends the bench instead of hanging it */
#define TARGET_P50_RATIO  2.0
#define TARGET_OUTPUT_MBS 200.0

/* CPU of a process and of its children it has reaped (the shell's commands), in ns. */
static int64_t tree_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* fields are counted after the command name */
    unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut,
                     &st, &cut, &cst) != 4)
        return 0;
    return (int64_t)(ut + st + cut + cst) * (1000000000 / sysconf(_SC_CLK_TCK));
}

/* The server side of a row: a0ipcd's own threads plus the session's shell and what it ran (the
 * shell is a child of the daemon, not in its figures), or the floor's PTY child. */
static pid_t mark_daemon = -1, mark_child = -1;

static bu_cpu_mark mark_now(void)
{
    int64_t server = tree_cpu_ns(mark_child);
    if (mark_daemon > 0)
        server += bu_proc_cpu_ns(mark_daemon);
    bu_cpu_mark m = {a0ipc_mono_ns(), server, bu_self_cpu_ns(), bu_machine_busy_ns()};
    return m;
}

typedef struct row {
    double p50, p99;       /* us, round-trip rows */
    double srv_us, cli_us; /* CPU per round trip */
    double mb_s;           /* throughput rows, 10^6 bytes per second */
    double daemon_sw;      /* a0ipcd's context switches per round trip (session rows) */
    uint64_t bytes, lost;  /* throughput rows: received, and reported lost by the daemon */
    bu_cpu_use cpu;
} row;

/* Runs round(arg, k) for k = 1, 2, ...: `warmup` times untimed, then `rounds` times, each timed
 * into lat, with the CPU of the server side set in mark_daemon/mark_child and of this process
 * measured over the timed ones; the daemon's context switches too when mark_daemon is set. */
static row time_rounds(void (*round)(void *arg, int k), void *arg, int warmup, int rounds,
                       int64_t *lat)
{
    int k = 0;
    while (k < warmup)
        round(arg, ++k);
    long long sw0 = mark_daemon > 0 ? bu_proc_switches(mark_daemon) : -1;
    bu_cpu_mark a = mark_now();
    for (int i = 0; i < rounds; i++) {
        int64_t t0 = a0ipc_mono_ns();
        round(arg, ++k);
        lat[i] = a0ipc_mono_ns() - t0;
    }
    bu_cpu_mark b = mark_now();
    long long sw1 = mark_daemon > 0 ? bu_proc_switches(mark_daemon) : -1;
    size_t n = (size_t)rounds;
    row r = {0};
    bu_sort_ns(lat, n);
    r.p50 = bu_pct_us(lat, n, 50);
    r.p99 = bu_pct_us(lat, n, 99);
    r.srv_us = (double)(b.server - a.server) / 1000.0 / (double)n;
    r.cli_us = (double)(b.client - a.client) / 1000.0 / (double)n;
    r.cpu = bu_cpu_between(a, b);
    r.daemon_sw = sw0 >= 0 && sw1 >= sw0 ? (double)(sw1 - sw0) / (double)n : -1;
    return r;
}

/* ---- the floor: PTYs of this process ---- */

/* forkpty with echo off, the child pinned to cpu and running argv. Echo off: the floor's round
 * trip is then one line in and one line out, like a session's command and its output. */
static pid_t pty_child(int cpu, int *master, char *const argv[])
{
    struct termios tio;
    memset(&tio, 0, sizeof tio);
    /* A cooked line discipline as a shell's PTY has (ICANON, ONLCR), but without echo. */
    tio.c_iflag = ICRNL;
    tio.c_oflag = OPOST | ONLCR;
    tio.c_lflag = ICANON | ISIG;
    tio.c_cflag = CS8 | CREAD;
    tio.c_cc[VEOF] = 4;
    tio.c_cc[VINTR] = 3;
    tio.c_cc[VMIN] = 1;
    cfsetspeed(&tio, B38400);
    fflush(NULL);
    pid_t pid = forkpty(master, NULL, &tio, NULL);
    if (pid < 0)
        bu_die("forkpty: %s", strerror(errno));
    if (pid == 0) {
        bu_pin_to(cpu);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Reads from the PTY until the byte `end` arrives. */
static void read_until(int fd, char end, const char *who)
{
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            bu_die("%s: PTY read: %s", who, r < 0 ? strerror(errno) : "EOF");
        if (memchr(buf, end, (size_t)r))
            return;
    }
}

static void write_or_die(int fd, const char *s, size_t len, const char *who)
{
    if (bu_write_full(fd, s, len) != 0)
        bu_die("%s: PTY write: %s", who, strerror(errno));
}

static void cat_round(void *arg, int k)
{
    (void)k;
    int m = *(int *)arg;
    write_or_die(m, "x\n", 2, "floor");
    read_until(m, '\n', "floor");
}

static row floor_echo(int cpu, int rounds, int64_t *lat)
{
    int m;
    char *const argv[] = {"cat", NULL};
    pid_t pid = pty_child(cpu, &m, argv);
    mark_daemon = -1;
    mark_child = pid;
    row r = time_rounds(cat_round, &m, WARMUP_ROUNDS, rounds, lat);
    close(m);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return r;
}

/* Not a floor but the shell's own share of a Run: the default shell on a PTY of this process,
 * set up with the daemon's own line (a0ipc_term_marker_setup), then for each round the line
 * a0ipcd types for Run("echo x") (a0ipc_term_shell_line), read back to its end marker. What is
 * left of a Run's round trip after this is the daemon and the rpc. */
static void bash_round(void *arg, int k)
{
    int m = *(int *)arg;
    size_t len;
    char *line = a0ipc_term_shell_line((uint64_t)k, "echo x", 6, NULL, &len);
    if (!line)
        bu_die("out of memory");
    write_or_die(m, line, len, "bash on a PTY");
    free(line);
    read_until(m, '\a', "bash on a PTY"); /* the marker, an OSC ended by BEL */
}

static row bash_part(int cpu, int rounds, int64_t *lat)
{
    int m;
    char *const argv[] = {"/bin/bash", NULL};
    pid_t pid = pty_child(cpu, &m, argv);
    char nonce[A0IPC_TERM_NONCE_LEN + 1];
    char *setup = a0ipc_term_random_hex(nonce) == 0 ? a0ipc_term_marker_setup(nonce) : NULL;
    if (!setup)
        bu_die("bash on a PTY: set-up line: %s", strerror(errno));
    write_or_die(m, setup, strlen(setup), "bash on a PTY");
    free(setup);
    read_until(m, '\a', "bash on a PTY"); /* it has read its start-up files: first prompt */
    mark_daemon = -1;
    mark_child = pid;
    row r = time_rounds(bash_round, &m, WARMUP_ROUNDS, rounds, lat);
    close(m);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return r;
}

/* Not a floor either: the rpc's share, an empty unary call (Health.Check) on the same channel. */
static void health_round(void *arg, int k)
{
    (void)k;
    a0ipc_serving serving;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_health(arg, NULL, "", &serving, &st) != A0IPC_OK)
        bu_die("health: %s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
}

static row health_part(a0ipc_transport *t, int rounds, int64_t *lat)
{
    mark_daemon = bu_daemon_pid;
    mark_child = -1;
    return time_rounds(health_round, t, WARMUP_ROUNDS, rounds, lat);
}

/* The command waits for a line on its PTY, so that forking it is not timed, then prints. */
static row floor_output(int cpu, uint64_t bytes)
{
    char script[128];
    snprintf(script, sizeof script, "read go; exec head -c %" PRIu64 " /dev/zero", bytes);
    char *const argv[] = {"sh", "-c", script, NULL};
    int m;
    pid_t pid = pty_child(cpu, &m, argv);
    usleep(50000); /* let sh reach its read; nothing is lost if it is slower */
    mark_daemon = -1;
    mark_child = pid;
    static char buf[65536];
    bu_cpu_mark a = mark_now();
    if (bu_write_full(m, "go\n", 3) != 0)
        bu_die("floor: PTY write: %s", strerror(errno));
    uint64_t got = 0;
    while (got < bytes) {
        ssize_t r = read(m, buf, sizeof buf);
        if (r <= 0)
            break; /* EIO: the child closed its side */
        got += (uint64_t)r;
    }
    bu_cpu_mark b = mark_now(); /* head is still running or just exited: its CPU is sh's own */
    close(m);
    waitpid(pid, NULL, 0);
    if (got != bytes)
        bu_die("floor: %" PRIu64 " bytes from the PTY, expected %" PRIu64, got, bytes);
    row r = {.bytes = got};
    r.cpu = bu_cpu_between(a, b);
    r.mb_s = (double)got / 1e6 / r.cpu.wall_s;
    return r;
}

/* ---- sessions through the client library ---- */

typedef struct out_count {
    uint64_t bytes, lost;
    bool saw_x;
} out_count;

static int on_output(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    (void)seq;
    out_count *c = arg;
    c->bytes += len;
    c->lost += lost;
    if (!c->saw_x && memchr(data, 'x', len))
        c->saw_x = true;
    return 0;
}

static void run_once(a0ipc_transport *t, const char *id, const char *command, out_count *c)
{
    a0ipc_run_options ro = {.command = command, .total_timeout_ms = RUN_TIMEOUT_MS};
    a0ipc_run_result res;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_run(t, NULL, id, &ro, on_output, c, &res, &st) != A0IPC_OK)
        bu_die("run %s: %s: %s", command, a0ipc_code_name(st.code), a0ipc_status_message(&st));
    if (res.reason != A0IPC_DONE_EXITED || res.exit_code != 0)
        bu_die("run %s: done reason %d, exit code %d", command, (int)res.reason, res.exit_code);
}

/* argv NULL: the daemon's default shell (bash, reading the user's start-up files). */
static char *new_session(a0ipc_transport *t, const char *const *argv, int *pid)
{
    a0ipc_session_options so = {.argv = argv, .argc = 0};
    while (argv && argv[so.argc])
        so.argc++;
    a0ipc_session_info info;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_create_session(t, NULL, &so, &info, &st) != A0IPC_OK)
        bu_die("create session: %s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
    char *id = strdup(info.id);
    if (!id)
        bu_die("out of memory");
    *pid = info.pid;
    a0ipc_session_info_clear(&info);
    return id;
}

static void close_session(a0ipc_transport *t, const char *id)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_close_session(t, NULL, id, 1000, NULL, &st) != A0IPC_OK)
        bu_die("close session: %s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
}

typedef struct echo_run {
    a0ipc_transport *t;
    const char *id;
    out_count c;
} echo_run;

static void echo_round(void *arg, int k)
{
    (void)k;
    echo_run *e = arg;
    run_once(e->t, e->id, "echo x", &e->c);
}

static row session_echo(a0ipc_transport *t, const char *id, int shell_pid, int rounds, int64_t *lat)
{
    echo_run e = {t, id, {0}};
    for (int k = 1; k <= WARMUP_ROUNDS; k++)
        echo_round(&e, k);
    if (!e.c.saw_x)
        bu_die("run echo x: no x in the output");
    mark_daemon = bu_daemon_pid;
    mark_child = shell_pid;
    return time_rounds(echo_round, &e, 0, rounds, lat);
}

static row session_output(a0ipc_transport *t, const char *id, int shell_pid, uint64_t bytes)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "head -c %" PRIu64 " /dev/zero", bytes);
    out_count c = {0};
    mark_daemon = bu_daemon_pid;
    mark_child = shell_pid;
    bu_cpu_mark a = mark_now();
    run_once(t, id, cmd, &c);
    bu_cpu_mark b = mark_now();
    row r = {.bytes = c.bytes, .lost = c.lost};
    r.cpu = bu_cpu_between(a, b);
    r.mb_s = (double)c.bytes / 1e6 / r.cpu.wall_s;
    return r;
}

/* Proportional set size in kB (shared pages split between their users), or -1: a shell's own
 * cost, where its VmRSS would count all of libc and bash's text once per shell. */
static long pss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) {
            kb = strtol(line + 4, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Memory per idle session: the daemon's VmRSS before and after creating n sessions of the
 * default shell, settled; then how long CreateSession takes without start-up files, which is
 * the daemon's own part of it (spawn, set-up line, first marker). */
static void idle_sessions(a0ipc_transport *t, int n)
{
    static const char *const norc[] = {"/bin/bash", "--norc", "--noprofile", NULL};
    usleep(200000);
    long rss0 = bu_proc_status_kb(bu_daemon_pid, "VmRSS");
    char **ids = bu_xmalloc((size_t)n * sizeof *ids);
    int *pids = bu_xmalloc((size_t)n * sizeof *pids);
    int64_t c0 = a0ipc_mono_ns();
    for (int i = 0; i < n; i++)
        ids[i] = new_session(t, NULL, &pids[i]);
    double create_ms = (double)(a0ipc_mono_ns() - c0) / 1e6 / n;
    usleep(500000); /* shells finish starting; the daemon's readers settle */
    long rss1 = bu_proc_status_kb(bu_daemon_pid, "VmRSS");
    long pss = 0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
        long k = pss_kb(pids[i]);
        if (k >= 0) {
            pss += k;
            counted++;
        }
    }
    c0 = a0ipc_mono_ns();
    for (int i = 0; i < n; i++) {
        close_session(t, ids[i]);
        free(ids[i]);
    }
    double close_ms = (double)(a0ipc_mono_ns() - c0) / 1e6 / n;
    /* Without start-up files: each creation timed on its own, closing not counted. */
    int64_t norc_ns = 0;
    for (int i = 0; i < NORC_SESSIONS; i++) {
        int pid;
        c0 = a0ipc_mono_ns();
        char *id = new_session(t, norc, &pid);
        norc_ns += a0ipc_mono_ns() - c0;
        close_session(t, id);
        free(id);
    }
    free(ids);
    free(pids);
    printf("Idle sessions (%d of the default shell created and left idle)\n", n);
    printf("  a0ipcd VmRSS %.1f MiB before, %.1f MiB after: %.1f KiB per session\n", rss0 / 1024.0,
           rss1 / 1024.0, (double)(rss1 - rss0) / n);
    if (counted)
        printf("  each session's shell process (bash): Pss %.0f KiB on average (not in a0ipcd's "
               "figure)\n",
               (double)pss / counted);
    printf("  CreateSession %.1f ms, CloseSession %.1f ms each on average (one at a time)\n",
           create_ms, close_ms);
    printf(
        "  CreateSession of /bin/bash --norc --noprofile: %.1f ms on average (%d): the daemon's\n"
        "  own part; the rest of the figure above is the user's start-up files (~/.bashrc)\n\n",
        (double)norc_ns / 1e6 / NORC_SESSIONS, NORC_SESSIONS);
}

/* ---- output ---- */

#define RT_COLS "  %-30s %9s %9s %9s %10s %10s %7s\n"
#define TP_COLS "  %-30s %9s %9s %10s %10s %7s %12s\n"

static void print_rt(const char *what, const row *r, const row *floor)
{
    char p50[16], p99[16], ratio[16] = "-", srv[16], cli[16], others[16];
    snprintf(p50, sizeof p50, "%.1f", r->p50);
    snprintf(p99, sizeof p99, "%.1f", r->p99);
    if (floor)
        snprintf(ratio, sizeof ratio, "%.2fx", r->p50 / floor->p50);
    snprintf(srv, sizeof srv, "%.1f", r->srv_us);
    snprintf(cli, sizeof cli, "%.1f", r->cli_us);
    snprintf(others, sizeof others, "%.0f%%", r->cpu.others_pct);
    if (r->cpu.wall_s < MIN_CPU_WALL_S) {
        snprintf(srv, sizeof srv, "n/a");
        snprintf(cli, sizeof cli, "n/a");
        snprintf(others, sizeof others, "n/a");
    }
    printf(RT_COLS, what, p50, p99, ratio, srv, cli, others);
}

static void print_tp(const char *what, const row *r, const row *floor)
{
    char rate[16], ratio[16] = "-", srv[16], cli[16], others[16], bytes[32];
    snprintf(rate, sizeof rate, "%.0f", r->mb_s);
    if (floor)
        snprintf(ratio, sizeof ratio, "%.2fx", r->mb_s / floor->mb_s);
    snprintf(srv, sizeof srv, "%.0f%%", r->cpu.server_pct);
    snprintf(cli, sizeof cli, "%.0f%%", r->cpu.client_pct);
    snprintf(others, sizeof others, "%.0f%%", r->cpu.others_pct);
    snprintf(bytes, sizeof bytes, "%" PRIu64, r->bytes);
    printf(TP_COLS, what, rate, ratio, srv, cli, others, bytes);
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--rounds N] [--output-mb N] [--idle-sessions N] [path-to-a0ipcd]\n",
            argv0);
    exit(2);
}

static long parse_positive(const char *s, long max, const char *argv0)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0 || v > max)
        usage(argv0);
    return v;
}

int main(int argc, char **argv)
{
    int rounds = DEFAULT_ROUNDS;
    uint64_t output_mb = DEFAULT_OUTPUT_MB;
    int idle = IDLE_SESSIONS;
    const char *daemon_path = A0IPCD_DEFAULT_PATH;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = (int)parse_positive(argv[++i], 1000000, argv[0]);
        else if (!strcmp(argv[i], "--output-mb") && i + 1 < argc)
            output_mb = (uint64_t)parse_positive(argv[++i], 100000, argv[0]);
        else if (!strcmp(argv[i], "--idle-sessions") && i + 1 < argc)
            idle = (int)parse_positive(argv[++i], 1000, argv[0]);
        else if (argv[i][0] == '-' || i != argc - 1)
            usage(argv[0]);
        else
            daemon_path = argv[i];
    }
    bu_require_executable("bench_terminal", daemon_path);
    uint64_t output_bytes = output_mb * 1000000;
    int floor_rounds = rounds > FLOOR_ROUNDS ? rounds : FLOOR_ROUNDS; /* also the parts' */
    bu_init("bench_terminal", NULL);

    int srv_cpu, cli_cpu, ncpu = bu_pick_cpus(&srv_cpu, &cli_cpu);
    char unix_target[512], tcp_target[512];
    /* No cgroup per session: the bench needs no delegated cgroup, and a cgroup's setup would be
     * in the creation time but not in what is measured. */
    const char *extra[] = {"--session-cgroup", "off", NULL};
    bu_start_daemon(daemon_path, srv_cpu, extra, unix_target, tcp_target, sizeof unix_target);
    int64_t *lat = bu_xmalloc((size_t)rounds * sizeof *lat);

    printf("bench_terminal: Terminal sessions on a0ipcd next to a raw PTY floor (figures only)\n");
    bu_print_machine(ncpu, srv_cpu, cli_cpu,
                     "a0ipcd, its sessions' shells and the floor's PTY "
                     "children");
    printf("daemon     : %s (pid %d), --session-cgroup off, --log-calls false, over %s\n",
           daemon_path, (int)bu_daemon_pid, unix_target);
    printf("round trip : a0ipc_run(\"echo x\") on one open bash session, %d after %d warm-up; "
           "floor (%d) = \"x\\n\" written to a PTY running cat (echo off), read back to "
           "\"\\n\"\n",
           rounds, WARMUP_ROUNDS, floor_rounds);
    printf("parts      : (%d each) the default shell on a PTY here, set up and driven with the "
           "lines a0ipcd types for a Run; Health.Check on the bench's channel\n",
           floor_rounds);
    printf("output     : a0ipc_run(\"head -c %" PRIu64 " /dev/zero\") counted by the callback; "
           "floor = the same head under forkpty, read here; MB = 10^6 bytes\n\n",
           output_bytes);
    fflush(stdout);

    /* The floors fork, so they run before the first channel starts the core's threads: both
     * back to back, right before the session rows, so that all four see the same VM weather. */
    int64_t *floor_lat = bu_xmalloc((size_t)floor_rounds * sizeof *floor_lat);
    row fe = floor_echo(srv_cpu, floor_rounds, floor_lat);
    row fo = floor_output(srv_cpu, output_bytes);
    /* The parts get as many rounds as the floor: fewer would be too short for their CPU columns. */
    row bp = bash_part(srv_cpu, floor_rounds, floor_lat);
    bu_pin_to(cli_cpu); /* before the first channel: the core's threads inherit it */

    a0ipc_grpc_options go;
    a0ipc_grpc_options_init(&go);
    go.target = unix_target;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_grpc_transport_new(&go, &st);
    if (!t)
        bu_die("transport to %s: %s", unix_target, a0ipc_status_message(&st));
    int shell_pid;
    char *id = new_session(t, NULL, &shell_pid);
    row se = session_echo(t, id, shell_pid, rounds, lat);
    row hp = health_part(t, floor_rounds, floor_lat);
    free(floor_lat);
    row so = session_output(t, id, shell_pid, output_bytes);
    close_session(t, id);
    free(id);
    free(lat);

    printf("Round trip of echo x\n");
    printf(RT_COLS, "", "p50 us", "p99 us", "p50/floor", "srv us/rt", "cli us/rt", "others");
    print_rt("raw PTY echo floor (cat)", &fe, NULL);
    print_rt("a0ipc_run(\"echo x\")", &se, &fe);
    printf("  target: p50 within %.1fx of the floor\n", TARGET_P50_RATIO);
    if (se.daemon_sw >= 0)
        printf("  a0ipcd's threads switched %.1f times per Run (its shell's not counted)\n",
               se.daemon_sw);
    printf("  parts of that round trip, each measured alone (not floors):\n");
    print_rt("bash: the Run's line, to marker", &bp, &fe);
    print_rt("Health.Check (empty rpc)", &hp, &fe);
    printf("\n");
    printf("Output throughput\n");
    printf(TP_COLS, "", "MB/s", "of floor", "srv CPU", "cli CPU", "others", "bytes");
    print_tp("raw PTY read floor (head)", &fo, NULL);
    print_tp("a0ipc_run(\"head -c ...\")", &so, &fo);
    if (so.lost)
        printf("  the daemon reported %" PRIu64 " bytes lost (its buffer overran)\n", so.lost);
    printf("  target: >= %.0f MB/s\n\n", TARGET_OUTPUT_MBS);
    printf(
        "CPU: srv = a0ipcd plus the session's shell and its commands, or the floor's PTY child;\n"
        "cli = this process; per round trip in us, or in %% of one CPU. others = CPU taken by\n"
        "every other process on the machine, plus steal, while measuring: figures are only\n"
        "comparable between runs where it stays near 0%%. n/a: the row took under %.1f s,\n"
        "too short for CPU time counted in clock ticks.\n\n",
        MIN_CPU_WALL_S);
    fflush(stdout);

    idle_sessions(t, idle);
    a0ipc_transport_free(t);
    bu_print_exit_status(bu_stop_daemon());
    return 0;
}
