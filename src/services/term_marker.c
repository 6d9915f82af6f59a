#include "services/term_marker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void a0ipc_term_marker_init(a0ipc_term_marker *m, const char *nonce)
{
    memset(m, 0, sizeof *m);
    memcpy(m->prefix, "\033]a0;", 5);
    memcpy(m->prefix + 5, nonce, A0IPC_TERM_NONCE_LEN);
    m->prefix[5 + A0IPC_TERM_NONCE_LEN] = ';';
    m->prefix_len = 6 + A0IPC_TERM_NONCE_LEN;
}

static void reset_fields(a0ipc_term_marker *m)
{
    m->held_len = 0;
    m->field = 0;
    m->field_digits = 0;
    m->negative = false;
    m->id = 0;
    m->code = 0;
}

/* Takes one byte while a marker may be in progress (held_len > 0). Returns 1 when the byte
 * extends it, 2 when it completes it, 0 when the held bytes are not a marker after all. */
static int step(a0ipc_term_marker *m, uint8_t b)
{
    if (m->held_len < m->prefix_len)
        return b == m->prefix[m->held_len] ? 1 : 0;
    if (m->field == 0) {
        if (b >= '0' && b <= '9' && m->field_digits < 19) {
            m->id = m->id * 10 + (uint64_t)(b - '0');
            m->field_digits++;
            return 1;
        }
        if (b == ';') {
            m->field = 1;
            m->field_digits = 0;
            return 1;
        }
        return 0;
    }
    if (b == '-' && m->field_digits == 0 && !m->negative) {
        m->negative = true;
        return 1;
    }
    if (b >= '0' && b <= '9' && m->field_digits < 10) {
        m->code = m->code * 10 + (b - '0');
        m->field_digits++;
        return 1;
    }
    if (b == '\a' && m->field_digits > 0)
        return 2;
    return 0;
}

size_t a0ipc_term_marker_feed(a0ipc_term_marker *m, const uint8_t *in, size_t len, uint8_t *out,
                              size_t *out_len, bool *found, a0ipc_term_mark *mark)
{
    size_t o = 0;
    *found = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = in[i];
        if (m->held_len == 0) {
            if (b != 0x1B) {
                /* The common case: copy the run of bytes up to the next ESC at once. */
                const uint8_t *esc = memchr(in + i, 0x1B, len - i);
                size_t n = esc ? (size_t)(esc - (in + i)) : len - i;
                memcpy(out + o, in + i, n);
                o += n;
                i += n - 1;
                continue;
            }
            m->held[m->held_len++] = b;
            continue;
        }
        int r = step(m, b);
        if (r == 1) {
            m->held[m->held_len++] = b;
            continue;
        }
        if (r == 2) {
            int64_t code = m->negative ? -m->code : m->code;
            mark->id = m->id;
            mark->exit_code = (int)code;
            reset_fields(m);
            *found = true;
            *out_len = o;
            return i + 1;
        }
        /* Not a marker: the held bytes are output. Only the first held byte can be ESC (the
         * rest of the pattern has none), so only this byte may start a new marker. */
        memcpy(out + o, m->held, m->held_len);
        o += m->held_len;
        reset_fields(m);
        i--; /* look at b again from the idle state */
    }
    *out_len = o;
    return len;
}

size_t a0ipc_term_marker_flush(a0ipc_term_marker *m, uint8_t *out)
{
    size_t n = m->held_len;
    memcpy(out, m->held, n);
    reset_fields(m);
    return n;
}

int a0ipc_term_random_hex(char *nonce)
{
    uint8_t raw[A0IPC_TERM_NONCE_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        nonce[2 * i] = hex[raw[i] >> 4];
        nonce[2 * i + 1] = hex[raw[i] & 15];
    }
    nonce[A0IPC_TERM_NONCE_LEN] = '\0';
    return 0;
}

char *a0ipc_term_marker_setup(const char *nonce)
{
    /* The leading space keeps the line out of history under HISTCONTROL=ignorespace. bash saves
     * and restores $? around PROMPT_COMMAND, so the user's $? is untouched; __a0_id is cleared
     * so that a later prompt not caused by a Run carries no number. */
    char *s = NULL;
    if (asprintf(&s,
                 " set +o emacs +o vi; set +H; PS1=''; PS2=''; PS0='';"
                 " PROMPT_COMMAND='printf \"\\033]a0;%s;%%s;%%d\\007\" \"${__a0_id-}\" $?;"
                 " __a0_id='\n",
                 nonce) < 0)
        return NULL;
    return s;
}
