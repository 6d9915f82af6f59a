/* The adapter interface's wrappers, cancellation flags and result destructors: the part of
 * transport.h that is the same for every implementation. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/transport.h"
#include "transport/cancel.h"

/* ---- cancellation ---- */

struct a0ipc_cancel {
    pthread_mutex_t mu;
    bool raised;
    void (*hook)(void *arg);
    void *hook_arg;
};

a0ipc_cancel *a0ipc_cancel_new(void)
{
    a0ipc_cancel *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->mu, NULL);
    return c;
}

void a0ipc_cancel_raise(a0ipc_cancel *c)
{
    pthread_mutex_lock(&c->mu);
    bool first = !c->raised;
    c->raised = true;
    /* The hook runs under the lock so that a0ipc_cancel_set_hook(c, NULL, NULL) returning means
     * it is not running: the stream it cancels cannot be freed under it. */
    if (first && c->hook)
        c->hook(c->hook_arg);
    pthread_mutex_unlock(&c->mu);
}

bool a0ipc_cancel_raised(const a0ipc_cancel *c)
{
    pthread_mutex_lock((pthread_mutex_t *)&c->mu);
    bool raised = c->raised;
    pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
    return raised;
}

void a0ipc_cancel_free(a0ipc_cancel *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

bool a0ipc_cancel_set_hook(a0ipc_cancel *c, void (*hook)(void *arg), void *arg)
{
    if (!c)
        return false;
    pthread_mutex_lock(&c->mu);
    c->hook = hook;
    c->hook_arg = arg;
    bool raised = c->raised;
    pthread_mutex_unlock(&c->mu);
    return raised;
}

/* ---- results ---- */

void a0ipc_file_info_clear(a0ipc_file_info *fi)
{
    free(fi->name);
    free(fi->path);
    free(fi->symlink_target);
    memset(fi, 0, sizeof *fi);
}

void a0ipc_file_list_free(a0ipc_file_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_entries; i++)
        a0ipc_file_info_clear(&l->entries[i]);
    free(l->entries);
    free(l);
}

void a0ipc_session_info_clear(a0ipc_session_info *s)
{
    free(s->id);
    free(s->running_command);
    memset(s, 0, sizeof *s);
}

void a0ipc_session_list_free(a0ipc_session_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_sessions; i++)
        a0ipc_session_info_clear(&l->sessions[i]);
    free(l->sessions);
    free(l);
}

void a0ipc_exec_result_clear(a0ipc_exec_result *r)
{
    free(r->stdout_data);
    free(r->stderr_data);
    memset(r, 0, sizeof *r);
}

/* ---- the wrappers ---- */

void a0ipc_transport_free(a0ipc_transport *t)
{
    if (t && t->destroy)
        t->destroy(t);
}

static a0ipc_code missing(a0ipc_transport *t, const char *op, a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_UNIMPLEMENTED, "the %s transport has no %s",
                            t && t->name ? t->name : "(null)", op);
}

/* Every wrapper: check the method is there, clear the status, call. */
#define CALL(op, ...)                                                                              \
    do {                                                                                           \
        if (!t || !t->op)                                                                          \
            return missing(t, #op, st);                                                            \
        a0ipc_status_clear(st);                                                                    \
        return t->op(t, __VA_ARGS__);                                                              \
    } while (0)

a0ipc_code a0ipc_health(a0ipc_transport *t, const a0ipc_call_options *o, const char *service,
                        a0ipc_serving *out, a0ipc_status *st)
{
    CALL(health, o, service, out, st);
}

a0ipc_code a0ipc_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                      bool follow_symlinks, a0ipc_file_info *out, a0ipc_status *st)
{
    CALL(stat, o, path, follow_symlinks, out, st);
}

a0ipc_code a0ipc_list_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                          uint32_t depth, bool include_hidden, a0ipc_file_list **out,
                          a0ipc_status *st)
{
    CALL(list_dir, o, path, depth, include_hidden, out, st);
}

a0ipc_code a0ipc_read(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                      uint64_t offset, uint64_t length, a0ipc_data_fn sink, void *arg,
                      a0ipc_status *st)
{
    CALL(read, o, path, offset, length, sink, arg, st);
}

