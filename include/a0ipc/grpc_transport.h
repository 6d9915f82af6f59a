/* The gRPC implementation of the adapter interface (transport.h), talking to a0ipcd. */
#ifndef A0IPC_GRPC_TRANSPORT_H
#define A0IPC_GRPC_TRANSPORT_H

#include <stdbool.h>

#include "a0ipc/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct a0ipc_grpc_options {
    /* unix:/path, host:port, dns:///host:port (every address DNS gives), ipv4:a:p,b:p.
     * Several addresses are balanced round_robin; a terminal session stays on the daemon that
     * created it. */
    const char *target;
    /* TLS: CA bundle to trust; with cert and key also the client certificate (mTLS).
     * server_name overrides the name checked in the server's certificate. */
    const char *ca_file, *cert_file, *key_file, *server_name;
    const char *token; /* sent as "authorization: Bearer <token>"; NULL: none */
    /* Retries of methods the .proto marks idempotent, on UNAVAILABLE only, with exponential
     * backoff and jitter. max_attempts counts the first try (1 = no retries; at most 5). */
    int max_attempts;
    int initial_backoff_ms, max_backoff_ms;
    int reconnect_backoff_ms; /* first reconnect delay after a lost connection */
    int keepalive_time_ms;    /* 0: no keepalive pings */
    bool wait_for_ready;      /* wait (up to the deadline) for a daemon that is not up yet */
} a0ipc_grpc_options;

/* Defaults: 5 attempts, 100 ms initial and 2 s maximum backoff, 250 ms reconnect backoff, no
 * keepalive, wait_for_ready on. */
void a0ipc_grpc_options_init(a0ipc_grpc_options *o);

a0ipc_transport *a0ipc_grpc_transport_new(const a0ipc_grpc_options *o, a0ipc_status *st);

/* The service config (JSON) the transport gives the channel: round_robin and the retry policy
 * for every idempotent method. Caller frees. For docs and tests. */
char *a0ipc_grpc_service_config(const a0ipc_grpc_options *o);

#ifdef __cplusplus
}
#endif
#endif
