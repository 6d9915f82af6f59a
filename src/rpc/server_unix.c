/* Unix-socket listeners that know who connected.
 *
 * The core's own unix listener (grpc_server_add_http2_port "unix:...") accepts connections
 * itself and tells nobody the peer's credentials: in 1.51 the auth context of a unix connection
 * holds only the transport security type, and the call's peer is just the socket path. So we
 * bind and accept here, ask the kernel who the peer is (SO_PEERCRED: pid, uid, gid at
 * connect time, which the peer cannot forge), let the accept hook decide, and hand only allowed
 * connections to the core with grpc_server_add_channel_from_fd. A refused peer never speaks to
 * the HTTP/2 stack at all.
 *
 * The core names a connection made that way "fd:<n>" (its peer string); that is how a call
 * finds the credentials recorded for fd n in the server's connection table (server_conns.c).
 * The record is overwritten when fd n is handed over again, so a record is always the current
 * connection's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grpc/grpc.h>
#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "rpc/server_internal.h"

struct unix_listener {
    a0ipc_rpc_server *srv;
    char *addr; /* as given: "unix:/path" or "unix-abstract:name" */
    char *path; /* the socket file; NULL for an abstract socket */
    dev_t dev;  /* the file we created, so we never remove someone else's */
    ino_t ino;
    int fd;      /* listening socket */
    int wake_fd; /* eventfd: tells the accept thread to stop */
    pthread_t thread;
    bool running;
    a0ipc_rpc_unix_options opts;
    unix_listener *next;
};

void a0ipc_rpc_unix_options_init(a0ipc_rpc_unix_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = -1;
    o->owner = (uid_t)-1;
    o->group = (gid_t)-1;
    o->fd = -1;
}

/* Fills sun from addr; returns the address length, or 0 with st set. */
static socklen_t unix_address(const char *addr, struct sockaddr_un *sun, const char **path,
                              a0ipc_status *st)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    const char *name;
    bool abstract = false;
    if (!strncmp(addr, "unix-abstract:", 14)) {
        name = addr + 14;
        abstract = true;
    } else if (!strncmp(addr, "unix:", 5)) {
        name = addr + 5;
        if (!strncmp(name, "//", 2)) /* unix:///path */
            name += 2;
    } else {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s is not a unix socket address", addr);
        return 0;
    }
    size_t n = strlen(name);
    size_t max = sizeof sun->sun_path - 1 - (abstract ? 1 : 0);
    if (n == 0 || n > max) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "unix socket name in %s is empty or longer than %zu bytes", addr, max);
        return 0;
    }
    memcpy(sun->sun_path + (abstract ? 1 : 0), name, n);
    *path = abstract ? NULL : name;
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 0));
}

/* A socket file left by a server that died is removed; one a live server answers on is not
 * (the caller then reports it in use, which is the truth). Anything that is not a socket is
 * never touched. */
static int clear_stale_socket(const char *addr, const char *path, const struct sockaddr_un *sun,
                              socklen_t len, a0ipc_status *st)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return 0;
    if (!S_ISSOCK(sb.st_mode)) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "%s exists and is not a socket: remove it or listen elsewhere", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int rc = connect(fd, (const struct sockaddr *)sun, len);
    int err = errno;
    close(fd);
    if (rc == 0) {
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "%s is in use by a running server", addr);
        return -1;
    }
    if (err == ECONNREFUSED)
        unlink(path);
    return 0;
}

static void listener_free(unix_listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    if (l->path) {
        /* Only the file we made: a newer server may already have replaced it. */
        struct stat sb;
        if (lstat(l->path, &sb) == 0 && sb.st_dev == l->dev && sb.st_ino == l->ino)
            unlink(l->path);
    }
    free(l->addr);
    free(l);
}

