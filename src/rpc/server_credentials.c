/* TLS credentials of a server's TCP listener, from the files rpc/credentials.h names. */
#include <stdbool.h>

#include "rpc/credentials_internal.h"

grpc_server_credentials *a0ipc_rpc_server_tls_credentials(const a0ipc_rpc_server_tls *t,
                                                          a0ipc_status *st)
{
    bool verify = t->client_cert != A0IPC_RPC_CLIENT_CERT_NONE;
    if (!t->cert_file || !t->key_file || (verify && !t->ca_file)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "TLS needs a certificate and its key, and a CA to verify clients with");
        return NULL;
    }
    grpc_tls_certificate_provider *provider = grpc_tls_certificate_provider_file_watcher_create(
        t->key_file, t->cert_file, verify ? t->ca_file : NULL,
        t->reload_seconds ? t->reload_seconds : 1);
    grpc_tls_credentials_options *opts = grpc_tls_credentials_options_create();
    if (!provider || !opts) {
        if (provider)
            grpc_tls_certificate_provider_release(provider);
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create the TLS credentials");
        return NULL;
    }
    grpc_tls_credentials_options_set_certificate_provider(opts, provider);
    grpc_tls_certificate_provider_release(provider); /* the options hold their own reference */
    grpc_tls_credentials_options_watch_identity_key_cert_pairs(opts);
    if (verify)
        grpc_tls_credentials_options_watch_root_certs(opts);
    grpc_tls_credentials_options_set_cert_request_type(
        opts, t->client_cert == A0IPC_RPC_CLIENT_CERT_REQUIRED
                  ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
              : verify ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                       : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    /* Exported by libgrpc.so.29 although the header lacks GRPCAPI; takes over opts. */
    grpc_server_credentials *creds = grpc_tls_server_credentials_create(opts);
    if (!creds)
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create the TLS credentials");
    return creds;
}
