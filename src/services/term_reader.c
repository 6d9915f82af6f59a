/* Run and Attach: typing a command, and reading a session's output stream from the ring with
 * the events that belong in it (losses, completions, the session's end, Run's timeouts). A
 * reader is a position in the stream; it copies out of the ring under the session's mutex and
 * hands the bytes to its caller, so any number of readers share one copy of the output. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/clock.h"
#include "services/term_clean.h"
#include "common/term_dialog.h"
#include "services/term_internal.h"
#include "services/term_shell.h"

#define EVENT_MAX    (64 * 1024) /* bytes of output per event */
#define DIALOG_TAIL  2048        /* bytes of output looked at for a dialog */
#define RUN_CMD_KEEP 4096        /* bytes of a running command kept for messages and listings */

struct a0ipc_term_cursor {
    term_session *s; /* referenced */
    bool is_run;
    uint64_t pos;       /* the next byte to read */
    uint64_t done_next; /* Attach: the next completion to report (absolute index) */
    atomic_bool stopped;
    bool finished, final_pending;
    a0ipc_term_event final;
    uint8_t *buf;
    a0ipc_term_text text;
    /* Run */
    uint64_t run_id, start_seq;
    int64_t start_ns, dialog_checked_ns;
    unsigned first_ms, between_ms, total_ms, dialog_ms;
    a0ipc_term_dialog *dialog;
    a0ipc_term_cleaner *clean;
    char *cwd; /* the last DONE's cwd: the completion's own copy may be reused meanwhile */
};

static a0ipc_term_cursor *cursor_new(term_session *s, bool is_run)
{
    a0ipc_term_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->buf = malloc(EVENT_MAX);
    if (!c->buf) {
        free(c);
        return NULL;
    }
    c->s = s;
    c->is_run = is_run;
    atomic_init(&c->stopped, false);
    return c;
}

static void cursor_release(a0ipc_term_cursor *c)
{
    a0ipc_term_dialog_free(c->dialog);
    a0ipc_term_clean_free(c->clean);
    a0ipc_term_text_free(&c->text);
    free(c->buf);
    free(c->cwd);
    free(c);
}

/* A Run reader that is done no longer holds its session's output back (if it still did: its
 * command may have ended long before, and a later Run may set the pace now). Under s->mu;
 * returns whether the I/O thread must be woken. */
static bool release_flow(a0ipc_term_cursor *c)
{
    term_session *s = c->s;
    if (!c->is_run)
        return false;
    /* Without a marker nothing else ever says the command ended: the Run's end must. */
    if (!s->integration && s->run_id == c->run_id) {
        s->run_id = 0;
        free(s->run_cmd);
        s->run_cmd = NULL;
    }
    if (s->flow_id != c->run_id)
        return false;
    s->flow_id = 0;
    return s->io_paused;
}

a0ipc_code a0ipc_term_run(a0ipc_term_manager *m, const char *id, const a0ipc_term_run_opts *o,
                          a0ipc_term_cursor **out, a0ipc_status *st)
{
    *out = NULL;
    if (memchr(o->command, '\0', o->command_len))
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "the command contains a NUL byte");
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    a0ipc_term_cursor *c = cursor_new(s, true);
    if (!c) {
        a0ipc_term_session_unref(s);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    c->first_ms = o->first_output_ms;
    c->between_ms = o->between_outputs_ms;
    c->total_ms = o->total_ms;
    c->dialog_ms = o->dialog_ms;
    if (o->dialog_ms &&
        !(c->dialog = a0ipc_term_dialog_new(o->dialog_patterns, o->n_dialog_patterns, st)))
        goto fail;
    if (o->clean_output && !(c->clean = a0ipc_term_clean_new(0))) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    size_t keep = o->command_len < RUN_CMD_KEEP ? o->command_len : RUN_CMD_KEEP;
    char *cmd_copy = strndup(o->command, keep);
    if (!cmd_copy) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }

    pthread_mutex_lock(&s->mu);
    if (s->phase != PHASE_LIVE) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "session %s %s", s->id,
                         s->phase == PHASE_CLOSING ? "is being closed" : "has ended");
        pthread_mutex_unlock(&s->mu);
        free(cmd_copy);
        goto fail;
    }
    if (s->run_id) {
        int64_t secs = (a0ipc_mono_ns() - s->run_started_ns) / 1000000000;
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "session %s is busy: command %" PRIu64 " (%.200s) has been running "
                         "for %" PRId64 " s; Attach to follow it, Signal to stop it",
                         s->id, s->run_id, s->run_cmd ? s->run_cmd : "", secs);
        pthread_mutex_unlock(&s->mu);
        free(cmd_copy);
        goto fail;
    }
    c->run_id = s->run_id = ++s->next_cmd;
    s->run_cmd = cmd_copy;
    c->start_ns = s->run_started_ns = a0ipc_mono_ns();
    c->pos = c->start_seq = a0ipc_term_ring_end(&s->ring);
    s->flow_id = c->run_id;
    s->flow_pos = c->pos;
    s->readers++;
    bool integration = s->integration;
    pthread_mutex_unlock(&s->mu);

    /* Type it. */
    size_t len = a0ipc_term_shell_trim(o->command, o->command_len);
    char *line = NULL;
    size_t line_len = 0;
    if (!integration) {
        line = malloc(len + 1);
        if (line) {
            memcpy(line, o->command, len);
            line[len] = '\n';
            line_len = len + 1;
        }
    } else if (a0ipc_term_shell_inline_ok(o->command, len)) {
        line = a0ipc_term_shell_line(c->run_id, o->command, len, NULL, &line_len);
    } else {
        const char *path = a0ipc_term_session_cmd_file(s, o->command, len, st);
        if (!path)
            goto undo;
        line = a0ipc_term_shell_line(c->run_id, NULL, 0, path, &line_len);
    }
    if (!line) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto undo;
    }
    a0ipc_code rc = a0ipc_term_session_write(s, line, line_len, m->cfg.write_timeout_ms, st);
    free(line);
    if (rc != A0IPC_OK)
        goto undo;
    *out = c;
    return A0IPC_OK;

