#include "transport/legacy/legacy_ssh.h"

#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "common/clock.h"
#include "common/legacy_clean.h"
#include "common/log.h"
#include "transport/legacy/rfc_json.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 30000
#define SLICE_MS                   50   /* longest hold of the lock while a read waits */
#define SETTLE_QUIET_MS            1000 /* settled without a recognised prompt */

struct a0ipc_legacy_ssh {
    pthread_mutex_t lock; /* one operation on the libssh session at a time */
    ssh_session session;
    ssh_channel channel;
    a0ipc_jbuf full; /* raw output since the last command */
    uint8_t tail[4]; /* an unfinished UTF-8 character, held for the next read */
    size_t tail_len;
    char *prompt; /* the last line at settling, cleaned; NULL when none was recognised */
};

static void free_session(a0ipc_legacy_ssh *s)
{
    if (s->channel) {
        if (ssh_channel_is_open(s->channel))
            ssh_channel_close(s->channel);
        ssh_channel_free(s->channel);
    }
    if (s->session) {
        if (ssh_is_connected(s->session))
            ssh_disconnect(s->session);
        ssh_free(s->session);
    }
    a0ipc_jbuf_free(&s->full);
    free(s->prompt);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void a0ipc_legacy_ssh_close(a0ipc_legacy_ssh *s)
{
    if (s)
        free_session(s);
}

/* Checks the server's key against the pinned fingerprint, or takes it (the legacy's way). */
static a0ipc_code check_host_key(a0ipc_legacy_ssh *s, const a0ipc_legacy_ssh_config *cfg,
                                 const char *host, int port, a0ipc_status *st)
{
    static atomic_flag warned = ATOMIC_FLAG_INIT;
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL;
    if (ssh_get_server_publickey(s->session, &key) != SSH_OK ||
        ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0 ||
        !(fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen))) {
        ssh_clean_pubkey_hash(&hash);
        ssh_key_free(key);
        return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH %s:%d: no host key: %s", host, port,
                                ssh_get_error(s->session));
    }
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    a0ipc_code code = A0IPC_OK;
    if (cfg->host_key_sha256) {
        if (strcmp(fp, cfg->host_key_sha256) != 0)
            code = a0ipc_status_set(st, A0IPC_UNAUTHENTICATED,
                                    "SSH %s:%d: host key %s is not the expected %s", host, port, fp,
                                    cfg->host_key_sha256);
    } else if (!atomic_flag_test_and_set(&warned)) {
        A0IPC_LOGW("legacy SSH: taking the host key of %s:%d (%s) unverified, as the legacy did; "
                   "pin it with host_key_sha256",
                   host, port, fp);
    }
    ssh_string_free_char(fp);
    return code;
}

static a0ipc_code authenticate(a0ipc_legacy_ssh *s, const a0ipc_legacy_ssh_config *cfg,
                               const char *who, a0ipc_status *st)
{
    if (cfg->private_key_file) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(cfg->private_key_file, NULL, NULL, NULL, &key) != SSH_OK)
            return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "SSH: cannot read the key %s",
                                    cfg->private_key_file);
        int rc = ssh_userauth_publickey(s->session, NULL, key);
        ssh_key_free(key);
        if (rc == SSH_AUTH_SUCCESS)
            return A0IPC_OK;
        if (rc == SSH_AUTH_ERROR)
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH %s: %s", who,
                                    ssh_get_error(s->session));
    }
    if (cfg->password) {
        int rc = ssh_userauth_password(s->session, NULL, cfg->password);
        if (rc == SSH_AUTH_SUCCESS)
            return A0IPC_OK;
        if (rc == SSH_AUTH_ERROR)
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH %s: %s", who,
                                    ssh_get_error(s->session));
    }
    return a0ipc_status_set(st, A0IPC_UNAUTHENTICATED, "SSH %s: authentication refused", who);
}

static a0ipc_code write_all(a0ipc_legacy_ssh *s, const void *data, size_t len, a0ipc_status *st)
{
    const char *p = data;
    while (len > 0) {
        uint32_t n = len > (1u << 20) ? (1u << 20) : (uint32_t)len;
        int w = ssh_channel_write(s->channel, p, n);
        if (w <= 0)
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH: cannot write to the shell: %s",
                                    ssh_get_error(s->session));
        p += w;
        len -= (size_t)w;
    }
    return A0IPC_OK;
}

/* The legacy's prompt patterns (docs/legacy-protocol.md, "Terminal over SSH"), as POSIX extended
 * expressions. */
