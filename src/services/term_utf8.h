/* UTF-8 boundaries for the terminal's output stream: output is never cut inside a sequence, so a
 * client that decodes each event on its own never sees a character torn in two. */
#ifndef A0IPC_TERM_UTF8_H
#define A0IPC_TERM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* How many bytes at the end of p[0..len) are the start of a UTF-8 sequence that is not complete
 * yet (0 to 3): hold them back until the rest arrives. Bytes that can never become valid UTF-8
 * are not held (they pass through as they are). */
size_t a0ipc_utf8_incomplete_tail(const uint8_t *p, size_t len);

/* How many bytes at the start of p[0..len) are continuation bytes (at most 3): the tail of a
 * sequence whose start is gone. */
size_t a0ipc_utf8_orphan_head(const uint8_t *p, size_t len);

#endif
