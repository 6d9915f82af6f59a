/* bench_tls: see bench_tls.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench_tls.h"
#include "bench_util.h"

#define SUITE_BLOCK 64 /* the plaintext block that names the cipher suite */

static SSL_CTX *ctx_13(const SSL_METHOD *m)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
        bu_die("TLS floor: SSL_CTX_new failed");
    return ctx;
}

SSL_CTX *bt_server_ctx(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = ctx_13(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
        bu_die("TLS floor: cannot load %s / %s", cert_file, key_file);
    return ctx;
}

SSL_CTX *bt_client_ctx(const char *ca_file)
{
    SSL_CTX *ctx = ctx_13(TLS_client_method());
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
        bu_die("TLS floor: cannot load %s", ca_file);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* Read whole socket buffers, not one 16 KiB record per read(2): the gRPC core's TLS layer
     * reads large buffers too, and the floor should be the cheapest copy. */
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

static SSL *handshake(SSL_CTX *ctx, int fd, const char *suite, bool server)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if ((suite[0] && SSL_set_ciphersuites(ssl, suite) != 1) || SSL_set_fd(ssl, fd) != 1 ||
        (server ? SSL_accept(ssl) : SSL_connect(ssl)) != 1) {
        ERR_print_errors_fp(stderr);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

SSL *bt_accept(SSL_CTX *ctx, int fd)
{
    char suite[SUITE_BLOCK];
    if (bu_read_full(fd, suite, sizeof suite) != 0)
        return NULL;
    suite[sizeof suite - 1] = '\0';
    return handshake(ctx, fd, suite, true);
}

SSL *bt_connect(SSL_CTX *ctx, int fd, const char *suite)
{
    char block[SUITE_BLOCK] = "";
    snprintf(block, sizeof block, "%s", suite ? suite : "");
    if (bu_write_full(fd, block, sizeof block) != 0)
        return NULL;
    return handshake(ctx, fd, block, false);
}

int bt_read_full(SSL *ssl, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        int r = SSL_read(ssl, (char *)buf + got, n - got > INT32_MAX ? INT32_MAX : (int)(n - got));
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int bt_write_full(SSL *ssl, const void *buf, size_t n)
{
    for (size_t put = 0; put < n;) {
        int w = SSL_write(ssl, (const char *)buf + put,
                          n - put > INT32_MAX ? INT32_MAX : (int)(n - put));
        if (w <= 0)
            return -1;
        put += (size_t)w;
    }
    return 0;
}

/* ---- what the gRPC core negotiated ----
 *
 * The core does not report the cipher suite of a connection (its auth context has no such
 * property), but its TLS layer (src/core/tsi/ssl_transport_security.cc) asks OpenSSL for the
 * ALPN protocol of every connection right after the handshake. This executable defines that
 * function, so the dynamic linker binds libgrpc's call to it (an executable's definitions come
 * first); it notes the connection's version and cipher suite and calls the real one. */

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen[128], seen_cipher[64];

void SSL_get0_alpn_selected(const SSL *ssl, const unsigned char **data, unsigned int *len)
{
    static void (*real)(const SSL *, const unsigned char **, unsigned int *);
    if (!real)
        real = (void (*)(const SSL *, const unsigned char **, unsigned int *))dlsym(
            RTLD_NEXT, "SSL_get0_alpn_selected");
    pthread_mutex_lock(&seen_mu);
    if (!seen[0] && SSL_get_current_cipher(ssl)) {
        snprintf(seen_cipher, sizeof seen_cipher, "%s", SSL_get_cipher_name(ssl));
        snprintf(seen, sizeof seen, "%s %s", SSL_get_version(ssl), seen_cipher);
    }
    pthread_mutex_unlock(&seen_mu);
    if (real)
        real(ssl, data, len);
    else
        *data = NULL, *len = 0;
}

const char *bt_grpc_negotiated(void)
{
    pthread_mutex_lock(&seen_mu);
    const char *s = seen[0] ? seen : NULL;
    pthread_mutex_unlock(&seen_mu);
    return s;
}

const char *bt_grpc_cipher(void)
{
    pthread_mutex_lock(&seen_mu);
    const char *s = seen_cipher[0] ? seen_cipher : NULL;
    pthread_mutex_unlock(&seen_mu);
    return s;
}
