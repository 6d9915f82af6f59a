#include "security/certgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ssl_fail(a0ipc_status *st, const char *what)
{
    char why[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    a0ipc_status_set(st, A0IPC_INTERNAL, "%s: %s", what, why);
    return -1;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, a0ipc_status *st)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : ssl_fail(st, "cannot add a certificate extension");
}

/* subjectAltName built from GENERAL_NAMEs, not from a config string, so a name can never smuggle
 * in another entry. */
static int add_san(X509 *x, const a0ipc_cert_request *r, a0ipc_status *st)
{
    if (!r->n_dns && !r->n_ips)
        return 0;
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    for (size_t i = 0; names && i < r->n_dns; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, r->dns_names[i], -1)) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        sk_GENERAL_NAME_push(names, g);
    }
    for (size_t i = 0; names && i < r->n_ips; i++) {
        unsigned char addr[16];
        int len = inet_pton(AF_INET, r->ip_addresses[i], addr) == 1    ? 4
                  : inet_pton(AF_INET6, r->ip_addresses[i], addr) == 1 ? 16
                                                                       : 0;
        if (!len) {
            GENERAL_NAMES_free(names);
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "\"%s\" is not an IP address",
                             r->ip_addresses[i]);
            return -1;
        }
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
        if (!g || !s || !ASN1_OCTET_STRING_set(s, addr, len)) {
            GENERAL_NAME_free(g);
            ASN1_OCTET_STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(g, GEN_IPADD, s);
        sk_GENERAL_NAME_push(names, g);
    }
    if (names && X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1) {
        GENERAL_NAMES_free(names);
        return 0;
    }
fail:
    GENERAL_NAMES_free(names);
    return ssl_fail(st, "cannot add the subjectAltName");
}

int a0ipc_cert_issue(const a0ipc_cert_request *r, EVP_PKEY *issuer_key, X509 *issuer,
                     EVP_PKEY **key_out, X509 **cert_out, a0ipc_status *st)
{
    *key_out = NULL;
    *cert_out = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    if (!key || !x || !serial)
        goto ssl_error;
    /* A random 127-bit serial: unique without keeping state, positive as RFC 5280 wants. */
    if (!X509_set_version(x, X509_VERSION_3) ||
        !BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), r->valid_from_s) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), r->valid_until_s) || !X509_set_pubkey(x, key))
        goto ssl_error;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"a0ipc", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)r->common_name, -1, -1, 0) ||
        !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
        goto ssl_error;

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    char eku[64] = "";
    if (r->server)
        strcat(eku, "serverAuth");
    if (r->client)
        strcat(eku, r->server ? ",clientAuth" : "clientAuth");
    if (add_ext(x, &ctx, NID_basic_constraints, r->ca ? "critical,CA:TRUE" : "critical,CA:FALSE",
                st) ||
        add_ext(x, &ctx, NID_key_usage,
                r->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature", st) ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash", st) ||
        (issuer && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", st)) ||
        (eku[0] && add_ext(x, &ctx, NID_ext_key_usage, eku, st)) || add_san(x, r, st))
        goto fail;
    if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
        goto ssl_error;
    BN_free(serial);
    *key_out = key;
    *cert_out = x;
    return 0;
ssl_error:
    ssl_fail(st, "cannot make a certificate");
fail:
    BN_free(serial);
    X509_free(x);
    EVP_PKEY_free(key);
    return -1;
}

/* Writes through a temporary file in the same directory, then renames. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, a0ipc_status *st)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "path too long: %s", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        a0ipc_status_from_errno(st, errno, "cannot write %s", tmp);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        a0ipc_status_from_errno(st, errno, "cannot write %s", tmp);
        return -1;
    }
    int ok =
        key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    bool flushed = fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0)
        flushed = false;
    if (!ok || !flushed || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        if (!ok)
            return ssl_fail(st, "cannot write PEM");
        a0ipc_status_from_errno(st, err, "cannot write %s", path);
        return -1;
    }
    return 0;
}

int a0ipc_write_key_pem(const char *path, EVP_PKEY *key, a0ipc_status *st)
{
    return write_pem(path, 0600, key, NULL, st);
}

int a0ipc_write_cert_pem(const char *path, X509 *cert, a0ipc_status *st)
{
    return write_pem(path, 0644, NULL, cert, st);
}

EVP_PKEY *a0ipc_read_key_pem(const char *path, a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read %s", path);
        return NULL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k)
        ssl_fail(st, "not a PEM private key");
    return k;
}

X509 *a0ipc_read_cert_pem(const char *path, a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read %s", path);
        return NULL;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        ssl_fail(st, "not a PEM certificate");
    return x;
}

/* Host names end up in certificates: only what DNS allows. */
static bool dns_name_ok(const char *s)
{
    if (!*s || strlen(s) > 253)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '.' || *s == '*'))
            return false;
    return true;
}

