/* Archive: a ZIP or tar.gz of a directory, written by libarchive straight into the caller's sink.
 *
 * The walk holds directory fds and opens every entry relative to its directory without following
 * symlinks, so what is archived is what lies beneath the root even if the tree changes meanwhile;
 * a symlink is stored as its text and never read through. Memory is one output buffer plus one
 * read buffer, whatever the size of the tree. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

#define READ_BUF (256u * 1024u)

typedef struct archive_job {
    struct archive *a;
    a0ipc_files_sink_fn sink;
    void *sink_arg;
    a0ipc_status *st;
    a0ipc_code sink_code; /* the sink's refusal, which ends the archive */
    bool abandoned;       /* output goes nowhere from now on (see on_write) */
    unsigned char *out;   /* A0IPC_FILES_CHUNK_MAX bytes, collected before each sink call */
    size_t out_len;
    char *rbuf;      /* READ_BUF bytes */
    const char *rel; /* the archived directory, for messages */
} archive_job;

static int flush_out(archive_job *j)
{
    if (j->abandoned)
        j->out_len = 0;
    if (j->out_len == 0)
        return 0;
    a0ipc_code c = j->sink(j->sink_arg, j->out, j->out_len, j->st);
    j->out_len = 0;
    if (c) {
        j->sink_code = c;
        if (j->st->code != c)
            a0ipc_status_set(j->st, c, "archive %s: the receiver stopped", j->rel);
        return -1;
    }
    return 0;
}

/* libarchive's output callback: fills the chunk buffer, handing full chunks to the sink.
 *
 * It never reports failure to libarchive: an archive whose output failed becomes FATAL and then
 * leaks its compressor state when freed. When the sink refuses, the job is abandoned instead:
 * output is dropped from then on, the walk sees sink_code and stops, and the archive is closed
 * normally into nothing. */
static la_ssize_t on_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    archive_job *j = arg;
    const unsigned char *p = buf;
    size_t left = j->abandoned ? 0 : len;
    while (left) {
        size_t n = A0IPC_FILES_CHUNK_MAX - j->out_len;
        if (n > left)
            n = left;
        memcpy(j->out + j->out_len, p, n);
        j->out_len += n;
        p += n;
        left -= n;
        if (j->out_len == A0IPC_FILES_CHUNK_MAX && flush_out(j)) {
            j->abandoned = true;
            break;
        }
    }
    return (la_ssize_t)len;
}

static int on_close(struct archive *a, void *arg)
{
    archive_job *j = arg;
    if (flush_out(j))
        j->abandoned = true;
    return ARCHIVE_OK;
}

/* Fills st from a libarchive failure, unless the sink already said why. */
static a0ipc_code archive_fail(archive_job *j, const char *what)
{
    if (j->sink_code)
        return j->sink_code;
    int err = archive_errno(j->a);
    const char *msg = archive_error_string(j->a);
    return a0ipc_status_set(j->st, err ? a0ipc_code_from_errno(err) : A0IPC_INTERNAL,
                            "archive %s: %s: %s", j->rel, what, msg ? msg : "libarchive failed");
}

static void set_common(struct archive_entry *e, const char *name, const struct stat *sb)
{
    /* Linux names are bytes: one that is not UTF-8 is stored as it is. */
    if (!archive_entry_update_pathname_utf8(e, name))
        archive_entry_copy_pathname(e, name);
    archive_entry_set_perm(e, sb->st_mode & 07777);
    archive_entry_set_mtime(e, sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec);
}

/* 0 when the header was written. ARCHIVE_WARN counts: it is how libarchive says a name that is
 * not UTF-8 was stored as raw bytes, which is the best an archive can do for it. */
static int write_header(archive_job *j, struct archive_entry *e)
{
    int rc = archive_write_header(j->a, e);
    return rc == ARCHIVE_OK || rc == ARCHIVE_WARN ? 0 : -1;
}

