/* For test_legacy_clean_python.py: reads records (4-byte little-endian length, then the bytes)
 * from stdin until EOF and writes a0ipc_legacy_clean_output of each as a record to stdout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/legacy_clean.h"

static int read_all(void *buf, size_t n)
{
    return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

int main(void)
{
    for (;;) {
        uint8_t hdr[4];
        if (read_all(hdr, 4) != 0)
            return feof(stdin) ? 0 : 1;
        uint32_t len = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        uint8_t *in = malloc(len ? len : 1);
        if (!in || read_all(in, len) != 0)
            return 1;
        size_t out_len;
        char *out = a0ipc_legacy_clean_output(in, len, &out_len);
        free(in);
        if (!out)
            return 1;
        uint8_t oh[4] = {(uint8_t)out_len, (uint8_t)(out_len >> 8), (uint8_t)(out_len >> 16),
                         (uint8_t)(out_len >> 24)};
        fwrite(oh, 1, 4, stdout);
        fwrite(out, 1, out_len, stdout);
        free(out);
    }
}
