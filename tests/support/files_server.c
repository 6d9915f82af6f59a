/* A server with only the Files service, for tests in other languages until a0ipcd serves Files:
 *   files_server <listen-address> <root> <ready-file>
 * writes <ready-file> once serving and stops on SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "services/files.h"
#include "rpc/core.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s <listen-address> <root> <ready-file>\n", argv[0]);
        return 2;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts: they inherit it */
    a0ipc_log_set_level(A0IPC_LOG_WARN);
    a0ipc_rpc_init();
    a0ipc_status st = A0IPC_STATUS_INIT;
    int rc = 1;
    a0ipc_rpc_server_options o;
    a0ipc_rpc_server_options_init(&o);
    a0ipc_rpc_server *srv = a0ipc_rpc_server_new(&o, &st);
    a0ipc_files_service *svc = srv ? a0ipc_files_service_new(argv[2], &st) : NULL;
    if (!svc || a0ipc_files_service_add(srv, svc, &st) != 0 ||
        a0ipc_rpc_server_listen(srv, argv[1], NULL, &st) == 0 ||
        a0ipc_rpc_server_start(srv, &st) != 0) {
        fprintf(stderr, "files_server: %s\n", a0ipc_status_message(&st));
        goto out;
    }
    FILE *f = fopen(argv[3], "w");
    if (!f || fprintf(f, "%s\n", argv[1]) < 0 || fclose(f) != 0) {
        perror("files_server: ready file");
        goto out;
    }
    int sig;
    sigwait(&sigs, &sig);
    a0ipc_rpc_server_shutdown(srv, 1000);
    rc = 0;
out:
    a0ipc_rpc_server_free(srv);
    a0ipc_files_service_free(svc);
    a0ipc_status_clear(&st);
    a0ipc_rpc_shutdown();
    return rc;
}
