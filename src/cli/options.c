#include "cli/options.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/transport.h"
#include "cli/commands.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Applies the config file's settings; the strings stay owned by c. */
static void read_config(a0ipc_cli_conn *c)
{
    char home_path[4096];
    const char *path = env("A0IPC_CONFIG");
    bool explicit_path = path != NULL;
    if (!path && env("HOME")) {
        snprintf(home_path, sizeof home_path, "%s/.config/a0ipc/client.conf", env("HOME"));
        path = home_path;
    }
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        if (explicit_path)
            fprintf(stderr, "a0ipc: cannot read A0IPC_CONFIG %s: %s\n", path, strerror(errno));
        return;
    }
    static const struct {
        const char *key;
        int opt;
    } keys[] = {{"target", A0IPC_CLI_OPT_TARGET},
                {"ca", A0IPC_CLI_OPT_CA},
                {"cert", A0IPC_CLI_OPT_CERT},
                {"key", A0IPC_CLI_OPT_KEY},
                {"token-file", A0IPC_CLI_OPT_TOKEN_FILE},
                {"server-name", A0IPC_CLI_OPT_SERVER_NAME},
                {"timeout", A0IPC_CLI_OPT_TIMEOUT}};
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *text = trim(line), *eq = strchr(text, '=');
        if (!*text)
            continue;
        int opt = -1;
        if (eq) {
            *eq = '\0';
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                if (!strcmp(trim(text), keys[i].key))
                    opt = keys[i].opt;
        }
        char *value = eq ? strdup(trim(eq + 1)) : NULL;
        if (opt < 0 || !value || c->n_config_values == 8 ||
            a0ipc_cli_conn_option(c, opt, value) != 1) {
            fprintf(stderr,
                    "a0ipc: %s:%d: not a setting (target, ca, cert, key, token-file, "
                    "server-name, timeout): skipped\n",
                    path, lineno);
            free(value);
            continue;
        }
        c->config_values[c->n_config_values++] = value;
    }
    fclose(f);
}

void a0ipc_cli_conn_init(a0ipc_cli_conn *c)
{
    memset(c, 0, sizeof *c);
    c->target = A0IPC_CLI_DEFAULT_TARGET;
    c->timeout_s = 5;
    read_config(c);
    if (env("A0IPC_TARGET"))
        c->target = env("A0IPC_TARGET");
    if (env("A0IPC_CA"))
        c->sec.ca_file = env("A0IPC_CA");
    if (env("A0IPC_TOKEN_FILE"))
        c->token_file = env("A0IPC_TOKEN_FILE");
    c->backend = "grpc";
    c->legacy_config = env("A0IPC_LEGACY_CONFIG");
    c->router_flags = env("A0IPC_ROUTER_FLAGS");
    c->routing_key = env("A0IPC_ROUTING_KEY");
}

int a0ipc_cli_conn_option(a0ipc_cli_conn *c, int opt, const char *arg)
{
    switch (opt) {
    case A0IPC_CLI_OPT_TARGET:
        c->target = arg;
        return 1;
    case A0IPC_CLI_OPT_CA:
        c->sec.ca_file = arg;
        return 1;
    case A0IPC_CLI_OPT_CERT:
        c->sec.cert_file = arg;
        return 1;
    case A0IPC_CLI_OPT_KEY:
        c->sec.key_file = arg;
        return 1;
    case A0IPC_CLI_OPT_TOKEN_FILE:
        c->token_file = arg;
        return 1;
    case A0IPC_CLI_OPT_SERVER_NAME:
        c->server_name = arg;
        return 1;
    case A0IPC_CLI_OPT_BACKEND:
        if (strcmp(arg, "grpc") && strcmp(arg, "legacy") && strcmp(arg, "router")) {
            fprintf(stderr, "a0ipc: --backend takes grpc, legacy or router, not \"%s\"\n", arg);
            return -1;
        }
        c->backend = arg;
        return 1;
    case A0IPC_CLI_OPT_LEGACY_CONFIG:
        c->legacy_config = arg;
        return 1;
    case A0IPC_CLI_OPT_ROUTER_FLAGS:
        c->router_flags = arg;
        return 1;
    case A0IPC_CLI_OPT_ROUTER_METRICS:
        c->router_metrics = true;
        return 1;
    case A0IPC_CLI_OPT_ROUTING_KEY:
        c->routing_key = arg;
        return 1;
    case A0IPC_CLI_OPT_TIMEOUT: {
        char *end;
        c->timeout_s = strtod(arg, &end);
        if (*end || end == arg || c->timeout_s <= 0) {
            fprintf(stderr, "a0ipc: --timeout takes seconds > 0, not \"%s\"\n", arg);
            return -1;
        }
        return 1;
    }
    default:
        return 0;
    }
}

