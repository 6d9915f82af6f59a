/* The legacy adapter's terminal: one SSH shell per session, set up as the legacy did
 * (legacy_ssh.h), and Run completed the legacy's way (docs/legacy-protocol.md, "Terminal over
 * SSH"): when the shell's prompt shows, or at a timeout, or on a dialog. The exit status is never
 * known (exit_code -1).
 *
 * What Run delivers is the command's output, as a0ipcd's Run does, not the shell's own text
 * around it: the empty line an interactive shell writes when it accepts the command line
 * (bash's readline ends the line it read even with echo off) and the prompt that follows the
 * output are left out. Everything else is the bytes the shell wrote, or with clean_output
 * their legacy cleaning, a line at a time (the cleaning works per line, so this is the same
 * text the legacy made of the whole). A line is given out once it ends ("\n"); the unfinished
 * last line when the Run ends, less the prompt.
 *
 * A command still running when its Run ends (a timeout, a dialog) keeps the session, as on
 * a0ipcd: the next Run first reads what came since and is refused (FAILED_PRECONDITION) unless
 * the prompt is back. That output is dropped: the legacy keeps none to attach to. The legacy
 * itself typed the next command into whatever ran. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/legacy_clean.h"
#include "common/term_dialog.h"
#include "transport/legacy/legacy_transport_internal.h"

#define READ_CAP       (64 * 1024)
#define POLL_MS        100   /* longest wait before cancellation and closing are looked at */
#define MAX_LINE       65536 /* an unfinished line longer than this is given out in pieces */
#define MAX_PROMPT_CUT 4096  /* longest unfinished line searched for the prompt's start */

struct ltr_session {
    char id[32];
    a0ipc_legacy_ssh *ssh;
    int refs;           /* under legacy_transport.mu: the table's and each call's */
    atomic_bool closed; /* close_session was called: runs end, nothing new starts */
    bool in_run;        /* under mu: a Run call is in progress */
    bool outlived;      /* under mu: the last Run ended before the prompt came back */
    char *running;      /* under mu: the command, while in_run or outlived */
    char *prompt;       /* the shell's prompt as last seen, cleaned; only the running Run */
    int64_t created_ms, last_ms;
    uint64_t seq; /* bytes the shell has written since the session opened */
    ltr_session *next;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the session table ---- */

static void unref_locked(legacy_transport *l, ltr_session *s)
{
    (void)l;
    if (--s->refs > 0)
        return;
    a0ipc_legacy_ssh_close(s->ssh);
    free(s->running);
    free(s->prompt);
    free(s);
}

static void unref(legacy_transport *l, ltr_session *s)
{
    pthread_mutex_lock(&l->mu);
    unref_locked(l, s);
    pthread_mutex_unlock(&l->mu);
}

/* The session with this id, referenced, or NULL with NOT_FOUND. */
static ltr_session *find(legacy_transport *l, const char *id, a0ipc_status *st)
{
    pthread_mutex_lock(&l->mu);
    ltr_session *s = l->sessions;
    while (s && (!id || strcmp(s->id, id) != 0))
        s = s->next;
    if (s)
        s->refs++;
    pthread_mutex_unlock(&l->mu);
    if (!s)
        a0ipc_status_set(st, A0IPC_NOT_FOUND, "no terminal session %s", id ? id : "(none)");
    return s;
}

static ltr_session *unlink_locked(legacy_transport *l, const char *id)
{
    for (ltr_session **p = &l->sessions; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            ltr_session *s = *p;
            *p = s->next;
            l->n_sessions--;
            return s;
        }
    return NULL;
}

a0ipc_code ltr_create_session(a0ipc_transport *t, const a0ipc_call_options *o,
                              const a0ipc_session_options *so, a0ipc_session_info *out,
                              a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    memset(out, 0, sizeof *out);
    if (so && (so->argc > 0 || so->n_env > 0))
        return ltr_unimplemented(
            st, "runs the login shell of the SSH user: no shell argv or environment");
    pthread_mutex_lock(&l->mu);
    bool full = l->n_sessions >= l->max_sessions;
    pthread_mutex_unlock(&l->mu);
    if (full)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED,
                                "%u legacy terminal sessions are open, the most allowed",
                                l->max_sessions);
    a0ipc_legacy_ssh_config cfg = l->ssh;
    cfg.cwd = so ? so->cwd : NULL;
    if (o && o->timeout_ms > 0 &&
        (cfg.connect_timeout_ms <= 0 || o->timeout_ms < cfg.connect_timeout_ms))
        cfg.connect_timeout_ms = o->timeout_ms;
    a0ipc_legacy_ssh *ssh = a0ipc_legacy_ssh_connect(&cfg, st);
    if (!ssh)
        return st->code;
    uint32_t rows = so && so->rows ? so->rows : A0IPC_LEGACY_SSH_ROWS;
    uint32_t cols = so && so->cols ? so->cols : A0IPC_LEGACY_SSH_COLS;
    if ((rows != A0IPC_LEGACY_SSH_ROWS || cols != A0IPC_LEGACY_SSH_COLS) &&
        a0ipc_legacy_ssh_resize(ssh, rows, cols, st) != A0IPC_OK) {
        a0ipc_legacy_ssh_close(ssh);
        return st->code;
    }
    ltr_session *s = calloc(1, sizeof *s);
    char *prompt = strdup(a0ipc_legacy_ssh_prompt(ssh));
    if (!s || !prompt) {
        free(s);
        free(prompt);
        a0ipc_legacy_ssh_close(ssh);
        return ltr_oom(st);
    }
    s->ssh = ssh;
    s->prompt = prompt;
    s->refs = 1;
    s->created_ms = s->last_ms = wall_ms();
    pthread_mutex_lock(&l->mu);
    snprintf(s->id, sizeof s->id, "legacy-%llu", (unsigned long long)++l->next_session);
    s->next = l->sessions;
    l->sessions = s;
    l->n_sessions++;
    pthread_mutex_unlock(&l->mu);
    out->id = strdup(s->id);
    out->running_command = strdup("");
    out->state = A0IPC_SESSION_IDLE;
    out->created_unix_ms = out->last_activity_unix_ms = s->created_ms;
    if (!out->id || !out->running_command) {
        a0ipc_session_info_clear(out);
        return ltr_oom(st); /* the session stays listed; close_session ends it */
    }
    return A0IPC_OK;
}

