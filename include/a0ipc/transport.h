/* a0ipc's IPC adapter interface: every operation a caller of the runtime needs (files,
 * terminal, health), behind a method table (a0ipc_transport_ops: one per implementation, its
 * operations listed once in transport_ops.h) and a context per instance. Callers are handed an
 * `a0ipc_transport *` and never know which implementation they got: gRPC
 * (a0ipc_grpc_transport_new), the legacy RFC + SSH (a0ipc_legacy_transport_new, legacy_transport.h;
 * docs/migration.md maps its operations) or the router that picks between them per call
 * (a0ipc_router_new). They call the a0ipc_* wrappers at the bottom of this file, not the methods.
 *
 * Ownership
 *   - Everything passed in is borrowed for the duration of the call only.
 *   - Results come back through out-parameters the implementation allocates; free them with the
 *     matching a0ipc_*_free function. On error the out-parameters are left empty (NULL/zero).
 *   - Every operation fills an a0ipc_status (code and message) and returns its code.
 *   - a0ipc_transport_free frees an implementation and whatever it owns (a router owns the
 *     transports it was given).
 *
 * Threading
 *   - A transport may be used from any number of threads at once. Callbacks run on the calling
 *     thread, one at a time per call, in stream order.
 *
 * Streams and cancellation
 *   - Streams are delivered through callbacks. A callback returns 0 to go on; anything else stops
 *     the stream, cancels the call, and the operation returns A0IPC_CANCELLED.
 *   - a0ipc_call_options.cancel, when set, is a flag another thread may raise with
 *     a0ipc_cancel_raise: the operation then stops as soon as it can with A0IPC_CANCELLED.
 *   - Deadlines: a0ipc_call_options.timeout_ms; 0 takes the method's default (docs/cli.md lists
 *     them); a negative value means none.
 */
#ifndef A0IPC_TRANSPORT_H
#define A0IPC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "a0ipc/status.h"
#include "a0ipc/transport_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-call options ---- */

typedef struct a0ipc_cancel a0ipc_cancel;
a0ipc_cancel *a0ipc_cancel_new(void);
void a0ipc_cancel_raise(a0ipc_cancel *c); /* any thread; idempotent */
bool a0ipc_cancel_raised(const a0ipc_cancel *c);
void a0ipc_cancel_free(a0ipc_cancel *c);

/* The metadata key the gRPC transport sends a call's affinity key in (a0ipc_call_options). */
#define A0IPC_AFFINITY_METADATA "x-a0ipc-session"

typedef struct a0ipc_call_options {
    int64_t timeout_ms; /* 0: the method's default; < 0: no deadline */
    /* Agent or session id; may be NULL. The router's canary hashes it; the gRPC transport sends
     * it (else, for a session's calls, the session id) as the x-a0ipc-session metadata that a
     * proxy hashes for affinity (docs/operations.md, Behind nginx). */
    const char *routing_key;
    a0ipc_cancel *cancel; /* may be NULL */
} a0ipc_call_options;

/* ---- health ---- */

typedef enum a0ipc_serving {
    A0IPC_SERVING_UNKNOWN = 0,
    A0IPC_SERVING = 1,
    A0IPC_NOT_SERVING = 2,
    A0IPC_SERVICE_UNKNOWN = 3, /* health_watch only: the server does not know the service (yet) */
} a0ipc_serving;

/* health_watch's callback, once per status the server reports; non-zero stops the watch. */
typedef int (*a0ipc_serving_fn)(void *arg, a0ipc_serving status);

/* ---- files ---- */

typedef enum a0ipc_file_type {
    A0IPC_FILE_UNSPECIFIED = 0,
    A0IPC_FILE_REGULAR = 1,
    A0IPC_FILE_DIR = 2,
    A0IPC_FILE_SYMLINK = 3,
    A0IPC_FILE_OTHER = 4,
} a0ipc_file_type;

typedef struct a0ipc_file_info {
    char *name;
    char *path;
    a0ipc_file_type type;
    uint64_t size;
    uint32_t mode;
    int64_t mtime_ns;
    char *symlink_target; /* "" unless a symlink */
} a0ipc_file_info;

typedef struct a0ipc_file_list {
    a0ipc_file_info *entries;
    size_t n_entries;
    bool truncated;
} a0ipc_file_list;

void a0ipc_file_info_clear(a0ipc_file_info *fi);
void a0ipc_file_list_free(a0ipc_file_list *l);

/* Receives a stream's bytes (file content, an archive). Return 0 to go on. */
typedef int (*a0ipc_data_fn)(void *arg, const uint8_t *data, size_t len);
/* Supplies an upload: fill buf with up to cap bytes and return how many; 0 at the end; -1 to
 * abort the upload (nothing is written, the call returns A0IPC_CANCELLED). */
typedef ssize_t (*a0ipc_source_fn)(void *arg, uint8_t *buf, size_t cap);

typedef enum a0ipc_overwrite {
    A0IPC_OVERWRITE_REPLACE = 1,
    A0IPC_OVERWRITE_FAIL = 2,
} a0ipc_overwrite;

