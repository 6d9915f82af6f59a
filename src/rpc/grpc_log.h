#ifndef A0IPC_RPC_GRPC_LOG_H
#define A0IPC_RPC_GRPC_LOG_H

/* Sends the gRPC core's own log lines (gpr_log) to the project's logger. Call after setting the
 * log level and before grpc_init. */
void a0ipc_rpc_route_core_log(void);

#endif
