/* The legacy SSH terminal's output cleaning (legacy/README.md §3), so that Agent Zero sees the
 * text it saw before: the bytes are decoded as UTF-8 (invalid bytes become U+FFFD), ANSI escape
 * sequences and NUL bytes are removed, "\r\n" ends a line like "\n", of each line only the text
 * after the last carriage return is kept, and trailing whitespace is cut.
 *
 * Two readings of the legacy rules, stated so nobody has to guess: a line whose last segment
 * (after the last "\r") is blank keeps its last non-blank segment, which is what the terminal
 * shows (`progress 100%\r` stays "progress 100%"); a line with no non-blank segment is empty.
 * "Escape sequences" are all of ECMA-48's: CSI (ESC [ ... final), the string commands OSC, DCS,
 * SOS, PM and APC up to BEL or ESC \, and the two- and three-byte ESC forms (ESC 7, ESC ( B).
 *
 * It is a streaming function: input may be split anywhere, inside an escape sequence or a UTF-8
 * character, and the result is the same as for the whole input at once. Text comes out a whole
 * line at a time; a0ipc_term_clean_finish gives the unfinished last line. */
#ifndef A0IPC_TERM_CLEAN_H
#define A0IPC_TERM_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "services/term_text.h"

typedef struct a0ipc_term_cleaner a0ipc_term_cleaner;

/* max_line bounds the memory held for an unfinished line: a line longer than that is given out
 * in pieces of max_line bytes (0: 64 KiB). NULL on out-of-memory. */
a0ipc_term_cleaner *a0ipc_term_clean_new(size_t max_line);
void a0ipc_term_clean_free(a0ipc_term_cleaner *c);

/* Appends to out the cleaned text of every line that input completes, each ending in "\n".
 * Returns 0 or -1 on out-of-memory. */
int a0ipc_term_clean_feed(a0ipc_term_cleaner *c, const uint8_t *in, size_t len,
                          a0ipc_term_text *out);

/* Appends the cleaned unfinished line (no "\n"; nothing when there is none) and starts a new
 * line. An unfinished UTF-8 character becomes U+FFFD; an unfinished escape sequence is
 * dropped. */
int a0ipc_term_clean_finish(a0ipc_term_cleaner *c, a0ipc_term_text *out);

/* The whole input at once: feed, then finish. */
int a0ipc_term_clean(const uint8_t *in, size_t len, a0ipc_term_text *out);

#endif
