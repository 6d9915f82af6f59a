#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kv_file.h"
#include "daemon/config_setting.h"
#include "security/peercred.h"
#include "security/tls.h"

#ifndef A0IPC_VERSION
#define A0IPC_VERSION "dev"
#endif

/* Where setting s lives in c. */
static void *field(a0ipc_daemon_config *c, const a0ipc_setting *s)
{
    return (char *)c + s->offset;
}

static const void *cfield(const a0ipc_daemon_config *c, const a0ipc_setting *s)
{
    return (const char *)c + s->offset;
}

static size_t *count_field(a0ipc_daemon_config *c, const a0ipc_setting *s)
{
    return (size_t *)(void *)((char *)c + s->count_offset);
}

static size_t ccount(const a0ipc_daemon_config *c, const a0ipc_setting *s)
{
    return *(const size_t *)(const void *)((const char *)c + s->count_offset);
}

static bool is_list(const a0ipc_setting *s)
{
    return s->type == A0IPC_SETTING_UID_LIST || s->type == A0IPC_SETTING_GID_LIST ||
           s->type == A0IPC_SETTING_ADDR_LIST;
}

/* The size of the field itself (a list's pointer, not its elements). */
static size_t field_size(const a0ipc_setting *s)
{
    switch (s->type) {
    case A0IPC_SETTING_BOOL:
        return sizeof(bool);
    case A0IPC_SETTING_INT:
    case A0IPC_SETTING_MODE:
    case A0IPC_SETTING_ENUM:
        return sizeof(int);
    case A0IPC_SETTING_LLONG:
        return sizeof(long long);
    case A0IPC_SETTING_UID:
        return sizeof(uid_t);
    case A0IPC_SETTING_GID:
        return sizeof(gid_t);
    case A0IPC_SETTING_UID_LIST:
    case A0IPC_SETTING_GID_LIST:
        return sizeof(unsigned *);
    case A0IPC_SETTING_STRING:
        return sizeof(char *);
    case A0IPC_SETTING_ADDR_LIST:
        return sizeof(char **);
    }
    return 0;
}

const a0ipc_setting *a0ipc_daemon_setting_find(const char *name)
{
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++)
        if (!strcmp(a0ipc_daemon_settings[i].name, name))
            return &a0ipc_daemon_settings[i];
    return NULL;
}

void a0ipc_daemon_config_init(a0ipc_daemon_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        void *f = field(c, s);
        switch (s->type) {
        case A0IPC_SETTING_BOOL:
            *(bool *)f = s->def != 0;
            break;
        case A0IPC_SETTING_INT:
        case A0IPC_SETTING_MODE:
        case A0IPC_SETTING_ENUM:
            *(int *)f = (int)s->def;
            break;
        case A0IPC_SETTING_LLONG:
            *(long long *)f = s->def;
            break;
        case A0IPC_SETTING_UID:
            *(uid_t *)f = (uid_t)s->def;
            break;
        case A0IPC_SETTING_GID:
            *(gid_t *)f = (gid_t)s->def;
            break;
        default: /* strings and lists start empty */
            break;
        }
    }
}

static void free_setting(a0ipc_daemon_config *c, const a0ipc_setting *s)
{
    void *f = field(c, s);
    if (s->type == A0IPC_SETTING_ADDR_LIST) {
        char **list = *(char ***)f;
        for (size_t i = 0; i < *count_field(c, s); i++)
            free(list[i]);
    }
    if (s->type == A0IPC_SETTING_STRING || is_list(s))
        free(*(void **)f);
}

void a0ipc_daemon_config_free(a0ipc_daemon_config *c)
{
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++)
        free_setting(c, &a0ipc_daemon_settings[i]);
    memset(c, 0, sizeof *c);
}

static int parse_int(const char *key, const char *value, long min, long max, int *out,
                     a0ipc_status *st)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be a whole number from %ld to %ld, not \"%s\"", key, min, max,
                         value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_ll(const char *key, const char *value, long long min, long long max,
                    long long *out, a0ipc_status *st)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be a whole number from %lld to %lld, not \"%s\"", key, min, max,
                         value);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_bool(const char *key, const char *value, bool *out, a0ipc_status *st)
{
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") ||
        !strcmp(value, "on")) {
        *out = true;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") ||
        !strcmp(value, "off")) {
        *out = false;
        return 0;
    }
    a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s must be true or false, not \"%s\"", key,
                     value);
    return -1;
}