static a0ipc_code add_file(archive_job *j, int dirfd, const char *name, const char *entry,
                           const struct stat *sb)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP
                   ? A0IPC_OK /* gone or swapped for a symlink since the lstat: not archived */
                   : a0ipc_files_fail(j->st, errno, "archive", entry);
    struct stat fsb;
    if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode)) {
        close(fd);
        return A0IPC_OK;
    }
    struct archive_entry *e = archive_entry_new();
    if (!e) {
        close(fd);
        return a0ipc_status_set(j->st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    set_common(e, entry, &fsb);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, fsb.st_size);
    a0ipc_code code = A0IPC_OK;
    if (write_header(j, e)) {
        code = archive_fail(j, entry);
        goto out;
    }
    /* The size in the header is the size at open: a file that grows meanwhile is cut there, one
     * that shrinks is padded by libarchive. */
    for (int64_t left = fsb.st_size; left > 0;) {
        ssize_t n = read(fd, j->rbuf, left < READ_BUF ? (size_t)left : READ_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            code = a0ipc_files_fail(j->st, errno, "archive", entry);
            goto out;
        }
        if (n == 0)
            break;
        if (archive_write_data(j->a, j->rbuf, (size_t)n) < 0) {
            code = archive_fail(j, entry);
            goto out;
        }
        if (j->sink_code) {
            code = j->sink_code;
            goto out;
        }
        left -= n;
    }
    if (archive_write_finish_entry(j->a) != ARCHIVE_OK)
        code = archive_fail(j, entry);
out:
    archive_entry_free(e);
    close(fd);
    return code;
}

static a0ipc_code add_simple(archive_job *j, int dirfd, const char *name, const char *entry,
                             const struct stat *sb)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return a0ipc_status_set(j->st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    set_common(e, entry, sb);
    a0ipc_code code = A0IPC_OK;
    if (S_ISLNK(sb->st_mode)) {
        char *target = a0ipc_files_readlink(dirfd, name, (size_t)sb->st_size);
        if (!target) {
            archive_entry_free(e);
            return errno == ENOENT || errno == EINVAL
                       ? A0IPC_OK
                       : a0ipc_files_fail(j->st, errno, "archive", entry);
        }
        archive_entry_set_filetype(e, AE_IFLNK);
        if (!archive_entry_update_symlink_utf8(e, target))
            archive_entry_copy_symlink(e, target);
        free(target);
    } else {
        archive_entry_set_filetype(e, AE_IFDIR);
    }
    archive_entry_set_size(e, 0);
    if (write_header(j, e) || archive_write_finish_entry(j->a) != ARCHIVE_OK)
        code = archive_fail(j, entry);
    archive_entry_free(e);
    return code;
}

static int cmp_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the contents of directory dirfd, whose entries are named prefix + "/" + name (or just
 * name when prefix is empty). */
