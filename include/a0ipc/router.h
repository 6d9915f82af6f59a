/* The router: an implementation of the adapter interface (transport.h) that sends each call to
 * the legacy or the gRPC transport according to feature flags, so traffic moves gradually and
 * can move back in seconds (docs/migration.md).
 *
 * Modes (globally, or per method):
 *   legacy  every call to the legacy transport
 *   grpc    every call to the gRPC transport
 *   canary  canary-percent of routing keys to gRPC, the rest to legacy. The bucket of a key is a
 *           stable hash (FNV-1a, mod 100) of a0ipc_call_options.routing_key (the agent or session
 *           id), so one key always lands on one side. A call without a key goes to legacy unless
 *           the percentage is 100.
 *   shadow  read-only methods (health, stat, list_dir, read, list_sessions) are sent to both;
 *           the legacy answer is returned, mismatches are counted and logged with a short diff.
 *           Methods with effects go to legacy only.
 * Whatever the flags say, calls about a terminal session go to the transport that created it.
 *
 * Fallback: when gRPC answers UNAVAILABLE (the daemon did not process the call) and nothing was
 * delivered to the caller yet, the call is repeated on legacy. After breaker-failures consecutive
 * UNAVAILABLE answers the circuit opens: calls meant for gRPC go to legacy for
 * breaker-cooldown-ms, then one call tries gRPC again.
 *
 * Flags come from a file (key = value lines, as a0ipcd's config) and then the environment, and
 * are re-read by a0ipc_router_reload (call it from a SIGHUP handler's thread, or an admin API):
 *   mode = legacy|grpc|shadow|canary                      A0IPC_ROUTER_MODE
 *   canary-percent = 0..100                               A0IPC_ROUTER_CANARY_PERCENT
 *   method.<name> = legacy|grpc|shadow|canary (repeat) A0IPC_ROUTER_METHODS="read=grpc,run=legacy"
 *   fallback = true|false                                 A0IPC_ROUTER_FALLBACK
 *   breaker-failures = N (default 5)                      A0IPC_ROUTER_BREAKER_FAILURES
 *   breaker-cooldown-ms = N (default 30000)               A0IPC_ROUTER_BREAKER_COOLDOWN_MS
 * Method names: the a0ipc_* wrapper names without the prefix (stat, read, run, exec, ...). */
#ifndef A0IPC_ROUTER_H
#define A0IPC_ROUTER_H

#include "a0ipc/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum a0ipc_route_mode {
    A0IPC_ROUTE_LEGACY = 0,
    A0IPC_ROUTE_GRPC = 1,
    A0IPC_ROUTE_CANARY = 2,
    A0IPC_ROUTE_SHADOW = 3,
} a0ipc_route_mode;

/* Takes ownership of both transports (either may be NULL: calls routed to a missing one get
 * UNAVAILABLE). flags_file may be NULL (environment and defaults only). */
a0ipc_transport *a0ipc_router_new(a0ipc_transport *legacy, a0ipc_transport *grpc,
                                  const char *flags_file, a0ipc_status *st);

/* Re-reads the flags file and the environment. On error the old flags stay in force. */
int a0ipc_router_reload(a0ipc_transport *router, a0ipc_status *st);

/* The router's metrics in the Prometheus text format (caller frees): calls by backend, method
 * and code, latency histograms, fallbacks, shadow comparisons and mismatches, breaker state. */
char *a0ipc_router_metrics(a0ipc_transport *router);

/* The flags in force, as text (caller frees), for `a0ipc router flags`. */
char *a0ipc_router_describe(a0ipc_transport *router);

/* The stable bucket (0..99) of a routing key. */
int a0ipc_router_bucket(const char *routing_key);

#ifdef __cplusplus
}
#endif
#endif
