/* a0ipc health: is a0ipcd (or one service) serving? Through the adapter interface like every
 * other command, so --backend applies too (the legacy's answer is its probe, transport.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/runner.h"
#include "grpc/health/v1/health.pb-c.h"
#include "transport/proto_mirrors.h"

/* --watch over a backend with no stream of health changes (the legacy) asks again this often. */
#define POLL_INTERVAL_S 1

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_SERVING_MIRRORS_PROTO;

/* One line: the status's name, or with --json the HealthCheckResponse it stands for. */
static void print_status(const a0ipc_cli *cli, a0ipc_serving s)
{
    Grpc__Health__V1__HealthCheckResponse r = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    r.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)s;
    if (cli->json) {
        a0ipc_cli_json_message(stdout, &r.base);
    } else {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &grpc__health__v1__health_check_response__serving_status__descriptor, (int)r.status);
        printf("%s\n", v ? v->name : "UNKNOWN");
    }
    fflush(stdout);
}

static int print_change(void *arg, a0ipc_serving s)
{
    print_status(arg, s);
    return 0; /* until interrupted or the stream ends */
}

/* Every change until interrupted, or until a call fails (a0ipcd went away). */
static int watch(a0ipc_cli *cli, const char *service)
{
    if (a0ipc_health_watch(cli->t, &cli->call, service, print_change, cli, &cli->st) == A0IPC_OK)
        return A0IPC_EXIT_NOT_SERVING; /* the server ended the stream */
    if (cli->st.code != A0IPC_UNIMPLEMENTED)
        return a0ipc_cli_fail(cli);
    a0ipc_status_clear(&cli->st);
    a0ipc_serving s;
    for (int last = -1;; sleep(POLL_INTERVAL_S)) {
        if (a0ipc_health(cli->t, &cli->call, service, &s, &cli->st) != A0IPC_OK)
            return a0ipc_cli_fail(cli);
        if ((int)s != last)
            print_status(cli, s);
        last = (int)s;
    }
}

static int run_health(a0ipc_cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *service = a0ipc_cli_value(cli, "service");
    a0ipc_serving s;
    if (!a0ipc_cli_flag(cli, "watch")) {
        if (a0ipc_health(cli->t, &cli->call, service, &s, &cli->st) != A0IPC_OK)
            return a0ipc_cli_fail(cli);
        print_status(cli, s);
        return s == A0IPC_SERVING ? A0IPC_EXIT_OK : A0IPC_EXIT_NOT_SERVING;
    }
    return watch(cli, service);
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
