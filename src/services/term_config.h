/* The Terminal service's settings (a0ipcd's [terminal] section maps onto this). Plain C: the
 * core under src/services/term_* and the gRPC handlers share it. */
#ifndef A0IPC_TERM_CONFIG_H
#define A0IPC_TERM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct a0ipc_terminal_config {
    int max_sessions;            /* CreateSession beyond this: RESOURCE_EXHAUSTED (64) */
    size_t ring_bytes;           /* output kept per session for Attach (1 MiB) */
    unsigned default_idle_ttl_s; /* (3600) */
    unsigned max_idle_ttl_s;     /* requests asking for more get this (86400) */
    unsigned close_grace_ms;     /* SIGHUP to SIGKILL on close (2000) */
    unsigned max_close_grace_ms; /* CloseSession's grace_ms is clamped to this (30000) */
    unsigned kill_wait_ms;       /* after SIGKILL, how long close waits for the end (5000) */
    unsigned start_timeout_ms;   /* for bash to become ready (10000) */
    unsigned write_timeout_ms;   /* for the terminal to take written input (10000) */
    const char *shell;           /* the default argv[0] ("/bin/bash") */
    const char *tmp_dir;         /* where long commands are written for bash to read ("/tmp") */
    /* Sessions and Exec run as this user and group; -1: the daemon's own. Changing them needs
     * the daemon to run as root. */
    long uid, gid;
    /* Resource limits of sessions and Exec (soft = hard); 0: unchanged. */
    uint64_t rlimit_cpu_s, rlimit_as_bytes, rlimit_nofile, rlimit_nproc;
    /* How a session's processes are found for CloseSession and Signal: "auto" (a cgroup v2 per
     * session under the daemon's own cgroup when it can create one, else /proc scanning),
     * "off" (always /proc scanning) or a cgroup v2 directory to create session cgroups in. */
    const char *cgroup;
    /* Make the daemon the child subreaper (prctl PR_SET_CHILD_SUBREAPER), so orphaned session
     * processes are reparented to it and reaped instead of lingering as zombies (true). */
    bool subreaper;
    /* Extra KEY=VALUE entries for every session's and Exec's environment; NULL-terminated, may
     * be NULL. Request env entries override them. */
    const char *const *env;
    unsigned exec_timeout_ms; /* Exec's default timeout (60000) */
    size_t exec_max_output;   /* Exec's cap per stream (1 MiB) */
} a0ipc_terminal_config;

void a0ipc_terminal_config_init(a0ipc_terminal_config *c);

/* A KEY=VALUE pair of a request's environment. */
typedef struct a0ipc_term_kv {
    const char *key;
    const char *value;
} a0ipc_term_kv;

#endif
