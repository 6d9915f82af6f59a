#include "daemon/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/prom.h"
#include "daemon/process_metrics.h"

#include <openssl/crypto.h>

#define MAX_METHODS 64
#define MAX_GAUGES  8
#define BUCKETS     18

/* From 100 µs (a Stat) to 10 min (a long Run, a big Read or Write): the streaming calls last as
 * long as their command or transfer. */
static const double bounds_s[BUCKETS - 1] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.05,    0.25,   1,     5,      10,
                                             30,     60,      120,    300,   600};

typedef struct method_stats {
    const a0ipc_rpc_method *method; /* NULL: calls to unknown methods */
    uint64_t calls[A0IPC_CODE_COUNT];
    uint64_t latency[BUCKETS];
    int64_t latency_sum_ns;
    uint64_t bytes_in, bytes_out;
} method_stats;

typedef struct gauge {
    const char *name, *help;
    long (*fn)(void *arg);
    void *arg;
} gauge;

struct a0ipc_metrics {
    pthread_mutex_t mu; /* one uncontended lock per call: cheaper than it sounds, and simple */
    method_stats methods[MAX_METHODS];
    int n_methods;
    gauge gauges[MAX_GAUGES];
    int n_gauges;
};

a0ipc_metrics *a0ipc_metrics_new(void)
{
    a0ipc_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->mu, NULL);
    return m;
}

void a0ipc_metrics_free(a0ipc_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void a0ipc_metrics_observe(void *arg, const a0ipc_rpc_call_record *r)
{
    a0ipc_metrics *m = arg;
    pthread_mutex_lock(&m->mu);
    method_stats *s = NULL;
    for (int i = 0; i < m->n_methods && !s; i++)
        if (m->methods[i].method == r->method ||
            (r->method && m->methods[i].method &&
             !strcmp(m->methods[i].method->path, r->method->path)))
            s = &m->methods[i];
    if (!s && m->n_methods < MAX_METHODS) {
        s = &m->methods[m->n_methods++];
        s->method = r->method;
    }
    if (s) {
        unsigned code = (unsigned)r->code < A0IPC_CODE_COUNT ? (unsigned)r->code : A0IPC_UNKNOWN;
        s->calls[code]++;
        s->latency[a0ipc_prom_bucket(bounds_s, BUCKETS, (double)r->duration_ns / 1e9)]++;
        s->latency_sum_ns += r->duration_ns;
        s->bytes_in += r->bytes_in;
        s->bytes_out += r->bytes_out;
    }
    pthread_mutex_unlock(&m->mu);
}

void a0ipc_metrics_add_service(a0ipc_metrics *m, const a0ipc_rpc_service *svc)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < svc->n_methods && m->n_methods < MAX_METHODS; i++) {
        bool known = false;
        for (int j = 0; j < m->n_methods && !known; j++)
            known =
                m->methods[j].method && !strcmp(m->methods[j].method->path, svc->methods[i].path);
        if (!known)
            m->methods[m->n_methods++].method = &svc->methods[i];
    }
    pthread_mutex_unlock(&m->mu);
}

