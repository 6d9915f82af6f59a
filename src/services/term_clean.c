#include "services/term_clean.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/legacy_clean.h"
#include "services/term_utf8.h"

/* Why cleaning line by line gives exactly what the legacy gives for the whole text: every step
 * of common/legacy_clean.h, cut right after a 0x0A byte, works on each side on its own.
 *   1. UTF-8 decoding with replacement: 0x0A is ASCII, never part of a multi-byte sequence nor
 *      of a maximal invalid subsequence, so the decoder emits "\n" for it and starts afresh
 *      after it in either case.
 *   2. The escape regex \x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~]) only ever matches characters of
 *      0x1B and 0x20..0x7E: a match never contains "\n", so no match spans the cut, and the
 *      left-to-right scan is at the same place after "\n" either way.
 *   3. NUL removal is per character.
 *   4. "\r\n" -> "\n" ends at the "\n": the "\r" (and any escape or NUL removed between them)
 *      is in the same line.
 *   5. The carriage-return rule splits at "\n" and works per line by definition; a line cleaned
 *      with its "\n" gives its own text plus "\n" (the empty text after it stays empty).
 * So the stream is cut only after "\n" bytes, and the pieces of an overlong line (see the
 * header) are the only inexact output. */

#define DEFAULT_MAX_LINE (64 * 1024)

struct a0ipc_term_cleaner {
    size_t max_line;
    uint8_t *line; /* the unfinished line's raw bytes, max_line + 1 of room */
    size_t len;
};

a0ipc_term_cleaner *a0ipc_term_clean_new(size_t max_line)
{
    if (max_line == 0)
        max_line = DEFAULT_MAX_LINE;
    if (max_line < A0IPC_TERM_CLEAN_MIN_LINE)
        max_line = A0IPC_TERM_CLEAN_MIN_LINE;
    a0ipc_term_cleaner *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->line = malloc(max_line + 1);
    if (!c->line) {
        free(c);
        return NULL;
    }
    c->max_line = max_line;
    return c;
}

void a0ipc_term_clean_free(a0ipc_term_cleaner *c)
{
    if (!c)
        return;
    free(c->line);
    free(c);
}

/* Appends the legacy cleaning of p[0..n) to out. */
static int clean_into(const uint8_t *p, size_t n, a0ipc_term_text *out)
{
    size_t len;
    char *text = a0ipc_legacy_clean_output(p, n, &len);
    if (!text)
        return -ENOMEM;
    int rc = a0ipc_term_text_add(out, text, len);
    free(text);
    return rc;
}

/* The held line reached max_line + 1 bytes: give out a piece of it from the front. */
static int give_piece(a0ipc_term_cleaner *c, a0ipc_term_text *out)
{
    size_t cut = c->max_line - a0ipc_utf8_incomplete_tail(c->line, c->max_line);
    int rc = clean_into(c->line, cut, out);
    if (rc != 0)
        return rc;
    memmove(c->line, c->line + cut, c->len - cut);
    c->len -= cut;
    return 0;
}

int a0ipc_term_clean_feed(a0ipc_term_cleaner *c, const uint8_t *in, size_t len,
                          a0ipc_term_text *out)
{
    while (len > 0) {
        /* No line is held beyond max_line + 1 bytes, so no need to look further for its end. */
        size_t window = len < c->max_line + 1 ? len : c->max_line + 1;
        const uint8_t *nl = memchr(in, '\n', window);
        size_t upto = nl ? (size_t)(nl - in) : window; /* bytes before the "\n", if any */
        if (c->len == 0 && nl && upto <= c->max_line) {
            /* Whole lines in the input: cleaned where they lie, no copy, all at once (the same
             * text as line by line, see above). */
            size_t end = upto + 1;
            for (;;) {
                size_t rest = len - end;
                const uint8_t *next =
                    memchr(in + end, '\n', rest < c->max_line + 1 ? rest : c->max_line + 1);
                if (!next)
                    break;
                end = (size_t)(next - in) + 1;
            }
            int rc = clean_into(in, end, out);
            if (rc != 0)
                return rc;
            in += end;
            len -= end;
            continue;
        }
        /* Hold what fits; a line that reaches max_line + 1 bytes gives out a piece. */
        size_t take = c->max_line + 1 - c->len;
        if (take > upto)
            take = upto;
        memcpy(c->line + c->len, in, take);
        c->len += take;
        in += take;
        len -= take;
        if (c->len > c->max_line) {
            int rc = give_piece(c, out);
            if (rc != 0)
                return rc;
            continue;
        }
        if (take == upto && nl) {
            /* The line ends here: its "\n" completes it (it fits: len <= max_line). */
            c->line[c->len++] = '\n';
            in++;
            len--;
            int rc = clean_into(c->line, c->len, out);
            c->len = 0;
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int a0ipc_term_clean_finish(a0ipc_term_cleaner *c, a0ipc_term_text *out)
{
    if (c->len == 0)
        return 0;
    int rc = clean_into(c->line, c->len, out);
    c->len = 0;
    return rc;
}

int a0ipc_term_clean(const uint8_t *in, size_t len, a0ipc_term_text *out)
{
    return clean_into(in, len, out);
}
