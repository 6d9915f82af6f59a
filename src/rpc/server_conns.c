/* The connections a server handed to the gRPC core, unix and TCP, in one table indexed by
 * descriptor: for the connection limit (max-connections counts both kinds together), for the
 * a0ipcd_tcp_connections gauge, and for the peer credentials of unix connections.
 *
 * The core closes descriptors without telling us, so an entry counts only while its descriptor
 * still is that socket (st_dev, st_ino); counting drops the entries that are not. A descriptor
 * handed out again gets a new entry, which replaces the old one. Counting costs one fstat per
 * open connection, on accepts and scrapes only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rpc/server_internal.h"

/* Under conns_mu: the open connections of kind (0: every kind). */
static size_t count_open(a0ipc_rpc_server *s, core_conn_kind kind)
{
    size_t n = 0;
    for (size_t fd = 0; fd < s->n_conns; fd++) {
        core_conn *c = &s->conns[fd];
        if (!c->kind)
            continue;
        struct stat sb;
        if (fstat((int)fd, &sb) != 0 || sb.st_dev != c->dev || sb.st_ino != c->ino)
            c->kind = 0; /* closed by the core */
        else if (!kind || c->kind == kind)
            n++;
    }
    return n;
}

size_t a0ipc_rpc_conns_open(a0ipc_rpc_server *s, core_conn_kind kind)
{
    pthread_mutex_lock(&s->conns_mu);
    size_t n = count_open(s, kind);
    pthread_mutex_unlock(&s->conns_mu);
    return n;
}

int a0ipc_rpc_conns_admit(a0ipc_rpc_server *s, int fd, const core_conn *c, size_t *open)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return -errno;
    pthread_mutex_lock(&s->conns_mu);
    /* Counted and recorded under one lock: two accepts at once cannot both take the last slot.
     * With no limit there is nothing to count here (the gauge counts when it is read). */
    bool limited = s->opts.max_connections > 0;
    *open = limited ? count_open(s, 0) : 0;
    int rc = 0;
    if (limited && *open >= (size_t)s->opts.max_connections) {
        rc = -EBUSY;
    } else if ((size_t)fd >= s->n_conns) {
        size_t n = s->n_conns ? s->n_conns : 64;
        while (n <= (size_t)fd)
            n *= 2;
        core_conn *grown = realloc(s->conns, n * sizeof *grown);
        if (grown) {
            memset(grown + s->n_conns, 0, (n - s->n_conns) * sizeof *grown);
            s->conns = grown;
            s->n_conns = n;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0) {
        s->conns[fd] = *c;
        s->conns[fd].dev = sb.st_dev;
        s->conns[fd].ino = sb.st_ino;
    }
    pthread_mutex_unlock(&s->conns_mu);
    return rc;
}

bool a0ipc_rpc_conns_unix_peer(a0ipc_rpc_server *s, int fd, core_conn *out)
{
    pthread_mutex_lock(&s->conns_mu);
    bool found = fd >= 0 && (size_t)fd < s->n_conns && s->conns[fd].kind == CORE_CONN_UNIX;
    if (found)
        *out = s->conns[fd];
    pthread_mutex_unlock(&s->conns_mu);
    return found;
}

void a0ipc_rpc_conns_free(a0ipc_rpc_server *s)
{
    free(s->conns);
    s->conns = NULL;
    s->n_conns = 0;
}

long a0ipc_rpc_server_tcp_connections(a0ipc_rpc_server *s)
{
    return (long)a0ipc_rpc_conns_open(s, CORE_CONN_TCP);
}