int a0ipc_certs_init(const char *dir, const a0ipc_certs_init_options *o, a0ipc_status *st)
{
    static const char *const files[] = {"ca.pem",     "ca.key",     "server.pem",
                                        "server.key", "client.pem", "client.key"};
    char paths[6][4096];
    for (int i = 0; i < 6; i++) {
        if (snprintf(paths[i], sizeof paths[i], "%s/%s", dir, files[i]) >= (int)sizeof paths[i]) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "directory name too long");
            return -1;
        }
        if (!o->force && access(paths[i], F_OK) == 0) {
            a0ipc_status_set(st, A0IPC_ALREADY_EXISTS,
                             "%s exists: keep it, or pass --force to replace the whole set",
                             paths[i]);
            return -1;
        }
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        a0ipc_status_from_errno(st, errno, "cannot create %s", dir);
        return -1;
    }

    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !dns_name_ok(host))
        host[0] = '\0';
    const char *dns[34] = {"localhost"};
    size_t n_dns = 1;
    if (host[0] && strcmp(host, "localhost"))
        dns[n_dns++] = host;
    for (size_t i = 0; i < o->n_extra_dns && n_dns < 34; i++) {
        if (!dns_name_ok(o->extra_dns[i])) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "\"%s\" is not a DNS name",
                             o->extra_dns[i]);
            return -1;
        }
        dns[n_dns++] = o->extra_dns[i];
    }
    const char *ips[34] = {"127.0.0.1", "::1"};
    size_t n_ips = 2;
    for (size_t i = 0; i < o->n_extra_ips && n_ips < 34; i++)
        ips[n_ips++] = o->extra_ips[i];
    long leaf = (long)(o->days > 0 ? o->days : 365) * 86400;

    EVP_PKEY *ca_key = NULL, *srv_key = NULL, *cli_key = NULL;
    X509 *ca = NULL, *srv = NULL, *cli = NULL;
    a0ipc_cert_request ca_req = {.common_name = "a0ipc development CA",
                                 .ca = true,
                                 .valid_from_s = -300,
                                 .valid_until_s = 3650L * 86400};
    a0ipc_cert_request srv_req = {.common_name = o->server_cn ? o->server_cn
                                                 : host[0]    ? host
                                                              : "a0ipcd",
                                  .server = true,
                                  .dns_names = dns,
                                  .n_dns = n_dns,
                                  .ip_addresses = ips,
                                  .n_ips = n_ips,
                                  .valid_from_s = -300,
                                  .valid_until_s = leaf};
    a0ipc_cert_request cli_req = {.common_name = o->client_cn ? o->client_cn : "a0ipc-client",
                                  .client = true,
                                  .valid_from_s = -300,
                                  .valid_until_s = leaf};
    int rc = -1;
    if (a0ipc_cert_issue(&ca_req, NULL, NULL, &ca_key, &ca, st) ||
        a0ipc_cert_issue(&srv_req, ca_key, ca, &srv_key, &srv, st) ||
        a0ipc_cert_issue(&cli_req, ca_key, ca, &cli_key, &cli, st))
        goto out;
    /* Keys first: a certificate without its key is useless, the reverse is harmless. */
    if (a0ipc_write_key_pem(paths[1], ca_key, st) || a0ipc_write_cert_pem(paths[0], ca, st) ||
        a0ipc_write_key_pem(paths[3], srv_key, st) || a0ipc_write_cert_pem(paths[2], srv, st) ||
        a0ipc_write_key_pem(paths[5], cli_key, st) || a0ipc_write_cert_pem(paths[4], cli, st))
        goto out;
    rc = 0;
out:
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(cli_key);
    X509_free(ca);
    X509_free(srv);
    X509_free(cli);
    return rc;
}