undo:
    pthread_mutex_lock(&s->mu);
    if (s->run_id == c->run_id) {
        s->run_id = 0;
        free(s->run_cmd);
        s->run_cmd = NULL;
    }
    bool wake = release_flow(c);
    s->readers--;
    pthread_mutex_unlock(&s->mu);
    if (wake)
        a0ipc_term_io_wake(m);
fail:
    cursor_release(c);
    a0ipc_term_session_unref(s);
    return st->code;
}

a0ipc_code a0ipc_term_attach(a0ipc_term_manager *m, const char *id, uint64_t from_seq,
                             bool from_end, a0ipc_term_cursor **out, a0ipc_status *st)
{
    *out = NULL;
    term_session *s = a0ipc_term_session_get(m, id, st);
    if (!s)
        return st->code;
    a0ipc_term_cursor *c = cursor_new(s, false);
    if (!c) {
        a0ipc_term_session_unref(s);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    pthread_mutex_lock(&s->mu);
    uint64_t end = a0ipc_term_ring_end(&s->ring);
    if (!from_end && from_seq > end) {
        pthread_mutex_unlock(&s->mu);
        cursor_release(c);
        a0ipc_term_session_unref(s);
        return a0ipc_status_set(
            st, A0IPC_OUT_OF_RANGE,
            "from_seq %" PRIu64 " is beyond the end of the output (%" PRIu64 ")", from_seq, end);
    }
    c->pos = from_end ? end : from_seq;
    uint64_t first = s->n_done > A0IPC_TERM_COMPLETIONS ? s->n_done - A0IPC_TERM_COMPLETIONS : 0;
    c->done_next = first;
    /* from_end: live events only, not a completion that ended right here. */
    while (c->done_next < s->n_done &&
           (from_end || s->done[c->done_next % A0IPC_TERM_COMPLETIONS].seq < c->pos))
        c->done_next++;
    s->readers++;
    pthread_mutex_unlock(&s->mu);
    *out = c;
    return A0IPC_OK;
}

void a0ipc_term_cursor_wake(a0ipc_term_cursor *c)
{
    atomic_store(&c->stopped, true);
    pthread_mutex_lock(&c->s->mu);
    pthread_cond_broadcast(&c->s->cv);
    pthread_mutex_unlock(&c->s->mu);
}

void a0ipc_term_cursor_free(a0ipc_term_cursor *c)
{
    if (!c)
        return;
    term_session *s = c->s;
    pthread_mutex_lock(&s->mu);
    bool wake = release_flow(c);
    s->readers--;
    s->last_activity_ns = a0ipc_mono_ns(); /* the idle time starts when the last one leaves */
    pthread_mutex_unlock(&s->mu);
    if (wake)
        a0ipc_term_io_wake(s->mgr);
    cursor_release(c);
    a0ipc_term_session_unref(s);
}

/* Under s->mu: the Run's own completion, if it is in the list. */
static const term_completion *run_completion(const term_session *s, uint64_t run_id)
{
    uint64_t first = s->n_done > A0IPC_TERM_COMPLETIONS ? s->n_done - A0IPC_TERM_COMPLETIONS : 0;
    for (uint64_t i = s->n_done; i > first; i--) {
        const term_completion *d = &s->done[(i - 1) % A0IPC_TERM_COMPLETIONS];
        if (d->id == run_id)
            return d;
    }
    return NULL;
}

/* Under s->mu: the next completion an Attach reader has to report, skipping any that fell out
 * of the list or lie before its position (output it lost). */
static const term_completion *attach_completion(a0ipc_term_cursor *c)
{
    const term_session *s = c->s;
    uint64_t first = s->n_done > A0IPC_TERM_COMPLETIONS ? s->n_done - A0IPC_TERM_COMPLETIONS : 0;
    if (c->done_next < first)
        c->done_next = first;
    while (c->done_next < s->n_done && s->done[c->done_next % A0IPC_TERM_COMPLETIONS].seq < c->pos)
        c->done_next++;
    return c->done_next < s->n_done ? &s->done[c->done_next % A0IPC_TERM_COMPLETIONS] : NULL;
}

static void set_done(a0ipc_term_event *ev, a0ipc_term_done_reason reason, uint64_t last_seq,
                     uint64_t number)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = A0IPC_TERM_EV_DONE;
    ev->reason = reason;
    ev->last_seq = last_seq;
    ev->command_number = number;
}

