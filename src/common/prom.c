#include "common/prom.h"

void a0ipc_prom_family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void a0ipc_prom_histogram(FILE *out, const char *name, const char *labels, const double *bounds,
                          const uint64_t *counts, int n, double sum)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += counts[i];
    if (!total)
        return;
    uint64_t running = 0;
    for (int i = 0; i < n; i++) {
        running += counts[i];
        if (i < n - 1)
            fprintf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, bounds[i],
                    (unsigned long long)running);
        else
            fprintf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels,
                    (unsigned long long)running);
    }
    fprintf(out, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels, sum, name, labels,
            (unsigned long long)total);
}

int a0ipc_prom_bucket(const double *bounds, int n, double seconds)
{
    int b = 0;
    while (b < n - 1 && seconds > bounds[b])
        b++;
    return b;
}
