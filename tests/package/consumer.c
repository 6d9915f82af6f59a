/* A program of someone else's that uses liba0ipc only through its installed headers, pkg-config
 * file or CMake package: asks the daemon at argv[1] whether it serves, runs `id -un` with Exec
 * (Terminal service) and stats "." (the Files root), printing who ran it and what the root is.
 * Exit 0 only when all three worked. Built by the install and package tests against what was
 * installed, never the source tree. */
#include <a0ipc/grpc_transport.h>
#include <a0ipc/status.h>
#include <a0ipc/transport.h>
#include <a0ipc/version.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TARGET\n", argv[0]);
        return 2;
    }
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_grpc_options o;
    a0ipc_grpc_options_init(&o);
    o.target = argv[1];
    a0ipc_transport *t = a0ipc_grpc_transport_new(&o, &st);
    if (!t) {
        fprintf(stderr, "consumer: %s\n", a0ipc_status_message(&st));
        a0ipc_status_clear(&st);
        return 1;
    }
    a0ipc_call_options co = {.timeout_ms = 5000};
    a0ipc_serving serving = A0IPC_SERVING_UNKNOWN;
    a0ipc_code code = a0ipc_health(t, &co, "", &serving, &st);
    printf("liba0ipc %s: %s %s\n", a0ipc_version(), a0ipc_code_name(code),
           serving == A0IPC_SERVING ? "SERVING" : "not serving");
    int rc = code == A0IPC_OK && serving == A0IPC_SERVING ? 0 : 1;

    const char *const argv_id[] = {"id", "-un"};
    a0ipc_exec_options eo = {.argv = argv_id, .argc = 2};
    a0ipc_exec_result r = {0};
    a0ipc_status_clear(&st);
    code = a0ipc_exec(t, &co, &eo, &r, &st);
    if (code == A0IPC_OK && r.exit_code == 0)
        printf("exec: %.*s", (int)r.stdout_len, (const char *)r.stdout_data);
    else
        printf("exec failed: %s (exit %d) %s\n", a0ipc_code_name(code), r.exit_code,
               a0ipc_status_message(&st));
    rc |= code != A0IPC_OK || r.exit_code != 0;
    a0ipc_exec_result_clear(&r);

    a0ipc_file_info fi = {0};
    a0ipc_status_clear(&st);
    code = a0ipc_stat(t, &co, ".", true, &fi, &st);
    printf("stat root: %s%s\n", a0ipc_code_name(code),
           code == A0IPC_OK && fi.type == A0IPC_FILE_DIR ? " directory" : "");
    rc |= code != A0IPC_OK || fi.type != A0IPC_FILE_DIR;
    a0ipc_file_info_clear(&fi);

    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);
    return rc;
}
