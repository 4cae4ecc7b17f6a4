/* The http provider: compiles a tool's `http` section (checking every template against the tool's arguments) and
 * runs calls: build the URL, headers and body from the arguments, transfer with libcurl, map the response. */
#include "providers/http_provider.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bulwark/call.h"
#include "bulwark/policy.h"
#include "core/utf8.h"
#include "observability/trace.h"
#include "providers/http_client.h"
#include "providers/http_json.h"
#include "providers/http_response.h"
#include "providers/http_url.h"
#include "providers/template.h"
#include "providers/tool_error.h"

#define URL_MAX_BYTES 65536
#define HEADER_MAX_BYTES 16384
#define BODY_STRING_MAX_BYTES (4u << 20)

typedef struct http_tool {
    json_t *cfg;         /* own copy of the section: every string below points into it */
    const char *method;
    const char *url;     /* RFC 6570 level-1 template */
    const json_t *query; /* name -> value template ({name}) */
    const json_t *headers; /* name -> value template ({{name}}) */
    const json_t *body;  /* JSON template, or NULL */
    bool has_content_type;
    long timeout_ms, connect_timeout_ms;
    size_t max_response_bytes;
    const char *extract;
    bool tls_verify, follow_redirects;
    const char *ca_file; /* resolved path, owned by the build context */
    char *dependency;    /* the url's origin "scheme://host:port" (owned) */
    bool own_traceparent, own_tracestate; /* the configuration sets these headers itself: ours are not added */
} http_tool;

/* ---------------------------------------------------------------- calls */

/* Appends "?name=value" / "&name=value" for each query parameter whose arguments are all present. */
static bw_status append_query(bw_call *call, const http_tool *t, const json_t *args, bw_buf *url, bool *failed)
{
    const char *name;
    json_t *tpl;
    char var[BW_URL_VAR_MAX + 1];
    bw_buf value;
    bw_buf_init(&value, URL_MAX_BYTES);
    bw_status st = BW_OK;
    json_object_foreach((json_t *)t->query, name, tpl)
    {
        bw_buf_reset(&value);
        st = bw_url_tpl_expand(json_string_value(tpl), args, false, &value, var, sizeof var);
        if (st == BW_E_NOT_FOUND) { /* an optional parameter the caller did not give */
            st = BW_OK;
            continue;
        }
        if (st == BW_E_INVALID_ARG) {
            *failed = true;
            st = bw_tool_fail(call, "argument '%s' must be a string, number or boolean to be used in query parameter '%s'",
                      var, name);
            break;
        }
        const char *sep = memchr(url->data, '?', url->len) ? "&" : "?";
        if (st == BW_OK)
            st = bw_buf_append(url, sep, 1);
        if (st == BW_OK)
            st = bw_url_encode(url, name, strlen(name));
        if (st == BW_OK)
            st = bw_buf_append(url, "=", 1);
        if (st == BW_OK)
            st = bw_url_encode(url, value.data ? value.data : "", value.len);
        if (st != BW_OK)
            break;
    }
    bw_buf_free(&value);
    return st;
}

/* Builds the request URL into url. On a problem the call's result is already an error and *failed is set. */
static bw_status build_url(bw_call *call, const http_tool *t, const json_t *args, bw_buf *url, bool *failed)
{
    char var[BW_URL_VAR_MAX + 1];
    bw_status st = bw_url_tpl_expand(t->url, args, true, url, var, sizeof var);
    if (st == BW_E_NOT_FOUND || st == BW_E_INVALID_ARG) {
        *failed = true;
        return st == BW_E_NOT_FOUND ? bw_tool_fail(call, "missing argument '%s' (needed for the URL)", var)
                                    : bw_tool_fail(call, "argument '%s' must be a string, number or boolean to be used in "
                                                 "the URL", var);
    }
    if (st == BW_OK)
        st = append_query(call, t, args, url, failed);
    if (st == BW_E_LIMIT) {
        *failed = true;
        return bw_tool_fail(call, "the request URL would be longer than %d bytes", URL_MAX_BYTES);
    }
    return st;
}

/* A header value reaches the wire as is: a CR or LF would start a new header (header injection), other control
 * bytes are refused by servers. */
