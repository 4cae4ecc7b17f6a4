/* Shaping an sql tool's result: the structured object of its `result` mode, a readable text rendering, and the
 * opaque pagination cursor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "providers/sql_tool.h"

#define TEXT_CAP (64u * 1024) /* the text block is a convenience; structuredContent holds everything */
#define CURSOR_LEN 22         /* 16 bytes in unpadded base64url */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A keyed check of (tool, offset): a cursor of another tool or a hand-edited offset does not verify. */
static uint64_t cursor_check(const bw_sql_tool *t, uint64_t offset)
{
    uint64_t h = t->db->cursor_key ^ 0x9E3779B97F4A7C15ull;
    for (const char *s = t->name; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= offset + 0x632BE59BD9B4E019ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}

static json_t *cursor_encode(const bw_sql_tool *t, uint64_t offset)
{
    unsigned char raw[16];
    uint64_t check = cursor_check(t, offset);
    for (int i = 0; i < 8; i++) {
        raw[i] = (unsigned char)(offset >> (8 * i));
        raw[8 + i] = (unsigned char)(check >> (8 * i));
    }
    char out[CURSOR_LEN + 1];
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < 16 ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < 16 ? raw[i + 2] : 0);
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        if (i + 1 < 16)
            out[o++] = b64url[v >> 6 & 63];
        if (i + 2 < 16)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return json_string(out);
}

bool bw_sql_cursor_decode(const bw_sql_tool *t, const json_t *cursor, size_t *offset)
{
    *offset = 0;
    if (!cursor || json_is_null(cursor))
        return true;
    const char *s = json_string_value(cursor);
    if (!s || strlen(s) != CURSOR_LEN)
        return false;
    unsigned char raw[17];
    size_t bits = 0, n = 0;
    unsigned acc = 0;
    for (const char *p = s; *p; p++) {
        const char *at = strchr(b64url, *p);
        if (!at)
            return false;
        acc = acc << 6 | (unsigned)(at - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (unsigned char)(acc >> bits);
        }
    }
    uint64_t off = 0, check = 0;
    for (int i = 0; i < 8; i++) {
        off |= (uint64_t)raw[i] << (8 * i);
        check |= (uint64_t)raw[8 + i] << (8 * i);
    }
    if (n != 16 || check != cursor_check(t, off) || off > (uint64_t)t->max_rows)
        return false;
    *offset = (size_t)off;
    return true;
}

/* ---- text rendering ---- */

static bw_status put(bw_buf *b, const char *s)
{
    return bw_buf_append(b, s, strlen(s));
}

/* A cell as text: strings as they are (newlines shown as \n), NULL, other values as JSON. */
static bw_status put_value(bw_buf *b, const json_t *v)
{
    if (json_is_null(v))
        return put(b, "NULL");
    if (!json_is_string(v)) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        bw_status st = text ? put(b, text) : BW_E_NOMEM;
        free(text);
        return st;
    }
    const char *s = json_string_value(v);
    bw_status st = BW_OK;
    for (size_t i = 0, start = 0; st == BW_OK && i <= json_string_length(v); i++) {
        if (i < json_string_length(v) && s[i] != '\n' && s[i] != '\r' && s[i] != '\0')
            continue;
        st = bw_buf_append(b, s + start, i - start);
        if (st == BW_OK && i < json_string_length(v))
            st = put(b, s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r" : "\\0");
        start = i + 1;
    }
    return st;
}

static bw_status render_table(bw_buf *b, const json_t *rows)
{
    const char *key;
    json_t *v;
    bw_status st = BW_OK;
    json_object_foreach(json_array_get(rows, 0), key, v)
    {
        if (st == BW_OK && b->len)
            st = put(b, " | ");
        if (st == BW_OK)
            st = put(b, key);
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        bool first = true;
        st = st == BW_OK ? put(b, "\n") : st;
        json_object_foreach(row, key, v)
        {
            if (st == BW_OK && !first)
                st = put(b, " | ");
            if (st == BW_OK)
                st = put_value(b, v);
            first = false;
        }
    }
    return st;
}

static bw_status render_row(bw_buf *b, const json_t *row)
{
    const char *key;
    json_t *v;
    bw_status st = BW_OK;
    json_object_foreach((json_t *)row, key, v)
    {
        if (st == BW_OK && b->len)
            st = put(b, "\n");
        if (st == BW_OK)
            st = put(b, key);
        if (st == BW_OK)
            st = put(b, ": ");
        if (st == BW_OK)
            st = put_value(b, v);
    }
    return st;
}

static void add_text(bw_call *call, bw_buf *b, bw_status st, const char *footer)
{
    if (st != BW_OK) {
        bw_buf_reset(b);
        st = put(b, "(the result is too large to show as text; see structuredContent)");
    }
    if (st == BW_OK)
        (void)put(b, footer); /* fails only at the cap: the text is then shown without it */
    bw_result_add_text(bw_call_result(call), b->data ? b->data : "");
}

static void respond_rows(bw_call *call, const bw_sql_tool *t, const bw_sql_page *page, bw_sql_exec *ex)
{
    size_t n = json_array_size(ex->rows);
    json_t *next = NULL;
    bool truncated = ex->more;
    if (ex->more && t->page_size && page->offset + n < (size_t)t->max_rows) {
        next = cursor_encode(t, page->offset + n);
        truncated = false;
    }
    json_t *out = json_pack("{s:O,s:I,s:b}", "rows", ex->rows, "row_count", (json_int_t)n, "truncated", truncated);
    if (out && ex->writes)
        json_object_set_new(out, "affected_rows", json_integer(ex->affected));
    if (out && next)
        json_object_set_new(out, "next_cursor", next);
    char footer[200], affected[64] = "";
    if (ex->writes)
        snprintf(affected, sizeof affected, ", %lld affected", (long long)ex->affected);
    snprintf(footer, sizeof footer, "%s(%zu row%s%s%s%s)", n ? "\n" : "", n, n == 1 ? "" : "s", affected,
             truncated ? ", truncated" : "", next ? "; more with next_cursor" : "");
    bw_buf b;
    bw_buf_init(&b, TEXT_CAP);
    add_text(call, &b, render_table(&b, ex->rows), footer);
    bw_buf_free(&b);
    if (out)
        bw_result_set_structured(bw_call_result(call), out);
    else
        bw_result_set_error(bw_call_result(call), "out of memory");
}

void bw_sql_respond(bw_call *call, const bw_sql_tool *t, const bw_sql_page *page, bw_sql_exec *ex)
{
    bw_result *r = bw_call_result(call);
    char text[80];
    switch (t->mode) {
    case BW_SQL_RESULT_ROWS:
        respond_rows(call, t, page, ex);
        return;
    case BW_SQL_RESULT_ROW: {
        json_t *row = json_array_get(ex->rows, 0);
        if (!row) {
            bw_result_set_error(r, "no row matched");
            return;
        }
        bw_buf b;
        bw_buf_init(&b, TEXT_CAP);
        add_text(call, &b, render_row(&b, row), "");
        bw_buf_free(&b);
        bw_result_set_structured(r, json_incref(row));
        return;
    }
    case BW_SQL_RESULT_AFFECTED:
        snprintf(text, sizeof text, "%lld row%s affected", (long long)ex->affected, ex->affected == 1 ? "" : "s");
        bw_result_add_text(r, text);
        bw_result_set_structured(r, json_pack("{s:I}", "affected_rows", (json_int_t)ex->affected));
        return;
    }
}
