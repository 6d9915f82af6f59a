#include "common/kv_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

int a0ipc_kv_file_read(const char *path, const char *what, a0ipc_kv_set_fn set, void *arg,
                       a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read %s %s", what, path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *text = trim(line);
        if (!*text)
            continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s:%d: expected \"key = value\"", path,
                             lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        if (set(arg, trim(text), trim(eq + 1), st) != 0) {
            char *why = st->message ? strdup(st->message) : NULL;
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s:%d: %s", path, lineno,
                             why ? why : "invalid setting");
            free(why);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    return rc;
}
