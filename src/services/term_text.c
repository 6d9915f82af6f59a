#include "services/term_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int a0ipc_term_text_add(a0ipc_term_text *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (!q)
            return -ENOMEM;
        t->p = q;
        t->cap = cap;
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
    return 0;
}

void a0ipc_term_text_clear(a0ipc_term_text *t)
{
    t->len = 0;
    if (t->p)
        t->p[0] = '\0';
}

void a0ipc_term_text_free(a0ipc_term_text *t)
{
    free(t->p);
    t->p = NULL;
    t->len = t->cap = 0;
}
