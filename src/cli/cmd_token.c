/* a0ipc token add|remove|list|hash: the tokens file of a0ipcd (security/tokens.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "security/tokens.h"

#define DEFAULT_TOKENS_FILE "/etc/a0ipc/tokens"

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: a0ipc token add NAME --allow PERMISSION... [--token-out FILE] [--tokens-file F]\n"
        "       a0ipc token remove NAME [--tokens-file F]\n"
        "       a0ipc token list [--tokens-file F] [--json]\n"
        "       a0ipc token hash < TOKEN\n\n"
        "add makes a random token (32 bytes), stores only its SHA-256 with NAME and the\n"
        "permissions in the tokens file, and prints the token once: on stdout, or into\n"
        "FILE (mode 0600) with --token-out. Permissions (repeat --allow, or separate with\n"
        "commas):\n"
        "  *                                  everything\n"
        "  service:a0.runtime.v1.Files        every method of a service\n"
        "  method:/a0.runtime.v1.Terminal/Run one method\n"
        "  files:read-only                    read files only; no writes even with *\n"
        "remove revokes a token. a0ipcd reads the file at start and on SIGHUP\n"
        "(systemctl reload a0ipcd).\n\n"
        "  --tokens-file F   default $A0IPC_TOKENS_FILE, else " DEFAULT_TOKENS_FILE "\n");
}

static const char *default_tokens_file(void)
{
    const char *v = getenv("A0IPC_TOKENS_FILE");
    return v && *v ? v : DEFAULT_TOKENS_FILE;
}

static int fail(a0ipc_status *st)
{
    fprintf(stderr, "a0ipc: %s\n", a0ipc_status_message(st));
    a0ipc_status_clear(st);
    return A0IPC_EXIT_ERROR;
}

/* Writes the token to a new file only its owner can read. */
static int write_token_file(const char *path, const char *token, a0ipc_status *st)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        a0ipc_status_from_errno(st, errno, "cannot create %s (it must not exist yet)", path);
        return -1;
    }
    size_t n = strlen(token);
    bool ok = write(fd, token, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (close(fd) != 0 || !ok) {
        a0ipc_status_from_errno(st, errno, "cannot write %s", path);
        unlink(path);
        return -1;
    }
    return 0;
}

static int add(const char *name, char **perms, size_t n_perms, const char *file,
               const char *token_out)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    char token[A0IPC_TOKEN_LEN + 1], hex[65];
    if (a0ipc_token_generate(token, sizeof token, &st) != 0)
        return fail(&st);
    a0ipc_token_hash_hex(token, strlen(token), hex);
    int rc = A0IPC_EXIT_OK;
    /* The token file first: if the tokens file then refuses, no usable token is left behind
     * without its hash, and a token whose hash is stored is never lost. */
    if (token_out && write_token_file(token_out, token, &st) != 0) {
        rc = fail(&st);
    } else if (a0ipc_tokens_file_add(file, name, hex, (const char *const *)perms, n_perms, &st) !=
               0) {
        if (token_out)
            unlink(token_out);
        rc = fail(&st);
    } else {
        if (!token_out)
            printf("%s\n", token);
        fprintf(stderr,
                "a0ipc: token %s added to %s%s%s. Only its hash is stored: keep the token now,\n"
                "it cannot be shown again. Make a0ipcd load it: kill -HUP <pid of a0ipcd>\n"
                "(systemctl reload a0ipcd).\n",
                name, file, token_out ? "; the token is in " : "", token_out ? token_out : "");
    }
    OPENSSL_cleanse(token, sizeof token);
    return rc;
}

/* One permission word, as `token add --allow` takes it: plain, or as a JSON string. */
static void permission(bool json, bool *first, const char *kind, const char *what)
{
    char word[512];
    snprintf(word, sizeof word, "%s%s", kind, what);
    if (!json) {
        printf(" %s", word);
        return;
    }
    printf("%s", *first ? "" : ",");
    a0ipc_cli_json_string(stdout, word);
    *first = false;
}

