/* The Terminal part of the gRPC transport.
 *
 * A session lives in one daemon. When the target may name several daemons (dns:///, host:port,
 * ipv4:a,b), CreateSession goes through the balanced channel and the address of the daemon that
 * answered is remembered; every later call about that session goes to that address through a
 * channel of its own (one per daemon, shared by its sessions). */
#include <stdlib.h>
#include <string.h>

#include "a0/runtime/v1/terminal.a0ipc.h"
#include "transport/grpc_transport_internal.h"
#include "transport/proto_mirrors.h"

enum {
    DEADLINE_SESSION_OP_MS = 30000,  /* create, write, resize, signal, list */
    DEADLINE_CLOSE_SLACK_MS = 10000, /* close: its grace period plus this */
    DEADLINE_EXEC_SLACK_MS = 30000,  /* exec: its own timeout plus this */
};

typedef struct peer_channel {
    char *peer;
    a0ipc_rpc_channel *channel;
    struct peer_channel *next;
} peer_channel;

struct session_pin {
    char *session_id;
    peer_channel *pc;
    session_pin *next;
};

static bool may_name_several_daemons(const char *target)
{
    if (!strncmp(target, "unix:", 5) || !strncmp(target, "unix-abstract:", 14))
        return false;
    if (!strncmp(target, "ipv4:", 5) || !strncmp(target, "ipv6:", 5))
        return strchr(target, ',') != NULL;
    return true; /* dns:///..., host:port: a name may resolve to several addresses */
}

int gt_terminal_init(grpc_transport *g, a0ipc_status *st)
{
    (void)st;
    pthread_mutex_init(&g->pins_mu, NULL);
    g->pins_ready = true;
    g->pin_sessions = may_name_several_daemons(g->target);
    return 0;
}

void gt_terminal_free(grpc_transport *g)
{
    if (!g->pins_ready)
        return;
    while (g->pins) {
        session_pin *p = g->pins;
        g->pins = p->next;
        free(p->session_id);
        free(p);
    }
    while (g->peers) {
        peer_channel *pc = g->peers;
        g->peers = pc->next;
        a0ipc_rpc_channel_free(pc->channel);
        free(pc->peer);
        free(pc);
    }
    pthread_mutex_destroy(&g->pins_mu);
}

/* The channel for calls about session_id: its daemon's, or the balanced one. */
static a0ipc_rpc_channel *channel_for(grpc_transport *g, const char *session_id)
{
    a0ipc_rpc_channel *ch = g->channel;
    pthread_mutex_lock(&g->pins_mu);
    for (session_pin *p = g->pins; p; p = p->next)
        if (!strcmp(p->session_id, session_id)) {
            ch = p->pc->channel;
            break;
        }
    pthread_mutex_unlock(&g->pins_mu);
    return ch;
}

/* Remembers that session_id lives at peer. Failing to pin is not fatal: calls then go through
 * the balanced channel and find the session when there is one daemon, NOT_FOUND otherwise. */
static void pin(grpc_transport *g, const char *session_id, const char *peer)
{
    pthread_mutex_lock(&g->pins_mu);
    peer_channel *pc = g->peers;
    while (pc && strcmp(pc->peer, peer))
        pc = pc->next;
    if (!pc && (pc = calloc(1, sizeof *pc)) != NULL) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        /* The certificate names the host the caller asked for, not the address it resolved to. */
        a0ipc_rpc_channel_options co = g->channel_opts;
        if (!co.authority_override)
            co.authority_override = g->host_name;
        pc->peer = strdup(peer);
        pc->channel = pc->peer ? a0ipc_rpc_channel_new(peer, &co, &st) : NULL;
        a0ipc_status_clear(&st);
        if (!pc->channel) {
            free(pc->peer);
            free(pc);
            pc = NULL;
        } else {
            pc->next = g->peers;
            g->peers = pc;
        }
    }
    session_pin *p = pc ? calloc(1, sizeof *p) : NULL;
    if (p && (p->session_id = strdup(session_id)) != NULL) {
        p->pc = pc;
        p->next = g->pins;
        g->pins = p;
    } else {
        free(p);
    }
    pthread_mutex_unlock(&g->pins_mu);
}

