/* Exec: one program without a terminal, its stdout and stderr kept apart and capped, with a
 * timeout (like Kubernetes CRI's ExecSync). The program leads a process group of its own, which
 * is what the timeout kills. */
#ifndef A0IPC_TERM_EXEC_H
#define A0IPC_TERM_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"
#include "services/term_config.h"
#include "services/term_text.h"

typedef struct a0ipc_term_exec_opts {
    const char *const *argv; /* required */
    size_t argc;
    const char *cwd; /* NULL or "": home */
    const a0ipc_term_kv *env;
    size_t n_env;
    const uint8_t *stdin_data;
    size_t stdin_len;
    unsigned timeout_ms; /* 0: cfg->exec_timeout_ms */
    size_t max_output;   /* per stream; 0 or more than cfg->exec_max_output: that */
    int cancel_fd;       /* readable = give up: kill the program; -1: none */
} a0ipc_term_exec_opts;

typedef struct a0ipc_term_exec_result {
    a0ipc_term_text out, err; /* owned */
    bool out_truncated, err_truncated;
    bool timed_out, cancelled;
    int exit_code; /* when it exited */
    int signal;    /* when a signal ended it */
} a0ipc_term_exec_result;

/* Runs the program to its end (or the timeout, or cancellation). Returns A0IPC_OK with r filled
 * (also on timeout: r->timed_out), or the code it set in st (the program could not be started:
 * NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT). r must be zeroed before; free it with
 * a0ipc_term_exec_result_free in any case. */
a0ipc_code a0ipc_term_exec(const a0ipc_terminal_config *cfg, const a0ipc_term_exec_opts *o,
                           a0ipc_term_exec_result *r, a0ipc_status *st);
void a0ipc_term_exec_result_free(a0ipc_term_exec_result *r);

#endif
