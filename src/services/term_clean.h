/* RunRequest.clean_output: the legacy SSH terminal's output cleaning (common/legacy_clean.h,
 * Agent Zero's shell_ssh.clean_string reproduced exactly), applied to a stream.
 *
 * The legacy cleaned its whole buffer at once. Here the bytes are held until a line is complete
 * (up to and including its "\n" byte) and each line is cleaned on its own with
 * a0ipc_legacy_clean_output; the concatenation is byte for byte what the legacy cleaning gives
 * for the whole stream (term_clean.c says why, tests/unit/test_term_clean.c checks it on random
 * inputs split at random places). Input may be split anywhere, inside an escape sequence or a
 * UTF-8 character: only whole lines are cleaned.
 *
 * The one place it cannot be exact: a line longer than max_line bytes (before its "\n") is not
 * held whole. Each time max_line + 1 bytes of it are held, the first max_line of them (fewer
 * when that would cut a UTF-8 character: the cut moves back to the character's start) are
 * cleaned and given out as a piece with no "\n"; the rest of the line follows. A carriage
 * return, an escape sequence or trailing white space that spans a cut is then judged within
 * each piece, not over the whole line. python/a0ipc/term_clean.py cuts at the same bytes. */
#ifndef A0IPC_TERM_CLEAN_H
#define A0IPC_TERM_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "services/term_text.h"

typedef struct a0ipc_term_cleaner a0ipc_term_cleaner;

#define A0IPC_TERM_CLEAN_MIN_LINE 16 /* smaller max_line values are raised to this */

/* max_line bounds the raw bytes held for an unfinished line (0: 64 KiB). NULL on
 * out-of-memory. */
a0ipc_term_cleaner *a0ipc_term_clean_new(size_t max_line);
void a0ipc_term_clean_free(a0ipc_term_cleaner *c);

/* Appends to out the cleaned text of every line that input completes (each ending in "\n") and
 * the pieces of overlong lines. Returns 0 or -ENOMEM. */
int a0ipc_term_clean_feed(a0ipc_term_cleaner *c, const uint8_t *in, size_t len,
                          a0ipc_term_text *out);

/* Appends the cleaned unfinished line (no "\n"; nothing when there is none) and starts a new
 * line, as the legacy cleaned a text that did not end in "\n" (an unfinished UTF-8 character
 * becomes U+FFFD, an unfinished escape sequence stays as text). Returns 0 or -ENOMEM. */
int a0ipc_term_clean_finish(a0ipc_term_cleaner *c, a0ipc_term_text *out);

/* The whole input at once: feed, then finish (with the default max_line). */
int a0ipc_term_clean(const uint8_t *in, size_t len, a0ipc_term_text *out);

#endif
