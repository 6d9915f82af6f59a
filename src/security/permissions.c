#include "security/permissions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A protobuf full name: letters, digits, '_' and '.', not starting or ending with '.'. */
static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.'))
            return false;
    }
    return true;
}

static int push(char ***list, size_t *n, const char *s, a0ipc_status *st)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    char *copy = grown ? strdup(s) : NULL;
    if (grown)
        *list = grown;
    if (!copy) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    (*list)[(*n)++] = copy;
    return 0;
}

int a0ipc_perms_add(a0ipc_perms *p, const char *word, a0ipc_status *st)
{
    if (!strcmp(word, "*")) {
        p->all = true;
        return 0;
    }
    if (!strcmp(word, "files:read-only")) {
        p->files_read_only = true;
        return 0;
    }
    if (!strcmp(word, "terminal:all-sessions")) {
        p->all_sessions = true;
        return 0;
    }
    if (!strncmp(word, "service:", 8) && valid_name(word + 8, strlen(word + 8)))
        return push(&p->services, &p->n_services, word + 8, st);
    if (!strncmp(word, "method:/", 8)) {
        const char *svc = word + 8, *slash = strchr(svc, '/');
        if (slash && valid_name(svc, (size_t)(slash - svc)) &&
            valid_name(slash + 1, strlen(slash + 1)) && !strchr(slash + 1, '.'))
            return push(&p->methods, &p->n_methods, word + 7, st);
    }
    a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                     "unknown permission \"%s\": use *, service:PACKAGE.Service, "
                     "method:/PACKAGE.Service/Method, files:read-only or terminal:all-sessions",
                     word);
    return -1;
}

void a0ipc_perms_free(a0ipc_perms *p)
{
    for (size_t i = 0; i < p->n_services; i++)
        free(p->services[i]);
    for (size_t i = 0; i < p->n_methods; i++)
        free(p->methods[i]);
    free(p->services);
    free(p->methods);
    memset(p, 0, sizeof *p);
}

/* Whether path is "/<service>/<something>". */
static bool in_service(const char *path, const char *service)
{
    size_t n = strlen(service);
    return path[0] == '/' && !strncmp(path + 1, service, n) && path[n + 1] == '/';
}

a0ipc_code a0ipc_perms_check(const a0ipc_perms *p, const char *path, const a0ipc_rpc_method *m,
                             bool *allows_write, char *why, size_t why_cap)
{
    *allows_write = !p->files_read_only;
    bool files = in_service(path, A0IPC_FILES_SERVICE);
    if (files && p->files_read_only) {
        /* Which Files methods only read is written in the .proto, not kept here. */
        if (m && m->idempotency == A0IPC_RPC_NO_SIDE_EFFECTS)
            return A0IPC_OK;
        if (why)
            snprintf(why, why_cap, "read-only for files");
        return A0IPC_PERMISSION_DENIED;
    }
    if (p->all)
        return A0IPC_OK;
    for (size_t i = 0; i < p->n_services; i++)
        if (in_service(path, p->services[i]))
            return A0IPC_OK;
    for (size_t i = 0; i < p->n_methods; i++)
        if (!strcmp(path, p->methods[i]))
            return A0IPC_OK;
    if (why)
        snprintf(why, why_cap, "not granted");
    return A0IPC_PERMISSION_DENIED;
}
