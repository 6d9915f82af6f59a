/* How many TCP client connections (plaintext or TLS) the gRPC servers of this process hold,
 * from the core's channelz. The unix-socket connections server_unix.c hands to the core
 * (grpc_server_add_channel_from_fd) have no channelz socket and are not counted. For a0ipcd's
 * a0ipcd_tcp_connections gauge. */
#ifndef A0IPC_RPC_CONNECTIONS_H
#define A0IPC_RPC_CONNECTIONS_H

/* The open TCP connections of every server in this process; -1 when channelz cannot say. */
long a0ipc_rpc_tcp_connections(void);

#endif