static const char *const prompt_patterns[] = {
    "(\\(venv\\)).+[$#] ?$",
    "root@[^:]+:[^#]+# ?$",
    "[a-zA-Z0-9_.-]+@[^:]+:[^$#]+[$#] ?$",
    "\\(?.*\\)?[[:space:]]*PS[[:space:]]+[^>]+> ?$",
};
#define N_PROMPTS (sizeof prompt_patterns / sizeof prompt_patterns[0])
static regex_t prompt_re[N_PROMPTS];
static bool prompt_ok;
static pthread_once_t prompt_once = PTHREAD_ONCE_INIT;

static void compile_prompts(void)
{
    prompt_ok = true;
    for (size_t i = 0; i < N_PROMPTS; i++)
        if (regcomp(&prompt_re[i], prompt_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
            prompt_ok = false; /* cannot happen with these; then nothing is a prompt */
}

/* The last non-empty line of cleaned text (caller frees; NULL when out of memory). */
static char *last_line(const char *cleaned)
{
    size_t end = strlen(cleaned);
    while (end > 0 && cleaned[end - 1] == '\n')
        end--;
    size_t start = end;
    while (start > 0 && cleaned[start - 1] != '\n')
        start--;
    return strndup(cleaned + start, end - start);
}

const char *a0ipc_legacy_ssh_prompt(const a0ipc_legacy_ssh *s)
{
    return s->prompt ? s->prompt : "";
}

bool a0ipc_legacy_ssh_is_prompt(const char *cleaned)
{
    pthread_once(&prompt_once, compile_prompts);
    if (!prompt_ok || !cleaned)
        return false;
    char *line = last_line(cleaned);
    if (!line)
        return false;
    bool match = false;
    for (size_t i = 0; i < N_PROMPTS && !match; i++)
        match = regexec(&prompt_re[i], line, 0, NULL, 0) == 0;
    free(line);
    return match;
}

/* Waits until the shell has said something and then gone quiet at a prompt (or for a second,
 * when its prompt is none of the legacy's), or the deadline. The output is not kept. */
static a0ipc_code settle(a0ipc_legacy_ssh *s, int64_t deadline, a0ipc_status *st)
{
    bool heard = false, at_prompt = false;
    int64_t quiet_since = 0;
    for (;;) {
        int64_t left = deadline - a0ipc_mono_ms();
        if (left <= 0)
            return a0ipc_status_set(st, A0IPC_DEADLINE_EXCEEDED,
                                    "SSH: the shell did not settle in time");
        a0ipc_legacy_ssh_output out;
        int64_t wait =
            heard ? (left < A0IPC_LEGACY_SSH_GAP_MS ? left : A0IPC_LEGACY_SSH_GAP_MS) : left;
        if (a0ipc_legacy_ssh_read_output(s, wait, &out, st) != A0IPC_OK)
            return st->code;
        bool got = out.raw_len > 0, eof = out.eof;
        if (got && (at_prompt = a0ipc_legacy_ssh_is_prompt(out.full))) {
            free(s->prompt);
            s->prompt = last_line(out.full);
        }
        a0ipc_legacy_ssh_output_clear(&out);
        if (eof)
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH: the shell ended at once");
        if (got) {
            heard = true;
            quiet_since = a0ipc_mono_ms();
            continue;
        }
        if (heard && (at_prompt || a0ipc_mono_ms() - quiet_since >= SETTLE_QUIET_MS)) {
            pthread_mutex_lock(&s->lock);
            s->full.len = 0;
            pthread_mutex_unlock(&s->lock);
            return A0IPC_OK;
        }
    }
}

a0ipc_legacy_ssh *a0ipc_legacy_ssh_connect(const a0ipc_legacy_ssh_config *cfg, a0ipc_status *st)
{
    const char *host = cfg->host ? cfg->host : "localhost";
    const char *user = cfg->user ? cfg->user : "root";
    int port = cfg->port ? cfg->port : A0IPC_LEGACY_SSH_DEFAULT_PORT;
    int64_t timeout =
        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    int64_t deadline = a0ipc_mono_ms() + timeout;
    char who[512];
    snprintf(who, sizeof who, "%s@%s:%d", user, host, port);
    if (!cfg->private_key_file && !cfg->password) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "SSH %s: no password and no key", who);
        return NULL;
    }
    a0ipc_legacy_ssh *s = calloc(1, sizeof *s);
    if (!s) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->session = ssh_new();
    if (!s->session) {
        free_session(s);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "SSH: out of memory");
        return NULL;
    }
    long secs = (long)(timeout / 1000), usecs = (long)(timeout % 1000) * 1000;
    bool no = false;
    ssh_options_set(s->session, SSH_OPTIONS_HOST, host);
    ssh_options_set(s->session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s->session, SSH_OPTIONS_USER, user);
    ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT, &secs);
    ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT_USEC, &usecs);
    /* Nothing from ~/.ssh: the settings here are all there is, as with paramiko. */
    ssh_options_set(s->session, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s->session, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    ssh_options_set(s->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");

    if (ssh_connect(s->session) != SSH_OK) {
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH %s: %s", who, ssh_get_error(s->session));
        free_session(s);
        return NULL;
    }
    if (check_host_key(s, cfg, host, port, st) != A0IPC_OK ||
        authenticate(s, cfg, who, st) != A0IPC_OK) {
        free_session(s);
        return NULL;
    }
    s->channel = ssh_channel_new(s->session);
    if (!s->channel || ssh_channel_open_session(s->channel) != SSH_OK ||
        ssh_channel_request_pty_size(s->channel, A0IPC_LEGACY_SSH_TERM, A0IPC_LEGACY_SSH_COLS,
                                     A0IPC_LEGACY_SSH_ROWS) != SSH_OK ||
        ssh_channel_request_shell(s->channel) != SSH_OK) {
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH %s: no shell: %s", who,
                         ssh_get_error(s->session));
        free_session(s);
        return NULL;
    }
    /* The set-up line; cwd goes in unquoted, as the legacy wrote it. */
    char *setup = NULL;
    if (asprintf(&setup, "%s%s%s" A0IPC_LEGACY_SSH_SETUP "\n", cfg->cwd ? "cd " : "",
                 cfg->cwd ? cfg->cwd : "", cfg->cwd ? "; " : "") < 0) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        free_session(s);
        return NULL;
    }
    /* The shell's greeting first, so the line is read by a shell at its prompt; then the
     * prompt that follows the line, by which time echo is off. */
    a0ipc_code code = settle(s, deadline, st);
    if (code == A0IPC_OK)
        code = write_all(s, setup, strlen(setup), st);
    free(setup);
    if (code == A0IPC_OK)
        code = settle(s, deadline, st);
    if (code != A0IPC_OK) {
        free_session(s);
        return NULL;
    }
    return s;
}

