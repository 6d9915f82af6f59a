/* bench_files: 1 GiB download (Files.Read) and upload (Files.Write) through the a0ipc client
 * library against the real a0ipcd, over a unix socket and over TCP on loopback (plaintext), next
 * to a raw socket copy floor measured in the same run with the same CPU pinning (issue 3,
 * Benchmark).
 *
 * It prints figures and the target beside them, never a verdict: on a shared 2-core VM the
 * numbers move by tens of percent from run to run, so a timed pass/fail would only flake.
 *
 * Layout as in bench_health: a0ipcd and the floor's sender pinned to one CPU, this process (and
 * every thread the gRPC core starts in it) to the other, so a byte of the floor crosses the same
 * two CPUs as a byte of a transfer. Both children are forked before the first channel exists:
 * forking a process that runs the core's threads is not safe.
 *
 * The daemon's root is a fresh directory on tmpfs (/dev/shm) unless --dir says otherwise: the
 * figures are meant to show what the rpc stack costs, and a disk would add its own speed (the
 * upload ends with an fsync of the whole file).
 *
 * Usage: bench_files [--size-mib N] [--dir DIR] [--only unix|tcp|tls] [--row download|upload]
 *                    [path-to-a0ipcd] */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "a0ipc/grpc_transport.h"
#include "a0ipc/transport.h"
#include "bench_tls.h"
#include "bench_util.h"
#include "common/heap_tuning.h"
#include "security/certgen.h"

#define MIB              (1024 * 1024)
#define DEFAULT_SIZE_MIB 1024
#define WARMUP_MIB       16  /* per transport, before its rows: connection, windows, allocator */
#define COPY_CHUNK       MIB /* the floor's "large writes" and reads, and the file's fill chunks */
#define TARGET_RATIO     0.5
#define TMPFS_MAGIC_     0x01021994 /* linux/magic.h's TMPFS_MAGIC, without the kernel header */

static uint8_t *pattern; /* COPY_CHUNK bytes of pseudo-random data: what every side sends */
static pid_t floor_pid = -1;

static void make_pattern(void)
{
    pattern = bu_xmalloc(COPY_CHUNK);
    /* xorshift64: incompressible enough that nothing on the way can take a shortcut on it */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < COPY_CHUNK; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(pattern + i, &x, 8);
    }
}

/* Real bytes, written once: a sparse file would let the daemon's reads skip the page cache's
 * work for holes and measure less than a real download. */
static void make_file(const char *path, uint64_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        bu_die("create %s: %s", path, strerror(errno));
    for (uint64_t put = 0; put < size; put += COPY_CHUNK) {
        size_t n = size - put < COPY_CHUNK ? (size_t)(size - put) : COPY_CHUNK;
        if (fwrite(pattern, 1, n, f) != n)
            bu_die("write %s: %s", path, strerror(errno));
    }
    if (fclose(f) != 0)
        bu_die("write %s: %s", path, strerror(errno));
}

/* Writes size bytes in COPY_CHUNK writes to a new file at path, fsyncs it and removes it;
 * returns MB/s. On the VMs these benches run on, the first write to a page of guest memory the
 * host has not backed yet costs far more than any later one (a fresh 1 GiB on tmpfs: ~600 MB/s
 * the first time, ~6000 MB/s after): so this runs once before the rows, untimed, to take that
 * cost out of the uploads, and once more timed as the file write floor: what an upload into
 * the root costs without any rpc. */
static double file_write_floor(const char *path, uint64_t size)
{
    int64_t t0 = a0ipc_mono_ns();
    FILE *f = fopen(path, "wb");
    if (!f)
        bu_die("create %s: %s", path, strerror(errno));
    int fd = fileno(f);
    for (uint64_t put = 0; put < size; put += COPY_CHUNK) {
        size_t n = size - put < COPY_CHUNK ? (size_t)(size - put) : COPY_CHUNK;
        if (bu_write_full(fd, pattern, n) != 0)
            bu_die("write %s: %s", path, strerror(errno));
    }
    if (fsync(fd) != 0 || fclose(f) != 0)
        bu_die("write %s: %s", path, strerror(errno));
    double s = (double)(a0ipc_mono_ns() - t0) / 1e9;
    unlink(path);
    return (double)size / 1e6 / s;
}

