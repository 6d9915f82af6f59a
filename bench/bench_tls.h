/* bench_tls: the TLS side of bench_files. A TLS copy floor (OpenSSL TLS 1.3 over a loopback TCP
 * socket, the cipher suite chosen by the client before the handshake) and the cipher suite the
 * gRPC core negotiated for a0ipc's own TLS connection, so the floor can use the same one. */
#ifndef A0IPC_BENCH_TLS_H
#define A0IPC_BENCH_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/* Contexts for the floor: TLS 1.3 only. The server presents cert/key; the client trusts ca. */
SSL_CTX *bt_server_ctx(const char *cert_file, const char *key_file);
SSL_CTX *bt_client_ctx(const char *ca_file);

/* The client sends the name of the TLS 1.3 cipher suite it wants (or "" for OpenSSL's default
 * choice) in plaintext, then both sides handshake with only that suite offered. Return the
 * connection, or NULL (the server side then just closes fd). */
SSL *bt_accept(SSL_CTX *ctx, int fd);
SSL *bt_connect(SSL_CTX *ctx, int fd, const char *suite);

/* Whole reads and writes of n bytes: 0, or -1 on error or EOF. */
int bt_read_full(SSL *ssl, void *buf, size_t n);
int bt_write_full(SSL *ssl, const void *buf, size_t n);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" as negotiated by the first TLS connection the gRPC core
 * completed in this process, or NULL when none has been seen. */
const char *bt_grpc_negotiated(void);
/* Just the cipher suite's name of the above, or NULL. */
const char *bt_grpc_cipher(void);

#endif
