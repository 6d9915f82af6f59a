#include "common/legacy_clean.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/utf8.h"

#define REPLACEMENT 0xFFFD

/* Python's str.isspace (3.11): what strip() and rstrip() remove. */
static bool py_space(uint32_t c)
{
    switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

/* bytes.decode("utf-8", "replace") into code points; returns how many. */
static size_t decode(const uint8_t *in, size_t len, uint32_t *out)
{
    size_t n = 0, i = 0;
    while (i < len) {
        uint8_t b = in[i];
        if (b < 0x80) {
            out[n++] = b;
            i++;
            continue;
        }
        size_t seq = a0ipc_utf8_seq_len(b);
        if (!seq) {
            out[n++] = REPLACEMENT;
            i++;
            continue;
        }
        size_t need = seq - 1;
        uint32_t v = b & (0x7Fu >> seq); /* the lead byte's payload bits: 5, 4 or 3 */
        size_t k = 1;
        while (k <= need && i + k < len && a0ipc_utf8_cont_ok(b, k, in[i + k])) {
            v = (v << 6) | (in[i + k] & 0x3F);
            k++;
        }
        /* Complete: the character. Otherwise one U+FFFD for the valid prefix, and decoding
         * goes on at the byte that broke it (or ends with the input). */
        out[n++] = k > need ? v : REPLACEMENT;
        i += k;
    }
    return n;
}

static bool in(uint32_t c, uint32_t lo, uint32_t hi)
{
    return c >= lo && c <= hi;
}

/* Step 2: the legacy's ANSI regex, matched left to right, matches removed. */
static size_t remove_escapes(uint32_t *s, size_t n)
{
    size_t w = 0, i = 0;
    while (i < n) {
        if (s[i] == 0x1B && i + 1 < n) {
            uint32_t c = s[i + 1];
            if (in(c, 0x40, 0x5A) || in(c, 0x5C, 0x5F)) {
                i += 2;
                continue;
            }
            if (c == '[') {
                size_t j = i + 2;
                while (j < n && in(s[j], 0x30, 0x3F))
                    j++;
                while (j < n && in(s[j], 0x20, 0x2F))
                    j++;
                if (j < n && in(s[j], 0x40, 0x7E)) {
                    i = j + 1;
                    continue;
                }
            }
        }
        s[w++] = s[i++];
    }
    return w;
}

/* Steps 3 and 4. NUL goes first, so "\r\0\n" is a "\r\n" by the time step 4 looks. */
static size_t remove_nul_and_crlf(uint32_t *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != 0)
            s[w++] = s[i];
    n = w;
    w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            continue; /* the "\n" that follows is kept */
        s[w++] = s[i];
    }
    return w;
}

static size_t utf8_len(uint32_t c)
{
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static char *put_utf8(char *p, uint32_t c)
{
    if (c < 0x80) {
        *p++ = (char)c;
    } else if (c < 0x800) {
        *p++ = (char)(0xC0 | (c >> 6));
        *p++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *p++ = (char)(0xE0 | (c >> 12));
        *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *p++ = (char)(0x80 | (c & 0x3F));
    } else {
        *p++ = (char)(0xF0 | (c >> 18));
        *p++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *p++ = (char)(0x80 | (c & 0x3F));
    }
    return p;
}

/* Step 5 for the line s[0..n): which code points it keeps, as [*from, *to). */
static void line_span(const uint32_t *s, size_t n, size_t *from, size_t *to)
{
    /* The last part (between "\r"s) that is not blank. */
    size_t end = n;
    for (;;) {
        size_t start = end;
        while (start > 0 && s[start - 1] != '\r')
            start--;
        bool blank = true;
        for (size_t i = start; i < end && blank; i++)
            blank = py_space(s[i]);
        if (!blank) {
            while (end > start && py_space(s[end - 1]))
                end--;
            *from = start;
            *to = end;
            return;
        }
        if (start == 0)
            break;
        end = start - 1; /* skip the "\r" */
    }
    *from = 0; /* no part with text: the line as it was */
    *to = n;
}

char *a0ipc_legacy_clean_output(const uint8_t *input, size_t len, size_t *out_len)
{
    uint32_t *s = malloc((len ? len : 1) * sizeof *s);
    if (!s)
        return NULL;
    size_t n = decode(input, len, s);
    n = remove_escapes(s, n);
    n = remove_nul_and_crlf(s, n);

    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += utf8_len(s[i]);
    char *out = malloc(bytes + 1); /* cleaning only removes: the text fits */
    if (!out) {
        free(s);
        return NULL;
    }
    char *p = out;
    size_t line = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        size_t from, to;
        line_span(s + line, i - line, &from, &to);
        for (size_t k = line + from; k < line + to; k++)
            p = put_utf8(p, s[k]);
        if (i < n)
            *p++ = '\n';
        line = i + 1;
    }
    *p = '\0';
    if (out_len)
        *out_len = (size_t)(p - out);
    free(s);
    return out;
}
