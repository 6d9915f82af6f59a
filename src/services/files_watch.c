/* Watch: inotify events under a directory, decoded to root-relative paths.
 *
 * inotify watches inodes, but it takes a path to add one. We never give it a request path: each
 * directory is first opened beneath the root (openat2, or an fd walk that refuses symlinks) and
 * the watch is added through that fd's /proc/self/fd link, which names exactly the opened inode.
 *
 * A recursive watch adds a watch for every subdirectory, now and when one appears. Entries made in
 * a new directory before its watch is in place would be missed, so the new directory is scanned
 * after its watch is added and its entries are reported as CREATE (an entry may then be reported
 * twice, never not at all). A directory moved out of the tree loses its watches, or its events
 * would keep arriving from wherever it went, possibly outside the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "files_internal.h"

#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO |                 \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
/* Decoded events waiting for the caller; past this the queue says OVERFLOW instead of growing. */
#define QUEUE_MAX 65536
#define RAW_BUF   (64u * 1024u)

struct a0ipc_files_watch {
    const a0ipc_files_root *r; /* borrowed: the root outlives the watch */
    int ifd;
    bool recursive;
    int top_wd;
    char *top_rel;
    char **dirs; /* root-relative path of each watched directory, indexed by wd; NULL: none */
    size_t ndirs;
    a0ipc_files_event *q; /* decoded events; [qhead, qlen) are pending */
    size_t qhead, qlen, qcap;
    bool q_overflowed; /* an OVERFLOW is queued and nothing more until the queue drains */
    struct {           /* a MOVED_FROM waiting for its MOVED_TO */
        bool set;
        uint32_t cookie;
        char *path;
        bool is_dir;
    } from;
    bool ended;
    size_t boff, blen;
    char buf[RAW_BUF] __attribute__((aligned(__alignof__(struct inotify_event))));
};

void a0ipc_files_event_clear(a0ipc_files_event *ev)
{
    free(ev->path);
    free(ev->old_path);
    memset(ev, 0, sizeof *ev);
}

int a0ipc_files_watch_fd(const a0ipc_files_watch *w)
{
    return w->ifd;
}

bool a0ipc_files_watch_ended(const a0ipc_files_watch *w)
{
    return w->ended && w->qhead == w->qlen;
}

/* ---- the queue ---- */

/* Takes ownership of path and old_path (either may be NULL). -ENOMEM when out of memory. */
static int push(a0ipc_files_watch *w, a0ipc_files_event_type type, char *path, char *old_path,
                bool is_dir)
{
    if (w->q_overflowed) {
        free(path);
        free(old_path);
        return 0;
    }
    size_t pending = w->qlen - w->qhead;
    /* A run of writes to one file is one change to report. */
    if (type == A0IPC_FILES_EVENT_MODIFY && pending) {
        a0ipc_files_event *last = &w->q[w->qlen - 1];
        if (last->type == type && last->path && path && strcmp(last->path, path) == 0) {
            free(path);
            free(old_path);
            return 0;
        }
    }
    if (pending >= QUEUE_MAX) {
        type = A0IPC_FILES_EVENT_OVERFLOW;
        free(path);
        free(old_path);
        path = old_path = NULL;
        is_dir = false;
        w->q_overflowed = true;
    }
    if (w->qhead == w->qlen)
        w->qhead = w->qlen = 0;
    if (w->qlen == w->qcap) {
        if (w->qhead > 0) { /* reuse the consumed front before growing */
            memmove(w->q, w->q + w->qhead, pending * sizeof *w->q);
            w->qlen = pending;
            w->qhead = 0;
        } else {
            size_t ncap = w->qcap ? w->qcap * 2 : 64;
            a0ipc_files_event *p = realloc(w->q, ncap * sizeof *p);
            if (!p) {
                free(path);
                free(old_path);
                return -ENOMEM;
            }
            w->q = p;
            w->qcap = ncap;
        }
    }
    w->q[w->qlen++] = (a0ipc_files_event){type, path, old_path, is_dir};
    return 0;
}

/* ---- the wd -> directory map ---- */

static int map_set(a0ipc_files_watch *w, int wd, const char *rel)
{
    if (wd < 0)
        return -EINVAL;
    if ((size_t)wd >= w->ndirs) {
        size_t n = w->ndirs ? w->ndirs : 16;
        while (n <= (size_t)wd)
            n *= 2;
        char **p = realloc(w->dirs, n * sizeof *p);
        if (!p)
            return -ENOMEM;
        memset(p + w->ndirs, 0, (n - w->ndirs) * sizeof *p);
        w->dirs = p;
        w->ndirs = n;
    }
    char *copy = strdup(rel);
    if (!copy)
        return -ENOMEM;
    free(w->dirs[wd]);
    w->dirs[wd] = copy;
    return 0;
}

static const char *map_get(const a0ipc_files_watch *w, int wd)
{
    return wd >= 0 && (size_t)wd < w->ndirs ? w->dirs[wd] : NULL;
}

