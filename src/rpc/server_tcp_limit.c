/* The connection limit for TCP listeners (plaintext and TLS).
 *
 * gRPC core 1.51 accepts TCP connections itself and has no setting for how many it holds. Its
 * one hook on an accepted socket is the socket mutator (GRPC_ARG_SOCKET_MUTATOR, a public
 * channel argument whose type is opaque in the installed headers): the accept loop calls it with
 * GRPC_FD_SERVER_CONNECTION_USAGE before the connection reaches the HTTP/2 stack. It cannot
 * refuse there: a mutator that reports failure makes the core stop accepting on that port for
 * good (tcp_server_posix.cc jumps to the listener's error path). So a connection over the
 * limit is accepted and made dead at once instead: linger 0 and shutdown(SHUT_RDWR), so the
 * client reads end of file (or a reset) before any byte of HTTP/2 or TLS, and the core sees
 * end of file on its first read and drops it.
 *
 * Counting: every admitted socket goes into the server's connection table (server_conns.c),
 * with the unix listeners' connections, so the limit covers both kinds together.
 *
 * The mutator is reference counted like the core's own: the core keeps a reference for each
 * listener's options and drops it when the listener is destroyed, which may happen after
 * grpc_server_destroy returns. The last unref frees it; it never points back at the server
 * after a0ipc_rpc_tcp_limit_detach. */
#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/support/sync.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/log.h"
#include "rpc/server_internal.h"

/* The core's socket mutator as src/core/lib/iomgr/socket_mutator.h defines it (that header is
 * not installed). Unchanged from 1.30, when mutate_fd_2 was appended, through 1.51 and later;
 * the TCP tests of max-connections fail if it ever changes. */
typedef enum {
    CORE_FD_CLIENT_CONNECTION_USAGE,
    CORE_FD_SERVER_LISTENER_USAGE,
    CORE_FD_SERVER_CONNECTION_USAGE,
} core_fd_usage;

typedef struct {
    int fd;
    core_fd_usage usage;
} core_mutate_socket_info;

typedef struct {
    bool (*mutate_fd)(int fd, grpc_socket_mutator *m); /* listeners and client sockets */
    int (*compare)(grpc_socket_mutator *a, grpc_socket_mutator *b);
    void (*destroy)(grpc_socket_mutator *m);
    bool (*mutate_fd_2)(const core_mutate_socket_info *info, grpc_socket_mutator *m);
} core_socket_mutator_vtable;

struct grpc_socket_mutator {
    const core_socket_mutator_vtable *vtable;
    gpr_refcount refcount;
};

struct a0ipc_rpc_tcp_limit {
    struct grpc_socket_mutator base; /* first: the core's pointer is this struct's */
    pthread_mutex_t mu;
    a0ipc_rpc_server *srv; /* NULL once detached */
    size_t refused;        /* since the last log line */
    int64_t logged_s;      /* when that line was written (monotonic seconds; 0: never) */
};

static a0ipc_rpc_tcp_limit *from_base(grpc_socket_mutator *m)
{
    return (a0ipc_rpc_tcp_limit *)m; /* base is the first member */
}

/* Ends a connection before the core reads from it: the client sees a reset, never HTTP/2. */
static void kill_connection(int fd)
{
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    (void)shutdown(fd, SHUT_RDWR);
}

/* "192.0.2.1:5000" or "[2001:db8::1]:5000" of fd's peer; "?" when it cannot be told. */
static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN];
    snprintf(out, cap, "?");
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip))
            snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) { /* the core listens dual-stack */
            if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, sizeof ip))
                snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(in6->sin6_port));
        } else if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip))
            snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    }
}

/* One log line per second at most: a flood of connections must not become a flood of logs. */
static void log_refusal(a0ipc_rpc_tcp_limit *l, int fd, size_t open)
{
    l->refused++;
    int64_t now_s = a0ipc_mono_ns() / 1000000000;
    if (l->logged_s != 0 && now_s - l->logged_s < 1)
        return;
    char host[INET6_ADDRSTRLEN + 16];
    peer_name(fd, host, sizeof host);
    A0IPC_LOGW("refused %zu TCP connection%s (the last from %s): already %zu open "
               "(max-connections %d, unix and TCP together)",
               l->refused, l->refused == 1 ? "" : "s", host, open, l->srv->opts.max_connections);
    l->refused = 0;
    l->logged_s = now_s;
}

static bool on_socket(const core_mutate_socket_info *info, grpc_socket_mutator *m)
{
    a0ipc_rpc_tcp_limit *l = from_base(m);
    if (info->usage != CORE_FD_SERVER_CONNECTION_USAGE)
        return true; /* listeners keep the core's own options */
    /* l->mu keeps the server from going away meanwhile (lock order: ours, then the table's). */
    pthread_mutex_lock(&l->mu);
    int rc = -ESHUTDOWN; /* the server is going away */
    size_t open = 0;
    if (l->srv) {
        core_conn c = {.kind = CORE_CONN_TCP};
        rc = a0ipc_rpc_conns_admit(l->srv, info->fd, &c, &open);
    }
    if (rc == -EBUSY)
        log_refusal(l, info->fd, open);
    else if (rc != 0 && rc != -ESHUTDOWN)
        A0IPC_LOGW("refused a TCP connection: %s", strerror(-rc));
    pthread_mutex_unlock(&l->mu);
    if (rc != 0)
        kill_connection(info->fd);
    return true;
}

static bool on_legacy_socket(int fd, grpc_socket_mutator *m)
{
    (void)fd; /* only called for listeners and client sockets when mutate_fd_2 is absent */
    (void)m;
    return true;
}

static int compare(grpc_socket_mutator *a, grpc_socket_mutator *b)
{
    return a == b ? 0 : ((uintptr_t)a < (uintptr_t)b ? -1 : 1);
}

static void destroy(grpc_socket_mutator *m)
{
    a0ipc_rpc_tcp_limit *l = from_base(m);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static const core_socket_mutator_vtable mutator_vtable = {on_legacy_socket, compare, destroy,
                                                          on_socket};

/* The channel argument's vtable: copies share the mutator, as the core's own do. */
static void *arg_copy(void *p)
{
    gpr_ref(&((grpc_socket_mutator *)p)->refcount);
    return p;
}

static void unref(grpc_socket_mutator *m)
{
    if (gpr_unref(&m->refcount))
        m->vtable->destroy(m);
}

static void arg_destroy(void *p)
{
    unref(p);
}

static int arg_compare(void *a, void *b)
{
    return compare(a, b);
}

static const grpc_arg_pointer_vtable arg_vtable = {arg_copy, arg_destroy, arg_compare};

a0ipc_rpc_tcp_limit *a0ipc_rpc_tcp_limit_new(a0ipc_rpc_server *s)
{
    a0ipc_rpc_tcp_limit *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base.vtable = &mutator_vtable;
    gpr_ref_init(&l->base.refcount, 1); /* the server's reference */
    pthread_mutex_init(&l->mu, NULL);
    l->srv = s;
    return l;
}

grpc_arg a0ipc_rpc_tcp_limit_arg(a0ipc_rpc_tcp_limit *l)
{
    grpc_arg a;
    memset(&a, 0, sizeof a);
    a.type = GRPC_ARG_POINTER;
    a.key = (char *)GRPC_ARG_SOCKET_MUTATOR;
    a.value.pointer.p = &l->base;
    a.value.pointer.vtable = &arg_vtable;
    return a;
}

void a0ipc_rpc_tcp_limit_detach(a0ipc_rpc_tcp_limit *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->srv = NULL;
    pthread_mutex_unlock(&l->mu);
    unref(&l->base);
}
