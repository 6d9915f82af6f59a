#include "cli/options.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void a0ipc_cli_conn_init(a0ipc_cli_conn *c)
{
    memset(c, 0, sizeof *c);
    c->target = env("A0IPC_TARGET") ? env("A0IPC_TARGET") : A0IPC_CLI_DEFAULT_TARGET;
    c->sec.ca_file = env("A0IPC_CA");
    c->token_file = env("A0IPC_TOKEN_FILE");
    c->timeout_s = 5;
    a0ipc_rpc_channel_options_init(&c->channel);
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

a0ipc_rpc_channel *a0ipc_cli_conn_channel(a0ipc_cli_conn *c, a0ipc_status *st)
{
    c->sec.token = NULL;
    if (c->token_file) {
        if (a0ipc_read_token_file(c->token_file, c->token, sizeof c->token, st) != 0)
            return NULL;
        c->sec.token = c->token;
    }
    if (!!c->sec.cert_file != !!c->sec.key_file) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "--cert and --key go together");
        return NULL;
    }
    c->channel.credentials = a0ipc_client_credentials;
    c->channel.credentials_arg = &c->sec;
    c->channel.authority_override = c->server_name;
    return a0ipc_rpc_channel_new(c->target, &c->channel, st);
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
                 "  --timeout SECONDS deadline of the call (default 5)\n");
}
