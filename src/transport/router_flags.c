/* The router's feature flags: parsing the flags file and the environment. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kv_file.h"
#include "transport/router_internal.h"

const char *const router_op_names[OP_COUNT] = {
#define ROUTER_OP_NAME(since, name, params, args) [OP_##name] = #name,
    A0IPC_TRANSPORT_OPS(ROUTER_OP_NAME)
#undef ROUTER_OP_NAME
};

int router_op_from_name(const char *name)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (!strcmp(router_op_names[i], name))
            return i;
    return -1;
}

static const char *const mode_names[] = {"legacy", "grpc", "canary", "shadow"};

const char *router_mode_name(a0ipc_route_mode m)
{
    return (unsigned)m < 4 ? mode_names[m] : "?";
}

static int parse_mode(const char *text, a0ipc_route_mode *out)
{
    for (int i = 0; i < 4; i++) {
        if (!strcmp(text, mode_names[i])) {
            *out = (a0ipc_route_mode)i;
            return 0;
        }
    }
    return -1;
}

static int parse_int(const char *text, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_bool(const char *text, bool *out)
{
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes") || !strcmp(text, "on"))
        *out = true;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no") ||
             !strcmp(text, "off"))
        *out = false;
    else
        return -1;
    return 0;
}

/* "read=grpc,run=legacy" */
static int set_methods(router_flags *f, const char *list, a0ipc_status *st)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory"), -1;
    int rc = 0;
    for (char *item = strtok_r(copy, ", ", &save); item && rc == 0;
         item = strtok_r(NULL, ", ", &save)) {
        char *eq = strchr(item, '=');
        int op = -1;
        a0ipc_route_mode m;
        if (eq) {
            *eq = '\0';
            op = router_op_from_name(item);
        }
        if (!eq || op < 0 || parse_mode(eq + 1, &m) != 0) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "bad method override \"%s\": want <method>=legacy|grpc|canary|shadow "
                             "with a method such as stat, read, run",
                             item);
            rc = -1;
        } else {
            f->method_set[op] = true;
            f->method_mode[op] = m;
        }
    }
    free(copy);
    return rc;
}

static int set_flag(router_flags *f, const char *key, const char *value, a0ipc_status *st)
{
    bool ok;
    if (!strcmp(key, "mode"))
        ok = parse_mode(value, &f->mode) == 0;
    else if (!strcmp(key, "canary-percent"))
        ok = parse_int(value, 0, 100, &f->canary_percent) == 0;
    else if (!strcmp(key, "fallback"))
        ok = parse_bool(value, &f->fallback) == 0;
    else if (!strcmp(key, "breaker-failures"))
        ok = parse_int(value, 1, 1000000, &f->breaker_failures) == 0;
    else if (!strcmp(key, "breaker-cooldown-ms"))
        ok = parse_int(value, 0, INT_MAX, &f->breaker_cooldown_ms) == 0;
    else if (!strncmp(key, "method.", 7)) {
        char item[128];
        snprintf(item, sizeof item, "%s=%s", key + 7, value);
        return set_methods(f, item, st);
    } else {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "unknown router flag \"%s\"", key);
        return -1;
    }
    if (!ok) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "bad value \"%s\" for router flag %s", value,
                         key);
        return -1;
    }
    return 0;
}

static int set_flag_cb(void *f, const char *key, const char *value, a0ipc_status *st)
{
    return set_flag(f, key, value, st);
}

static int load_file(router_flags *f, const char *path, a0ipc_status *st)
{
    return a0ipc_kv_file_read(path, "router flags", set_flag_cb, f, st);
}

static const struct {
    const char *env, *key;
} env_flags[] = {
    {"A0IPC_ROUTER_MODE", "mode"},
    {"A0IPC_ROUTER_CANARY_PERCENT", "canary-percent"},
    {"A0IPC_ROUTER_FALLBACK", "fallback"},
    {"A0IPC_ROUTER_BREAKER_FAILURES", "breaker-failures"},
    {"A0IPC_ROUTER_BREAKER_COOLDOWN_MS", "breaker-cooldown-ms"},
};

int router_flags_load(router_flags *out, const char *file, a0ipc_status *st)
{
    router_flags f = {
        .mode = A0IPC_ROUTE_LEGACY,
        .fallback = true,
        .breaker_failures = 5,
        .breaker_cooldown_ms = 30000,
    };
    if (file && load_file(&f, file, st) != 0)
        return -1;
    for (size_t i = 0; i < sizeof env_flags / sizeof env_flags[0]; i++) {
        const char *v = getenv(env_flags[i].env);
        if (v && *v && set_flag(&f, env_flags[i].key, v, st) != 0) {
            char *why = strdup(a0ipc_status_message(st));
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s: %s", env_flags[i].env,
                             why ? why : "bad value");
            free(why);
            return -1;
        }
    }
    const char *methods = getenv("A0IPC_ROUTER_METHODS");
    if (methods && *methods && set_methods(&f, methods, st) != 0)
        return -1;
    *out = f;
    return 0;
}

char *router_flags_describe(const router_flags *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fprintf(out,
            "mode = %s\ncanary-percent = %d\nfallback = %s\nbreaker-failures = %d\n"
            "breaker-cooldown-ms = %d\n",
            router_mode_name(f->mode), f->canary_percent, f->fallback ? "true" : "false",
            f->breaker_failures, f->breaker_cooldown_ms);
    for (int i = 0; i < OP_COUNT; i++)
        if (f->method_set[i])
            fprintf(out, "method.%s = %s\n", router_op_names[i],
                    router_mode_name(f->method_mode[i]));
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