static void unpin(grpc_transport *g, const char *session_id)
{
    pthread_mutex_lock(&g->pins_mu);
    for (session_pin **p = &g->pins; *p; p = &(*p)->next)
        if (!strcmp((*p)->session_id, session_id)) {
            session_pin *gone = *p;
            *p = gone->next;
            free(gone->session_id);
            free(gone);
            break;
        }
    pthread_mutex_unlock(&g->pins_mu);
}

static a0ipc_code oom(a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* "NAME=value" strings into map entries; entries and keys live in `store`. */
typedef A0__Runtime__V1__CreateSessionRequest__EnvEntry SessionEnv;
typedef A0__Runtime__V1__ExecRequest__EnvEntry ExecEnv;

static int split_env(const char *const *env, size_t n, char ***keys_out, const char ***values_out,
                     a0ipc_status *st)
{
    char **keys = calloc(n ? n : 1, sizeof *keys);
    const char **values = calloc(n ? n : 1, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return oom(st), -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq || eq == env[i]) {
            for (size_t j = 0; j < i; j++)
                free(keys[j]);
            free(keys);
            free(values);
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "environment entry \"%s\" is not NAME=value", env[i]);
            return -1;
        }
        keys[i] = strndup(env[i], (size_t)(eq - env[i]));
        values[i] = eq + 1;
    }
    *keys_out = keys;
    *values_out = values;
    return 0;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
}

