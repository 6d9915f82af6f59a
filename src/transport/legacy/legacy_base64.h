/* Standard base64 (RFC 4648, with padding, no line breaks): what Python's base64.b64encode
 * writes, for file contents carried inside the legacy RFC's JSON. */
#ifndef A0IPC_LEGACY_BASE64_H
#define A0IPC_LEGACY_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* NUL-terminated text (caller frees); NULL when out of memory. */
char *a0ipc_base64_encode(const uint8_t *data, size_t len);

/* Decodes canonical base64 only (length a multiple of 4, padding only at the end, nothing
 * outside the alphabet): the server writes nothing else, so anything else is a broken answer.
 * On success *out (caller frees; never NULL, even for no bytes) and *out_len; -1 otherwise. */
int a0ipc_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len);

#endif