/* ---- Run ---- */

typedef struct runner {
    ltr_session *s;
    const a0ipc_run_options *ro;
    a0ipc_output_fn on_output;
    void *arg;
    uint8_t *line; /* the unfinished line, raw */
    size_t line_len;
    uint64_t line_seq; /* the stream offset of line[0] */
    bool first_line;   /* the shell's end of the command line may still come */
    bool any_output;
    char *recent; /* the last two complete lines, raw, for the dialog rule */
    size_t recent_len;
    bool stopped, oom;
} runner;

/* Gives out raw[0..len), whole lines (or a piece of an over-long one), cleaned when asked. */
static void give(runner *r, uint64_t seq, const uint8_t *raw, size_t len)
{
    if (len == 0 || r->stopped || !r->on_output)
        return;
    if (!r->ro->clean_output) {
        r->stopped = r->on_output(r->arg, seq, raw, len, 0) != 0;
        return;
    }
    size_t n = 0;
    char *text = a0ipc_legacy_clean_output(raw, len, &n);
    if (!text)
        r->oom = true;
    else if (n > 0)
        r->stopped = r->on_output(r->arg, seq, (const uint8_t *)text, n, 0) != 0;
    free(text);
}

/* Whether a complete first line is only the shell's end of the command line: no text, just
 * the escapes and carriage returns readline writes. */
static bool is_accept_line(const uint8_t *raw, size_t len)
{
    char *text = a0ipc_legacy_clean_output(raw, len, NULL);
    bool blank = text && text[strspn(text, "\r\n")] == '\0';
    free(text);
    return blank;
}

/* Keeps the last two complete lines of raw[0..len) (appended to those kept), for the dialog
 * rule. */
