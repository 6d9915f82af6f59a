#include "services/terminal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "a0/runtime/v1/terminal.a0ipc.h"
#include "services/term_exec.h"
#include "services/term_manager.h"
#include "common/same_number.h"

typedef A0__Runtime__V1__Output Output;
typedef A0__Runtime__V1__Done Done;

/* The process's one terminal core (see terminal.h). Set before the server starts and cleared
 * after it stopped, so handlers read it without a lock. */
static a0ipc_term_manager *manager;

static a0ipc_term_manager *mgr_of(a0ipc_rpc_ctx *ctx)
{
    return a0ipc_rpc_ctx_data(ctx);
}

static a0ipc_code fail_st(a0ipc_rpc_ctx *ctx, a0ipc_status *st)
{
    return a0ipc_rpc_fail_status(ctx, st);
}

/* INVALID_ARGUMENT for a missing session id; NOT_FOUND is for ids that name nothing. */
/* A session belongs to the identity that created it; others get NOT_FOUND, worded as for a
 * session that does not exist, unless their credential grants every session
 * (docs/security.md#sessions). */
static bool may_use(a0ipc_rpc_ctx *ctx, const char *owner)
{
    return a0ipc_rpc_ctx_all_sessions(ctx) || !strcmp(owner, a0ipc_rpc_ctx_identity(ctx));
}

static a0ipc_code need_id(a0ipc_rpc_ctx *ctx, const char *id)
{
    if (!id || !id[0])
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "session_id is required");
    if (!a0ipc_rpc_ctx_all_sessions(ctx) &&
        !a0ipc_term_owned_by(mgr_of(ctx), id, a0ipc_rpc_ctx_identity(ctx)))
        return a0ipc_rpc_fail(ctx, A0IPC_NOT_FOUND, "no session \"%s\"", id);
    return A0IPC_OK;
}

/* A wait bounded by the call's deadline as well as by limit_ms (0: no limit of its own). */
static unsigned within_deadline(a0ipc_rpc_ctx *ctx, unsigned limit_ms, bool *deadline_is_sooner)
{
    int64_t left = a0ipc_rpc_ctx_deadline_left_ms(ctx);
    *deadline_is_sooner = false;
    if (left == INT64_MAX)
        return limit_ms;
    if (left < 1)
        left = 1;
    if (limit_ms == 0 || left < (int64_t)limit_ms) {
        *deadline_is_sooner = true;
        return left > UINT32_MAX ? UINT32_MAX : (unsigned)left;
    }
    return limit_ms;
}

/* An output event, pointing into the cursor's buffer (valid until its next event). */
static void fill_output(Output *out, const a0ipc_term_event *ev)
{
    out->seq = ev->seq;
    out->data.data = (uint8_t *)ev->data;
    out->data.len = ev->len;
}

/* The cast below converts term_manager.h's a0ipc_term_done_reason to the proto's DoneReason. */
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_EXITED, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_FIRST_OUTPUT_TIMEOUT,
                  A0__RUNTIME__V1__DONE_REASON__DONE_REASON_FIRST_OUTPUT_TIMEOUT);
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_IDLE_TIMEOUT,
                  A0__RUNTIME__V1__DONE_REASON__DONE_REASON_IDLE_TIMEOUT);
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_MAX_TIME, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_MAX_TIME);
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_DIALOG, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_DIALOG);
A0IPC_SAME_NUMBER(A0IPC_TERM_DONE_SESSION_CLOSED,
                  A0__RUNTIME__V1__DONE_REASON__DONE_REASON_SESSION_CLOSED);

static void fill_done(Done *d, const a0ipc_term_event *ev)
{
    d->reason = (A0__Runtime__V1__DoneReason)ev->reason;
    d->exit_code = ev->exit_code;
    d->signal = ev->signal;
    d->last_seq = ev->last_seq;
    d->command_number = ev->command_number;
    if (ev->cwd)
        d->cwd = (char *)ev->cwd; /* not UTF-8: the server's pack fixes it and fills raw_cwd */
}

/* ---- sessions ---- */

static bool call_should_stop(void *ctx)
{
    return a0ipc_rpc_ctx_should_stop(ctx);
}

