#include "a0ipc/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const char *const code_names[A0IPC_CODE_COUNT] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *a0ipc_code_name(a0ipc_code code)
{
    if ((int)code < 0 || (int)code >= A0IPC_CODE_COUNT)
        return "UNKNOWN_CODE";
    return code_names[code];
}

int a0ipc_code_from_name(const char *name)
{
    for (int i = 0; name && i < A0IPC_CODE_COUNT; i++)
        if (strcmp(code_names[i], name) == 0)
            return i;
    return -1;
}

/* The errno table. Kept as data so docs/errors.md and the unit test can walk it; the rows follow
 * gRPC's guidance on which code a caller can act on: FAILED_PRECONDITION when the state of the
 * system must change first, INVALID_ARGUMENT when the request itself is wrong whatever the state,
 * UNAVAILABLE only for what a retry may fix. */
static const struct {
    int err;
    a0ipc_code code;
} errno_table[] = {
    {0, A0IPC_OK},
    {ENOENT, A0IPC_NOT_FOUND},
    {ESRCH, A0IPC_NOT_FOUND},
    {ENXIO, A0IPC_NOT_FOUND},
    {EEXIST, A0IPC_ALREADY_EXISTS},
    {ENOTEMPTY, A0IPC_FAILED_PRECONDITION},
    {EACCES, A0IPC_PERMISSION_DENIED},
    {EPERM, A0IPC_PERMISSION_DENIED},
    {EROFS, A0IPC_PERMISSION_DENIED},
    {EXDEV, A0IPC_PERMISSION_DENIED}, /* openat2 RESOLVE_BENEATH: the path leaves the root */
    {ENOTDIR, A0IPC_FAILED_PRECONDITION},
    {EISDIR, A0IPC_FAILED_PRECONDITION},
    {ETXTBSY, A0IPC_FAILED_PRECONDITION},
    {EBUSY, A0IPC_FAILED_PRECONDITION},
    {ELOOP, A0IPC_FAILED_PRECONDITION},
    {EINVAL, A0IPC_INVALID_ARGUMENT},
    {ENAMETOOLONG, A0IPC_INVALID_ARGUMENT},
    {EBADF, A0IPC_INVALID_ARGUMENT},
    {E2BIG, A0IPC_INVALID_ARGUMENT},
    {EFBIG, A0IPC_OUT_OF_RANGE},
    {EOVERFLOW, A0IPC_OUT_OF_RANGE},
    {ERANGE, A0IPC_OUT_OF_RANGE},
    {ENOSPC, A0IPC_RESOURCE_EXHAUSTED},
    {EDQUOT, A0IPC_RESOURCE_EXHAUSTED},
    {ENOMEM, A0IPC_RESOURCE_EXHAUSTED},
    {EMFILE, A0IPC_RESOURCE_EXHAUSTED},
    {ENFILE, A0IPC_RESOURCE_EXHAUSTED},
    {EMLINK, A0IPC_RESOURCE_EXHAUSTED},
    {EAGAIN, A0IPC_UNAVAILABLE},
    {EINTR, A0IPC_UNAVAILABLE},
    {ECONNREFUSED, A0IPC_UNAVAILABLE},
    {ECONNRESET, A0IPC_UNAVAILABLE},
    {EPIPE, A0IPC_UNAVAILABLE},
    {ETIMEDOUT, A0IPC_DEADLINE_EXCEEDED},
    {ECANCELED, A0IPC_CANCELLED},
    {ENOSYS, A0IPC_UNIMPLEMENTED},
    {EOPNOTSUPP, A0IPC_UNIMPLEMENTED},
    {EIO, A0IPC_DATA_LOSS},
};

a0ipc_code a0ipc_code_from_errno(int err)
{
    for (size_t i = 0; i < sizeof errno_table / sizeof errno_table[0]; i++)
        if (errno_table[i].err == err)
            return errno_table[i].code;
    return A0IPC_INTERNAL;
}

/* Appends v to out, cut to A0IPC_STATUS_QUOTE_MAX bytes (at a UTF-8 sequence boundary) and
 * followed by "…(+K bytes)" when longer. */
static void put_capped(FILE *out, const char *v)
{
    if (!v)
        v = "(null)";
    size_t n = strlen(v);
    if (n <= A0IPC_STATUS_QUOTE_MAX) {
        fputs(v, out);
        return;
    }
    size_t keep = A0IPC_STATUS_QUOTE_MAX;
    while (keep > 0 && ((unsigned char)v[keep] & 0xC0) == 0x80)
        keep--; /* never half a character */
    fwrite(v, 1, keep, out);
    fprintf(out, "\u2026(+%zu bytes)", n - keep);
}

/* vfprintf(out, fmt, ap), except that every %s without a precision is capped by put_capped:
 * the one place where client text quoted in a status message (paths, session ids, commands) is
 * bounded, so a status always fits in the peer's metadata limit. Knows the conversions C11's
 * printf has, with flags, width, precision ('*' too) and length modifiers; not %n or %N$. */
