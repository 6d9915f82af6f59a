/* a0ipc's --json output: a protobuf-c message as the proto3 canonical JSON mapping, the one
 * `buf curl` and every protojson library print. Driven by the message's descriptor, so every
 * command prints its response message the same way: lowerCamel field names (mtimeNs), enums by
 * name (FILE_TYPE_FILE), 64-bit integers as strings, bytes as base64, fields at their default
 * value omitted, maps as objects. One object per line. */
#ifndef A0IPC_CLI_JSON_H
#define A0IPC_CLI_JSON_H

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

/* m as one line of JSON, then "\n". */
void a0ipc_cli_json_message(FILE *out, const ProtobufCMessage *m);

/* JSON string (quotes included) of the NUL-terminated s. */
void a0ipc_cli_json_string(FILE *out, const char *s);

/* JSON string of data in base64, as the mapping gives bytes fields. */
void a0ipc_cli_json_bytes(FILE *out, const uint8_t *data, size_t len);

#endif
