/* /metrics for scrapers on other hosts: TLS and HTTP basic authentication set up by a web
 * configuration file in the Prometheus exporters' format (exporter-toolkit's --web.config.file):
 *
 *   tls_server_config:
 *     cert_file: /etc/a0ipc/metrics.pem
 *     key_file: /etc/a0ipc/metrics.key
 *   basic_auth_users:
 *     prometheus: $2y$10$...        # bcrypt, as `htpasswd -nBC 10 prometheus` prints it
 *
 * Only these keys; anything else is refused, as exporter-toolkit refuses unknown keys. */
#ifndef A0IPC_DAEMON_METRICS_WEB_H
#define A0IPC_DAEMON_METRICS_WEB_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "a0ipc/status.h"

#define A0IPC_METRICS_WEB_MAX_USERS 16

typedef struct a0ipc_metrics_web {
    SSL_CTX *tls; /* NULL: plain HTTP */
    int n_users;  /* 0: no authentication */
    char *users[A0IPC_METRICS_WEB_MAX_USERS];
    char *hashes[A0IPC_METRICS_WEB_MAX_USERS];
} a0ipc_metrics_web;

/* Reads path; NULL with st saying why (the file and line). */
a0ipc_metrics_web *a0ipc_metrics_web_load(const char *path, a0ipc_status *st);
void a0ipc_metrics_web_free(a0ipc_metrics_web *w);

/* Whether the request's headers (everything up to the blank line) carry
 * "Authorization: Basic ..." for one of the users. True when no users are configured. */
bool a0ipc_metrics_web_authorized(const a0ipc_metrics_web *w, const char *headers);

#endif