static void format_capped(FILE *out, const char *fmt, va_list ap)
{
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            fputs(p, out);
            return;
        }
        fwrite(p, 1, (size_t)(pct - p), out);
        const char *q = pct + 1;
        char spec[32];
        int star[2], n_star = 0;
        bool has_precision = false;
        q += strspn(q, "-+ #0'");
        if (*q == '*') {
            star[n_star++] = va_arg(ap, int);
            q++;
        } else {
            q += strspn(q, "0123456789");
        }
        if (*q == '.') {
            has_precision = true;
            q++;
            if (*q == '*') {
                star[n_star++] = va_arg(ap, int);
                q++;
            } else {
                q += strspn(q, "0123456789");
            }
        }
        const char *len = q;
        q += strspn(q, "hlzjtL");
        size_t len_n = (size_t)(q - len);
        char conv = *q;
        if (!conv || (size_t)(q + 1 - pct) >= sizeof spec) {
            fputs(pct, out); /* malformed: print it as it is */
            return;
        }
        memcpy(spec, pct, (size_t)(q + 1 - pct));
        spec[q + 1 - pct] = '\0';
        p = q + 1;
#define EMIT(value)                                                                                \
    do {                                                                                           \
        if (n_star == 2)                                                                           \
            fprintf(out, spec, star[0], star[1], value);                                           \
        else if (n_star == 1)                                                                      \
            fprintf(out, spec, star[0], value);                                                    \
        else                                                                                       \
            fprintf(out, spec, value);                                                             \
    } while (0)
        bool is_l = len_n == 1 && len[0] == 'l', is_ll = len_n == 2 && len[0] == 'l';
        bool is_z = len_n == 1 && len[0] == 'z', is_j = len_n == 1 && len[0] == 'j';
        bool is_t = len_n == 1 && len[0] == 't', is_big = len_n == 1 && len[0] == 'L';
        switch (conv) {
        case '%':
            fputc('%', out);
            break;
        case 'd':
        case 'i':
            if (is_l)
                EMIT(va_arg(ap, long));
            else if (is_ll)
                EMIT(va_arg(ap, long long));
            else if (is_z)
                EMIT(va_arg(ap, ssize_t));
            else if (is_j)
                EMIT(va_arg(ap, intmax_t));
            else if (is_t)
                EMIT(va_arg(ap, ptrdiff_t));
            else
                EMIT(va_arg(ap, int)); /* hh, h: promoted */
            break;
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            if (is_l)
                EMIT(va_arg(ap, unsigned long));
            else if (is_ll)
                EMIT(va_arg(ap, unsigned long long));
            else if (is_z)
                EMIT(va_arg(ap, size_t));
            else if (is_j)
                EMIT(va_arg(ap, uintmax_t));
            else if (is_t)
                EMIT(va_arg(ap, ptrdiff_t));
            else
                EMIT(va_arg(ap, unsigned));
            break;
        case 'c':
            EMIT(va_arg(ap, int));
            break;
        case 'p':
            EMIT(va_arg(ap, void *));
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (is_big)
                EMIT(va_arg(ap, long double));
            else
                EMIT(va_arg(ap, double));
            break;
        case 's':
            if (has_precision || n_star)
                EMIT(va_arg(ap, const char *)); /* the caller bounded it */
            else
                put_capped(out, va_arg(ap, const char *));
            break;
        default: /* %n and anything unknown: its argument cannot be consumed safely */
            fputs(spec, out);
            fputs(p, out);
            return;
        }
#undef EMIT
    }
}

/* The message for fmt and ap (malloc'ed; NULL when out of memory). */
static char *format_message(const char *fmt, va_list ap)
{
    char *msg = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&msg, &size);
    if (!out)
        return NULL;
    /* A message that is just "%s" passes an already formatted message on (its quoted values
     * were capped when it was made): it is not cut again. */
    if (!strcmp(fmt, "%s"))
        fputs(va_arg(ap, const char *), out);
    else
        format_capped(out, fmt, ap);
    if (fclose(out) != 0) {
        free(msg);
        return NULL;
    }
    return msg;
}

a0ipc_code a0ipc_status_setv(a0ipc_status *st, a0ipc_code code, const char *fmt, va_list ap)
{
    char *msg = fmt ? format_message(fmt, ap) : NULL; /* NULL: out of memory; the code
                                                               still tells the truth */
    free(st->message);
    st->code = code;
    st->message = msg;
    return code;
}

a0ipc_code a0ipc_status_set(a0ipc_status *st, a0ipc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    a0ipc_status_setv(st, code, fmt, ap);
    va_end(ap);
    return code;
}

a0ipc_code a0ipc_status_from_errno(a0ipc_status *st, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *ctx = format_message(fmt, ap);
    va_end(ap);
    char *msg = NULL; /* ctx is capped already: not through format_message again */
    if (asprintf(&msg, "%s: %s", ctx ? ctx : "", strerror(err)) < 0)
        msg = NULL;
    free(ctx);
    free(st->message);
    st->code = a0ipc_code_from_errno(err);
    st->message = msg;
    return st->code;
}

void a0ipc_status_move(a0ipc_status *dst, a0ipc_status *src)
{
    if (dst == src)
        return;
    free(dst->message);
    *dst = *src;
    src->code = A0IPC_OK;
    src->message = NULL;
}

const char *a0ipc_status_message(const a0ipc_status *st)
{
    return st->message ? st->message : "";
}

void a0ipc_status_clear(a0ipc_status *st)
{
    free(st->message);
    st->message = NULL;
    st->code = A0IPC_OK;
}
