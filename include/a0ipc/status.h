/* One error model for the whole project: a gRPC status code and a message.
 *
 * Ownership: an a0ipc_status owns its message (heap, may be NULL). Functions that take an
 * a0ipc_status * to fill replace any previous message; a0ipc_status_clear frees it. A status that
 * was never set is {A0IPC_OK, NULL} (A0IPC_STATUS_INIT) and needs no clearing. */
#ifndef A0IPC_STATUS_H
#define A0IPC_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The 17 canonical gRPC status codes, with the same numbers as on the wire. */
typedef enum a0ipc_code {
    A0IPC_OK = 0,
    A0IPC_CANCELLED = 1,
    A0IPC_UNKNOWN = 2,
    A0IPC_INVALID_ARGUMENT = 3,
    A0IPC_DEADLINE_EXCEEDED = 4,
    A0IPC_NOT_FOUND = 5,
    A0IPC_ALREADY_EXISTS = 6,
    A0IPC_PERMISSION_DENIED = 7,
    A0IPC_RESOURCE_EXHAUSTED = 8,
    A0IPC_FAILED_PRECONDITION = 9,
    A0IPC_ABORTED = 10,
    A0IPC_OUT_OF_RANGE = 11,
    A0IPC_UNIMPLEMENTED = 12,
    A0IPC_INTERNAL = 13,
    A0IPC_UNAVAILABLE = 14,
    A0IPC_DATA_LOSS = 15,
    A0IPC_UNAUTHENTICATED = 16,
} a0ipc_code;

#define A0IPC_CODE_COUNT 17

typedef struct a0ipc_status {
    a0ipc_code code;
    char *message; /* owned; NULL means "no message" */
} a0ipc_status;

#define A0IPC_STATUS_INIT                                                                          \
    {                                                                                              \
        A0IPC_OK, NULL                                                                             \
    }

/* "OK", "NOT_FOUND", ...; "UNKNOWN_CODE" for a number outside 0..16. */
const char *a0ipc_code_name(a0ipc_code code);

/* Parses a code name as printed by a0ipc_code_name; returns -1 when unknown. */
int a0ipc_code_from_name(const char *name);

/* The project's one errno table (docs/errors.md lists it). Unknown errno values map to
 * A0IPC_INTERNAL, so nothing is ever reported as success by accident. */
a0ipc_code a0ipc_code_from_errno(int err);

/* Client text quoted in a status message is bounded: every %s (without a precision) in the
 * formats below prints at most this many bytes of its string, then "…(+K bytes)". A format that
 * is exactly "%s" passes an already formatted message on unchanged. */
#define A0IPC_STATUS_QUOTE_MAX 256

/* Sets code and a printf-formatted message. Returns the code, so handlers can write
 * `return a0ipc_status_set(st, A0IPC_NOT_FOUND, "no session %s", id);`. */
a0ipc_code a0ipc_status_set(a0ipc_status *st, a0ipc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
a0ipc_code a0ipc_status_setv(a0ipc_status *st, a0ipc_code code, const char *fmt, va_list ap);

/* Sets the code from errno `err` through the errno table and the message to
 * "<formatted context>: <strerror(err)>". */
a0ipc_code a0ipc_status_from_errno(a0ipc_status *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Moves src into dst (dst's old message is freed; src becomes A0IPC_STATUS_INIT). */
void a0ipc_status_move(a0ipc_status *dst, a0ipc_status *src);

/* The message, or "" when there is none; never NULL. */
const char *a0ipc_status_message(const a0ipc_status *st);

void a0ipc_status_clear(a0ipc_status *st);

static inline int a0ipc_status_ok(const a0ipc_status *st)
{
    return st->code == A0IPC_OK;
}

#ifdef __cplusplus
}
#endif
#endif
