/* a0ipcd's own metrics (calls by method and status, latency histograms, bytes, active calls and
 * sessions) and the small HTTP listener that serves them at /metrics in the Prometheus text
 * format. The listener takes loopback addresses only, unless a web config (metrics_web.h) gives
 * it TLS and users. */
#ifndef A0IPC_DAEMON_METRICS_H
#define A0IPC_DAEMON_METRICS_H

#include "a0ipc/status.h"
#include "daemon/metrics_web.h"
#include "rpc/server.h"

typedef struct a0ipc_metrics a0ipc_metrics;
typedef struct a0ipc_metrics_http a0ipc_metrics_http;

a0ipc_metrics *a0ipc_metrics_new(void);
void a0ipc_metrics_free(a0ipc_metrics *m);

/* The server's on_call_done observer; arg is the a0ipc_metrics. */
void a0ipc_metrics_observe(void *arg, const a0ipc_rpc_call_record *r);

/* Gives every method of svc its series from the start (calls_total with code OK, bytes, at 0). */
void a0ipc_metrics_add_service(a0ipc_metrics *m, const a0ipc_rpc_service *svc);

/* A gauge read when /metrics is scraped (fn runs on the HTTP thread). Up to 8. */
int a0ipc_metrics_add_gauge(a0ipc_metrics *m, const char *name, const char *help,
                            long (*fn)(void *arg), void *arg);

/* The exposition text; caller frees. */
char *a0ipc_metrics_text(a0ipc_metrics *m);

/* Serves GET /metrics on addr ("127.0.0.1:9464", "[::1]:0", "localhost:9464"). web (kept, may
 * be NULL): TLS and basic-auth users (daemon/metrics_web.h); with both, addr may be any address
 * ("0.0.0.0:9464"), else it must be loopback. *port_out gets the bound port. */
a0ipc_metrics_http *a0ipc_metrics_http_start(a0ipc_metrics *m, const char *addr,
                                             const a0ipc_metrics_web *web, int *port_out,
                                             a0ipc_status *st);
void a0ipc_metrics_http_stop(a0ipc_metrics_http *h);

#endif
