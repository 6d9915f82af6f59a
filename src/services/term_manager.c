/* The session table and the calls on sessions (create, write, resize, signal, close, list). The
 * I/O thread is in term_io.c, the readers in term_reader.c. */
#include "services/term_manager.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "services/term_child.h"
#include "services/term_internal.h"
#include "services/term_reaper.h"
#include "services/term_pty.h"

#define SCRATCH_BYTES (2 * 64 * 1024 + 2 * A0IPC_TERM_MARKER_MAX + 64)
#define DEFAULT_ROWS  50 /* the legacy SSH terminal's size */
#define DEFAULT_COLS  100

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void a0ipc_term_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

void a0ipc_term_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ns)
{
    if (deadline_ns == INT64_MAX) {
        pthread_cond_wait(cv, mu);
        return;
    }
    struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
    pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- the manager ---- */

static char **copy_strv(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **c = calloc(n + 1, sizeof *c);
    for (size_t i = 0; c && i < n; i++) {
        if (!(c[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(c[j]);
            free(c);
            return NULL;
        }
    }
    return c;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

a0ipc_term_manager *a0ipc_term_manager_new(const a0ipc_terminal_config *cfg, a0ipc_status *st)
{
    if (cfg->max_sessions < 1 || cfg->ring_bytes < 64 * 1024) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "terminal: max_sessions must be >= 1 and ring_bytes >= 64 KiB");
        return NULL;
    }
    a0ipc_term_manager *m = calloc(1, sizeof *m);
    if (!m) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    m->epfd = m->evfd = -1;
    m->cfg = *cfg;
    m->shell = strdup(cfg->shell ? cfg->shell : "/bin/bash");
    m->tmp_dir = strdup(cfg->tmp_dir ? cfg->tmp_dir : "/tmp");
    m->cgroup = strdup(cfg->cgroup ? cfg->cgroup : "auto");
    m->env = copy_strv(cfg->env);
    m->scratch = malloc(SCRATCH_BYTES);
    m->scratch2 = malloc(SCRATCH_BYTES);
    pthread_mutex_init(&m->mu, NULL);
    a0ipc_term_cond_init(&m->cv);
    if (!m->shell || !m->tmp_dir || !m->cgroup || !m->env || !m->scratch || !m->scratch2) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        a0ipc_term_manager_free(m);
        return NULL;
    }
    m->cfg.shell = m->shell;
    m->cfg.tmp_dir = m->tmp_dir;
    m->cfg.cgroup = m->cgroup;
    m->cfg.env = (const char *const *)m->env;

    int sub = cfg->subreaper ? a0ipc_reaper_set_subreaper() : 0;
    if (sub != 0)
        A0IPC_LOGW("terminal: cannot become the child subreaper: %s", strerror(-sub));
    m->cgroup_base = a0ipc_term_cgroup_base(m->cgroup);
    if (m->cgroup_base)
        a0ipc_term_cgroup_cleanup(m->cgroup_base);

    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    m->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->epfd < 0 || m->evfd < 0) {
        a0ipc_status_from_errno(st, errno, "terminal: epoll/eventfd");
        a0ipc_term_manager_free(m);
        return NULL;
    }
    m->wake_tag.kind = IO_WAKE;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &m->wake_tag};
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->evfd, &ev);
    int rc = pthread_create(&m->io, NULL, a0ipc_term_io_main, m);
    if (rc != 0) {
        a0ipc_status_from_errno(st, rc, "terminal: starting the I/O thread");
        a0ipc_term_manager_free(m);
        return NULL;
    }
    m->io_started = true;
    return m;
}

const a0ipc_terminal_config *a0ipc_term_manager_config(const a0ipc_term_manager *m)
{
    return &m->cfg;
}

bool a0ipc_term_manager_uses_cgroups(const a0ipc_term_manager *m)
{
    return m->cgroup_base != NULL;
}

