/* Channel credentials of the gRPC transport. Plaintext (unix sockets, loopback) needs none. */
#include "transport/grpc_transport_internal.h"

int gt_credentials_setup(grpc_transport *g, a0ipc_status *st)
{
    if (g->opts.ca_file || g->opts.cert_file || g->opts.key_file) {
        a0ipc_status_set(st, A0IPC_UNIMPLEMENTED,
                         "TLS options are not supported by this build of the client yet");
        return -1;
    }
    return 0;
}
