/* Building one log line in a fixed buffer (see log_line.h for the bounds and the escaping). */
#include "observability/log_line.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "observability/log_write.h"

/* Room always kept at the end of the buffer for a truncation marker, a closing quote and "}\n". */
#define RESERVE 32
#define LIMIT (BW_LOG_LINE_MAX - RESERVE)

const char *bw_loglevel_name(bw_loglevel lvl, bool upper)
{
    static const char *const lower[] = {"debug", "info", "warn", "error", "off"};
    static const char *const up[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
    if ((int)lvl < 0 || lvl > BW_LL_OFF)
        lvl = BW_LL_ERROR;
    return upper ? up[lvl] : lower[lvl];
}

static void raw(bw_logline *l, const char *s, size_t n)
{
    if (l->len + n > BW_LOG_LINE_MAX) /* cannot happen within RESERVE; a guard, not a path */
        n = BW_LOG_LINE_MAX - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void raws(bw_logline *l, const char *s)
{
    raw(l, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* The escaped form of the character at s into out (>= 8 bytes); returns its length, *used the input consumed. */
static size_t escape_one(const unsigned char *s, size_t n, bool quote, char *out, size_t *used)
{
    unsigned c = s[0];
    *used = 1;
    if (c == '\\' || (c == '"' && quote)) {
        out[0] = '\\', out[1] = (char)c;
        return 2;
    }
    if (c < 0x20 || c == 0x7F) {
        const char *short_form = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (short_form) {
            memcpy(out, short_form, 2);
            return 2;
        }
        return (size_t)snprintf(out, 8, "\\u%04x", c);
    }
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    size_t len = utf8_len(s, n);
    if (!len) {
        memcpy(out, "\\ufffd", 6); /* invalid UTF-8: replaced, never passed on */
        return 6;
    }
    memcpy(out, s, len);
    *used = len;
    return len;
}

/* Appends s escaped, stopping before LIMIT; true when all of it fit. */
static bool escaped(bw_logline *l, const char *s, size_t n, bool quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        char out[8];
        size_t used;
        size_t k = escape_one(p + i, n - i, quote, out, &used);
        if (l->len + k > LIMIT)
            return false;
        raw(l, out, k);
        i += used;
    }
    return true;
}

/* A quoted string value (JSON string syntax in both formats); cut with the marker when it does not fit. */
static void quoted(bw_logline *l, const char *s, size_t n)
{
    raw(l, "\"", 1);
    if (!escaped(l, s, n, true))
        raws(l, BW_LOG_TRUNCATED);
    raw(l, "\"", 1);
}

/* Text format: a value is written bare unless it needs quotes to stay one token. */
static bool needs_quotes(const char *s, size_t n)
{
    if (!n)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7F)
            return true;
    }
    return false;
}

/* Starts a field: `,"key":` or ` key=`. false (nothing written) when not even the key and a short value fit. */
static bool key(bw_logline *l, const char *k)
{
    size_t need = strlen(k) + 8 + sizeof BW_LOG_TRUNCATED;
    if (l->len + need > LIMIT)
        return false;
    if (l->json) {
        raw(l, ",", 1);
        quoted(l, k, strlen(k));
        raw(l, ":", 1);
    } else {
        raw(l, " ", 1);
        escaped(l, k, strlen(k), true);
        raw(l, "=", 1);
    }
    return true;
}

void bw_logline_begin(bw_logline *l, bw_loglevel lvl, const char *msg)
{
    char ts[BW_RFC3339_MS_LEN + 1];
    bw_rfc3339_ms(bw_wall_ms(), ts);
    l->len = 0;
    l->json = bw_log_get_format() == BW_LOG_FORMAT_JSON;
    if (!msg)
        msg = "";
    if (l->json) {
        raws(l, "{\"ts\":\"");
        raws(l, ts);
        raws(l, "\",\"level\":\"");
        raws(l, bw_loglevel_name(lvl, false));
        raws(l, "\",\"msg\":");
        quoted(l, msg, strlen(msg));
        return;
    }
    raws(l, ts);
    raws(l, " ");
    raws(l, bw_loglevel_name(lvl, true));
    raws(l, " ");
    if (!escaped(l, msg, strlen(msg), false))
        raws(l, BW_LOG_TRUNCATED);
}

void bw_logline_str(bw_logline *l, const char *k, const char *val)
{
    if (!val || !*val || !key(l, k))
        return;
    size_t n = strlen(val);
    if (l->json || needs_quotes(val, n))
        quoted(l, val, n);
    else if (!escaped(l, val, n, true))
        raws(l, BW_LOG_TRUNCATED);
}

void bw_logline_num(bw_logline *l, const char *k, double v, int decimals)
{
    if (!isfinite(v) || !key(l, k))
        return;
    char num[64];
    snprintf(num, sizeof num, "%.*f", decimals, v);
    raws(l, num);
}

void bw_logline_int(bw_logline *l, const char *k, long long v)
{
    if (!key(l, k))
        return;
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    raws(l, num);
}

/* A JSON value too long for the line: the start of its serialization as a string ending with the marker. */
static void json_cut(bw_logline *l, const json_t *v)
{
    char *all = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    quoted(l, all ? all : "", all ? strlen(all) : 0);
    free(all);
}

void bw_logline_json(bw_logline *l, const char *k, const json_t *v)
{
    if (!v)
        return;
    if (json_is_string(v)) {
        bw_logline_str(l, k, json_string_value(v));
        return;
    }
    if (!key(l, k))
        return;
    size_t room = LIMIT - l->len;
    size_t need = json_dumpb(v, l->buf + l->len, room, JSON_COMPACT | JSON_ENCODE_ANY);
    if (need > 0 && need <= room) {
        l->len += need;
        return;
    }
    json_cut(l, v);
}

void bw_logline_object(bw_logline *l, const json_t *obj)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) bw_logline_json(l, k, v);
}

void bw_logline_end(bw_logline *l)
{
    if (l->json)
        raw(l, "}", 1);
    raw(l, "\n", 1);
    bw_log_write(l->buf, l->len);
}
