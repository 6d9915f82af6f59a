/* What protobuf-c does not check in a request: string fields.
 *
 * protobuf-c copies a string field and ends it with a NUL, so a string with a NUL byte inside
 * ("a.txt\0.bak") decodes to its prefix ("a.txt") and a handler would act on that. Nor does it
 * check that a string is UTF-8, which proto3 requires. a0ipc_rpc_wire_check walks the encoded
 * message, guided by its descriptor (nested and repeated messages and map entries included),
 * and checks the bytes of every string field as they were on the wire: no NUL, well-formed
 * UTF-8. The server runs it on every request message it decodes (server_call.c), so no handler
 * ever sees a string that differs from what the client sent. */
#ifndef A0IPC_RPC_WIRE_CHECK_H
#define A0IPC_RPC_WIRE_CHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when every string field of the message d encoded in data[0..len) is NUL-free, valid
 * UTF-8. Otherwise false with a sentence in why (NUL-terminated, cut to why_len) naming the
 * field, e.g. "field header.path of a0.runtime.v1.WriteRequest contains a NUL byte (at byte 5)".
 * A message that is not well-formed wire format is refused too. */
bool a0ipc_rpc_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                          char *why, size_t why_len);

/* The server's decode step: protobuf-c decodes data with alloc (NULL: the default allocator),
 * then a0ipc_rpc_wire_check runs over the same bytes. NULL when either refuses, with why filled
 * as above; the message otherwise (free it with protobuf_c_message_free_unpacked(m, alloc)). */
ProtobufCMessage *a0ipc_rpc_decode_request(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                           size_t len, ProtobufCAllocator *alloc, char *why,
                                           size_t why_len);

#endif
