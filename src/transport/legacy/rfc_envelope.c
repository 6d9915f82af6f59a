#include "transport/legacy/rfc_envelope.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

a0ipc_code a0ipc_rfc_hash(const char *password, const char *msg, size_t msg_len,
                          char hex[A0IPC_RFC_HASH_HEX_LEN + 1], a0ipc_status *st)
{
    static const char digits[] = "0123456789abcdef";
    /* HMAC() rather than EVP_MAC: it takes an empty key (the legacy signs with "" when no
     * password is set, and the server then refuses; we still send what the legacy sent). */
    static const unsigned char empty_key[1];
    const unsigned char *key = password && *password ? (const unsigned char *)password : empty_key;
    int key_len = password ? (int)strlen(password) : 0;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), key, key_len, (const unsigned char *)msg, msg_len, mac, &mac_len) ||
        mac_len != 32) {
        hex[0] = '\0';
        return a0ipc_status_set(st, A0IPC_INTERNAL, "HMAC-SHA256 failed");
    }
    for (unsigned int i = 0; i < mac_len; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 0xF];
    }
    hex[A0IPC_RFC_HASH_HEX_LEN] = '\0';
    return A0IPC_OK;
}

a0ipc_code a0ipc_rfc_input(const char *module, const char *function_name, const a0ipc_json *args,
                           const a0ipc_json *kwargs, char **out, size_t *out_len, a0ipc_status *st)
{
    *out = NULL;
    *out_len = 0;
    if (!module || !function_name || (args && args->type != A0IPC_JSON_ARRAY) ||
        (kwargs && kwargs->type != A0IPC_JSON_OBJECT))
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                "RFC call needs a module, a function name, an args list and a "
                                "kwargs dict");
    /* Written field by field in the legacy's key order rather than through a temporary object,
     * so the caller's args and kwargs are not copied. */
    a0ipc_jbuf b = {0};
    a0ipc_jbuf_add(&b, "{\"module\": ", 11);
    a0ipc_json_dump_string(&b, module, strlen(module));
    a0ipc_jbuf_add(&b, ", \"function_name\": ", 19);
    a0ipc_json_dump_string(&b, function_name, strlen(function_name));
    a0ipc_jbuf_add(&b, ", \"args\": ", 10);
    if (args)
        a0ipc_json_dump(&b, args);
    else
        a0ipc_jbuf_add(&b, "[]", 2);
    a0ipc_jbuf_add(&b, ", \"kwargs\": ", 12);
    if (kwargs)
        a0ipc_json_dump(&b, kwargs);
    else
        a0ipc_jbuf_add(&b, "{}", 2);
    a0ipc_jbuf_add(&b, "}", 1);
    if (b.oom) {
        a0ipc_jbuf_free(&b);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory building RFC input");
    }
    *out = b.p;
    *out_len = b.len;
    return A0IPC_OK;
}

a0ipc_code a0ipc_rfc_envelope(const char *password, const char *module, const char *function_name,
                              const a0ipc_json *args, const a0ipc_json *kwargs, char **body,
                              size_t *body_len, a0ipc_status *st)
{
    *body = NULL;
    *body_len = 0;
    char *input;
    size_t input_len;
    if (a0ipc_rfc_input(module, function_name, args, kwargs, &input, &input_len, st) != A0IPC_OK)
        return st->code;
    char hex[A0IPC_RFC_HASH_HEX_LEN + 1];
    if (a0ipc_rfc_hash(password, input, input_len, hex, st) != A0IPC_OK) {
        free(input);
        return st->code;
    }
    a0ipc_jbuf b = {0};
    a0ipc_jbuf_add(&b, "{\"rfc_input\": ", 14);
    a0ipc_json_dump_string(&b, input, input_len);
    a0ipc_jbuf_add(&b, ", \"hash\": \"", 11);
    a0ipc_jbuf_add(&b, hex, A0IPC_RFC_HASH_HEX_LEN);
    a0ipc_jbuf_add(&b, "\"}", 2);
    free(input);
    if (b.oom) {
        a0ipc_jbuf_free(&b);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory building RFC body");
    }
    *body = b.p;
    *body_len = b.len;
    return A0IPC_OK;
}
