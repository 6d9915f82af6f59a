/* For harnesses of readers that take a path: the input written to one private temporary file,
 * replaced on every run. */
#ifndef A0IPC_FUZZ_FILE_H
#define A0IPC_FUZZ_FILE_H

#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static inline const char *a0ipc_fuzz_file(const uint8_t *data, size_t size, mode_t mode)
{
    static char path[64];
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        char tmpl[64];
        snprintf(tmpl, sizeof tmpl, "%.40s/a0ipc-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        char *dir = mkdtemp(tmpl);
        assert(dir);
        snprintf(path, sizeof path, "%s/input", dir);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert(fd >= 0);
    for (size_t at = 0; at < size;) {
        ssize_t n = write(fd, data + at, size - at);
        assert(n > 0);
        at += (size_t)n;
    }
    close(fd);
    return path;
}

#endif
