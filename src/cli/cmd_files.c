/* a0ipc's file commands: stat, ls, get, put, rm, mkdir, mv, archive, watch. They go through the
 * adapter interface, so they work over whatever transport they are given. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "a0/runtime/v1/files.pb-c.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/runner.h"
#include "transport/proto_mirrors.h"

static const char *type_name(a0ipc_file_type t)
{
    switch (t) {
    case A0IPC_FILE_REGULAR:
        return "file";
    case A0IPC_FILE_DIR:
        return "dir";
    case A0IPC_FILE_SYMLINK:
        return "symlink";
    default:
        return "other";
    }
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_FILE_TYPE_MIRRORS_PROTO;

/* fi as the proto's FileInfo. */
static void file_info_pb(const a0ipc_file_info *fi, A0__Runtime__V1__FileInfo *pb)
{
    *pb = (A0__Runtime__V1__FileInfo)A0__RUNTIME__V1__FILE_INFO__INIT;
    pb->name = fi->name ? fi->name : "";
    pb->path = fi->path ? fi->path : "";
    pb->type = (A0__Runtime__V1__FileType)fi->type;
    pb->size = fi->size;
    pb->mode = fi->mode;
    pb->mtime_ns = fi->mtime_ns;
    pb->symlink_target = fi->symlink_target ? fi->symlink_target : "";
}

static void print_info(const a0ipc_file_info *fi)
{
    char when[32];
    time_t secs = (time_t)(fi->mtime_ns / 1000000000);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&secs, &tm));
    printf("%-7s %04o %12llu %s %s%s%s\n", type_name(fi->type), fi->mode,
           (unsigned long long)fi->size, when, fi->path,
           fi->type == A0IPC_FILE_SYMLINK ? " -> " : "",
           fi->type == A0IPC_FILE_SYMLINK ? fi->symlink_target : "");
}

