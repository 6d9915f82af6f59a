/* The legacy terminal's output cleaning (docs/legacy-protocol.md, "Terminal over SSH"),
 * reproduced exactly: what Agent Zero's SSH shell (shell_ssh.clean_string) makes of the bytes it
 * read. In order:
 *   1. decode as UTF-8 with errors="replace" (one U+FFFD per maximal invalid subsequence, as
 *      CPython's decoder);
 *   2. remove ANSI escapes, the legacy's regex \x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~]): ESC and one
 *      byte of 0x40..0x5A or 0x5C..0x5F, or a CSI (ESC [ params intermediates final). Nothing
 *      else: the text of an OSC title (ESC ] 0;title BEL) stays, ESC ] alone goes, as in the
 *      legacy;
 *   3. remove NUL;
 *   4. "\r\n" becomes "\n" (one pass, left to right);
 *   5. per line (split at "\n"): of its "\r"-separated parts, those that are not blank (Python's
 *      str.strip, all Unicode white space); when there is one, the line becomes the last of them
 *      with trailing white space cut (str.rstrip); when there is none, the line stays as it was,
 *      carriage returns and spaces included.
 * The steps run on the whole text, in this order, as the legacy did; so the function takes the
 * whole output at once (the legacy cleaned its whole buffer after each read).
 *
 * Used by the legacy SSH transport and, line by line, by the Terminal service's Run
 * clean_output (services/term_clean.h), so it is built into a0ipc_base, also without the legacy
 * transport. Pure: no state, no I/O; any thread. */
#ifndef A0IPC_LEGACY_CLEAN_H
#define A0IPC_LEGACY_CLEAN_H

#include <stddef.h>
#include <stdint.h>

/* The cleaned text, UTF-8, NUL-terminated (it never contains NUL); *out_len (may be NULL) gets
 * its length. Caller frees. NULL when out of memory. */
char *a0ipc_legacy_clean_output(const uint8_t *in, size_t len, size_t *out_len);

#endif