static void remember_recent(runner *r, const uint8_t *raw, size_t len)
{
    char *p = realloc(r->recent, r->recent_len + len + 1);
    if (!p) {
        r->oom = true;
        return;
    }
    r->recent = p;
    memcpy(p + r->recent_len, raw, len);
    r->recent_len += len;
    size_t newlines = 0, cut = 0;
    for (size_t i = r->recent_len; i > 0; i--)
        if (p[i - 1] == '\n' && ++newlines == 3) {
            cut = i;
            break;
        }
    if (r->recent_len - cut > 2 * MAX_LINE)
        cut = r->recent_len - 2 * MAX_LINE;
    memmove(p, p + cut, r->recent_len - cut);
    r->recent_len -= cut;
}

/* Adds output to the unfinished line and gives out every line it completes, in one piece. */
static void feed(runner *r, const uint8_t *data, size_t n)
{
    uint8_t *p = realloc(r->line, r->line_len + n + 1);
    if (!p) {
        r->oom = true;
        return;
    }
    r->line = p;
    memcpy(p + r->line_len, data, n);
    r->line_len += n;
    size_t from = 0, done = 0; /* lines given out: line[from..done) */
    for (;;) {
        const uint8_t *nl = memchr(p + done, '\n', r->line_len - done);
        size_t end = nl                              ? (size_t)(nl - p) + 1
                     : r->line_len - done > MAX_LINE ? done + MAX_LINE
                                                     : 0;
        if (!end)
            break;
        if (r->first_line && is_accept_line(p + done, end - done))
            from = end; /* the shell's, not the command's */
        else
            r->any_output = true;
        r->first_line = false;
        done = end;
    }
    give(r, r->line_seq + from, p + from, done - from);
    remember_recent(r, p + from, done - from);
    memmove(p, p + done, r->line_len - done);
    r->line_len -= done;
    r->line_seq += done;
    if (r->line_len > 0 && !r->first_line)
        r->any_output = true;
}

static char *clean_line(const runner *r, size_t from)
{
    return a0ipc_legacy_clean_output(r->line + from, r->line_len - from, NULL);
}

/* When the unfinished line is (or ends in) the shell's prompt: cuts the prompt off, keeps the
 * text before it in the line, remembers the prompt and returns true. */
static bool take_prompt(runner *r)
{
    if (r->line_len == 0)
        return false;
    char *text = clean_line(r, 0);
    if (!text || !a0ipc_legacy_ssh_is_prompt(text)) {
        free(text);
        return false;
    }
    const char *known = r->s->prompt ? r->s->prompt : "";
    size_t kn = strlen(known), tn = strlen(text);
    size_t cut = 0; /* where the prompt starts in the raw line */
    if (kn > 0 && tn > kn && strcmp(text + tn - kn, known) == 0 && r->line_len <= MAX_PROMPT_CUT) {
        /* Output without a final newline runs into the prompt: the prompt starts at the first
         * raw offset from which the rest cleans to the known prompt. */
        cut = r->line_len;
        for (size_t i = 0; i < r->line_len; i++) {
            char *rest = clean_line(r, i);
            bool same = rest && strcmp(rest, known) == 0;
            free(rest);
            if (same) {
                cut = i;
                break;
            }
        }
    } else {
        free(r->s->prompt);
        r->s->prompt = text;
        text = NULL;
    }
    free(text);
    r->line_len = cut;
    return true;
}

static a0ipc_code finish(runner *r, a0ipc_done_reason reason, a0ipc_run_result *out,
                         a0ipc_status *st)
{
    give(r, r->line_seq, r->line, r->line_len);
    out->reason = reason;
    out->exit_code = -1; /* the legacy never learns it */
    out->last_seq = r->line_seq + r->line_len;
    if (r->oom)
        return ltr_oom(st);
    if (r->stopped)
        return a0ipc_status_set(st, A0IPC_CANCELLED, "stopped by the caller");
    return A0IPC_OK;
}

static int64_t min_pos(int64_t a, int64_t b)
{
    return b > 0 && (a <= 0 || b < a) ? b : a;
}

