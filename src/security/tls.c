#include "security/tls.h"

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

int a0ipc_tls_server_config(const a0ipc_tls_server_options *o, a0ipc_rpc_server_tls *out,
                            a0ipc_status *st)
{
    if (a0ipc_tls_check_server_files(o, st) != 0)
        return -1;
    *out = (a0ipc_rpc_server_tls){
        .cert_file = o->cert_file,
        .key_file = o->key_file,
        .ca_file = o->client_cert != A0IPC_CLIENT_CERT_NONE ? o->ca_file : NULL,
        .client_cert = o->client_cert == A0IPC_CLIENT_CERT_REQUIRED ? A0IPC_RPC_CLIENT_CERT_REQUIRED
                       : o->client_cert == A0IPC_CLIENT_CERT_OPTIONAL
                           ? A0IPC_RPC_CLIENT_CERT_OPTIONAL
                           : A0IPC_RPC_CLIENT_CERT_NONE,
        .reload_seconds = o->reload_seconds ? o->reload_seconds : 1,
    };
    return 0;
}
