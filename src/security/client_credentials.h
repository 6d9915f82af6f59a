/* What a client proves itself with: TLS files and a bearer token, handed to the rpc layer as
 * plain values (a0ipc_rpc_channel_options.security; src/rpc makes the gRPC credentials), and
 * the token read from its file. */
#ifndef A0IPC_SECURITY_CLIENT_CREDENTIALS_H
#define A0IPC_SECURITY_CLIENT_CREDENTIALS_H

#include <stddef.h>

#include "a0ipc/status.h"
#include "rpc/credentials.h"

/* ca_file (or cert_file) turns TLS on; cert_file and key_file for mTLS; token or NULL. (Server
 * name override: a0ipc_rpc_channel_options.authority_override.) */
typedef a0ipc_rpc_channel_security a0ipc_client_security;

/* Reads a token from a file: its first line, surrounding white space removed. Into out[cap]. */
int a0ipc_read_token_file(const char *path, char *out, size_t cap, a0ipc_status *st);

#endif