int a0ipc_cli_conn_report(const a0ipc_cli_conn *c, a0ipc_status *st)
{
    fprintf(stderr, "a0ipc: %s: %s\n", a0ipc_code_name(st->code), a0ipc_status_message(st));
    bool tls = c->sec.ca_file || c->sec.cert_file;
    switch (st->code) {
    case A0IPC_UNAVAILABLE:
    case A0IPC_DEADLINE_EXCEEDED:
        fprintf(stderr, "a0ipc: is a0ipcd running and listening on %s?\n", c->target);
        if (tls)
            fprintf(stderr, "a0ipc: with TLS also check --ca (the CA that signed the server's "
                            "certificate), --server-name (a name in that certificate), the "
                            "certificates' dates, and --cert/--key when the server requires "
                            "client certificates; a0ipcd's log says why a handshake failed\n");
        else if (strncmp(c->target, "unix", 4) != 0)
            fprintf(stderr, "a0ipc: if a0ipcd serves TLS on this port, pass --ca FILE\n");
        else
            fprintf(stderr, "a0ipc: on a unix socket a0ipcd refuses users not in its allow-uid "
                            "or allow-gid (see its log)\n");
        break;
    case A0IPC_UNAUTHENTICATED:
        fprintf(stderr, "a0ipc: pass --token-file FILE holding a valid token (a0ipc token add "
                        "makes one)\n");
        break;
    case A0IPC_PERMISSION_DENIED:
        fprintf(stderr, "a0ipc: a0ipcd refused: a path outside its root, a file it may not touch, "
                        "or a token without this permission (see the token's line in a0ipcd's "
                        "tokens file)\n");
        break;
    default:
        break;
    }
    a0ipc_status_clear(st);
    return A0IPC_EXIT_RPC;
}

void a0ipc_cli_conn_free(a0ipc_cli_conn *c)
{
    OPENSSL_cleanse(c->token, sizeof c->token);
    for (int i = 0; i < c->n_config_values; i++)
        free(c->config_values[i]);
    c->n_config_values = 0;
}

void a0ipc_cli_conn_usage(FILE *out)
{
    fprintf(out, "Connection:\n"
                 "  --target T        unix:/path, host:port, dns:///host:port or ipv4:a:p,b:p\n"
                 "                    (default $A0IPC_TARGET, else " A0IPC_CLI_DEFAULT_TARGET ")\n"
                 "  --ca FILE         TLS: trust the CAs in FILE (default $A0IPC_CA)\n"
                 "  --cert FILE       TLS: client certificate, for servers that ask for one\n"
                 "  --key FILE        TLS: its private key\n"
                 "  --server-name N   TLS: the name expected in the server's certificate\n"
                 "                    (default: the target's host)\n"
                 "  --token-file FILE send the token in FILE (first line) as\n"
                 "                    \"authorization: Bearer\" (default $A0IPC_TOKEN_FILE)\n"
                 "  --timeout SECONDS the call's deadline (default: the method's own: health 5 s,\n"
                 "                    file and session calls 30 s, get/put/archive 1 h, watch,\n"
                 "                    run and shell none)\n"
                 "Migration (docs/migration.md):\n"
                 "  --backend B       grpc (default: a0ipcd), legacy (the old RFC + SSH, set up\n"
                 "                    by --legacy-config) or router (both, by the router's flags)\n"
                 "  --legacy-config F the legacy's settings, key = value lines (default\n"
                 "                    $A0IPC_LEGACY_CONFIG; keys in docs/cli.md)\n"
                 "  --router-flags F  the router's flags file (default $A0IPC_ROUTER_FLAGS;\n"
                 "                    A0IPC_ROUTER_* variables override it)\n"
                 "  --routing-key K   the agent or session id the canary hashes\n"
                 "                    (default $A0IPC_ROUTING_KEY)\n"
                 "  --router-metrics  after the command, print the router's metrics (Prometheus\n"
                 "                    text) to stderr\n");
}
