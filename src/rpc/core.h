/* The gRPC core's lifetime, for the programs on the rpc layer (a0ipcd, a0ipc, the tests): one
 * a0ipc_rpc_init at the start, one a0ipc_rpc_shutdown at the end, so that nothing above src/rpc
 * calls grpc_* itself. Channels and servers take their own reference on the core as well, so a
 * program that only links liba0ipc needs neither call. */
#ifndef A0IPC_RPC_CORE_H
#define A0IPC_RPC_CORE_H

/* Starts the core (nests: each call needs its a0ipc_rpc_shutdown). After a0ipc_rpc_route_core_log
 * (grpc_log.h), so that the core's first lines already go to our logger; after any fork that
 * must not inherit the core's threads. */
void a0ipc_rpc_init(void);

/* Releases the reference a0ipc_rpc_init took and, for the last one, waits until the core's
 * threads are gone. */
void a0ipc_rpc_shutdown(void);

#endif