static int set_string(char **dst, const char *value, a0ipc_status *st)
{
    char *copy = strdup(value);
    if (!copy) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

static int parse_mode(const char *key, const char *value, int *out, a0ipc_status *st)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 8);
    if (errno || end == value || *end || v < 0 || v > 0777) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be an octal file mode such as 0660, not \"%s\"", key, value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* "error, warn, info or debug": the choices that are not aliases. */
static void list_choices(const a0ipc_setting_choice *choices, char *buf, size_t size)
{
    size_t n = 0, listed = 0, total = 0;
    for (const a0ipc_setting_choice *ch = choices; ch->name; ch++)
        total += !ch->alias;
    buf[0] = '\0';
    for (const a0ipc_setting_choice *ch = choices; ch->name && n < size; ch++) {
        if (ch->alias)
            continue;
        const char *sep = listed == 0 ? "" : listed + 1 == total ? " or " : ", ";
        n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, ch->name);
        listed++;
    }
}

static int parse_enum(const a0ipc_setting *s, const char *value, int *out, a0ipc_status *st)
{
    for (const a0ipc_setting_choice *ch = s->choices; ch->name; ch++)
        if (!strcmp(ch->name, value)) {
            *out = ch->value;
            return 0;
        }
    char names[256];
    list_choices(s->choices, names, sizeof names);
    a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s must be %s, not \"%s\"", s->name, names,
                     value);
    return -1;
}

/* Appends to a growing array of ids (uid_t and gid_t are both unsigned int here). */
static int add_id(unsigned **list, size_t *n, unsigned id, a0ipc_status *st)
{
    unsigned *grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    grown[(*n)++] = id;
    *list = grown;
    return 0;
}

/* The only address list is listen; c->listen_from_cli records that the command line has
 * started its own list. */
static int add_address(a0ipc_daemon_config *c, const a0ipc_setting *s, const char *value,
                       bool from_cli, a0ipc_status *st)
{
    char ***list = field(c, s);
    size_t *n = count_field(c, s);
    if (!*value) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s needs an address", s->name);
        return -1;
    }
    if (from_cli && !c->listen_from_cli) {
        for (size_t i = 0; i < *n; i++)
            free((*list)[i]);
        *n = 0;
        c->listen_from_cli = true;
    }
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    *list = grown;
    grown[*n] = NULL;
    if (set_string(&grown[*n], value, st) != 0)
        return -1;
    (*n)++;
    return 0;
}

static int set_setting(a0ipc_daemon_config *c, const a0ipc_setting *s, const char *value,
                       bool from_cli, a0ipc_status *st)
{
    void *f = field(c, s);
    switch (s->type) {
    case A0IPC_SETTING_BOOL:
        return parse_bool(s->name, value, f, st);
    case A0IPC_SETTING_INT:
        return parse_int(s->name, value, (long)s->min, (long)s->max, f, st);
    case A0IPC_SETTING_LLONG:
        return parse_ll(s->name, value, s->min, s->max, f, st);
    case A0IPC_SETTING_MODE:
        return parse_mode(s->name, value, f, st);
    case A0IPC_SETTING_STRING:
        return set_string(f, value, st);
    case A0IPC_SETTING_ENUM:
        return parse_enum(s, value, f, st);
    case A0IPC_SETTING_UID:
        return a0ipc_parse_uid(value, f, st);
    case A0IPC_SETTING_GID:
        return a0ipc_parse_gid(value, f, st);
    case A0IPC_SETTING_UID_LIST: {
        uid_t uid;
        return a0ipc_parse_uid(value, &uid, st) ? -1 : add_id(f, count_field(c, s), uid, st);
    }
    case A0IPC_SETTING_GID_LIST: {
        gid_t gid;
        return a0ipc_parse_gid(value, &gid, st) ? -1 : add_id(f, count_field(c, s), gid, st);
    }
    case A0IPC_SETTING_ADDR_LIST:
        return add_address(c, s, value, from_cli, st);
    }
    a0ipc_status_set(st, A0IPC_INTERNAL, "setting \"%s\" has no type", s->name);
    return -1;
}

