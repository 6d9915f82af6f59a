/* The legacy terminal: an interactive shell over SSH, set up and read the way Agent Zero's
 * code-execution tool does it (docs/legacy-protocol.md, "Terminal over SSH"), with libssh.
 *
 *   connect: a PTY of 100 columns x 50 rows (terminal type "vt100", paramiko's default), a
 *            shell, then the set-up line "unset PROMPT_COMMAND PS0; stty -echo" (prefixed by
 *            "cd <cwd>; " when a working directory is given, unquoted as the legacy sends it);
 *            then it waits for the shell's output to settle, as the legacy does.
 *   send:    command + "\n"; the output collected since the previous command is dropped.
 *   read:    whatever the shell wrote, in reads of up to 1024 bytes, going on while more comes
 *            within 100 ms (the legacy read until nothing was ready after a 0.1 s sleep); an
 *            unfinished UTF-8 character at the end is held for the next read, as the legacy
 *            completed it before decoding. Both the output since the command and this read's
 *            are given cleaned (common/legacy_clean.h), plus this read's raw bytes.
 *
 * Not the legacy's: the host key can be pinned (host_key_sha256); without it any key is taken,
 * as paramiko's AutoAddPolicy did, and a warning is logged once. Key authentication is offered
 * besides the legacy's password. Waiting is event-driven (no fixed sleeps). And "settled" is
 * made reliable: the legacy sent the set-up line at once and called the shell settled after 0.1 s
 * without output, which a slow login (profile scripts, a loaded machine) turns into a race: the
 * terminal echoes the line early, goes quiet, and the first command is sent before `stty -echo` has
 * run, so it comes back echoed. Here the set-up line goes once the shell shows a prompt (one of the
 * legacy's prompt patterns, docs/legacy-protocol.md), and settling ends at the prompt that follows
 * it; a shell whose prompt matches none settles after 1 s of quiet. The bytes sent are the
 * legacy's.
 *
 * A session may be used from several threads (one operation on the connection at a time; a read
 * that waits lets sends through between its 50 ms slices). */
#ifndef A0IPC_LEGACY_SSH_H
#define A0IPC_LEGACY_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"

#define A0IPC_LEGACY_SSH_DEFAULT_PORT 55022
#define A0IPC_LEGACY_SSH_COLS         100
#define A0IPC_LEGACY_SSH_ROWS         50
#define A0IPC_LEGACY_SSH_TERM         "vt100"
#define A0IPC_LEGACY_SSH_SETUP        "unset PROMPT_COMMAND PS0; stty -echo"
#define A0IPC_LEGACY_SSH_CHUNK        1024
#define A0IPC_LEGACY_SSH_GAP_MS       100

typedef struct a0ipc_legacy_ssh_config {
    const char *host;             /* NULL: "localhost" */
    int port;                     /* 0: 55022 */
    const char *user;             /* NULL: "root" */
    const char *password;         /* password authentication (the legacy's), or NULL */
    const char *private_key_file; /* key authentication, or NULL; tried before the password */
    const char *host_key_sha256;  /* "SHA256:<base64>" as ssh-keygen -l prints; NULL: any */
    const char *cwd;              /* NULL: the login directory */
    int64_t connect_timeout_ms;   /* connection, authentication and settling; 0: 30000 */
} a0ipc_legacy_ssh_config;

typedef struct a0ipc_legacy_ssh a0ipc_legacy_ssh;

/* Connects, authenticates, opens the shell and sends the set-up line. NULL on failure, with
 * UNAVAILABLE (cannot connect, or the shell would not open), UNAUTHENTICATED (credentials
 * refused, or the host key is not the pinned one), DEADLINE_EXCEEDED (the shell did not speak
 * in time) or INVALID_ARGUMENT (no credentials). */
a0ipc_legacy_ssh *a0ipc_legacy_ssh_connect(const a0ipc_legacy_ssh_config *cfg, a0ipc_status *st);

/* Sends command + "\n" and starts a new output collection. UNAVAILABLE when the connection is
 * gone. */
a0ipc_code a0ipc_legacy_ssh_send_command(a0ipc_legacy_ssh *s, const char *command,
                                         a0ipc_status *st);

/* Sends bytes as typed, nothing added (answers to a dialog, Ctrl-C as "\x03"). */
a0ipc_code a0ipc_legacy_ssh_send_raw(a0ipc_legacy_ssh *s, const void *data, size_t len,
                                     a0ipc_status *st);

typedef struct a0ipc_legacy_ssh_output {
    char *full;    /* cleaned, everything since the last command */
    char *partial; /* cleaned, what this read got */
    uint8_t *raw;  /* this read's bytes as received (less a held unfinished character) */
    size_t raw_len;
    bool eof; /* the shell has ended; nothing more will come */
} a0ipc_legacy_ssh_output;

void a0ipc_legacy_ssh_output_clear(a0ipc_legacy_ssh_output *o);

/* Waits up to wait_ms for output, then reads while more comes within 100 ms (never longer than
 * wait_ms in all; 0: only what is ready now). OK also when nothing came (partial is ""). */
a0ipc_code a0ipc_legacy_ssh_read_output(a0ipc_legacy_ssh *s, int64_t wait_ms,
                                        a0ipc_legacy_ssh_output *out, a0ipc_status *st);

/* For a caller that does its own collecting (the adapter, legacy_transport_terminal.c): waits
 * up to wait_ms for output, then takes what is ready without waiting further, up to cap bytes,
 * raw (no cleaning, nothing held back, not added to the collection read_output keeps). Do not
 * mix it with read_output on one command. *n == 0 when nothing came. */
a0ipc_code a0ipc_legacy_ssh_read_raw(a0ipc_legacy_ssh *s, int64_t wait_ms, uint8_t *buf, size_t cap,
                                     size_t *n, bool *eof, a0ipc_status *st);

/* Changes the PTY's size (the legacy kept 100 x 50). */
a0ipc_code a0ipc_legacy_ssh_resize(a0ipc_legacy_ssh *s, uint32_t rows, uint32_t cols,
                                   a0ipc_status *st);

/* The shell's prompt as it stood, cleaned, when the session settled after its set-up line; ""
 * when the shell settled without a recognised prompt. Owned by the session. */
const char *a0ipc_legacy_ssh_prompt(const a0ipc_legacy_ssh *s);

/* Whether the last non-empty line of cleaned output looks like a shell prompt, by the legacy's
 * patterns (docs/legacy-protocol.md): `(\(venv\)).+[$#] ?$`, `root@[^:]+:[^#]+# ?$`,
 * `[a-zA-Z0-9_.-]+@[^:]+:[^$#]+[$#] ?$`, `\(?.*\)?\s*PS\s+[^>]+> ?$`. */
bool a0ipc_legacy_ssh_is_prompt(const char *cleaned);

/* Closes the shell and the connection; NULL is fine. */
void a0ipc_legacy_ssh_close(a0ipc_legacy_ssh *s);

#endif
