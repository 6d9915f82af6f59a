/* a0ipc health: is a0ipcd (or one service) serving? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "grpc/health/v1/health.a0ipc.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: a0ipc health [--service NAME] [--watch] [CONNECTION OPTIONS]\n"
                 "Ask a0ipcd whether it (or one service) is serving.\n\n"
                 "  --service NAME    a fully qualified service, e.g. a0.runtime.v1.Files\n"
                 "  --watch           print every change until interrupted (no deadline)\n\n");
    a0ipc_cli_conn_usage(out);
    fprintf(out, "\nExit status: 0 SERVING, 1 not serving, 2 usage error, 3 the call failed.\n");
}

static const char *status_name(int s)
{
    switch (s) {
    case GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING:
        return "SERVING";
    case GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING:
        return "NOT_SERVING";
    case GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN:
        return "SERVICE_UNKNOWN";
    default:
        return "UNKNOWN";
    }
}

int a0ipc_cmd_health(int argc, char **argv)
{
    a0ipc_cli_conn conn;
    a0ipc_cli_conn_init(&conn);
    const char *service = "";
    int watch = 0;
    static const struct option options[] = {
        A0IPC_CLI_CONN_OPTIONS,
        {"service", required_argument, NULL, 's'},
        {"watch", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        int taken = a0ipc_cli_conn_option(&conn, opt, optarg);
        if (taken < 0)
            return A0IPC_EXIT_USAGE;
        if (taken)
            continue;
        switch (opt) {
        case 's':
            service = optarg;
            break;
        case 'w':
            watch = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return A0IPC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "a0ipc: unexpected argument \"%s\" (see a0ipc health --help)\n",
                argv[optind]);
        return A0IPC_EXIT_USAGE;
    }

    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_cli_conn_channel(&conn, &st);
    if (!ch) {
        int rc = a0ipc_cli_conn_report(&conn, &st);
        a0ipc_cli_conn_free(&conn);
        return rc;
    }
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    a0ipc_rpc_call_options o = {.timeout_ms = (int64_t)(conn.timeout_s * 1000)};
    int rc;
    if (!watch) {
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        if (grpc_health_v1_health_check_call(ch, &o, &req, &resp, &st) != A0IPC_OK) {
            rc = a0ipc_cli_conn_report(&conn, &st);
        } else {
            printf("%s\n", status_name(resp->status));
            rc = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                     ? A0IPC_EXIT_OK
                     : A0IPC_EXIT_NOT_SERVING;
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
    } else {
        o.timeout_ms = 0;
        a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(ch, &o, &req, &st);
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        rc = A0IPC_EXIT_NOT_SERVING;
        while (s && grpc_health_v1_health_watch_read(s, &resp) == 1) {
            printf("%s\n", status_name(resp->status));
            fflush(stdout);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        if (!s || a0ipc_rpc_stream_finish(s, &st) != A0IPC_OK)
            rc = a0ipc_cli_conn_report(&conn, &st);
        a0ipc_rpc_stream_free(s);
    }
    a0ipc_rpc_channel_free(ch);
    a0ipc_cli_conn_free(&conn);
    return rc;
}
