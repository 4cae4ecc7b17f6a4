/* From HTTP response to tool result. */
#include "providers/http_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "providers/http_json.h"

#define STATUS_LINE_MAX 128

/* The media type of a Content-Type without parameters: its length, after leading spaces (*start). */
static size_t media_type(const char *content_type, const char **start)
{
    const char *p = content_type;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "; \t");
    *start = p;
    return n;
}

bool bw_http_is_json_type(const char *content_type)
{
    const char *t;
    size_t n = media_type(content_type, &t);
    static const char json[] = "application/json", plus[] = "+json";
    if (n == sizeof json - 1 && !strncasecmp(t, json, n))
        return true;
    return n > sizeof plus - 1 && !strncasecmp(t, "application/", 12) &&
           !strncasecmp(t + n - (sizeof plus - 1), plus, sizeof plus - 1);
}

static bool is_text_type(const char *content_type)
{
    const char *t;
    media_type(content_type, &t);
    return !strncasecmp(t, "text/", 5) || strcasestr(content_type, "charset=") != NULL;
}

/* "HTTP 404 Not Found" (the reason phrase comes from the server: made valid UTF-8; omitted when absent). */
static void status_line(const bw_http_response *resp, char *out, size_t cap)
{
    bw_buf reason;
    bw_buf_init(&reason, sizeof resp->reason * 3);
    bool ok = bw_utf8_sanitize(resp->reason, strlen(resp->reason), &reason) == BW_OK && reason.len;
    snprintf(out, cap, "HTTP %ld%s%s", resp->status, ok ? " " : "", ok ? reason.data : "");
    bw_buf_free(&reason);
}

/* Sets isError with "<head>: <first 512 bytes of the body>" ("…" marks a cut). */
static bw_status error_with_excerpt(bw_result *r, const char *head, const bw_buf *body)
{
    bw_buf msg;
    bw_buf_init(&msg, STATUS_LINE_MAX + 1024 + BW_HTTP_EXCERPT_BYTES * 3);
    size_t n = bw_utf8_prefix(body->data, body->len, BW_HTTP_EXCERPT_BYTES);
    bw_status st = bw_buf_append(&msg, head, strlen(head));
    if (st == BW_OK && body->len)
        st = bw_buf_append(&msg, ": ", 2);
    if (st == BW_OK && body->len)
        st = bw_utf8_sanitize(body->data, n, &msg);
    if (st == BW_OK && n < body->len)
        st = bw_buf_append(&msg, "\xE2\x80\xA6", 3);
    if (st == BW_OK)
        st = bw_result_set_error(r, msg.data);
    bw_buf_free(&msg);
    return st;
}

/* The Location came from the server: made valid UTF-8 before it becomes JSON text. */
static bw_status redirect_error(bw_result *r, const char *head, const char *location)
{
    static const char tail[] = " not followed (follow_redirects is false)";
    bw_buf msg;
    bw_buf_init(&msg, STATUS_LINE_MAX + 3 * BW_HTTP_EXCERPT_BYTES * 2 + sizeof tail + 32);
    bw_status st = bw_buf_append(&msg, head, strlen(head));
    if (st == BW_OK)
        st = bw_buf_append(&msg, ": redirect to ", 14);
    if (st == BW_OK)
        st = bw_utf8_sanitize(location, strlen(location), &msg);
    if (st == BW_OK)
        st = bw_buf_append(&msg, tail, sizeof tail - 1);
    if (st == BW_OK)
        st = bw_result_set_error(r, msg.data);
    bw_buf_free(&msg);
    return st;
}

static bw_status json_result(bw_result *r, const bw_http_response *resp, const char *extract)
{
    json_error_t je;
    char msg[512];
    json_t *doc = json_loadb(resp->body.data, resp->body.len, JSON_DECODE_ANY, &je);
    if (!doc) {
        snprintf(msg, sizeof msg, "the response is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return bw_result_set_error(r, msg);
    }
    const json_t *v = extract ? bw_json_pointer_get(doc, extract) : doc;
    bw_status st;
    if (!v) {
        snprintf(msg, sizeof msg, "extract: the response has no value at JSON pointer \"%.300s\"", extract);
        st = bw_result_set_error(r, msg);
    } else {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *structured = json_is_object(v) ? json_incref((json_t *)v) : json_pack("{s:O}", "result", v);
        st = text && structured ? bw_result_add_text(r, text) : BW_E_NOMEM;
        if (st == BW_OK)
            st = bw_result_set_structured(r, structured);
        else
            json_decref(structured);
        free(text);
    }
    json_decref(doc);
    return st;
}

static bw_status text_result(bw_result *r, const bw_http_response *resp)
{
    char msg[512];
    const bw_buf *body = &resp->body;
    if (bw_utf8_valid(body->data, body->len))
        return bw_result_add_text(r, body->data);
    if (!is_text_type(resp->content_type)) {
        snprintf(msg, sizeof msg,
                 "the response is binary (Content-Type: %.100s, %zu bytes); only text and JSON responses are returned",
                 resp->content_type[0] ? resp->content_type : "none", body->len);
        return bw_result_set_error(r, msg);
    }
    bw_buf text;
    bw_buf_init(&text, body->len * 3);
    bw_status st = bw_utf8_sanitize(body->data, body->len, &text);
    if (st == BW_OK)
        st = bw_result_add_text(r, text.data);
    bw_buf_free(&text);
    return st;
}

bw_status bw_http_result(bw_result *r, const bw_http_response *resp, const char *extract)
{
    char head[STATUS_LINE_MAX];
    status_line(resp, head, sizeof head);
    if (resp->status >= 400)
        return error_with_excerpt(r, head, &resp->body);
    if (resp->status >= 300 && resp->redirect_url[0])
        return redirect_error(r, head, resp->redirect_url);
    bool json = bw_http_is_json_type(resp->content_type);
    if (extract && (!json || !resp->body.len)) {
        char msg[STATUS_LINE_MAX + 400];
        snprintf(msg, sizeof msg, "extract needs a JSON response, got %s with Content-Type: %.200s", head,
                 resp->content_type[0] ? resp->content_type : "none");
        return bw_result_set_error(r, msg);
    }
    if (!resp->body.len)
        return bw_result_add_text(r, head);
    return json ? json_result(r, resp, extract) : text_result(r, resp);
}
