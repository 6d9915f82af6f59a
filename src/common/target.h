/* What a gRPC target string names, for TLS: the host a server certificate must carry. */
#ifndef A0IPC_COMMON_TARGET_H
#define A0IPC_COMMON_TARGET_H

#include <stdbool.h>

/* "example.com" of "dns:///example.com:50051" or "example.com:50051"; of an address list
 * ("ipv4:127.0.0.1:1,127.0.0.1:2", "ipv6:[::1]:1,[::1]:2") the first address's host, as every
 * daemon of the list serves the same name. NULL for other targets (unix sockets) or out of
 * memory. Free with free(). */
char *a0ipc_target_host(const char *target);

/* Whether target lists addresses (ipv4:, ipv6:). gRPC would check the whole list as the
 * certificate's name ("Peer name 127.0.0.1:1,127.0.0.1:2 is not in peer certificate"), so a
 * caller overrides the TLS name with a0ipc_target_host's. */
bool a0ipc_target_is_address_list(const char *target);

#endif
