#include "security/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool a0ipc_token_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > A0IPC_TOKEN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void sha256(const char *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
        abort(); /* SHA-256 cannot fail short of a broken libcrypto: never fail open */
}

void a0ipc_token_hash_hex(const char *token, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[32];
    sha256(token, len, h);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[64] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_hash(const char *hex, unsigned char out[32])
{
    if (strlen(hex) != 64)
        return false;
    for (int i = 0; i < 32; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* Whoever can write the tokens file can grant themselves anything: it must belong to root or
 * to us, and not be writable by group or others. */
static int check_file_owner(const char *path, const struct stat *sb, a0ipc_status *st)
{
    if (!S_ISREG(sb->st_mode)) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "tokens file %s is not a regular file",
                         path);
        return -1;
    }
    if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "tokens file %s is writable by group or others: run chmod go-w %s", path,
                         path);
        return -1;
    }
    if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
        a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                         "tokens file %s belongs to uid %u: it must belong to root or to uid %u "
                         "(the user a0ipcd runs as)",
                         path, (unsigned)sb->st_uid, (unsigned)geteuid());
        return -1;
    }
    return 0;
}

void a0ipc_token_table_free(a0ipc_token_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        a0ipc_perms_free(&t->entries[i].perms);
    OPENSSL_cleanse(t->entries, t->n * sizeof *t->entries);
    free(t->entries);
    free(t);
}

/* Parses one non-comment line into e. Returns 0, or -1 with st set (without file:line). */
static int parse_line(char *line, a0ipc_token_entry *e, a0ipc_status *st)
{
    char *save = NULL;
    const char *name = strtok_r(line, " \t", &save);
    const char *hash = strtok_r(NULL, " \t", &save);
    if (!a0ipc_token_name_valid(name)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "token name \"%.80s\" must be 1 to %d of A-Z a-z 0-9 . _ -", name,
                         A0IPC_TOKEN_NAME_MAX);
        return -1;
    }
    snprintf(e->name, sizeof e->name, "%s", name);
    if (!hash || !parse_hash(hash, e->hash)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "token %s: the second field must be the token's SHA-256 in 64 hex "
                         "digits (a0ipc token add writes it)",
                         name);
        return -1;
    }
    const char *word;
    while ((word = strtok_r(NULL, " \t", &save)) != NULL)
        if (a0ipc_perms_add(&e->perms, word, st) != 0)
            return -1;
    if (!e->perms.all && !e->perms.files_read_only && !e->perms.n_services && !e->perms.n_methods) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "token %s has no permissions: add *, service:..., method:... or "
                         "files:read-only after its hash",
                         name);
        return -1;
    }
    return 0;
}

static int check_unique(const a0ipc_token_table *t, const a0ipc_token_entry *e, a0ipc_status *st)
{
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(t->entries[i].name, e->name)) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "token name %s is used twice", e->name);
            return -1;
        }
        if (!memcmp(t->entries[i].hash, e->hash, sizeof e->hash)) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "tokens %s and %s have the same hash",
                             t->entries[i].name, e->name);
            return -1;
        }
    }
    return 0;
}

a0ipc_token_table *a0ipc_token_table_load(const char *path, a0ipc_status *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        a0ipc_status_from_errno(st, errno, "cannot read tokens file %s", path);
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || check_file_owner(path, &sb, st) != 0) {
        if (st->code == A0IPC_OK)
            a0ipc_status_from_errno(st, errno, "cannot read tokens file %s", path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    a0ipc_token_table *t = calloc(1, sizeof *t);
    if (!f || !t) {
        if (f)
            fclose(f);
        else
            close(fd);
        free(t);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *text = line + strspn(line, " \t");
        if (!*text || *text == '#')
            continue;
        a0ipc_token_entry *grown = realloc(t->entries, (t->n + 1) * sizeof *grown);
        if (!grown) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            ok = false;
            break;
        }
        t->entries = grown;
        a0ipc_token_entry *e = &t->entries[t->n];
        memset(e, 0, sizeof *e);
        if (parse_line(text, e, st) != 0 || check_unique(t, e, st) != 0) {
            char *why = strdup(a0ipc_status_message(st));
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s:%d: %s", path, lineno,
                             why ? why : "invalid line");
            free(why);
            a0ipc_perms_free(&e->perms);
            ok = false;
            break;
        }
        t->n++;
    }
    if (ok && ferror(f)) {
        a0ipc_status_from_errno(st, errno, "cannot read tokens file %s", path);
        ok = false;
    }
    free(line);
    fclose(f);
    if (!ok) {
        a0ipc_token_table_free(t);
        return NULL;
    }
    return t;
}