a0ipc_code gt_create_session(a0ipc_transport *t, const a0ipc_call_options *o,
                             const a0ipc_session_options *so, a0ipc_session_info *out,
                             a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    memset(out, 0, sizeof *out);
    A0__Runtime__V1__CreateSessionRequest req = A0__RUNTIME__V1__CREATE_SESSION_REQUEST__INIT;
    char **keys = NULL;
    const char **values = NULL;
    size_t n_env = so ? so->n_env : 0;
    if (split_env(so ? so->env : NULL, n_env, &keys, &values, st) != 0)
        return st->code;
    SessionEnv *entries = calloc(n_env ? n_env : 1, sizeof *entries);
    SessionEnv **ptrs = calloc(n_env ? n_env : 1, sizeof *ptrs);
    if (!entries || !ptrs) {
        free(entries);
        free(ptrs);
        free_keys(keys, n_env);
        free(values);
        return oom(st);
    }
    for (size_t i = 0; i < n_env; i++) {
        a0__runtime__v1__create_session_request__env_entry__init(&entries[i]);
        entries[i].key = keys[i];
        entries[i].value = (char *)values[i];
        ptrs[i] = &entries[i];
    }
    if (so) {
        req.argv = (char **)so->argv;
        req.n_argv = so->argv ? so->argc : 0;
        req.cwd = (char *)(so->cwd ? so->cwd : "");
        req.rows = so->rows;
        req.cols = so->cols;
        req.idle_ttl_seconds = so->idle_ttl_s;
    }
    req.env = ptrs;
    req.n_env = n_env;

    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_SESSION_OP_MS, &co);
    char *peer = NULL;
    if (g->pin_sessions)
        co.peer_out = &peer;
    A0__Runtime__V1__CreateSessionResponse *resp = NULL;
    a0ipc_code code = a0_runtime_v1_terminal_create_session_call(g->channel, &co, &req, &resp, st);
    free(entries);
    free(ptrs);
    free_keys(keys, n_env);
    free(values);
    if (code == A0IPC_OK) {
        out->id = strdup(resp->session_id);
        out->running_command = strdup("");
        out->pid = resp->pid;
        out->state = A0IPC_SESSION_IDLE;
        if (!out->id || !out->running_command) {
            a0ipc_session_info_clear(out);
            code = oom(st);
        } else if (peer) {
            pin(g, out->id, peer);
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    free(peer);
    return code;
}

/* Delivers one stream event's output; returns nonzero when the caller stops. */
static int deliver(a0ipc_output_fn fn, void *arg, const A0__Runtime__V1__Output *out,
                   uint64_t *lost)
{
    if (!fn || !out)
        return 0;
    int stop = fn(arg, out->seq, out->data.data, out->data.len, *lost);
    *lost = 0;
    return stop;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_DONE_REASON_MIRRORS_PROTO;

static void take_done(const A0__Runtime__V1__Done *d, a0ipc_run_result *out)
{
    if (!d || !out)
        return;
    out->reason = (a0ipc_done_reason)d->reason;
    out->exit_code = d->exit_code;
    out->signal = d->signal;
    out->last_seq = d->last_seq;
}

a0ipc_code gt_run(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                  const a0ipc_run_options *ro, a0ipc_output_fn on_output, void *arg,
                  a0ipc_run_result *out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    memset(out, 0, sizeof *out);
    A0__Runtime__V1__RunTimeouts timeouts = A0__RUNTIME__V1__RUN_TIMEOUTS__INIT;
    timeouts.first_output_ms = ro->first_output_timeout_ms;
    timeouts.between_outputs_ms = ro->between_outputs_timeout_ms;
    timeouts.total_ms = ro->total_timeout_ms;
    timeouts.dialog_ms = ro->dialog_timeout_ms;
    A0__Runtime__V1__RunRequest req = A0__RUNTIME__V1__RUN_REQUEST__INIT;
    req.session_id = (char *)id;
    req.command = (char *)ro->command;
    req.timeouts = &timeouts;
    req.dialog_patterns = (char **)ro->dialog_patterns;
    req.n_dialog_patterns = ro->dialog_patterns ? ro->n_dialog_patterns : 0;
    req.clean_output = ro->clean_output;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, 0, id, &co); /* the request carries its own timeouts */
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_run_open(channel_for(g, id), &co, &req, st);
    if (!s)
        return st->code;
    bool stopped = gt_stream_watch_cancel(o, s), done = false;
    uint64_t lost = 0;
    A0__Runtime__V1__RunResponse *ev = NULL;
    while (!stopped && !done && a0_runtime_v1_terminal_run_read(s, &ev) == 1) {
        if (ev->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT)
            stopped = deliver(on_output, arg, ev->output, &lost) != 0;
        else if (ev->event_case == A0__RUNTIME__V1__RUN_RESPONSE__EVENT_DONE) {
            take_done(ev->done, out);
            done = true;
        }
        protobuf_c_message_free_unpacked(&ev->base, NULL);
    }
    if (done) /* read the end of the stream so finish reports the real status */
        while (a0_runtime_v1_terminal_run_read(s, &ev) == 1)
            protobuf_c_message_free_unpacked(&ev->base, NULL);
    a0ipc_code code = gt_stream_end(s, o, stopped, st);
    if (code == A0IPC_OK && !done)
        code = a0ipc_status_set(st, A0IPC_INTERNAL, "the Run stream ended without a Done event");
    return code;
}

a0ipc_code gt_attach(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                     uint64_t from_seq, a0ipc_output_fn on_output, void *arg, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    A0__Runtime__V1__AttachRequest req = A0__RUNTIME__V1__ATTACH_REQUEST__INIT;
    req.session_id = (char *)id;
    req.from_seq = from_seq == A0IPC_ATTACH_FROM_END ? 0 : from_seq;
    req.from_end = from_seq == A0IPC_ATTACH_FROM_END;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, 0, id, &co);
    a0ipc_rpc_stream *s = a0_runtime_v1_terminal_attach_open(channel_for(g, id), &co, &req, st);
    if (!s)
        return st->code;
    bool stopped = gt_stream_watch_cancel(o, s);
    uint64_t lost = 0;
    A0__Runtime__V1__AttachResponse *ev = NULL;
    while (!stopped && a0_runtime_v1_terminal_attach_read(s, &ev) == 1) {
        switch (ev->event_case) {
        case A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_OUTPUT:
            stopped = deliver(on_output, arg, ev->output, &lost) != 0;
            break;
        case A0__RUNTIME__V1__ATTACH_RESPONSE__EVENT_LOST:
            lost += ev->lost ? ev->lost->length : 0;
            break;
        default: /* Done: the session ended; the stream ends after it */
            break;
        }
        protobuf_c_message_free_unpacked(&ev->base, NULL);
    }
    return gt_stream_end(s, o, stopped, st);
}