void a0ipc_term_manager_shutdown(a0ipc_term_manager *m, unsigned grace_ms)
{
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    unsigned grace = grace_ms ? grace_ms : 1;
    int64_t cut = a0ipc_mono_ns() + (int64_t)grace * 1000000;
    for (term_session *s = m->head; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        if (s->phase != PHASE_ENDED && !s->close_requested) {
            s->close_requested = true;
            s->close_grace_ms = grace;
        } else if (s->phase != PHASE_ENDED) {
            /* A close already asked for (CloseSession) gets no longer than shutdown's grace. */
            if (!s->close_grace_ms || s->close_grace_ms > grace)
                s->close_grace_ms = grace;
            if (s->phase == PHASE_CLOSING && s->step == CLOSE_HUP && s->step_deadline_ns > cut)
                s->step_deadline_ns = cut;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (!m->io_started)
        return;
    a0ipc_term_io_wake(m);
    pthread_mutex_lock(&m->mu);
    for (;;) {
        bool all_ended = true;
        for (term_session *s = m->head; s && all_ended; s = s->next) {
            pthread_mutex_lock(&s->mu);
            all_ended = s->phase == PHASE_ENDED;
            pthread_mutex_unlock(&s->mu);
        }
        if (all_ended)
            break;
        pthread_cond_wait(&m->cv, &m->mu);
    }
    pthread_mutex_unlock(&m->mu);
}

void a0ipc_term_manager_free(a0ipc_term_manager *m)
{
    if (!m)
        return;
    if (m->io_started) {
        a0ipc_term_manager_shutdown(m, m->cfg.close_grace_ms);
        atomic_store(&m->io_quit, true);
        a0ipc_term_io_wake(m);
        pthread_join(m->io, NULL);
    }
    while (m->head)
        a0ipc_term_table_remove(m, m->head);
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->evfd >= 0)
        close(m->evfd);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m->shell);
    free(m->tmp_dir);
    free(m->cgroup);
    free_strv(m->env);
    free(m->cgroup_base);
    free(m->scratch);
    free(m->scratch2);
    free(m);
}

/* ---- sessions ---- */

static void session_free(term_session *s)
{
    if (s->master >= 0)
        close(s->master);
    if (s->pidfd >= 0)
        close(s->pidfd);
    if (s->wfd >= 0)
        close(s->wfd);
    if (s->pid > 0 && !s->shell_exited)
        a0ipc_reaper_forget(s->pid);
    a0ipc_term_tree_destroy(&s->tree);
    if (s->cmd_path)
        unlink(s->cmd_path);
    if (s->cmd_dir)
        rmdir(s->cmd_dir);
    free(s->cmd_path);
    free(s->cmd_dir);
    a0ipc_term_ring_free(&s->ring);
    for (size_t i = 0; i < A0IPC_TERM_COMPLETIONS; i++)
        free(s->done[i].cwd);
    free_strv(s->argv);
    free(s->run_cmd);
    free(s->seen);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->write_mu);
    free(s);
}

/* The session table: m->head..m->tail under m->mu, one reference per session in it (added in
 * a0ipc_term_create). */

void a0ipc_term_table_unlink(a0ipc_term_manager *m, term_session *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        m->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        m->tail = s->prev;
    s->next = s->prev = NULL;
    s->in_table = false;
    m->n_sessions--;
    pthread_cond_broadcast(&m->cv);
}

void a0ipc_term_table_remove(a0ipc_term_manager *m, term_session *s)
{
    pthread_mutex_lock(&m->mu);
    bool was = s->in_table;
    if (was)
        a0ipc_term_table_unlink(m, s);
    pthread_mutex_unlock(&m->mu);
    if (was)
        a0ipc_term_session_unref(s);
}

void a0ipc_term_session_unref(term_session *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1)
        session_free(s);
}

term_session *a0ipc_term_session_get(a0ipc_term_manager *m, const char *id, a0ipc_status *st)
{
    pthread_mutex_lock(&m->mu);
    if (m->stopping) {
        pthread_mutex_unlock(&m->mu);
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "the terminal service is shutting down");
        return NULL;
    }
    term_session *s = m->head;
    while (s && strcmp(s->id, id ? id : "") != 0)
        s = s->next;
    if (s) {
        atomic_fetch_add(&s->refs, 1);
        pthread_mutex_lock(&s->mu);
        s->last_activity_ns = a0ipc_mono_ns();
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (!s)
        a0ipc_status_set(st, A0IPC_NOT_FOUND, "no session \"%s\"", id ? id : "");
    return s;
}

