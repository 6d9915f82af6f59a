/* A growable byte string, for building text whose length is not known up front. */
#ifndef A0IPC_TERM_TEXT_H
#define A0IPC_TERM_TEXT_H

#include <stddef.h>

typedef struct a0ipc_term_text {
    char *p; /* owned; NUL-terminated when not NULL */
    size_t len, cap;
} a0ipc_term_text;

#define A0IPC_TERM_TEXT_INIT                                                                       \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends n bytes. Returns 0 or -ENOMEM (the text is unchanged then). */
int a0ipc_term_text_add(a0ipc_term_text *t, const void *p, size_t n);
void a0ipc_term_text_clear(a0ipc_term_text *t); /* keeps the memory */
void a0ipc_term_text_free(a0ipc_term_text *t);

#endif
