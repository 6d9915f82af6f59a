/* a0ipc: the command-line client. This build has `health`; the other commands come with the
 * client library (docs/cli.md). */
#include <getopt.h>
#include <grpc/grpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.a0ipc.h"

#define DEFAULT_TARGET "unix:/run/a0ipcd/a0ipcd.sock"

enum { EXIT_SERVING = 0, EXIT_NOT_SERVING = 1, EXIT_USAGE = 2, EXIT_RPC = 3 };

static void usage(FILE *out)
{
    fprintf(out, "Usage: a0ipc health [--target T] [--service NAME] [--timeout SECONDS] [--watch]\n"
                 "Ask a0ipcd whether it (or one service) is serving.\n\n"
                 "  --target T        unix:/path, host:port, dns:///host:port or ipv4:a:p,b:p\n"
                 "                    (default $A0IPC_TARGET, else " DEFAULT_TARGET ")\n"
                 "  --service NAME    a fully qualified service, e.g. a0.runtime.v1.Files\n"
                 "  --timeout SECONDS deadline of the call (default 5; with --watch: none)\n"
                 "  --watch           print every change until interrupted\n\n"
                 "Exit status: 0 SERVING, 1 not serving, 2 usage error, 3 the call failed.\n");
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

static int fail(const char *target, a0ipc_status *st)
{
    fprintf(stderr, "a0ipc: %s: %s\n", a0ipc_code_name(st->code), a0ipc_status_message(st));
    if (st->code == A0IPC_UNAVAILABLE || st->code == A0IPC_DEADLINE_EXCEEDED)
        fprintf(stderr, "a0ipc: is a0ipcd running and listening on %s?\n", target);
    a0ipc_status_clear(st);
    return EXIT_RPC;
}

static int health(int argc, char **argv)
{
    const char *target = getenv("A0IPC_TARGET");
    const char *service = "";
    double timeout = 5;
    int watch = 0;
    static const struct option options[] = {
        {"target", required_argument, NULL, 't'},  {"service", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 'T'}, {"watch", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 't':
            target = optarg;
            break;
        case 's':
            service = optarg;
            break;
        case 'T': {
            char *end;
            timeout = strtod(optarg, &end);
            if (*end || timeout <= 0) {
                fprintf(stderr, "a0ipc: --timeout takes seconds > 0, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'w':
            watch = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!target || !*target)
        target = DEFAULT_TARGET;

    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, NULL, &st);
    if (!ch)
        return fail(target, &st);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    a0ipc_rpc_call_options o = {.timeout_ms = (int64_t)(timeout * 1000)};
    int rc;
    if (!watch) {
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        if (grpc_health_v1_health_check_call(ch, &o, &req, &resp, &st) != A0IPC_OK) {
            rc = fail(target, &st);
        } else {
            printf("%s\n", status_name(resp->status));
            rc = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                     ? EXIT_SERVING
                     : EXIT_NOT_SERVING;
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
    } else {
        o.timeout_ms = 0;
        a0ipc_rpc_stream *s = grpc_health_v1_health_watch_open(ch, &o, &req, &st);
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        rc = EXIT_NOT_SERVING;
        while (s && grpc_health_v1_health_watch_read(s, &resp) == 1) {
            printf("%s\n", status_name(resp->status));
            fflush(stdout);
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        if (!s || a0ipc_rpc_stream_finish(s, &st) != A0IPC_OK)
            rc = fail(target, &st);
        a0ipc_rpc_stream_free(s);
    }
    a0ipc_rpc_channel_free(ch);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("a0ipc %s\n", A0IPC_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "health") != 0) {
        fprintf(stderr, "a0ipc: unknown command \"%s\"; this build has: health\n", argv[1]);
        return EXIT_USAGE;
    }
    grpc_init();
    int rc = health(argc - 1, argv + 1);
    grpc_shutdown_blocking();
    return rc;
}
