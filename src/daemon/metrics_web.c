#include "daemon/metrics_web.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* A YAML scalar: unquoted, or in single or double quotes (no escapes needed for paths and
 * bcrypt hashes). */
static char *scalar(char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v[n - 1] = '\0';
        return v + 1;
    }
    return v;
}

static SSL_CTX *tls_context(const char *cert, const char *key, a0ipc_status *st)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-web-config: cannot use cert_file %s with key_file %s", cert, key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

a0ipc_metrics_web *a0ipc_metrics_web_load(const char *path, a0ipc_status *st)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read metrics-web-config %s", path);
        return NULL;
    }
    a0ipc_metrics_web *w = calloc(1, sizeof *w);
    char line[1024], *cert = NULL, *key = NULL;
    enum { TOP, TLS, USERS } section = TOP;
    int lineno = 0;
    bool ok = w != NULL, oom = w == NULL, too_many = false;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strstr(line, " #");
        if (line[0] == '#')
            continue;
        if (hash)
            *hash = '\0';
        bool indented = line[0] == ' ' || line[0] == '\t';
        char *text = trim(line), *colon = strchr(text, ':');
        if (!*text)
            continue;
        if (!colon) {
            ok = false;
            break;
        }
        *colon = '\0';
        char *k = trim(text), *v = scalar(trim(colon + 1));
        if (!indented) {
            if (!strcmp(k, "tls_server_config"))
                section = TLS;
            else if (!strcmp(k, "basic_auth_users"))
                section = USERS;
            else
                ok = false;
            ok = ok && !*v; /* a section's line has no value */
        } else if (section == TLS && (!strcmp(k, "cert_file") || !strcmp(k, "key_file")) && *v) {
            char **dst = !strcmp(k, "cert_file") ? &cert : &key;
            free(*dst);
            oom = !(ok = (*dst = strdup(v)) != NULL);
        } else if (section == USERS && *k && !strncmp(v, "$2", 2)) {
            if ((too_many = w->n_users >= A0IPC_METRICS_WEB_MAX_USERS)) {
                ok = false;
                break;
            }
            w->users[w->n_users] = strdup(k);
            w->hashes[w->n_users] = strdup(v);
            oom = !(ok = w->users[w->n_users] && w->hashes[w->n_users++]);
        } else {
            ok = false;
        }
    }
    fclose(f);
    if (oom) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "metrics-web-config %s: out of memory",
                         path);
    } else if (too_many) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-web-config %s:%d: more than %d basic_auth_users", path, lineno,
                         A0IPC_METRICS_WEB_MAX_USERS);
    } else if (!ok) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-web-config %s:%d: expected tls_server_config (cert_file, "
                         "key_file) or basic_auth_users (NAME: bcrypt hash)",
                         path, lineno);
    } else if (!!cert != !!key) {
        ok = false;
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "metrics-web-config %s: tls_server_config needs cert_file and key_file",
                         path);
    } else if (cert && !(w->tls = tls_context(cert, key, st))) {
        ok = false;
    }
    free(cert);
    free(key);
    if (!ok) {
        a0ipc_metrics_web_free(w);
        return NULL;
    }
    return w;
}

void a0ipc_metrics_web_free(a0ipc_metrics_web *w)
{
    if (!w)
        return;
    SSL_CTX_free(w->tls);
    for (int i = 0; i < w->n_users; i++) {
        free(w->users[i]);
        free(w->hashes[i]);
    }
    free(w);
}

/* The decoded "user:password" of "Authorization: Basic B64" in headers, or NULL. */
static char *basic_credentials(const char *headers)
{
    for (const char *p = headers; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncasecmp(p, "authorization:", 14) != 0)
            continue;
        p += 14;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "basic ", 6) != 0)
            return NULL;
        p += 6;
        size_t n = strcspn(p, "\r\n ");
        if (n == 0 || n > 1024)
            return NULL;
        unsigned char *out = calloc(1, n + 4);
        int len = out ? EVP_DecodeBlock(out, (const unsigned char *)p, (int)n) : -1;
        if (len < 0) {
            free(out);
            return NULL;
        }
        /* EVP_DecodeBlock counts the padding's zero bytes; the string ends at the first NUL */
        out[len] = '\0';
        return (char *)out;
    }
    return NULL;
}

bool a0ipc_metrics_web_authorized(const a0ipc_metrics_web *w, const char *headers)
{
    if (!w || w->n_users == 0)
        return true;
    char *cred = basic_credentials(headers);
    char *colon = cred ? strchr(cred, ':') : NULL;
    bool ok = false;
    if (colon) {
        *colon = '\0';
        for (int i = 0; i < w->n_users && !ok; i++) {
            if (strcmp(w->users[i], cred) != 0)
                continue;
            struct crypt_data data;
            memset(&data, 0, sizeof data);
            const char *h = crypt_r(colon + 1, w->hashes[i], &data);
            ok = h && strlen(h) == strlen(w->hashes[i]) &&
                 CRYPTO_memcmp(h, w->hashes[i], strlen(h)) == 0;
            OPENSSL_cleanse(&data, sizeof data);
        }
    }
    if (cred)
        OPENSSL_cleanse(cred, strlen(cred) + (colon ? strlen(colon + 1) + 1 : 0));
    free(cred);
    return ok;
}
