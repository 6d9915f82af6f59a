#include "rpc/core.h"

#include <grpc/grpc.h>

void a0ipc_rpc_init(void)
{
    grpc_init();
}

void a0ipc_rpc_shutdown(void)
{
    /* Blocking: a program that exits right after must not leave core threads running into
     * freed memory. */
    grpc_shutdown_blocking();
}