static a0ipc_code create_session(a0ipc_rpc_ctx *ctx,
                                 const A0__Runtime__V1__CreateSessionRequest *req,
                                 A0__Runtime__V1__CreateSessionResponse *resp)
{
    a0ipc_term_kv *env = NULL;
    if (req->n_env) {
        env = a0ipc_rpc_ctx_alloc(ctx, req->n_env * sizeof *env);
        for (size_t i = 0; i < req->n_env; i++)
            env[i] = (a0ipc_term_kv){req->env[i]->key, req->env[i]->value};
    }
    a0ipc_term_create_opts o = {
        .argv = (const char *const *)req->argv,
        .argc = req->n_argv,
        .cwd = req->cwd,
        .env = env,
        .n_env = req->n_env,
        .rows = req->rows,
        .cols = req->cols,
        .idle_ttl_s = req->idle_ttl_seconds,
    };
    o.owner = a0ipc_rpc_ctx_identity(ctx);
    o.should_stop = call_should_stop;
    o.stop_arg = ctx;
    a0ipc_term_created out;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_create(mgr_of(ctx), &o, &out, &st) != A0IPC_OK) {
        if (st.code == A0IPC_CANCELLED && a0ipc_rpc_ctx_should_stop(ctx)) {
            a0ipc_status_clear(&st);
            return a0ipc_rpc_fail_stopped(ctx); /* cancelled, deadline or shutdown, as it was */
        }
        return fail_st(ctx, &st);
    }
    if (a0ipc_rpc_ctx_should_stop(ctx)) {
        /* Nobody will learn the session's id: close what was started for nobody. */
        int code = 0, sig = 0;
        a0ipc_term_close(mgr_of(ctx), out.id, 0, &code, &sig, &st);
        a0ipc_status_clear(&st);
        return a0ipc_rpc_fail_stopped(ctx);
    }
    resp->session_id = a0ipc_rpc_ctx_strdup(ctx, out.id);
    resp->pid = out.pid;
    resp->exact_completion = out.exact_completion;
    return A0IPC_OK;
}

static void wake_cursor(void *arg)
{
    a0ipc_term_cursor_wake(arg);
}

static a0ipc_code run(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__RunRequest *req)
{
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    const A0__Runtime__V1__RunTimeouts *t = req->timeouts;
    a0ipc_term_run_opts o = {
        .command = req->command,
        .command_len = strlen(req->command),
        .first_output_ms = t ? t->first_output_ms : 0,
        .between_outputs_ms = t ? t->between_outputs_ms : 0,
        .total_ms = t ? t->total_ms : 0,
        .dialog_ms = t ? t->dialog_ms : 0,
        .dialog_patterns = (const char *const *)req->dialog_patterns,
        .n_dialog_patterns = req->n_dialog_patterns,
        .clean_output = req->clean_output,
    };
    a0ipc_term_cursor *c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_run(mgr_of(ctx), req->session_id, &o, &c, &st) != A0IPC_OK)
        return fail_st(ctx, &st);
    a0ipc_rpc_ctx_on_stop(ctx, wake_cursor, c);
    a0ipc_code code = A0IPC_OK;
    for (;;) {
        a0ipc_term_event ev;
        a0ipc_term_event_kind k = a0ipc_term_cursor_next(c, &ev);
        A0__Runtime__V1__RunResponse r = A0__RUNTIME__V1__RUN_RESPONSE__INIT;
        Output out = A0__RUNTIME__V1__OUTPUT__INIT;
        Done done = A0__RUNTIME__V1__DONE__INIT;
        if (k == A0IPC_TERM_EV_OUTPUT) {
            fill_output(&out, &ev);
            r.event_case = A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT;
            r.output = &out;
        } else if (k == A0IPC_TERM_EV_DONE) {
            fill_done(&done, &ev);
            r.event_case = A0__RUNTIME__V1__RUN_RESPONSE__EVENT_DONE;
            r.done = &done;
        } else if (k == A0IPC_TERM_EV_LOST) {
            /* Only after its command ended (until then the reader sets the pace): the client
             * stopped reading and later output took the ring. Saying so beats a gap. */
            code = a0ipc_rpc_fail(ctx, A0IPC_DATA_LOSS,
                                  "the output of command %" PRIu64 " from offset %" PRIu64
                                  " was overwritten by later output before this Run read it"
                                  " (the command ended while the client was not reading);"
                                  " Attach reads what the session still holds",
                                  ev.command_number, ev.seq);
            break;
        } else {
            code = a0ipc_rpc_fail_stopped(ctx);
            break;
        }
        if (k == A0IPC_TERM_EV_DONE) { /* the last event: it goes with the status */
            code = a0ipc_rpc_send_last(ctx, &r.base);
            break;
        }
        code = a0_runtime_v1_terminal_run_send(ctx, &r);
        if (code != A0IPC_OK)
            break;
    }
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
    a0ipc_term_cursor_free(c);
    return code;
}

