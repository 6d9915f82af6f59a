/* How the daemon types a Run command into a bash session.
 *
 * Every command is wrapped as `__a0_id=<number>; eval <command>` so that (1) the marker printed
 * before the next prompt carries the command's number (see term_marker.h), and (2) a command of
 * several lines is one unit: bash prints no prompt, so no marker, until all of it has run.
 *
 * Short commands of printable text are typed inline, single-quoted. The terminal's line
 * discipline would mangle anything else: control characters are editing keys or signals there
 * (^C, ^D, ^U, DEL) and a line longer than 4095 bytes is cut. Such commands are written to a
 * file private to the session, and the typed line reads it: `eval "$(< file)"`. */
#ifndef A0IPC_TERM_SHELL_H
#define A0IPC_TERM_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The command without its trailing newlines (they would only add empty lines). */
size_t a0ipc_term_shell_trim(const char *cmd, size_t len);

/* Whether cmd[0..len) can be typed inline. */
bool a0ipc_term_shell_inline_ok(const char *cmd, size_t len);

/* The line to type for command `id`: inline when file_path is NULL, else the line that evals
 * the file's contents. Returns a malloc'ed string ending in "\n" (length in *out_len), or NULL on
 * out-of-memory. */
char *a0ipc_term_shell_line(uint64_t id, const char *cmd, size_t len, const char *file_path,
                            size_t *out_len);

#endif