/* Under s->mu: a Run timeout that has fired, or 0, and when the next could fire. */
static a0ipc_term_done_reason run_timeout(a0ipc_term_cursor *c, int64_t now, int64_t *wake_at)
{
    term_session *s = c->s;
    *wake_at = INT64_MAX;
#define AT(base, ms) ((base) + (int64_t)(ms)*1000000)
#define SOONER(t)                                                                                  \
    do {                                                                                           \
        if ((t) < *wake_at)                                                                        \
            *wake_at = (t);                                                                        \
    } while (0)
    if (c->total_ms) {
        if (now >= AT(c->start_ns, c->total_ms))
            return A0IPC_TERM_DONE_MAX_TIME;
        SOONER(AT(c->start_ns, c->total_ms));
    }
    if (a0ipc_term_ring_end(&s->ring) == c->start_seq) {
        if (c->first_ms) {
            if (now >= AT(c->start_ns, c->first_ms))
                return A0IPC_TERM_DONE_FIRST_OUTPUT_TIMEOUT;
            SOONER(AT(c->start_ns, c->first_ms));
        }
        return 0;
    }
    int64_t last = s->last_output_ns > c->start_ns ? s->last_output_ns : c->start_ns;
    if (c->dialog && now >= AT(last, c->dialog_ms) && c->dialog_checked_ns != last) {
        c->dialog_checked_ns = last; /* once per quiet period */
        uint8_t tail[DIALOG_TAIL];
        size_t n = a0ipc_term_ring_tail(&s->ring, c->start_seq, tail, sizeof tail);
        if (a0ipc_term_dialog_match(c->dialog, tail, n))
            return A0IPC_TERM_DONE_DIALOG;
    }
    if (c->dialog && now < AT(last, c->dialog_ms))
        SOONER(AT(last, c->dialog_ms));
    if (c->between_ms) {
        if (now >= AT(last, c->between_ms))
            return A0IPC_TERM_DONE_IDLE_TIMEOUT;
        SOONER(AT(last, c->between_ms));
    }
    return 0;
#undef AT
#undef SOONER
}

/* Ends the reader with ev as its last event; a cleaning Run gives out its unfinished line
 * first. Under s->mu. Returns the event kind to return now. */
static a0ipc_term_event_kind finish(a0ipc_term_cursor *c, a0ipc_term_event *ev, bool *wake)
{
    c->final = *ev;
    *wake = release_flow(c) || *wake;
    if (c->clean) {
        a0ipc_term_text_clear(&c->text);
        if (a0ipc_term_clean_finish(c->clean, &c->text) == 0 && c->text.len > 0) {
            c->final_pending = true;
            memset(ev, 0, sizeof *ev);
            ev->kind = A0IPC_TERM_EV_OUTPUT;
            ev->seq = c->pos;
            ev->data = (const uint8_t *)c->text.p;
            ev->len = c->text.len;
            return A0IPC_TERM_EV_OUTPUT;
        }
    }
    c->finished = true;
    return A0IPC_TERM_EV_DONE;
}

