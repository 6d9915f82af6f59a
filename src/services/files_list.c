/* ListDir and the legacy name order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wctype.h>

#include "files_internal.h"

/* ---- the legacy order ----
 * The legacy sorts os.listdir's names with key=str.lower. Python decodes file names as UTF-8 with
 * surrogateescape (an undecodable byte b becomes U+DC00+b), lower-cases by Unicode, and compares
 * code points. We do the same with glibc's C.UTF-8 case table; only the few characters whose
 * lower case is longer than one code point (U+0130) come out differently. */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t a0ipc_files_utf8_locale(void)
{
    pthread_once(&utf8_once, utf8_locale_init);
    return utf8_locale;
}

/* Decodes one code point of strict UTF-8 (no overlongs, surrogates or values past U+10FFFF);
 * an undecodable byte b yields U+DC00 + b, as Python's surrogateescape does. */
static uint32_t next_code_point(const unsigned char **ps)
{
    const unsigned char *s = *ps;
    unsigned char c = s[0];
    uint32_t cp;
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
        *ps = s + 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *ps = s + 1;
        return 0xDC00 + c;
    }
    for (int i = 1; i <= n; i++) {
        unsigned char b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
            *ps = s + 1;
            return 0xDC00 + c;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    *ps = s + n + 1;
    return cp;
}

static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || !utf8_locale)
        return cp;
    return (uint32_t)towlower_l((wint_t)cp, utf8_locale);
}

int a0ipc_files_name_cmp(const char *a, const char *b)
{
    a0ipc_files_utf8_locale();
    const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
    while (*pa && *pb) {
        uint32_t ca = fold(next_code_point(&pa)), cb = fold(next_code_point(&pb));
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    if (*pa || *pb)
        return *pa ? 1 : -1;
    return strcmp(a, b);
}

/* ---- ListDir ---- */

void a0ipc_files_list_clear(a0ipc_files_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        a0ipc_files_entry_clear(&l->entries[i]);
    free(l->entries);
    memset(l, 0, sizeof *l);
}

typedef struct list_walk {
    const a0ipc_files_root *r;
    a0ipc_files_list *out;
    size_t cap;
    size_t max; /* 0: no limit */
    bool hidden;
    a0ipc_status *st;
} list_walk;

void a0ipc_files_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int a0ipc_files_read_names(int dirfd, bool hidden, char ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    int fd = dup(dirfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int err = errno;
        close(fd);
        return -err;
    }
    rewinddir(d);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            rc = -errno;
            break;
        }
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || (!hidden && nm[0] == '.'))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **p = realloc(names, ncap * sizeof *p);
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            names = p;
            cap = ncap;
        }
        if (!(names[n] = strdup(nm))) {
            rc = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc) {
        a0ipc_files_free_names(names, n);
        return rc;
    }
    *out = names;
    *count = n;
    return 0;
}

static int cmp_name_ptrs(const void *a, const void *b)
{
    return a0ipc_files_name_cmp(*(char *const *)a, *(char *const *)b);
}

static int push_entry(list_walk *w, a0ipc_files_entry *info)
{
    a0ipc_files_list *l = w->out;
    if (l->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 64;
        a0ipc_files_entry *p = realloc(l->entries, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        l->entries = p;
        w->cap = ncap;
    }
    l->entries[l->n++] = *info;
    return 0;
}

/* Whether a directory that cannot be descended into is simply left out: it vanished, was
 * swapped for a symlink or file, or is not ours to read. */
static bool skippable(int err)
{
    return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EACCES || err == EPERM;
}

static a0ipc_code list_level(list_walk *w, int dirfd, const char *rel, unsigned levels, int depth)
{
    char **names;
    size_t n;
    int rc = a0ipc_files_read_names(dirfd, w->hidden, &names, &n);
    if (rc)
        return a0ipc_files_fail(w->st, -rc, "list", rel);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_name_ptrs);
    a0ipc_code code = A0IPC_OK;
    for (size_t i = 0; i < n && !code && !w->out->truncated; i++) {
        if (w->max && w->out->n >= w->max) {
            w->out->truncated = true;
            break;
        }
        struct stat sb;
        if (fstatat(dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) /* removed since readdir */
                continue;
            code = a0ipc_files_fail(w->st, errno, "list", rel);
            break;
        }
        char *child = a0ipc_files_join(rel, names[i]);
        a0ipc_files_entry info;
        rc = child ? a0ipc_files_entry_fill(&info, dirfd, names[i], child, &sb) : -ENOMEM;
        if (rc == 0 && (rc = push_entry(w, &info)) != 0)
            a0ipc_files_entry_clear(&info);
        if (rc) {
            if (rc == -ENOENT || rc == -EINVAL) { /* a symlink replaced since the lstat */
                free(child);
                continue;
            }
            code = a0ipc_files_fail(w->st, -rc, "list", child ? child : rel);
            free(child);
            break;
        }
        if (S_ISDIR(sb.st_mode) && levels > 1) {
            if (depth + 1 >= A0IPC_FILES_MAX_DEPTH) {
                w->out->truncated = true;
            } else {
                int sub = a0ipc_files_open_subdir(dirfd, names[i], O_RDONLY);
                if (sub >= 0) {
                    code = list_level(w, sub, child, levels - 1, depth + 1);
                    close(sub);
                } else if (!skippable(-sub)) {
                    code = a0ipc_files_fail(w->st, -sub, "list", child);
                }
            }
        }
        free(child);
    }
    a0ipc_files_free_names(names, n);
    return code;
}

a0ipc_code a0ipc_files_list_dir(const a0ipc_files_root *r, const char *path, unsigned depth,
                                bool include_hidden, size_t max_entries, a0ipc_files_list *out,
                                a0ipc_status *st)
{
    memset(out, 0, sizeof *out);
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &rel, NULL, st))
        return st->code;
    int fd = a0ipc_files_open_rel(r, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        a0ipc_files_fail(st, -fd, "list", rel);
        free(rel);
        return st->code;
    }
    list_walk w = {r, out, 0, max_entries, include_hidden, st};
    a0ipc_code code = list_level(&w, fd, rel, depth ? depth : 1, 0);
    close(fd);
    free(rel);
    if (code)
        a0ipc_files_list_clear(out);
    return code;
}
