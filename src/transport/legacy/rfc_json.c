/* JSON values and the json.dumps-exact writer. The reader is in rfc_json_parse.c. */
#include "transport/legacy/rfc_json.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

static a0ipc_json *new_value(a0ipc_json_type type)
{
    a0ipc_json *v = calloc(1, sizeof *v);
    if (v)
        v->type = type;
    return v;
}

a0ipc_json *a0ipc_json_null(void)
{
    return new_value(A0IPC_JSON_NULL);
}

a0ipc_json *a0ipc_json_bool(bool b)
{
    a0ipc_json *v = new_value(A0IPC_JSON_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

a0ipc_json *a0ipc_json_int(int64_t i)
{
    a0ipc_json *v = new_value(A0IPC_JSON_INT);
    if (v)
        v->u.i = i;
    return v;
}

a0ipc_json *a0ipc_json_float(double f)
{
    a0ipc_json *v = new_value(A0IPC_JSON_FLOAT);
    if (v)
        v->u.f = f;
    return v;
}

a0ipc_json *a0ipc_json_string_len(const char *s, size_t len)
{
    if (!s && len > 0)
        return NULL;
    a0ipc_json *v = new_value(A0IPC_JSON_STRING);
    if (!v)
        return NULL;
    v->u.s.p = malloc(len + 1);
    if (!v->u.s.p) {
        free(v);
        return NULL;
    }
    if (len > 0)
        memcpy(v->u.s.p, s, len);
    v->u.s.p[len] = '\0';
    v->u.s.len = len;
    return v;
}

a0ipc_json *a0ipc_json_string(const char *s)
{
    return s ? a0ipc_json_string_len(s, strlen(s)) : NULL;
}

a0ipc_json *a0ipc_json_array(void)
{
    return new_value(A0IPC_JSON_ARRAY);
}

a0ipc_json *a0ipc_json_object(void)
{
    return new_value(A0IPC_JSON_OBJECT);
}

/* Grows an array of elem-sized items to hold one more; 0 or -1. */
static int grow(void **items, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = realloc(*items, ncap * elem);
    if (!p)
        return -1;
    *items = p;
    *cap = ncap;
    return 0;
}

int a0ipc_json_array_add(a0ipc_json *arr, a0ipc_json *item)
{
    if (!item)
        return -1;
    if (!arr || arr->type != A0IPC_JSON_ARRAY ||
        grow((void **)&arr->u.arr.items, &arr->u.arr.cap, arr->u.arr.n, sizeof item) != 0) {
        a0ipc_json_free(item);
        return -1;
    }
    arr->u.arr.items[arr->u.arr.n++] = item;
    return 0;
}

int a0ipc_json_object_add(a0ipc_json *obj, const char *key, a0ipc_json *value)
{
    if (!value)
        return -1;
    char *k = key ? strdup(key) : NULL;
    if (!k || !obj || obj->type != A0IPC_JSON_OBJECT ||
        grow((void **)&obj->u.obj.members, &obj->u.obj.cap, obj->u.obj.n,
             sizeof(a0ipc_json_member)) != 0) {
        free(k);
        a0ipc_json_free(value);
        return -1;
    }
    obj->u.obj.members[obj->u.obj.n++] = (a0ipc_json_member){k, strlen(k), value};
    return 0;
}

void a0ipc_json_free(a0ipc_json *v)
{
    if (!v)
        return;
    switch (v->type) {
    case A0IPC_JSON_STRING:
        free(v->u.s.p);
        break;
    case A0IPC_JSON_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++)
            a0ipc_json_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case A0IPC_JSON_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++) {
            free(v->u.obj.members[i].key);
            a0ipc_json_free(v->u.obj.members[i].value);
        }
        free(v->u.obj.members);
        break;
    default:
        break;
    }
    free(v);
}

const a0ipc_json *a0ipc_json_get(const a0ipc_json *obj, const char *key)
{
    if (!obj || obj->type != A0IPC_JSON_OBJECT || !key)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = obj->u.obj.n; i-- > 0;) {
        const a0ipc_json_member *m = &obj->u.obj.members[i];
        if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
            return m->value;
    }
    return NULL;
}

bool a0ipc_json_equal(const a0ipc_json *a, const a0ipc_json *b)
{
    if (!a || !b || a->type != b->type)
        return a == b;
    switch (a->type) {
    case A0IPC_JSON_NULL:
        return true;
    case A0IPC_JSON_BOOL:
        return a->u.b == b->u.b;
    case A0IPC_JSON_INT:
        return a->u.i == b->u.i;
    case A0IPC_JSON_FLOAT:
        /* Same text, same value: compare bit patterns so -0.0 != 0.0 and NaN == NaN. */
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case A0IPC_JSON_STRING:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case A0IPC_JSON_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return false;
        for (size_t i = 0; i < a->u.arr.n; i++)
            if (!a0ipc_json_equal(a->u.arr.items[i], b->u.arr.items[i]))
                return false;
        return true;
    case A0IPC_JSON_OBJECT:
        if (a->u.obj.n != b->u.obj.n)
            return false;
        for (size_t i = 0; i < a->u.obj.n; i++) {
            const a0ipc_json_member *x = &a->u.obj.members[i], *y = &b->u.obj.members[i];
            if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 ||
                !a0ipc_json_equal(x->value, y->value))
                return false;
        }
        return true;
    }
    return false;
}

