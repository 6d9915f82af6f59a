/* The a0ipc commands and the exit statuses they share. */
#ifndef A0IPC_CLI_COMMANDS_H
#define A0IPC_CLI_COMMANDS_H

#include <stddef.h>

enum {
    A0IPC_EXIT_OK = 0,
    A0IPC_EXIT_NOT_SERVING = 1, /* health only */
    A0IPC_EXIT_USAGE = 2,
    A0IPC_EXIT_RPC = 3,   /* the call failed */
    A0IPC_EXIT_ERROR = 4, /* a local failure: files, permissions */
};

/* Each gets argv[0] = the command name. */
int a0ipc_cmd_health(int argc, char **argv);
int a0ipc_cmd_certs(int argc, char **argv);
int a0ipc_cmd_token(int argc, char **argv);
int a0ipc_cmd_router(int argc, char **argv);
int a0ipc_cmd_agent_zero(int argc, char **argv);

/* The transport commands (runner.h): files (stat, ls, get, ...) and terminal (exec, run, ...). */
struct a0ipc_cli_cmd;
const struct a0ipc_cli_cmd *a0ipc_cli_files_commands(size_t *n);
const struct a0ipc_cli_cmd *a0ipc_cli_terminal_commands(size_t *n);

#endif