const a0ipc_token_entry *a0ipc_token_table_find(const a0ipc_token_table *t, const char *token,
                                                size_t len)
{
    if (!t || len == 0 || len > A0IPC_TOKEN_MAX)
        return NULL;
    unsigned char h[32];
    sha256(token, len, h);
    const a0ipc_token_entry *found = NULL;
    for (size_t i = 0; i < t->n; i++) {
        /* No early exit on a match either: every entry costs the same. */
        bool same = CRYPTO_memcmp(h, t->entries[i].hash, sizeof h) == 0;
        if (same && !found)
            found = &t->entries[i];
    }
    OPENSSL_cleanse(h, sizeof h);
    return found;
}

/* Unpadded base64url (RFC 4648 §5): safe in headers, file names and shells. */
static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}

int a0ipc_token_generate(char *out, size_t cap, a0ipc_status *st)
{
    unsigned char raw[32];
    if (cap < A0IPC_TOKEN_LEN + 1) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "token buffer too small");
        return -1;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "the system's random generator failed");
        return -1;
    }
    memcpy(out, A0IPC_TOKEN_PREFIX, sizeof A0IPC_TOKEN_PREFIX - 1);
    base64url(raw, sizeof raw, out + sizeof A0IPC_TOKEN_PREFIX - 1);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

/* ---- editing the file (a0ipc token add / remove) ---- */

/* Opens path locked for writing; retries when another writer replaced the file while we
 * waited for the lock (a remove renames a new file into place). */
static int open_locked(const char *path, bool create, struct stat *sb, a0ipc_status *st)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
        if (fd < 0) {
            a0ipc_status_from_errno(st, errno, "cannot open tokens file %s", path);
            return -1;
        }
        struct stat now;
        if (flock(fd, LOCK_EX) != 0 || fstat(fd, sb) != 0) {
            a0ipc_status_from_errno(st, errno, "cannot lock tokens file %s", path);
            close(fd);
            return -1;
        }
        if (stat(path, &now) == 0 && now.st_ino == sb->st_ino && now.st_dev == sb->st_dev) {
            if (check_file_owner(path, sb, st) != 0) {
                close(fd);
                return -1;
            }
            return fd;
        }
        close(fd);
    }
    a0ipc_status_set(st, A0IPC_ABORTED, "tokens file %s keeps changing; try again", path);
    return -1;
}

static char *read_all(int fd, size_t *len, a0ipc_status *st)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            return NULL;
        }
        ssize_t got = pread(fd, buf + n, cap - n, (off_t)n);
        if (got < 0) {
            a0ipc_status_from_errno(st, errno, "cannot read the tokens file");
            free(buf);
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown)
                free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The name on a line (the first field), or NULL for comments and blank lines; *n its length. */
static const char *line_name(const char *line, const char *end, size_t *n)
{
    while (line < end && (*line == ' ' || *line == '\t'))
        line++;
    if (line == end || *line == '#' || *line == '\n' || *line == '\r')
        return NULL;
    const char *p = line;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        p++;
    *n = (size_t)(p - line);
    return line;
}