/* ---- the floors: a sender on the server CPU, this process reading ---- */

/* A floor connection: a plain socket, or TLS over one. */
typedef struct conn {
    int fd;
    SSL *ssl;
} conn;

static int conn_read_full(conn *c, void *buf, size_t n)
{
    return c->ssl ? bt_read_full(c->ssl, buf, n) : bu_read_full(c->fd, buf, n);
}

static int conn_write_full(conn *c, const void *buf, size_t n)
{
    return c->ssl ? bt_write_full(c->ssl, buf, n) : bu_write_full(c->fd, buf, n);
}

/* Whatever one read returns, as a copying client takes it: no waiting for full chunks. */
static ssize_t conn_read_some(conn *c, void *buf, size_t n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, (int)n);
        return r > 0 ? r : -1;
    }
    return read(c->fd, buf, n);
}

static void conn_close(conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    close(c->fd);
}

/* One connection at a time on any of the listeners (the last one speaks TLS): read a 64-bit
 * byte count, send that many bytes in COPY_CHUNK writes, and wait for the next count, until
 * EOF. */
static void floor_serve(int lunix, int ltcp, int ltls, SSL_CTX *tls)
{
    struct pollfd pfd[3] = {{.fd = lunix, .events = POLLIN},
                            {.fd = ltcp, .events = POLLIN},
                            {.fd = ltls, .events = POLLIN}};
    for (;;) {
        if (poll(pfd, 3, -1) < 0)
            continue;
        for (int i = 0; i < 3; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            conn c = {.fd = accept(pfd[i].fd, NULL, NULL)};
            if (c.fd < 0)
                continue;
            if (i == 2) {
                bu_set_nodelay(c.fd);
                if (!(c.ssl = bt_accept(tls, c.fd))) {
                    close(c.fd);
                    continue;
                }
            }
            uint64_t want;
            while (conn_read_full(&c, &want, sizeof want) == 0) {
                for (uint64_t put = 0; put < want;) {
                    size_t n = want - put < COPY_CHUNK ? (size_t)(want - put) : COPY_CHUNK;
                    if (conn_write_full(&c, pattern, n) != 0)
                        break;
                    put += n;
                }
            }
            conn_close(&c);
        }
    }
}

typedef struct row {
    double mb_s;      /* 10^6 bytes per second */
    bu_cpu_use cpu;   /* server = a0ipcd, or the floor's sender */
    long hwm_kb;      /* a0ipcd's VmHWM after the row (-1 for floor rows) */
    bool hwm_is_peak; /* VmHWM was reset before the row, so it is this row's peak */
} row;

