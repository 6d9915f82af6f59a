/* The Terminal part of the gRPC transport. */
#include <stdlib.h>

#include "a0/runtime/v1/terminal.a0ipc.h"
#include "transport/grpc_transport_internal.h"

int gt_terminal_init(grpc_transport *g, a0ipc_status *st)
{
    (void)st;
    pthread_mutex_init(&g->pins_mu, NULL);
    g->pins_ready = true;
    return 0;
}

void gt_terminal_bind(a0ipc_transport *t)
{
    (void)t;
}

void gt_terminal_free(grpc_transport *g)
{
    if (g->pins_ready)
        pthread_mutex_destroy(&g->pins_mu);
}
