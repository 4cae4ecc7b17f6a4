/* Value helpers shared by the SQL drivers: JSON text from database bytes, base64, row objects, and error
 * messages that never repeat a bound value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "providers/sql_driver.h"

/* Replaces, in msg (a buffer of cap bytes), each occurrence of `value` with "...". */
static void redact_one(char *msg, size_t cap, const char *value)
{
    size_t vlen = strlen(value);
    if (vlen == 0)
        return;
    char *hit, *from = msg;
    while ((hit = strstr(from, value)) != NULL) {
        size_t tail = strlen(hit + vlen);
        if ((size_t)(hit - msg) + 3 + tail + 1 > cap)
            tail = cap - (size_t)(hit - msg) - 4;
        memmove(hit + 3, hit + vlen, tail);
        hit[3 + tail] = '\0';
        memcpy(hit, "...", 3);
        from = hit + 3;
    }
}

void bw_sql_one_line(char *s)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        if (*p != '\n' && *p != '\r' && *p != '\t') {
            *out++ = *p;
        } else if (out > s && out[-1] != ' ') {
            *out++ = ' ';
        }
    }
    while (out > s && out[-1] == ' ')
        out--;
    *out = '\0';
}

void bw_sql_fail(bw_sql_ctx *ctx, const char *message)
{
    snprintf(ctx->err, sizeof ctx->err, "%s", message && *message ? message : "unknown database error");
    bw_sql_one_line(ctx->err);
    size_t i;
    const json_t *v;
    json_array_foreach(ctx->redact, i, v)
    {
        /* A one-character value would blank out half the message; those say nothing secret anyway. */
        if (json_is_string(v) && json_string_length(v) > 1)
            redact_one(ctx->err, sizeof ctx->err, json_string_value(v));
    }
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; k++)
        cp = (cp << 6) | (s[k] & 0x3F);
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0; /* overlong, out of range, or a surrogate */
    return n;
}

json_t *bw_sql_text(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    if (v || len == 0)
        return v ? v : json_string("");
    bw_buf b;
    bw_buf_init(&b, len * 3 + 1);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        bw_status st = n ? bw_buf_append(&b, s + i, n) : bw_buf_append(&b, "\xEF\xBF\xBD", 3);
        if (st != BW_OK) {
            bw_buf_free(&b);
            return NULL;
        }
        i += n ? n : 1;
    }
    v = json_stringn(b.data, b.len);
    bw_buf_free(&b);
    return v;
}

json_t *bw_sql_base64(const void *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    json_t *s = json_stringn(out, o);
    free(out);
    return s;
}

bw_status bw_sql_row_set(json_t *row, const char *name, json_t *value)
{
    if (!value)
        return BW_E_NOMEM;
    if (!json_object_get(row, name))
        return json_object_set_new(row, name, value) ? BW_E_NOMEM : BW_OK;
    char alt[300];
    for (int k = 2; k < 1000; k++) {
        snprintf(alt, sizeof alt, "%.280s_%d", name, k);
        if (!json_object_get(row, alt))
            return json_object_set_new(row, alt, value) ? BW_E_NOMEM : BW_OK;
    }
    json_decref(value);
    return BW_E_LIMIT;
}

size_t bw_sql_value_size(const json_t *v)
{
    return json_is_string(v) ? json_string_length(v) + 8 : 16;
}

bool bw_sql_blank_tail(const char *s)
{
    while (*s) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v' || *s == ';') {
            s++;
        } else if (s[0] == '-' && s[1] == '-') {
            const char *nl = strchr(s, '\n');
            s = nl ? nl + 1 : s + strlen(s);
        } else if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            if (!end)
                return true; /* SQLite ignores an unterminated trailing comment */
            s = end + 2;
        } else {
            return false;
        }
    }
    return true;
}