int a0ipc_metrics_add_gauge(a0ipc_metrics *m, const char *name, const char *help,
                            long (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&m->mu);
    int rc = -1;
    if (m->n_gauges < MAX_GAUGES) {
        m->gauges[m->n_gauges++] = (gauge){name, help, fn, arg};
        rc = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

char *a0ipc_metrics_text(a0ipc_metrics *m)
{
    /* Copy under the lock, format outside it: a slow scrape never delays calls. */
    pthread_mutex_lock(&m->mu);
    int n = m->n_methods, n_gauges = m->n_gauges;
    method_stats stats[MAX_METHODS];
    gauge gauges[MAX_GAUGES];
    memcpy(stats, m->methods, (size_t)n * sizeof *stats);
    memcpy(gauges, m->gauges, (size_t)n_gauges * sizeof *gauges);
    pthread_mutex_unlock(&m->mu);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    a0ipc_prom_family(out, "a0ipcd_build_info", "gauge",
                      "The running a0ipcd's version; always 1 (join on it by version).");
    fprintf(out, "a0ipcd_build_info{version=\"%s\"} 1\n", A0IPC_VERSION);
    a0ipc_prom_family(out, "a0ipcd_calls_total", "counter", "Finished calls by method and status.");
    for (int i = 0; i < n; i++)
        for (int c = 0; c < A0IPC_CODE_COUNT; c++)
            /* every known method has its OK series from the start, at 0, so rate() and
             * absent() work before the first call */
            if (stats[i].calls[c] || c == A0IPC_OK)
                fprintf(out, "a0ipcd_calls_total{method=\"%s\",code=\"%s\"} %llu\n",
                        stats[i].method ? stats[i].method->path : "unknown",
                        a0ipc_code_name((a0ipc_code)c), (unsigned long long)stats[i].calls[c]);
    a0ipc_prom_family(out, "a0ipcd_call_duration_seconds", "histogram",
                      "Call duration by method, from arrival to the final status.");
    for (int i = 0; i < n; i++) {
        char labels[160];
        snprintf(labels, sizeof labels, "method=\"%s\"",
                 stats[i].method ? stats[i].method->path : "unknown");
        a0ipc_prom_histogram(out, "a0ipcd_call_duration_seconds", labels, bounds_s,
                             stats[i].latency, BUCKETS, (double)stats[i].latency_sum_ns / 1e9);
    }
    a0ipc_prom_family(out, "a0ipcd_received_bytes_total", "counter",
                      "Serialized request message bytes by method.");
    for (int i = 0; i < n; i++)
        fprintf(out, "a0ipcd_received_bytes_total{method=\"%s\"} %llu\n",
                stats[i].method ? stats[i].method->path : "unknown",
                (unsigned long long)stats[i].bytes_in);
    a0ipc_prom_family(out, "a0ipcd_sent_bytes_total", "counter",
                      "Serialized response message bytes by method.");
    for (int i = 0; i < n; i++)
        fprintf(out, "a0ipcd_sent_bytes_total{method=\"%s\"} %llu\n",
                stats[i].method ? stats[i].method->path : "unknown",
                (unsigned long long)stats[i].bytes_out);
    for (int g = 0; g < n_gauges; g++) {
        a0ipc_prom_family(out, gauges[g].name, "gauge", gauges[g].help);
        fprintf(out, "%s %ld\n", gauges[g].name, gauges[g].fn(gauges[g].arg));
    }
    a0ipc_process_metrics_write(out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- the HTTP listener ---- */

struct a0ipc_metrics_http {
    a0ipc_metrics *m;
    const a0ipc_metrics_web *web; /* TLS and users; NULL: plain HTTP for anyone on loopback */
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
};

/* One scraper's connection: the socket, and its TLS session when the web config has TLS. */
typedef struct conn {
    int fd;
    SSL *ssl;
} conn;

static ssize_t conn_recv(conn *c, char *buf, size_t cap)
{
    if (!c->ssl)
        return recv(c->fd, buf, cap, 0);
    int n = SSL_read(c->ssl, buf, (int)(cap > 65536 ? 65536 : cap));
    return n > 0 ? n : -1;
}

static void write_all(conn *c, const char *p, size_t n)
{
    while (n) {
        size_t chunk = n > 65536 ? 65536 : n;
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)chunk) : send(c->fd, p, chunk, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the scraper went away or stalled past the send timeout */
        p += w;
        n -= (size_t)w;
    }
}

static void respond(conn *c, const char *status, const char *extra_headers, const char *type,
                    const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, extra_headers, type, strlen(body));
    write_all(c, head, (size_t)n);
    write_all(c, body, strlen(body));
}

/* One request per connection, with timeouts, so a stalled client costs at most a few seconds of
 * this thread and nothing of the gRPC server. */
static void serve_one(a0ipc_metrics_http *h, int fd)
{
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    conn c = {fd, NULL};
    if (h->web && h->web->tls) {
        c.ssl = SSL_new(h->web->tls);
        if (!c.ssl || SSL_set_fd(c.ssl, fd) != 1 || SSL_accept(c.ssl) != 1) {
            SSL_free(c.ssl); /* not TLS, a failed handshake, or too slow */
            return;
        }
    }
    char req[4096];
    size_t len = 0;
    while (len < sizeof req - 1) {
        ssize_t r = conn_recv(&c, req + len, sizeof req - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    req[len] = '\0';
    bool get_metrics = !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13);
    if (strncmp(req, "GET ", 4) != 0) {
        respond(&c, "400 Bad Request", "", "text/plain", "expected GET /metrics\n");
    } else if (!a0ipc_metrics_web_authorized(h->web, req)) {
        respond(&c, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"a0ipcd\"\r\n",
                "text/plain", "a0ipcd's /metrics needs a user of its metrics-web-config\n");
    } else if (get_metrics) {
        char *text = a0ipc_metrics_text(h->m);
        if (text)
            respond(&c, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8", text);
        else
            respond(&c, "500 Internal Server Error", "", "text/plain", "out of memory\n");
        free(text);
    } else {
        respond(&c, "404 Not Found", "", "text/plain", "a0ipcd serves /metrics only\n");
    }
    OPENSSL_cleanse(req, sizeof req); /* it may hold a password */
    if (c.ssl) {
        SSL_shutdown(c.ssl);
        SSL_free(c.ssl);
    }
}

static void *http_main(void *arg)
{
    a0ipc_metrics_http *h = arg;
    for (;;) {
        struct pollfd fds[2] = {{h->listen_fd, POLLIN, 0}, {h->stop_pipe[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            A0IPC_LOGE("metrics: poll: %s", strerror(errno));
            break;
        }
        if (fds[1].revents)
            break;
        int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_one(h, fd);
        close(fd);
    }
    return NULL;
}

/* Parses "host:port" into a socket address: loopback only, unless remote is allowed (TLS and
 * users set up by the web config). */
static int parse_address(const char *addr, bool remote, struct sockaddr_storage *ss, socklen_t *len,
                         a0ipc_status *st)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    const char *h = addr;
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || hl == 0 || hl >= sizeof host || *end || port < 0 || port > 65535) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-listen wants host:port on loopback, not \"%s\"", addr);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1 &&
        (remote || (ntohl(v4->sin_addr.s_addr) >> 24) == 127)) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 &&
        (remote || IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return 0;
    }
    if (remote) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-listen wants a numeric address:port, not \"%s\"", addr);
        return -1;
    }
    a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                     "metrics-listen %s is not a loopback address: without TLS and a user "
                     "(metrics-web-config) /metrics is served on loopback only",
                     addr);
    return -1;
}

