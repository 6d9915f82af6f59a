/* The manager's I/O thread: reads every session's PTY, turns the bytes into the session's output
 * stream (markers out, UTF-8 kept whole), notices shells that end, runs the close sequence and
 * reaps idle sessions. It never blocks on anything but epoll_wait: readers and writers are other
 * threads, and the close sequence is a state machine advanced on each pass, not a sleep. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "services/term_internal.h"
#include "services/term_reaper.h"
#include "services/term_utf8.h"

#define READ_MAX    (64 * 1024)
#define READ_ROUNDS 16 /* reads per session per event, so one busy session cannot starve others */
/* The most a PTY master hands out per read (a line discipline buffer less one): a read this
 * size may leave more behind. */
#define PTY_READ_FULL   4095
#define NS_PER_S        1000000000LL
#define TICK_NS         NS_PER_S
#define CLOSING_POLL_MS 20

/* Bytes of ring a read needs free beyond its data: the held UTF-8 and marker bytes. */
#define RING_SLACK (A0IPC_TERM_MARKER_MAX + 8)

static void epoll_set(a0ipc_term_manager *m, int fd, io_tag *tag, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.ptr = tag};
    if (epoll_ctl(m->epfd, op, fd, &ev) != 0 && op != EPOLL_CTL_DEL)
        A0IPC_LOGE("terminal: epoll_ctl: %s", strerror(errno));
}

/* ---- output ---- */

/* Appends plain output to the ring, holding back an unfinished UTF-8 sequence at its end. */
static void append_plain(a0ipc_term_manager *m, term_session *s, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    const uint8_t *data = p;
    size_t total = n;
    if (s->u8hold_len) {
        memcpy(m->scratch2, s->u8hold, s->u8hold_len);
        memcpy(m->scratch2 + s->u8hold_len, p, n);
        data = m->scratch2;
        total = s->u8hold_len + n;
    }
    size_t k = a0ipc_utf8_incomplete_tail(data, total);
    a0ipc_term_ring_write(&s->ring, data, total - k);
    memmove(s->u8hold, data + total - k, k);
    s->u8hold_len = k;
    if (total > k)
        s->last_output_ns = s->last_activity_ns = a0ipc_mono_ns();
}

static void flush_u8hold(term_session *s)
{
    if (!s->u8hold_len)
        return;
    a0ipc_term_ring_write(&s->ring, s->u8hold, s->u8hold_len);
    s->u8hold_len = 0;
    s->last_output_ns = s->last_activity_ns = a0ipc_mono_ns();
}

/* Where the shell is: /proc/PID/cwd, malloc'ed; NULL when it cannot be read. Read by the
 * daemon when a command completes so a client that shows a prompt line needs no extra call. */
static char *shell_cwd(pid_t pid)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
    for (size_t cap = 256; cap <= 65536; cap *= 4) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        ssize_t n = readlink(link, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf); /* truncated: try a larger buffer */
    }
    return NULL;
}

static void on_marker(term_session *s, const a0ipc_term_mark *mk)
{
    /* A sequence left unfinished before the marker will not be finished by what follows. */
    flush_u8hold(s);
    if (s->phase == PHASE_STARTING) {
        s->phase = PHASE_LIVE; /* the prompt after our set-up line: ready */
        return;
    }
    if (mk->id == 0 || mk->id != s->run_id)
        return; /* a prompt after input typed with Write, an interrupt at the prompt */
    term_completion *c = &s->done[s->n_done % A0IPC_TERM_COMPLETIONS];
    c->seq = a0ipc_term_ring_end(&s->ring);
    c->id = mk->id;
    c->exit_code = mk->exit_code;
    free(c->cwd); /* the completion this slot held A0IPC_TERM_COMPLETIONS commands ago */
    c->cwd = shell_cwd(s->pid);
    s->n_done++;
    /* The command has ended: its Run no longer holds the session back. The rest of its output
     * is in the ring; a reader that does not read it before later output overwrites it is told
     * so (term_reader.c), instead of blocking the session for every later command. */
    if (s->flow_id == mk->id)
        s->flow_id = 0;
    s->run_id = 0;
    free(s->run_cmd);
    s->run_cmd = NULL;
}

