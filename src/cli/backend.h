/* The transport an a0ipc command talks through (--backend): a0ipcd over gRPC (the default),
 * the legacy IPC (RFC over HTTP and SSH, set up by --legacy-config), or the router over both,
 * steered by its flags (--router-flags and the A0IPC_ROUTER_* variables). */
#ifndef A0IPC_CLI_BACKEND_H
#define A0IPC_CLI_BACKEND_H

#include "a0ipc/transport.h"
#include "cli/options.h"

/* Takes ownership of grpc (freed on failure too). NULL with st saying why. */
a0ipc_transport *a0ipc_cli_open_backend(const a0ipc_cli_conn *c, a0ipc_transport *grpc,
                                        a0ipc_status *st);

/* Prints the router's metrics to stderr when --router-metrics asked for them. */
void a0ipc_cli_backend_report(const a0ipc_cli_conn *c, a0ipc_transport *t);

#endif