int a0ipc_daemon_config_set(a0ipc_daemon_config *c, const char *key, const char *value,
                            bool from_cli, a0ipc_status *st)
{
    const a0ipc_setting *s = a0ipc_daemon_setting_find(key);
    if (!s) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "unknown setting \"%s\"", key);
        return -1;
    }
    return set_setting(c, s, value, from_cli, st);
}

/* One line of the config file: a setting as the file writes it (not from the command line). */
static int set_from_file(void *c, const char *key, const char *value, a0ipc_status *st)
{
    return a0ipc_daemon_config_set(c, key, value, false, st);
}

int a0ipc_daemon_config_load(a0ipc_daemon_config *c, const char *path, a0ipc_status *st)
{
    return a0ipc_kv_file_read(path, "config file", set_from_file, c, st);
}

/* The long options: --config, --help and --version, then one per setting in the table's order,
 * so options[N_FIXED + i] is setting i. Every setting that takes a value shares one val, as
 * the options did before the table: getopt_long then takes an abbreviation that several of
 * them share (--max-c) as the first, rather than refusing it as ambiguous. */
enum { OPT_CONFIG = 1000, OPT_HELP, OPT_VERSION, OPT_FLAG, OPT_SETTING };
enum { N_FIXED = 3 };

static struct option *long_options(a0ipc_status *st)
{
    struct option *o = calloc(N_FIXED + a0ipc_daemon_n_settings + 1, sizeof *o);
    if (!o) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    o[0] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    o[1] = (struct option){"help", no_argument, NULL, OPT_HELP};
    o[2] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        bool flag = s->flags & A0IPC_SETTING_CLI_FLAG;
        o[N_FIXED + i] = (struct option){s->name, flag ? no_argument : required_argument, NULL,
                                         flag ? OPT_FLAG : OPT_SETTING};
    }
    return o; /* ends with a zeroed entry */
}

static int parse_args(a0ipc_daemon_config *c, int argc, char **argv, const struct option *options,
                      a0ipc_status *st)
{
    /* Pass 1: --config, --help and --version, so the file is applied before the options. */
    const char *config = NULL;
    opterr = 0;
    optind = 1;
    int opt, idx;
    while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
        if (opt == OPT_HELP) {
            a0ipc_daemon_config_usage(stdout);
            return 1;
        }
        if (opt == OPT_VERSION) {
            printf("a0ipcd %s\n", A0IPC_VERSION);
            return 1;
        }
        if (opt == OPT_CONFIG)
            config = optarg;
        if (opt == '?' || opt == ':') {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "unknown option or missing value: %s (see a0ipcd --help)",
                             argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "unexpected argument \"%s\" (see a0ipcd --help)", argv[optind]);
        return -1;
    }
    if (config && a0ipc_daemon_config_load(c, config, st) != 0)
        return -1;
    /* Pass 2: everything else, over the file's values. */
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
        if (opt != OPT_FLAG && opt != OPT_SETTING)
            continue;
        const a0ipc_setting *s = &a0ipc_daemon_settings[idx - N_FIXED];
        if (opt == OPT_FLAG)
            *(bool *)field(c, s) = true;
        else if (set_setting(c, s, optarg, true, st) != 0)
            return -1;
    }
    const a0ipc_setting *listen = a0ipc_daemon_setting_find("listen");
    if (c->n_listen == 0 && add_address(c, listen, A0IPC_DEFAULT_LISTEN, false, st) != 0)
        return -1;
    return 0;
}

int a0ipc_daemon_config_from_args(a0ipc_daemon_config *c, int argc, char **argv, a0ipc_status *st)
{
    struct option *options = long_options(st);
    if (!options)
        return -1;
    int rc = parse_args(c, argc, argv, options, st);
    free(options);
    return rc;
}

static bool same_value(const a0ipc_daemon_config *a, const a0ipc_daemon_config *b,
                       const a0ipc_setting *s)
{
    const void *fa = cfield(a, s), *fb = cfield(b, s);
    if (s->type == A0IPC_SETTING_STRING) {
        const char *x = *(char *const *)fa, *y = *(char *const *)fb;
        return (!x && !y) || (x && y && !strcmp(x, y));
    }
    if (!is_list(s))
        return !memcmp(fa, fb, field_size(s));
    size_t n = ccount(a, s);
    if (n != ccount(b, s))
        return false;
    if (s->type == A0IPC_SETTING_ADDR_LIST) {
        char *const *x = *(char **const *)fa, *const *y = *(char **const *)fb;
        for (size_t i = 0; i < n; i++)
            if (strcmp(x[i], y[i]))
                return false;
        return true;
    }
    const unsigned *x = *(unsigned *const *)fa, *y = *(unsigned *const *)fb;
    return n == 0 || !memcmp(x, y, n * sizeof *x);
}

