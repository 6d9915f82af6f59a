/* The completion marker: how a bash session tells the daemon that a command ended, and with
 * which status.
 *
 * The daemon sets PROMPT_COMMAND (a0ipc_term_marker_setup) so that before every prompt bash
 * prints
 *     ESC ] a0 ; <nonce> ; <command number> ; <$?> BEL
 * an OSC escape (terminals ignore unknown OSCs, so it is harmless if it ever leaks) carrying a
 * random per-session nonce, so output that merely contains a marker of another session (a log
 * being printed) cannot end a command. The command number is the one the daemon typed with the
 * command (a0ipc_term_shell); prompts that follow anything else (a line typed with Write, an
 * interrupt at the prompt) carry an empty number. The parser below removes markers from the
 * output stream, also when a read of the terminal splits one in pieces. */
#ifndef A0IPC_TERM_MARKER_H
#define A0IPC_TERM_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define A0IPC_TERM_NONCE_LEN 32 /* lowercase hex digits */
/* The longest marker: prefix, 20-digit number, sign and 10 digits, separators, BEL. */
#define A0IPC_TERM_MARKER_MAX (5 + A0IPC_TERM_NONCE_LEN + 1 + 20 + 1 + 11 + 1)

typedef struct a0ipc_term_mark {
    uint64_t id;   /* the command number; 0 when the marker carried none */
    int exit_code; /* $? */
} a0ipc_term_mark;

typedef struct a0ipc_term_marker {
    uint8_t prefix[6 + A0IPC_TERM_NONCE_LEN]; /* "\033]a0;" nonce ";" */
    size_t prefix_len;
    uint8_t held[A0IPC_TERM_MARKER_MAX]; /* bytes that may be the start of a marker */
    size_t held_len;
    int field; /* after the prefix: 0 = the number, 1 = the status */
    size_t field_digits;
    bool negative;
    uint64_t id;
    int64_t code;
} a0ipc_term_marker;

/* nonce: A0IPC_TERM_NONCE_LEN hex digits. */
void a0ipc_term_marker_init(a0ipc_term_marker *m, const char *nonce);

/* Takes input bytes: copies what is not part of a marker to out, and stops right after the
 * first complete marker so the caller can place it exactly in the stream. out needs room for
 * len + A0IPC_TERM_MARKER_MAX bytes (held bytes that turn out not to be a marker are released
 * there). Returns how many input bytes were consumed; *out_len is set; *found says whether a
 * marker ended there (then *mark describes it). Bytes that may still become a marker stay held
 * inside m. */
size_t a0ipc_term_marker_feed(a0ipc_term_marker *m, const uint8_t *in, size_t len, uint8_t *out,
                              size_t *out_len, bool *found, a0ipc_term_mark *mark);

/* Releases any held bytes (at the end of the stream) into out (room for A0IPC_TERM_MARKER_MAX);
 * returns how many. */
size_t a0ipc_term_marker_flush(a0ipc_term_marker *m, uint8_t *out);

/* True when bytes are held: output that could still turn out to be a marker. */
static inline bool a0ipc_term_marker_holding(const a0ipc_term_marker *m)
{
    return m->held_len > 0;
}

/* Fills nonce (A0IPC_TERM_NONCE_LEN + 1 bytes) with random hex from getrandom(2). Returns 0 or
 * -errno. */
int a0ipc_term_random_hex(char *nonce);

/* The line the daemon types into a new bash session (its PTY starts with echo off, see
 * term_pty.h): no line editing (so typed bytes are not interpreted as editing keys and no
 * bracketed-paste escapes appear), no history expansion of "!", no prompts, and the marker
 * before every prompt. Returns a malloc'ed string ending in "\n", or NULL. */
char *a0ipc_term_marker_setup(const char *nonce);

#endif
