/* Writing the Prometheus text exposition format (version 0.0.4): shared by the daemon's
 * /metrics and the router's metrics. */
#ifndef A0IPC_PROM_H
#define A0IPC_PROM_H

#include <stdint.h>
#include <stdio.h>

/* "# HELP name help" and "# TYPE name type". */
void a0ipc_prom_family(FILE *out, const char *name, const char *type, const char *help);

/* One histogram series. labels: the text inside the braces without them ("method=\"x\""),
 * counts: per bucket, NOT cumulative, n of them, the last being +Inf; bounds: n - 1 upper
 * bounds in seconds; sum in seconds. Writes nothing when every count is 0. */
void a0ipc_prom_histogram(FILE *out, const char *name, const char *labels, const double *bounds,
                          const uint64_t *counts, int n, double sum);

/* The bucket of a duration among n buckets with n - 1 upper bounds (seconds). */
int a0ipc_prom_bucket(const double *bounds, int n, double seconds);

#endif
