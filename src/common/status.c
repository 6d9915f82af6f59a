#include "a0ipc/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[A0IPC_CODE_COUNT] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *a0ipc_code_name(a0ipc_code code)
{
    if ((int)code < 0 || (int)code >= A0IPC_CODE_COUNT)
        return "UNKNOWN_CODE";
    return code_names[code];
}

int a0ipc_code_from_name(const char *name)
{
    for (int i = 0; name && i < A0IPC_CODE_COUNT; i++)
        if (strcmp(code_names[i], name) == 0)
            return i;
    return -1;
}

/* The errno table. Kept as data so docs/errors.md and the unit test can walk it; the rows follow
 * gRPC's guidance on which code a caller can act on: FAILED_PRECONDITION when the state of the
 * system must change first, INVALID_ARGUMENT when the request itself is wrong whatever the state,
 * UNAVAILABLE only for what a retry may fix. */
static const struct {
    int err;
    a0ipc_code code;
} errno_table[] = {
    {0, A0IPC_OK},
    {ENOENT, A0IPC_NOT_FOUND},
    {ESRCH, A0IPC_NOT_FOUND},
    {ENXIO, A0IPC_NOT_FOUND},
    {EEXIST, A0IPC_ALREADY_EXISTS},
    {ENOTEMPTY, A0IPC_FAILED_PRECONDITION},
    {EACCES, A0IPC_PERMISSION_DENIED},
    {EPERM, A0IPC_PERMISSION_DENIED},
    {EROFS, A0IPC_PERMISSION_DENIED},
    {EXDEV, A0IPC_PERMISSION_DENIED}, /* openat2 RESOLVE_BENEATH: the path leaves the root */
    {ENOTDIR, A0IPC_FAILED_PRECONDITION},
    {EISDIR, A0IPC_FAILED_PRECONDITION},
    {ETXTBSY, A0IPC_FAILED_PRECONDITION},
    {EBUSY, A0IPC_FAILED_PRECONDITION},
    {ELOOP, A0IPC_FAILED_PRECONDITION},
    {EINVAL, A0IPC_INVALID_ARGUMENT},
    {ENAMETOOLONG, A0IPC_INVALID_ARGUMENT},
    {EBADF, A0IPC_INVALID_ARGUMENT},
    {E2BIG, A0IPC_INVALID_ARGUMENT},
    {EFBIG, A0IPC_OUT_OF_RANGE},
    {EOVERFLOW, A0IPC_OUT_OF_RANGE},
    {ERANGE, A0IPC_OUT_OF_RANGE},
    {ENOSPC, A0IPC_RESOURCE_EXHAUSTED},
    {EDQUOT, A0IPC_RESOURCE_EXHAUSTED},
    {ENOMEM, A0IPC_RESOURCE_EXHAUSTED},
    {EMFILE, A0IPC_RESOURCE_EXHAUSTED},
    {ENFILE, A0IPC_RESOURCE_EXHAUSTED},
    {EMLINK, A0IPC_RESOURCE_EXHAUSTED},
    {EAGAIN, A0IPC_UNAVAILABLE},
    {EINTR, A0IPC_UNAVAILABLE},
    {ECONNREFUSED, A0IPC_UNAVAILABLE},
    {ECONNRESET, A0IPC_UNAVAILABLE},
    {EPIPE, A0IPC_UNAVAILABLE},
    {ETIMEDOUT, A0IPC_DEADLINE_EXCEEDED},
    {ECANCELED, A0IPC_CANCELLED},
    {ENOSYS, A0IPC_UNIMPLEMENTED},
    {EOPNOTSUPP, A0IPC_UNIMPLEMENTED},
    {EIO, A0IPC_DATA_LOSS},
};

a0ipc_code a0ipc_code_from_errno(int err)
{
    for (size_t i = 0; i < sizeof errno_table / sizeof errno_table[0]; i++)
        if (errno_table[i].err == err)
            return errno_table[i].code;
    return A0IPC_INTERNAL;
}

a0ipc_code a0ipc_status_setv(a0ipc_status *st, a0ipc_code code, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (fmt && vasprintf(&msg, fmt, ap) < 0)
        msg = NULL; /* out of memory: the code still tells the truth */
    free(st->message);
    st->code = code;
    st->message = msg;
    return code;
}

a0ipc_code a0ipc_status_set(a0ipc_status *st, a0ipc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    a0ipc_status_setv(st, code, fmt, ap);
    va_end(ap);
    return code;
}

a0ipc_code a0ipc_status_from_errno(a0ipc_status *st, int err, const char *fmt, ...)
{
    char *ctx = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&ctx, fmt, ap) < 0)
        ctx = NULL;
    va_end(ap);
    a0ipc_status_set(st, a0ipc_code_from_errno(err), "%s: %s", ctx ? ctx : "", strerror(err));
    free(ctx);
    return st->code;
}

void a0ipc_status_move(a0ipc_status *dst, a0ipc_status *src)
{
    if (dst == src)
        return;
    free(dst->message);
    *dst = *src;
    src->code = A0IPC_OK;
    src->message = NULL;
}

const char *a0ipc_status_message(const a0ipc_status *st)
{
    return st->message ? st->message : "";
}

void a0ipc_status_clear(a0ipc_status *st)
{
    free(st->message);
    st->message = NULL;
    st->code = A0IPC_OK;
}
