/* a0ipc: the command-line client. Commands: health (a0ipcd's health), certs (development
 * certificates), token (the tokens file). The file and terminal commands come with the client
 * library (docs/cli.md). */
#include <grpc/grpc.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/heap_tuning.h"
#include "cli/runner.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: a0ipc COMMAND [OPTION]...   (a0ipc COMMAND --help for its options)\n\n"
                 "  health                 is a0ipcd serving?\n"
                 "  stat, ls, get, put, rm, mkdir, mv, archive, watch   files on the runtime host\n"
                 "  exec, run, shell, sessions, close                   terminal sessions\n"
                 "  certs init DIR         make a development CA, server and client certificate\n"
                 "  token add NAME --allow PERMISSION...   make a token, store its hash\n"
                 "  token remove NAME      revoke a token (then reload a0ipcd: SIGHUP)\n"
                 "  token list             the tokens' names and permissions\n"
                 "  router flags|bucket    the migration router's flags, a key's canary side\n"
                 "  agent-zero install|uninstall|status DIR   switch Agent Zero v1.x to a0ipcd\n\n"
                 "  --version              print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? A0IPC_EXIT_USAGE : 0;
    }
    a0ipc_heap_tune_for_streams(); /* get, archive: downloads of any size */
    if (!strcmp(argv[1], "--version")) {
        printf("a0ipc %s\n", A0IPC_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "certs"))
        return a0ipc_cmd_certs(argc - 1, argv + 1);
    if (!strcmp(argv[1], "token"))
        return a0ipc_cmd_token(argc - 1, argv + 1);
    if (!strcmp(argv[1], "router"))
        return a0ipc_cmd_router(argc - 1, argv + 1);
    if (!strcmp(argv[1], "agent-zero"))
        return a0ipc_cmd_agent_zero(argc - 1, argv + 1);
    size_t n_files, n_term;
    const a0ipc_cli_cmd *files = a0ipc_cli_files_commands(&n_files);
    const a0ipc_cli_cmd *term = a0ipc_cli_terminal_commands(&n_term);
    for (size_t i = 0; i < n_files; i++)
        if (!strcmp(argv[1], files[i].name))
            return a0ipc_cli_run(&files[i], argc - 1, argv + 1);
    for (size_t i = 0; i < n_term; i++)
        if (!strcmp(argv[1], term[i].name))
            return a0ipc_cli_run(&term[i], argc - 1, argv + 1);
    if (strcmp(argv[1], "health") != 0) {
        fprintf(stderr, "a0ipc: unknown command \"%s\" (a0ipc --help lists them)\n", argv[1]);
        return A0IPC_EXIT_USAGE;
    }
    grpc_init();
    int rc = a0ipc_cmd_health(argc - 1, argv + 1);
    grpc_shutdown_blocking();
    return rc;
}
