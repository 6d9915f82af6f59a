/* The project's logger: one line per record, written with a single write(2) so lines from
 * different threads never interleave. When the log fd is the journal's stream (the device and
 * inode in JOURNAL_STREAM, as systemd sets it) each line starts with a syslog "<N>" priority
 * prefix that journald turns into the record's level; otherwise with a UTC timestamp and the
 * level name. The JSON format writes one object per line (after the prefix, in the journal). */
#ifndef A0IPC_LOG_H
#define A0IPC_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum a0ipc_log_level {
    A0IPC_LOG_ERROR = 3, /* syslog priorities, so the journald prefix is the level itself */
    A0IPC_LOG_WARN = 4,
    A0IPC_LOG_INFO = 6,
    A0IPC_LOG_DEBUG = 7,
} a0ipc_log_level;

typedef enum a0ipc_log_format {
    A0IPC_LOG_FORMAT_TEXT,
    A0IPC_LOG_FORMAT_JSON,
} a0ipc_log_format;

void a0ipc_log_set_level(a0ipc_log_level level);
a0ipc_log_level a0ipc_log_get_level(void);
void a0ipc_log_set_format(a0ipc_log_format format);
/* Writes records to fd instead of stderr (tests use this). */
void a0ipc_log_set_fd(int fd);

/* "error", "warn", "info", "debug" -> level; returns -1 for anything else. */
int a0ipc_log_level_from_name(const char *name);

static inline bool a0ipc_log_enabled(a0ipc_log_level level)
{
    return level <= a0ipc_log_get_level();
}

void a0ipc_log(a0ipc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An audit record (one per call): written at info level whatever the log level, so lowering the
 * level to quieten the daemon never drops the audit trail (log-calls = false does). */
void a0ipc_log_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies len bytes of untrusted text (a method path a client chose, a certificate's CN, a
 * status message quoting client input) into dst so that it cannot forge log fields or lines:
 * printable ASCII stays, except '"' and '\\' and (unless spaces) ' ', which like every other
 * byte become \xHH. Always NUL-terminates; truncates to fit cap. Returns dst. */
char *a0ipc_log_escape(char *dst, size_t cap, const char *src, size_t len, bool spaces);

#define A0IPC_LOGE(...) a0ipc_log(A0IPC_LOG_ERROR, __VA_ARGS__)
#define A0IPC_LOGW(...) a0ipc_log(A0IPC_LOG_WARN, __VA_ARGS__)
#define A0IPC_LOGI(...)                                                                            \
    do {                                                                                           \
        if (a0ipc_log_enabled(A0IPC_LOG_INFO))                                                     \
            a0ipc_log(A0IPC_LOG_INFO, __VA_ARGS__);                                                \
    } while (0)
#define A0IPC_LOGD(...)                                                                            \
    do {                                                                                           \
        if (a0ipc_log_enabled(A0IPC_LOG_DEBUG))                                                    \
            a0ipc_log(A0IPC_LOG_DEBUG, __VA_ARGS__);                                               \
    } while (0)

#endif
