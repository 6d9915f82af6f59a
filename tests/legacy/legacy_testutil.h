/* Shared by the legacy transport's tests: the golden data of tests/fixtures/legacy, its fixture
 * tree (tests/fixtures/legacy/README.md), and the reference server
 * (tests/legacy/reference_server.py). */
#ifndef A0IPC_LEGACY_TESTUTIL_H
#define A0IPC_LEGACY_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "transport/legacy/rfc_json.h"

/* The directory with rfc_vectors.json and files_transcripts.json: <A0IPC_FIXTURES>/legacy (set
 * by CMake; tests/fixtures/legacy in the source tree). */
const char *lt_legacy_fixtures_dir(void);

/* Reads a whole file (NUL-terminated; caller frees); NULL with errno set when it cannot. */
char *lt_read_file(const char *path, size_t *len);

/* Parses <legacy fixtures dir>/<name>. A missing file fails the test with a message that says
 * where the golden data was expected: these tests must never pass without it. */
a0ipc_json *lt_load_golden(const char *name);

/* A new empty temporary directory (caller frees the string; lt_rm_rf removes the tree). */
char *lt_mkdtemp(const char *tag);
void lt_rm_rf(const char *path);

/* The fixture tree of tests/fixtures/legacy/README.md in root, every mtime 1700000000. */
void lt_build_fixture(const char *root);
/* Sets every mtime under root (and root's) back to 1700000000: the recorded run shows that
 * value even for files written during it, so its harness did this before each step. */
void lt_reset_mtimes(const char *root);

/* Copies v with every "$ROOT" in its strings replaced by root. */
a0ipc_json *lt_subst_root(const a0ipc_json *v, const char *root);

/* The reference server, started with RFC_PASSWORD=password (NULL: unset) on a free loopback
 * port. */
typedef struct lt_server {
    pid_t pid;
    int port;
} lt_server;
void lt_server_start(lt_server *s, const char *password);
void lt_server_stop(lt_server *s);

#endif