bool a0ipc_term_owned_by(a0ipc_term_manager *m, const char *id, const char *owner)
{
    bool owned = false;
    pthread_mutex_lock(&m->mu);
    for (term_session *s = m->head; s && !owned; s = s->next)
        owned = !strcmp(s->id, id ? id : "") && !strcmp(s->owner, owner ? owner : "");
    pthread_mutex_unlock(&m->mu);
    return owned;
}

static bool is_bash(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    return strcmp(base, "bash") == 0;
}

/* Waits until bash printed its first marker. */
static a0ipc_code wait_ready(a0ipc_term_manager *m, term_session *s,
                             const a0ipc_term_create_opts *o, a0ipc_status *st)
{
    char *setup = a0ipc_term_marker_setup(s->marker_nonce);
    if (!setup)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    a0ipc_code rc = a0ipc_term_session_write(s, setup, strlen(setup), m->cfg.start_timeout_ms, st);
    free(setup);
    if (rc != A0IPC_OK)
        return rc;
    int64_t deadline = a0ipc_mono_ns() + (int64_t)m->cfg.start_timeout_ms * 1000000;
    bool gave_up = false;
    pthread_mutex_lock(&s->mu);
    while (s->phase == PHASE_STARTING && !s->shell_exited && a0ipc_mono_ns() < deadline) {
        int64_t next = a0ipc_mono_ns() + 50 * 1000000LL;
        a0ipc_term_cond_wait_until(&s->cv, &s->mu,
                                   o->should_stop && next < deadline ? next : deadline);
        if (o->should_stop && s->phase == PHASE_STARTING && o->should_stop(o->stop_arg)) {
            gave_up = true;
            break;
        }
    }
    term_phase phase = s->phase;
    bool exited = s->shell_exited;
    int status = s->shell_status;
    pthread_mutex_unlock(&s->mu);
    if (phase == PHASE_LIVE)
        return A0IPC_OK;
    if (gave_up)
        return a0ipc_status_set(st, A0IPC_CANCELLED, "the call ended before the shell was ready");
    if (exited && WIFEXITED(status))
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "the shell exited with status %d before it was ready",
                                WEXITSTATUS(status));
    if (exited)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "the shell was killed by signal %d before it was ready",
                                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return a0ipc_status_set(st, A0IPC_DEADLINE_EXCEEDED,
                            "bash did not become ready within %u ms (do its start-up files wait "
                            "for input?)",
                            m->cfg.start_timeout_ms);
}

