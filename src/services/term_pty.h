/* Starting a session's shell on a new pseudo-terminal. */
#ifndef A0IPC_TERM_PTY_H
#define A0IPC_TERM_PTY_H

#include <stdbool.h>
#include <sys/types.h>

#include "a0ipc/status.h"
#include "services/term_child.h"

/* Starts the program that c describes as the leader of a new process session whose
 * controlling terminal is a new PTY of rows x cols, echoing input or not (a bash session with
 * the marker wants it off from the start: no `stty -echo` process to run at set-up). The child
 * is registered with the reaper. Returns A0IPC_OK with *pid and *master (non-blocking,
 * close-on-exec, owned by the caller), or the code set in st. */
a0ipc_code a0ipc_term_spawn_pty(const a0ipc_term_child *c, unsigned rows, unsigned cols, bool echo,
                                pid_t *pid, int *master, a0ipc_status *st);

#endif
