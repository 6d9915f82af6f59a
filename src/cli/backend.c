#include "cli/backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a0ipc/legacy_transport.h"
#include "a0ipc/router.h"
#include "common/kv_file.h"

/* The --legacy-config file: its values, owned here until the transport has copied them. */
typedef struct legacy_settings {
    a0ipc_legacy_options o;
    char *values[16];
    int n;
} legacy_settings;

static void settings_free(legacy_settings *ls)
{
    for (int i = 0; i < ls->n; i++) {
        explicit_bzero(ls->values[i], strlen(ls->values[i]));
        free(ls->values[i]);
    }
}

/* The first line of a secret's file (the password never goes on a command line). */
static char *read_secret(const char *path, a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read the secret file %s", path);
        return NULL;
    }
    char line[1024];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!got) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "the secret file %s is empty", path);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *s = strdup(line);
    explicit_bzero(line, sizeof line);
    if (!s)
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    return s;
}

static int port_of(const char *v, int *out, a0ipc_status *st)
{
    char *end;
    long p = strtol(v, &end, 10);
    if (*end || end == v || p < 1 || p > 65535) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "\"%s\" is not a port (1..65535)", v);
        return -1;
    }
    *out = (int)p;
    return 0;
}

static int set_legacy(void *arg, const char *key, const char *value, a0ipc_status *st)
{
    legacy_settings *ls = arg;
    a0ipc_legacy_options *o = &ls->o;
    if (!strcmp(key, "rfc-port"))
        return port_of(value, &o->rfc_port, st);
    if (!strcmp(key, "ssh-port"))
        return port_of(value, &o->ssh_port, st);
    if (ls->n == (int)(sizeof ls->values / sizeof ls->values[0])) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "too many settings");
        return -1;
    }
    bool secret = !strcmp(key, "rfc-password-file") || !strcmp(key, "ssh-password-file");
    char *v = secret ? read_secret(value, st) : strdup(value);
    if (!v)
        return -1;
    ls->values[ls->n++] = v;
    if (!strcmp(key, "rfc-url"))
        o->rfc_url = v;
    else if (!strcmp(key, "rfc-password-file"))
        o->rfc_password = v;
    else if (!strcmp(key, "root"))
        o->root = v;
    else if (!strcmp(key, "ssh-host"))
        o->ssh_host = v;
    else if (!strcmp(key, "ssh-user"))
        o->ssh_user = v;
    else if (!strcmp(key, "ssh-password-file"))
        o->ssh_password = v;
    else if (!strcmp(key, "ssh-key"))
        o->ssh_private_key_file = v;
    else if (!strcmp(key, "ssh-host-key"))
        o->ssh_host_key_sha256 = v;
    else {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "unknown setting \"%s\" (rfc-url, rfc-port, rfc-password-file, root, "
                         "ssh-host, ssh-port, ssh-user, ssh-password-file, ssh-key, "
                         "ssh-host-key)",
                         key);
        return -1;
    }
    return 0;
}

static a0ipc_transport *open_legacy(const a0ipc_cli_conn *c, a0ipc_status *st)
{
    legacy_settings ls = {0};
    if (c->legacy_config &&
        a0ipc_kv_file_read(c->legacy_config, "legacy config", set_legacy, &ls, st) != 0) {
        settings_free(&ls);
        return NULL;
    }
    a0ipc_transport *t = a0ipc_legacy_transport_new(&ls.o, st);
    settings_free(&ls);
    return t;
}

a0ipc_transport *a0ipc_cli_open_backend(const a0ipc_cli_conn *c, a0ipc_transport *grpc,
                                        a0ipc_status *st)
{
    if (!strcmp(c->backend, "grpc"))
        return grpc;
    a0ipc_transport *legacy = open_legacy(c, st);
    if (!legacy || !strcmp(c->backend, "legacy")) {
        a0ipc_transport_free(grpc);
        return legacy;
    }
    return a0ipc_router_new(legacy, grpc, c->router_flags, st); /* owns both, even on failure */
}

void a0ipc_cli_backend_report(const a0ipc_cli_conn *c, a0ipc_transport *t)
{
    if (!c->router_metrics || !t)
        return;
    if (strcmp(a0ipc_transport_name(t), "router") != 0) {
        fprintf(stderr, "a0ipc: --router-metrics: no router (--backend router)\n");
        return;
    }
    char *m = a0ipc_router_metrics(t);
    if (m)
        fputs(m, stderr);
    free(m);
}
