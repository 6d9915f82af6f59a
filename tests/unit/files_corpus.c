/* The hostile path corpus and the tree it is aimed at, shared by the core test
 * (test_files_hostile.c) and the RPC test (integration/test_files_rpc.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files_testutil.h"

void tu_hostile_tree(const char *base)
{
    char *root = tu_path(base, "root");
    tu_write(base, "outside/secret.txt", "SECRET", (size_t)-1);
    tu_write(base, "outside/a.txt", "SECRET-a", (size_t)-1);
    tu_write(base, "outside/d/inner.txt", "SECRET-inner", (size_t)-1);
    tu_write(base, "rootx/file.txt", "sibling", (size_t)-1);
    tu_write(root, "file.txt", "inside", (size_t)-1);
    tu_write(root, "victim.txt", "victim", (size_t)-1);
    tu_write(root, "dir/a.txt", "inside-a", (size_t)-1);
    tu_symlink("../../outside", root, "sub/up");
    tu_symlink("../outside", root, "link_out");
    tu_symlink("../outside/secret.txt", root, "link_file_out");
    char *outside = tu_path(base, "outside");
    tu_symlink(outside, root, "link_abs");
    free(outside);
    tu_symlink("/", root, "link_root");
    tu_symlink("..", root, "link_dotdot");
    tu_symlink("chain2", root, "chain1");
    tu_symlink("link_out", root, "chain2");
    tu_symlink("/etc", root, "link_etc");
    tu_symlink("/proc/self/root", root, "link_proc");
    tu_symlink("/proc/self/fd", root, "link_fd");
    char *inroot = tu_path(root, "dir");
    tu_symlink(inroot, root, "link_inroot_abs");
    free(inroot);
    free(root);
}

/* "@ROOT" and "@BASE" stand for the root's and its parent's absolute paths; "@LONGn" for an
 * n-byte path, "@COMPn" for an n-byte component. */
const tu_corpus_entry tu_corpus[] = {
    {"..", A0IPC_PERMISSION_DENIED},
    {"../", A0IPC_PERMISSION_DENIED},
    {"../x", A0IPC_PERMISSION_DENIED},
    {"../outside/secret.txt", A0IPC_PERMISSION_DENIED},
    {"a/../../x", A0IPC_PERMISSION_DENIED},
    {"dir/../..", A0IPC_PERMISSION_DENIED},
    {"dir/../../outside/secret.txt", A0IPC_PERMISSION_DENIED},
    {"./../x", A0IPC_PERMISSION_DENIED},
    {"dir/./../../outside", A0IPC_PERMISSION_DENIED},
    {"../../../../../../../../../../etc/passwd", A0IPC_PERMISSION_DENIED},
    {"/etc/passwd", A0IPC_PERMISSION_DENIED},
    {"/", A0IPC_PERMISSION_DENIED},
    {"///", A0IPC_PERMISSION_DENIED},
    {"/tmp", A0IPC_PERMISSION_DENIED},
    {"//..", A0IPC_PERMISSION_DENIED},
    {"/proc/self/root/etc/passwd", A0IPC_PERMISSION_DENIED},
    {"@BASE/outside/secret.txt", A0IPC_PERMISSION_DENIED},
    {"@BASE/rootx/file.txt", A0IPC_PERMISSION_DENIED},
    {"@ROOT/../outside/secret.txt", A0IPC_PERMISSION_DENIED},
    {"@ROOT/link_out/secret.txt", A0IPC_PERMISSION_DENIED},
    {"@ROOT/dir/../../outside", A0IPC_PERMISSION_DENIED},
    {"link_out/secret.txt", A0IPC_PERMISSION_DENIED},
    {"link_out/d/inner.txt", A0IPC_PERMISSION_DENIED},
    {"link_out/new/deeper/x", A0IPC_PERMISSION_DENIED},
    {"link_abs/secret.txt", A0IPC_PERMISSION_DENIED},
    {"link_root/etc/passwd", A0IPC_PERMISSION_DENIED},
    {"link_root/tmp", A0IPC_PERMISSION_DENIED},
    {"link_dotdot/outside/secret.txt", A0IPC_PERMISSION_DENIED},
    {"link_dotdot/root/file.txt", A0IPC_PERMISSION_DENIED},
    {"chain1/secret.txt", A0IPC_PERMISSION_DENIED},
    {"chain1/d", A0IPC_PERMISSION_DENIED},
    {"sub/up/secret.txt", A0IPC_PERMISSION_DENIED},
    {"sub/up/newfile", A0IPC_PERMISSION_DENIED},
    {"link_etc/passwd", A0IPC_PERMISSION_DENIED},
    {"link_proc/etc/passwd", A0IPC_PERMISSION_DENIED},
    {"link_fd/0", A0IPC_PERMISSION_DENIED},
    {"link_inroot_abs/a.txt", A0IPC_PERMISSION_DENIED},
    {"", A0IPC_INVALID_ARGUMENT},
    {"@LONG5000", A0IPC_INVALID_ARGUMENT},
    {"@LONG4096", A0IPC_INVALID_ARGUMENT},
    {"@COMP300", A0IPC_INVALID_ARGUMENT},
    {"@COMP256", A0IPC_INVALID_ARGUMENT},
    {"dir/@COMP300/x", A0IPC_INVALID_ARGUMENT},
};
const size_t tu_corpus_len = sizeof tu_corpus / sizeof tu_corpus[0];

char *tu_corpus_expand(const char *base, const char *tmpl)
{
    char *s = NULL;
    if (strncmp(tmpl, "@LONG", 5) == 0) {
        size_t n = (size_t)atoi(tmpl + 5);
        s = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            s[i] = i % 2 ? '/' : 'a';
        s[n] = '\0';
        return s;
    }
    const char *m = strstr(tmpl, "@COMP");
    if (m) {
        char *end;
        size_t n = (size_t)strtoul(m + 5, &end, 10);
        size_t pre = (size_t)(m - tmpl);
        s = malloc(pre + n + strlen(end) + 1);
        memcpy(s, tmpl, pre);
        memset(s + pre, 'c', n);
        strcpy(s + pre + n, end);
        return s;
    }
    if (strncmp(tmpl, "@ROOT", 5) == 0) {
        if (asprintf(&s, "%s/root%s", base, tmpl + 5) < 0)
            abort();
    } else if (strncmp(tmpl, "@BASE", 5) == 0) {
        if (asprintf(&s, "%s%s", base, tmpl + 5) < 0)
            abort();
    } else {
        s = strdup(tmpl);
    }
    return s;
}