a0ipc_code gt_write_stdin(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                          const uint8_t *data, size_t len, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    A0__Runtime__V1__WriteInputRequest req = A0__RUNTIME__V1__WRITE_INPUT_REQUEST__INIT;
    req.session_id = (char *)id;
    req.data.data = (uint8_t *)data;
    req.data.len = len;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, DEADLINE_SESSION_OP_MS, id, &co);
    A0__Runtime__V1__WriteInputResponse *resp = NULL;
    if (a0_runtime_v1_terminal_write_call(channel_for(g, id), &co, &req, &resp, st) == A0IPC_OK)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return st->code;
}

a0ipc_code gt_resize(a0ipc_transport *t, const a0ipc_call_options *o, const char *id, uint32_t rows,
                     uint32_t cols, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    A0__Runtime__V1__ResizeRequest req = A0__RUNTIME__V1__RESIZE_REQUEST__INIT;
    req.session_id = (char *)id;
    req.rows = rows;
    req.cols = cols;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, DEADLINE_SESSION_OP_MS, id, &co);
    A0__Runtime__V1__ResizeResponse *resp = NULL;
    if (a0_runtime_v1_terminal_resize_call(channel_for(g, id), &co, &req, &resp, st) == A0IPC_OK)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return st->code;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_SIGNAL_TARGET_MIRRORS_PROTO;

a0ipc_code gt_signal(a0ipc_transport *t, const a0ipc_call_options *o, const char *id, int signo,
                     a0ipc_signal_target target, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    A0__Runtime__V1__SignalRequest req = A0__RUNTIME__V1__SIGNAL_REQUEST__INIT;
    req.session_id = (char *)id;
    req.signal = signo;
    req.target = (A0__Runtime__V1__SignalTarget)target;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, DEADLINE_SESSION_OP_MS, id, &co);
    A0__Runtime__V1__SignalResponse *resp = NULL;
    if (a0_runtime_v1_terminal_signal_call(channel_for(g, id), &co, &req, &resp, st) == A0IPC_OK)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return st->code;
}

