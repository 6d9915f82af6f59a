/* For test_legacy_clean_python.py: reads records (4-byte little-endian length, then the bytes)
 * from stdin until EOF and writes the cleaned text of each as a record to stdout.
 *
 *   legacy_clean_filter                   a0ipc_legacy_clean_output of the whole record
 *   legacy_clean_filter stream MAX_LINE   the streaming cleaner (Run's clean_output), the record
 *                                         fed in pieces of pseudo-random sizes (1 to 64 bytes) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/legacy_clean.h"
#include "services/term_clean.h"

static int read_all(void *buf, size_t n)
{
    return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

static void put_record(const char *p, size_t n)
{
    uint8_t oh[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    fwrite(oh, 1, 4, stdout);
    fwrite(p, 1, n, stdout);
}

/* Fed in pieces; returns 0 or -1. */
static int stream(const uint8_t *in, size_t len, size_t max_line, uint32_t *rng)
{
    a0ipc_term_cleaner *c = a0ipc_term_clean_new(max_line);
    a0ipc_term_text t = A0IPC_TERM_TEXT_INIT;
    int rc = c ? a0ipc_term_text_add(&t, "", 0) : -1;
    for (size_t at = 0; rc == 0 && at < len;) {
        *rng = *rng * 1103515245u + 12345u;
        size_t n = 1 + (*rng >> 16) % 64;
        if (n > len - at)
            n = len - at;
        rc = a0ipc_term_clean_feed(c, in + at, n, &t);
        at += n;
    }
    if (rc == 0)
        rc = a0ipc_term_clean_finish(c, &t);
    if (rc == 0)
        put_record(t.p, t.len);
    a0ipc_term_text_free(&t);
    a0ipc_term_clean_free(c);
    return rc;
}

int main(int argc, char **argv)
{
    int streaming = argc == 3 && strcmp(argv[1], "stream") == 0;
    size_t max_line = streaming ? strtoul(argv[2], NULL, 10) : 0;
    uint32_t rng = 20240607;
    for (;;) {
        uint8_t hdr[4];
        if (read_all(hdr, 4) != 0)
            return feof(stdin) ? 0 : 1;
        uint32_t len = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        uint8_t *in = malloc(len ? len : 1);
        if (!in || read_all(in, len) != 0)
            return 1;
        if (streaming) {
            int rc = stream(in, len, max_line, &rng);
            free(in);
            if (rc != 0)
                return 1;
            continue;
        }
        size_t out_len;
        char *out = a0ipc_legacy_clean_output(in, len, &out_len);
        free(in);
        if (!out)
            return 1;
        put_record(out, out_len);
        free(out);
    }
}
