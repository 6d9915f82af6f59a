#include "common/term_dialog.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/legacy_clean.h"

struct a0ipc_term_dialog {
    size_t n;
    regex_t *re; /* n compiled patterns */
};

static const char *const legacy_patterns[] = {
    "y/n",
    "yes/no",
    ":$",
    "\\?$",
};

a0ipc_term_dialog *a0ipc_term_dialog_new(const char *const *patterns, size_t n, a0ipc_status *st)
{
    if (n == 0) {
        patterns = legacy_patterns;
        n = sizeof legacy_patterns / sizeof legacy_patterns[0];
    }
    a0ipc_term_dialog *d = calloc(1, sizeof *d);
    if (d)
        d->re = calloc(n, sizeof *d->re);
    if (!d || !d->re) {
        free(d);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = regcomp(&d->re[i], patterns[i], REG_EXTENDED | REG_ICASE | REG_NOSUB);
        if (rc != 0) {
            char why[128];
            regerror(rc, &d->re[i], why, sizeof why);
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "dialog pattern %zu (\"%s\"): %s", i,
                             patterns[i], why);
            a0ipc_term_dialog_free(d);
            return NULL;
        }
        d->n = i + 1;
    }
    return d;
}

void a0ipc_term_dialog_free(a0ipc_term_dialog *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        regfree(&d->re[i]);
    free(d->re);
    free(d);
}

static bool line_matches(const a0ipc_term_dialog *d, const char *line)
{
    for (size_t i = 0; i < d->n; i++)
        if (regexec(&d->re[i], line, 0, NULL, 0) == 0)
            return true;
    return false;
}

bool a0ipc_term_dialog_match(const a0ipc_term_dialog *d, const uint8_t *tail, size_t len)
{
    size_t text_len = 0;
    char *text = a0ipc_legacy_clean_output(tail, len, &text_len);
    if (!text)
        return false;
    /* Walk back over the lines. The legacy cleaning leaves a line with no text as it was
     * (carriage returns and spaces included): cut trailing white space here, and skip lines
     * left empty. */
    bool hit = false;
    int seen = 0;
    char *end = text + text_len;
    while (seen < 2 && end > text && !hit) {
        char *start = end;
        while (start > text && start[-1] != '\n')
            start--;
        char *stop = end;
        while (stop > start && stop[-1] && strchr(" \t\r\v\f", stop[-1]))
            stop--;
        if (stop > start) {
            *stop = '\0';
            hit = line_matches(d, start);
            seen++;
        }
        end = start > text ? start - 1 : start;
    }
    free(text);
    return hit;
}