static a0ipc_code attach(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__AttachRequest *req)
{
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    a0ipc_term_cursor *c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_attach(mgr_of(ctx), req->session_id, req->from_seq, req->from_end, &c, &st) !=
        A0IPC_OK)
        return fail_st(ctx, &st);
    a0ipc_rpc_ctx_on_stop(ctx, wake_cursor, c);
    a0ipc_code code = A0IPC_OK;
    for (;;) {
        a0ipc_term_event ev;
        a0ipc_term_event_kind k = a0ipc_term_cursor_next(c, &ev);
        A0__Runtime__V1__AttachResponse r = A0__RUNTIME__V1__ATTACH_RESPONSE__INIT;
        Output out = A0__RUNTIME__V1__OUTPUT__INIT;
        A0__Runtime__V1__Lost lost = A0__RUNTIME__V1__LOST__INIT;
        Done done = A0__RUNTIME__V1__DONE__INIT;
        bool last = false;
        if (k == A0IPC_TERM_EV_OUTPUT) {
            fill_output(&out, &ev);
            r.event_case = A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_OUTPUT;
            r.output = &out;
        } else if (k == A0IPC_TERM_EV_LOST) {
            lost.seq = ev.seq;
            lost.length = ev.len;
            r.event_case = A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_LOST;
            r.lost = &lost;
        } else if (k == A0IPC_TERM_EV_DONE) {
            fill_done(&done, &ev);
            r.event_case = A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_DONE;
            r.done = &done;
            last = ev.reason == A0IPC_TERM_DONE_SESSION_CLOSED;
        } else {
            code = a0ipc_rpc_fail_stopped(ctx);
            break;
        }
        code = a0_runtime_v1_terminal_attach_send(ctx, &r);
        if (code != A0IPC_OK || last)
            break;
    }
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
    a0ipc_term_cursor_free(c);
    return code;
}

static a0ipc_code write_input(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__WriteInputRequest *req,
                              A0__Runtime__V1__WriteInputResponse *resp)
{
    (void)resp;
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    bool sooner;
    unsigned timeout =
        within_deadline(ctx, a0ipc_term_manager_config(mgr_of(ctx))->write_timeout_ms, &sooner);
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_write(mgr_of(ctx), req->session_id, req->data.data, req->data.len, timeout,
                         &st) != A0IPC_OK)
        return fail_st(ctx, &st);
    return A0IPC_OK;
}

static a0ipc_code resize(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ResizeRequest *req,
                         A0__Runtime__V1__ResizeResponse *resp)
{
    (void)resp;
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_resize(mgr_of(ctx), req->session_id, req->rows, req->cols, &st) != A0IPC_OK)
        return fail_st(ctx, &st);
    return A0IPC_OK;
}

static a0ipc_code signal_session(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__SignalRequest *req,
                                 A0__Runtime__V1__SignalResponse *resp)
{
    /* What is wrong with the request itself is said before whether the session is the
     * caller's (a0ipc_term_signal checks the same). */
    if (req->signal < 1 || req->signal > 64)
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "signal %d is not 1 to 64",
                              (int)req->signal);
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    bool whole;
    switch (req->target) {
    case A0__RUNTIME__V1__SIGNAL_TARGET__SIGNAL_TARGET_UNSPECIFIED:
    case A0__RUNTIME__V1__SIGNAL_TARGET__SIGNAL_TARGET_FOREGROUND:
        whole = false;
        break;
    case A0__RUNTIME__V1__SIGNAL_TARGET__SIGNAL_TARGET_SESSION:
        whole = true;
        break;
    default:
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "unknown signal target %d",
                              (int)req->target);
    }
    int count = 0;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_signal(mgr_of(ctx), req->session_id, req->signal, whole, &count, &st) !=
        A0IPC_OK)
        return fail_st(ctx, &st);
    resp->count = count;
    return A0IPC_OK;
}

