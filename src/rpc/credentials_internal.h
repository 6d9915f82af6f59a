/* The core's credentials made from the plain values of rpc/credentials.h; inside src/rpc only. */
#ifndef A0IPC_RPC_CREDENTIALS_INTERNAL_H
#define A0IPC_RPC_CREDENTIALS_INTERNAL_H

#include <grpc/grpc_security.h>

#include "a0ipc/status.h"
#include "rpc/credentials.h"

/* TLS server credentials watching t's files; NULL with st set. */
grpc_server_credentials *a0ipc_rpc_server_tls_credentials(const a0ipc_rpc_server_tls *t,
                                                          a0ipc_status *st);

/* Channel credentials for s (NULL: plaintext without a token); NULL with st set when a file
 * cannot be read. */
grpc_channel_credentials *a0ipc_rpc_channel_credentials(const a0ipc_rpc_channel_security *s,
                                                        a0ipc_status *st);

#endif