a0ipc_code gt_close_session(a0ipc_transport *t, const a0ipc_call_options *o, const char *id,
                            uint32_t grace_ms, a0ipc_session_end *out, a0ipc_status *st)
{
    if (out)
        *out = (a0ipc_session_end){0};
    grpc_transport *g = t->ctx;
    A0__Runtime__V1__CloseSessionRequest req = A0__RUNTIME__V1__CLOSE_SESSION_REQUEST__INIT;
    req.session_id = (char *)id;
    req.grace_ms = grace_ms;
    a0ipc_rpc_call_options co;
    gt_session_call_options(g, o, (int64_t)grace_ms + DEADLINE_CLOSE_SLACK_MS, id, &co);
    A0__Runtime__V1__CloseSessionResponse *resp = NULL;
    a0ipc_code code =
        a0_runtime_v1_terminal_close_session_call(channel_for(g, id), &co, &req, &resp, st);
    if (code == A0IPC_OK) {
        if (out)
            *out = (a0ipc_session_end){true, resp->exit_code, resp->signal};
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    if (code == A0IPC_OK || code == A0IPC_NOT_FOUND)
        unpin(g, id);
    return code;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_SESSION_STATE_MIRRORS_PROTO;

a0ipc_code gt_list_sessions(a0ipc_transport *t, const a0ipc_call_options *o,
                            a0ipc_session_list **out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    *out = NULL;
    A0__Runtime__V1__ListSessionsRequest req = A0__RUNTIME__V1__LIST_SESSIONS_REQUEST__INIT;
    a0ipc_rpc_call_options co;
    gt_call_options(g, o, DEADLINE_SESSION_OP_MS, &co);
    A0__Runtime__V1__ListSessionsResponse *resp = NULL;
    if (a0_runtime_v1_terminal_list_sessions_call(g->channel, &co, &req, &resp, st) != A0IPC_OK)
        return st->code;
    a0ipc_session_list *l = calloc(1, sizeof *l);
    if (l)
        l->sessions = calloc(resp->n_sessions ? resp->n_sessions : 1, sizeof *l->sessions);
    a0ipc_code code = l && l->sessions ? A0IPC_OK : oom(st);
    for (size_t i = 0; code == A0IPC_OK && i < resp->n_sessions; i++) {
        const A0__Runtime__V1__SessionInfo *si = resp->sessions[i];
        a0ipc_session_info *d = &l->sessions[l->n_sessions];
        d->id = strdup(si->session_id);
        d->running_command = strdup(si->running_command);
        d->pid = si->pid;
        d->state = (a0ipc_session_state)si->state;
        d->created_unix_ms = si->created_unix_ms;
        d->last_activity_unix_ms = si->last_activity_unix_ms;
        l->n_sessions++;
        if (!d->id || !d->running_command)
            code = oom(st);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (code != A0IPC_OK) {
        a0ipc_session_list_free(l);
        return code;
    }
    *out = l;
    return A0IPC_OK;
}

a0ipc_code gt_exec(a0ipc_transport *t, const a0ipc_call_options *o, const a0ipc_exec_options *eo,
                   a0ipc_exec_result *out, a0ipc_status *st)
{
    grpc_transport *g = t->ctx;
    memset(out, 0, sizeof *out);
    char **keys = NULL;
    const char **values = NULL;
    if (split_env(eo->env, eo->n_env, &keys, &values, st) != 0)
        return st->code;
    ExecEnv *entries = calloc(eo->n_env ? eo->n_env : 1, sizeof *entries);
    ExecEnv **ptrs = calloc(eo->n_env ? eo->n_env : 1, sizeof *ptrs);
    a0ipc_code code = entries && ptrs ? A0IPC_OK : oom(st);
    A0__Runtime__V1__ExecRequest req = A0__RUNTIME__V1__EXEC_REQUEST__INIT;
    for (size_t i = 0; code == A0IPC_OK && i < eo->n_env; i++) {
        a0__runtime__v1__exec_request__env_entry__init(&entries[i]);
        entries[i].key = keys[i];
        entries[i].value = (char *)values[i];
        ptrs[i] = &entries[i];
    }
    A0__Runtime__V1__ExecResponse *resp = NULL;
    if (code == A0IPC_OK) {
        req.argv = (char **)eo->argv;
        req.n_argv = eo->argv ? eo->argc : 0;
        req.cwd = (char *)(eo->cwd ? eo->cwd : "");
        req.env = ptrs;
        req.n_env = eo->n_env;
        req.stdin_data.data = (uint8_t *)eo->stdin_data;
        req.stdin_data.len = eo->stdin_data ? eo->stdin_len : 0;
        req.timeout_ms = eo->timeout_ms;
        req.max_output_bytes = eo->output_cap > UINT32_MAX ? UINT32_MAX : (uint32_t)eo->output_cap;
        a0ipc_rpc_call_options co;
        /* With no timeout of its own the daemon applies its configured default: leave the
         * deadline to it then, rather than guess that default here. */
        gt_call_options(g, o, eo->timeout_ms ? (int64_t)eo->timeout_ms + DEADLINE_EXEC_SLACK_MS : 0,
                        &co);
        code = a0_runtime_v1_terminal_exec_call(g->channel, &co, &req, &resp, st);
    }
    free(entries);
    free(ptrs);
    free_keys(keys, eo->n_env);
    free(values);
    if (code != A0IPC_OK)
        return code;
    out->exit_code = resp->exit_code;
    out->signal = resp->signal;
    out->timed_out = resp->timed_out;
    out->stdout_truncated = resp->stdout_truncated;
    out->stderr_truncated = resp->stderr_truncated;
    out->stdout_len = resp->stdout_data.len;
    out->stderr_len = resp->stderr_data.len;
    out->stdout_data = malloc(out->stdout_len + 1);
    out->stderr_data = malloc(out->stderr_len + 1);
    if (!out->stdout_data || !out->stderr_data) {
        a0ipc_exec_result_clear(out);
        code = oom(st);
    } else {
        /* NUL-terminated for convenience; the lengths are the truth. An empty field's data is
         * NULL, which memcpy may not be given even for 0 bytes. */
        if (out->stdout_len)
            memcpy(out->stdout_data, resp->stdout_data.data, out->stdout_len);
        out->stdout_data[out->stdout_len] = 0;
        if (out->stderr_len)
            memcpy(out->stderr_data, resp->stderr_data.data, out->stderr_len);
        out->stderr_data[out->stderr_len] = 0;
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return code;
}