a0ipc_code a0ipc_term_create(a0ipc_term_manager *m, const a0ipc_term_create_opts *o,
                             a0ipc_term_created *out, a0ipc_status *st)
{
    if (o->rows > 65535 || o->cols > 65535)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "rows and cols must be <= 65535");
    pthread_mutex_lock(&m->mu);
    if (m->stopping) {
        pthread_mutex_unlock(&m->mu);
        return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "the terminal service is shutting down");
    }
    if (m->n_sessions >= m->cfg.max_sessions) {
        int n = m->n_sessions;
        pthread_mutex_unlock(&m->mu);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED,
                                "the daemon already has %d sessions (its max_sessions)", n);
    }
    m->n_sessions++; /* reserved now, so concurrent creates cannot pass the limit */
    pthread_mutex_unlock(&m->mu);

    term_session *s = calloc(1, sizeof *s);
    if (!s) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto unreserve;
    }
    s->mgr = m;
    atomic_init(&s->refs, 1);
    s->master = s->pidfd = s->wfd = -1;
    s->tree.cg_procs_fd = -1;
    s->master_tag = (io_tag){IO_MASTER, s};
    s->pid_tag = (io_tag){IO_PIDFD, s};
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    a0ipc_term_cond_init(&s->cv);
    snprintf(s->owner, sizeof s->owner, "%s", o->owner ? o->owner : "");
    s->rows = o->rows ? o->rows : DEFAULT_ROWS;
    s->cols = o->cols ? o->cols : DEFAULT_COLS;
    s->ttl_s = o->idle_ttl_s ? o->idle_ttl_s : m->cfg.default_idle_ttl_s;
    if (s->ttl_s > m->cfg.max_idle_ttl_s)
        s->ttl_s = m->cfg.max_idle_ttl_s;

    int rnd = a0ipc_term_random_hex(s->id);
    if (rnd == 0)
        rnd = a0ipc_term_random_hex(s->marker_nonce);
    if (rnd != 0) {
        a0ipc_status_from_errno(st, -rnd, "getrandom");
        goto fail;
    }
    if (a0ipc_term_ring_init(&s->ring, m->cfg.ring_bytes) != 0) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory for the output ring");
        goto fail;
    }
    const char *default_argv[] = {m->cfg.shell, NULL};
    const char *const *argv = o->argc ? o->argv : default_argv;
    size_t argc = o->argc ? o->argc : 1;
    a0ipc_term_child child;
    char env_id[64];
    snprintf(env_id, sizeof env_id, "A0IPC_SESSION_ID=%s", s->id);
    const char *extra[] = {"TERM=xterm-256color", env_id, NULL};
    if (a0ipc_term_child_prepare(&child, &m->cfg, argv, argc, o->cwd, o->env, o->n_env, extra,
                                 st) != A0IPC_OK)
        goto fail;
    s->argv = copy_strv((const char *const *)child.argv);
    s->integration = is_bash(child.argv[0]);
    if (!s->argv || a0ipc_term_tree_init(&s->tree, m->cgroup_base, s->id, st) != A0IPC_OK) {
        if (!s->argv)
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        a0ipc_term_child_release(&child);
        goto fail;
    }
    child.cgroup_procs_fd = s->tree.cg_procs_fd;
    a0ipc_code rc =
        a0ipc_term_spawn_pty(&child, s->rows, s->cols, !s->integration, &s->pid, &s->master, st);
    a0ipc_term_child_release(&child);
    if (s->tree.cg_procs_fd >= 0) { /* the shell joined; descendants follow by themselves */
        close(s->tree.cg_procs_fd);
        s->tree.cg_procs_fd = -1;
    }
    if (rc != A0IPC_OK)
        goto fail;
    s->tree.sid = s->pid;
    s->wfd = fcntl(s->master, F_DUPFD_CLOEXEC, 0);
    if (s->wfd < 0) {
        a0ipc_status_from_errno(st, errno, "dup");
        kill(s->pid, SIGKILL);
        int status;
        a0ipc_reaper_wait(s->pid, &status, -1, -1);
        s->shell_exited = true;
        goto fail;
    }
    s->pidfd = a0ipc_pidfd_open(s->pid);
    fcntl(s->pidfd, F_SETFD, FD_CLOEXEC);
    s->phase = s->integration ? PHASE_STARTING : PHASE_LIVE;
    a0ipc_term_marker_init(&s->marker, s->marker_nonce);
    s->created_unix_ms = unix_ms();
    s->last_activity_ns = s->last_output_ns = a0ipc_mono_ns();

    atomic_fetch_add(&s->refs, 1); /* ours, next to the table's */
    pthread_mutex_lock(&m->mu);
    s->in_table = true;
    s->prev = m->tail;
    if (m->tail)
        m->tail->next = s;
    else
        m->head = s;
    m->tail = s;
    pthread_mutex_unlock(&m->mu);
    a0ipc_term_io_wake(m); /* it registers the PTY and the pidfd */

    if (s->integration && wait_ready(m, s, o, st) != A0IPC_OK) {
        pthread_mutex_lock(&s->mu);
        s->close_requested = s->remove_when_ended = true;
        s->close_grace_ms = 0; /* the configured grace: its start-up files may want to clean up */
        pthread_mutex_unlock(&s->mu);
        a0ipc_term_io_wake(m);
        a0ipc_term_session_unref(s);
        return st->code;
    }
    memcpy(out->id, s->id, sizeof out->id);
    out->pid = s->pid;
    out->exact_completion = s->integration;
    A0IPC_LOGI("terminal: session %s started: %s (pid %d)", s->id, s->argv[0], (int)s->pid);
    a0ipc_term_session_unref(s);
    return A0IPC_OK;

