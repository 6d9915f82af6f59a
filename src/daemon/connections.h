/* How many TCP client connections (plaintext or TLS) the daemon's gRPC server holds, from gRPC
 * core's channelz. The unix-socket connections rpc/server_unix.c hands to the core
 * (grpc_server_add_channel_from_fd) have no channelz socket and are not counted. For the
 * a0ipcd_tcp_connections gauge. */
#ifndef A0IPC_DAEMON_CONNECTIONS_H
#define A0IPC_DAEMON_CONNECTIONS_H

/* The open TCP connections of every server in this process; -1 when channelz cannot say. */
long a0ipcd_connections(void *unused);

#endif
