/* The legacy RFC client (docs/legacy-protocol.md, "RFC over HTTP"): POST the signed envelope to
 * http://<rfc_url>:<port>/api/rfc with libcurl and return the JSON value the server answered,
 * or a status (legacy_errors.h maps the failures).
 *
 * Like the legacy aiohttp client it opens one connection per call, uses no proxy (aiohttp does
 * not read http_proxy by default; libcurl would) and gives up after 30 s by default.
 * A client is immutable after a0ipc_rfc_client_new and may be used from any number of threads. */
#ifndef A0IPC_RFC_CLIENT_H
#define A0IPC_RFC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"
#include "transport/legacy/rfc_json.h"

#define A0IPC_RFC_DEFAULT_URL        "localhost"
#define A0IPC_RFC_DEFAULT_PORT       55080
#define A0IPC_RFC_DEFAULT_TIMEOUT_MS 30000
#define A0IPC_RFC_DEFAULT_MAX_ANSWER ((size_t)1 << 30)

typedef struct a0ipc_rfc_config {
    const char *url;      /* rfc_url; NULL or "": "localhost" */
    int port;             /* rfc_port_http; 0: 55080 */
    const char *password; /* RFC_PASSWORD; NULL: "" (the server will refuse) */
    int64_t timeout_ms;   /* per call; 0: 30000, the legacy's; < 0: none */
    size_t max_answer;    /* bytes of answer body accepted; 0: 1 GiB */
} a0ipc_rfc_config;

/* Per call; every field is optional (zero it). */
typedef struct a0ipc_rfc_opts {
    int64_t timeout_ms; /* 0: the client's */
    /* Polled while the call waits (about once a second, more often while data moves); nonzero
     * abandons the call with CANCELLED. The server may still run the function. */
    int (*stop)(void *arg);
    void *stop_arg;
    /* Out: when the server raised, the Python exception type ("FileNotFoundError",
     * "Exception"), else "". The status message is the exception's message. */
    char error_type[64];
} a0ipc_rfc_opts;

typedef struct a0ipc_rfc_client a0ipc_rfc_client;

/* The endpoint by the legacy rules: rfc_url without "://" gets "http://" in front, one
 * trailing "/" is cut, then ":<port>/api/rfc". Caller frees; NULL when out of memory. */
char *a0ipc_rfc_endpoint(const char *rfc_url, int port);

/* NULL on failure (st says why). The password is copied. */
a0ipc_rfc_client *a0ipc_rfc_client_new(const a0ipc_rfc_config *cfg, a0ipc_status *st);
void a0ipc_rfc_client_free(a0ipc_rfc_client *c);
const char *a0ipc_rfc_client_endpoint(const a0ipc_rfc_client *c);

/* Calls module.function_name(*args, **kwargs) on the server. args: an array or NULL ([]);
 * kwargs: an object or NULL ({}). On OK *result is the answer (caller frees with
 * a0ipc_json_free); otherwise *result is NULL and st holds:
 *   the legacy_errors.h code and the exception's message, for a server-side failure;
 *   UNAVAILABLE when the server could not be reached or the connection broke;
 *   DEADLINE_EXCEEDED at the timeout; CANCELLED when o->stop said so;
 *   RESOURCE_EXHAUSTED for an answer above max_answer;
 *   INTERNAL for a 200 answer that is not JSON. */
a0ipc_code a0ipc_rfc_call(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *module,
                          const char *function_name, const a0ipc_json *args,
                          const a0ipc_json *kwargs, a0ipc_json **result, a0ipc_status *st);

#endif