fail:
    if (s)
        session_free(s);
unreserve:
    pthread_mutex_lock(&m->mu);
    m->n_sessions--;
    pthread_mutex_unlock(&m->mu);
    return st->code;
}

a0ipc_code a0ipc_term_session_write(term_session *s, const void *data, size_t len,
                                    unsigned timeout_ms, a0ipc_status *st)
{
    const uint8_t *p = data;
    size_t off = 0;
    int64_t deadline = a0ipc_mono_ns() + (int64_t)timeout_ms * 1000000;
    a0ipc_code rc = A0IPC_OK;
    pthread_mutex_lock(&s->write_mu);
    while (off < len) {
        ssize_t n = write(s->wfd, p + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            int64_t left_ms = (deadline - a0ipc_mono_ns()) / 1000000;
            if (left_ms <= 0) {
                rc = a0ipc_status_set(st, A0IPC_DEADLINE_EXCEEDED,
                                      "the terminal took only %zu of %zu bytes in %u ms (the "
                                      "program is not reading its input)",
                                      off, len, timeout_ms);
                break;
            }
            struct pollfd pfd = {.fd = s->wfd, .events = POLLOUT};
            poll(&pfd, 1, (int)(left_ms > 1000 ? 1000 : left_ms));
            continue;
        }
        if (n < 0 && errno == EIO)
            rc = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "session %s has ended", s->id);
        else
            rc = a0ipc_status_from_errno(st, n < 0 ? errno : EIO, "writing to session %s", s->id);
        break;
    }
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

static int write_file(const char *path, const char *data, size_t len,
                      const a0ipc_terminal_config *cfg)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        off += (size_t)n;
    }
    if ((cfg->uid >= 0 || cfg->gid >= 0) &&
        fchown(fd, cfg->uid >= 0 ? (uid_t)cfg->uid : (uid_t)-1,
               cfg->gid >= 0 ? (gid_t)cfg->gid : (gid_t)-1) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

const char *a0ipc_term_session_cmd_file(term_session *s, const char *cmd, size_t len,
                                        a0ipc_status *st)
{
    const a0ipc_terminal_config *cfg = &s->mgr->cfg;
    if (!s->cmd_dir) {
        char *dir;
        if (asprintf(&dir, "%s/a0ipc-cmd-XXXXXX", cfg->tmp_dir) < 0) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            return NULL;
        }
        if (!mkdtemp(dir)) {
            a0ipc_status_from_errno(st, errno, "creating a directory in %s", cfg->tmp_dir);
            free(dir);
            return NULL;
        }
        /* The session's user reads the command; nobody else may. */
        if ((cfg->uid >= 0 || cfg->gid >= 0) &&
            chown(dir, cfg->uid >= 0 ? (uid_t)cfg->uid : (uid_t)-1,
                  cfg->gid >= 0 ? (gid_t)cfg->gid : (gid_t)-1) != 0) {
            a0ipc_status_from_errno(st, errno, "giving %s to the session's user", dir);
            rmdir(dir);
            free(dir);
            return NULL;
        }
        char *path;
        if (asprintf(&path, "%s/cmd", dir) < 0) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            rmdir(dir);
            free(dir);
            return NULL;
        }
        s->cmd_dir = dir;
        s->cmd_path = path;
    }
    if (write_file(s->cmd_path, cmd, len, cfg) != 0) {
        a0ipc_status_from_errno(st, errno, "writing %s", s->cmd_path);
        return NULL;
    }
    return s->cmd_path;
}

