/* a0ipc health: is a0ipcd (or one service) serving? grpc.health.v1 straight over the channel
 * (not the transport: the legacy has no health service). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/runner.h"
#include "grpc/health/v1/health.a0ipc.h"

static const char *status_name(Grpc__Health__V1__HealthCheckResponse__ServingStatus s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &grpc__health__v1__health_check_response__serving_status__descriptor, (int)s);
    return v ? v->name : "UNKNOWN";
}

static void print_status(const a0ipc_cli *cli, const Grpc__Health__V1__HealthCheckResponse *r)
{
    if (cli->json)
        a0ipc_cli_json_message(stdout, &r->base);
    else
        printf("%s\n", status_name(r->status));
    fflush(stdout);
}

static int run_health(a0ipc_cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    a0ipc_rpc_channel *ch = a0ipc_cli_conn_channel(&cli->conn, &cli->st);
    if (!ch)
        return a0ipc_cli_fail(cli);
    const char *service = a0ipc_cli_value(cli, "service");
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)(service ? service : "");
    a0ipc_rpc_metadata md;
    a0ipc_rpc_call_options o;
    a0ipc_cli_conn_call_options(&cli->conn, (int64_t)(cli->conn.timeout_s * 1000), NULL, &md, &o);
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    int rc;
    if (!a0ipc_cli_flag(cli, "watch")) {
        if (grpc_health_v1_health_check_call(ch, &o, &req, &resp, &cli->st) != A0IPC_OK) {
            rc = a0ipc_cli_fail(cli);
        } else {
            print_status(cli, resp);
            rc = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                     ? A0IPC_EXIT_OK
                     : A0IPC_EXIT_NOT_SERVING;
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
    } else {
        o.timeout_ms = 0;
        a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(ch, &o, &req, &cli->st);
        rc = A0IPC_EXIT_NOT_SERVING;
        while (s && grpc_health_v1_health_watch_read(s, &resp) == 1) {
            print_status(cli, resp);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        if (!s || a0ipc_rpc_stream_finish(s, &cli->st) != A0IPC_OK)
            rc = a0ipc_cli_fail(cli);
        a0ipc_rpc_stream_free(s);
    }
    a0ipc_rpc_channel_free(ch);
    return rc;
}

static const a0ipc_cli_cmd health = {
    "health",
    "",
    "Ask a0ipcd whether it (or one service) is serving: SERVING exits 0, else 1.",
    0,
    0,
    {{"service", true, "a fully qualified service, e.g. a0.runtime.v1.Files"},
     {"watch", false, "print every change until interrupted (no deadline)"}},
    run_health,
    false,
};

const a0ipc_cli_cmd *a0ipc_cli_health_command(void)
{
    return &health;
}