a0ipc_json *a0ipc_json_copy(const a0ipc_json *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case A0IPC_JSON_NULL:
        return a0ipc_json_null();
    case A0IPC_JSON_BOOL:
        return a0ipc_json_bool(v->u.b);
    case A0IPC_JSON_INT:
        return a0ipc_json_int(v->u.i);
    case A0IPC_JSON_FLOAT:
        return a0ipc_json_float(v->u.f);
    case A0IPC_JSON_STRING:
        return a0ipc_json_string_len(v->u.s.p, v->u.s.len);
    case A0IPC_JSON_ARRAY: {
        a0ipc_json *c = a0ipc_json_array();
        for (size_t i = 0; c && i < v->u.arr.n; i++) {
            if (a0ipc_json_array_add(c, a0ipc_json_copy(v->u.arr.items[i])) != 0) {
                a0ipc_json_free(c);
                c = NULL;
            }
        }
        return c;
    }
    case A0IPC_JSON_OBJECT: {
        a0ipc_json *c = a0ipc_json_object();
        for (size_t i = 0; c && i < v->u.obj.n; i++) {
            const a0ipc_json_member *m = &v->u.obj.members[i];
            if (a0ipc_json_object_add(c, m->key, a0ipc_json_copy(m->value)) != 0) {
                a0ipc_json_free(c);
                c = NULL;
            }
        }
        return c;
    }
    }
    return NULL;
}

/* ---- the buffer ---- */

void a0ipc_jbuf_add(a0ipc_jbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + len + 1)
            ncap *= 2;
        char *p = realloc(b->p, ncap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = ncap;
    }
    if (len > 0)
        memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void a0ipc_jbuf_free(a0ipc_jbuf *b)
{
    free(b->p);
    *b = (a0ipc_jbuf){0};
}

static void add_str(a0ipc_jbuf *b, const char *s)
{
    a0ipc_jbuf_add(b, s, strlen(s));
}

/* ---- floats as Python's repr ---- */

/* printf and strtod follow LC_NUMERIC, which a host program may have set to a locale with a
 * decimal comma; Python's repr never does. Both run under a "C" locale of our own. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t numeric_c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale;
}

/* Parses text as a double in the "C" locale (the reader uses it too). */
double a0ipc_json_strtod(const char *text, char **end)
{
    locale_t loc = numeric_c_locale();
    return loc ? strtod_l(text, end, loc) : strtod(text, end);
}

/* "%.*e" of f with ndigits significant digits into mant (digits only, no point) and *exp10
 * (f = 0.d1d2... * 10^(*exp10 + 1), i.e. d1.d2... * 10^*exp10). */
static void sci_digits(double f, int ndigits, char *mant, int *exp10)
{
    char buf[64];
    locale_t loc = numeric_c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    snprintf(buf, sizeof buf, "%.*e", ndigits - 1, f);
    if (loc)
        uselocale(old);
    size_t k = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            mant[k++] = *p;
    mant[k] = '\0';
    *exp10 = *p == 'e' ? atoi(p + 1) : 0;
}

/* Whether the decimal mant * 10^(exp10 - len(mant) + 1) reads back as f. */
static bool reads_back(const char *mant, int exp10, double f)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%c.%se%d", mant[0], mant + 1, exp10);
    return a0ipc_json_strtod(buf, NULL) == f;
}

/* mant (n digits) plus one in its last place; 9.99 + 0.01 = 10.0 keeps n digits as 1.00 and
 * one more power of ten. */
static void next_decimal_up(char *mant, int *exp10)
{
    size_t i = strlen(mant);
    while (i > 0 && mant[i - 1] == '9')
        mant[--i] = '0';
    if (i == 0) {
        mant[0] = '1';
        (*exp10)++;
    } else {
        mant[i - 1]++;
    }
}

/* The shortest digits that read back as f (finite, positive), as Python's repr finds them.
 * The correctly rounded n-digit decimal is the nearest one, and it reads back whenever any
 * n-digit decimal does, except at a power of two: there the gap to the double below is half the
 * gap above, so the nearest decimal (below f) can miss while the next one up still reads back.
 * Python's dtoa then takes that one; so do we. */
static void shortest_digits(double f, char *mant, int *exp10)
{
    for (int n = 1; n < 17; n++) {
        sci_digits(f, n, mant, exp10);
        if (reads_back(mant, *exp10, f))
            return;
        char up[32];
        int up_exp = *exp10;
        memcpy(up, mant, strlen(mant) + 1);
        next_decimal_up(up, &up_exp);
        if (reads_back(up, up_exp, f)) {
            memcpy(mant, up, strlen(up) + 1);
            *exp10 = up_exp;
            return;
        }
    }
    sci_digits(f, 17, mant, exp10); /* 17 significant digits always read back */
}