/* FAILED_PRECONDITION unless the session's processes may still be running. Under s->mu. */
static a0ipc_code check_running(term_session *s, a0ipc_status *st)
{
    if (s->phase == PHASE_ENDED)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "session %s has ended", s->id);
    return A0IPC_OK;
}

/* In canonical (line) mode the terminal keeps at most this many bytes of a line; what comes
 * after is dropped without a word (Linux's N_TTY_BUF_SIZE less the line end). */
#define CANON_LINE_MAX 4095

static bool line_end(const struct termios *t, unsigned char c)
{
    return c == '\n' || (c == '\r' && (t->c_iflag & ICRNL) && !(t->c_iflag & IGNCR)) ||
           (c && (c == t->c_cc[VEOL] || c == t->c_cc[VEOL2] || c == t->c_cc[VEOF]));
}

/* Whether writing data would overflow a canonical-mode line (the pending bytes counted); on
 * false, *pending is what is pending after it. */
static bool canon_fits(int fd, const unsigned char *data, size_t len, size_t *pending)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0 || !(t.c_lflag & ICANON)) {
        *pending = 0; /* raw mode (readline, editors): every byte is read as it comes */
        return true;
    }
    size_t run = *pending;
    for (size_t i = 0; i < len; i++) {
        if (line_end(&t, data[i]))
            run = 0;
        else if (++run > CANON_LINE_MAX)
            return false;
    }
    *pending = run;
    return true;
}

a0ipc_code a0ipc_term_write(a0ipc_term_manager *m, const char *id, const void *data, size_t len,
                            unsigned timeout_ms, a0ipc_status *st)
{
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    pthread_mutex_lock(&s->mu);
    a0ipc_code rc = check_running(s, st);
    pthread_mutex_unlock(&s->mu);
    if (rc == A0IPC_OK) {
        /* The count is kept under write_mu, which session_write takes for the write itself;
         * two Writes at the very same time may both pass the check (each is whole, in order). */
        pthread_mutex_lock(&s->write_mu);
        size_t pending = s->canon_pending;
        bool fits = canon_fits(s->wfd, data, len, &pending);
        pthread_mutex_unlock(&s->write_mu);
        if (!fits) {
            rc = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                  "session %s: its terminal is in line (canonical) mode, which "
                                  "keeps at most %d bytes of a line and drops the rest: nothing "
                                  "was written; end lines sooner, or put the program's terminal "
                                  "in raw mode",
                                  s->id, CANON_LINE_MAX);
        } else {
            rc = a0ipc_term_session_write(s, data, len,
                                          timeout_ms ? timeout_ms : m->cfg.write_timeout_ms, st);
            pthread_mutex_lock(&s->write_mu);
            s->canon_pending = rc == A0IPC_OK ? pending : 0;
            pthread_mutex_unlock(&s->write_mu);
        }
    }
    a0ipc_term_session_unref(s);
    return rc;
}

a0ipc_code a0ipc_term_resize(a0ipc_term_manager *m, const char *id, unsigned rows, unsigned cols,
                             a0ipc_status *st)
{
    if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                "rows and cols must be 1 to 65535 (got %u x %u)", rows, cols);
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    pthread_mutex_lock(&s->mu);
    a0ipc_code rc = check_running(s, st);
    if (rc == A0IPC_OK) {
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        if (ioctl(s->wfd, TIOCSWINSZ, &ws) != 0) {
            rc = a0ipc_status_from_errno(st, errno, "resizing session %s", s->id);
        } else {
            s->rows = rows;
            s->cols = cols;
        }
    }
    pthread_mutex_unlock(&s->mu);
    a0ipc_term_session_unref(s);
    return rc;
}

