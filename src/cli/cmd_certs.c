/* a0ipc certs init DIR: a development CA, server and client certificate (security/certgen.h). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "security/certgen.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: a0ipc certs init DIR [--server-cn CN] [--client-cn CN] [--dns NAME]...\n"
            "                            [--ip ADDRESS]... [--days N] [--force] [--json]\n\n"
            "Writes a development CA (ca.pem, ca.key), a server certificate (server.pem,\n"
            "server.key; SANs localhost, 127.0.0.1, ::1, the host name and any --dns/--ip) and\n"
            "a client certificate for mTLS (client.pem, client.key) into DIR. Keys are 0600.\n"
            "For production use certificates from your own CA; a0ipcd reloads replaced files.\n"
            "--json prints the files written as one JSON object: {\"dir\", \"caCert\", \"caKey\",\n"
            "\"serverCert\", \"serverKey\", \"clientCert\", \"clientKey\"}.\n");
}

/* --json: the files written, one object whose lowerCamel keys say what each file is (there is no
 * proto message for it; the same conventions as the messages --json prints). */
static void print_json(const char *dir)
{
    static const char *const files[][2] = {
        {"caCert", "ca.pem"},        {"caKey", "ca.key"},          {"serverCert", "server.pem"},
        {"serverKey", "server.key"}, {"clientCert", "client.pem"}, {"clientKey", "client.key"},
    };
    printf("{\"dir\":");
    a0ipc_cli_json_string(stdout, dir);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[PATH_MAX]; /* (the file was just written: its path fits) */
        snprintf(path, sizeof path, "%s/%s", dir, files[i][1]);
        printf(",\"%s\":", files[i][0]);
        a0ipc_cli_json_string(stdout, path);
    }
    printf("}\n");
}

const char *const a0ipc_certs_subcommands[] = {"init", NULL};
const struct option a0ipc_certs_options[] = {
    {"server-cn", required_argument, NULL, 's'},
    {"client-cn", required_argument, NULL, 'c'},
    {"dns", required_argument, NULL, 'd'},
    {"ip", required_argument, NULL, 'i'},
    {"days", required_argument, NULL, 'n'},
    {"force", no_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int a0ipc_cmd_certs(int argc, char **argv)
{
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    if (help) {
        usage(stdout);
        return A0IPC_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return argc < 2 ? a0ipc_cli_usage_error("certs", "a subcommand (init) is missing")
                        : a0ipc_cli_usage_error("certs", "unknown subcommand %s", argv[1]);
    a0ipc_certs_init_options o = {0};
    const char *dns[16], *ips[16];
    const struct option *options = a0ipc_certs_options;
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, ":h", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            o.server_cn = optarg;
            break;
        case 'c':
            o.client_cn = optarg;
            break;
        case 'd':
        case 'i':
            if ((opt == 'd' ? o.n_extra_dns : o.n_extra_ips) == 16) {
                fprintf(stderr, "a0ipc: at most 16 --dns and 16 --ip\n");
                return A0IPC_EXIT_USAGE;
            }
            if (opt == 'd')
                dns[o.n_extra_dns++] = optarg;
            else
                ips[o.n_extra_ips++] = optarg;
            break;
        case 'n':
            o.days = atoi(optarg);
            if (o.days <= 0 || o.days > 3650) {
                fprintf(stderr, "a0ipc: --days must be 1 to 3650\n");
                return A0IPC_EXIT_USAGE;
            }
            break;
        case 'f':
            o.force = true;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return a0ipc_cli_bad_option("certs", opt, argv + 1);
        }
    }
    if (argc - 1 - optind != 1)
        return a0ipc_cli_usage_error("certs", "init takes one DIR");
    const char *dir = argv[1 + optind];
    o.extra_dns = dns;
    o.extra_ips = ips;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_certs_init(dir, &o, &st) != 0) {
        fprintf(stderr, "a0ipc: %s\n", a0ipc_status_message(&st));
        a0ipc_status_clear(&st);
        return A0IPC_EXIT_ERROR;
    }
    if (json) {
        print_json(dir);
        return A0IPC_EXIT_OK;
    }
    printf("Wrote %s/{ca,server,client}.{pem,key}. For a0ipcd:\n"
           "  tls-cert = %s/server.pem\n"
           "  tls-key = %s/server.key\n"
           "  tls-ca = %s/ca.pem             # with tls-client-cert = optional|required\n"
           "Clients: --ca %s/ca.pem [--cert %s/client.pem --key %s/client.key]\n",
           dir, dir, dir, dir, dir, dir, dir);
    return A0IPC_EXIT_OK;
}
