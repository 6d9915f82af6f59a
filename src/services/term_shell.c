#include "services/term_shell.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Well below the 4095-byte canonical line of n_tty, leaving room for the wrapper and for quotes
 * that grow to four bytes each ('\''). */
#define INLINE_MAX_LINE  960
#define INLINE_MAX_TOTAL (64 * 1024)

size_t a0ipc_term_shell_trim(const char *cmd, size_t len)
{
    while (len > 0 && (cmd[len - 1] == '\n' || cmd[len - 1] == '\r'))
        len--;
    return len;
}

bool a0ipc_term_shell_inline_ok(const char *cmd, size_t len)
{
    if (len > INLINE_MAX_TOTAL)
        return false;
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)cmd[i];
        if (c == '\n') {
            line = 0;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return false;
        if (++line > INLINE_MAX_LINE)
            return false;
    }
    return true;
}

char *a0ipc_term_shell_line(uint64_t id, const char *cmd, size_t len, const char *file_path,
                            size_t *out_len)
{
    char head[64];
    int hn = snprintf(head, sizeof head, "__a0_id=%" PRIu64 "; eval ", id);
    const char *src = file_path ? file_path : cmd;
    size_t slen = file_path ? strlen(file_path) : len;
    size_t quotes = 0;
    for (size_t i = 0; i < slen; i++)
        quotes += src[i] == '\'';
    /* head + "\"$(< " + 'quoted' + ")\"" + "\n" */
    size_t cap = (size_t)hn + 8 + slen + 3 * quotes + 2 + 3 + 2;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = 0;
    memcpy(s, head, (size_t)hn);
    o += (size_t)hn;
    if (file_path) {
        memcpy(s + o, "\"$(< ", 5);
        o += 5;
    }
    s[o++] = '\'';
    for (size_t i = 0; i < slen; i++) {
        if (src[i] == '\'') {
            memcpy(s + o, "'\\''", 4);
            o += 4;
        } else {
            s[o++] = src[i];
        }
    }
    s[o++] = '\'';
    if (file_path) {
        memcpy(s + o, ")\"", 2);
        o += 2;
    }
    s[o++] = '\n';
    s[o] = '\0';
    *out_len = o;
    return s;
}