static bool header_value_ok(const bw_buf *v)
{
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->data[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bw_status append_line(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return BW_E_NOMEM;
    *list = grown;
    return BW_OK;
}

/* Appends "Name: value" (or "Name;" for an empty value: curl's syntax for sending it empty). */
static bw_status add_header(struct curl_slist **list, const char *name, const bw_buf *value)
{
    size_t n = strlen(name) + value->len + 3;
    char *line = malloc(n);
    if (!line)
        return BW_E_NOMEM;
    if (value->len)
        snprintf(line, n, "%s: %s", name, value->data);
    else
        snprintf(line, n, "%s;", name);
    bw_status st = append_line(list, line);
    free(line);
    return st;
}

static bw_status build_headers(bw_call *call, const http_tool *t, const json_t *args, struct curl_slist **list,
                               bool *failed)
{
    const char *name;
    json_t *tpl;
    bw_buf value;
    bw_buf_init(&value, HEADER_MAX_BYTES);
    bw_status st = BW_OK;
    json_object_foreach((json_t *)t->headers, name, tpl)
    {
        bool missing = false;
        bw_buf_reset(&value);
        st = bw_tpl_render(json_string_value(tpl), args, &value, &missing);
        if (st == BW_E_LIMIT || (st == BW_OK && !header_value_ok(&value))) {
            *failed = true;
            st = st == BW_E_LIMIT ? bw_tool_fail(call, "header %s: the value would be longer than %d bytes", name,
                                         HEADER_MAX_BYTES)
                                  : bw_tool_fail(call, "header %s: the value contains a line break or another control "
                                               "character", name);
            break;
        }
        if (st != BW_OK)
            break;
        if (!missing) /* a header naming a missing argument is left out, like a query parameter */
            st = add_header(list, name, &value);
        if (st != BW_OK)
            break;
    }
    bw_buf_free(&value);
    /* "Expect:" off: no 1 s wait for "100 Continue" from servers that never send it. */
    if (st == BW_OK && !*failed && t->body && !t->has_content_type)
        st = append_line(list, "Content-Type: application/json");
    if (st == BW_OK && !*failed)
        st = append_line(list, "Expect:");
    return st;
}

static bool call_cancelled(void *call)
{
    return bw_call_cancelled(call);
}

/* What kind of failure a transfer met, for the reliability policy (bulwark/policy.h). */
static bw_failure failure_of(bw_call *call, bw_http_outcome outcome, const bw_http_response *resp)
{
    switch (outcome) {
    case BW_HTTP_DONE:
        return resp->status >= 500 || resp->status == 429 ? BW_FAILURE_UNAVAILABLE
               : resp->status >= 400                      ? BW_FAILURE_PERMANENT
                                                          : BW_FAILURE_NONE;
    case BW_HTTP_TIMEOUT:
        return BW_FAILURE_TIMEOUT;
    case BW_HTTP_CANCELLED: /* past the deadline; a client's cancellation is nobody's fault */
        return bw_call_remaining_ms(call) == 0 ? BW_FAILURE_TIMEOUT : BW_FAILURE_NONE;
    case BW_HTTP_FAILED:
        return resp->connection_error ? BW_FAILURE_CONNECTION : BW_FAILURE_PERMANENT;
    default:
        return BW_FAILURE_PERMANENT;
    }
}

/* Maps a transfer that produced no usable response to a tool error. */
static bw_status transfer_error(bw_call *call, const http_tool *t, bw_http_outcome outcome, long timeout_ms,
                                const bw_http_response *resp)
{
    switch (outcome) {
    case BW_HTTP_TOO_LARGE:
        return bw_tool_fail(call, "response larger than %zu bytes (max_response_bytes)", t->max_response_bytes);
    case BW_HTTP_TIMEOUT:
        return bw_tool_fail(call, "HTTP request timed out after %ld ms", timeout_ms);
    case BW_HTTP_CANCELLED:
        if (bw_call_remaining_ms(call) == 0)
            return bw_tool_fail(call, "HTTP request timed out after %ld ms (the call's deadline)", timeout_ms);
        return bw_tool_fail(call, "HTTP request cancelled");
    default:
        return bw_tool_fail(call, "HTTP request failed: %s", resp->error);
    }
}

/* ---------------------------------------------------------------- tracing */

/* url.full as recorded: the request URL without its query (argument values) or user info (credentials). */
static void url_for_trace(const char *url, char *out, size_t outlen)
{
    const char *scheme_end = strstr(url, "://");
    size_t skip = scheme_end ? (size_t)(scheme_end - url) + 3 : 0;
    size_t authority = strcspn(url + skip, "/?#");
    const char *at = memchr(url + skip, '@', authority);
    size_t path = strcspn(url + skip + authority, "?#");
    if (at)
        snprintf(out, outlen, "%.*s%.*s%.*s", (int)skip, url, (int)(url + skip + authority - at - 1), at + 1,
                 (int)path, url + skip + authority);
    else
        snprintf(out, outlen, "%.*s", (int)(skip + authority + path), url);
}

static void set_server(bw_span *s, const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[' && host[n - 1] == ']') { /* an IPv6 literal is recorded without brackets */
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
        bw_span_set_str(s, "server.address", host);
        bw_span_set_int(s, "server.port", strtol(port, NULL, 10));
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* The CLIENT span of the request (HTTP client conventions), NULL when the call is not recorded. */
static bw_span *client_span(bw_call *call, const http_tool *t, const char *url)
{
    bw_span *s = bw_span_child(bw_call_span(call), t->method, BW_SPAN_CLIENT);
    if (!s)
        return NULL;
    char shown[2048];
    url_for_trace(url, shown, sizeof shown);
    bw_span_set_str(s, "http.request.method", t->method);
    bw_span_set_str(s, "url.full", shown);
    set_server(s, shown);
    return s;
}

/* Adds traceparent (and tracestate) naming the client span, or passing the caller's context on when the call is not
 * recorded, unless the tool's configuration sets them. */
static bw_status add_trace_headers(bw_call *call, const http_tool *t, bw_span *span, struct curl_slist **list)
{
    char tp[BW_TRACEPARENT_LEN + 1], line[BW_TRACESTATE_MAX + 32];
    const char *state = NULL;
    if (t->own_traceparent || !bw_span_traceparent(call, span, tp, &state))
        return BW_OK;
    snprintf(line, sizeof line, "traceparent: %s", tp);
    bw_status st = append_line(list, line);
    if (st == BW_OK && state && !t->own_tracestate) {
        snprintf(line, sizeof line, "tracestate: %s", state);
        st = append_line(list, line);
    }
    return st;
}

static void client_span_end(bw_span *s, bw_http_outcome outcome, const bw_http_response *resp)
{
    if (!s)
        return;
    char code[24];
    if (resp->status > 0)
        bw_span_set_int(s, "http.response.status_code", resp->status);
    if (outcome == BW_HTTP_DONE && resp->status >= 400) {
        snprintf(code, sizeof code, "%ld", resp->status);
        bw_span_set_error(s, code, NULL);
    } else if (outcome != BW_HTTP_DONE) {
        const char *type = outcome == BW_HTTP_TIMEOUT     ? "timeout"
                           : outcome == BW_HTTP_CANCELLED ? "cancelled"
                           : outcome == BW_HTTP_TOO_LARGE ? "response_too_large"
                           : resp->connection_error       ? "connection"
                                                          : "_OTHER";
        bw_span_set_error(s, type, outcome == BW_HTTP_FAILED ? resp->error : NULL);
    }
    bw_span_end(s);
}

static bw_status transfer(bw_call *call, const http_tool *t, bw_http_request *req, bw_span *span)
{
    int64_t left = bw_call_remaining_ms(call);
    if (left <= 0) {
        bw_span_set_error(span, "timeout", "not sent: the call's deadline has passed");
        bw_span_end(span);
        bw_call_set_failure(call, BW_FAILURE_TIMEOUT);
        return bw_tool_fail(call, "HTTP request not sent: the call's deadline has passed");
    }
    req->timeout_ms = left < t->timeout_ms ? (long)left : t->timeout_ms;
    req->connect_timeout_ms = t->connect_timeout_ms < req->timeout_ms ? t->connect_timeout_ms : req->timeout_ms;
    bw_http_response resp;
    bw_http_response_init(&resp, t->max_response_bytes);
    bw_http_outcome outcome = bw_http_perform(req, call_cancelled, call, &resp);
    client_span_end(span, outcome, &resp);
    bw_failure kind = failure_of(call, outcome, &resp);
    if (kind != BW_FAILURE_NONE)
        bw_call_set_failure(call, kind);
    bw_status st = outcome == BW_HTTP_DONE ? bw_http_result(bw_call_result(call), &resp, t->extract)
                                           : transfer_error(call, t, outcome, req->timeout_ms, &resp);
    bw_http_response_free(&resp);
    return st;
}

static bw_status http_handler(bw_call *call, const json_t *args, void *user)
{
    const http_tool *t = user;
    bool failed = false;
    bw_buf url;
    bw_buf_init(&url, URL_MAX_BYTES);
    struct curl_slist *headers = NULL;
    char *body = NULL;
    bw_status st = build_url(call, t, args, &url, &failed);
    if (st == BW_OK && !failed)
        st = build_headers(call, t, args, &headers, &failed);
    if (st == BW_OK && !failed && t->body) {
        json_t *rendered = bw_http_body_render(t->body, args, BODY_STRING_MAX_BYTES);
        body = rendered ? json_dumps(rendered, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(rendered);
        if (!body)
            st = BW_E_NOMEM;
    }
    bw_span *span = st == BW_OK && !failed ? client_span(call, t, url.data) : NULL;
    if (st == BW_OK && !failed)
        st = add_trace_headers(call, t, span, &headers);
    if (st == BW_OK && !failed) {
        bw_http_request req = {.method = t->method, .url = url.data, .headers = headers, .body = body,
                               .body_len = body ? strlen(body) : 0, .max_response_bytes = t->max_response_bytes,
                               .tls_verify = t->tls_verify, .ca_file = t->ca_file,
                               .follow_redirects = t->follow_redirects};
        st = transfer(call, t, &req, span);
        span = NULL; /* ended by transfer */
    }
    bw_span_end(span); /* the request could not be sent */
    if (failed) /* the arguments cannot make a request: sending them again cannot help */
        bw_call_set_failure(call, BW_FAILURE_PERMANENT);
    free(body);
    curl_slist_free_all(headers);
    bw_buf_free(&url);
    return st;
}

/* ---------------------------------------------------------------- building */

typedef struct name_check {
    bw_build *b;
    const json_t *node;  /* where a problem is reported */
    const json_t *props; /* the tool's input_schema.properties (NULL: none declared) */
    const char *open, *close; /* placeholder syntax, for messages */
    bool ok;
} name_check;

/* Reports every placeholder that names no declared argument (and lets the scan go on, to report them all). */
static bool check_declared(const char *name, void *ctx)
{
    name_check *c = ctx;
    if (!json_object_get(c->props, name)) {
        bw_build_error(c->b, c->node, "%s%s%s names no property of the tool's input_schema", c->open, name,
                       c->close);
        c->ok = false;
    }
    return true;
}

static bool set_trial_value(const char *name, void *ctx)
{
    return json_object_set_new(ctx, name, json_string("x")) == 0;
}

/* Expands the template with a sample value for every variable and asks libcurl whether the result parses. */
static bool url_parses(bw_build *b, const json_t *node, const char *url)
{
    char err[200];
    json_t *sample = json_object();
    bw_buf out;
    bw_buf_init(&out, URL_MAX_BYTES);
    CURLU *u = curl_url();
    CURLUcode rc = CURLUE_OUT_OF_MEMORY;
    if (sample && u && bw_url_tpl_scan(url, set_trial_value, sample, err, sizeof err) == BW_OK &&
        bw_url_tpl_expand(url, sample, true, &out, err, sizeof err) == BW_OK)
        rc = curl_url_set(u, CURLUPART_URL, out.data, 0);
    if (rc != CURLUE_OK)
        bw_build_error(b, node, "url does not parse: %s", curl_url_strerror(rc));
    curl_url_cleanup(u);
    bw_buf_free(&out);
    json_decref(sample);
    return rc == CURLUE_OK;
}

/* The scheme and the authority (host:port) are literal, so arguments can never send the request elsewhere. */
static bool check_url_shape(bw_build *b, const json_t *node, const char *url)
{
    size_t skip = !strncasecmp(url, "http://", 7) ? 7 : !strncasecmp(url, "https://", 8) ? 8 : 0;
    if (!skip) {
        bw_build_error(b, node, "url must start with http:// or https://");
        return false;
    }
    size_t authority = strcspn(url + skip, "/?#");
    if (authority == 0 || memchr(url + skip, '{', authority)) {
        bw_build_error(b, node, "url must name a literal host (arguments may fill the path and the query only)");
        return false;
    }
    if (strchr(url, '#')) {
        bw_build_error(b, node, "url must not have a fragment ('#...'): it is never sent to the server");
        return false;
    }
    return true;
}

static bool check_url(bw_build *b, const json_t *node, const json_t *props)
{
    const char *url = json_string_value(node);
    char err[200];
    name_check c = {b, node, props, "{", "}", true};
    if (bw_url_tpl_scan(url, check_declared, &c, err, sizeof err) != BW_OK) {
        bw_build_error(b, node, "url: %s", err);
        return false;
    }
    return check_url_shape(b, node, url) && url_parses(b, node, url) && c.ok;
}

static bool check_query(bw_build *b, const json_t *query, const json_t *props)
{
    const char *name;
    json_t *tpl;
    char err[200];
    bool ok = true;
    json_object_foreach((json_t *)query, name, tpl)
    {
        name_check c = {b, tpl, props, "{", "}", true};
        if (!*name) {
            bw_build_error(b, tpl, "query: a parameter name must not be empty");
            ok = false;
        } else if (bw_url_tpl_scan(json_string_value(tpl), check_declared, &c, err, sizeof err) != BW_OK) {
            bw_build_error(b, tpl, "query parameter '%s': %s", name, err);
            ok = false;
        }
        ok = ok && c.ok;
    }
    return ok;
}

/* RFC 9110 token characters. */
static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

static bool check_header(bw_build *b, const char *name, const json_t *tpl, const json_t *props)
{
    char err[200];
    const char *value = json_string_value(tpl);
    if (!is_token(name)) {
        bw_build_error(b, tpl, "header name '%s' is not a valid HTTP token", name);
        return false;
    }
    if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding")) {
        bw_build_error(b, tpl, "header %s is set by bulwark itself and cannot be configured", name);
        return false;
    }
    if (strpbrk(value, "\r\n")) {
        bw_build_error(b, tpl, "header %s: the value must not contain a line break", name);
        return false;
    }
    name_check c = {b, tpl, props, "{{", "}}", true};
    if (bw_tpl_scan(value, check_declared, &c, err, sizeof err) != BW_OK) {
        bw_build_error(b, tpl, "header %s: %s", name, err);
        return false;
    }
    return c.ok;
}

static bool check_headers(bw_build *b, const json_t *headers, const json_t *props)
{
    const char *name;
    json_t *tpl;
    bool ok = true;
    json_object_foreach((json_t *)headers, name, tpl)
        ok = check_header(b, name, tpl, props) && ok;
    return ok;
}

static bool check_body(bw_build *b, const json_t *body, const char *method, const json_t *props)
{
    char err[200];
    const json_t *where;
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        bw_build_error(b, body, "a body is sent with POST, PUT, PATCH or DELETE only (method is %s)", method);
        return false;
    }
    name_check c = {b, body, props, "{{", "}}", true};
    if (bw_http_body_scan(body, check_declared, &c, &where, err, sizeof err) != BW_OK) {
        bw_build_error(b, where ? where : body, "body: %s", err);
        return false;
    }
    return c.ok;
}

static bool check_extract(bw_build *b, const json_t *node)
{
    char err[200];
    if (node && !bw_json_pointer_check(json_string_value(node), err, sizeof err)) {
        bw_build_error(b, node, "extract: %s", err);
        return false;
    }
    return true;
}

static bool resolve_ca_file(bw_build *b, const json_t *node, const char **path)
{
    *path = NULL;
    if (!node)
        return true;
    *path = bw_build_path(b, json_string_value(node));
    if (!*path) {
        bw_build_error(b, node, "out of memory");
        return false;
    }
    if (access(*path, R_OK) != 0) {
        bw_build_error(b, node, "ca_file '%s' cannot be read (%s)", json_string_value(node), *path);
        return false;
    }
    return true;
}

static bool has_header(const json_t *headers, const char *wanted)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)headers, name, v)
        if (!strcasecmp(name, wanted))
            return true;
    return false;
}