a0ipc_term_event_kind a0ipc_term_cursor_next(a0ipc_term_cursor *c, a0ipc_term_event *ev)
{
    term_session *s = c->s;
    if (c->finished) {
        *ev = c->final;
        return ev->kind;
    }
    bool wake = false;
    a0ipc_term_event_kind kind;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (atomic_load(&c->stopped)) {
            memset(ev, 0, sizeof *ev);
            kind = ev->kind = A0IPC_TERM_EV_STOPPED;
            break;
        }
        if (c->final_pending) {
            c->final_pending = false;
            c->finished = true;
            *ev = c->final;
            kind = ev->kind;
            break;
        }
        uint64_t start = a0ipc_term_ring_start(&s->ring);
        /* Attach readers fall behind; so does a Run reader whose command ended while its client
         * did not read, once later output overwrote the rest of its own. */
        if (c->pos < start) {
            uint64_t lost, at = c->pos;
            a0ipc_term_ring_read(&s->ring, &c->pos, a0ipc_term_ring_end(&s->ring), c->buf, 0,
                                 &lost);
            memset(ev, 0, sizeof *ev);
            kind = ev->kind = A0IPC_TERM_EV_LOST;
            ev->seq = at;
            ev->len = lost;
            ev->command_number = c->run_id;
            break;
        }
        const term_completion *done =
            c->is_run ? run_completion(s, c->run_id) : attach_completion(c);
        if (c->is_run && !done && s->integration && s->phase == PHASE_LIVE &&
            s->run_id != c->run_id) {
            /* Its command ended, but so did A0IPC_TERM_COMPLETIONS later ones while this reader
             * did not read: where its output ends is no longer known. */
            memset(ev, 0, sizeof *ev);
            kind = ev->kind = A0IPC_TERM_EV_LOST;
            ev->seq = c->pos;
            ev->command_number = c->run_id;
            break;
        }
        uint64_t limit = a0ipc_term_ring_end(&s->ring);
        if (done && done->seq < limit)
            limit = done->seq;
        if (c->pos < limit) {
            uint64_t at = c->pos, lost;
            size_t n = a0ipc_term_ring_read(&s->ring, &c->pos, limit, c->buf, EVENT_MAX, &lost);
            if (c->is_run && s->flow_id == c->run_id) {
                s->flow_pos = c->pos;
                if (s->io_paused) {
                    /* The command was held back for us: that wait is not idleness. */
                    s->last_output_ns = a0ipc_mono_ns();
                    wake = true;
                }
            }
            memset(ev, 0, sizeof *ev);
            ev->kind = A0IPC_TERM_EV_OUTPUT;
            ev->seq = at;
            if (c->clean) {
                a0ipc_term_text_clear(&c->text);
                a0ipc_term_clean_feed(c->clean, c->buf, n, &c->text);
                if (c->text.len == 0)
                    continue; /* an unfinished line: nothing to give out yet */
                ev->data = (const uint8_t *)c->text.p;
                ev->len = c->text.len;
            } else {
                ev->data = c->buf;
                ev->len = n;
            }
            kind = A0IPC_TERM_EV_OUTPUT;
            break;
        }
        if (done && done->seq == c->pos) {
            set_done(ev, A0IPC_TERM_DONE_EXITED, c->pos, done->id);
            ev->exit_code = done->exit_code;
            free(c->cwd);
            c->cwd = done->cwd ? strdup(done->cwd) : NULL; /* NULL on ENOMEM too: unknown */
            ev->cwd = c->cwd;
            if (c->is_run) {
                kind = finish(c, ev, &wake);
            } else {
                c->done_next++;
                kind = A0IPC_TERM_EV_DONE;
            }
            break;
        }
        if (s->phase == PHASE_ENDED) {
            set_done(ev, A0IPC_TERM_DONE_SESSION_CLOSED, c->pos, c->run_id);
            ev->exit_code = WIFEXITED(s->shell_status) ? WEXITSTATUS(s->shell_status) : 0;
            ev->signal = WIFSIGNALED(s->shell_status) ? WTERMSIG(s->shell_status) : 0;
            if (c->is_run) {
                kind = finish(c, ev, &wake);
            } else {
                c->final = *ev;
                c->finished = true;
                kind = A0IPC_TERM_EV_DONE;
            }
            break;
        }
        int64_t wake_at = INT64_MAX;
        if (c->is_run) {
            a0ipc_term_done_reason r = run_timeout(c, a0ipc_mono_ns(), &wake_at);
            if (r) {
                set_done(ev, r, c->pos, c->run_id);
                kind = finish(c, ev, &wake);
                break;
            }
        }
        a0ipc_term_cond_wait_until(&s->cv, &s->mu, wake_at);
    }
    pthread_mutex_unlock(&s->mu);
    if (wake)
        a0ipc_term_io_wake(s->mgr);
    return kind;
}