/* Each token's name and permissions; with --json one {"name", "permissions": [...]} a line. */
static int list(const char *file, bool json)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_token_table *t = a0ipc_token_table_load(file, &st);
    if (!t)
        return fail(&st);
    for (size_t i = 0; i < t->n; i++) {
        const a0ipc_perms *p = &t->entries[i].perms;
        bool first = true;
        if (json) {
            printf("{\"name\":");
            a0ipc_cli_json_string(stdout, t->entries[i].name);
            printf(",\"permissions\":[");
        } else {
            printf("%s", t->entries[i].name);
        }
        if (p->all)
            permission(json, &first, "*", "");
        for (size_t j = 0; j < p->n_services; j++)
            permission(json, &first, "service:", p->services[j]);
        for (size_t j = 0; j < p->n_methods; j++)
            permission(json, &first, "method:", p->methods[j]);
        if (p->files_read_only)
            permission(json, &first, "files:read-only", "");
        printf(json ? "]}\n" : "\n");
    }
    a0ipc_token_table_free(t);
    return A0IPC_EXIT_OK;
}

static int hash_stdin(void)
{
    char line[A0IPC_TOKEN_MAX + 2];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "a0ipc: give the token on standard input\n");
        return A0IPC_EXIT_USAGE;
    }
    size_t n = strcspn(line, "\r\n");
    char hex[65];
    a0ipc_token_hash_hex(line, n, hex);
    OPENSSL_cleanse(line, sizeof line);
    printf("%s\n", hex);
    return A0IPC_EXIT_OK;
}

const char *const a0ipc_token_subcommands[] = {"add", "remove", "list", "hash", NULL};
const struct option a0ipc_token_options[] = {
    {"allow", required_argument, NULL, 'a'},
    {"tokens-file", required_argument, NULL, 'f'},
    {"token-out", required_argument, NULL, 'o'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int a0ipc_cmd_token(int argc, char **argv)
{
    if (argc < 2)
        return a0ipc_cli_usage_error("token", "a subcommand (add, remove, list, hash) is missing");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return A0IPC_EXIT_OK;
    }
    if (argv[1][0] == '-')
        return a0ipc_cli_usage_error("token", "unknown option %s", argv[1]);
    const char *sub = argv[1];
    const char *file = default_tokens_file(), *token_out = NULL;
    char *perms[64];
    size_t n_perms = 0;
    bool json = false;
    int opt, rc = A0IPC_EXIT_USAGE;
    while ((opt = getopt_long(argc - 1, argv + 1, ":h", a0ipc_token_options, NULL)) != -1) {
        if (opt == 'a') {
            /* "--allow a,b" and "--allow a --allow b" alike. */
            char *save = NULL;
            for (char *w = strtok_r(optarg, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
                if (n_perms == sizeof perms / sizeof perms[0]) {
                    fprintf(stderr, "a0ipc: at most %zu permissions\n", n_perms);
                    return A0IPC_EXIT_USAGE;
                }
                perms[n_perms++] = w;
            }
        } else if (opt == 'f') {
            file = optarg;
        } else if (opt == 'o') {
            token_out = optarg;
        } else if (opt == 'j') {
            json = true;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            return a0ipc_cli_bad_option("token", opt, argv + 1);
        }
    }
    int n_args = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (!strcmp(sub, "add") && n_args == 1) {
        if (n_perms == 0) {
            fprintf(stderr, "a0ipc: say what the token may call: --allow PERMISSION (see a0ipc "
                            "token --help)\n");
            return A0IPC_EXIT_USAGE;
        }
        rc = add(args[0], perms, n_perms, file, token_out);
    } else if (!strcmp(sub, "remove") && n_args == 1) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        if (a0ipc_tokens_file_remove(file, args[0], &st) != 0)
            return fail(&st);
        fprintf(stderr,
                "a0ipc: token %s removed from %s; it stops working when a0ipcd reloads "
                "(kill -HUP <pid>, systemctl reload a0ipcd)\n",
                args[0], file);
        rc = A0IPC_EXIT_OK;
    } else if (!strcmp(sub, "list") && n_args == 0) {
        rc = list(file, json);
    } else if (!strcmp(sub, "hash") && n_args == 0) {
        rc = hash_stdin();
    } else if (strcmp(sub, "add") && strcmp(sub, "remove") && strcmp(sub, "list") &&
               strcmp(sub, "hash")) {
        rc = a0ipc_cli_usage_error("token", "unknown subcommand %s", sub);
    } else {
        rc = a0ipc_cli_usage_error("token", "wrong arguments for %s", sub);
    }
    return rc;
}