int a0ipc_rpc_server_listen_unix(a0ipc_rpc_server *s, const char *addr,
                                 const a0ipc_rpc_unix_options *o, a0ipc_status *st)
{
    if (s->started) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "listen after start");
        return -1;
    }
    struct sockaddr_un sun;
    const char *path;
    socklen_t len = unix_address(addr, &sun, &path, st);
    if (!len)
        return -1;
    unix_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->addr = strdup(addr))) {
        free(l);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    l->srv = s;
    l->fd = l->wake_fd = -1;
    if (o)
        l->opts = *o;
    else
        a0ipc_rpc_unix_options_init(&l->opts);
    if (path)
        l->path = l->addr + (size_t)(path - addr);

    if (l->opts.fd >= 0) {
        /* Socket activation: the service manager bound and listens. The file stays its own (it
         * outlives this daemon, so clients wait in the backlog across a restart) with the mode
         * and owner of the socket unit; only the accept loop, and so the hook, are ours. */
        l->path = NULL;
        l->fd = l->opts.fd;
        int accepting = 0;
        socklen_t alen = sizeof accepting;
        if (getsockopt(l->fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 || !accepting) {
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                             "the socket passed for %s is not a listening socket", addr);
            goto fail_quiet;
        }
        l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (l->wake_fd < 0)
            goto fail;
        goto listening;
    }
    if (path && clear_stale_socket(addr, path, &sun, len, st) != 0)
        goto fail_quiet;
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->fd < 0 || l->wake_fd < 0)
        goto fail;
    /* Linux gives the new socket file the mode of the socket's inode less the umask: setting it
     * before bind means the file never exists with wider permissions than asked for. */
    if (path && l->opts.mode >= 0 && fchmod(l->fd, (mode_t)l->opts.mode) != 0)
        goto fail;
    if (bind(l->fd, (struct sockaddr *)&sun, len) != 0) {
        a0ipc_status_from_errno(st, errno, "cannot listen on %s", addr);
        goto fail_quiet;
    }
    if (path) {
        struct stat sb;
        if (lstat(path, &sb) != 0) {
            l->path = NULL; /* nothing of ours to remove later */
            goto fail;
        }
        l->dev = sb.st_dev;
        l->ino = sb.st_ino;
        /* The umask may have cleared bits that were asked for; and the owner comes after. */
        if ((l->opts.mode >= 0 && chmod(path, (mode_t)l->opts.mode) != 0) ||
            ((l->opts.owner != (uid_t)-1 || l->opts.group != (gid_t)-1) &&
             lchown(path, l->opts.owner, l->opts.group) != 0)) {
            a0ipc_status_from_errno(st, errno,
                                    "cannot set the mode or owner of %s (a0ipcd must run as "
                                    "root, or as the owner, to give the socket to another user)",
                                    path);
            goto fail_quiet;
        }
    }
    if (listen(l->fd, SOMAXCONN) != 0)
        goto fail;
listening:
    if (!s->insecure_creds)
        s->insecure_creds = grpc_insecure_server_credentials_create();
    l->next = s->unix_listeners;
    s->unix_listeners = l;
    return 0;
fail:
    a0ipc_status_from_errno(st, errno, "cannot listen on %s", addr);
fail_quiet:
    listener_free(l);
    return -1;
}

/* Records what the listener learnt about fd, for the calls that will come on it. */
bool a0ipc_rpc_unix_peer(a0ipc_rpc_server *s, const char *core_peer, a0ipc_rpc_peer *peer)
{
    if (!core_peer || strncmp(core_peer, "fd:", 3) != 0)
        return false;
    char *end;
    long fd = strtol(core_peer + 3, &end, 10);
    if (*end || fd < 0)
        return false;
    core_conn c;
    if (fd > INT_MAX || !a0ipc_rpc_conns_unix_peer(s, (int)fd, &c))
        return false;
    peer->transport = A0IPC_RPC_TRANSPORT_UNIX;
    peer->address = c.listener->addr;
    peer->has_cred = true;
    peer->pid = c.pid;
    peer->uid = c.uid;
    peer->gid = c.gid;
    return true;
}