static a0ipc_code add_dir(archive_job *j, int dirfd, const char *prefix, int depth)
{
    if (depth >= A0IPC_FILES_MAX_DEPTH)
        return a0ipc_status_set(j->st, A0IPC_FAILED_PRECONDITION,
                                "archive %s: deeper than %d levels", j->rel, A0IPC_FILES_MAX_DEPTH);
    char **names;
    size_t n;
    int rc = a0ipc_files_read_names(dirfd, true, &names, &n);
    if (rc)
        return a0ipc_files_fail(j->st, -rc, "archive", prefix[0] ? prefix : j->rel);
    /* Sorted, so the same tree always gives the same archive. */
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_bytes);
    a0ipc_code code = A0IPC_OK;
    for (size_t i = 0; i < n && !code; i++) {
        struct stat sb;
        if (fstatat(dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                code = a0ipc_files_fail(j->st, errno, "archive", names[i]);
            continue;
        }
        char *entry = prefix[0] ? a0ipc_files_join(prefix, names[i]) : strdup(names[i]);
        if (!entry) {
            code = a0ipc_status_set(j->st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        if (S_ISREG(sb.st_mode)) {
            code = add_file(j, dirfd, names[i], entry, &sb);
        } else if (S_ISLNK(sb.st_mode)) {
            code = add_simple(j, dirfd, names[i], entry, &sb);
        } else if (S_ISDIR(sb.st_mode)) {
            int sub = a0ipc_files_open_subdir(dirfd, names[i], O_RDONLY);
            if (sub < 0) {
                if (sub != -ENOENT && sub != -ELOOP && sub != -ENOTDIR)
                    code = a0ipc_files_fail(j->st, -sub, "archive", entry);
            } else {
                code = add_simple(j, dirfd, names[i], entry, &sb);
                if (!code)
                    code = add_dir(j, sub, entry, depth + 1);
                close(sub);
            }
        }
        /* FIFOs, sockets and devices have no content to archive. */
        free(entry);
        if (!code)
            code = j->sink_code;
    }
    a0ipc_files_free_names(names, n);
    return code;
}

/* The name the legacy _zip_dir_impl puts in front: the directory's own name. */
static char *base_name(const a0ipc_files_root *r, const char *rel, int fd)
{
    const char *slash = strrchr(rel, '/');
    const char *last = slash ? slash + 1 : rel;
    if (strcmp(last, ".") != 0 && strcmp(last, "..") != 0)
        return strdup(last);
    /* "." or "x/..": the name of the directory we actually opened. Reading the fd's magic link is
     * not a traversal; only its last component is used. */
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *b = strrchr(target, '/');
        if (b && b[1])
            return strdup(b + 1);
    }
    const char *rb = strrchr(r->path, '/');
    return strdup(rb && rb[1] ? rb + 1 : "root");
}

a0ipc_code a0ipc_files_archive(const a0ipc_files_root *r, const char *path,
                               a0ipc_files_archive_format format, bool include_base_name,
                               a0ipc_files_sink_fn sink, void *arg, a0ipc_status *st)
{
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &rel, NULL, st))
        return st->code;
    if (format != A0IPC_FILES_ARCHIVE_ZIP && format != A0IPC_FILES_ARCHIVE_TAR_GZ) {
        free(rel);
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "archive: unknown format %d",
                                (int)format);
    }
    int fd = a0ipc_files_open_rel(r, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        a0ipc_files_fail(st, -fd, "archive", rel);
        free(rel);
        return st->code;
    }
    /* libarchive converts names through the calling thread's locale; the daemon runs in the C
     * locale, where every non-ASCII name would be mangled. Linux names are UTF-8 by convention,
     * so this thread says so while it archives. */
    locale_t utf8 = a0ipc_files_utf8_locale();
    locale_t saved = utf8 ? uselocale(utf8) : (locale_t)0;
    archive_job j = {.sink = sink, .sink_arg = arg, .st = st, .rel = rel};
    a0ipc_code code = A0IPC_OK;
    char *prefix = include_base_name ? base_name(r, rel, fd) : strdup("");
    j.out = malloc(A0IPC_FILES_CHUNK_MAX);
    j.rbuf = malloc(READ_BUF);
    j.a = archive_write_new();
    if (!prefix || !j.out || !j.rbuf || !j.a) {
        code = a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    int ok;
    if (format == A0IPC_FILES_ARCHIVE_ZIP)
        /* hdrcharset=UTF-8 sets the zip "language encoding" flag, without which readers such as
         * Python's zipfile decode names as CP437. */
        ok = archive_write_set_format_zip(j.a) == ARCHIVE_OK &&
             archive_write_zip_set_compression_deflate(j.a) == ARCHIVE_OK &&
             archive_write_set_format_option(j.a, "zip", "hdrcharset", "UTF-8") == ARCHIVE_OK;
    else
        ok = archive_write_set_format_pax_restricted(j.a) == ARCHIVE_OK &&
             archive_write_add_filter_gzip(j.a) == ARCHIVE_OK;
    /* No padding after the last block: the stream ends where the archive does. */
    ok = ok && archive_write_set_bytes_in_last_block(j.a, 1) == ARCHIVE_OK &&
         archive_write_open2(j.a, &j, NULL, on_write, on_close, NULL) == ARCHIVE_OK;
    if (!ok) {
        code = archive_fail(&j, "setting up");
        goto out;
    }
    if (prefix[0]) {
        struct stat sb;
        if (fstat(fd, &sb) != 0)
            code = a0ipc_files_fail(st, errno, "archive", rel);
        else
            code = add_simple(&j, fd, "", prefix, &sb);
    }
    if (!code)
        code = add_dir(&j, fd, prefix, 0);
    if (code)
        j.abandoned = true; /* no trailer after a failure: the stream is cut, not "done" */
    if (archive_write_close(j.a) != ARCHIVE_OK && !code)
        code = archive_fail(&j, "finishing");
    if (!code)
        code = j.sink_code;
out:
    if (j.a)
        archive_write_free(j.a);
    free(j.out);
    free(j.rbuf);
    free(prefix);
    close(fd);
    free(rel);
    if (saved)
        uselocale(saved);
    return code;
}
