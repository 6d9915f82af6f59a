/* Dialog detection: does the output end in a question waiting for an answer? The legacy rule
 * (docs/legacy-protocol.md, "Terminal over SSH"): one of the last two lines matches a dialog
 * pattern. Run applies it only after the output has been idle for a while (RunTimeouts.dialog_ms),
 * which is what keeps a line such as "Downloading:" in the middle of busy output from counting. */
#ifndef A0IPC_TERM_DIALOG_H
#define A0IPC_TERM_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"

typedef struct a0ipc_term_dialog a0ipc_term_dialog;

/* Compiles POSIX extended regular expressions, matched case-insensitively. n == 0: the legacy
 * patterns ("y/n", "yes/no", a line ending in ":" or "?"). NULL with st INVALID_ARGUMENT
 * naming a pattern that does not compile, or RESOURCE_EXHAUSTED. */
a0ipc_term_dialog *a0ipc_term_dialog_new(const char *const *patterns, size_t n, a0ipc_status *st);
void a0ipc_term_dialog_free(a0ipc_term_dialog *d);

/* tail: the raw end of the output (escapes and all). It is cleaned as Run's clean_output does,
 * and each of its last two non-empty lines is tested, without trailing whitespace. */
bool a0ipc_term_dialog_match(const a0ipc_term_dialog *d, const uint8_t *tail, size_t len);

#endif
