/* The C library's answers that the Python package must reproduce exactly, for
 * tests/python/test_py_policy.py:
 *   c_reference bucket KEY...       a0ipc_router_bucket of each key, one per line
 *   c_reference service-config      a0ipc_grpc_service_config with the default options */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/grpc_transport.h"
#include "a0ipc/router.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "bucket") == 0) {
        for (int i = 2; i < argc; i++)
            printf("%d\n", a0ipc_router_bucket(argv[i]));
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "service-config") == 0) {
        a0ipc_grpc_options o;
        a0ipc_grpc_options_init(&o);
        char *json = a0ipc_grpc_service_config(&o);
        if (!json)
            return 1;
        puts(json);
        free(json);
        return 0;
    }
    fprintf(stderr, "usage: c_reference bucket KEY... | service-config\n");
    return 2;
}
