/* The replay of tests/fixtures/legacy/files_transcripts.json by the comparison rules of
 * docs/legacy-protocol.md ("Comparing answers"), shared by the two characterizations that use it:
 * the legacy C functions against the reference server (test_legacy_files.c) and the adapter
 * interface, over both transports (test_transport_replay.c). Rules: results exactly, except a
 * directory's size and the order of _get_subdirectories_impl (a set); errors: the exception type
 * exactly, the message exactly up to the first ':' that follows the path when the rest is a
 * Python-specific reason. Every mtime is set back to 1700000000 before each step, as the recorded
 * run evidently did. */
#ifndef A0IPC_LEGACY_REPLAY_H
#define A0IPC_LEGACY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "a0ipc/status.h"
#include "transport/legacy/rfc_json.h"

/* Runs one step: fn(args) with "$ROOT" already replaced. Returns the result as the JSON the
 * legacy would have answered, or NULL after filling type (the Python exception's name) and st
 * (its code and message). */
typedef a0ipc_json *(*lt_step_fn)(void *ctx, const char *fn, const a0ipc_json *args, char type[64],
                                  a0ipc_status *st);
/* Called for each expected error after type and message matched: checks the code. */
typedef void (*lt_code_check_fn)(void *ctx, const char *fn, const char *type,
                                 const a0ipc_status *st);

/* Replays every step on the fixture tree at root; fails the test at the first difference. */
void lt_replay_transcripts(const char *root, lt_step_fn step, lt_code_check_fn check, void *ctx);

/* Arguments of a step. */
const char *lt_arg_str(const a0ipc_json *args, size_t i);
bool lt_arg_bool(const a0ipc_json *args, size_t i);

#endif