static a0ipc_code run_loop(runner *r, const a0ipc_call_options *o, a0ipc_run_result *out,
                           a0ipc_status *st)
{
    const a0ipc_run_options *ro = r->ro;
    a0ipc_term_dialog *dlg = NULL;
    if (ro->dialog_timeout_ms &&
        !(dlg = a0ipc_term_dialog_new(ro->dialog_patterns,
                                      ro->dialog_patterns ? ro->n_dialog_patterns : 0, st)))
        return st->code;
    a0ipc_code code = a0ipc_legacy_ssh_send_command(r->s->ssh, ro->command, st);
    int64_t start = a0ipc_mono_ms(), last = start;
    int64_t call_end = o && o->timeout_ms > 0 ? start + o->timeout_ms : 0;
    bool dialog_checked = false;
    uint8_t *buf = code == A0IPC_OK ? malloc(READ_CAP) : NULL;
    if (code == A0IPC_OK && !buf)
        code = ltr_oom(st);
    while (code == A0IPC_OK) {
        int64_t now = a0ipc_mono_ms();
        if (o && o->cancel && a0ipc_cancel_raised(o->cancel)) {
            code = a0ipc_status_set(st, A0IPC_CANCELLED, "stopped by the caller");
            break;
        }
        if (atomic_load(&r->s->closed)) {
            code = finish(r, A0IPC_DONE_SESSION_CLOSED, out, st);
            break;
        }
        if (call_end && now >= call_end) {
            code = a0ipc_status_set(st, A0IPC_DEADLINE_EXCEEDED, "the call's deadline passed");
            break;
        }
        int64_t total_end = ro->total_timeout_ms ? start + ro->total_timeout_ms : 0;
        int64_t first_end =
            !r->any_output && ro->first_output_timeout_ms ? start + ro->first_output_timeout_ms : 0;
        int64_t idle_end = r->any_output && ro->between_outputs_timeout_ms
                               ? last + ro->between_outputs_timeout_ms
                               : 0;
        int64_t dialog_end = r->any_output && ro->dialog_timeout_ms && !dialog_checked
                                 ? last + ro->dialog_timeout_ms
                                 : 0;
        if (total_end && now >= total_end) {
            code = finish(r, A0IPC_DONE_MAX_TIME, out, st);
            break;
        }
        if (first_end && now >= first_end) {
            code = finish(r, A0IPC_DONE_FIRST_OUTPUT_TIMEOUT, out, st);
            break;
        }
        if (idle_end && now >= idle_end) {
            code = finish(r, A0IPC_DONE_IDLE_TIMEOUT, out, st);
            break;
        }
        if (dialog_end && now >= dialog_end) {
            dialog_checked = true; /* once per quiet spell */
            size_t n = r->recent_len + r->line_len;
            uint8_t *tail = malloc(n + 1);
            if (tail) {
                memcpy(tail, r->recent, r->recent_len);
                memcpy(tail + r->recent_len, r->line, r->line_len);
            }
            bool hit = tail && a0ipc_term_dialog_match(dlg, tail, n);
            free(tail);
            if (hit) {
                code = finish(r, A0IPC_DONE_DIALOG, out, st);
                break;
            }
        }
        int64_t next = min_pos(min_pos(min_pos(min_pos(call_end, total_end), first_end), idle_end),
                               dialog_end);
        int64_t wait = next > 0 && next - now < POLL_MS ? next - now : POLL_MS;
        size_t n = 0;
        bool eof = false;
        if ((code = a0ipc_legacy_ssh_read_raw(r->s->ssh, wait, buf, READ_CAP, &n, &eof, st)) !=
            A0IPC_OK)
            break;
        if (n > 0) {
            r->s->seq += n;
            last = a0ipc_mono_ms();
            dialog_checked = false;
            feed(r, buf, n);
            if (take_prompt(r)) {
                code = finish(r, A0IPC_DONE_EXITED, out, st);
                break;
            }
            if (r->stopped || r->oom) {
                code = finish(r, A0IPC_DONE_UNSPECIFIED, out, st);
                break;
            }
        }
        if (eof) {
            code = finish(r, A0IPC_DONE_SESSION_CLOSED, out, st);
            break;
        }
    }
    free(buf);
    a0ipc_term_dialog_free(dlg);
    return code;
}

/* After a Run that ended before the prompt came back: reads what the command wrote since
 * (nobody can attach to it, so it is dropped) and says whether the shell is at its prompt. */
