/* Every request message of every service through the server's decode-and-validate step
 * (rpc/wire_check.h), and the same bytes as a response through the UTF-8 fix-up before it is
 * encoded (rpc/utf8_fix.h). The first byte picks the method.
 *
 * Invariants: an accepted request has only NUL-free, valid UTF-8 strings (the fix-up finds
 * nothing to change); a response, fixed up and encoded, passes the request check (every string
 * valid UTF-8), and undoing the fix-up gives back exactly the message as it was. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "a0/runtime/v1/terminal.a0ipc.h"
#include "grpc/health/v1/health.a0ipc.h"
#include "grpc/reflection/v1/reflection.a0ipc.h"
#include "grpc/reflection/v1alpha/reflection.a0ipc.h"
#include "rpc/utf8_fix.h"
#include "rpc/wire_check.h"

static const a0ipc_rpc_service *const services[] = {
    &a0_runtime_v1_files_service,
    &a0_runtime_v1_terminal_service,
    &grpc_health_v1_health_service,
    &grpc_reflection_v1_server_reflection_service,
    &grpc_reflection_v1alpha_server_reflection_service,
};

static const a0ipc_rpc_method *method_at(unsigned k)
{
    size_t total = 0;
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        total += services[i]->n_methods;
    k %= total;
    for (size_t i = 0;; i++) {
        if (k < services[i]->n_methods)
            return &services[i]->methods[k];
        k -= services[i]->n_methods;
    }
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *out = malloc(*len ? *len : 1);
    assert(out);
    assert(protobuf_c_message_pack(m, out) == *len);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const a0ipc_rpc_method *m = method_at(data[0]);
    data++;
    size--;
    char why[192];

    ProtobufCMessage *req = a0ipc_rpc_decode_request(m->request, data, size, NULL, why, sizeof why);
    if (req) {
        assert(a0ipc_rpc_utf8_fix(req) == NULL); /* nothing to fix: all strings were valid */
        protobuf_c_message_free_unpacked(req, NULL);
    } else {
        assert(why[0]); /* a refusal always says why */
    }

    ProtobufCMessage *resp = protobuf_c_message_unpack(m->response, NULL, size, data);
    if (resp) {
        size_t before_len, fixed_len;
        uint8_t *before = pack(resp, &before_len);
        a0ipc_rpc_utf8_fixes *fx = a0ipc_rpc_utf8_fix(resp);
        uint8_t *fixed = pack(resp, &fixed_len);
        assert(a0ipc_rpc_wire_check(m->response, fixed, fixed_len, why, sizeof why));
        a0ipc_rpc_utf8_undo(fx);
        size_t after_len;
        uint8_t *after = pack(resp, &after_len);
        assert(after_len == before_len && !memcmp(after, before, before_len));
        free(before);
        free(fixed);
        free(after);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return 0;
}