a0ipc_metrics_http *a0ipc_metrics_http_start(a0ipc_metrics *m, const char *addr,
                                             const a0ipc_metrics_web *web, int *port_out,
                                             a0ipc_status *st)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool remote = web && web->tls && web->n_users > 0;
    if (parse_address(addr, remote, &ss, &len, st) != 0)
        return NULL;
    a0ipc_metrics_http *h = calloc(1, sizeof *h);
    if (!h) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    h->m = m;
    h->web = web;
    h->stop_pipe[0] = h->stop_pipe[1] = -1;
    h->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (h->listen_fd < 0 ||
        setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(h->listen_fd, (struct sockaddr *)&ss, len) != 0 || listen(h->listen_fd, 16) != 0 ||
        pipe2(h->stop_pipe, O_CLOEXEC) != 0) {
        a0ipc_status_from_errno(st, errno, "cannot serve metrics on %s", addr);
        goto fail;
    }
    getsockname(h->listen_fd, (struct sockaddr *)&ss, &len);
    if (port_out)
        *port_out = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
    if (pthread_create(&h->thread, NULL, http_main, h) != 0) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "cannot start the metrics thread");
        goto fail;
    }
    return h;
fail:
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    if (h->stop_pipe[0] >= 0) {
        close(h->stop_pipe[0]);
        close(h->stop_pipe[1]);
    }
    free(h);
    return NULL;
}

void a0ipc_metrics_http_stop(a0ipc_metrics_http *h)
{
    if (!h)
        return;
    ssize_t unused = write(h->stop_pipe[1], "x", 1);
    (void)unused;
    pthread_join(h->thread, NULL);
    close(h->listen_fd);
    close(h->stop_pipe[0]);
    close(h->stop_pipe[1]);
    free(h);
}
