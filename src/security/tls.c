#include "security/tls.h"

#include <grpc/grpc_security.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

int a0ipc_client_cert_mode_from_name(const char *name)
{
    if (!strcmp(name, "none"))
        return A0IPC_CLIENT_CERT_NONE;
    if (!strcmp(name, "optional"))
        return A0IPC_CLIENT_CERT_OPTIONAL;
    if (!strcmp(name, "required"))
        return A0IPC_CLIENT_CERT_REQUIRED;
    return -1;
}

const char *a0ipc_client_cert_mode_name(a0ipc_client_cert_mode m)
{
    return m == A0IPC_CLIENT_CERT_REQUIRED   ? "required"
           : m == A0IPC_CLIENT_CERT_OPTIONAL ? "optional"
                                             : "none";
}

/* The last OpenSSL error as text, for messages. */
static const char *ssl_reason(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "no PEM data";
    ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

static X509 *read_cert(const char *path, const char *what, a0ipc_status *st)
{
    char why[256];
    BIO *b = BIO_new_file(path, "r");
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    if (!x)
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "cannot read the %s %s: %s", what, path,
                         ssl_reason(why, sizeof why));
    BIO_free(b);
    return x;
}

static int check_validity(X509 *x, const char *path, a0ipc_status *st)
{
    if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "certificate %s is not valid yet (check the clock, or the certificate)",
                         path);
        return -1;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "certificate %s has expired: renew it (a0ipc certs init makes new "
                         "development certificates)",
                         path);
        return -1;
    }
    time_t soon = time(NULL) + 7 * 24 * 3600;
    if (X509_cmp_time(X509_get0_notAfter(x), &soon) < 0)
        A0IPC_LOGW("certificate %s expires within 7 days: renew it (the new files are picked up "
                   "without a restart)",
                   path);
    return 0;
}

int a0ipc_tls_check_server_files(const a0ipc_tls_server_options *o, a0ipc_status *st)
{
    char why[256];
    if (!o->cert_file || !o->key_file) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "TLS needs both tls-cert and tls-key");
        return -1;
    }
    if (o->client_cert != A0IPC_CLIENT_CERT_NONE && !o->ca_file) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "tls-client-cert = %s needs tls-ca: the CA that signs client "
                         "certificates",
                         a0ipc_client_cert_mode_name(o->client_cert));
        return -1;
    }
    int rc = -1;
    EVP_PKEY *key = NULL;
    X509 *cert = read_cert(o->cert_file, "certificate", st);
    if (!cert || check_validity(cert, o->cert_file, st) != 0)
        goto out;
    BIO *b = BIO_new_file(o->key_file, "r");
    key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!key) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "cannot read the private key %s (PEM, not encrypted): %s", o->key_file,
                         ssl_reason(why, sizeof why));
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "the key %s does not belong to the certificate %s", o->key_file,
                         o->cert_file);
        goto out;
    }
    if (o->ca_file) {
        X509 *ca = read_cert(o->ca_file, "CA certificate", st);
        if (!ca)
            goto out;
        X509_free(ca);
    }
    rc = 0;
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

grpc_server_credentials *a0ipc_tls_server_credentials(const a0ipc_tls_server_options *o,
                                                      a0ipc_status *st)
{
    if (a0ipc_tls_check_server_files(o, st) != 0)
        return NULL;
    bool verify = o->client_cert != A0IPC_CLIENT_CERT_NONE;
    grpc_tls_certificate_provider *provider = grpc_tls_certificate_provider_file_watcher_create(
        o->key_file, o->cert_file, verify ? o->ca_file : NULL,
        o->reload_seconds ? o->reload_seconds : 1);
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
        opts, o->client_cert == A0IPC_CLIENT_CERT_REQUIRED
                  ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
              : verify ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                       : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    /* Exported by libgrpc.so.29 although the header lacks GRPCAPI; takes over opts. */
    grpc_server_credentials *creds = grpc_tls_server_credentials_create(opts);
    if (!creds)
        a0ipc_status_set(st, A0IPC_INTERNAL, "could not create the TLS credentials");
    return creds;
}