typedef struct a0ipc_write_options {
    const char *path;
    uint32_t mode; /* 0: the replaced file's, or 0644 */
    bool create_parents;
    a0ipc_overwrite overwrite; /* 0 means REPLACE */
    bool has_expected_size;
    uint64_t expected_size;
    const uint8_t *expected_sha256; /* 32 bytes, or NULL */
} a0ipc_write_options;

typedef struct a0ipc_write_result {
    uint64_t bytes_written;
    uint8_t sha256[32];
} a0ipc_write_result;

typedef enum a0ipc_archive_format {
    A0IPC_ARCHIVE_ZIP = 1,
    A0IPC_ARCHIVE_TAR_GZ = 2,
} a0ipc_archive_format;

typedef enum a0ipc_watch_type {
    A0IPC_WATCH_READY = 1,
    A0IPC_WATCH_CREATE = 2,
    A0IPC_WATCH_MODIFY = 3,
    A0IPC_WATCH_REMOVE = 4,
    A0IPC_WATCH_RENAME = 5,
    A0IPC_WATCH_OVERFLOW = 6,
} a0ipc_watch_type;

typedef struct a0ipc_watch_event {
    a0ipc_watch_type type;
    const char *path;
    const char *old_path; /* "" unless RENAME */
    bool is_dir;
} a0ipc_watch_event;

/* Receives one change; return 0 to go on watching. */
typedef int (*a0ipc_watch_fn)(void *arg, const a0ipc_watch_event *ev);

/* ---- terminal ---- */

typedef struct a0ipc_session_options {
    const char *const *argv; /* the shell; NULL: /bin/bash */
    size_t argc;
    const char *cwd;        /* NULL: the daemon's default */
    const char *const *env; /* "NAME=value" */
    size_t n_env;
    uint32_t rows, cols; /* 0: 50 x 100, the legacy PTY size */
    uint32_t idle_ttl_s; /* 0: the daemon's default */
} a0ipc_session_options;

typedef enum a0ipc_session_state {
    A0IPC_SESSION_UNSPECIFIED = 0,
    A0IPC_SESSION_IDLE = 1,    /* waiting for a command */
    A0IPC_SESSION_BUSY = 2,    /* a command runs */
    A0IPC_SESSION_CLOSING = 3, /* CloseSession is ending its processes */
    A0IPC_SESSION_EXITED = 4,  /* the shell is gone; output can still be read */
} a0ipc_session_state;

typedef struct a0ipc_session_info {
    char *id;
    int pid;
    a0ipc_session_state state;
    int64_t created_unix_ms, last_activity_unix_ms;
    char *running_command; /* "" when idle */
} a0ipc_session_info;

typedef struct a0ipc_session_list {
    a0ipc_session_info *sessions;
    size_t n_sessions;
} a0ipc_session_list;

/* What close_session learnt of the shell it ended (or found ended). */
typedef struct a0ipc_session_end {
    bool known;    /* false where the backend cannot tell (the legacy) */
    int exit_code; /* the shell's exit status when it exited normally */
    int signal;    /* the signal that ended it, or 0 */
} a0ipc_session_end;

void a0ipc_session_info_clear(a0ipc_session_info *s);
void a0ipc_session_list_free(a0ipc_session_list *l);

typedef struct a0ipc_run_options {
    const char *command;
    /* Milliseconds; 0 = none. A command still running at a timeout keeps running. */
    uint32_t first_output_timeout_ms;
    uint32_t between_outputs_timeout_ms;
    uint32_t total_timeout_ms;
    uint32_t dialog_timeout_ms;
    const char *const *dialog_patterns; /* regular expressions; NULL: the legacy ones */
    size_t n_dialog_patterns;
    bool clean_output; /* the legacy cleaning (ANSI, CR) instead of raw bytes */
} a0ipc_run_options;

typedef enum a0ipc_done_reason {
    A0IPC_DONE_UNSPECIFIED = 0,
    A0IPC_DONE_EXITED = 1,
    A0IPC_DONE_FIRST_OUTPUT_TIMEOUT = 2,
    A0IPC_DONE_IDLE_TIMEOUT = 3,
    A0IPC_DONE_MAX_TIME = 4,
    A0IPC_DONE_DIALOG = 5,
    A0IPC_DONE_SESSION_CLOSED = 6,
} a0ipc_done_reason;

typedef struct a0ipc_run_result {
    a0ipc_done_reason reason;
    int exit_code;     /* valid when reason is EXITED */
    int signal;        /* when the command died of a signal (exit_code is then 128 + signal) */
    uint64_t last_seq; /* the stream offset after the last byte delivered */
} a0ipc_run_result;

/* attach's from_seq meaning "only what comes from now on". */
#define A0IPC_ATTACH_FROM_END UINT64_MAX

/* Receives terminal output: seq is the stream offset of data's first byte; lost > 0 says that
 * many bytes before seq are gone from the daemon's buffer. Return 0 to go on. */
typedef int (*a0ipc_output_fn)(void *arg, uint64_t seq, const uint8_t *data, size_t len,
                               uint64_t lost);