static a0ipc_code drain(ltr_session *s, bool *at_prompt, a0ipc_status *st)
{
    runner r = {.s = s, .ro = &(a0ipc_run_options){0}};
    uint8_t *buf = malloc(READ_CAP);
    a0ipc_code code = buf ? A0IPC_OK : ltr_oom(st);
    bool eof = false;
    for (size_t n = 1; code == A0IPC_OK && n > 0 && !eof;) {
        code = a0ipc_legacy_ssh_read_raw(s->ssh, 50, buf, READ_CAP, &n, &eof, st);
        if (code == A0IPC_OK && n > 0) {
            s->seq += n;
            feed(&r, buf, n);
        }
    }
    *at_prompt = eof || take_prompt(&r);
    if (code == A0IPC_OK && r.oom)
        code = ltr_oom(st);
    free(buf);
    free(r.line);
    free(r.recent);
    return code;
}

a0ipc_code ltr_run(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                   const a0ipc_run_options *ro, a0ipc_output_fn on_output, void *arg,
                   a0ipc_run_result *out, a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    memset(out, 0, sizeof *out);
    if (!ro || !ro->command)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no command");
    if (strchr(ro->command, '\n'))
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                "the legacy terminal sends one line: the command has a newline");
    ltr_session *s = find(l, id, st);
    if (!s)
        return st->code;
    char *cmd = strdup(ro->command);
    pthread_mutex_lock(&l->mu);
    bool in_run = s->in_run, outlived = s->outlived;
    char *what = in_run || outlived ? strdup(s->running ? s->running : "") : NULL;
    if (!in_run && cmd)
        s->in_run = true;
    pthread_mutex_unlock(&l->mu);
    a0ipc_code code = cmd ? A0IPC_OK : ltr_oom(st);
    if (code == A0IPC_OK && in_run) {
        code = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "session %s is running `%s`", id,
                                what ? what : "?");
    } else if (code == A0IPC_OK && outlived) {
        bool back = false;
        code = drain(s, &back, st);
        if (code == A0IPC_OK && !back)
            code = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                    "session %s is still running `%s` (its Run ended before it "
                                    "did): answer it with write_stdin, interrupt it with SIGINT, "
                                    "or close the session",
                                    id, what ? what : "?");
    }
    bool sent = code == A0IPC_OK;
    if (sent) {
        pthread_mutex_lock(&l->mu);
        free(s->running);
        s->running = cmd;
        cmd = NULL;
        s->outlived = false;
        s->last_ms = wall_ms();
        pthread_mutex_unlock(&l->mu);
        runner r = {.s = s, .ro = ro, .on_output = on_output, .arg = arg, .first_line = true};
        r.line_seq = s->seq;
        code = run_loop(&r, o, out, st);
        free(r.line);
        free(r.recent);
    }
    if (!in_run) {
        pthread_mutex_lock(&l->mu);
        s->in_run = false;
        /* A command still running at a timeout or a dialog keeps running, and the session
         * stays its own until its prompt comes back (as with a0ipcd, where Run on a busy
         * session is refused): write_stdin and signal reach it meanwhile. */
        if (sent) /* a call that failed or was stopped may have left it running too */
            s->outlived = !(code == A0IPC_OK && (out->reason == A0IPC_DONE_EXITED ||
                                                 out->reason == A0IPC_DONE_SESSION_CLOSED));
        if (!s->outlived) {
            free(s->running);
            s->running = NULL;
        }
        s->last_ms = wall_ms();
        pthread_mutex_unlock(&l->mu);
    }
    free(what);
    free(cmd);
    unref(l, s);
    return code;
}

/* ---- the rest ---- */

a0ipc_code ltr_write_stdin(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                           const uint8_t *data, size_t len, a0ipc_status *st)
{
    (void)o;
    legacy_transport *l = t->ctx;
    ltr_session *s = find(l, id, st);
    if (!s)
        return st->code;
    a0ipc_code code = a0ipc_legacy_ssh_send_raw(s->ssh, data, len, st);
    unref(l, s);
    return code;
}

a0ipc_code ltr_resize(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                      uint32_t rows, uint32_t cols, a0ipc_status *st)
{
    (void)o;
    legacy_transport *l = t->ctx;
    ltr_session *s = find(l, id, st);
    if (!s)
        return st->code;
    a0ipc_code code = a0ipc_legacy_ssh_resize(s->ssh, rows, cols, st);
    unref(l, s);
    return code;
}