/* Takes bytes read from the PTY. Under s->mu, on the I/O thread (it uses the scratch). */
static void feed(a0ipc_term_manager *m, term_session *s, const uint8_t *p, size_t n)
{
    if (!s->integration) {
        append_plain(m, s, p, n);
        return;
    }
    while (n > 0) {
        size_t out_len;
        bool found;
        a0ipc_term_mark mk;
        size_t used = a0ipc_term_marker_feed(&s->marker, p, n, m->scratch + READ_MAX + 16, &out_len,
                                             &found, &mk);
        if (s->phase != PHASE_STARTING) /* before bash is set up: its banner, our set-up line */
            append_plain(m, s, m->scratch + READ_MAX + 16, out_len);
        if (found)
            on_marker(s, &mk);
        p += used;
        n -= used;
    }
}

/* The end of the stream: whatever is held is output after all. */
static void feed_end(a0ipc_term_manager *m, term_session *s)
{
    if (s->integration) {
        uint8_t held[A0IPC_TERM_MARKER_MAX];
        size_t n = a0ipc_term_marker_flush(&s->marker, held);
        if (s->phase != PHASE_STARTING)
            append_plain(m, s, held, n);
    }
    flush_u8hold(s);
}

/* How many bytes the ring can take without overwriting what the Run reader has not read. */
static size_t room(const term_session *s)
{
    if (!s->flow_id)
        return READ_MAX;
    uint64_t used = a0ipc_term_ring_end(&s->ring) - s->flow_pos;
    if (used + RING_SLACK + 4096 > s->ring.cap)
        return 0;
    size_t free_bytes = (size_t)(s->ring.cap - used - RING_SLACK);
    return free_bytes < READ_MAX ? free_bytes : READ_MAX;
}

/* Reads what the terminal has, then wakes the readers once. A PTY hands out at most one line
 * discipline buffer per read (4095 bytes), so a full read says little about what is left: keep
 * reading while reads come back full, up to READ_ROUNDS, and stop at the first short one (the
 * buffer was empty then; epoll says when there is more). Waking the readers once per burst
 * instead of once per read saves a wake-up and a send per 4 KiB for bulk output; the broadcast
 * comes after the unlock so a woken reader does not block at once on the mutex still held. */
static void pump(a0ipc_term_manager *m, term_session *s)
{
    bool woke = false;
    for (int round = 0; round < READ_ROUNDS; round++) {
        pthread_mutex_lock(&s->mu);
        size_t want = s->master >= 0 && !s->io_paused && !s->eof ? room(s) : 0;
        if (want == 0 && s->master >= 0 && !s->io_paused && !s->eof) {
            /* Flow control: stop listening until the Run reader catches up. */
            s->io_paused = true;
            epoll_set(m, s->master, &s->master_tag, 0, EPOLL_CTL_MOD);
        }
        pthread_mutex_unlock(&s->mu);
        if (want == 0)
            break;
        ssize_t n = read(s->master, m->scratch, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        pthread_mutex_lock(&s->mu);
        if (n > 0) {
            feed(m, s, m->scratch, (size_t)n);
        } else {
            /* EIO: every process closed the terminal. The fd would stay readable forever. */
            s->eof = true;
            epoll_set(m, s->master, &s->master_tag, 0, EPOLL_CTL_DEL);
        }
        pthread_mutex_unlock(&s->mu);
        woke = true;
        if (n <= 0 || ((size_t)n < want && (size_t)n < PTY_READ_FULL))
            break;
    }
    if (woke)
        pthread_cond_broadcast(&s->cv);
}

/* ---- processes ---- */

/* Under s->mu. */
static void check_shell(term_session *s)
{
    int status;
    if (!s->shell_exited && a0ipc_reaper_check(s->pid, &status) == 1) {
        s->shell_exited = true;
        s->shell_status = status;
        pthread_cond_broadcast(&s->cv);
    }
}

static void remember(term_session *s, const pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < s->n_seen && !known; j++)
            known = s->seen[j] == pids[i];
        if (known)
            continue;
        if (s->n_seen == s->cap_seen) {
            size_t cap = s->cap_seen ? s->cap_seen * 2 : 16;
            pid_t *p = realloc(s->seen, cap * sizeof *p);
            if (!p)
                return; /* we still kill by membership; we only wait less carefully */
            s->seen = p;
            s->cap_seen = cap;
        }
        s->seen[s->n_seen++] = pids[i];
    }
}