/* Whether path is dir itself or lies under it. */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A directory left the tree: stop watching it and everything below. */
static void unwatch_tree(a0ipc_files_watch *w, const char *rel)
{
    for (size_t i = 0; i < w->ndirs; i++)
        if (w->dirs[i] && (int)i != w->top_wd && under(w->dirs[i], rel)) {
            inotify_rm_watch(w->ifd, (int)i);
            free(w->dirs[i]);
            w->dirs[i] = NULL;
        }
}

/* A directory was renamed inside the tree: its watches stay, their paths change. */
static void rename_tree(a0ipc_files_watch *w, const char *from, const char *to)
{
    size_t fl = strlen(from);
    for (size_t i = 0; i < w->ndirs; i++)
        if (w->dirs[i] && (int)i != w->top_wd && under(w->dirs[i], from)) {
            char *p = NULL;
            if (asprintf(&p, "%s%s", to, w->dirs[i] + fl) >= 0) {
                free(w->dirs[i]);
                w->dirs[i] = p;
            }
        }
}

/* ---- adding watches ---- */

static int add_watch_fd(a0ipc_files_watch *w, int fd, const char *rel)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int wd = inotify_add_watch(w->ifd, link, WATCH_MASK);
    if (wd < 0)
        return -errno;
    int rc = map_set(w, wd, rel);
    return rc ? rc : wd;
}

/* Watches directory fd (at rel) and, when recursive, its subdirectories. With report, every
 * entry found is queued as CREATE (the directory is new and its entries may predate its watch). */
static int watch_tree(a0ipc_files_watch *w, int fd, const char *rel, bool report, int depth)
{
    int wd = add_watch_fd(w, fd, rel);
    if (wd < 0)
        return wd;
    if (!w->recursive && !report)
        return wd;
    char **names;
    size_t n;
    int rc = a0ipc_files_read_names(fd, true, &names, &n);
    if (rc)
        return rc == -ENOENT ? wd : rc;
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat sb;
        if (fstatat(fd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* gone already; its DELETE is not ours to invent */
        char *child = a0ipc_files_join(rel, names[i]);
        if (!child) {
            rc = -ENOMEM;
            break;
        }
        bool dir = S_ISDIR(sb.st_mode);
        if (report && (rc = push(w, A0IPC_FILES_EVENT_CREATE, strdup(child), NULL, dir)) != 0) {
            free(child);
            break;
        }
        if (dir && w->recursive && depth + 1 < A0IPC_FILES_MAX_DEPTH) {
            int sub = a0ipc_files_open_subdir(fd, names[i], O_RDONLY);
            if (sub >= 0) {
                int r2 = watch_tree(w, sub, child, report, depth + 1);
                close(sub);
                if (r2 < 0 && r2 != -ENOENT && r2 != -ENOTDIR)
                    rc = r2;
            }
        }
        free(child);
    }
    a0ipc_files_free_names(names, n);
    return rc ? rc : wd;
}

/* A directory appeared at rel: watch it (and below), reporting what is already inside. */
static int watch_new_dir(a0ipc_files_watch *w, const char *rel)
{
    int fd = a0ipc_files_open_rel(w->r, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0)
        return fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP ? 0 : fd;
    int rc = watch_tree(w, fd, rel, true, 0);
    close(fd);
    if (rc >= 0 || rc == -ENOENT)
        return 0;
    /* Events under it will be missing; say so the way the kernel does when it loses some. */
    A0IPC_LOGW("watch: cannot watch new directory %s: %s", rel, strerror(-rc));
    return push(w, A0IPC_FILES_EVENT_OVERFLOW, NULL, NULL, false);
}

/* ---- decoding ---- */

static int flush_from(a0ipc_files_watch *w)
{
    if (!w->from.set)
        return 0;
    w->from.set = false;
    if (w->from.is_dir)
        unwatch_tree(w, w->from.path);
    char *p = w->from.path;
    w->from.path = NULL;
    return push(w, A0IPC_FILES_EVENT_REMOVE, p, NULL, w->from.is_dir);
}

static int end_watch(a0ipc_files_watch *w)
{
    if (w->ended)
        return 0;
    w->ended = true;
    char *p = strdup(w->top_rel);
    return p ? push(w, A0IPC_FILES_EVENT_REMOVE, p, NULL, true) : -ENOMEM;
}

static int decode(a0ipc_files_watch *w, const struct inotify_event *ie)
{
    if (ie->mask & IN_Q_OVERFLOW) {
        int rc = flush_from(w);
        return rc ? rc : push(w, A0IPC_FILES_EVENT_OVERFLOW, NULL, NULL, false);
    }
    if (ie->wd == w->top_wd &&
        (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT))) {
        int rc = flush_from(w);
        return rc ? rc : end_watch(w);
    }
    if (ie->mask & IN_IGNORED) { /* a subdirectory's watch is gone (deleted, or we removed it) */
        if ((size_t)ie->wd < w->ndirs) {
            free(w->dirs[ie->wd]);
            w->dirs[ie->wd] = NULL;
        }
        return 0;
    }
    const char *dir = map_get(w, ie->wd);
    if (!dir)
        return 0; /* a watch we already dropped */
    bool is_dir = (ie->mask & IN_ISDIR) != 0;
    bool named = ie->len > 0 && ie->name[0];
    if (!named && ie->wd != w->top_wd)
        return 0; /* a subdirectory's own event: its parent reports it too */
    char *path = named ? a0ipc_files_join(dir, ie->name) : strdup(dir);
    if (!path)
        return -ENOMEM;

    if (w->from.set) {
        if ((ie->mask & IN_MOVED_TO) && ie->cookie == w->from.cookie) {
            char *old = w->from.path;
            w->from.path = NULL;
            w->from.set = false;
            if (is_dir && w->recursive)
                rename_tree(w, old, path);
            return push(w, A0IPC_FILES_EVENT_RENAME, path, old, is_dir);
        }
        int rc = flush_from(w);
        if (rc) {
            free(path);
            return rc;
        }
    }
    if (ie->mask & IN_MOVED_FROM) {
        w->from.set = true;
        w->from.cookie = ie->cookie;
        w->from.path = path;
        w->from.is_dir = is_dir;
        return 0;
    }
    if (ie->mask & (IN_CREATE | IN_MOVED_TO)) {
        int rc = 0;
        char *copy = is_dir && w->recursive ? strdup(path) : NULL;
        if (is_dir && w->recursive && !copy) {
            free(path);
            return -ENOMEM;
        }
        rc = push(w, A0IPC_FILES_EVENT_CREATE, path, NULL, is_dir);
        if (!rc && copy)
            rc = watch_new_dir(w, copy);
        free(copy);
        return rc;
    }
    if (ie->mask & IN_DELETE)
        return push(w, A0IPC_FILES_EVENT_REMOVE, path, NULL, is_dir);
    if (ie->mask & (IN_MODIFY | IN_ATTRIB))
        return push(w, A0IPC_FILES_EVENT_MODIFY, path, NULL, is_dir);
    free(path);
    return 0;
}

