/* Bearer tokens: the tokens file, checking a presented token, making new ones.
 *
 * The tokens file holds one token per line, never the token itself:
 *
 *     # NAME   SHA-256 OF THE TOKEN (64 hex digits)                       PERMISSIONS...
 *     ci       9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 *
 *     viewer   60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 files:read-only
 *
 * Fields are separated by spaces or tabs; `#` starts a comment line; blank lines are ignored.
 * NAME is 1-64 of [A-Za-z0-9._-] and unique; permissions are the words of permissions.h. Several
 * lines make rotation possible: add the new token, move clients over, remove the old line,
 * reload (SIGHUP). The file must not be writable by group or others (whoever can write it can
 * grant themselves anything); it may be readable, since hashes of 256-bit random tokens give
 * nothing away. */
#ifndef A0IPC_SECURITY_TOKENS_H
#define A0IPC_SECURITY_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "security/permissions.h"

#define A0IPC_TOKEN_PREFIX "a0ipc_"
/* A generated token: the prefix and 32 random bytes in unpadded base64url (43 characters). */
#define A0IPC_TOKEN_LEN (sizeof A0IPC_TOKEN_PREFIX - 1 + 43)
/* Presented tokens longer than this are refused without being hashed. */
#define A0IPC_TOKEN_MAX      512
#define A0IPC_TOKEN_NAME_MAX 64

typedef struct a0ipc_token_entry {
    char name[A0IPC_TOKEN_NAME_MAX + 1];
    unsigned char hash[32]; /* SHA-256 of the token */
    a0ipc_perms perms;
} a0ipc_token_entry;

typedef struct a0ipc_token_table {
    a0ipc_token_entry *entries;
    size_t n;
} a0ipc_token_table;

/* Reads and checks a tokens file. Errors name the file and line and say how to fix it. */
a0ipc_token_table *a0ipc_token_table_load(const char *path, a0ipc_status *st);
void a0ipc_token_table_free(a0ipc_token_table *t);

/* The entry whose hash is SHA-256(token), or NULL. Every entry is compared, each in constant
 * time (CRYPTO_memcmp), so the time taken says nothing about which entry, if any, matched. */
const a0ipc_token_entry *a0ipc_token_table_find(const a0ipc_token_table *t, const char *token,
                                                size_t len);

bool a0ipc_token_name_valid(const char *name);

/* A new random token (A0IPC_TOKEN_LEN characters and a NUL into out[cap]). */
int a0ipc_token_generate(char *out, size_t cap, a0ipc_status *st);

/* Lowercase hex SHA-256 of token, into hex[65]. */
void a0ipc_token_hash_hex(const char *token, size_t len, char hex[65]);

/* Appends a line to the tokens file (created 0600 when missing), refusing a name that is
 * already there. The file is locked (flock) while it is read and written. */
int a0ipc_tokens_file_add(const char *path, const char *name, const char *hash_hex,
                          const char *const *perms, size_t n_perms, a0ipc_status *st);

/* Removes NAME's line, keeping every other line as it was. NOT_FOUND when there is none. */
int a0ipc_tokens_file_remove(const char *path, const char *name, a0ipc_status *st);

#endif
