#include "security/client_credentials.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "security/tokens.h"

int a0ipc_read_token_file(const char *path, char *out, size_t cap, a0ipc_status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot read the token file %s", path);
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & (S_IRGRP | S_IROTH)))
        fprintf(stderr, "a0ipc: warning: %s is readable by others: chmod 600 %s\n", path, path);
    char line[A0IPC_TOKEN_MAX + 2];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *s = line;
    size_t n = 0;
    if (got) {
        s += strspn(s, " \t");
        n = strcspn(s, " \t\r\n");
    }
    int rc = 0;
    if (n == 0 || n >= cap || n > A0IPC_TOKEN_MAX) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "the token file %s must hold the token on its first line", path);
        rc = -1;
    } else {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    OPENSSL_cleanse(line, sizeof line);
    return rc;
}
