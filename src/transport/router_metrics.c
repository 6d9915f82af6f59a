/* The router's counters and their Prometheus text exposition. */
#include <stdio.h>
#include <stdlib.h>

#include "common/prom.h"
#include "transport/router_internal.h"

const char *const router_backend_names[BACKEND_COUNT] = {"legacy", "grpc"};

/* Upper bounds in seconds of all but the last (+Inf) bucket. */
const double router_latency_bounds_s[LATENCY_BUCKETS - 1] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.05,   0.1,   0.5,    2.5};

void router_metrics_record(router_metrics *m, int backend, router_op op, a0ipc_code code,
                           int64_t micros)
{
    if ((unsigned)code >= A0IPC_CODE_COUNT)
        code = A0IPC_UNKNOWN;
    atomic_fetch_add_explicit(&m->calls[backend][op][code], 1, memory_order_relaxed);
    int b = a0ipc_prom_bucket(router_latency_bounds_s, LATENCY_BUCKETS, (double)micros / 1e6);
    atomic_fetch_add_explicit(&m->latency[backend][op][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us[backend][op], (uint64_t)(micros > 0 ? micros : 0),
                              memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

/* Writes one counter family with a {method="..."} label; only methods that counted. */
static void per_method(FILE *out, const char *name, const char *help, _Atomic uint64_t *values)
{
    a0ipc_prom_family(out, name, "counter", help);
    for (int op = 0; op < OP_COUNT; op++) {
        uint64_t v = load(&values[op]);
        if (v)
            fprintf(out, "%s{method=\"%s\"} %llu\n", name, router_op_names[op],
                    (unsigned long long)v);
    }
}

char *router_metrics_text(router_metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    a0ipc_prom_family(out, "a0ipc_router_calls_total", "counter",
                      "Calls by backend, method and status code.");
    for (int b = 0; b < BACKEND_COUNT; b++)
        for (int op = 0; op < OP_COUNT; op++)
            for (int c = 0; c < A0IPC_CODE_COUNT; c++) {
                uint64_t v = load(&m->calls[b][op][c]);
                if (v)
                    fprintf(out,
                            "a0ipc_router_calls_total{backend=\"%s\",method=\"%s\",code=\"%s\"} "
                            "%llu\n",
                            router_backend_names[b], router_op_names[op],
                            a0ipc_code_name((a0ipc_code)c), (unsigned long long)v);
            }
    a0ipc_prom_family(out, "a0ipc_router_call_duration_seconds", "histogram",
                      "Call latency by backend and method.");
    for (int b = 0; b < BACKEND_COUNT; b++)
        for (int op = 0; op < OP_COUNT; op++) {
            uint64_t counts[LATENCY_BUCKETS];
            for (int k = 0; k < LATENCY_BUCKETS; k++)
                counts[k] = load(&m->latency[b][op][k]);
            char labels[96];
            snprintf(labels, sizeof labels, "backend=\"%s\",method=\"%s\"", router_backend_names[b],
                     router_op_names[op]);
            a0ipc_prom_histogram(out, "a0ipc_router_call_duration_seconds", labels,
                                 router_latency_bounds_s, counts, LATENCY_BUCKETS,
                                 (double)load(&m->latency_sum_us[b][op]) / 1e6);
        }
    per_method(out, "a0ipc_router_fallbacks_total",
               "Calls repeated on legacy after gRPC answered UNAVAILABLE.", m->fallbacks);
    per_method(out, "a0ipc_router_breaker_diverted_total",
               "Calls meant for gRPC sent to legacy while the circuit was open.",
               m->breaker_diverted);
    per_method(out, "a0ipc_router_shadow_comparisons_total",
               "Read-only calls sent to both backends and compared.", m->shadow_compared);
    per_method(out, "a0ipc_router_shadow_mismatches_total",
               "Shadow comparisons whose answers differed.", m->shadow_mismatched);
    fprintf(out,
            "# HELP a0ipc_router_breaker_open 1 while calls meant for gRPC go to legacy.\n"
            "# TYPE a0ipc_router_breaker_open gauge\na0ipc_router_breaker_open %d\n"
            "# HELP a0ipc_router_breaker_opened_total Times the circuit opened.\n"
            "# TYPE a0ipc_router_breaker_opened_total counter\na0ipc_router_breaker_opened_total "
            "%llu\n",
            atomic_load(&m->breaker_open), (unsigned long long)load(&m->breaker_opened));
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