static a0ipc_code close_session(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__CloseSessionRequest *req,
                                A0__Runtime__V1__CloseSessionResponse *resp)
{
    a0ipc_code idc = need_id(ctx, req->session_id);
    if (idc != A0IPC_OK)
        return idc;
    int code, sig;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_close(mgr_of(ctx), req->session_id, req->grace_ms, &code, &sig, &st) != A0IPC_OK)
        return fail_st(ctx, &st);
    resp->exit_code = code;
    resp->signal = sig;
    return A0IPC_OK;
}

/* The cast below converts term_manager.h's a0ipc_term_state to the proto's SessionState. */
A0IPC_SAME_NUMBER(A0IPC_TERM_STATE_IDLE, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_IDLE);
A0IPC_SAME_NUMBER(A0IPC_TERM_STATE_BUSY, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_BUSY);
A0IPC_SAME_NUMBER(A0IPC_TERM_STATE_CLOSING, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_CLOSING);
A0IPC_SAME_NUMBER(A0IPC_TERM_STATE_EXITED, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_EXITED);

static a0ipc_code list_sessions(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ListSessionsRequest *req,
                                A0__Runtime__V1__ListSessionsResponse *resp)
{
    (void)req;
    a0ipc_term_info *v;
    size_t n;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_term_list(mgr_of(ctx), &v, &n, &st) != A0IPC_OK)
        return fail_st(ctx, &st);
    resp->n_sessions = 0;
    resp->sessions = n ? a0ipc_rpc_ctx_alloc(ctx, n * sizeof *resp->sessions) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!may_use(ctx, v[i].owner))
            continue; /* another identity's */
        A0__Runtime__V1__SessionInfo *e = a0ipc_rpc_ctx_alloc(ctx, sizeof *e);
        a0__runtime__v1__session_info__init(e);
        e->session_id = a0ipc_rpc_ctx_strdup(ctx, v[i].id);
        e->pid = v[i].pid;
        e->state = (A0__Runtime__V1__SessionState)v[i].state;
        e->created_unix_ms = v[i].created_unix_ms;
        e->last_activity_unix_ms = v[i].last_activity_unix_ms;
        if (v[i].running_command)
            e->running_command = a0ipc_rpc_ctx_strdup(ctx, v[i].running_command);
        e->end_seq = v[i].end_seq;
        size_t argc = 0;
        while (v[i].argv[argc])
            argc++;
        e->n_argv = argc;
        e->argv = argc ? a0ipc_rpc_ctx_alloc(ctx, argc * sizeof *e->argv) : NULL;
        for (size_t k = 0; k < argc; k++)
            e->argv[k] = a0ipc_rpc_ctx_strdup(ctx, v[i].argv[k]);
        e->rows = v[i].rows;
        e->cols = v[i].cols;
        e->exit_code = v[i].exit_code;
        e->signal = v[i].signal;
        resp->sessions[resp->n_sessions++] = e;
    }
    a0ipc_term_info_free(v, n);
    return A0IPC_OK;
}

/* ---- Exec ---- */

static void wake_exec(void *arg)
{
    uint64_t one = 1;
    ssize_t w = write(*(int *)arg, &one, sizeof one);
    (void)w;
}

static ProtobufCBinaryData arena_copy(a0ipc_rpc_ctx *ctx, const a0ipc_term_text *t)
{
    ProtobufCBinaryData b = {0, NULL};
    if (t->len) {
        b.data = a0ipc_rpc_ctx_alloc(ctx, t->len);
        memcpy(b.data, t->p, t->len);
        b.len = t->len;
    }
    return b;
}