/* tls: NULL for a plain floor; else the client context and the cipher suite to ask for. */
static row floor_run(const struct sockaddr *addr, socklen_t alen, SSL_CTX *tls, const char *suite,
                     uint64_t size, uint8_t *buf, char *negotiated, size_t cap)
{
    conn c = {.fd = socket(addr->sa_family, SOCK_STREAM, 0)};
    if (c.fd < 0 || connect(c.fd, addr, alen) != 0)
        bu_die("floor: connect: %s", strerror(errno));
    if (tls) {
        bu_set_nodelay(c.fd);
        if (!(c.ssl = bt_connect(tls, c.fd, suite)))
            bu_die("floor: TLS handshake failed");
        snprintf(negotiated, cap, "%s %s", SSL_get_version(c.ssl), SSL_get_cipher_name(c.ssl));
    }
    /* Warm-up on the same connection, as the transfers get theirs. */
    uint64_t warm = (uint64_t)WARMUP_MIB * MIB;
    if (conn_write_full(&c, &warm, sizeof warm) != 0)
        bu_die("floor: %s", strerror(errno));
    for (uint64_t got = 0; got < warm; got += COPY_CHUNK)
        if (conn_read_full(&c, buf, COPY_CHUNK) != 0)
            bu_die("floor: short read during warm-up");

    bu_cpu_mark a = bu_cpu_now(floor_pid);
    if (conn_write_full(&c, &size, sizeof size) != 0)
        bu_die("floor: %s", strerror(errno));
    for (uint64_t got = 0; got < size;) {
        ssize_t r = conn_read_some(&c, buf, COPY_CHUNK);
        if (r <= 0)
            bu_die("floor: read after %" PRIu64 " bytes: %s", got, r < 0 ? strerror(errno) : "EOF");
        got += (uint64_t)r;
    }
    bu_cpu_mark b = bu_cpu_now(floor_pid);
    conn_close(&c);
    row r = {.hwm_kb = -1};
    r.cpu = bu_cpu_between(a, b);
    r.mb_s = (double)size / 1e6 / r.cpu.wall_s;
    return r;
}

/* ---- transfers through the client library ---- */

static int sink_discard(void *arg, const uint8_t *data, size_t len)
{
    (void)data;
    *(uint64_t *)arg += len;
    return 0;
}

typedef struct source {
    uint64_t left;
} source;

static ssize_t source_pattern(void *arg, uint8_t *buf, size_t cap)
{
    source *s = arg;
    size_t n = cap < COPY_CHUNK ? cap : COPY_CHUNK;
    if (s->left < n)
        n = (size_t)s->left;
    memcpy(buf, pattern, n); /* the cost of producing the bytes, as an upload from memory has */
    s->left -= n;
    return (ssize_t)n;
}

