/* The legacy RFC request envelope (docs/legacy-protocol.md, "RFC over HTTP"), byte for byte:
 *
 *   rfc_input = json.dumps({"module": M, "function_name": F, "args": [...], "kwargs": {...}})
 *   hash      = lowercase hex of HMAC-SHA256(key = password as UTF-8, message = rfc_input)
 *   body      = json.dumps({"rfc_input": rfc_input, "hash": hash})
 *
 * (aiohttp's `json=` argument is json.dumps with default settings, hence the body's format.)
 * The signed text carries no nonce or timestamp: a captured body can be replayed. That is the
 * legacy protocol's weakness, reproduced here only so the old server accepts us. */
#ifndef A0IPC_RFC_ENVELOPE_H
#define A0IPC_RFC_ENVELOPE_H

#include <stddef.h>

#include "a0ipc/status.h"
#include "transport/legacy/rfc_json.h"

#define A0IPC_RFC_HASH_HEX_LEN 64

/* HMAC-SHA256 of msg keyed with password (NULL: empty), as 64 lowercase hex digits and a NUL. */
a0ipc_code a0ipc_rfc_hash(const char *password, const char *msg, size_t msg_len,
                          char hex[A0IPC_RFC_HASH_HEX_LEN + 1], a0ipc_status *st);

/* The rfc_input text. args must be an array and kwargs an object (NULL: [] and {}). On success
 * *out (NUL-terminated, caller frees) and *out_len are set. */
a0ipc_code a0ipc_rfc_input(const char *module, const char *function_name, const a0ipc_json *args,
                           const a0ipc_json *kwargs, char **out, size_t *out_len, a0ipc_status *st);

/* The whole request body, as above. */
a0ipc_code a0ipc_rfc_envelope(const char *password, const char *module, const char *function_name,
                              const a0ipc_json *args, const a0ipc_json *kwargs, char **body,
                              size_t *body_len, a0ipc_status *st);

#endif