/* Reads what the kernel has, without blocking: 1 when bytes arrived, 0 when none, -errno. */
static int fill(a0ipc_files_watch *w)
{
    ssize_t n;
    do
        n = read(w->ifd, w->buf, sizeof w->buf);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? 0 : -errno;
    w->boff = 0;
    w->blen = (size_t)n;
    return n > 0;
}

int a0ipc_files_watch_next(a0ipc_files_watch *w, a0ipc_files_event *ev, a0ipc_status *st)
{
    memset(ev, 0, sizeof *ev);
    for (;;) {
        if (w->qhead < w->qlen) {
            *ev = w->q[w->qhead++];
            if (w->qhead == w->qlen)
                w->q_overflowed = false;
            return 1;
        }
        if (w->ended)
            return 0;
        int rc = 0;
        if (w->boff < w->blen) {
            const struct inotify_event *ie = (const void *)(w->buf + w->boff);
            w->boff += sizeof *ie + ie->len;
            rc = decode(w, ie);
        } else {
            rc = fill(w);
            if (rc == 0) {
                /* Nothing more: a MOVED_FROM still unpaired was a move out of the tree (the
                 * kernel queues both halves of a rename together). */
                if (!w->from.set)
                    return 0;
                rc = flush_from(w);
            } else if (rc > 0) {
                rc = 0;
            }
        }
        if (rc < 0) {
            a0ipc_status_from_errno(st, -rc, "watch %s", w->top_rel);
            return -1;
        }
    }
}

a0ipc_code a0ipc_files_watch_open(const a0ipc_files_root *r, const char *path, bool recursive,
                                  a0ipc_files_watch **out, a0ipc_status *st)
{
    *out = NULL;
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &rel, NULL, st))
        return st->code;
    a0ipc_files_watch *w = calloc(1, sizeof *w);
    if (!w) {
        free(rel);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    w->r = r;
    w->recursive = recursive;
    w->top_rel = rel;
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->ifd < 0) {
        a0ipc_status_from_errno(st, errno, "watch %s: inotify", rel);
        goto fail;
    }
    int fd = a0ipc_files_open_rel(r, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        a0ipc_files_fail(st, -fd, "watch", rel);
        goto fail;
    }
    int wd = watch_tree(w, fd, rel, false, 0);
    close(fd);
    if (wd < 0) {
        a0ipc_files_fail(st, -wd, "watch", rel);
        goto fail;
    }
    /* watch_tree returns the first wd it added, which is the top directory's. */
    w->top_wd = wd;
    *out = w;
    return A0IPC_OK;
fail:
    a0ipc_files_watch_free(w);
    return st->code;
}

void a0ipc_files_watch_free(a0ipc_files_watch *w)
{
    if (!w)
        return;
    if (w->ifd >= 0)
        close(w->ifd);
    for (size_t i = 0; i < w->ndirs; i++)
        free(w->dirs[i]);
    free(w->dirs);
    for (size_t i = w->qhead; i < w->qlen; i++)
        a0ipc_files_event_clear(&w->q[i]);
    free(w->q);
    free(w->from.path);
    free(w->top_rel);
    free(w);
}