static void start_close(a0ipc_term_manager *m, term_session *s, int64_t now)
{
    s->phase = PHASE_CLOSING;
    s->step = CLOSE_HUP;
    unsigned grace = s->close_grace_ms ? s->close_grace_ms : m->cfg.close_grace_ms;
    s->step_deadline_ns = now + (int64_t)grace * 1000000;
    remember(s, &s->pid, 1);
    pid_t *pids;
    size_t n;
    if (a0ipc_term_tree_members(&s->tree, &pids, &n) == 0) {
        remember(s, pids, n);
        /* SIGCONT too, or a stopped job would never see its SIGHUP. */
        for (size_t i = 0; i < n; i++) {
            kill(pids[i], SIGHUP);
            kill(pids[i], SIGCONT);
        }
        free(pids);
    }
    pthread_cond_broadcast(&s->cv);
}

/* One step of the close sequence; true once every process has ended. Under s->mu. */
static bool close_advance(a0ipc_term_manager *m, term_session *s, int64_t now)
{
    a0ipc_reaper_sweep();
    check_shell(s);
    pid_t *pids = NULL;
    size_t n = 0;
    if (a0ipc_term_tree_members(&s->tree, &pids, &n) != 0)
        n = 0;
    remember(s, pids, n);
    free(pids);
    if (s->step == CLOSE_HUP) {
        if (n > 0 && now < s->step_deadline_ns)
            return false;
        if (n > 0)
            a0ipc_term_tree_kill(&s->tree);
        s->step = CLOSE_KILL;
        s->step_deadline_ns = now + (int64_t)m->cfg.kill_wait_ms * 1000000;
        return false;
    }
    if (n > 0)
        a0ipc_term_tree_kill(&s->tree); /* a process forked after the last kill */
    bool gone = n == 0;
    for (size_t i = 0; gone && i < s->n_seen; i++)
        gone = a0ipc_term_pid_gone(s->seen[i]);
    if (gone && s->shell_exited)
        return true;
    if (now >= s->step_deadline_ns) {
        A0IPC_LOGW("terminal: session %s: processes still present %u ms after SIGKILL", s->id,
                   m->cfg.kill_wait_ms);
        return true;
    }
    return false;
}

static void remove_dir(term_session *s)
{
    if (s->cmd_path)
        unlink(s->cmd_path);
    if (s->cmd_dir)
        rmdir(s->cmd_dir);
}

/* Every process has ended: read what is left, close the PTY. Under m->mu and s->mu. */
static void finish(a0ipc_term_manager *m, term_session *s)
{
    for (int i = 0; i < 64 && s->master >= 0 && !s->eof; i++) {
        ssize_t n = read(s->master, m->scratch, READ_MAX);
        if (n <= 0)
            break;
        feed(m, s, m->scratch, (size_t)n);
    }
    feed_end(m, s);
    if (s->registered) {
        epoll_set(m, s->master, &s->master_tag, 0, EPOLL_CTL_DEL);
        if (s->pidfd >= 0)
            epoll_set(m, s->pidfd, &s->pid_tag, 0, EPOLL_CTL_DEL);
        s->registered = false;
    }
    close(s->master);
    s->master = -1;
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->pidfd = -1;
    if (!s->shell_exited) { /* gave up waiting: let a later sweep reap it */
        a0ipc_reaper_forget(s->pid);
        s->shell_exited = true;
        s->shell_status = SIGKILL; /* as waitpid reports death by SIGKILL */
    }
    a0ipc_term_tree_destroy(&s->tree);
    remove_dir(s);
    s->phase = PHASE_ENDED;
    s->run_id = 0;
    free(s->run_cmd);
    s->run_cmd = NULL;
    s->flow_id = 0;
    s->last_activity_ns = a0ipc_mono_ns();
    pthread_cond_broadcast(&s->cv);
    pthread_cond_broadcast(&m->cv);
}

