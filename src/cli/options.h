/* Connection options shared by every a0ipc command that talks to a0ipcd: where (--target), TLS
 * (--ca, --cert, --key, --server-name), the bearer token (--token-file) and the deadline
 * (--timeout). A command splices A0IPC_CLI_CONN_OPTIONS into its getopt_long table and passes
 * each option to a0ipc_cli_conn_option first. */
#ifndef A0IPC_CLI_OPTIONS_H
#define A0IPC_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "security/client_credentials.h"
#include "security/tokens.h"

#define A0IPC_CLI_DEFAULT_TARGET "unix:/run/a0ipcd/a0ipcd.sock"

enum {
    A0IPC_CLI_OPT_TARGET = 0x1000,
    A0IPC_CLI_OPT_CA,
    A0IPC_CLI_OPT_CERT,
    A0IPC_CLI_OPT_KEY,
    A0IPC_CLI_OPT_TOKEN_FILE,
    A0IPC_CLI_OPT_SERVER_NAME,
    A0IPC_CLI_OPT_TIMEOUT,
    A0IPC_CLI_OPT_BACKEND,
    A0IPC_CLI_OPT_LEGACY_CONFIG,
    A0IPC_CLI_OPT_ROUTER_FLAGS,
    A0IPC_CLI_OPT_ROUTER_METRICS,
    A0IPC_CLI_OPT_ROUTING_KEY,
};

#define A0IPC_CLI_CONN_OPTIONS                                                                     \
    {"target", required_argument, NULL, A0IPC_CLI_OPT_TARGET},                                     \
        {"ca", required_argument, NULL, A0IPC_CLI_OPT_CA},                                         \
        {"cert", required_argument, NULL, A0IPC_CLI_OPT_CERT},                                     \
        {"key", required_argument, NULL, A0IPC_CLI_OPT_KEY},                                       \
        {"token-file", required_argument, NULL, A0IPC_CLI_OPT_TOKEN_FILE},                         \
        {"server-name", required_argument, NULL, A0IPC_CLI_OPT_SERVER_NAME},                       \
        {"backend", required_argument, NULL, A0IPC_CLI_OPT_BACKEND},                               \
        {"legacy-config", required_argument, NULL, A0IPC_CLI_OPT_LEGACY_CONFIG},                   \
        {"router-flags", required_argument, NULL, A0IPC_CLI_OPT_ROUTER_FLAGS},                     \
        {"router-metrics", no_argument, NULL, A0IPC_CLI_OPT_ROUTER_METRICS},                       \
        {"routing-key", required_argument, NULL, A0IPC_CLI_OPT_ROUTING_KEY},                       \
    {                                                                                              \
        "timeout", required_argument, NULL, A0IPC_CLI_OPT_TIMEOUT                                  \
    }

typedef struct a0ipc_cli_conn {
    const char *target;
    const char *token_file;
    const char *server_name;
    double timeout_s;
    a0ipc_client_security sec;
    char token[A0IPC_TOKEN_MAX + 1]; /* read from token_file; wiped by _free */
    char *config_values[8];          /* strings read from the config file; freed by _free */
    int n_config_values;
    /* Which transport (cli/backend.h): "grpc" (default), "legacy" or "router". */
    const char *backend;
    const char *legacy_config; /* --legacy-config, else $A0IPC_LEGACY_CONFIG */
    const char *router_flags;  /* --router-flags, else $A0IPC_ROUTER_FLAGS */
    bool router_metrics;       /* print the router's metrics to stderr at the end */
    const char *routing_key;   /* --routing-key, else $A0IPC_ROUTING_KEY */
} a0ipc_cli_conn;

/* Settings, later ones winning: built-in defaults (the system socket, 5 s), the config file
 * ($A0IPC_CONFIG, else ~/.config/a0ipc/client.conf when it exists: `key = value` lines with
 * the keys target, ca, cert, key, token-file, server-name, timeout), the environment
 * ($A0IPC_TARGET, $A0IPC_CA, $A0IPC_TOKEN_FILE), then the command line. A bad config file is
 * reported on stderr and skipped. */
void a0ipc_cli_conn_init(a0ipc_cli_conn *c);
/* 1: opt was a connection option and is taken; 0: not one of ours; -1: bad value (printed). */
int a0ipc_cli_conn_option(a0ipc_cli_conn *c, int opt, const char *arg);
/* Prints the failure of a call and what to check; returns the CLI's "call failed" status. */
int a0ipc_cli_conn_report(const a0ipc_cli_conn *c, a0ipc_status *st);
void a0ipc_cli_conn_free(a0ipc_cli_conn *c);
void a0ipc_cli_conn_usage(FILE *out);

#endif
