/* a0ipc: the command-line client. `a0ipc [GLOBAL OPTION]... COMMAND [OPTION]... ARGS`: the
 * commands come from one table (cli/commands.h), which also gives `a0ipc help` and the shell
 * completion. Global options (the connection options, --json, --quiet) may come before the
 * command; they are handed to it as if they followed its name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/runner.h"
#include "common/heap_tuning.h"

static void usage(FILE *out)
{
    size_t n;
    const a0ipc_cli_entry *t = a0ipc_cli_commands(&n);
    fprintf(out, "Usage: a0ipc [OPTION]... COMMAND [OPTION]... [ARG]...\n\nCommands:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-11s %s\n", t[i].name, t[i].summary);
    fprintf(out, "  %-11s %s\n\n", "help", "This list, or a command's options (help COMMAND).");
    fprintf(out,
            "Options before the command: the connection options (--target, --ca, --cert,\n"
            "--key, --server-name, --token-file, --timeout, --backend, ...), --json, --quiet;\n"
            "-h, --help; --version. 'a0ipc help COMMAND' lists a command's options.\n");
}

/* Whether word is a global option; *takes_value when its value is the next word. */
static bool global_option(const char *word, bool *takes_value)
{
    static const struct option conn[] = {A0IPC_CLI_CONN_OPTIONS};
    *takes_value = false;
    if (strncmp(word, "--", 2) != 0)
        return false;
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    if ((len == 4 && !strncmp(name, "json", 4)) || (len == 5 && !strncmp(name, "quiet", 5)))
        return true;
    for (size_t i = 0; i < sizeof conn / sizeof conn[0]; i++)
        if (strlen(conn[i].name) == len && !strncmp(conn[i].name, name, len)) {
            *takes_value = conn[i].has_arg == required_argument && name[len] != '=';
            return true;
        }
    return false;
}

/* Whether e, a command with a main of its own (no connection), takes the global option word:
 * --json, where its option table lists it (token, certs, router). */
static bool main_takes(const a0ipc_cli_entry *e, const char *word)
{
    if (strcmp(word, "--json") != 0)
        return false;
    for (const struct option *o = e->options; o && o->name; o++)
        if (!strcmp(o->name, "json"))
            return true;
    return false;
}

static int run_entry(const a0ipc_cli_entry *e, int argc, char **argv)
{
    if (e->cmd)
        return a0ipc_cli_run(e->cmd, argc, argv);
    return e->main(argc, argv);
}

/* a0ipc help [COMMAND] */
static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return A0IPC_EXIT_OK;
    }
    const a0ipc_cli_entry *e = a0ipc_cli_find(argv[1]);
    if (!e)
        return a0ipc_cli_usage_error(NULL, "unknown command %s", argv[1]);
    if (e->cmd) {
        a0ipc_cli_usage(e->cmd, stdout);
        return A0IPC_EXIT_OK;
    }
    char *args[] = {argv[1], "--help", NULL};
    return e->main(2, args);
}

int main(int argc, char **argv)
{
    a0ipc_heap_tune_for_streams(); /* get, archive: downloads of any size */
    int first = 1;                 /* the global options are argv[1 .. first-1] */
    while (first < argc && argv[first][0] == '-') {
        const char *w = argv[first];
        bool takes_value;
        if (!strcmp(w, "--help") || !strcmp(w, "-h")) {
            usage(stdout);
            return A0IPC_EXIT_OK;
        }
        if (!strcmp(w, "--version")) {
            printf("a0ipc %s\n", A0IPC_VERSION);
            return A0IPC_EXIT_OK;
        }
        if (!global_option(w, &takes_value))
            return a0ipc_cli_usage_error(NULL, "unknown option %.*s before the command",
                                         (int)strcspn(w, "="), w);
        if (takes_value && first + 1 == argc)
            return a0ipc_cli_usage_error(NULL, "option %s needs a value", w);
        first += takes_value ? 2 : 1;
    }
    if (first == argc)
        return a0ipc_cli_usage_error(NULL, "a command is missing");
    const char *name = argv[first];
    if (!strcmp(name, "help"))
        return help(argc - first, argv + first);
    const a0ipc_cli_entry *e = a0ipc_cli_find(name);
    if (!e)
        return a0ipc_cli_usage_error(NULL, "unknown command %s", name);
    if (first == 1)
        return run_entry(e, argc - 1, argv + 1);
    /* The command's argv: its name, the global options, then what followed it; for a command
     * with a main of its own, its subcommand comes first (it reads it from argv[1]). */
    int after = first + 1;
    if (!e->cmd) {
        for (int i = 1; i < first; i++)
            if (!main_takes(e, argv[i]))
                return a0ipc_cli_usage_error(name,
                                             "%s takes no global options%s (they are for the "
                                             "commands that call a0ipcd)",
                                             name, main_takes(e, "--json") ? " but --json" : "");
        if (after < argc && argv[after][0] != '-')
            after++;
    }
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return A0IPC_EXIT_ERROR;
    int n = 0;
    args[n++] = argv[first];
    for (int i = first + 1; i < after; i++)
        args[n++] = argv[i];
    for (int i = 1; i < first; i++)
        args[n++] = argv[i];
    for (int i = after; i < argc; i++)
        args[n++] = argv[i];
    int rc = run_entry(e, n, args);
    free(args);
    return rc;
}
