/* The terminal core: PTY sessions, their output, Run/Attach readers, and everything the
 * Terminal service does, in plain C (no gRPC types). The gRPC handlers in terminal.c translate
 * messages to these calls.
 *
 * Threads: one I/O thread per manager reads every session's PTY (epoll over all master fds),
 * strips completion markers, appends output to the session's ring and wakes readers; it also
 * notices shells that exit, runs the close sequence (SIGHUP, grace, SIGKILL, wait) and reaps
 * idle sessions. The calls below run on the caller's thread and may block (a Run reader waits
 * for output, CloseSession for the processes to end), which is what the rpc layer's worker
 * threads are for; they never touch the PTY for reading, so a slow caller never stalls the
 * output of other sessions.
 *
 * Memory per session is fixed: the ring (cfg.ring_bytes) plus small bookkeeping. A Run reader
 * sets the pace of its session while its command runs (the I/O thread stops reading the PTY
 * while the reader is a whole ring behind, so the program blocks on write); once the command
 * has ended it no longer does, so a client that stopped reading cannot hold the session for
 * later commands. An Attach reader never sets the pace. Readers that fall behind are told what
 * they missed (LOST).
 *
 * Errors: functions return A0IPC_OK, or the code they set in st: NOT_FOUND for an unknown
 * session, FAILED_PRECONDITION for a session in the wrong state, RESOURCE_EXHAUSTED for limits,
 * INVALID_ARGUMENT for bad input, UNAVAILABLE once the manager is shutting down. */
#ifndef A0IPC_TERM_MANAGER_H
#define A0IPC_TERM_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "a0ipc/status.h"
#include "services/term_config.h"

typedef struct a0ipc_term_manager a0ipc_term_manager;
typedef struct a0ipc_term_cursor a0ipc_term_cursor;

#define A0IPC_TERM_ID_LEN 32

/* cfg is copied. Starts the I/O thread; makes the process the child subreaper when
 * cfg->subreaper. */
a0ipc_term_manager *a0ipc_term_manager_new(const a0ipc_terminal_config *cfg, a0ipc_status *st);
/* Closes every session (SIGHUP, grace_ms, SIGKILL), waits until their processes have ended and
 * wakes every reader (they see SESSION_CLOSED). New calls get UNAVAILABLE. Idempotent. */
void a0ipc_term_manager_shutdown(a0ipc_term_manager *m, unsigned grace_ms);
/* Shuts down if needed and frees. Every cursor must have been freed before. */
void a0ipc_term_manager_free(a0ipc_term_manager *m);
const a0ipc_terminal_config *a0ipc_term_manager_config(const a0ipc_term_manager *m);
/* Whether sessions' processes are tracked with cgroups (else by /proc scanning). */
bool a0ipc_term_manager_uses_cgroups(const a0ipc_term_manager *m);

/* ---- sessions ---- */

typedef struct a0ipc_term_create_opts {
    const char *const *argv; /* argc == 0: cfg.shell */
    size_t argc;
    const char *cwd; /* NULL or "": home */
    const a0ipc_term_kv *env;
    size_t n_env;
    unsigned rows, cols; /* 0: 50 x 100 */
    unsigned idle_ttl_s; /* 0: cfg.default_idle_ttl_s; capped at cfg.max_idle_ttl_s */
    /* When set and it turns true while bash starts (the caller gave up: cancelled, deadline),
     * the session is closed again and create fails with CANCELLED. Polled every 50 ms. */
    bool (*should_stop)(void *arg);
    void *stop_arg;
    const char *owner; /* who creates it (the call's identity); NULL: "" */
} a0ipc_term_create_opts;

typedef struct a0ipc_term_created {
    char id[A0IPC_TERM_ID_LEN + 1];
    pid_t pid;
    bool exact_completion; /* bash: Run knows when a command ends */
} a0ipc_term_created;

/* Starts a session and, for bash, waits until it is ready for commands. */
a0ipc_code a0ipc_term_create(a0ipc_term_manager *m, const a0ipc_term_create_opts *o,
                             a0ipc_term_created *out, a0ipc_status *st);

/* Writes all of data to the session's terminal, waiting at most timeout_ms (0: cfg's) for it to
 * take the bytes: DEADLINE_EXCEEDED otherwise, saying how many were written. */
a0ipc_code a0ipc_term_write(a0ipc_term_manager *m, const char *id, const void *data, size_t len,
                            unsigned timeout_ms, a0ipc_status *st);

a0ipc_code a0ipc_term_resize(a0ipc_term_manager *m, const char *id, unsigned rows, unsigned cols,
                             a0ipc_status *st);

/* Sends sig (1..64) to the terminal's foreground process group (*count = its id) or, with
 * whole_session, to every process of the session (*count = how many). */
a0ipc_code a0ipc_term_signal(a0ipc_term_manager *m, const char *id, int sig, bool whole_session,
                             int *count, a0ipc_status *st);

/* Ends the session and all its processes (grace_ms 0: cfg's) and forgets it; returns once they
 * have ended, with how the shell ended (*exit_code, or *signal when a signal killed it). */
