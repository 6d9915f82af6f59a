#include "files_testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "testutil: %s %s: %s\n", what, path ? path : "", strerror(errno));
    abort();
}

char *tu_mkdtemp(const char *tag)
{
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "/tmp/a0ipc-%s-XXXXXX", tag);
    if (!mkdtemp(tmpl))
        die("mkdtemp", tmpl);
    char *canon = realpath(tmpl, NULL);
    if (!canon)
        die("realpath", tmpl);
    return canon;
}

char *tu_path(const char *dir, const char *rel)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", dir, rel) < 0)
        die("asprintf", rel);
    return s;
}

static void mkparents(const char *full)
{
    char *p = strdup(full);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                die("mkdir", p);
            *s = '/';
        }
    free(p);
}

void tu_write(const char *dir, const char *rel, const char *content, size_t len)
{
    char *p = tu_path(dir, rel);
    mkparents(p);
    if (len == (size_t)-1)
        len = strlen(content);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open", p);
    if (len && write(fd, content, len) != (ssize_t)len)
        die("write", p);
    close(fd);
    free(p);
}

char *tu_read(const char *dir, const char *rel, size_t *len)
{
    char *p = tu_path(dir, rel);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    free(p);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0)
            die("read", rel);
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void tu_mkdir(const char *dir, const char *rel)
{
    char *p = tu_path(dir, rel);
    mkparents(p);
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        die("mkdir", p);
    free(p);
}

void tu_symlink(const char *target, const char *dir, const char *rel)
{
    char *p = tu_path(dir, rel);
    mkparents(p);
    if (symlink(target, p) != 0)
        die("symlink", p);
    free(p);
}

bool tu_exists(const char *dir, const char *rel)
{
    char *p = tu_path(dir, rel);
    struct stat sb;
    bool ok = lstat(p, &sb) == 0;
    free(p);
    return ok;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void tu_rmrf(const char *path)
{
    nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/* ---- snapshots ---- */

static struct {
    char **lines;
    size_t n, cap;
    size_t base_len;
} snap;

static unsigned long long fnv(const char *p, size_t n)
{
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static int snap_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    char extra[PATH_MAX + 64] = "";
    if (flag == FTW_SL) {
        char t[PATH_MAX];
        ssize_t n = readlink(path, t, sizeof t - 1);
        t[n < 0 ? 0 : n] = '\0';
        snprintf(extra, sizeof extra, "-> %s", t);
    } else if (flag == FTW_F && S_ISREG(sb->st_mode)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned long long h = 0;
        if (fd >= 0) {
            char buf[65536];
            ssize_t n;
            h = 1469598103934665603ull;
            while ((n = read(fd, buf, sizeof buf)) > 0)
                h ^= fnv(buf, (size_t)n) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
            close(fd);
        }
        snprintf(extra, sizeof extra, "h=%llx", h);
    }
    char *line = NULL;
    if (asprintf(&line, "%s type=%o mode=%o size=%lld mtime=%lld.%09ld %s", path + snap.base_len,
                 (unsigned)(sb->st_mode & S_IFMT), (unsigned)(sb->st_mode & 07777),
                 (long long)sb->st_size, (long long)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec,
                 extra) < 0)
        die("asprintf", path);
    if (snap.n == snap.cap) {
        snap.cap = snap.cap ? snap.cap * 2 : 64;
        snap.lines = realloc(snap.lines, snap.cap * sizeof *snap.lines);
    }
    snap.lines[snap.n++] = line;
    return 0;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tu_snapshot(const char *dir)
{
    snap.n = 0;
    snap.base_len = strlen(dir);
    if (nftw(dir, snap_one, 32, FTW_PHYS) != 0)
        die("nftw", dir);
    qsort(snap.lines, snap.n, sizeof *snap.lines, cmp_lines);
    size_t total = 1;
    for (size_t i = 0; i < snap.n; i++)
        total += strlen(snap.lines[i]) + 1;
    char *out = malloc(total), *o = out;
    for (size_t i = 0; i < snap.n; i++) {
        o = stpcpy(o, snap.lines[i]);
        *o++ = '\n';
        free(snap.lines[i]);
    }
    *o = '\0';
    free(snap.lines);
    snap.lines = NULL;
    snap.cap = 0;
    return out;
}

int tu_count_uploads(const char *dir, const char *rel)
{
    int n = tu_count_temps(dir, rel);
    char *p = tu_path(dir, rel);
    char real[PATH_MAX];
    if (!realpath(p, real)) {
        free(p);
        return n;
    }
    free(p);
    size_t rl = strlen(real);
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char link[300], to[PATH_MAX + 32];
        snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
        ssize_t k = readlink(link, to, sizeof to - 1);
        if (k <= 0)
            continue;
        to[k] = '\0';
        /* An O_TMPFILE file shows as "DIR/#INODE (deleted)". */
        if (!strncmp(to, real, rl) && to[rl] == '/' && to[rl + 1] == '#' &&
            strstr(to, " (deleted)"))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

int tu_count_temps(const char *dir, const char *rel)
{
    char *p = tu_path(dir, rel);
    DIR *d = opendir(p);
    free(p);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && strstr(de->d_name, ".a0ipc-"))
            n++;
    closedir(d);
    return n;
}