/* One pass over the sessions. Returns how long the next epoll_wait may sleep. */
static int housekeeping(a0ipc_term_manager *m)
{
    int64_t now = a0ipc_mono_ns();
    bool tick = now >= m->next_tick_ns;
    if (tick) {
        a0ipc_reaper_sweep(); /* adopted orphans of sessions */
        m->next_tick_ns = now + TICK_NS;
    }
    int timeout = 1000;
    term_session *drop = NULL; /* sessions leaving the table, unref'd after the locks */

    pthread_mutex_lock(&m->mu);
    for (term_session *s = m->head, *next; s; s = next) {
        next = s->next;
        pthread_mutex_lock(&s->mu);
        if (!s->registered && s->master >= 0 && s->phase != PHASE_ENDED) {
            epoll_set(m, s->master, &s->master_tag, EPOLLIN, EPOLL_CTL_ADD);
            if (s->pidfd >= 0)
                epoll_set(m, s->pidfd, &s->pid_tag, EPOLLIN, EPOLL_CTL_ADD);
            s->registered = true;
        }
        if (!s->shell_exited && (tick || s->pidfd < 0))
            check_shell(s);
        if (s->io_paused && room(s) > 0) {
            s->io_paused = false;
            epoll_set(m, s->master, &s->master_tag, EPOLLIN, EPOLL_CTL_MOD);
        }
        int64_t idle_ns = now - s->last_activity_ns;
        bool expired = tick && s->readers == 0 && idle_ns >= (int64_t)s->ttl_s * NS_PER_S;
        if (expired && s->phase == PHASE_LIVE && !s->close_requested) {
            A0IPC_LOGI("terminal: session %s idle for %u s: closing it", s->id, s->ttl_s);
            s->close_requested = s->remove_when_ended = true;
        }
        if (expired && s->phase == PHASE_ENDED)
            s->remove_when_ended = true;
        if ((s->close_requested || s->shell_exited) && s->phase < PHASE_CLOSING)
            start_close(m, s, now);
        if (s->phase == PHASE_CLOSING) {
            if (close_advance(m, s, now))
                finish(m, s);
            else
                timeout = CLOSING_POLL_MS;
        }
        if (s->phase == PHASE_ENDED && s->remove_when_ended && s->in_table) {
            a0ipc_term_table_unlink(m, s);
            s->next = drop;
            drop = s;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&m->mu);
    while (drop) {
        term_session *s = drop;
        drop = s->next;
        s->next = NULL;
        a0ipc_term_session_unref(s);
    }
    int64_t to_tick = (m->next_tick_ns - now) / 1000000 + 1;
    return to_tick < timeout ? (int)to_tick : timeout;
}

void *a0ipc_term_io_main(void *arg)
{
    a0ipc_term_manager *m = arg;
    struct epoll_event evs[64];
    int timeout = 0;
    while (!atomic_load(&m->io_quit)) {
        int n = epoll_wait(m->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            A0IPC_LOGE("terminal: epoll_wait: %s", strerror(errno));
            n = 0;
        }
        for (int i = 0; i < n; i++) {
            io_tag *t = evs[i].data.ptr;
            if (t->kind == IO_WAKE) {
                uint64_t v;
                ssize_t r = read(m->evfd, &v, sizeof v);
                (void)r;
            } else if (t->kind == IO_MASTER) {
                pump(m, t->s);
            } else {
                /* The shell ended. The pidfd stays readable: stop watching it. */
                pthread_mutex_lock(&t->s->mu);
                a0ipc_reaper_sweep();
                check_shell(t->s);
                if (t->s->shell_exited)
                    epoll_set(m, t->s->pidfd, &t->s->pid_tag, 0, EPOLL_CTL_DEL);
                pthread_mutex_unlock(&t->s->mu);
            }
        }
        timeout = housekeeping(m);
    }
    return NULL;
}

void a0ipc_term_io_wake(a0ipc_term_manager *m)
{
    uint64_t one = 1;
    ssize_t r = write(m->evfd, &one, sizeof one);
    (void)r; /* a full counter already means "wake up" */
}
