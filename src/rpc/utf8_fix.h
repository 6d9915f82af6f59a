/* What the server does to response strings that are not UTF-8.
 *
 * proto3 requires UTF-8 in string fields, and strict clients (Python protobuf, Go) refuse a
 * whole message when one string is not: a file named "caf\xe9.txt" made ListDir unreadable to
 * them. Names from the file system and text from a terminal need not be UTF-8, so before a
 * response is encoded (server_call.c's pack, the one place every response goes through),
 * a0ipc_rpc_utf8_fix walks it, guided by its descriptor (nested and repeated messages, oneofs),
 * and gives every string field that is not well-formed UTF-8 its display form: each maximal
 * ill-formed subsequence replaced by U+FFFD, as Unicode (ch. 3, "U+FFFD Substitution of Maximal
 * Subparts") and Python's decode(errors="replace") do. When the message has a bytes field named
 * raw_<field> beside it, that field gets the exact bytes. a0ipc_rpc_utf8_undo puts the message
 * back as the handler made it once it is encoded. */
#ifndef A0IPC_RPC_UTF8_FIX_H
#define A0IPC_RPC_UTF8_FIX_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct a0ipc_rpc_utf8_fixes a0ipc_rpc_utf8_fixes;

/* Fixes msg in place; returns what to undo, NULL when nothing needed fixing. A string whose
 * display form cannot be allocated is replaced by "" (never sent as it is). */
a0ipc_rpc_utf8_fixes *a0ipc_rpc_utf8_fix(ProtobufCMessage *msg);
void a0ipc_rpc_utf8_undo(a0ipc_rpc_utf8_fixes *f);

/* The display form of s[0..n): malloc'ed, NUL-terminated; NULL when out of memory. */
char *a0ipc_utf8_display(const uint8_t *s, size_t n);

#endif
