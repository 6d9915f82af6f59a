/* The legacy implementation of the adapter interface (transport.h): Agent Zero's old IPC,
 * spoken byte for byte (docs/legacy-protocol.md), so that the router can move traffic between it
 * and a0ipcd call by call. Files go over the HMAC-signed RFC (one `helpers.rfc_files` call or a few
 * per operation), terminal sessions over SSH with the legacy set-up, timeouts and output
 * cleaning. docs/migration.md lists how each operation maps and what the legacy cannot do.
 *
 * Paths: absolute paths are passed to the runtime unchanged (the legacy's own form, which
 * a0ipcd also accepts beneath its root); relative ones are joined to `root`, as a0ipcd reads
 * them relative to its --root. Paths in answers come back in the form of the request.
 *
 * What the legacy cannot do is answered UNIMPLEMENTED with a message that says so (Watch, Exec,
 * Attach, archives other than zip, signals other than those a terminal can type); checks the
 * legacy lacks (overwrite-fail, create_parents = false, expected size and SHA-256) are made
 * by the adapter before it calls, and are not atomic.
 *
 * Built with -DA0IPC_LEGACY=OFF the function exists and answers UNIMPLEMENTED, so programs
 * link against either build of liba0ipc. */
#ifndef A0IPC_LEGACY_TRANSPORT_H
#define A0IPC_LEGACY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "a0ipc/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct a0ipc_legacy_options {
    /* The RFC: rfc_url (NULL: "localhost"), rfc_port_http (0: 55080), RFC_PASSWORD, and the
     * per-call time limit (0: the legacy's 30 s; file transfers get the call's own deadline). */
    const char *rfc_url;
    int rfc_port;
    const char *rfc_password;
    int64_t rfc_timeout_ms;
    /* The runtime directory relative paths are joined to (NULL: "/"). */
    const char *root;
    /* Largest file read or written (the legacy carries whole files as base64 in memory);
     * larger ones are RESOURCE_EXHAUSTED. 0: 256 MiB. */
    size_t max_file_bytes;

    /* SSH for terminal sessions (NULL host: "localhost"; 0 port: 55022; NULL user: "root").
     * A password (the legacy's ROOT_PASSWORD) and/or a private key file; host_key_sha256
     * ("SHA256:..." as ssh-keygen -l prints) pins the server's key, NULL takes any (the
     * legacy's way; a warning is logged). */
    const char *ssh_host;
    int ssh_port;
    const char *ssh_user;
    const char *ssh_password;
    const char *ssh_private_key_file;
    const char *ssh_host_key_sha256;
    int64_t ssh_connect_timeout_ms; /* connection, login and settling; 0: 30 s */
    uint32_t max_sessions;          /* 0: 64 */
} a0ipc_legacy_options;

/* A new legacy transport, or NULL with st saying why (INVALID_ARGUMENT for bad options,
 * UNIMPLEMENTED when liba0ipc was built without the legacy). Nothing connects yet: the RFC
 * opens a connection per call, SSH one per terminal session. The strings are copied. */
a0ipc_transport *a0ipc_legacy_transport_new(const a0ipc_legacy_options *o, a0ipc_status *st);

#ifdef __cplusplus
}
#endif
#endif
