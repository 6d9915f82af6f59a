/* The frame every transport command of a0ipc shares: option parsing (connection options,
 * --json, --help, and the command's own), the transport, the exit status of a failure. */
#ifndef A0IPC_CLI_RUNNER_H
#define A0IPC_CLI_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "a0ipc/transport.h"
#include "cli/json.h"
#include "cli/options.h"

#define A0IPC_CLI_MAX_OPTS 12

/* One option of a command: "--name VALUE" when has_arg, else a flag. */
typedef struct a0ipc_cli_opt {
    const char *name;
    bool has_arg;
    const char *help;
} a0ipc_cli_opt;

typedef struct a0ipc_cli a0ipc_cli;

typedef struct a0ipc_cli_cmd {
    const char *name;
    const char *args; /* "PATH", "SRC DST", ... for the usage line */
    const char *summary;
    int min_args, max_args; /* positional arguments after the options; -1: any number */
    a0ipc_cli_opt opts[A0IPC_CLI_MAX_OPTS];
    int (*run)(a0ipc_cli *cli, int argc, char **argv); /* the positional arguments */
    /* exec, run, shell: the exit status is the remote command's, so a0ipc's own failures
     * exit A0IPC_EXIT_SELF (commands.h) instead of 2, 3 or 4. */
    bool relays_status;
} a0ipc_cli_cmd;

struct a0ipc_cli {
    const a0ipc_cli_cmd *cmd;
    a0ipc_cli_conn conn;
    a0ipc_transport *t;
    a0ipc_call_options call; /* timeout from --timeout, only when given */
    bool json;               /* --json: the response messages as canonical JSON (cli/json.h) */
    bool quiet;              /* --quiet: no progress */
    const char *values[A0IPC_CLI_MAX_OPTS]; /* per opts[i]: the value, "1" for a set flag */
    a0ipc_status st;
};

/* The value of the command's option `name`, or NULL when not given. */
const char *a0ipc_cli_value(const a0ipc_cli *cli, const char *name);
bool a0ipc_cli_flag(const a0ipc_cli *cli, const char *name);
/* Parses an unsigned number option; returns def when absent, -1 (printed) when malformed. */
long long a0ipc_cli_number(const a0ipc_cli *cli, const char *name, long long def);

/* Parses argv for cmd, opens the transport, runs the command, cleans up. */
int a0ipc_cli_run(const a0ipc_cli_cmd *cmd, int argc, char **argv);

/* Reports cli->st (code, message, and what to check) and returns the "call failed" status. */
int a0ipc_cli_fail(a0ipc_cli *cli);
/* code (A0IPC_EXIT_USAGE, _ERROR, ...) as this command exits with it: A0IPC_EXIT_SELF for the
 * commands that relay a remote status. */
int a0ipc_cli_own(const a0ipc_cli *cli, int code);

/* Prints the command's --help to out. */
void a0ipc_cli_usage(const a0ipc_cli_cmd *cmd, FILE *out);

#endif