void a0ipc_json_dump_float(a0ipc_jbuf *b, double f)
{
    if (isnan(f)) {
        add_str(b, "NaN");
        return;
    }
    if (isinf(f)) {
        add_str(b, f > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (signbit(f))
        add_str(b, "-");
    f = fabs(f);
    if (f == 0) {
        add_str(b, "0.0");
        return;
    }
    char mant[32];
    int exp10;
    shortest_digits(f, mant, &exp10);
    size_t n = strlen(mant);
    while (n > 1 && mant[n - 1] == '0')
        mant[--n] = '\0';
    /* Python (format_float_short, mode 'r'): with decpt the position of the decimal point
     * relative to the digits, exponent notation when decpt <= -4 or decpt > 16. */
    int decpt = exp10 + 1;
    char tmp[64];
    if (decpt <= -4 || decpt > 16) {
        a0ipc_jbuf_add(b, mant, 1);
        if (n > 1) {
            add_str(b, ".");
            add_str(b, mant + 1);
        }
        snprintf(tmp, sizeof tmp, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        add_str(b, tmp);
    } else if (decpt <= 0) {
        add_str(b, "0.");
        for (int i = 0; i < -decpt; i++)
            add_str(b, "0");
        add_str(b, mant);
    } else if ((size_t)decpt < n) {
        a0ipc_jbuf_add(b, mant, (size_t)decpt);
        add_str(b, ".");
        add_str(b, mant + decpt);
    } else {
        add_str(b, mant);
        for (size_t i = n; i < (size_t)decpt; i++)
            add_str(b, "0");
        add_str(b, ".0");
    }
}

/* ---- strings ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the byte at s does not start one
 * (then Python's surrogateescape takes that one byte). Overlong forms, surrogates and values
 * above U+10FFFF are not valid. *cp receives the code point. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need;
}

static void add_u16(a0ipc_jbuf *b, uint32_t unit)
{
    char tmp[8];
    snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)unit);
    a0ipc_jbuf_add(b, tmp, 6);
}

void a0ipc_json_dump_string(a0ipc_jbuf *b, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    add_str(b, "\"");
    size_t i = 0;
    while (i < len) {
        /* Runs of printable ASCII other than " and \ go out as they are. */
        size_t j = i;
        while (j < len && s[j] >= 0x20 && s[j] <= 0x7E && s[j] != '"' && s[j] != '\\')
            j++;
        if (j > i) {
            a0ipc_jbuf_add(b, str + i, j - i);
            i = j;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            add_u16(b, 0xDC00 + s[i]); /* surrogateescape */
            i++;
            continue;
        }
        i += n;
        switch (cp) {
        case '"':
            add_str(b, "\\\"");
            break;
        case '\\':
            add_str(b, "\\\\");
            break;
        case '\n':
            add_str(b, "\\n");
            break;
        case '\r':
            add_str(b, "\\r");
            break;
        case '\t':
            add_str(b, "\\t");
            break;
        case '\b':
            add_str(b, "\\b");
            break;
        case '\f':
            add_str(b, "\\f");
            break;
        default:
            if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000;
                add_u16(b, 0xD800 + (v >> 10));
                add_u16(b, 0xDC00 + (v & 0x3FF));
            } else {
                add_u16(b, cp);
            }
        }
    }
    add_str(b, "\"");
}

/* ---- values ---- */

void a0ipc_json_dump(a0ipc_jbuf *b, const a0ipc_json *v)
{
    char tmp[32];
    if (!v) {
        b->oom = true; /* a hole in the tree: never send half a request */
        return;
    }
    switch (v->type) {
    case A0IPC_JSON_NULL:
        add_str(b, "null");
        break;
    case A0IPC_JSON_BOOL:
        add_str(b, v->u.b ? "true" : "false");
        break;
    case A0IPC_JSON_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
        add_str(b, tmp);
        break;
    case A0IPC_JSON_FLOAT:
        a0ipc_json_dump_float(b, v->u.f);
        break;
    case A0IPC_JSON_STRING:
        a0ipc_json_dump_string(b, v->u.s.p, v->u.s.len);
        break;
    case A0IPC_JSON_ARRAY:
        add_str(b, "[");
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i > 0)
                add_str(b, ", ");
            a0ipc_json_dump(b, v->u.arr.items[i]);
        }
        add_str(b, "]");
        break;
    case A0IPC_JSON_OBJECT:
        add_str(b, "{");
        for (size_t i = 0; i < v->u.obj.n; i++) {
            if (i > 0)
                add_str(b, ", ");
            a0ipc_json_dump_string(b, v->u.obj.members[i].key, v->u.obj.members[i].key_len);
            add_str(b, ": ");
            a0ipc_json_dump(b, v->u.obj.members[i].value);
        }
        add_str(b, "}");
        break;
    }
}