/* A terminal can only type the signals its line discipline turns keys into. */
a0ipc_code ltr_signal(a0ipc_transport *t, const a0ipc_call_options *o, const char *id, int signo,
                      a0ipc_signal_target target, a0ipc_status *st)
{
    (void)o;
    legacy_transport *l = t->ctx;
    const char *key = signo == SIGINT    ? "\x03"
                      : signo == SIGQUIT ? "\x1c"
                      : signo == SIGTSTP ? "\x1a"
                                         : NULL;
    if (!key || target != A0IPC_SIGNAL_FOREGROUND)
        return ltr_unimplemented(st, "can only type Ctrl-C (SIGINT), Ctrl-\\ (SIGQUIT) and Ctrl-Z "
                                     "(SIGTSTP) to the foreground");
    ltr_session *s = find(l, id, st);
    if (!s)
        return st->code;
    a0ipc_code code = a0ipc_legacy_ssh_send_raw(s->ssh, key, 1, st);
    unref(l, s);
    return code;
}

/* Closing the SSH channel and connection hangs the shell up (sshd sends SIGHUP to its session);
 * a Run in progress ends with SESSION_CLOSED. */
a0ipc_code ltr_close_session(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                             uint32_t grace_ms, a0ipc_session_end *out, a0ipc_status *st)
{
    (void)o, (void)grace_ms;
    if (out)
        *out = (a0ipc_session_end){0}; /* SSH's exit-status is not kept: not known */
    legacy_transport *l = t->ctx;
    pthread_mutex_lock(&l->mu);
    ltr_session *s = id ? unlink_locked(l, id) : NULL;
    if (s) {
        atomic_store(&s->closed, true);
        unref_locked(l, s); /* the table's reference; a running Run holds its own */
    }
    pthread_mutex_unlock(&l->mu);
    if (!s)
        return a0ipc_status_set(st, A0IPC_NOT_FOUND, "no terminal session %s", id ? id : "(none)");
    return A0IPC_OK;
}

a0ipc_code ltr_list_sessions(a0ipc_transport *t, const a0ipc_call_options *o,
                             a0ipc_session_list **out, a0ipc_status *st)
{
    (void)o;
    legacy_transport *l = t->ctx;
    *out = NULL;
    a0ipc_session_list *list = calloc(1, sizeof *list);
    if (!list)
        return ltr_oom(st);
    pthread_mutex_lock(&l->mu);
    list->sessions = calloc(l->n_sessions ? l->n_sessions : 1, sizeof *list->sessions);
    bool ok = list->sessions != NULL;
    for (ltr_session *s = l->sessions; s && ok; s = s->next) {
        a0ipc_session_info *si = &list->sessions[list->n_sessions++];
        si->id = strdup(s->id);
        bool busy = s->in_run || s->outlived;
        si->running_command = strdup(busy && s->running ? s->running : "");
        si->state = busy ? A0IPC_SESSION_BUSY : A0IPC_SESSION_IDLE;
        si->created_unix_ms = s->created_ms;
        si->last_activity_unix_ms = s->last_ms;
        ok = si->id && si->running_command;
    }
    pthread_mutex_unlock(&l->mu);
    if (!ok) {
        a0ipc_session_list_free(list);
        return ltr_oom(st);
    }
    *out = list;
    return A0IPC_OK;
}

a0ipc_code ltr_attach(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                      uint64_t from_seq, a0ipc_output_fn on_output, void *arg, a0ipc_status *st)
{
    (void)t, (void)o, (void)id, (void)from_seq, (void)on_output, (void)arg;
    return ltr_unimplemented(st, "cannot attach: the legacy shell keeps no output to go back to");
}

a0ipc_code ltr_exec(a0ipc_transport *t, const a0ipc_call_options *o, const a0ipc_exec_options *eo,
                    a0ipc_exec_result *out, a0ipc_status *st)
{
    (void)t, (void)o, (void)eo;
    memset(out, 0, sizeof *out);
    return ltr_unimplemented(st, "has no one-shot exec (the legacy IPC runs commands in a shell)");
}

void ltr_terminal_destroy(legacy_transport *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->sessions) {
        ltr_session *s = l->sessions;
        l->sessions = s->next;
        l->n_sessions--;
        atomic_store(&s->closed, true);
        unref_locked(l, s);
    }
    pthread_mutex_unlock(&l->mu);
}
