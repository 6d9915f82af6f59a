/* Certificates made with OpenSSL's library (no `openssl` command): the development set of
 * `a0ipc certs init`, and what tests need (expired, untrusted, rotated certificates).
 * Keys are EC P-256; certificates are X.509 v3 signed with SHA-256. */
#ifndef A0IPC_SECURITY_CERTGEN_H
#define A0IPC_SECURITY_CERTGEN_H

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "a0ipc/status.h"

typedef struct a0ipc_cert_request {
    const char *common_name;
    bool ca;                      /* may sign certificates (basicConstraints CA:TRUE) */
    bool server, client;          /* extendedKeyUsage serverAuth / clientAuth */
    const char *const *dns_names; /* subjectAltName DNS entries */
    size_t n_dns;
    const char *const *ip_addresses; /* subjectAltName IP entries ("127.0.0.1", "::1") */
    size_t n_ips;
    long valid_from_s;  /* notBefore, seconds from now (e.g. -300 for clock skew) */
    long valid_until_s; /* notAfter, seconds from now; negative makes an expired certificate */
} a0ipc_cert_request;

/* A new key and a certificate for it, signed by issuer_key/issuer, or self-signed when those
 * are NULL. The caller frees *key (EVP_PKEY_free) and *cert (X509_free). */
int a0ipc_cert_issue(const a0ipc_cert_request *r, EVP_PKEY *issuer_key, X509 *issuer,
                     EVP_PKEY **key, X509 **cert, a0ipc_status *st);

/* PEM files, written to a temporary name and renamed into place (readers never see half a
 * file). Keys are mode 0600 and unencrypted; certificates 0644. */
int a0ipc_write_key_pem(const char *path, EVP_PKEY *key, a0ipc_status *st);
int a0ipc_write_cert_pem(const char *path, X509 *cert, a0ipc_status *st);
EVP_PKEY *a0ipc_read_key_pem(const char *path, a0ipc_status *st);
X509 *a0ipc_read_cert_pem(const char *path, a0ipc_status *st);

typedef struct a0ipc_certs_init_options {
    const char *server_cn;        /* default: the host name */
    const char *client_cn;        /* default: "a0ipc-client" */
    const char *const *extra_dns; /* server SANs beyond localhost and the host name */
    size_t n_extra_dns;
    const char *const *extra_ips; /* beyond 127.0.0.1 and ::1 */
    size_t n_extra_ips;
    int days;   /* validity of the server and client certificates (default 365) */
    bool force; /* overwrite existing files */
} a0ipc_certs_init_options;

/* Writes into dir (created 0755 when missing): ca.pem + ca.key (a development CA, 10 years),
 * server.pem + server.key (SANs localhost, 127.0.0.1, ::1 and the host name), client.pem +
 * client.key (for mTLS). Refuses to overwrite unless o->force. */
int a0ipc_certs_init(const char *dir, const a0ipc_certs_init_options *o, a0ipc_status *st);

#endif