/* Handles one accepted connection: the hook decides, the core gets the allowed ones. */
static void take_connection(unix_listener *l, int fd)
{
    a0ipc_rpc_server *s = l->srv;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
        A0IPC_LOGW("refused a connection on %s: cannot read its peer credentials (%s)", l->addr,
                   strerror(errno));
        close(fd);
        return;
    }
    /* Supplementary groups too, so allow-gid works for members of a group, not only for
     * processes whose primary group it is. */
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    a0ipc_rpc_unix_cred uc = {cred.pid, cred.uid, cred.gid, groups, 0};
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
        uc.n_groups = glen / sizeof groups[0];
    if (l->opts.accept && !l->opts.accept(l->opts.accept_arg, l->addr, &uc)) {
        /* The hook logs why: it knows the policy. */
        close(fd);
        return;
    }
    /* The core's endpoints expect a non-blocking socket. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        A0IPC_LOGW("refused a connection on %s: %s", l->addr, strerror(errno));
        close(fd);
        return;
    }
    core_conn c = {
        .kind = CORE_CONN_UNIX, .pid = cred.pid, .uid = cred.uid, .gid = cred.gid, .listener = l};
    size_t open;
    int rc = a0ipc_rpc_conns_admit(s, fd, &c, &open);
    if (rc == -EBUSY) {
        A0IPC_LOGW("refused a connection on %s from uid %u (pid %d): already %zu open "
                   "(max-connections %d, unix and TCP together)",
                   l->addr, (unsigned)cred.uid, (int)cred.pid, open, s->opts.max_connections);
        close(fd);
        return;
    }
    if (rc != 0) {
        A0IPC_LOGW("refused a connection on %s: %s", l->addr, strerror(-rc));
        close(fd);
        return;
    }
    grpc_server_add_channel_from_fd(s->server, fd, s->insecure_creds);
}

static void *accept_main(void *arg)
{
    unix_listener *l = arg;
    for (;;) {
        struct pollfd fds[2] = {{l->fd, POLLIN, 0}, {l->wake_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            A0IPC_LOGE("unix listener %s: poll failed: %s", l->addr, strerror(errno));
            break;
        }
        if (fds[1].revents)
            break;
        if (!(fds[0].revents & POLLIN))
            continue;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: back off instead of spinning on the pending connection. */
                A0IPC_LOGW("unix listener %s: %s; pausing accepts for 100 ms", l->addr,
                           strerror(errno));
                poll(NULL, 0, 100);
            }
            continue; /* ECONNABORTED, EINTR and friends: the next one */
        }
        take_connection(l, fd);
    }
    return NULL;
}

int a0ipc_rpc_unix_start(a0ipc_rpc_server *s, a0ipc_status *st)
{
    for (unix_listener *l = s->unix_listeners; l; l = l->next) {
        if (pthread_create(&l->thread, NULL, accept_main, l) != 0) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "cannot start the accept thread of %s",
                             l->addr);
            return -1;
        }
        l->running = true;
    }
    return 0;
}

void a0ipc_rpc_unix_stop(a0ipc_rpc_server *s)
{
    for (unix_listener *l = s->unix_listeners; l; l = l->next) {
        if (!l->running)
            continue;
        uint64_t one = 1;
        ssize_t unused = write(l->wake_fd, &one, sizeof one);
        (void)unused; /* an eventfd write cannot fail short of overflow */
        pthread_join(l->thread, NULL);
        l->running = false;
        /* Clients that connect from now on are refused at once instead of waiting in the
         * backlog of a socket nobody accepts on any more. */
        close(l->fd);
        l->fd = -1;
    }
}

void a0ipc_rpc_unix_free(a0ipc_rpc_server *s)
{
    a0ipc_rpc_unix_stop(s);
    for (unix_listener *l = s->unix_listeners, *next; l; l = next) {
        next = l->next;
        listener_free(l);
    }
    s->unix_listeners = NULL;
    if (s->insecure_creds)
        grpc_server_credentials_release(s->insecure_creds);
    s->insecure_creds = NULL;
}
