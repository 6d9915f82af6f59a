#include "cli/runner.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/grpc_transport.h"
#include "cli/backend.h"
#include "cli/commands.h"
#include "rpc/core.h"

const char *a0ipc_cli_value(const a0ipc_cli *cli, const char *name)
{
    for (int i = 0; i < A0IPC_CLI_MAX_OPTS && cli->cmd->opts[i].name; i++)
        if (!strcmp(cli->cmd->opts[i].name, name))
            return cli->values[i];
    return NULL;
}

bool a0ipc_cli_flag(const a0ipc_cli *cli, const char *name)
{
    return a0ipc_cli_value(cli, name) != NULL;
}

long long a0ipc_cli_number(const a0ipc_cli *cli, const char *name, long long def)
{
    const char *v = a0ipc_cli_value(cli, name);
    if (!v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 0);
    if (*end || end == v || n < 0) {
        a0ipc_cli_usage_error(cli->cmd->name, "--%s takes a number >= 0, not \"%s\"", name, v);
        return -1;
    }
    return n;
}

int a0ipc_cli_fail(a0ipc_cli *cli)
{
    return a0ipc_cli_own(cli, a0ipc_cli_conn_report(&cli->conn, &cli->st));
}

int a0ipc_cli_own(const a0ipc_cli *cli, int code)
{
    return cli->cmd->relays_status && code != A0IPC_EXIT_OK ? A0IPC_EXIT_SELF : code;
}

void a0ipc_cli_usage(const a0ipc_cli_cmd *cmd, FILE *out)
{
    fprintf(out, "Usage: a0ipc [OPTION]... %s [OPTION]... %s\n%s\n\n", cmd->name, cmd->args,
            cmd->summary);
    for (int i = 0; i < A0IPC_CLI_MAX_OPTS && cmd->opts[i].name; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s", cmd->opts[i].name, cmd->opts[i].has_arg ? " V" : "");
        fprintf(out, "  %-20s %s\n", left, cmd->opts[i].help);
    }
    fprintf(out, "  %-20s %s\n", "--json", "the response messages as canonical proto JSON");
    fprintf(out, "  %-20s %s\n", "--quiet", "no progress output");
    fprintf(out, "  %-20s %s\n\n", "-h, --help", "this help");
    a0ipc_cli_conn_usage(out);
    if (cmd->relays_status)
        fprintf(out,
                "\nExit status: the remote command's (128 + N for death by signal N); 255 "
                "when a0ipc\nitself failed (usage, the call, a local error: stderr says "
                "which)%s.\n",
                !strcmp(cmd->name, "run") ? "; 124 when a timeout ended the wait" : "");
    else
        fprintf(out,
                "\nExit status: 0 done, %s2 usage error, 3 the call failed (stderr names the "
                "gRPC\nstatus and what to check), 4 a local error.\n",
                !strcmp(cmd->name, "health") ? "1 not serving, " : "");
}

/* The transport from the connection options: the same target, TLS files and token. */
static a0ipc_transport *open_transport(a0ipc_cli *cli)
{
    a0ipc_cli_conn *c = &cli->conn;
    if (c->token_file &&
        a0ipc_read_token_file(c->token_file, c->token, sizeof c->token, &cli->st) != 0)
        return NULL;
    a0ipc_grpc_options o;
    a0ipc_grpc_options_init(&o);
    o.target = c->target;
    o.ca_file = c->sec.ca_file;
    o.cert_file = c->sec.cert_file;
    o.key_file = c->sec.key_file;
    o.server_name = c->server_name;
    o.token = c->token_file ? c->token : NULL;
    /* A person waiting at a prompt wants "not running" at once, not after the deadline. */
    o.wait_for_ready = false;
    a0ipc_transport *grpc = a0ipc_grpc_transport_new(&o, &cli->st);
    return grpc ? a0ipc_cli_open_backend(c, grpc, &cli->st) : NULL;
}

int a0ipc_cli_run(const a0ipc_cli_cmd *cmd, int argc, char **argv)
{
    enum { OPT_JSON = 0x2000, OPT_QUIET, OPT_HELP = 'h', OPT_CMD = 0x2100 };
    struct option options[A0IPC_CLI_MAX_OPTS + 20] = {A0IPC_CLI_CONN_OPTIONS};
    int n = 0;
    while (options[n].name)
        n++;
    options[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    options[n++] = (struct option){"quiet", no_argument, NULL, OPT_QUIET};
    options[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    for (int i = 0; i < A0IPC_CLI_MAX_OPTS && cmd->opts[i].name; i++)
        options[n++] = (struct option){cmd->opts[i].name,
                                       cmd->opts[i].has_arg ? required_argument : no_argument, NULL,
                                       OPT_CMD + i};
    options[n] = (struct option){NULL, 0, NULL, 0};

    a0ipc_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.cmd = cmd;
    a0ipc_cli_conn_init(&cli.conn);
    bool timeout_given = false;
    int opt;
    optind = 1;
    opterr = 0;
    /* Options may follow the arguments, except for commands that take a command line (exec,
     * run): there the first argument ends the options, so `run ls -l` passes -l through. */
    const char *shortopts = cmd->max_args < 0 ? "+:h" : ":h";
    int rc = -1;
    while (rc < 0 && (opt = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
        int taken = a0ipc_cli_conn_option(&cli.conn, opt, optarg);
        if (taken < 0) {
            rc = a0ipc_cli_own(&cli, A0IPC_EXIT_USAGE);
        } else if (taken) {
            timeout_given |= opt == A0IPC_CLI_OPT_TIMEOUT;
        } else if (opt == OPT_JSON) {
            cli.json = true;
        } else if (opt == OPT_QUIET) {
            cli.quiet = true;
        } else if (opt == OPT_HELP) {
            a0ipc_cli_usage(cmd, stdout);
            rc = A0IPC_EXIT_OK;
        } else if (opt >= OPT_CMD && opt < OPT_CMD + A0IPC_CLI_MAX_OPTS) {
            cli.values[opt - OPT_CMD] = optarg ? optarg : "1";
        } else {
            rc = a0ipc_cli_own(&cli, a0ipc_cli_bad_option(cmd->name, opt, argv));
        }
    }
    int n_args = argc - optind;
    if (rc < 0 && n_args < cmd->min_args)
        rc = a0ipc_cli_own(&cli, a0ipc_cli_usage_error(cmd->name, "missing %s", cmd->args));
    else if (rc < 0 && cmd->max_args >= 0 && n_args > cmd->max_args)
        rc = a0ipc_cli_own(&cli, a0ipc_cli_usage_error(cmd->name, "unexpected argument %s",
                                                       argv[optind + cmd->max_args]));
    if (rc >= 0) {
        a0ipc_cli_conn_free(&cli.conn);
        return rc;
    }
    /* Without --timeout each method keeps its own default deadline (transport.h). */
    cli.call.timeout_ms = timeout_given ? (int64_t)(cli.conn.timeout_s * 1000) : 0;
    cli.call.routing_key = cli.conn.routing_key;

    a0ipc_rpc_init();
    cli.t = open_transport(&cli);
    if (!cli.t)
        rc = a0ipc_cli_fail(&cli);
    else
        rc = cmd->run(&cli, n_args, argv + optind);
    a0ipc_cli_backend_report(&cli.conn, cli.t);
    a0ipc_transport_free(cli.t);
    a0ipc_status_clear(&cli.st);
    a0ipc_cli_conn_free(&cli.conn);
    a0ipc_rpc_shutdown();
    return rc;
}
