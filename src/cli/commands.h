/* The a0ipc commands: one table (a0ipc_cli_commands) drives dispatch, help and shell
 * completion. And the exit statuses they share. */
#ifndef A0IPC_CLI_COMMANDS_H
#define A0IPC_CLI_COMMANDS_H

#include <getopt.h>
#include <stddef.h>

/* docs/cli.md has this table. exec, run and shell exit with the remote command's status
 * (0..255); their own failures use A0IPC_EXIT_SELF instead of 2, 3 and 4, as ssh does. */
enum {
    A0IPC_EXIT_OK = 0,
    A0IPC_EXIT_NOT_SERVING = 1, /* health only */
    A0IPC_EXIT_USAGE = 2,
    A0IPC_EXIT_RPC = 3,          /* the call failed */
    A0IPC_EXIT_ERROR = 4,        /* a local failure: files, permissions */
    A0IPC_EXIT_WAIT_ENDED = 124, /* run: a timeout ended the wait; the command goes on */
    A0IPC_EXIT_SELF = 255,       /* exec, run, shell: a0ipc itself failed (usage, call, local) */
};

struct a0ipc_cli_cmd;

/* One command of a0ipc. Transport commands are described by cmd (runner.h: its options, parsed
 * by the runner); the others parse their own argv in main (argv[0] = the command's name) and
 * list their getopt table and subcommands here, for completion. */
typedef struct a0ipc_cli_entry {
    const char *name;
    const char *summary; /* one line for `a0ipc help` */
    const struct a0ipc_cli_cmd *cmd;
    int (*main)(int argc, char **argv);
    const struct option *options;   /* main's options (NULL-terminated), for completion */
    const char *const *subcommands; /* NULL-terminated, or NULL */
} a0ipc_cli_entry;

/* Every command, in the order `a0ipc help` lists them. */
const a0ipc_cli_entry *a0ipc_cli_commands(size_t *n);
const a0ipc_cli_entry *a0ipc_cli_find(const char *name);

/* Prints "a0ipc: MESSAGE for 'CMD'; see 'a0ipc help CMD'" (one line) and returns
 * A0IPC_EXIT_USAGE. cmd NULL: about a0ipc itself. */
int a0ipc_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The one line for a getopt_long failure (opterr = 0, optstring starting with ':'): opt is what
 * getopt_long returned, argv what it was given. Returns A0IPC_EXIT_USAGE. */
int a0ipc_cli_bad_option(const char *cmd, int opt, char **argv);

int a0ipc_cmd_certs(int argc, char **argv);
int a0ipc_cmd_token(int argc, char **argv);
int a0ipc_cmd_router(int argc, char **argv);
int a0ipc_cmd_agent_zero(int argc, char **argv);
int a0ipc_cmd_completion(int argc, char **argv);
extern const struct option a0ipc_certs_options[], a0ipc_token_options[], a0ipc_router_options[];
extern const char *const a0ipc_certs_subcommands[];
extern const char *const a0ipc_token_subcommands[];
extern const char *const a0ipc_router_subcommands[];
extern const char *const a0ipc_completion_subcommands[];
extern const struct option a0ipc_agent_zero_options[];
extern const char *const a0ipc_agent_zero_subcommands[];

/* The transport commands (runner.h): health, files (stat, ls, get, ...) and terminal (exec,
 * run, ...). */
const struct a0ipc_cli_cmd *a0ipc_cli_health_command(void);
const struct a0ipc_cli_cmd *a0ipc_cli_files_commands(size_t *n);
const struct a0ipc_cli_cmd *a0ipc_cli_terminal_commands(size_t *n);

#endif
