#include "services/term_clean.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "services/term_utf8.h"

/* An OSC or other string command longer than this is not one: stop swallowing output. */
#define MAX_STRING_CMD 4096

enum esc_state {
    ST_TEXT,
    ST_ESC,        /* after ESC */
    ST_NF,         /* ESC followed by intermediates 0x20..0x2F */
    ST_CSI,        /* ESC [ parameters and intermediates */
    ST_STRING,     /* OSC, DCS, SOS, PM, APC body */
    ST_STRING_ESC, /* ESC inside a string command: ESC \ ends it */
};

struct a0ipc_term_cleaner {
    size_t max_line;
    /* UTF-8 decoding */
    uint8_t u8[4];
    int u8_len, u8_need;
    /* escape sequences */
    enum esc_state st;
    size_t string_len;
    /* the current line: the segment since the last \r, and the last non-blank one before it */
    a0ipc_term_text seg, last;
};

a0ipc_term_cleaner *a0ipc_term_clean_new(size_t max_line)
{
    a0ipc_term_cleaner *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->max_line = max_line ? max_line : 64 * 1024;
    return c;
}

void a0ipc_term_clean_free(a0ipc_term_cleaner *c)
{
    if (!c)
        return;
    a0ipc_term_text_free(&c->seg);
    a0ipc_term_text_free(&c->last);
    free(c);
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f';
}

static bool blank(const a0ipc_term_text *t)
{
    for (size_t i = 0; i < t->len; i++)
        if (!is_space(t->p[i]))
            return false;
    return true;
}

/* The line's text: its last non-blank segment without trailing whitespace. */
static int emit_line(a0ipc_term_cleaner *c, a0ipc_term_text *out, bool newline)
{
    const a0ipc_term_text *t = !blank(&c->seg) ? &c->seg : &c->last;
    size_t n = t->len;
    while (n > 0 && is_space(t->p[n - 1]))
        n--;
    int rc = a0ipc_term_text_add(out, t->p, n);
    if (rc == 0 && newline)
        rc = a0ipc_term_text_add(out, "\n", 1);
    a0ipc_term_text_clear(&c->seg);
    a0ipc_term_text_clear(&c->last);
    return rc;
}

/* One decoded character (1 to 4 bytes) of text, outside escape sequences. */
static int text_char(a0ipc_term_cleaner *c, const uint8_t *ch, size_t n, a0ipc_term_text *out)
{
    if (n == 1) {
        if (ch[0] == '\0')
            return 0;
        if (ch[0] == '\n')
            return emit_line(c, out, true);
        if (ch[0] == '\r') {
            if (!blank(&c->seg)) {
                a0ipc_term_text tmp = c->last; /* swap: no copy, no allocation */
                c->last = c->seg;
                c->seg = tmp;
            }
            a0ipc_term_text_clear(&c->seg);
            return 0;
        }
    }
    if (c->seg.len + n > c->max_line) {
        /* A line too long to hold: give out what we have as a piece of it. */
        if (emit_line(c, out, false) != 0)
            return -1;
    }
    return a0ipc_term_text_add(&c->seg, ch, n);
}

