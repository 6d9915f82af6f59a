/* What the rpc layer needs to secure a connection, as plain values: the security layer and the
 * transport decide the policy and name the PEM files; src/rpc makes the gRPC core's credentials
 * from them (server_credentials.c, client_credentials.c), so no grpc_* type leaves src/rpc. */
#ifndef A0IPC_RPC_CREDENTIALS_H
#define A0IPC_RPC_CREDENTIALS_H

/* ---- a server's TCP listener (a0ipc_rpc_server_listen) ---- */

typedef enum a0ipc_rpc_client_cert {
    A0IPC_RPC_CLIENT_CERT_NONE,     /* not asked for */
    A0IPC_RPC_CLIENT_CERT_OPTIONAL, /* asked for; verified against ca_file when sent */
    A0IPC_RPC_CLIENT_CERT_REQUIRED, /* a client without a valid one is refused at the handshake */
} a0ipc_rpc_client_cert;

/* TLS 1.2 is the oldest version offered (the core's default; 1.3 is preferred). The files are
 * watched (the core's file-watcher certificate provider): a replaced certificate is served to
 * new connections within reload_seconds. Checking them beforehand, for a clear message, is the
 * caller's part (security/tls.h). The strings are borrowed for the listen call only. */
typedef struct a0ipc_rpc_server_tls {
    const char *cert_file; /* PEM: the server certificate, then any intermediates */
    const char *key_file;  /* PEM: its private key */
    const char *ca_file;   /* PEM: CAs that sign client certificates; needed unless NONE */
    a0ipc_rpc_client_cert client_cert;
    unsigned reload_seconds; /* how often the files are checked for changes (0: 1) */
} a0ipc_rpc_server_tls;

/* ---- a client's channel (a0ipc_rpc_channel_options.security) ---- */

/* Read at every a0ipc_rpc_channel_new (the files then; a channel keeps what it read). The token
 * goes out as the `authorization: Bearer` metadata of every call, from a metadata plugin with
 * security level NONE, so it works over unix sockets and plaintext loopback too (the core's
 * access-token credentials refuse any channel that is not TLS). */
typedef struct a0ipc_rpc_channel_security {
    const char *ca_file;   /* PEM CAs to trust; setting it (or cert_file) turns TLS on */
    const char *cert_file; /* client certificate for mTLS; needs key_file */
    const char *key_file;
    const char *token; /* bearer token, or NULL; copied, never logged */
} a0ipc_rpc_channel_security;

#endif
