/* The adapter interface's wrappers, cancellation flags and result destructors: the part of
 * transport.h that is the same for every implementation. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/transport.h"
#include "transport/cancel.h"
#include "transport/transport_impl.h"

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

/* ---- instances ---- */

/* The oldest table version the library reads: version 1 was 0.1's layout, not a table. */
#define OLDEST_OPS_VERSION 2

/* The growth rule, checked by every build (tests/unit/test_transport_abi.c checks the order and
 * the released layout): every operation belongs to a version this header knows, ... */
#define SINCE_KNOWN(since, name, params, args)                                                     \
    _Static_assert((since) >= OLDEST_OPS_VERSION && (since) <= A0IPC_TRANSPORT_VERSION,            \
                   #name ": since is not between 2 and A0IPC_TRANSPORT_VERSION");
A0IPC_TRANSPORT_OPS(SINCE_KNOWN)
#undef SINCE_KNOWN
/* ... and the methods follow destroy with no hole, to the table's end. */
#define PLUS_ONE(since, name, params, args) +1
enum { N_OPERATIONS = 0 A0IPC_TRANSPORT_OPS(PLUS_ONE) };
#undef PLUS_ONE
_Static_assert(sizeof(a0ipc_transport_ops) == offsetof(a0ipc_transport_ops, destroy) +
                                                  (1 + N_OPERATIONS) * sizeof(void (*)(void)),
               "a0ipc_transport_ops has a hole or a member outside the list");

a0ipc_transport *a0ipc_transport_new(const a0ipc_transport_ops *ops, void *ctx, a0ipc_status *st)
{
    if (!ops || ops->version < OLDEST_OPS_VERSION) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "transport method table of version %d: this library reads %d to %d",
                         ops ? ops->version : 0, OLDEST_OPS_VERSION, A0IPC_TRANSPORT_VERSION);
        return NULL;
    }
    a0ipc_transport *t = malloc(sizeof *t);
    if (!t) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    t->ops = ops;
    t->ctx = ctx;
    return t;
}

void *a0ipc_transport_ctx(const a0ipc_transport *t)
{
    return t ? t->ctx : NULL;
}

const char *a0ipc_transport_name(const a0ipc_transport *t)
{
    return t && t->ops->name ? t->ops->name : "(null)";
}

void a0ipc_transport_free(a0ipc_transport *t)
{
    if (!t)
        return;
    if (t->ops->destroy)
        t->ops->destroy(t);
    free(t);
}

/* A method is there when the table's version has it (the growth rule: a table compiled against
 * an older header ends before the members added since) and it is not NULL. */
#define HAS(t, since, name) ((t) && (t)->ops->version >= (since) && (t)->ops->name)

bool a0ipc_transport_has(const a0ipc_transport *t, const char *name)
{
#define HAS_NAMED(since, op, params, args)                                                         \
    if (name && !strcmp(name, #op))                                                                \
        return HAS(t, since, op);
    A0IPC_TRANSPORT_OPS(HAS_NAMED)
#undef HAS_NAMED
    return false;
}

/* ---- the wrappers ---- */

static a0ipc_code missing(const a0ipc_transport *t, const char *op, a0ipc_status *st)
{
    return a0ipc_status_set(st, A0IPC_UNIMPLEMENTED, "the %s transport has no %s",
                            a0ipc_transport_name(t), op);
}

/* Every wrapper: check the method is there, clear the status, call. */
#define WRAPPER(since, name, params, args)                                                         \
    a0ipc_code a0ipc_##name(a0ipc_transport *t, const a0ipc_call_options *o,                       \
                            A0IPC_TRANSPORT_UNPAREN params, a0ipc_status *st)                      \
    {                                                                                              \
        if (!HAS(t, since, name))                                                                  \
            return missing(t, #name, st);                                                          \
        a0ipc_status_clear(st);                                                                    \
        return t->ops->name(t, o, A0IPC_TRANSPORT_UNPAREN args, st);                               \
    }
A0IPC_TRANSPORT_OPS(WRAPPER)
#undef WRAPPER