static bool has_name(const char *text, size_t len, const char *name)
{
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        size_t n;
        const char *found = line_name(line, stop, &n);
        if (found && n == strlen(name) && !memcmp(found, name, n))
            return true;
        line = nl ? nl + 1 : end;
    }
    return false;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int a0ipc_tokens_file_add(const char *path, const char *name, const char *hash_hex,
                          const char *const *perms, size_t n_perms, a0ipc_status *st)
{
    unsigned char hash[32];
    if (!a0ipc_token_name_valid(name)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "token name \"%s\" must be 1 to %d of A-Z a-z 0-9 . _ -", name,
                         A0IPC_TOKEN_NAME_MAX);
        return -1;
    }
    if (!parse_hash(hash_hex, hash)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "not a SHA-256 in hex");
        return -1;
    }
    a0ipc_perms check = {0};
    for (size_t i = 0; i < n_perms; i++) {
        if (a0ipc_perms_add(&check, perms[i], st) != 0) {
            a0ipc_perms_free(&check);
            return -1;
        }
    }
    a0ipc_perms_free(&check);
    if (n_perms == 0) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "a token needs at least one permission (--allow)");
        return -1;
    }

    struct stat sb;
    int fd = open_locked(path, true, &sb, st);
    if (fd < 0)
        return -1;
    size_t len;
    char *text = read_all(fd, &len, st);
    int rc = -1;
    if (!text)
        goto out;
    if (has_name(text, len, name)) {
        a0ipc_status_set(st, A0IPC_ALREADY_EXISTS,
                         "%s already has a token named %s: pick another name, or remove the old "
                         "one first (a0ipc token remove %s)",
                         path, name, name);
        goto out;
    }
    size_t cap = 200 + strlen(name);
    for (size_t i = 0; i < n_perms; i++)
        cap += strlen(perms[i]) + 1;
    char *line = malloc(cap);
    if (!line) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t n = 0;
    if (len == 0)
        n += (size_t)snprintf(line, cap, "# a0ipcd tokens: NAME SHA256-OF-TOKEN PERMISSIONS...\n");
    else if (text[len - 1] != '\n')
        line[n++] = '\n';
    n += (size_t)snprintf(line + n, cap - n, "%s %s", name, hash_hex);
    for (size_t i = 0; i < n_perms; i++)
        n += (size_t)snprintf(line + n, cap - n, " %s", perms[i]);
    line[n++] = '\n';
    if (lseek(fd, 0, SEEK_END) < 0 || write_all(fd, line, n) != 0 || fsync(fd) != 0)
        a0ipc_status_from_errno(st, errno, "cannot write tokens file %s", path);
    else
        rc = 0;
    free(line);
out:
    free(text);
    close(fd);
    return rc;
}

int a0ipc_tokens_file_remove(const char *path, const char *name, a0ipc_status *st)
{
    struct stat sb;
    int fd = open_locked(path, false, &sb, st);
    if (fd < 0)
        return -1;
    size_t len;
    char *text = read_all(fd, &len, st);
    char tmp[4096];
    int rc = -1, out_fd = -1;
    if (!text)
        goto out;
    if (!has_name(text, len, name)) {
        a0ipc_status_set(st, A0IPC_NOT_FOUND, "%s has no token named %s", path, name);
        goto out;
    }
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "tokens file path too long");
        goto out;
    }
    /* A new file renamed into place: the daemon never reads half a file. */
    out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, sb.st_mode & 0644);
    if (out_fd < 0 || fchown(out_fd, sb.st_uid, sb.st_gid) != 0) {
        a0ipc_status_from_errno(st, errno, "cannot write %s", tmp);
        goto out;
    }
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *next = nl ? nl + 1 : end;
        size_t n;
        const char *found = line_name(line, next, &n);
        bool drop = found && n == strlen(name) && !memcmp(found, name, n);
        if (!drop && write_all(out_fd, line, (size_t)(next - line)) != 0) {
            a0ipc_status_from_errno(st, errno, "cannot write %s", tmp);
            goto out;
        }
        line = next;
    }
    if (fsync(out_fd) != 0 || rename(tmp, path) != 0) {
        a0ipc_status_from_errno(st, errno, "cannot replace %s", path);
        goto out;
    }
    rc = 0;
out:
    if (out_fd >= 0) {
        close(out_fd);
        if (rc != 0)
            unlink(tmp);
    }
    free(text);
    close(fd);
    return rc;
}