static void http_tool_free(void *p)
{
    http_tool *t = p;
    json_decref(t->cfg);
    free(t->dependency);
    free(t);
}

static json_int_t int_or(const json_t *obj, const char *key, json_int_t dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static bool bool_or(const json_t *obj, const char *key, bool dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The dependency the tool calls: the url's literal origin "scheme://host:port" (lowercase, the port always
 * written, user info left out), so every tool on one server shares its circuit breaker and bulkhead. NULL on
 * allocation failure. check_url_shape has checked that the scheme and the authority are literal. */
static char *origin_of(const char *url)
{
    size_t skip = (size_t)(strstr(url, "://") - url) + 3;
    char *prefix = strndup(url, skip + strcspn(url + skip, "/?#"));
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *origin = NULL;
    if (prefix && u && curl_url_set(u, CURLUPART_URL, prefix, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        asprintf(&origin, "%s://%s:%s", scheme, host, port) < 0)
        origin = NULL;
    if (origin)
        lowercase(origin);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    free(prefix);
    return origin;
}

/* Fills t from its own copy of the (validated) section; defaults are those of src/config/schema/http.json. */
static void compile(http_tool *t, const char *ca_file)
{
    const json_t *c = t->cfg;
    const json_t *method = json_object_get(c, "method");
    t->method = method ? json_string_value(method) : "GET";
    t->url = json_string_value(json_object_get(c, "url"));
    t->query = json_object_get(c, "query");
    t->headers = json_object_get(c, "headers");
    t->body = json_object_get(c, "body");
    t->has_content_type = has_header(t->headers, "Content-Type");
    t->own_traceparent = has_header(t->headers, "traceparent");
    t->own_tracestate = has_header(t->headers, "tracestate");
    t->timeout_ms = (long)int_or(c, "timeout_ms", 30000);
    t->connect_timeout_ms = (long)int_or(c, "connect_timeout_ms", 5000);
    t->max_response_bytes = (size_t)int_or(c, "max_response_bytes", 1048576);
    t->extract = json_string_value(json_object_get(c, "extract"));
    t->tls_verify = bool_or(c, "tls_verify", true);
    t->follow_redirects = bool_or(c, "follow_redirects", false);
    t->ca_file = ca_file;
}

static bool check_section(bw_build *b, const json_t *http, const json_t *props, const char **ca_file)
{
    const json_t *method = json_object_get(http, "method");
    const json_t *body = json_object_get(http, "body");
    bool ok = check_url(b, json_object_get(http, "url"), props);
    ok = check_query(b, json_object_get(http, "query"), props) && ok;
    ok = check_headers(b, json_object_get(http, "headers"), props) && ok;
    if (body)
        ok = check_body(b, body, method ? json_string_value(method) : "GET", props) && ok;
    ok = check_extract(b, json_object_get(http, "extract")) && ok;
    ok = resolve_ca_file(b, json_object_get(http, "ca_file"), ca_file) && ok;
    if (!bool_or(http, "tls_verify", true))
        bw_build_warn(b, json_object_get(http, "tls_verify"),
                      "tls_verify is false: the server's certificate and host name are not checked");
    return ok;
}

bw_status bw_http_tool_build(bw_build *b, const json_t *tool, const json_t *http, bw_tool_def *def)
{
    const json_t *props = json_object_get(json_object_get(tool, "input_schema"), "properties");
    const char *ca_file = NULL;
    if (bw_http_client_init() != BW_OK) {
        bw_build_error(b, http, "libcurl could not be initialized");
        return BW_E_INTERNAL;
    }
    if (!check_section(b, http, props, &ca_file))
        return BW_E_INVALID_ARG;
    http_tool *t = calloc(1, sizeof *t);
    if (t)
        t->cfg = json_deep_copy(http);
    if (t && t->cfg)
        t->dependency = origin_of(json_string_value(json_object_get(t->cfg, "url")));
    if (!t || !t->cfg || !t->dependency) {
        if (t)
            http_tool_free(t);
        bw_build_error(b, http, "out of memory");
        return BW_E_NOMEM;
    }
    compile(t, ca_file);
    if (bw_build_own(b, http_tool_free, t) != BW_OK) {
        bw_build_error(b, http, "out of memory");
        return BW_E_NOMEM;
    }
    def->handler = http_handler;
    def->user = t;
    def->dependency = t->dependency;
    return BW_OK;
}
