#include "transport/legacy/legacy_errors.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A body that names no exception becomes the message; past this it is cut (it is for people,
 * and an HTML error page can be long). */
#define MAX_BODY_MESSAGE 4096

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

/* Whether line[0..len) is "<Type>: <message>" or a bare "<Type>", with Type a dotted Python
 * name; sets the type's length and where the message starts. */
static bool exception_line(const char *line, size_t len, size_t *type_len, size_t *msg_at)
{
    if (len == 0 || !ident_start(line[0]))
        return false;
    size_t i = 1;
    while (i < len && ident_char(line[i]))
        i++;
    if (line[i - 1] == '.')
        return false;
    *type_len = i;
    if (i == len) {
        *msg_at = len;
        return true;
    }
    if (line[i] != ':')
        return false;
    /* Python writes "Type: message"; accept a bare "Type:" too. */
    *msg_at = i + 1 < len && line[i + 1] == ' ' ? i + 2 : i + 1;
    return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int fill(a0ipc_legacy_error *out, const char *line, size_t len, size_t type_len,
                size_t msg_at)
{
    out->type = strndup(line, type_len);
    out->message = strndup(line + msg_at, len - msg_at);
    if (!out->type || !out->message) {
        a0ipc_legacy_error_clear(out);
        return -1;
    }
    return 0;
}

int a0ipc_legacy_error_parse(const char *body, size_t len, a0ipc_legacy_error *out)
{
    *out = (a0ipc_legacy_error){0};
    if (!body)
        return -1;
    /* Lines end at "\n"; a "\r" before it is not part of the line. */
    size_t first_end = 0;
    while (first_end < len && body[first_end] != '\n')
        first_end++;
    size_t end = len;
    for (;;) {
        while (end > 0 && (body[end - 1] == '\n' || body[end - 1] == '\r' || body[end - 1] == ' ' ||
                           body[end - 1] == '\t'))
            end--;
        if (end == 0)
            break;
        size_t start = end;
        while (start > 0 && body[start - 1] != '\n')
            start--;
        size_t tl, ma;
        if (exception_line(body + start, end - start, &tl, &ma))
            return fill(out, body + start, end - start, tl, ma);
        break; /* only the last non-empty line counts */
    }
    size_t flen = first_end;
    if (flen > 0 && body[flen - 1] == '\r')
        flen--;
    size_t tl, ma;
    if (exception_line(body, flen, &tl, &ma) && ma > tl && ends_with(body, tl, "Error"))
        return fill(out, body, flen, tl, ma);
    return -1;
}

void a0ipc_legacy_error_clear(a0ipc_legacy_error *e)
{
    free(e->type);
    free(e->message);
    *e = (a0ipc_legacy_error){0};
}

static const struct {
    const char *type;
    a0ipc_code code;
} type_table[] = {
    {"FileNotFoundError", A0IPC_NOT_FOUND},
    {"ProcessLookupError", A0IPC_NOT_FOUND},
    {"FileExistsError", A0IPC_ALREADY_EXISTS},
    {"PermissionError", A0IPC_PERMISSION_DENIED},
    {"IsADirectoryError", A0IPC_FAILED_PRECONDITION},
    {"NotADirectoryError", A0IPC_FAILED_PRECONDITION},
    {"TimeoutError", A0IPC_DEADLINE_EXCEEDED},
    {"ConnectionError", A0IPC_UNAVAILABLE},
    {"ConnectionRefusedError", A0IPC_UNAVAILABLE},
    {"ConnectionResetError", A0IPC_UNAVAILABLE},
    {"ConnectionAbortedError", A0IPC_UNAVAILABLE},
    {"BrokenPipeError", A0IPC_UNAVAILABLE},
    {"ValueError", A0IPC_INVALID_ARGUMENT},
    {"TypeError", A0IPC_INVALID_ARGUMENT},
    {"UnicodeDecodeError", A0IPC_INVALID_ARGUMENT},
    {"UnicodeEncodeError", A0IPC_INVALID_ARGUMENT},
    {"MemoryError", A0IPC_RESOURCE_EXHAUSTED},
    {"OverflowError", A0IPC_OUT_OF_RANGE},
    {"NotImplementedError", A0IPC_UNIMPLEMENTED},
    {"ModuleNotFoundError", A0IPC_UNIMPLEMENTED},
    {"ImportError", A0IPC_UNIMPLEMENTED},
};

/* "[Errno 28] No space left on device" -> 28; 0 when the message does not start that way. */
static int errno_prefix(const char *msg)
{
    if (strncmp(msg, "[Errno ", 7) != 0)
        return 0;
    char *end;
    long e = strtol(msg + 7, &end, 10);
    return *end == ']' && e > 0 && e < 4096 ? (int)e : 0;
}

a0ipc_code a0ipc_legacy_code_for(const char *type, const char *message)
{
    if (!type)
        return A0IPC_UNKNOWN;
    if (!message)
        message = "";
    const char *dot = strrchr(type, '.');
    const char *name = dot ? dot + 1 : type;
    if (strcmp(type, "Exception") == 0) {
        if (strcmp(message, "Invalid RFC hash") == 0)
            return A0IPC_UNAUTHENTICATED;
        if (strncmp(message, "No RFC password", 15) == 0)
            return A0IPC_FAILED_PRECONDITION;
        return A0IPC_UNKNOWN;
    }
    for (size_t i = 0; i < sizeof type_table / sizeof type_table[0]; i++)
        if (strcmp(name, type_table[i].type) == 0)
            return type_table[i].code;
    /* getattr(module, function_name) on a module without it: the server lacks the function. */
    if (strcmp(name, "AttributeError") == 0 && strncmp(message, "module '", 8) == 0 &&
        strstr(message, "' has no attribute '"))
        return A0IPC_UNIMPLEMENTED;
    if (strcmp(name, "OSError") == 0 || strcmp(name, "IOError") == 0 ||
        strcmp(name, "EnvironmentError") == 0) {
        int err = errno_prefix(message);
        if (err)
            return a0ipc_code_from_errno(err);
    }
    return A0IPC_UNKNOWN;
}

static a0ipc_code code_for_http(long http_status)
{
    switch (http_status) {
    case 400:
        return A0IPC_INTERNAL;
    case 401:
        return A0IPC_UNAUTHENTICATED;
    case 403:
        return A0IPC_PERMISSION_DENIED;
    case 404:
        return A0IPC_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
        return A0IPC_UNAVAILABLE;
    default:
        return A0IPC_UNKNOWN;
    }
}

a0ipc_code a0ipc_legacy_status_from_http(long http_status, const char *body, size_t len,
                                         a0ipc_status *st, char **type_out)
{
    if (type_out)
        *type_out = NULL;
    if (!body)
        len = 0;
    a0ipc_legacy_error e;
    /* Only the RFC handler's own failures (500) carry a traceback; other statuses come from
     * the HTTP server or a proxy in front of it. */
    if (http_status == 500 && a0ipc_legacy_error_parse(body, len, &e) == 0) {
        a0ipc_code code = a0ipc_legacy_code_for(e.type, e.message);
        a0ipc_status_set(st, code, "%s", e.message);
        if (type_out) {
            *type_out = e.type; /* moved */
            e.type = NULL;
        }
        a0ipc_legacy_error_clear(&e);
        return code;
    }
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    a0ipc_code code = code_for_http(http_status);
    if (len == 0)
        return a0ipc_status_set(st, code, "legacy RFC answered HTTP %ld", http_status);
    if (len > MAX_BODY_MESSAGE)
        return a0ipc_status_set(st, code, "%.*s...", MAX_BODY_MESSAGE, body);
    return a0ipc_status_set(st, code, "%.*s", (int)len, body);
}