a0ipc_code a0ipc_legacy_ssh_send_command(a0ipc_legacy_ssh *s, const char *command, a0ipc_status *st)
{
    if (!command)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no command");
    size_t n = strlen(command);
    char *line = malloc(n + 2);
    if (!line)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    memcpy(line, command, n);
    line[n] = '\n';
    pthread_mutex_lock(&s->lock);
    s->full.len = 0; /* a new command: the collection starts again, as the legacy's */
    if (s->full.p)
        s->full.p[0] = '\0';
    a0ipc_code code = write_all(s, line, n + 1, st);
    pthread_mutex_unlock(&s->lock);
    free(line);
    return code;
}

a0ipc_code a0ipc_legacy_ssh_send_raw(a0ipc_legacy_ssh *s, const void *data, size_t len,
                                     a0ipc_status *st)
{
    pthread_mutex_lock(&s->lock);
    a0ipc_code code = write_all(s, data, len, st);
    pthread_mutex_unlock(&s->lock);
    return code;
}

void a0ipc_legacy_ssh_output_clear(a0ipc_legacy_ssh_output *o)
{
    free(o->full);
    free(o->partial);
    free(o->raw);
    *o = (a0ipc_legacy_ssh_output){0};
}

/* How many bytes at the end of b form the start of a UTF-8 character whose rest has not come. */
static size_t unfinished_utf8(const uint8_t *b, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        uint8_t c = b[len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back for its lead */
        size_t need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

/* One read of up to a chunk, waiting up to wait_ms; bytes, 0 for none, -1 on error. */
static int read_chunk(a0ipc_legacy_ssh *s, uint8_t *buf, int wait_ms, bool *eof)
{
    pthread_mutex_lock(&s->lock);
    int n = ssh_channel_read_timeout(s->channel, buf, A0IPC_LEGACY_SSH_CHUNK, 0, wait_ms);
    if (n == 0) /* with a PTY there is no stderr, but never leave a window filling up */
        n = ssh_channel_read_timeout(s->channel, buf, A0IPC_LEGACY_SSH_CHUNK, 1, 0);
    *eof = n == 0 && (ssh_channel_is_eof(s->channel) || !ssh_channel_is_open(s->channel));
    pthread_mutex_unlock(&s->lock);
    return n == SSH_AGAIN ? 0 : n;
}

a0ipc_code a0ipc_legacy_ssh_read_output(a0ipc_legacy_ssh *s, int64_t wait_ms,
                                        a0ipc_legacy_ssh_output *out, a0ipc_status *st)
{
    *out = (a0ipc_legacy_ssh_output){0};
    a0ipc_jbuf got = {0};
    pthread_mutex_lock(&s->lock);
    a0ipc_jbuf_add(&got, (const char *)s->tail, s->tail_len);
    s->tail_len = 0;
    pthread_mutex_unlock(&s->lock);
    int64_t start = a0ipc_mono_ms(), last = 0;
    bool heard = false, eof = false;
    uint8_t buf[A0IPC_LEGACY_SSH_CHUNK];
    for (;;) {
        int64_t t = a0ipc_mono_ms();
        /* Until wait_ms for the first bytes; after that while more comes within the gap. */
        int64_t until = start + (wait_ms > 0 ? wait_ms : 0);
        if (heard && last + A0IPC_LEGACY_SSH_GAP_MS < until)
            until = last + A0IPC_LEGACY_SSH_GAP_MS;
        int64_t left = until - t;
        int slice = left <= 0 ? 0 : left > SLICE_MS ? SLICE_MS : (int)left;
        int n = read_chunk(s, buf, slice, &eof);
        if (n < 0) {
            a0ipc_jbuf_free(&got);
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH: reading the shell: %s",
                                    ssh_get_error(s->session));
        }
        if (n > 0) {
            a0ipc_jbuf_add(&got, (const char *)buf, (size_t)n);
            heard = true;
            last = a0ipc_mono_ms();
            continue;
        }
        if (eof || left <= 0)
            break;
    }
    if (got.oom) {
        a0ipc_jbuf_free(&got);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "SSH: out of memory");
    }
    /* Hold an unfinished character for the next read, unless nothing more can come. */
    size_t hold = eof ? 0 : unfinished_utf8((const uint8_t *)got.p, got.len);
    got.len -= hold;
    pthread_mutex_lock(&s->lock);
    memcpy(s->tail, got.p + got.len, hold);
    s->tail_len = hold;
    got.p[got.len] = '\0';
    a0ipc_jbuf_add(&s->full, got.p, got.len);
    a0ipc_jbuf_add(&s->full, "", 0);
    out->full = a0ipc_legacy_clean_output((const uint8_t *)s->full.p, s->full.len, NULL);
    bool oom = s->full.oom;
    pthread_mutex_unlock(&s->lock);
    out->partial = a0ipc_legacy_clean_output((const uint8_t *)got.p, got.len, NULL);
    out->raw = (uint8_t *)got.p; /* moved; NUL-terminated by the buffer */
    out->raw_len = got.len;
    out->eof = eof;
    if (oom || !out->full || !out->partial) {
        a0ipc_legacy_ssh_output_clear(out);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "SSH: out of memory");
    }
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_ssh_read_raw(a0ipc_legacy_ssh *s, int64_t wait_ms, uint8_t *buf, size_t cap,
                                     size_t *n, bool *eof, a0ipc_status *st)
{
    *n = 0;
    *eof = false;
    int64_t until = a0ipc_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    while (*n + A0IPC_LEGACY_SSH_CHUNK <= cap) {
        /* Wait in slices (so sends get the lock between them) until the first bytes; after
         * them only take what is ready. */
        int64_t left = *n ? 0 : until - a0ipc_mono_ms();
        int slice = left <= 0 ? 0 : left > SLICE_MS ? SLICE_MS : (int)left;
        int got = read_chunk(s, buf + *n, slice, eof);
        if (got < 0)
            return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH: reading the shell: %s",
                                    ssh_get_error(s->session));
        *n += (size_t)got;
        if (got == 0 && (*eof || *n > 0 || left <= 0))
            break;
    }
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_ssh_resize(a0ipc_legacy_ssh *s, uint32_t rows, uint32_t cols,
                                   a0ipc_status *st)
{
    if (rows == 0 || cols == 0 || rows > 10000 || cols > 10000)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                "terminal size %u x %u: each must be 1..10000", rows, cols);
    pthread_mutex_lock(&s->lock);
    int rc = ssh_channel_change_pty_size(s->channel, (int)cols, (int)rows);
    pthread_mutex_unlock(&s->lock);
    if (rc != SSH_OK)
        return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "SSH: cannot resize the terminal: %s",
                                ssh_get_error(s->session));
    return A0IPC_OK;
}
