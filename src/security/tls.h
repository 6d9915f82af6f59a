/* TLS for a0ipcd's TCP listeners: the policy (optional or required client certificates, mTLS)
 * and the files, checked here and handed to the rpc layer as plain values
 * (rpc/credentials.h), whose credentials re-read the files when they change (no restart).
 * TLS 1.2 is the oldest version offered (the core's default for these credentials; 1.3 is
 * preferred). */
#ifndef A0IPC_SECURITY_TLS_H
#define A0IPC_SECURITY_TLS_H

#include "a0ipc/status.h"
#include "rpc/credentials.h"

typedef enum a0ipc_client_cert_mode {
    A0IPC_CLIENT_CERT_NONE,     /* not asked for */
    A0IPC_CLIENT_CERT_OPTIONAL, /* asked for; verified against the CA when sent */
    A0IPC_CLIENT_CERT_REQUIRED, /* a client without a valid one is refused at the handshake */
} a0ipc_client_cert_mode;

/* "none", "optional", "required" -> mode; -1 for anything else. */
int a0ipc_client_cert_mode_from_name(const char *name);
const char *a0ipc_client_cert_mode_name(a0ipc_client_cert_mode m);

typedef struct a0ipc_tls_server_options {
    const char *cert_file; /* PEM: the server certificate, then any intermediates */
    const char *key_file;  /* PEM: its private key */
    const char *ca_file;   /* PEM: CAs that sign client certificates; needed for mTLS */
    a0ipc_client_cert_mode client_cert;
    unsigned reload_seconds; /* how often the files are checked for changes (>= 1) */
} a0ipc_tls_server_options;

/* Checks the files now, so that a mistake stops the start with a clear message instead of
 * failing every handshake later: readable PEM, key matching the certificate, certificate not
 * expired (a warning when it expires within 7 days), CA readable. */
int a0ipc_tls_check_server_files(const a0ipc_tls_server_options *o, a0ipc_status *st);

/* Checks the files, then fills *out for a0ipc_rpc_server_listen, whose credentials watch them
 * (the core's file-watcher certificate provider): a replaced certificate is served to new
 * connections within reload_seconds. Replace the key and certificate together (write new
 * files, then rename). *out points into o's strings. */
int a0ipc_tls_server_config(const a0ipc_tls_server_options *o, a0ipc_rpc_server_tls *out,
                            a0ipc_status *st);

#endif
