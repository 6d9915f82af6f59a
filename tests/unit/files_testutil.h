/* Helpers for the Files core tests: fixture trees built with plain syscalls (not with the code
 * under test), and snapshots that show whether anything changed. Failures abort the test. */
#ifndef A0IPC_TESTS_FILES_TESTUTIL_H
#define A0IPC_TESTS_FILES_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "a0ipc/status.h"

/* A fresh directory /tmp/a0ipc-<tag>-XXXXXX, canonical (caller frees). */
char *tu_mkdtemp(const char *tag);
/* dir + "/" + rel (caller frees). */
char *tu_path(const char *dir, const char *rel);
/* Writes len bytes (or strlen(content) when len is (size_t)-1) to dir/rel, creating parents. */
void tu_write(const char *dir, const char *rel, const char *content, size_t len);
/* Reads dir/rel whole (caller frees; NUL-terminated); NULL when it does not exist. */
char *tu_read(const char *dir, const char *rel, size_t *len);
void tu_mkdir(const char *dir, const char *rel);
void tu_symlink(const char *target, const char *dir, const char *rel);
/* lstat(dir/rel) succeeds. */
bool tu_exists(const char *dir, const char *rel);
/* rm -rf without following symlinks. */
void tu_rmrf(const char *path);
/* Every object under dir with type, mode, size, mtime and content (or link target), one line
 * each, sorted: two equal snapshots mean nothing under dir changed (caller frees). */
char *tu_snapshot(const char *dir);
/* Names in dir/rel that look like our temporary files (".*.a0ipc-*"). */
int tu_count_temps(const char *dir, const char *rel);
/* Uploads in progress in this process under dir/rel: named temporary files plus the unnamed
 * (O_TMPFILE) files this process holds open there. */
int tu_count_uploads(const char *dir, const char *rel);

/* ---- the hostile path corpus (files_corpus.c) ---- */

/* Builds base/root (the root to serve, with symlinks that lead out in every way), base/outside
 * (the sentinel that must never change) and base/rootx (a sibling whose name extends the root's).
 */
void tu_hostile_tree(const char *base);

typedef struct tu_corpus_entry {
    const char *path; /* a template: see tu_corpus_expand */
    a0ipc_code code;  /* what every operation must answer */
} tu_corpus_entry;

extern const tu_corpus_entry tu_corpus[];
extern const size_t tu_corpus_len;

/* The real path of a corpus template for the tree at base (caller frees). */
char *tu_corpus_expand(const char *base, const char *tmpl);

#endif