static void swap_bytes(void *a, void *b, size_t n)
{
    unsigned char tmp[sizeof(long long)];
    memcpy(tmp, a, n);
    memcpy(a, b, n);
    memcpy(b, tmp, n);
}

void a0ipc_daemon_config_take_reloadable(a0ipc_daemon_config *c, a0ipc_daemon_config *fresh)
{
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        if (!(s->flags & A0IPC_SETTING_RELOADABLE))
            continue;
        swap_bytes(field(c, s), field(fresh, s), field_size(s));
        if (is_list(s))
            swap_bytes(count_field(c, s), count_field(fresh, s), sizeof(size_t));
    }
}

size_t a0ipc_daemon_config_restart_needed(const a0ipc_daemon_config *old,
                                          const a0ipc_daemon_config *now, char *buf, size_t size)
{
    size_t changed = 0, n = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        if ((s->flags & A0IPC_SETTING_RELOADABLE) || same_value(old, now, s))
            continue;
        changed++;
        if (n < size)
            n += (size_t)snprintf(buf + n, size - n, " %s", s->name);
    }
    return changed;
}

bool a0ipc_address_is_loopback(const char *addr)
{
    if (!strncmp(addr, "ipv4:", 5) || !strncmp(addr, "ipv6:", 5))
        addr += 5;
    /* Split "host:port" and "[v6]:port"; the host must be a literal loopback address or
     * "localhost" (resolved by the core to loopback only). */
    char host[256];
    const char *end;
    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return false;
        addr++;
    } else {
        end = strrchr(addr, ':');
        if (!end)
            return false;
    }
    size_t n = (size_t)(end - addr);
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, addr, n);
    host[n] = '\0';
    if (!strcmp(host, "localhost"))
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

bool a0ipc_address_is_unix(const char *addr)
{
    return !strncmp(addr, "unix:", 5) || !strncmp(addr, "unix-abstract:", 14);
}

int a0ipc_daemon_config_validate(const a0ipc_daemon_config *c, a0ipc_status *st)
{
    if (!!c->tls_cert != !!c->tls_key) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "TLS needs both tls-cert and tls-key (a0ipc certs init DIR makes a "
                         "development set)");
        return -1;
    }
    if (!c->tls_cert && (c->tls_ca || c->tls_client_cert != A0IPC_CLIENT_CERT_NONE)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "tls-ca and tls-client-cert need tls-cert and tls-key");
        return -1;
    }
    if (c->tls_client_cert != A0IPC_CLIENT_CERT_NONE && !c->tls_ca) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "tls-client-cert = %s needs tls-ca: the CA that signs client "
                         "certificates",
                         a0ipc_client_cert_mode_name((a0ipc_client_cert_mode)c->tls_client_cert));
        return -1;
    }
    for (size_t i = 0; i < c->n_listen; i++) {
        const char *a = c->listen[i];
        if (a0ipc_address_is_unix(a))
            continue;
        if (c->tls_cert) {
            /* TLS proves who the server is, not who the client is: something must. */
            if (!c->tokens_file && c->tls_client_cert != A0IPC_CLIENT_CERT_REQUIRED) {
                a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                 "refusing %s: with TLS alone anyone who reaches the port could "
                                 "call everything; set tokens-file, or tls-client-cert = required",
                                 a);
                return -1;
            }
            continue;
        }
        if (!c->insecure) {
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                             "refusing plaintext TCP on %s: TCP needs TLS (set tls-cert and "
                             "tls-key; a0ipc certs init DIR makes a development set); for local "
                             "testing only, pass --insecure with a loopback address",
                             a);
            return -1;
        }
        if (!a0ipc_address_is_loopback(a)) {
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                             "refusing plaintext TCP on %s: --insecure is allowed on loopback "
                             "addresses only (127.0.0.1, [::1], localhost)",
                             a);
            return -1;
        }
    }
    return 0;
}
