/* The Files service's path parser (services/files_fs.h) and the confined open behind it, on a
 * small tree whose symlinks point out of the root ("..", "/", "/etc").
 *
 * Invariants: a parsed path is relative ("." for the root), with no empty, "." or leading
 * components, and never climbs above the root counted on its text; shown in the request's form
 * and parsed again it is the same; whatever the confined open opens is the root or inside it. */
#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/files_fs.h"
#include "services/files_internal.h"

static a0ipc_files_root *root;

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/a0ipc-fuzz-root-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert(dir);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/a", dir);
    assert(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/a/b", dir);
    assert(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/f", dir);
    FILE *f = fopen(p, "w");
    assert(f);
    fclose(f);
    const char *links[][2] = {{"up", ".."},    {"abs", "/"},
                              {"etc", "/etc"}, {"a/b/upup", "../../.."},
                              {"deep", "a/b"}, {"loop", "loop"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, links[i][0]);
        assert(symlink(links[i][1], p) == 0);
    }
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert(a0ipc_files_root_open(dir, &root, &st) == A0IPC_OK);
}

static void check_rel(const char *rel, size_t in_len)
{
    size_t n = strlen(rel);
    assert(n > 0 && n <= in_len + 1);
    assert(rel[0] != '/');
    if (!strcmp(rel, "."))
        return;
    long level = 0;
    const char *c = rel;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        assert(len > 0);                    /* no empty component */
        assert(!(len == 1 && c[0] == '.')); /* no "." */
        level += len == 2 && c[0] == '.' && c[1] == '.' ? -1 : 1;
        assert(level >= 0); /* never above the root on its text */
        if (!slash)
            break;
        c = slash + 1;
    }
}

static void check_inside(int fd)
{
    char link[64], where[PATH_MAX + 1];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, where, PATH_MAX);
    assert(n > 0);
    where[n] = '\0';
    const char *rp = a0ipc_files_root_path(root);
    size_t rn = strlen(rp);
    assert(!strncmp(where, rp, rn) && (where[rn] == '\0' || where[rn] == '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root)
        setup();
    a0ipc_status st = A0IPC_STATUS_INIT;
    char *rel = NULL;
    bool absolute = false;
    if (a0ipc_files_path_parse(root, (const char *)data, size, &rel, &absolute, &st) != A0IPC_OK) {
        assert(!rel && st.code != A0IPC_OK);
        a0ipc_status_clear(&st);
        return 0;
    }
    check_rel(rel, size);
    char *shown = a0ipc_files_display_path(root, rel, absolute);
    assert(shown);
    char *again = NULL;
    assert(a0ipc_files_path_parse(root, shown, strlen(shown), &again, NULL, &st) == A0IPC_OK);
    assert(!strcmp(again, rel));
    free(again);
    free(shown);
    int fd = a0ipc_files_open_rel(root, rel, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        check_inside(fd);
        close(fd);
    }
    free(rel);
    return 0;
}
