#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = A0IPC_LOG_INFO;
static _Atomic int log_format = A0IPC_LOG_FORMAT_TEXT;
static _Atomic int log_fd = STDERR_FILENO;
/* Whether log_fd is the journal's stream: -1 not known yet, else 0 or 1. */
static _Atomic int log_to_journal = -1;

void a0ipc_log_set_level(a0ipc_log_level level)
{
    atomic_store(&log_level, (int)level);
}

a0ipc_log_level a0ipc_log_get_level(void)
{
    return (a0ipc_log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

void a0ipc_log_set_format(a0ipc_log_format format)
{
    atomic_store(&log_format, (int)format);
}

void a0ipc_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
    atomic_store(&log_to_journal, -1);
}

int a0ipc_log_level_from_name(const char *name)
{
    static const struct {
        const char *name;
        a0ipc_log_level level;
    } names[] = {{"error", A0IPC_LOG_ERROR},
                 {"warn", A0IPC_LOG_WARN},
                 {"warning", A0IPC_LOG_WARN},
                 {"info", A0IPC_LOG_INFO},
                 {"debug", A0IPC_LOG_DEBUG}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return (int)names[i].level;
    return -1;
}

static const char *level_name(a0ipc_log_level level)
{
    switch (level) {
    case A0IPC_LOG_ERROR:
        return "error";
    case A0IPC_LOG_WARN:
        return "warn";
    case A0IPC_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* systemd sets JOURNAL_STREAM to "<device>:<inode>" of the stream it connected to stderr. Every
 * child inherits the variable, so it alone does not mean our output goes to the journal (a
 * shell in a terminal session, a0ipcd started by hand from one): only when the log fd is that
 * very stream do lines get the "<N>" prefix. Checked once per fd. */
static bool to_journal(int fd)
{
    int known = atomic_load(&log_to_journal);
    if (known >= 0)
        return known;
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    bool yes = env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 && fstat(fd, &st) == 0 &&
               (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
    atomic_store(&log_to_journal, yes);
    return yes;
}

/* Appends s to buf as the inside of a JSON string; always leaves buf NUL-terminated. */
static size_t json_escape(char *buf, size_t cap, size_t len, const char *s)
{
    for (; *s && len + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[len++] = '\\';
            buf[len++] = (char)c;
        } else if (c < 0x20) {
            len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
        } else {
            buf[len++] = (char)c;
        }
    }
    buf[len] = '\0';
    return len;
}

char *a0ipc_log_escape(char *dst, size_t cap, const char *src, size_t len, bool spaces)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < len && src; i++) {
        unsigned char c = (unsigned char)src[i];
        bool plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\';
        if (plain || (spaces && c == ' ')) {
            if (n + 1 >= cap)
                break;
            dst[n++] = (char)c;
        } else {
            if (n + 4 >= cap)
                break;
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = hex[c >> 4];
            dst[n++] = hex[c & 15];
        }
    }
    if (cap)
        dst[n] = '\0';
    return dst;
}

static void log_write(a0ipc_log_level level, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* A record is one line: fold any newline the message carries (for example a core error). */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts.tv_nsec / 1000000));

    char line[4096];
    size_t len;
    /* journald strips the "<N>" prefix and keeps N as the entry's priority, JSON lines too. */
    char prio[8] = "";
    bool journal = to_journal(atomic_load(&log_fd));
    if (journal)
        snprintf(prio, sizeof prio, "<%d>", (int)level);
    if (atomic_load(&log_format) == A0IPC_LOG_FORMAT_JSON) {
        len = (size_t)snprintf(line, sizeof line, "%s{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"",
                               prio, when, level_name(level));
        len = json_escape(line, sizeof line - 3, len, msg);
        len += (size_t)snprintf(line + len, sizeof line - len, "\"}\n");
    } else if (journal) {
        len = (size_t)snprintf(line, sizeof line, "%s%s\n", prio, msg);
    } else {
        len = (size_t)snprintf(line, sizeof line, "%s %-5s %s\n", when, level_name(level), msg);
    }
    if (len >= sizeof line) {
        len = sizeof line - 1;
        line[len - 1] = '\n';
    }
    ssize_t unused = write(atomic_load(&log_fd), line, len);
    (void)unused; /* a logger has nowhere to report its own failure */
}

void a0ipc_log(a0ipc_log_level level, const char *fmt, ...)
{
    if (!a0ipc_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_write(level, fmt, ap);
    va_end(ap);
}

void a0ipc_log_audit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(A0IPC_LOG_INFO, fmt, ap);
    va_end(ap);
}
