#include "services/term_reaper.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"

typedef struct wanted {
    pid_t pid;
    bool done;
    int status;
} wanted;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static wanted *table; /* the process's; lives until exit */
static size_t n_table, cap_table;

int a0ipc_reaper_set_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

void a0ipc_reaper_lock(void)
{
    pthread_mutex_lock(&mu);
}

void a0ipc_reaper_unlock(void)
{
    pthread_mutex_unlock(&mu);
}

int a0ipc_reaper_add_locked(pid_t pid)
{
    if (n_table == cap_table) {
        size_t cap = cap_table ? cap_table * 2 : 64;
        wanted *t = realloc(table, cap * sizeof *t);
        if (!t)
            return -ENOMEM;
        table = t;
        cap_table = cap;
    }
    table[n_table++] = (wanted){pid, false, 0};
    return 0;
}

static wanted *find(pid_t pid)
{
    for (size_t i = 0; i < n_table; i++)
        if (table[i].pid == pid)
            return &table[i];
    return NULL;
}

static void drop(wanted *w)
{
    *w = table[--n_table];
}

int a0ipc_reaper_check(pid_t pid, int *status)
{
    pthread_mutex_lock(&mu);
    wanted *w = find(pid);
    int rc = -1;
    if (w) {
        rc = 0;
        if (!w->done) {
            int s;
            pid_t r;
            do
                r = waitpid(pid, &s, WNOHANG);
            while (r < 0 && errno == EINTR);
            if (r == pid) {
                w->done = true;
                w->status = s;
            } else if (r < 0 && errno == ECHILD) {
                /* Reaped behind our back (someone else's waitpid(-1)): the status is gone. */
                w->done = true;
                w->status = 0;
            }
        }
        if (w->done) {
            *status = w->status;
            drop(w);
            rc = 1;
        }
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

int a0ipc_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    return fd >= 0 ? fd : -errno;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

int a0ipc_reaper_wait(pid_t pid, int *status, int timeout_ms, int cancel_fd)
{
    int rc = a0ipc_reaper_check(pid, status);
    if (rc != 0)
        return rc;
    int pidfd = a0ipc_pidfd_open(pid);
    int64_t end = timeout_ms < 0 ? INT64_MAX : a0ipc_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = end == INT64_MAX ? -1 : end - a0ipc_mono_ms();
        if (left != -1 && left <= 0)
            break;
        struct pollfd p[2];
        int n = 0;
        if (pidfd >= 0)
            p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        if (cancel_fd >= 0)
            p[n++] = (struct pollfd){.fd = cancel_fd, .events = POLLIN};
        /* Without a pidfd, look again every 10 ms. */
        int wait = pidfd >= 0 ? (int)(left < 0 || left > 60000 ? 60000 : left)
                              : (int)(left < 0 || left > 10 ? 10 : left);
        int pr = poll(p, (nfds_t)n, wait);
        if (pr < 0 && errno != EINTR)
            break;
        if (cancel_fd >= 0 && pr > 0 && (p[n - 1].revents & POLLIN))
            break;
        rc = a0ipc_reaper_check(pid, status);
        if (rc != 0)
            break;
    }
    if (pidfd >= 0)
        close(pidfd);
    return rc;
}

void a0ipc_reaper_forget(pid_t pid)
{
    pthread_mutex_lock(&mu);
    wanted *w = find(pid);
    if (w)
        drop(w);
    pthread_mutex_unlock(&mu);
}

void a0ipc_reaper_sweep(void)
{
    pthread_mutex_lock(&mu);
    for (;;) {
        int s;
        pid_t r = waitpid(-1, &s, WNOHANG);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        wanted *w = find(r);
        if (w) {
            w->done = true;
            w->status = s;
        }
    }
    pthread_mutex_unlock(&mu);
}
