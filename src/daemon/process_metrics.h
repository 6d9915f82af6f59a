/* The process_* metrics every Prometheus exporter has (the client libraries' "process
 * collector"), read from /proc/self at each scrape: CPU time, resident and virtual memory, open
 * and maximum file descriptors, start time. */
#ifndef A0IPC_DAEMON_PROCESS_METRICS_H
#define A0IPC_DAEMON_PROCESS_METRICS_H

#include <stdio.h>

/* Writes the families whose values could be read; a missing /proc leaves them out. */
void a0ipc_process_metrics_write(FILE *out);

#endif
