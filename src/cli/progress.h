/* The progress line of a transfer (put, get, archive) on a terminal: bytes in KiB/MiB/GiB, the
 * percentage and ETA when the size is known, the rate; and a summary line at the end. Off
 * (silent) when stderr is not a terminal, or with --json or --quiet. */
#ifndef A0IPC_CLI_PROGRESS_H
#define A0IPC_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct a0ipc_progress {
    bool on;
    const char *what; /* the name shown */
    uint64_t total;   /* 0: unknown */
    uint64_t done;
    double start, last_draw; /* seconds, CLOCK_MONOTONIC */
    FILE *out;
} a0ipc_progress;

/* on: whether the caller wants progress at all (not --quiet, not --json); it is shown only
 * when stderr is also a terminal. */
void a0ipc_progress_start(a0ipc_progress *p, bool on, const char *what, uint64_t total);
/* n more bytes; redraws at most 10 times a second. */
void a0ipc_progress_add(a0ipc_progress *p, uint64_t n);
/* Clears the line; when ok, prints "WHAT: 30.0 MiB in 2.1 s (14.3 MiB/s)". */
void a0ipc_progress_end(a0ipc_progress *p, bool ok);

/* "512 B", "1.5 KiB", "30.0 MiB", "2.00 GiB" */
void a0ipc_format_bytes(char *buf, size_t cap, double bytes);

#endif
