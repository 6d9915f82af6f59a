/* The project's one table from legacy RFC failures to status codes (docs/architecture.md: one
 * error model).
 *
 * A failed RFC answers HTTP 500 with a Python traceback (docs/legacy-protocol.md, "RFC over
 * HTTP"). The exception is read from the body like this:
 *   1. the body's last non-empty line, when it is an exception line "<Type>: <message>" (or a
 *      bare "<Type>"): Python's traceback always ends with the raised exception;
 *   2. else the first line, when it is "<Type>Error: <message>": the legacy server puts the line
 *      of an exception whose type ends in "Error" on top, and Agent Zero's formatter also cuts
 *      it from the end.
 * Rule 1 comes first because Agent Zero's formatter picks the top line by searching the whole
 * traceback for the last "...Error:" line, which for a chained exception (raise Exception(...)
 * inside `except OSError`) is the cause, not the exception raised; the last line is the raised
 * one in both layouts.
 *
 * The message is kept exactly as the server wrote it: callers (and the characterization tests)
 * compare it with the legacy's. */
#ifndef A0IPC_LEGACY_ERRORS_H
#define A0IPC_LEGACY_ERRORS_H

#include <stddef.h>

#include "a0ipc/status.h"

typedef struct a0ipc_legacy_error {
    char *type;    /* "FileNotFoundError", "Exception", "binascii.Error"; NULL when none */
    char *message; /* exactly as written; "" for a bare type */
} a0ipc_legacy_error;

/* Reads the exception from a traceback body. 0 when one was found, -1 when the body names none
 * (or out of memory); out is then empty. */
int a0ipc_legacy_error_parse(const char *body, size_t len, a0ipc_legacy_error *out);
void a0ipc_legacy_error_clear(a0ipc_legacy_error *e);

/* The table: the code for a Python exception type (a dotted prefix is ignored) and message.
 *   FileNotFoundError, ProcessLookupError       NOT_FOUND
 *   FileExistsError                              ALREADY_EXISTS
 *   PermissionError                              PERMISSION_DENIED
 *   IsADirectoryError, NotADirectoryError        FAILED_PRECONDITION
 *   TimeoutError                                 DEADLINE_EXCEEDED
 *   ConnectionError and its subclasses           UNAVAILABLE
 *   ValueError, TypeError, UnicodeDecodeError,
 *     UnicodeEncodeError                         INVALID_ARGUMENT
 *   MemoryError                                  RESOURCE_EXHAUSTED
 *   OverflowError                                OUT_OF_RANGE
 *   NotImplementedError, ModuleNotFoundError,
 *     ImportError, AttributeError "module '...' has no attribute '...'" (the RFC named a
 *     function the server does not have)        UNIMPLEMENTED
 *   OSError, IOError with "[Errno N] ..."        the errno table (a0ipc_code_from_errno)
 *   Exception "Invalid RFC hash"                 UNAUTHENTICATED
 *   Exception "No RFC password..."               FAILED_PRECONDITION
 *   anything else, Exception included            UNKNOWN */
a0ipc_code a0ipc_legacy_code_for(const char *type, const char *message);

/* An RFC answer that is not HTTP 200, as a status: for a 500 whose body names an exception, the
 * code from the table and the exception's message; otherwise the code gRPC gives that HTTP status
 * (400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED,
 * 429/502/503/504 UNAVAILABLE, else UNKNOWN) and the body's text as the message (the legacy
 * client raised Exception(body)). *type_out, when not NULL, gets the exception type (caller
 * frees; NULL when none). Returns the code. */
a0ipc_code a0ipc_legacy_status_from_http(long http_status, const char *body, size_t len,
                                         a0ipc_status *st, char **type_out);

#endif