a0ipc_code a0ipc_term_signal(a0ipc_term_manager *m, const char *id, int sig, bool whole_session,
                             int *count, a0ipc_status *st)
{
    if (sig < 1 || sig > 64)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "signal %d is not 1 to 64", sig);
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    pthread_mutex_lock(&s->mu); /* the tree is torn down under it when the session ends */
    a0ipc_code rc = check_running(s, st);
    if (rc == A0IPC_OK && whole_session) {
        *count = a0ipc_term_tree_signal(&s->tree, sig);
    } else if (rc == A0IPC_OK) {
        pid_t pgrp = tcgetpgrp(s->wfd);
        if (pgrp <= 0)
            rc = a0ipc_status_from_errno(st, errno, "session %s has no foreground process group",
                                         s->id);
        else if (kill(-pgrp, sig) != 0)
            rc = a0ipc_status_from_errno(st, errno, "signalling process group %d", (int)pgrp);
        else
            *count = (int)pgrp;
    }
    pthread_mutex_unlock(&s->mu);
    a0ipc_term_session_unref(s);
    return rc;
}

static void split_status(int status, int *exit_code, int *sig)
{
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

a0ipc_code a0ipc_term_close(a0ipc_term_manager *m, const char *id, unsigned grace_ms,
                            int *exit_code, int *signal, a0ipc_status *st)
{
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    pthread_mutex_lock(&s->mu);
    if (grace_ms > m->cfg.max_close_grace_ms)
        grace_ms = m->cfg.max_close_grace_ms; /* a client cannot hold a shell (and shutdown) */
    if (s->phase != PHASE_ENDED && !s->close_requested) {
        s->close_requested = true;
        s->close_grace_ms = grace_ms;
    }
    pthread_mutex_unlock(&s->mu);
    a0ipc_term_io_wake(m);
    pthread_mutex_lock(&s->mu);
    while (s->phase != PHASE_ENDED)
        pthread_cond_wait(&s->cv, &s->mu);
    split_status(s->shell_status, exit_code, signal);
    pthread_mutex_unlock(&s->mu);
    a0ipc_term_table_remove(m, s);
    A0IPC_LOGI("terminal: session %s closed", s->id);
    a0ipc_term_session_unref(s);
    return A0IPC_OK;
}

a0ipc_code a0ipc_term_list(a0ipc_term_manager *m, a0ipc_term_info **out, size_t *n,
                           a0ipc_status *st)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&m->mu);
    size_t count = 0;
    for (term_session *s = m->head; s; s = s->next)
        count++;
    a0ipc_term_info *v = calloc(count ? count : 1, sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&m->mu);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    int64_t now_ns = a0ipc_mono_ns(), now_ms = unix_ms();
    size_t i = 0;
    bool oom = false;
    for (term_session *s = m->head; s; s = s->next, i++) {
        a0ipc_term_info *e = &v[i];
        pthread_mutex_lock(&s->mu);
        memcpy(e->id, s->id, sizeof e->id);
        memcpy(e->owner, s->owner, sizeof e->owner);
        e->pid = s->pid;
        switch (s->phase) {
        case PHASE_STARTING:
            e->state = A0IPC_TERM_STATE_BUSY;
            break;
        case PHASE_LIVE:
            e->state = s->run_id ? A0IPC_TERM_STATE_BUSY : A0IPC_TERM_STATE_IDLE;
            break;
        case PHASE_CLOSING:
            e->state = A0IPC_TERM_STATE_CLOSING;
            break;
        case PHASE_ENDED:
            e->state = A0IPC_TERM_STATE_EXITED;
            split_status(s->shell_status, &e->exit_code, &e->signal);
            break;
        }
        e->created_unix_ms = s->created_unix_ms;
        e->last_activity_unix_ms = now_ms - (now_ns - s->last_activity_ns) / 1000000;
        if (s->run_cmd && !(e->running_command = strdup(s->run_cmd)))
            oom = true;
        e->end_seq = a0ipc_term_ring_end(&s->ring);
        if (!(e->argv = copy_strv((const char *const *)s->argv)))
            oom = true;
        e->rows = s->rows;
        e->cols = s->cols;
        e->exact_completion = s->integration;
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (oom) {
        a0ipc_term_info_free(v, count);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    *out = v;
    *n = count;
    return A0IPC_OK;
}

void a0ipc_term_info_free(a0ipc_term_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].running_command);
        free_strv(v[i].argv);
    }
    free(v);
}
