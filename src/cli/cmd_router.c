/* a0ipc router: what the router's flags say, without calling anything.
 *   router flags [--router-flags FILE]   the flags in force (file, then A0IPC_ROUTER_*)
 *   router bucket KEY...                 each routing key's canary bucket (0..99), and the
 *                                        side it goes to under those flags */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/router.h"
#include "cli/commands.h"

static int usage(FILE *out)
{
    fprintf(out, "Usage: a0ipc router flags [--router-flags FILE]\n"
                 "       a0ipc router bucket [--router-flags FILE] KEY...\n"
                 "The flags file defaults to $A0IPC_ROUTER_FLAGS; A0IPC_ROUTER_MODE,\n"
                 "A0IPC_ROUTER_CANARY_PERCENT, ... override it (docs/migration.md).\n");
    return out == stdout ? A0IPC_EXIT_OK : A0IPC_EXIT_USAGE;
}

/* A number after "name = " in the router's description, or -1. */
static long described(const char *text, const char *name)
{
    const char *at = strstr(text, name);
    if (!at)
        return -1;
    at += strlen(name);
    while (*at == ' ' || *at == '=')
        at++;
    return strtol(at, NULL, 10);
}

const char *const a0ipc_router_subcommands[] = {"flags", "bucket", NULL};
const struct option a0ipc_router_options[] = {
    {"router-flags", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int a0ipc_cmd_router(int argc, char **argv)
{
    if (argc < 2)
        return a0ipc_cli_usage_error("router", "a subcommand (flags, bucket) is missing");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    const char *sub = argv[1], *flags = getenv("A0IPC_ROUTER_FLAGS");
    int i = 2;
    if (i + 1 < argc && !strcmp(argv[i], "--router-flags")) {
        flags = argv[i + 1];
        i += 2;
    }
    if (flags && !*flags)
        flags = NULL;
    bool is_flags = !strcmp(sub, "flags"), is_bucket = !strcmp(sub, "bucket");
    if (!is_flags && !is_bucket)
        return a0ipc_cli_usage_error("router", "unknown subcommand %s", sub);
    if (i < argc && argv[i][0] == '-')
        return a0ipc_cli_usage_error("router", "unknown option %s", argv[i]);
    if ((is_flags && i != argc) || (is_bucket && i == argc))
        return a0ipc_cli_usage_error("router", is_flags ? "flags takes no KEY"
                                                        : "bucket takes one KEY or more");
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_transport *r = a0ipc_router_new(NULL, NULL, flags, &st);
    if (!r) {
        fprintf(stderr, "a0ipc router: %s: %s\n", a0ipc_code_name(st.code),
                a0ipc_status_message(&st));
        a0ipc_status_clear(&st);
        return A0IPC_EXIT_ERROR;
    }
    char *text = a0ipc_router_describe(r);
    if (is_flags) {
        fputs(text ? text : "", stdout);
    } else {
        /* The side of a keyed call in canary mode: buckets below the percentage go to gRPC. */
        long percent = text ? described(text, "canary-percent") : -1;
        for (; i < argc; i++) {
            int b = a0ipc_router_bucket(argv[i]);
            printf("%s: bucket %d; in canary mode it goes to %s (canary-percent = %ld)\n", argv[i],
                   b, b < percent ? "grpc" : "legacy", percent);
        }
    }
    free(text);
    a0ipc_transport_free(r);
    return A0IPC_EXIT_OK;
}