static a0ipc_code exec(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ExecRequest *req,
                       A0__Runtime__V1__ExecResponse *resp)
{
    const a0ipc_terminal_config *cfg = a0ipc_term_manager_config(mgr_of(ctx));
    if (req->n_argv == 0)
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "argv is required");
    a0ipc_term_kv *env = NULL;
    if (req->n_env) {
        env = a0ipc_rpc_ctx_alloc(ctx, req->n_env * sizeof *env);
        for (size_t i = 0; i < req->n_env; i++)
            env[i] = (a0ipc_term_kv){req->env[i]->key, req->env[i]->value};
    }
    bool deadline_sooner;
    unsigned timeout = within_deadline(
        ctx, req->timeout_ms ? req->timeout_ms : cfg->exec_timeout_ms, &deadline_sooner);
    int cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (cancel < 0)
        return a0ipc_rpc_fail(ctx, a0ipc_code_from_errno(errno), "eventfd: %s", strerror(errno));
    a0ipc_term_exec_opts o = {
        .argv = (const char *const *)req->argv,
        .argc = req->n_argv,
        .cwd = req->cwd,
        .env = env,
        .n_env = req->n_env,
        .stdin_data = req->stdin_data.data,
        .stdin_len = req->stdin_data.len,
        .timeout_ms = timeout,
        .max_output = req->max_output_bytes,
        .cancel_fd = cancel,
    };
    a0ipc_term_exec_result r = {0};
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_ctx_on_stop(ctx, wake_exec, &cancel);
    a0ipc_code rc = a0ipc_term_exec(cfg, &o, &r, &st);
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
    close(cancel);
    a0ipc_code code = A0IPC_OK;
    if (rc != A0IPC_OK) {
        code = fail_st(ctx, &st);
    } else if (r.cancelled) {
        code = a0ipc_rpc_fail_stopped(ctx);
    } else if (r.timed_out && deadline_sooner) {
        code = a0ipc_rpc_fail(ctx, A0IPC_DEADLINE_EXCEEDED,
                              "the call's deadline passed; the program was killed");
    } else {
        resp->stdout_data = arena_copy(ctx, &r.out);
        resp->stderr_data = arena_copy(ctx, &r.err);
        resp->exit_code = r.exit_code;
        resp->signal = r.signal;
        resp->stdout_truncated = r.out_truncated;
        resp->stderr_truncated = r.err_truncated;
        resp->timed_out = r.timed_out;
    }
    a0ipc_term_exec_result_free(&r);
    return code;
}

/* ---- lifecycle ---- */

int a0ipc_terminal_service_register(a0ipc_rpc_server *s, const a0ipc_terminal_config *cfg,
                                    a0ipc_status *st)
{
    if (manager)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "the Terminal service is already registered in this process"),
               -1;
    a0ipc_term_manager *m = a0ipc_term_manager_new(cfg, st);
    if (!m)
        return -1;
    const a0_runtime_v1_terminal_handlers h = {
        .create_session = create_session,
        .run = run,
        .write = write_input,
        .attach = attach,
        .resize = resize,
        .signal = signal_session,
        .close_session = close_session,
        .list_sessions = list_sessions,
        .exec = exec,
    };
    /* No A0IPC_RPC_INLINE: most of these wait (for a shell, for processes to end). */
    if (a0_runtime_v1_terminal_register(s, &h, m, 0, st) != 0) {
        a0ipc_term_manager_free(m);
        return -1;
    }
    manager = m;
    return 0;
}

void a0ipc_terminal_service_shutdown(unsigned grace_ms)
{
    if (manager)
        a0ipc_term_manager_shutdown(manager, grace_ms);
}

void a0ipc_terminal_service_free(void)
{
    a0ipc_term_manager_free(manager);
    manager = NULL;
}

long a0ipc_terminal_service_sessions(void)
{
    a0ipc_term_info *v = NULL;
    size_t n = 0;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (!manager || a0ipc_term_list(manager, &v, &n, &st) != A0IPC_OK) {
        a0ipc_status_clear(&st);
        return 0;
    }
    a0ipc_term_info_free(v, n);
    return (long)n;
}