a0ipc_code a0ipc_write(a0ipc_transport *t, const a0ipc_call_options *o,
                       const a0ipc_write_options *w, a0ipc_source_fn source, void *arg,
                       a0ipc_write_result *out, a0ipc_status *st)
{
    CALL(write, o, w, source, arg, out, st);
}

a0ipc_code a0ipc_remove(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                        bool recursive, bool missing_ok, a0ipc_file_type must_be, bool *removed,
                        a0ipc_status *st)
{
    CALL(remove, o, path, recursive, missing_ok, must_be, removed, st);
}

a0ipc_code a0ipc_make_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                          uint32_t mode, bool parents, bool exist_ok, bool *created,
                          a0ipc_status *st)
{
    CALL(make_dir, o, path, mode, parents, exist_ok, created, st);
}

a0ipc_code a0ipc_move(a0ipc_transport *t, const a0ipc_call_options *o, const char *source,
                      const char *destination, bool overwrite, bool create_parents,
                      a0ipc_status *st)
{
    CALL(move, o, source, destination, overwrite, create_parents, st);
}

a0ipc_code a0ipc_archive(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                         a0ipc_archive_format format, bool include_base_name, a0ipc_data_fn sink,
                         void *arg, a0ipc_status *st)
{
    CALL(archive, o, path, format, include_base_name, sink, arg, st);
}

a0ipc_code a0ipc_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                       bool recursive, a0ipc_watch_fn on_event, void *arg, a0ipc_status *st)
{
    CALL(watch, o, path, recursive, on_event, arg, st);
}

a0ipc_code a0ipc_create_session(a0ipc_transport *t, const a0ipc_call_options *o,
                                const a0ipc_session_options *so, a0ipc_session_info *out,
                                a0ipc_status *st)
{
    CALL(create_session, o, so, out, st);
}

a0ipc_code a0ipc_run(a0ipc_transport *t, const a0ipc_call_options *o, const char *session_id,
                     const a0ipc_run_options *ro, a0ipc_output_fn on_output, void *arg,
                     a0ipc_run_result *out, a0ipc_status *st)
{
    CALL(run, o, session_id, ro, on_output, arg, out, st);
}

a0ipc_code a0ipc_write_stdin(a0ipc_transport *t, const a0ipc_call_options *o,
                             const char *session_id, const uint8_t *data, size_t len,
                             a0ipc_status *st)
{
    CALL(write_stdin, o, session_id, data, len, st);
}

a0ipc_code a0ipc_attach(a0ipc_transport *t, const a0ipc_call_options *o, const char *session_id,
                        uint64_t from_seq, a0ipc_output_fn on_output, void *arg, a0ipc_status *st)
{
    CALL(attach, o, session_id, from_seq, on_output, arg, st);
}

a0ipc_code a0ipc_resize(a0ipc_transport *t, const a0ipc_call_options *o, const char *session_id,
                        uint32_t rows, uint32_t cols, a0ipc_status *st)
{
    CALL(resize, o, session_id, rows, cols, st);
}

a0ipc_code a0ipc_signal(a0ipc_transport *t, const a0ipc_call_options *o, const char *session_id,
                        int signo, a0ipc_signal_target target, a0ipc_status *st)
{
    CALL(signal, o, session_id, signo, target, st);
}

a0ipc_code a0ipc_close_session(a0ipc_transport *t, const a0ipc_call_options *o,
                               const char *session_id, uint32_t grace_ms, a0ipc_status *st)
{
    CALL(close_session, o, session_id, grace_ms, st);
}

a0ipc_code a0ipc_list_sessions(a0ipc_transport *t, const a0ipc_call_options *o,
                               a0ipc_session_list **out, a0ipc_status *st)
{
    CALL(list_sessions, o, out, st);
}

a0ipc_code a0ipc_exec(a0ipc_transport *t, const a0ipc_call_options *o, const a0ipc_exec_options *eo,
                      a0ipc_exec_result *out, a0ipc_status *st)
{
    CALL(exec, o, eo, out, st);
}
