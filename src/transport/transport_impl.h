/* For implementations of the adapter interface inside the library: the instance's layout (opaque
 * to programs, see transport.h) and the helpers that make a method table from the one list of
 * operations (a0ipc/transport_ops.h). */
#ifndef A0IPC_TRANSPORT_IMPL_H
#define A0IPC_TRANSPORT_IMPL_H

#include "a0ipc/transport.h"

struct a0ipc_transport {
    const a0ipc_transport_ops *ops; /* shared by every instance of one implementation */
    void *ctx;                      /* this instance's own; ops->destroy frees it */
};

/* The type of method `name`, for declaring an implementation's functions from the list:
 *   #define GT_DECLARE(since, name, params, args) A0IPC_TRANSPORT_METHOD_DECL(gt_##name, params)
 *   A0IPC_TRANSPORT_OPS(GT_DECLARE)
 * and a table entry that names it:
 *   #define GT_METHOD(since, name, params, args) .name = gt_##name,
 */
#define A0IPC_TRANSPORT_METHOD_DECL(fn, params)                                                    \
    a0ipc_code fn(a0ipc_transport *t, const a0ipc_call_options *o, A0IPC_TRANSPORT_UNPAREN params, \
                  a0ipc_status *st);

#endif
