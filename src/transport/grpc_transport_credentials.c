/* Channel security of the gRPC transport: TLS (the CA to trust, and a client certificate for
 * mTLS), which the rpc layer makes credentials of. Plaintext (unix sockets, loopback) needs
 * none. The token is not part of this: the transport sends it as call metadata itself. */
#include "transport/grpc_transport_internal.h"

int gt_credentials_setup(grpc_transport *g, a0ipc_status *st)
{
    const a0ipc_grpc_options *o = &g->opts;
    if (!o->ca_file && !o->cert_file && !o->key_file)
        return 0;
    if (!!o->cert_file != !!o->key_file) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "a client certificate needs its key (cert_file and key_file)");
        return -1;
    }
    /* Read for every channel (the balanced one, and one per pinned daemon); the paths are the
     * transport's own copies, so they outlive the caller's. */
    g->security = (a0ipc_rpc_channel_security){o->ca_file, o->cert_file, o->key_file, NULL};
    g->channel_opts.security = &g->security;
    return 0;
}
