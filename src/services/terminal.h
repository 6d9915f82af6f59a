/* a0.runtime.v1.Terminal over gRPC: the handlers translate messages to the terminal core
 * (term_manager.h, term_exec.h) and back. Every handler runs on an rpc worker thread, because
 * most of them wait (for output, for processes to end); none touches a PTY for reading, which
 * is the core's I/O thread's job.
 *
 * One Terminal service per process: its sessions' processes are reaped by the process-wide
 * reaper and, with cfg->subreaper, reparented to this process. */
#ifndef A0IPC_SERVICES_TERMINAL_H
#define A0IPC_SERVICES_TERMINAL_H

#include "a0ipc/status.h"
#include "rpc/server.h"
#include "services/term_config.h"

/* Starts the terminal core with cfg (copied) and registers the service on s (before
 * a0ipc_rpc_server_start). Returns 0, or -1 with st set (FAILED_PRECONDITION when already
 * registered). */
int a0ipc_terminal_service_register(a0ipc_rpc_server *s, const a0ipc_terminal_config *cfg,
                                    a0ipc_status *st);

/* Closes every session (SIGHUP, grace_ms, SIGKILL) and waits for their processes; open Run and
 * Attach streams end with SESSION_CLOSED and later calls get UNAVAILABLE. Call it before
 * a0ipc_rpc_server_shutdown for a graceful stop. Idempotent; nothing happens if not
 * registered. */
void a0ipc_terminal_service_shutdown(unsigned grace_ms);

/* How many sessions the core holds (exited ones included until closed); 0 when not
 * registered. For the a0ipcd_sessions gauge. */
long a0ipc_terminal_service_sessions(void);

/* Frees the core. Only after the server has shut down (no handler may still run). */
void a0ipc_terminal_service_free(void);

#endif