/* One decoded character through the escape-sequence recogniser. */
static int put_char(a0ipc_term_cleaner *c, const uint8_t *ch, size_t n, a0ipc_term_text *out)
{
    uint8_t b = n == 1 ? ch[0] : 0x80; /* any non-ASCII character acts as "other" */
    switch (c->st) {
    case ST_TEXT:
        if (b == 0x1B) {
            c->st = ST_ESC;
            return 0;
        }
        return text_char(c, ch, n, out);
    case ST_ESC:
        if (b == '[') {
            c->st = ST_CSI;
        } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
            c->st = ST_STRING;
            c->string_len = 0;
        } else if (b >= 0x20 && b <= 0x2F) {
            c->st = ST_NF;
        } else if (b >= 0x30 && b <= 0x7E) {
            c->st = ST_TEXT; /* a two-byte sequence: ESC 7, ESC M, ESC c ... */
        } else if (b == 0x1B) {
            /* ESC ESC: the first one was alone; the second may start a sequence */
        } else {
            c->st = ST_TEXT; /* a lone ESC before a control or non-ASCII character */
            return text_char(c, ch, n, out);
        }
        return 0;
    case ST_NF:
        if (b >= 0x20 && b <= 0x2F)
            return 0;
        c->st = ST_TEXT;
        if (b >= 0x30 && b <= 0x7E)
            return 0;
        return put_char(c, ch, n, out);
    case ST_CSI:
        if (b >= 0x20 && b <= 0x3F)
            return 0; /* parameters and intermediates */
        c->st = ST_TEXT;
        if (b >= 0x40 && b <= 0x7E)
            return 0;
        return put_char(c, ch, n, out); /* malformed: the sequence ends before this character */
    case ST_STRING:
    case ST_STRING_ESC:
        if (b == 0x07) {
            c->st = ST_TEXT;
            return 0;
        }
        if (c->st == ST_STRING_ESC && b == '\\') {
            c->st = ST_TEXT;
            return 0;
        }
        c->st = b == 0x1B ? ST_STRING_ESC : ST_STRING;
        if (++c->string_len > MAX_STRING_CMD)
            c->st = ST_TEXT;
        return 0;
    }
    return 0;
}

static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};

/* Whether byte b can be the k-th (k >= 1) byte of the sequence started by lead. */
static bool cont_ok(uint8_t lead, int k, uint8_t b)
{
    if ((b & 0xC0) != 0x80)
        return false;
    if (k != 1)
        return true;
    switch (lead) {
    case 0xE0:
        return b >= 0xA0;
    case 0xED:
        return b <= 0x9F;
    case 0xF0:
        return b >= 0x90;
    case 0xF4:
        return b <= 0x8F;
    default:
        return true;
    }
}

int a0ipc_term_clean_feed(a0ipc_term_cleaner *c, const uint8_t *in, size_t len,
                          a0ipc_term_text *out)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = in[i];
        if (c->u8_len > 0) {
            if (cont_ok(c->u8[0], c->u8_len, b)) {
                c->u8[c->u8_len++] = b;
                if (c->u8_len == c->u8_need) {
                    if (put_char(c, c->u8, (size_t)c->u8_len, out) != 0)
                        return -1;
                    c->u8_len = 0;
                }
                continue;
            }
            /* A broken sequence: one U+FFFD for what we have, then b on its own. */
            c->u8_len = 0;
            if (put_char(c, replacement, 3, out) != 0)
                return -1;
        }
        if (b < 0x80) {
            if (put_char(c, &b, 1, out) != 0)
                return -1;
            continue;
        }
        int need = a0ipc_utf8_seq_len(b);
        if (need == 0) {
            if (put_char(c, replacement, 3, out) != 0)
                return -1;
            continue;
        }
        c->u8[0] = b;
        c->u8_len = 1;
        c->u8_need = need;
    }
    return 0;
}

int a0ipc_term_clean_finish(a0ipc_term_cleaner *c, a0ipc_term_text *out)
{
    if (c->u8_len > 0) { /* an unfinished character is an invalid one, as for Python */
        c->u8_len = 0;
        if (put_char(c, replacement, 3, out) != 0)
            return -1;
    }
    c->st = ST_TEXT;
    if (c->seg.len == 0 && c->last.len == 0)
        return 0;
    return emit_line(c, out, false);
}

int a0ipc_term_clean(const uint8_t *in, size_t len, a0ipc_term_text *out)
{
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(0);
    if (!c)
        return -1;
    int rc = a0ipc_term_clean_feed(c, in, len, out);
    if (rc == 0)
        rc = a0ipc_term_clean_finish(c, out);
    a0ipc_term_clean_free(c);
    return rc;
}
