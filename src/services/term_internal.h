/* Shared by term_manager.c (sessions, the I/O thread, closing) and term_reader.c (Run and
 * Attach readers). Nothing else includes it. */
#ifndef A0IPC_TERM_INTERNAL_H
#define A0IPC_TERM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "services/term_manager.h"
#include "services/term_marker.h"
#include "services/term_proctree.h"
#include "services/term_ring.h"

/* Completions kept with the output, for Attach readers that come back later. */
#define A0IPC_TERM_COMPLETIONS 32

typedef struct term_completion {
    uint64_t seq; /* where the command's output ended */
    uint64_t id;  /* its command number */
    int exit_code;
    char *cwd; /* the shell's working directory at the prompt after it; NULL: unknown */
} term_completion;

typedef enum term_phase {
    PHASE_STARTING, /* bash has not printed its first marker yet: output is discarded */
    PHASE_LIVE,
    PHASE_CLOSING, /* the close sequence runs */
    PHASE_ENDED,   /* every process has ended; the PTY is closed; output may still be read */
} term_phase;

typedef enum close_step {
    CLOSE_NONE,
    CLOSE_HUP,  /* SIGHUP sent; waiting for the grace period or for everyone to end */
    CLOSE_KILL, /* SIGKILL sent; waiting for everyone to end and be reaped */
} close_step;

typedef struct term_session term_session;

/* What an epoll event points at. */
typedef struct io_tag {
    int kind; /* IO_WAKE, IO_MASTER, IO_PIDFD */
    term_session *s;
} io_tag;

enum { IO_WAKE, IO_MASTER, IO_PIDFD };

struct term_session {
    a0ipc_term_manager *mgr;
    atomic_int refs; /* the table, readers, callers in flight */
    char id[A0IPC_TERM_ID_LEN + 1];
    char owner[128];  /* the identity that created it (a0ipc_term_create_opts.owner) */
    bool integration; /* bash with the marker */
    char marker_nonce[A0IPC_TERM_NONCE_LEN + 1];
    pid_t pid;
    char **argv; /* owned, NULL-terminated */
    int64_t created_unix_ms;
    unsigned ttl_s;
    a0ipc_term_tree tree;

    /* Owned by the I/O thread: */
    int master; /* read side; -1 once closed */
    int pidfd;  /* -1 when the kernel has none */
    io_tag master_tag, pid_tag;
    bool registered;

    /* For writers (Write, Run, Resize, Signal): a dup of the master that stays open until the
     * session is freed, so a writer never writes to a descriptor number that was reused. */
    int wfd;
    pthread_mutex_t write_mu; /* one writer at a time, so inputs never interleave */
    size_t canon_pending;     /* under write_mu: Write's bytes since its last line end, while the
                                 terminal was in canonical mode (a0ipc_term_write) */
    char *cmd_dir, *cmd_path; /* private directory and file for long commands, owned */

    pthread_mutex_t mu;
    pthread_cond_t cv; /* any change below; readers wait on it */
    /* Under mu: */
    term_phase phase;
    a0ipc_term_ring ring;
    a0ipc_term_marker marker;
    uint8_t u8hold[4]; /* an unfinished UTF-8 sequence at the end of the last read */
    size_t u8hold_len;
    term_completion done[A0IPC_TERM_COMPLETIONS];
    uint64_t n_done;           /* completions ever; done[i % N] holds the i-th */
    uint64_t next_cmd, run_id; /* run_id: the command a Run typed that has not ended, or 0 */
    char *run_cmd;             /* its text, owned */
    int64_t run_started_ns;
    int64_t last_output_ns, last_activity_ns; /* monotonic */
    int readers;
    /* The Run reader that sets the pace, by its command number (0: none), and how far it has
     * read. Only the Run of the command that runs holds the output back: the number ties the
     * pace to that one reader, so a stale Run (of an ended command, its client not reading)
     * can neither stall the session nor switch off the pace of the Run after it. */
    uint64_t flow_id;
    uint64_t flow_pos;
    bool io_paused; /* the I/O thread stopped reading for it */
    bool eof;
    unsigned rows, cols;
    bool shell_exited;
    int shell_status; /* as from waitpid */
    /* closing */
    bool close_requested, remove_when_ended, in_table;
    unsigned close_grace_ms;
    close_step step;
    int64_t step_deadline_ns;
    pid_t *seen; /* every member seen while closing: must be gone before the end */
    size_t n_seen, cap_seen;

    term_session *next, *prev; /* the table, oldest first */
};

struct a0ipc_term_manager {
    a0ipc_terminal_config cfg; /* strings point into the copies below */
    char *shell, *tmp_dir, *cgroup;
    char **env;
    char *cgroup_base; /* NULL: /proc mode */

    pthread_mutex_t mu; /* the table; taken before any session's mu */
    pthread_cond_t cv;  /* a session left the table */
    term_session *head, *tail;
    int n_sessions;
    bool stopping;

    int epfd, evfd;
    io_tag wake_tag;
    pthread_t io;
    uint8_t *scratch, *scratch2; /* the I/O thread's read and marker-output buffers */
    int64_t next_tick_ns;
    bool io_started;
    atomic_bool io_quit;
};

/* Condition variables that wait on CLOCK_MONOTONIC, and waiting until a monotonic time. */
void a0ipc_term_cond_init(pthread_cond_t *cv);
void a0ipc_term_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ns);

/* A referenced session by id, or NULL with NOT_FOUND (UNAVAILABLE when stopping). Marks it
 * active (idle TTL). */
term_session *a0ipc_term_session_get(a0ipc_term_manager *m, const char *id, a0ipc_status *st);
void a0ipc_term_session_unref(term_session *s);

/* The I/O thread's body (term_io.c). */
void *a0ipc_term_io_main(void *arg);

/* The session table (term_manager.c). unlink: takes s out, under m->mu; the caller then drops
 * the table's reference. remove: takes s out if still there and drops that reference itself. */
void a0ipc_term_table_unlink(a0ipc_term_manager *m, term_session *s);
void a0ipc_term_table_remove(a0ipc_term_manager *m, term_session *s);

/* Wakes the I/O thread (flow control resumed, close requested, new session). */
void a0ipc_term_io_wake(a0ipc_term_manager *m);

/* Writes all bytes to the terminal within timeout_ms: A0IPC_OK, or the code set in st
 * (DEADLINE_EXCEEDED, FAILED_PRECONDITION once the session has ended). Takes s->write_mu. */
a0ipc_code a0ipc_term_session_write(term_session *s, const void *data, size_t len,
                                    unsigned timeout_ms, a0ipc_status *st);

/* Writes a command too long or too strange to type into the session's private file and returns
 * its path (owned by s, valid until the next call). NULL with st. */
const char *a0ipc_term_session_cmd_file(term_session *s, const char *cmd, size_t len,
                                        a0ipc_status *st);

#endif
