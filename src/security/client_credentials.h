/* The client's credentials hook (rpc/client.h a0ipc_rpc_credentials_fn): TLS with a CA to trust
 * and optionally a client certificate (mTLS), and a bearer token sent with every call.
 *
 * The token goes out as call credentials made from a metadata plugin with security level NONE,
 * so it works over unix sockets and plaintext loopback too (the core's access-token credentials
 * refuse any channel that is not TLS). */
#ifndef A0IPC_SECURITY_CLIENT_CREDENTIALS_H
#define A0IPC_SECURITY_CLIENT_CREDENTIALS_H

#include "rpc/client.h"

typedef struct a0ipc_client_security {
    const char *ca_file;   /* PEM CAs to trust; setting it (or cert_file) turns TLS on */
    const char *cert_file; /* client certificate for mTLS; needs key_file */
    const char *key_file;
    const char *token; /* bearer token, or NULL; copied, never logged */
} a0ipc_client_security;

/* The hook; arg is a const a0ipc_client_security *. Returns NULL with st set when a file cannot
 * be read. (Server name override: a0ipc_rpc_channel_options.authority_override.) */
grpc_channel_credentials *a0ipc_client_credentials(void *arg, a0ipc_status *st);

/* Reads a token from a file: its first line, surrounding white space removed. Into out[cap]. */
int a0ipc_read_token_file(const char *path, char *out, size_t cap, a0ipc_status *st);

#endif
