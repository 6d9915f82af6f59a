/* The one table of a0ipc's commands, and the one-line usage errors every command prints. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/runner.h"

#define MAX_COMMANDS 32

const a0ipc_cli_entry *a0ipc_cli_commands(size_t *n)
{
    static a0ipc_cli_entry table[MAX_COMMANDS];
    static size_t count;
    if (count) {
        *n = count;
        return table;
    }
    const a0ipc_cli_cmd *health = a0ipc_cli_health_command();
    table[count++] = (a0ipc_cli_entry){health->name, health->summary, health, NULL, NULL, NULL};
    size_t n_files, n_term;
    const a0ipc_cli_cmd *groups[] = {a0ipc_cli_files_commands(&n_files),
                                     a0ipc_cli_terminal_commands(&n_term)};
    size_t sizes[] = {n_files, n_term};
    for (size_t g = 0; g < 2; g++)
        for (size_t i = 0; i < sizes[g] && count < MAX_COMMANDS - 5; i++)
            table[count++] = (a0ipc_cli_entry){
                .name = groups[g][i].name, .summary = groups[g][i].summary, .cmd = &groups[g][i]};
    table[count++] = (a0ipc_cli_entry){"certs",
                                       "Make a development CA, server and client certificate.",
                                       NULL,
                                       a0ipc_cmd_certs,
                                       a0ipc_certs_options,
                                       a0ipc_certs_subcommands};
    table[count++] = (a0ipc_cli_entry){"token",
                                       "Add, remove or list the tokens a0ipcd accepts.",
                                       NULL,
                                       a0ipc_cmd_token,
                                       a0ipc_token_options,
                                       a0ipc_token_subcommands};
    table[count++] = (a0ipc_cli_entry){"router",
                                       "The migration router's flags, a key's canary side.",
                                       NULL,
                                       a0ipc_cmd_router,
                                       a0ipc_router_options,
                                       a0ipc_router_subcommands};
    table[count++] = (a0ipc_cli_entry){"agent-zero",
                                       "Switch an Agent Zero v1.x install to a0ipcd.",
                                       NULL,
                                       a0ipc_cmd_agent_zero,
                                       a0ipc_agent_zero_options,
                                       a0ipc_agent_zero_subcommands};
    static const struct option no_options[] = {{NULL, 0, NULL, 0}};
    table[count++] = (a0ipc_cli_entry){"completion", "Print the shell completion script.",
                                       NULL,         a0ipc_cmd_completion,
                                       no_options,   a0ipc_completion_subcommands};
    *n = count;
    return table;
}

const a0ipc_cli_entry *a0ipc_cli_find(const char *name)
{
    size_t n;
    const a0ipc_cli_entry *t = a0ipc_cli_commands(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

int a0ipc_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("a0ipc: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, " for '%s'; see 'a0ipc help %s'\n", cmd, cmd);
    else
        fputs("; see 'a0ipc help'\n", stderr);
    return A0IPC_EXIT_USAGE;
}

int a0ipc_cli_bad_option(const char *cmd, int opt, char **argv)
{
    /* getopt_long: an unknown long option leaves optopt 0, an unknown short one is optopt; a
     * missing value is the last word it read. */
    char shortopt[3] = {'-', (char)optopt, '\0'};
    const char *word = opt == '?' && optopt ? shortopt : argv[optind - 1];
    int len = (int)strcspn(word, "="); /* --foo=bar: --foo */
    if (opt == ':')
        return a0ipc_cli_usage_error(cmd, "option %.*s needs a value", len, word);
    return a0ipc_cli_usage_error(cmd, "unknown option %.*s", len, word);
}