static int run_stat(a0ipc_cli *cli, int argc, char **argv)
{
    a0ipc_file_info fi;
    if (a0ipc_stat(cli->t, &cli->call, argv[0], a0ipc_cli_flag(cli, "follow"), &fi, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__FileInfo info;
        file_info_pb(&fi, &info);
        A0__Runtime__V1__StatResponse r = A0__RUNTIME__V1__STAT_RESPONSE__INIT;
        r.info = &info;
        a0ipc_cli_json_message(stdout, &r.base);
    } else {
        print_info(&fi);
    }
    a0ipc_file_info_clear(&fi);
    return A0IPC_EXIT_OK;
}

static int run_ls(a0ipc_cli *cli, int argc, char **argv)
{
    long long depth = a0ipc_cli_number(cli, "depth", 1);
    if (depth < 0)
        return A0IPC_EXIT_USAGE;
    a0ipc_file_list *l = NULL;
    if (a0ipc_list_dir(cli->t, &cli->call, argc ? argv[0] : ".", (uint32_t)depth,
                       a0ipc_cli_flag(cli, "all"), &l, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__FileInfo *infos = calloc(l->n_entries + 1, sizeof *infos);
        A0__Runtime__V1__FileInfo **ptrs = calloc(l->n_entries + 1, sizeof *ptrs);
        if (!infos || !ptrs) {
            free(infos);
            free(ptrs);
            a0ipc_file_list_free(l);
            return A0IPC_EXIT_ERROR;
        }
        for (size_t i = 0; i < l->n_entries; i++) {
            file_info_pb(&l->entries[i], &infos[i]);
            ptrs[i] = &infos[i];
        }
        A0__Runtime__V1__ListDirResponse r = A0__RUNTIME__V1__LIST_DIR_RESPONSE__INIT;
        r.entries = ptrs;
        r.n_entries = l->n_entries;
        r.truncated = l->truncated;
        a0ipc_cli_json_message(stdout, &r.base);
        free(infos);
        free(ptrs);
    } else {
        for (size_t i = 0; i < l->n_entries; i++)
            print_info(&l->entries[i]);
    }
    if (l->truncated)
        fprintf(stderr, "a0ipc: the listing was cut short; list subdirectories separately\n");
    a0ipc_file_list_free(l);
    return A0IPC_EXIT_OK;
}

/* ---- get ---- */

typedef struct sink_file {
    int fd;
    EVP_MD_CTX *sha;
    uint64_t bytes;
    a0ipc_progress progress;
} sink_file;

static int write_sink(void *arg, const uint8_t *data, size_t len)
{
    sink_file *s = arg;
    EVP_DigestUpdate(s->sha, data, len);
    s->bytes += len;
    a0ipc_progress_add(&s->progress, len);
    while (len) {
        ssize_t w = write(s->fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1; /* stops the download: reported below from errno */
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The summary of a transfer: on stderr "WHAT: N bytes, sha256 HEX" (unless --quiet); with
 * --json on stdout the WriteResponse of put, or for get and archive the same fields with the
 * local path (the proto has no message for a finished download). */
static void print_sha(const a0ipc_cli *cli, const char *what, const unsigned char *sha,
                      uint64_t bytes)
{
    if (cli->json) {
        A0__Runtime__V1__WriteResponse r = A0__RUNTIME__V1__WRITE_RESPONSE__INIT;
        r.bytes_written = bytes;
        r.sha256 = (ProtobufCBinaryData){32, (uint8_t *)sha};
        if (strcmp(cli->cmd->name, "put") != 0) {
            printf("{\"path\":");
            a0ipc_cli_json_string(stdout, what);
            printf(",\"bytesRead\":\"%llu\",\"sha256\":", (unsigned long long)bytes);
            a0ipc_cli_json_bytes(stdout, sha, 32);
            printf("}\n");
        } else {
            a0ipc_cli_json_message(stdout, &r.base);
        }
        return;
    }
    if (cli->quiet)
        return;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
    fprintf(stderr, "%s: %llu bytes, sha256 %s\n", what, (unsigned long long)bytes, hex);
}

/* What a download reads: a file (get) or an archive of a directory. */
typedef struct download {
    const char *remote;
    bool archive;
    a0ipc_archive_format format;
    bool base_name;
} download;

/* Streams d into local ("-": stdout). A file is written to a temporary name beside it and
 * renamed when complete, so a failed download leaves the local file as it was. Prints the
 * SHA-256 of what arrived. */
static int download_to(a0ipc_cli *cli, const download *d, const char *local)
{
    bool to_stdout = !strcmp(local, "-");
    char tmp[4096];
    sink_file s = {STDOUT_FILENO, EVP_MD_CTX_new(), 0, {0}};
    bool progress = !cli->quiet && !cli->json;
    uint64_t size = 0;
    if (progress && !d->archive && isatty(STDERR_FILENO)) {
        /* The size, for the percentage and ETA; without it the line shows bytes and rate. */
        a0ipc_file_info fi;
        a0ipc_status st = A0IPC_STATUS_INIT;
        if (a0ipc_stat(cli->t, &cli->call, d->remote, true, &fi, &st) == A0IPC_OK) {
            size = fi.size;
            a0ipc_file_info_clear(&fi);
        }
        a0ipc_status_clear(&st);
    }
    a0ipc_progress_start(&s.progress, progress, to_stdout ? d->remote : local, size);
    if (!s.sha || !EVP_DigestInit_ex(s.sha, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(s.sha);
        return A0IPC_EXIT_ERROR;
    }
    if (!to_stdout) {
        snprintf(tmp, sizeof tmp, "%s.a0ipc-XXXXXX", local);
        if ((s.fd = mkstemp(tmp)) < 0) {
            fprintf(stderr, "a0ipc: cannot write %s: %s\n", local, strerror(errno));
            EVP_MD_CTX_free(s.sha);
            return A0IPC_EXIT_ERROR;
        }
    }
    int rc = A0IPC_EXIT_OK;
    errno = 0;
    a0ipc_code code =
        d->archive ? a0ipc_archive(cli->t, &cli->call, d->remote, d->format, d->base_name,
                                   write_sink, &s, &cli->st)
                   : a0ipc_read(cli->t, &cli->call, d->remote, 0, 0, write_sink, &s, &cli->st);
    a0ipc_progress_end(&s.progress, code == A0IPC_OK);
    if (code == A0IPC_CANCELLED && errno) {
        fprintf(stderr, "a0ipc: writing %s: %s\n", local, strerror(errno));
        rc = A0IPC_EXIT_ERROR;
    } else if (code != A0IPC_OK) {
        rc = a0ipc_cli_fail(cli);
    }
    if (!to_stdout) {
        if (rc == A0IPC_EXIT_OK && (fsync(s.fd) != 0 || rename(tmp, local) != 0)) {
            fprintf(stderr, "a0ipc: cannot write %s: %s\n", local, strerror(errno));
            rc = A0IPC_EXIT_ERROR;
        }
        close(s.fd);
        if (rc != A0IPC_EXIT_OK)
            unlink(tmp);
    }
    unsigned char sha[32];
    EVP_DigestFinal_ex(s.sha, sha, NULL);
    EVP_MD_CTX_free(s.sha);
    if (rc == A0IPC_EXIT_OK && !to_stdout)
        print_sha(cli, local, sha, s.bytes);
    return rc;
}

static int run_get(a0ipc_cli *cli, int argc, char **argv)
{
    const char *remote = argv[0], *slash = strrchr(remote, '/');
    download d = {.remote = remote};
    return download_to(cli, &d, argc > 1 ? argv[1] : slash ? slash + 1 : remote);
}

/* ---- put ---- */

typedef struct source_file {
    int fd;
    a0ipc_progress progress;
} source_file;

static ssize_t read_source(void *arg, uint8_t *buf, size_t cap)
{
    source_file *s = arg;
    ssize_t n;
    do
        n = read(s->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        a0ipc_progress_add(&s->progress, (uint64_t)n);
    return n < 0 ? -1 : n;
}

/* SHA-256 of a whole file, read once before the upload so the daemon can check it. */
static int sha256_file(int fd, unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[1 << 16];
    ssize_t n;
    int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ? 0 : -1;
    while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0)
        rc = n < 0 ? -1 : EVP_DigestUpdate(ctx, buf, (size_t)n) ? 0 : -1;
    if (rc == 0 && !EVP_DigestFinal_ex(ctx, out, NULL))
        rc = -1;
    EVP_MD_CTX_free(ctx);
    return rc == 0 && lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static int run_put(a0ipc_cli *cli, int argc, char **argv)
{
    const char *local = argv[0], *remote = argv[1];
    long long mode = a0ipc_cli_number(cli, "mode", 0);
    if (mode < 0)
        return A0IPC_EXIT_USAGE;
    if (mode > 0777)
        return a0ipc_cli_usage_error(cli->cmd->name, "--mode takes permission bits, 0 to 0777");
    source_file s = {STDIN_FILENO, {0}};
    if (strcmp(local, "-") && (s.fd = open(local, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "a0ipc: cannot read %s: %s\n", local, strerror(errno));
        return A0IPC_EXIT_ERROR;
    }
    a0ipc_write_options w = {.path = remote,
                             .mode = (uint32_t)mode,
                             .create_parents = a0ipc_cli_flag(cli, "parents"),
                             .overwrite = a0ipc_cli_flag(cli, "no-overwrite")
                                              ? A0IPC_OVERWRITE_FAIL
                                              : A0IPC_OVERWRITE_REPLACE};
    unsigned char sha[32];
    struct stat sb;
    if (fstat(s.fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (sha256_file(s.fd, sha) != 0) {
            fprintf(stderr, "a0ipc: cannot read %s: %s\n", local, strerror(errno));
            close(s.fd);
            return A0IPC_EXIT_ERROR;
        }
        /* The daemon checks both and publishes nothing on a mismatch. */
        w.expected_sha256 = sha;
        w.has_expected_size = true;
        w.expected_size = (uint64_t)sb.st_size;
    }
    a0ipc_progress_start(&s.progress, !cli->quiet && !cli->json, local,
                         w.has_expected_size ? w.expected_size : 0);
    a0ipc_write_result r;
    a0ipc_code code = a0ipc_write(cli->t, &cli->call, &w, read_source, &s, &r, &cli->st);
    a0ipc_progress_end(&s.progress, code == A0IPC_OK);
    if (s.fd != STDIN_FILENO)
        close(s.fd);
    if (code != A0IPC_OK)
        return a0ipc_cli_fail(cli);
    print_sha(cli, remote, r.sha256, r.bytes_written);
    return A0IPC_EXIT_OK;
}

/* ---- rm, mkdir, mv ---- */

static int run_rm(a0ipc_cli *cli, int argc, char **argv)
{
    bool removed;
    if (a0ipc_remove(cli->t, &cli->call, argv[0], a0ipc_cli_flag(cli, "recursive"),
                     a0ipc_cli_flag(cli, "force"), A0IPC_FILE_UNSPECIFIED, &removed, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__RemoveResponse r = A0__RUNTIME__V1__REMOVE_RESPONSE__INIT;
        r.removed = removed;
        a0ipc_cli_json_message(stdout, &r.base);
    }
    return A0IPC_EXIT_OK;
}

static int run_mkdir(a0ipc_cli *cli, int argc, char **argv)
{
    bool parents = a0ipc_cli_flag(cli, "parents"), created;
    long long mode = a0ipc_cli_number(cli, "mode", 0);
    if (mode < 0)
        return A0IPC_EXIT_USAGE;
    if (mode > 0777)
        return a0ipc_cli_usage_error(cli->cmd->name, "--mode takes permission bits, 0 to 0777");
    if (a0ipc_make_dir(cli->t, &cli->call, argv[0], (uint32_t)mode, parents, parents, &created,
                       &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__MakeDirResponse r = A0__RUNTIME__V1__MAKE_DIR_RESPONSE__INIT;
        r.created = created;
        a0ipc_cli_json_message(stdout, &r.base);
    }
    return A0IPC_EXIT_OK;
}

static int run_mv(a0ipc_cli *cli, int argc, char **argv)
{
    if (a0ipc_move(cli->t, &cli->call, argv[0], argv[1], a0ipc_cli_flag(cli, "overwrite"),
                   a0ipc_cli_flag(cli, "parents"), &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) { /* the transport does not say whether it copied: the empty response */
        A0__Runtime__V1__MoveResponse r = A0__RUNTIME__V1__MOVE_RESPONSE__INIT;
        a0ipc_cli_json_message(stdout, &r.base);
    }
    return A0IPC_EXIT_OK;
}

/* ---- archive ---- */

static int run_archive(a0ipc_cli *cli, int argc, char **argv)
{
    const char *format = a0ipc_cli_value(cli, "format");
    download d = {.remote = argv[0],
                  .archive = true,
                  .format = A0IPC_ARCHIVE_ZIP,
                  .base_name = a0ipc_cli_flag(cli, "base-name")};
    if (format && !strcmp(format, "tar.gz"))
        d.format = A0IPC_ARCHIVE_TAR_GZ;
    else if (format && strcmp(format, "zip"))
        return a0ipc_cli_usage_error("archive", "--format is zip or tar.gz, not \"%s\"", format);
    return download_to(cli, &d, argv[1]);
}

/* ---- watch ---- */

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_WATCH_TYPE_MIRRORS_PROTO;

static int print_event(void *arg, const a0ipc_watch_event *ev)
{
    static const char *const names[] = {"?",      "READY",  "CREATE",  "MODIFY",
                                        "REMOVE", "RENAME", "OVERFLOW"};
    bool json = *(bool *)arg;
    const char *name = (unsigned)ev->type < 7 ? names[ev->type] : "?";
    if (json) { /* one WatchResponse per event, as the stream delivers them */
        A0__Runtime__V1__WatchEvent e = A0__RUNTIME__V1__WATCH_EVENT__INIT, *events[1] = {&e};
        e.type = (A0__Runtime__V1__WatchEventType)ev->type;
        e.path = (char *)(ev->path ? ev->path : "");
        e.old_path = (char *)(ev->old_path ? ev->old_path : "");
        e.is_dir = ev->is_dir;
        A0__Runtime__V1__WatchResponse r = A0__RUNTIME__V1__WATCH_RESPONSE__INIT;
        r.events = events;
        r.n_events = 1;
        a0ipc_cli_json_message(stdout, &r.base);
    } else if (ev->type == A0IPC_WATCH_RENAME) {
        printf("%-8s %s -> %s\n", name, ev->old_path, ev->path);
    } else {
        printf("%-8s %s%s\n", name, ev->path, ev->is_dir ? "/" : "");
    }
    fflush(stdout);
    return 0;
}

static int run_watch(a0ipc_cli *cli, int argc, char **argv)
{
    a0ipc_call_options o = cli->call;
    if (o.timeout_ms == 0)
        o.timeout_ms = -1; /* until interrupted, unless --timeout says otherwise */
    a0ipc_code code = a0ipc_watch(cli->t, &o, argv[0], a0ipc_cli_flag(cli, "recursive"),
                                  print_event, &cli->json, &cli->st);
    /* A watch that reaches its --timeout did what was asked. */
    if (code == A0IPC_OK || (code == A0IPC_DEADLINE_EXCEEDED && cli->call.timeout_ms > 0))
        return A0IPC_EXIT_OK;
    return a0ipc_cli_fail(cli);
}

static const a0ipc_cli_cmd cmds[] = {
    {"stat",
     "PATH",
     "Describe a path on the runtime host.",
     1,
     1,
     {{"follow", false, "describe a symlink's target"}},
     run_stat,
     false},
    {"ls",
     "[DIR]",
     "List a directory (default: the root).",
     0,
     1,
     {{"depth", true, "levels to list (default 1)"}, {"all", false, "include hidden entries"}},
     run_ls,
     false},
    {"get",
     "REMOTE [LOCAL|-]",
     "Download a file (to LOCAL, replaced only when complete).",
     1,
     2,
     {{NULL, false, NULL}},
     run_get,
     false},
    {"put",
     "LOCAL|- REMOTE",
     "Upload a file; it appears atomically, SHA-256 checked.",
     2,
     2,
     {{"parents", false, "create missing parent directories"},
      {"no-overwrite", false, "fail if REMOTE exists"},
      {"mode", true, "permission bits, e.g. 0644"}},
     run_put,
     false},
    {"rm",
     "PATH",
     "Remove a file, symlink or directory.",
     1,
     1,
     {{"recursive", false, "a directory with its content"},
      {"force", false, "a missing path is not an error"}},
     run_rm,
     false},
    {"mkdir",
     "DIR",
     "Create a directory.",
     1,
     1,
     {{"parents", false, "create parents; an existing directory is fine"},
      {"mode", true, "permission bits, e.g. 0755"}},
     run_mkdir,
     false},
    {"mv",
     "SRC DST",
     "Move or rename.",
     2,
     2,
     {{"overwrite", false, "replace DST"}, {"parents", false, "create DST's parents"}},
     run_mv,
     false},
    {"archive",
     "DIR LOCAL|-",
     "Download a directory as a zip (or tar.gz).",
     2,
     2,
     {{"format", true, "zip (default) or tar.gz"},
      {"base-name", false, "prefix entries with the directory's name"}},
     run_archive,
     false},
    {"watch",
     "DIR",
     "Print changes under a directory until interrupted.",
     1,
     1,
     {{"recursive", false, "also subdirectories"}},
     run_watch,
     false},
};

const a0ipc_cli_cmd *a0ipc_cli_files_commands(size_t *n)
{
    *n = sizeof cmds / sizeof cmds[0];
    return cmds;
}
