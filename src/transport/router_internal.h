/* Shared between the router's files: its operations, flags and metrics. */
#ifndef A0IPC_ROUTER_INTERNAL_H
#define A0IPC_ROUTER_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "a0ipc/router.h"
#include "transport/transport_impl.h"

/* OP_health, OP_stat, ...: one per operation, in the list's order. */
#define ROUTER_OP_ENUM(since, name, params, args) OP_##name,
/* clang-format off */
typedef enum router_op {
    A0IPC_TRANSPORT_OPS(ROUTER_OP_ENUM)
    OP_COUNT
} router_op;
/* clang-format on */
#undef ROUTER_OP_ENUM

/* "stat", "read", ...: the a0ipc_* wrapper names without the prefix. */
extern const char *const router_op_names[OP_COUNT];
int router_op_from_name(const char *name);

enum { BACKEND_LEGACY, BACKEND_GRPC, BACKEND_COUNT };
extern const char *const router_backend_names[BACKEND_COUNT];

typedef struct router_flags {
    a0ipc_route_mode mode;
    int canary_percent;
    bool method_set[OP_COUNT];
    a0ipc_route_mode method_mode[OP_COUNT];
    bool fallback;
    int breaker_failures;
    int breaker_cooldown_ms;
} router_flags;

/* Defaults, then the file (if any), then the environment. Leaves *f untouched on error. */
int router_flags_load(router_flags *f, const char *file, a0ipc_status *st);
char *router_flags_describe(const router_flags *f);
const char *router_mode_name(a0ipc_route_mode m);

#define LATENCY_BUCKETS 10
extern const double router_latency_bounds_s[LATENCY_BUCKETS - 1]; /* then +Inf */

typedef struct router_metrics {
    _Atomic uint64_t calls[BACKEND_COUNT][OP_COUNT][A0IPC_CODE_COUNT];
    _Atomic uint64_t latency[BACKEND_COUNT][OP_COUNT][LATENCY_BUCKETS]; /* not cumulative */
    _Atomic uint64_t latency_sum_us[BACKEND_COUNT][OP_COUNT];
    _Atomic uint64_t fallbacks[OP_COUNT];
    _Atomic uint64_t breaker_diverted[OP_COUNT];
    _Atomic uint64_t shadow_compared[OP_COUNT];
    _Atomic uint64_t shadow_mismatched[OP_COUNT];
    _Atomic uint64_t breaker_opened;
    _Atomic int breaker_open;
} router_metrics;

void router_metrics_record(router_metrics *m, int backend, router_op op, a0ipc_code code,
                           int64_t micros);
char *router_metrics_text(router_metrics *m);

#endif
