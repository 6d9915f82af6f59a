/* a0ipc router: what the router's flags say, without calling anything.
 *   router flags [--router-flags FILE]   the flags in force (file, then A0IPC_ROUTER_*)
 *   router bucket KEY...                 each routing key's canary bucket (0..99), and the
 *                                        side it goes to under those flags
 * --json prints them as JSON objects (no proto message has them: lowerCamel keys, numbers as
 * numbers, one object a line, as for the messages): flags one object, bucket one per KEY. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/router.h"
#include "cli/commands.h"
#include "cli/json.h"

static int usage(FILE *out)
{
    fprintf(out,
            "Usage: a0ipc router flags [--router-flags FILE] [--json]\n"
            "       a0ipc router bucket [--router-flags FILE] [--json] KEY...\n"
            "The flags file defaults to $A0IPC_ROUTER_FLAGS; A0IPC_ROUTER_MODE,\n"
            "A0IPC_ROUTER_CANARY_PERCENT, ... override it (docs/migration.md).\n"
            "--json: flags as {\"mode\", \"canaryPercent\", \"fallback\", \"breakerFailures\",\n"
            "\"breakerCooldownMs\", \"methods\": {METHOD: MODE}}; bucket as {\"routingKey\",\n"
            "\"bucket\", \"canaryBackend\", \"canaryPercent\"} per KEY.\n");
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

/* A setting of the description as a JSON member: the key in lowerCamel (canary-percent:
 * canaryPercent), a number or true/false as such, anything else a string. */
static void json_member(const char *key, const char *value)
{
    char name[64];
    size_t n = 0;
    for (const char *k = key; *k && n + 1 < sizeof name; k++)
        name[n++] = *k == '-' && k[1] ? (char)toupper((unsigned char)*++k) : *k;
    name[n] = '\0';
    a0ipc_cli_json_string(stdout, name);
    putchar(':');
    char *end;
    (void)strtol(value, &end, 10);
    bool number = *value && !*end && (isdigit((unsigned char)*value) || *value == '-');
    if (number || !strcmp(value, "true") || !strcmp(value, "false"))
        fputs(value, stdout);
    else
        a0ipc_cli_json_string(stdout, value);
}

/* The description's "key = value" lines as one object: first the settings, then the
 * method.NAME lines as the object "methods" (empty when no method has a mode of its own). */
static void print_flags_json(const char *text)
{
    bool first = true;
    putchar('{');
    for (int methods = 0; methods < 2; methods++) {
        if (methods) {
            printf("%s\"methods\":{", first ? "" : ",");
            first = true;
        }
        for (const char *line = text; *line;) {
            size_t len = strcspn(line, "\n");
            const char *eq = memmem(line, len, " = ", 3);
            bool method = len > 7 && !strncmp(line, "method.", 7);
            if (eq && method == methods) {
                char key[64], value[64]; /* (names and numbers: short) */
                const char *k = method ? line + 7 : line, *v = eq + 3;
                snprintf(key, sizeof key, "%.*s", (int)(eq - k), k);
                snprintf(value, sizeof value, "%.*s", (int)(line + len - v), v);
                printf("%s", first ? "" : ",");
                first = false;
                if (method) {
                    a0ipc_cli_json_string(stdout, key);
                    putchar(':');
                    a0ipc_cli_json_string(stdout, value);
                } else {
                    json_member(key, value);
                }
            }
            line += len + (line[len] == '\n');
        }
    }
    printf("}}\n");
}

const char *const a0ipc_router_subcommands[] = {"flags", "bucket", NULL};
const struct option a0ipc_router_options[] = {
    {"router-flags", required_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'j'},
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
    bool is_flags = !strcmp(sub, "flags"), is_bucket = !strcmp(sub, "bucket");
    if (!is_flags && !is_bucket)
        return a0ipc_cli_usage_error("router", "unknown subcommand %s", sub);
    /* Options anywhere, as getopt takes them; the KEYs are moved to argv[2 .. 2+n_keys-1]. */
    bool json = false, only_keys = false;
    int n_keys = 0;
    for (int i = 2; i < argc; i++) {
        if (only_keys || argv[i][0] != '-')
            argv[2 + n_keys++] = argv[i];
        else if (!strcmp(argv[i], "--"))
            only_keys = true;
        else if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--router-flags") && i + 1 < argc)
            flags = argv[++i];
        else if (!strncmp(argv[i], "--router-flags=", 15))
            flags = argv[i] + 15;
        else
            return a0ipc_cli_usage_error("router", "unknown option %s", argv[i]);
    }
    if (flags && !*flags)
        flags = NULL;
    if ((is_flags && n_keys) || (is_bucket && !n_keys))
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
    if (!text) {
        fprintf(stderr, "a0ipc router: out of memory\n");
        a0ipc_transport_free(r);
        return A0IPC_EXIT_ERROR;
    }
    if (is_flags && json) {
        print_flags_json(text);
    } else if (is_flags) {
        fputs(text, stdout);
    } else {
        /* The side of a keyed call in canary mode: buckets below the percentage go to gRPC. */
        long percent = described(text, "canary-percent");
        for (int i = 2; i < 2 + n_keys; i++) {
            int b = a0ipc_router_bucket(argv[i]);
            const char *side = b < percent ? "grpc" : "legacy";
            if (!json) {
                printf("%s: bucket %d; in canary mode it goes to %s (canary-percent = %ld)\n",
                       argv[i], b, side, percent);
                continue;
            }
            printf("{\"routingKey\":");
            a0ipc_cli_json_string(stdout, argv[i]);
            printf(",\"bucket\":%d,\"canaryBackend\":\"%s\",\"canaryPercent\":%ld}\n", b, side,
                   percent);
        }
    }
    free(text);
    a0ipc_transport_free(r);
    return A0IPC_EXIT_OK;
}