typedef struct a0ipc_exec_options {
    const char *const *argv;
    size_t argc;
    const char *const *env;
    size_t n_env;
    const char *cwd;
    const uint8_t *stdin_data;
    size_t stdin_len;
    uint32_t timeout_ms; /* 0: the daemon's default */
    uint64_t output_cap; /* per stream; 0: the daemon's default */
} a0ipc_exec_options;

typedef struct a0ipc_exec_result {
    int exit_code; /* -1 when killed by a signal */
    int signal;    /* 0 unless killed */
    bool timed_out;
    uint8_t *stdout_data, *stderr_data;
    size_t stdout_len, stderr_len;
    bool stdout_truncated, stderr_truncated;
} a0ipc_exec_result;

void a0ipc_exec_result_clear(a0ipc_exec_result *r);

typedef enum a0ipc_signal_target {
    A0IPC_SIGNAL_FOREGROUND = 1, /* the foreground process group of the PTY */
    A0IPC_SIGNAL_SESSION = 2,    /* every process of the session */
} a0ipc_signal_target;

/* ---- the interface ---- */

/* A transport instance: its method table and its context. Opaque: the library allocates it
 * (a0ipc_transport_new), so that it can change without an ABI break. */
typedef struct a0ipc_transport a0ipc_transport;

/* An implementation's method table, in the manner of curl's connection filters (a const type
 * table, a context per instance): one `static const` table per implementation, shared by all
 * its instances. Members come from A0IPC_TRANSPORT_OPS (transport_ops.h); a NULL method is
 * UNIMPLEMENTED.
 *
 * Growth (the rule of SQLite's sqlite3_vfs iVersion):
 *   - The table only grows at its end. Once a version is released, a new operation is appended
 *     to A0IPC_TRANSPORT_OPS with since = A0IPC_TRANSPORT_VERSION + 1, and
 *     A0IPC_TRANSPORT_VERSION becomes that number. (Until its release, a version's own list may
 *     still grow at its end with since = that version: health_watch joined version 2 so.)
 *     Nothing is removed, reordered or retyped: that is an incompatible change, which needs a new
 *     soname (docs/architecture.md, The adapter interface).
 *   - An implementation sets .version to the A0IPC_TRANSPORT_VERSION it was compiled with: its
 *     table has the members of that version and of none after.
 *   - A caller checks the table's version before it uses a method: a method whose since is above
 *     the table's version is not there (the table is shorter), and counts as UNIMPLEMENTED. The
 *     a0ipc_* wrappers below do this, so a library takes tables compiled against older headers.
 *   - Version 1 was 0.1's layout (the methods were members of struct a0ipc_transport itself);
 *     a0ipc_transport_new refuses it.
 * tests/unit/test_transport_abi.c checks the rule on the list and the table. */
#define A0IPC_TRANSPORT_VERSION 2

/* clang-format off */
#define A0IPC_TRANSPORT_METHOD_(since, name, params, args)                                         \
    a0ipc_code (*name)(a0ipc_transport *t, const a0ipc_call_options *o,                            \
                       A0IPC_TRANSPORT_UNPAREN params, a0ipc_status *st);
/* clang-format on */

typedef struct a0ipc_transport_ops {
    int version;      /* the A0IPC_TRANSPORT_VERSION the table was compiled with */
    const char *name; /* "grpc", "legacy", "router" */
    /* Frees the context and whatever the transport owns (not the instance itself). */
    void (*destroy)(a0ipc_transport *t);
    A0IPC_TRANSPORT_OPS(A0IPC_TRANSPORT_METHOD_)
} a0ipc_transport_ops;
#undef A0IPC_TRANSPORT_METHOD_

/* A new instance of ops with its context ctx (which a0ipc_transport_ctx returns, and ops->destroy
 * frees). NULL with st set when ops is NULL or of version 1 or below, or out of memory: ctx is
 * then still the caller's. */
a0ipc_transport *a0ipc_transport_new(const a0ipc_transport_ops *ops, void *ctx, a0ipc_status *st);
void *a0ipc_transport_ctx(const a0ipc_transport *t);
/* ops->name: "grpc", "legacy", "router", ... */
const char *a0ipc_transport_name(const a0ipc_transport *t);
/* Whether t has the method named name ("stat", "run": the wrapper's name without a0ipc_) within
 * its table's version. */
bool a0ipc_transport_has(const a0ipc_transport *t, const char *name);

/* ---- what callers call: each checks the method exists (else UNIMPLEMENTED) ---- */

/* Calls ops->destroy, then frees the instance. NULL is allowed. */
void a0ipc_transport_free(a0ipc_transport *t);

#define A0IPC_TRANSPORT_WRAPPER_(since, name, params, args)                                        \
    a0ipc_code a0ipc_##name(a0ipc_transport *t, const a0ipc_call_options *o,                       \
                            A0IPC_TRANSPORT_UNPAREN params, a0ipc_status *st);
A0IPC_TRANSPORT_OPS(A0IPC_TRANSPORT_WRAPPER_)
#undef A0IPC_TRANSPORT_WRAPPER_

#ifdef __cplusplus
}
#endif
#endif
