#include "security/peercred.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

struct a0ipc_peer_policy {
    pthread_mutex_t log_mu; /* refusal log lines: at most one a second, the rest counted */
    time_t last_log;
    unsigned long unlogged;
    pthread_rwlock_t lock; /* the accept threads read while SIGHUP replaces */
    uid_t *uids;
    size_t n_uids;
    gid_t *gids;
    size_t n_gids;
};

a0ipc_peer_policy *a0ipc_peer_policy_new(void)
{
    a0ipc_peer_policy *p = calloc(1, sizeof *p);
    if (p) {
        pthread_rwlock_init(&p->lock, NULL);
        pthread_mutex_init(&p->log_mu, NULL);
    }
    return p;
}

void a0ipc_peer_policy_free(a0ipc_peer_policy *p)
{
    if (!p)
        return;
    free(p->uids);
    free(p->gids);
    pthread_rwlock_destroy(&p->lock);
    pthread_mutex_destroy(&p->log_mu);
    free(p);
}

int a0ipc_peer_policy_set(a0ipc_peer_policy *p, const uid_t *uids, size_t n_uids, const gid_t *gids,
                          size_t n_gids, a0ipc_status *st)
{
    uid_t *u = n_uids ? malloc(n_uids * sizeof *u) : NULL;
    gid_t *g = n_gids ? malloc(n_gids * sizeof *g) : NULL;
    if ((n_uids && !u) || (n_gids && !g)) {
        free(u);
        free(g);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    if (n_uids)
        memcpy(u, uids, n_uids * sizeof *u);
    if (n_gids)
        memcpy(g, gids, n_gids * sizeof *g);
    pthread_rwlock_wrlock(&p->lock);
    uid_t *old_u = p->uids;
    gid_t *old_g = p->gids;
    p->uids = u;
    p->n_uids = n_uids;
    p->gids = g;
    p->n_gids = n_gids;
    pthread_rwlock_unlock(&p->lock);
    free(old_u);
    free(old_g);
    return 0;
}

static bool allowed(a0ipc_peer_policy *p, const a0ipc_rpc_unix_cred *c)
{
    if (c->uid == 0 || c->uid == geteuid())
        return true;
    bool ok = false;
    pthread_rwlock_rdlock(&p->lock);
    for (size_t i = 0; !ok && i < p->n_uids; i++)
        ok = p->uids[i] == c->uid;
    for (size_t i = 0; !ok && i < p->n_gids; i++) {
        ok = p->gids[i] == c->gid;
        for (size_t j = 0; !ok && j < c->n_groups; j++)
            ok = p->gids[i] == c->groups[j];
    }
    pthread_rwlock_unlock(&p->lock);
    return ok;
}

bool a0ipc_peer_policy_accept(void *arg, const char *addr, const a0ipc_rpc_unix_cred *cred)
{
    a0ipc_peer_policy *p = arg;
    if (allowed(p, cred))
        return true;
    /* A local user who may not connect could otherwise fill the log by connecting in a loop. */
    pthread_mutex_lock(&p->log_mu);
    time_t now = time(NULL);
    bool log = now != p->last_log;
    unsigned long more = p->unlogged;
    if (log) {
        p->last_log = now;
        p->unlogged = 0;
    } else {
        p->unlogged++;
    }
    pthread_mutex_unlock(&p->log_mu);
    if (log)
        A0IPC_LOGW("refused a connection on %s from uid %u (gid %u, pid %d): not allowed; to let "
                   "it in, add allow-uid = %u or allow-gid = <one of its groups> to the "
                   "configuration%s",
                   addr, (unsigned)cred->uid, (unsigned)cred->gid, (int)cred->pid,
                   (unsigned)cred->uid, more ? " (more refusals since the last such line)" : "");
    return false;
}

static bool parse_number(const char *text, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v >= UINT_MAX)
        return false;
    *out = v;
    return true;
}

int a0ipc_parse_uid(const char *text, uid_t *out, a0ipc_status *st)
{
    unsigned long v;
    if (parse_number(text, &v)) {
        *out = (uid_t)v;
        return 0;
    }
    char buf[4096];
    struct passwd pw, *found = NULL;
    if (getpwnam_r(text, &pw, buf, sizeof buf, &found) != 0 || !found) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no user named \"%s\" (give a name or a uid)",
                         text);
        return -1;
    }
    *out = found->pw_uid;
    return 0;
}

int a0ipc_parse_gid(const char *text, gid_t *out, a0ipc_status *st)
{
    unsigned long v;
    if (parse_number(text, &v)) {
        *out = (gid_t)v;
        return 0;
    }
    char buf[4096];
    struct group gr, *found = NULL;
    if (getgrnam_r(text, &gr, buf, sizeof buf, &found) != 0 || !found) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no group named \"%s\" (give a name or a gid)",
                         text);
        return -1;
    }
    *out = found->gr_gid;
    return 0;
}