static void download(a0ipc_transport *t, uint64_t size)
{
    a0ipc_call_options o = {.timeout_ms = -1};
    a0ipc_status st = A0IPC_STATUS_INIT;
    uint64_t got = 0;
    if (a0ipc_read(t, &o, "download.bin", 0, size, sink_discard, &got, &st) != A0IPC_OK)
        bu_die("download: %s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
    if (got != size)
        bu_die("download: %" PRIu64 " bytes, expected %" PRIu64, got, size);
}

static void upload_to(a0ipc_transport *t, const char *path, uint64_t size)
{
    a0ipc_call_options o = {.timeout_ms = -1};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_write_options w = {.path = path,
                             .overwrite = A0IPC_OVERWRITE_REPLACE,
                             .has_expected_size = true,
                             .expected_size = size};
    source src = {.left = size};
    a0ipc_write_result res;
    if (a0ipc_write(t, &o, &w, source_pattern, &src, &res, &st) != A0IPC_OK)
        bu_die("upload: %s: %s", a0ipc_code_name(st.code), a0ipc_status_message(&st));
    if (res.bytes_written != size)
        bu_die("upload: %" PRIu64 " bytes written, expected %" PRIu64, res.bytes_written, size);
}

static void upload(a0ipc_transport *t, uint64_t size)
{
    upload_to(t, "upload.bin", size);
}

static row transfer_run(a0ipc_transport *t, pid_t daemon, bool up, uint64_t size)
{
    row r = {0};
    r.hwm_is_peak = bu_reset_hwm(daemon);
    bu_cpu_mark a = bu_cpu_now(daemon);
    if (up)
        upload(t, size);
    else
        download(t, size);
    bu_cpu_mark b = bu_cpu_now(daemon);
    r.cpu = bu_cpu_between(a, b);
    r.mb_s = (double)size / 1e6 / r.cpu.wall_s;
    r.hwm_kb = bu_proc_status_kb(daemon, "VmHWM");
    /* The next upload must not pay for replacing this one; the directory is ours. */
    char path[512];
    snprintf(path, sizeof path, "%s/root/upload.bin", bu_tmpdir);
    unlink(path);
    return r;
}

/* certs: the directory of `a0ipc certs init` for a TLS target (mTLS), NULL for plaintext. */
static a0ipc_transport *transport_to(const char *target, const char *certs)
{
    a0ipc_grpc_options go;
    a0ipc_grpc_options_init(&go);
    go.target = target;
    char ca[400], cert[400], key[400];
    if (certs) {
        snprintf(ca, sizeof ca, "%s/ca.pem", certs);
        snprintf(cert, sizeof cert, "%s/client.pem", certs);
        snprintf(key, sizeof key, "%s/client.key", certs);
        go.ca_file = ca;
        go.cert_file = cert;
        go.key_file = key;
    }
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *t = a0ipc_grpc_transport_new(&go, &st);
    if (!t)
        bu_die("transport to %s: %s", target, a0ipc_status_message(&st));
    return t;
}

/* ---- output ---- */

#define COLS "  %-26s %-5s %9s %9s %10s %10s %7s %11s\n"

static void print_row(const char *what, const char *transport, const row *r, const row *floor)
{
    char rate[16], ratio[16] = "-", srv[16], cli[16], others[16], hwm[24] = "-";
    snprintf(rate, sizeof rate, "%.0f", r->mb_s);
    if (floor)
        snprintf(ratio, sizeof ratio, "%.2fx", r->mb_s / floor->mb_s);
    snprintf(srv, sizeof srv, "%.0f%%", r->cpu.server_pct);
    snprintf(cli, sizeof cli, "%.0f%%", r->cpu.client_pct);
    snprintf(others, sizeof others, "%.0f%%", r->cpu.others_pct);
    if (r->hwm_kb >= 0)
        snprintf(hwm, sizeof hwm, "%.1f%s", r->hwm_kb / 1024.0, r->hwm_is_peak ? "" : "*");
    printf(COLS, what, transport, rate, ratio, srv, cli, others, hwm);
    fflush(stdout);
}

static const char *default_dir(void)
{
    struct stat sb;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

/* ---- many transfers at once, and the memory a0ipcd keeps after them ---- */

#define CONCURRENT     64
#define CONCURRENT_MIB 100

typedef struct conc_job {
    pthread_t thread;
    const char *target;
    int index;
    uint64_t size;
} conc_job;

static void *conc_main(void *arg)
{
    conc_job *j = arg;
    a0ipc_transport *t = transport_to(j->target, NULL);
    if (j->index % 2) {
        char path[64];
        snprintf(path, sizeof path, "concurrent-%d.bin", j->index);
        upload_to(t, path, j->size);
    } else {
        a0ipc_call_options o = {.timeout_ms = -1};
        a0ipc_status st = A0IPC_STATUS_INIT;
        uint64_t got = 0;
        if (a0ipc_read(t, &o, "download.bin", 0, j->size, sink_discard, &got, &st) != A0IPC_OK)
            bu_die("concurrent download: %s", a0ipc_status_message(&st));
    }
    a0ipc_transport_free(t);
    return NULL;
}

/* CONCURRENT transfers of size bytes at once (half down, half up) over target, then a0ipcd's
 * resident memory at its peak and 1.5 s after the last one ended (its heap trimmer runs within
 * 0.5 s of large calls ending). */
static void concurrent_run(const char *target, pid_t daemon, uint64_t size)
{
    bool peak = bu_reset_hwm(daemon);
    long before = bu_proc_status_kb(daemon, "VmRSS");
    conc_job jobs[CONCURRENT];
    int64_t t0 = a0ipc_mono_ns();
    for (int i = 0; i < CONCURRENT; i++) {
        jobs[i] = (conc_job){.target = target, .index = i, .size = size};
        if (pthread_create(&jobs[i].thread, NULL, conc_main, &jobs[i]) != 0)
            bu_die("pthread_create: %s", strerror(errno));
    }
    for (int i = 0; i < CONCURRENT; i++)
        pthread_join(jobs[i].thread, NULL);
    double wall = (double)(a0ipc_mono_ns() - t0) / 1e9;
    long hwm = bu_proc_status_kb(daemon, "VmHWM");
    poll(NULL, 0, 1500);
    long after = bu_proc_status_kb(daemon, "VmRSS");
    printf("%d concurrent transfers of %" PRIu64 " MiB (half down, half up, unix): %.1f s, "
           "%.0f MB/s in all\n",
           CONCURRENT, size / MIB, wall, (double)size * CONCURRENT / 1e6 / wall);
    printf("  a0ipcd VmRSS %.1f MiB before, VmHWM %.1f MiB%s during, VmRSS %.1f MiB 1.5 s "
           "after\n",
           before / 1024.0, hwm / 1024.0, peak ? "" : "*", after / 1024.0);
    for (int i = 1; i < CONCURRENT; i += 2) {
        char path[512];
        snprintf(path, sizeof path, "%s/root/concurrent-%d.bin", bu_tmpdir, i);
        unlink(path);
    }
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--size-mib N] [--dir DIR] [--only unix|tcp|tls] [--row download|upload] "
            "[path-to-a0ipcd]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t size_mib = DEFAULT_SIZE_MIB;
    const char *dir = NULL, *daemon_path = A0IPCD_DEFAULT_PATH, *only = NULL, *only_row = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size-mib") && i + 1 < argc) {
            char *end;
            size_mib = strtoull(argv[++i], &end, 10);
            if (*end || size_mib == 0 || size_mib > 1024 * 1024)
                usage(argv[0]);
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--row") && i + 1 < argc)
            only_row = argv[++i];
        else if (argv[i][0] == '-' || i != argc - 1)
            usage(argv[0]);
        else
            daemon_path = argv[i];
    }
    bu_require_executable("bench_files", daemon_path);
    if (!dir)
        dir = default_dir();
    uint64_t size = size_mib * MIB;
    bu_init("bench_files", dir);
    make_pattern();

    char root[300], file[320];
    snprintf(root, sizeof root, "%s/root", bu_tmpdir);
    snprintf(file, sizeof file, "%s/download.bin", root);
    if (mkdir(root, 0700) != 0)
        bu_die("mkdir %s: %s", root, strerror(errno));
    int64_t t0 = a0ipc_mono_ns();
    make_file(file, size);
    double fill_s = (double)(a0ipc_mono_ns() - t0) / 1e9;
    char scratch[320];
    snprintf(scratch, sizeof scratch, "%s/scratch.bin", root);
    file_write_floor(scratch, size); /* untimed: backs the pages the uploads will write */
    struct statfs sfs;
    bool tmpfs = statfs(root, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_;

    /* TLS material as `a0ipc certs init` makes it: a CA, a server certificate for localhost and
     * 127.0.0.1, and a client certificate, so the TLS daemon can require mTLS (a0ipcd refuses
     * TLS without either client certificates or tokens). */
    char certs[300], ca[320], server_cert[320], server_key[320];
    snprintf(certs, sizeof certs, "%s/certs", bu_tmpdir);
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(server_cert, sizeof server_cert, "%s/server.pem", certs);
    snprintf(server_key, sizeof server_key, "%s/server.key", certs);
    a0ipc_certs_init_options co = {.server_cn = "localhost"};
    a0ipc_status cst = A0IPC_STATUS_INIT;
    if (a0ipc_certs_init(certs, &co, &cst) != 0)
        bu_die("certs: %s", a0ipc_status_message(&cst));

    int srv_cpu, cli_cpu, ncpu = bu_pick_cpus(&srv_cpu, &cli_cpu);
    char unix_target[512], tcp_target[512], tls_target[512];
    const char *extra[] = {"--root", root, NULL};
    bu_start_daemon(daemon_path, srv_cpu, extra, unix_target, tcp_target, sizeof unix_target);
    const char *tls_extra[] = {
        "--root",   root, "--tls-cert",        server_cert, "--tls-key", server_key,
        "--tls-ca", ca,   "--tls-client-cert", "required",  NULL};
    pid_t tls_pid =
        bu_start_tls_daemon(daemon_path, srv_cpu, tls_extra, tls_target, sizeof tls_target);
    struct sockaddr_un floor_unix;
    struct sockaddr_in floor_tcp, floor_tls;
    int lunix, ltcp, ltls, unused;
    struct sockaddr_un unused_addr;
    bu_listen_pair("floor.sock", &lunix, &floor_unix, &ltcp, &floor_tcp);
    bu_listen_pair("floor-tls.sock", &unused, &unused_addr, &ltls, &floor_tls);
    close(unused);
    floor_pid = bu_fork_pinned(srv_cpu);
    if (floor_pid == 0) {
        floor_serve(lunix, ltcp, ltls, bt_server_ctx(server_cert, server_key));
        _exit(0);
    }
    close(lunix);
    close(ltcp);
    close(ltls);
    bu_pin_to(cli_cpu); /* before the first channel: the core's threads inherit it */
    /* As the CLI does: the bench is a program embedding the library (bench/README.md). */
    a0ipc_heap_tune_for_streams();

    printf("bench_files: Files.Read / Files.Write on a0ipcd next to a raw socket copy floor "
           "(figures only)\n");
    bu_print_machine(ncpu, srv_cpu, cli_cpu, "a0ipcd and the floor's sender");
    printf("daemon     : %s (pids %d plaintext, %d TLS), --root on %s (%s), --log-calls false\n",
           daemon_path, (int)bu_daemon_pid, (int)tls_pid, dir,
           tmpfs ? "tmpfs" : "not tmpfs: disk speed is in the figures");
    printf("size       : %" PRIu64 " MiB per row (file of real bytes, written in %.1f s); "
           "%d MiB warm-up per transport; MB = 10^6 bytes\n",
           size_mib, fill_s, WARMUP_MIB);
    printf("client     : a0ipc_read into a discarding sink, a0ipc_write from a memory source; "
           "floor = %d KiB writes by a process on the server CPU, %d KiB reads here\n",
           COPY_CHUNK / 1024, COPY_CHUNK / 1024);
    printf("tls        : a0ipcd --tls-cert/--tls-key, --tls-client-cert required (certificates "
           "from a0ipc_certs_init, EC P-256); floor = OpenSSL TLS 1.3 over TCP on 127.0.0.1 with "
           "the cipher suite a0ipc's connection negotiated\n\n");
    fflush(stdout);

    uint8_t *buf = bu_xmalloc(COPY_CHUNK);
    SSL_CTX *tls_client = bt_client_ctx(ca);
    printf(COLS, "", "trans", "MB/s", "of floor", "srv CPU", "cli CPU", "others", "VmHWM MiB");
    struct {
        const char *name, *target, *certs;
        pid_t daemon;
        const struct sockaddr *floor_addr;
        socklen_t floor_len;
        bool tls;
    } tr[3] = {
        {"unix", unix_target, NULL, bu_daemon_pid, (struct sockaddr *)&floor_unix,
         sizeof floor_unix, false},
        {"tcp", tcp_target, NULL, bu_daemon_pid, (struct sockaddr *)&floor_tcp, sizeof floor_tcp,
         false},
        {"tls", tls_target, certs, tls_pid, (struct sockaddr *)&floor_tls, sizeof floor_tls, true}};
    char grpc_tls[128] = "", floor_tls_name[128] = "";
    for (int i = 0; i < 3; i++) {
        if (only && strcmp(only, tr[i].name) != 0)
            continue; /* one transport at a time, e.g. to profile it */
        a0ipc_transport *t = transport_to(tr[i].target, tr[i].certs);
        uint64_t warm = (uint64_t)WARMUP_MIB * MIB < size ? (uint64_t)WARMUP_MIB * MIB : size;
        download(t, warm);
        upload(t, warm);
        const char *suite = NULL;
        if (tr[i].tls) {
            suite = bt_grpc_cipher(); /* the connection is up: its suite is known */
            snprintf(grpc_tls, sizeof grpc_tls, "%s",
                     bt_grpc_negotiated() ? bt_grpc_negotiated() : "unknown");
        }
        /* Each floor right before its rows, so they see the same VM weather. */
        row fl = floor_run(tr[i].floor_addr, tr[i].floor_len, tr[i].tls ? tls_client : NULL, suite,
                           size, buf, floor_tls_name, sizeof floor_tls_name);
        print_row(tr[i].tls ? "TLS copy floor (OpenSSL)" : "raw socket copy floor", tr[i].name, &fl,
                  NULL);
        /* --row: one direction only, so a profile of the daemon shows just that one. */
        if (!only_row || !strcmp(only_row, "download")) {
            row dl = transfer_run(t, tr[i].daemon, false, size);
            print_row("download (a0ipc_read)", tr[i].name, &dl, &fl);
        }
        if (only_row && strcmp(only_row, "upload") != 0) {
            a0ipc_transport_free(t);
            continue;
        }
        /* The upload's other floor: the same bytes written to a new file in the root. */
        bu_cpu_mark a = bu_cpu_now(tr[i].daemon);
        row fw = {.hwm_kb = -1, .mb_s = file_write_floor(scratch, size)};
        fw.cpu = bu_cpu_between(a, bu_cpu_now(tr[i].daemon));
        print_row("file write floor (no rpc)", tr[i].name, &fw, NULL);
        row ul = transfer_run(t, tr[i].daemon, true, size);
        print_row("upload (a0ipc_write)", tr[i].name, &ul, &fl);
        a0ipc_transport_free(t);
    }
    free(buf);
    SSL_CTX_free(tls_client);
    printf("  target: every transfer at least %.1fx its floor (no TLS)\n", TARGET_RATIO);
    if (!only || !strcmp(only, "tls"))
        printf("  TLS: a0ipc's connection negotiated %s; the TLS floor used %s\n", grpc_tls,
               floor_tls_name[0] ? floor_tls_name : "-");
    printf(
        "\nCPU: srv = the floor's sender (floor rows) or a0ipcd, cli = this process, in %% of one "
        "CPU.\n"
        "others = CPU taken by every other process on the machine, plus steal, while measuring:\n"
        "figures are only comparable between runs where it stays near 0%%.\n"
        "VmHWM = a0ipcd's peak resident memory during the row (reset before it through\n"
        "/proc/PID/clear_refs; * = the reset was refused, so it is the peak since startup).\n"
        "file write floor = this process writing the same bytes to a new file in the root in\n"
        "%d KiB writes, then fsync: what an upload's destination costs without any rpc.\n\n",
        COPY_CHUNK / 1024);

    if (!only || !strcmp(only, "unix"))
        concurrent_run(unix_target, bu_daemon_pid,
                       size < (uint64_t)CONCURRENT_MIB * MIB ? size
                                                             : (uint64_t)CONCURRENT_MIB * MIB);

    long rss = bu_proc_status_kb(bu_daemon_pid, "VmRSS");
    long tls_rss = bu_proc_status_kb(tls_pid, "VmRSS");
    printf("a0ipcd memory after the runs: VmRSS %.1f MiB (plaintext), %.1f MiB (TLS)\n",
           rss / 1024.0, tls_rss / 1024.0);
    int tls_status = bu_stop_pid(tls_pid);
    bu_print_exit_status(bu_stop_daemon());
    bu_print_exit_status(tls_status);
    return 0;
}