a0ipc_code a0ipc_term_close(a0ipc_term_manager *m, const char *id, unsigned grace_ms,
                            int *exit_code, int *signal, a0ipc_status *st);

typedef enum a0ipc_term_state {
    A0IPC_TERM_STATE_IDLE = 1, /* the numbers of the proto's SessionState */
    A0IPC_TERM_STATE_BUSY = 2,
    A0IPC_TERM_STATE_CLOSING = 3,
    A0IPC_TERM_STATE_EXITED = 4,
} a0ipc_term_state;

typedef struct a0ipc_term_info {
    char id[A0IPC_TERM_ID_LEN + 1];
    pid_t pid;
    a0ipc_term_state state;
    int64_t created_unix_ms, last_activity_unix_ms;
    char *running_command; /* owned; NULL when idle */
    uint64_t end_seq;
    char **argv; /* owned, NULL-terminated */
    unsigned rows, cols;
    int exit_code, signal; /* EXITED */
    bool exact_completion;
    char owner[128]; /* the identity that created it */
} a0ipc_term_info;

/* Whether session id exists and was created by owner. */
bool a0ipc_term_owned_by(a0ipc_term_manager *m, const char *id, const char *owner);

/* Every session, oldest first. *out is owned by the caller: a0ipc_term_info_free. */
a0ipc_code a0ipc_term_list(a0ipc_term_manager *m, a0ipc_term_info **out, size_t *n,
                           a0ipc_status *st);
void a0ipc_term_info_free(a0ipc_term_info *v, size_t n);

/* ---- reading output ---- */

typedef struct a0ipc_term_run_opts {
    const char *command; /* no NUL bytes */
    size_t command_len;
    unsigned first_output_ms, between_outputs_ms, total_ms, dialog_ms; /* 0: no limit / off */
    const char *const *dialog_patterns; /* POSIX ERE; none: the legacy ones */
    size_t n_dialog_patterns;
    bool clean_output;
} a0ipc_term_run_opts;

typedef enum a0ipc_term_done_reason {
    A0IPC_TERM_DONE_EXITED = 1, /* the numbers of the proto's DoneReason */
    A0IPC_TERM_DONE_FIRST_OUTPUT_TIMEOUT = 2,
    A0IPC_TERM_DONE_IDLE_TIMEOUT = 3,
    A0IPC_TERM_DONE_MAX_TIME = 4,
    A0IPC_TERM_DONE_DIALOG = 5,
    A0IPC_TERM_DONE_SESSION_CLOSED = 6,
} a0ipc_term_done_reason;

typedef enum a0ipc_term_event_kind {
    A0IPC_TERM_EV_OUTPUT,
    A0IPC_TERM_EV_LOST,
    A0IPC_TERM_EV_DONE,
    A0IPC_TERM_EV_STOPPED, /* a0ipc_term_cursor_wake was called */
} a0ipc_term_event_kind;

typedef struct a0ipc_term_event {
    a0ipc_term_event_kind kind;
    uint64_t seq;        /* OUTPUT: offset of data[0]; LOST: first byte lost */
    const uint8_t *data; /* OUTPUT: valid until the next call on the cursor */
    size_t len;          /* OUTPUT: bytes in data; LOST: bytes lost */
    a0ipc_term_done_reason reason;
    int exit_code, signal;
    uint64_t last_seq, command_number;
    const char *cwd; /* DONE EXITED: the shell's working directory then; NULL: unknown. Valid
                        until the cursor is freed or reports another DONE */
} a0ipc_term_event;

/* Types the command into the session and returns a reader of its output, which ends with one
 * DONE. FAILED_PRECONDITION when a command is still running (the message names it). The reader
 * gives LOST (with command_number) only when it fell behind after its command had ended: later
 * output overwrote some of its command's output, or the list of completions moved past it. */
a0ipc_code a0ipc_term_run(a0ipc_term_manager *m, const char *id, const a0ipc_term_run_opts *o,
                          a0ipc_term_cursor **out, a0ipc_status *st);

/* A reader of the session's output from from_seq (or the current end): OUTPUT, LOST, DONE
 * EXITED for each command completion, and last DONE SESSION_CLOSED. OUT_OF_RANGE when
 * from_seq is beyond the end. */
a0ipc_code a0ipc_term_attach(a0ipc_term_manager *m, const char *id, uint64_t from_seq,
                             bool from_end, a0ipc_term_cursor **out, a0ipc_status *st);

/* Blocks until the next event and returns its kind (also in ev->kind). After a Run's DONE, or
 * Attach's DONE SESSION_CLOSED, keeps returning that DONE. STOPPED once woken. */
a0ipc_term_event_kind a0ipc_term_cursor_next(a0ipc_term_cursor *c, a0ipc_term_event *ev);

/* Makes the cursor's pending and future next calls return STOPPED. Any thread; never blocks
 * for long (takes the session's mutex), so it may be an rpc on-stop callback. */
void a0ipc_term_cursor_wake(a0ipc_term_cursor *c);

void a0ipc_term_cursor_free(a0ipc_term_cursor *c);

#endif
