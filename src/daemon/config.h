/* a0ipcd's settings: defaults, then the config file (--config), then the command line.
 * The file format is documented in docs/configuration.md: one `key = value` per line, `#` starts
 * a comment, keys are the long option names without the dashes, `listen` may repeat. Each field
 * that is a setting has its one line in daemon/config_table.c: its name, values, default and
 * help come from there. */
#ifndef A0IPC_DAEMON_CONFIG_H
#define A0IPC_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "a0ipc/status.h"

typedef struct a0ipc_daemon_config {
    char **listen; /* owned; "unix:/path" or "host:port" */
    size_t n_listen;
    bool listen_from_cli;     /* the first --listen replaces the file's list */
    bool insecure;            /* plaintext TCP allowed, on loopback only */
    char *ready_file;         /* written with the bound addresses once serving */
    char *metrics_listen;     /* loopback host:port for GET /metrics; NULL: off */
    char *metrics_web_config; /* TLS and basic auth for /metrics (daemon/metrics_web.h) */
    int cq_threads;
    int max_workers;
    int max_message_bytes;
    int max_concurrent_streams;
    int max_connections;    /* open at once, unix and TCP together; 0: no limit */
    int connection_idle_ms; /* a connection with no call this long is closed; 0: never */
    int shutdown_grace_ms;
    char *root;                   /* the Files service's root directory; NULL: Files not served */
    long long clean_temp_entries; /* start-up clean-up of stale upload temp files; 0: off */
    /* Terminal service (a0.runtime.v1.Terminal) */
    bool terminal;            /* serve it */
    int max_sessions;         /* CreateSession beyond this: RESOURCE_EXHAUSTED */
    long long session_buffer; /* bytes of output kept per session for Attach */
    int session_idle_ttl_s;   /* default idle TTL */
    char *session_user;       /* run sessions and Exec as this user (needs root); NULL: own */
    char *session_cgroup;     /* "auto", "off" or a cgroup v2 directory */
    long long rlimit_cpu_s, rlimit_as_bytes, rlimit_nofile, rlimit_nproc; /* 0: unchanged */
    int exec_timeout_ms;
    int session_close_grace_max_ms; /* CloseSession.grace_ms is clamped to this */
    long long exec_max_output;
    int log_level;  /* a0ipc_log_level */
    int log_format; /* a0ipc_log_format */
    bool log_calls;

    /* Unix sockets (docs/security.md) */
    int socket_mode;    /* default 0660 */
    uid_t socket_owner; /* (uid_t)-1: a0ipcd's own */
    gid_t socket_group; /* (gid_t)-1: a0ipcd's own */
    uid_t *allow_uids;  /* owned; beyond root and a0ipcd's own uid */
    size_t n_allow_uids;
    gid_t *allow_gids; /* owned */
    size_t n_allow_gids;

    /* TLS on every TCP listener when tls_cert is set */
    char *tls_cert, *tls_key, *tls_ca; /* owned */
    int tls_client_cert;               /* a0ipc_client_cert_mode */
    int tls_reload_seconds;

    /* Tokens */
    char *tokens_file; /* owned; NULL: no tokens */
    bool health_exempt;
} a0ipc_daemon_config;

#define A0IPC_DEFAULT_LISTEN "unix:/run/a0ipcd/a0ipcd.sock"

void a0ipc_daemon_config_init(a0ipc_daemon_config *c);
void a0ipc_daemon_config_free(a0ipc_daemon_config *c);

/* Sets one key (as written in the file) from its text value. Errors say what is wrong. */
int a0ipc_daemon_config_set(a0ipc_daemon_config *c, const char *key, const char *value,
                            bool from_cli, a0ipc_status *st);

/* Reads a config file; errors name the file and line. */
int a0ipc_daemon_config_load(a0ipc_daemon_config *c, const char *path, a0ipc_status *st);

/* Applies the config file named by --config, then the other options. Returns 0, 1 when
 * --help or --version was printed (exit 0), or -1 with st set (exit 2). */
int a0ipc_daemon_config_from_args(a0ipc_daemon_config *c, int argc, char **argv, a0ipc_status *st);

/* Checks the settings as a whole (for example plaintext TCP without --insecure). */
int a0ipc_daemon_config_validate(const a0ipc_daemon_config *c, a0ipc_status *st);

/* SIGHUP: moves the settings marked reloadable from fresh into c; fresh gets c's old values
 * (to free with fresh). Everything else in c stays as it started. */
void a0ipc_daemon_config_take_reloadable(a0ipc_daemon_config *c, a0ipc_daemon_config *fresh);

/* How many settings that SIGHUP does not apply differ between old and now; buf gets their
 * names, each after a space (truncated to size). */
size_t a0ipc_daemon_config_restart_needed(const a0ipc_daemon_config *old,
                                          const a0ipc_daemon_config *now, char *buf, size_t size);

/* Whether addr is a unix socket ("unix:/path", "unix-abstract:name") rather than TCP. */
bool a0ipc_address_is_unix(const char *addr);

/* True for a TCP address on the loopback interface: 127.0.0.0/8, [::1], localhost. */
bool a0ipc_address_is_loopback(const char *addr);

#endif
