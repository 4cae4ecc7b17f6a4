/* The HTTP server: libmicrohttpd daemon, routing, the Streamable HTTP endpoint (/mcp) and the legacy HTTP+SSE
 * pair (/sse, /messages), and the control loop (stop, session expiry, keep-alives).
 *
 * A POST that carries requests gets a stream; the handler's messages reach it through the session's sink from
 * any thread. The connection is suspended while nothing is ready and resumed by the stream, so no thread waits
 * on a slow tool and a POST carrying a client's answer is never stuck behind the call waiting for it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/health.h"
#include "core/clock.h"
#include "observability/observe.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/mcp_headers.h"
#include "protocol/revision.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"
#include "reliability/policy.h"
#include "transport/http_internal.h"
#include "observability/log.h"

/* Request headers we accept. Past libmicrohttpd's per-connection memory it answers 431 itself and closes, which a
 * client still writing may see as a reset; below it we read the whole request and answer 431 cleanly. The pool is
 * reset on every request, so it stays small: 256 KiB cost ~20% of throughput. */
#define BW_HTTP_MAX_HEADER_BYTES (32u * 1024)
#define BW_HTTP_CONN_MEMORY (64u * 1024)

typedef struct hreq {
    bw_buf body;
    bool too_large;
    bool head_too_large;    /* request headers over BW_HTTP_MAX_HEADER_BYTES: 431 once the body is drained */
    size_t dropped;         /* bytes read and thrown away after the body passed the limit */
    hstream *stream;        /* the stream this connection writes, or NULL */
    hsession *hs;           /* reference, or NULL */
    bool new_session;       /* answers an initialize: send Mcp-Session-Id */
    bool owns_session;      /* legacy /sse GET or stateless POST: the session ends with this connection */
    char request_id[BW_REQUEST_ID_MAX + 1]; /* X-Request-ID as received (when valid) or generated; echoed back */
} hreq;

/* The request id of the request this thread is answering, for every response it queues (set on each entry to
 * on_request: a resumed connection comes back through it). */
static _Thread_local const char *tl_request_id;

static struct {
    bw_server *srv;
    bw_http_options o;
    bool loopback;
    int stop_pipe[2];
    atomic_bool stopping;
} H = {.stop_pipe = {-1, -1}};

void bw_http_stop(void)
{
    int saved = errno;
    if (H.stop_pipe[1] >= 0) {
        ssize_t n = write(H.stop_pipe[1], "x", 1);
        (void)n;
    }
    errno = saved;
}

/* ---- responses ---- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
                               size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (tl_request_id)
        MHD_add_response_header(resp, "X-Request-ID", tl_request_id);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, H.o.stateless ? "POST" : "GET, POST, DELETE");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* An HTTP error with a JSON-RPC error body (id null), as the reference SDK sends. */
static enum MHD_Result rpc_error(struct MHD_Connection *c, unsigned status, int code, const char *message)
{
    json_t *err = bw_rpc_error(NULL, code, message, NULL);
    char *text = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    enum MHD_Result rc = respond(c, status, "application/json", text ? text : "", text ? strlen(text) : 0);
    free(text);
    return rc;
}

/* An HTTP error whose JSON-RPC error names the request (id borrowed, data stolen). */
static enum MHD_Result rpc_error_id(struct MHD_Connection *c, unsigned status, const json_t *id, int code,
                                    const char *message, json_t *data)
{
    json_t *err = bw_rpc_error(id, code, message, data);
    char *text = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    enum MHD_Result rc = respond(c, status, "application/json", text ? text : "", text ? strlen(text) : 0);
    free(text);
    return rc;
}

/* 503 Service Unavailable with Retry-After (overload, drain): the client may try again, here or on another instance,
 * after retry_s seconds. The JSON-RPC error names the request when id is given (borrowed; data stolen). */
static enum MHD_Result unavailable(struct MHD_Connection *c, const json_t *id, const char *message, json_t *data,
                                   int retry_s)
{
    json_t *err = bw_rpc_error(id, BW_RPC_SERVER_OVERLOADED, message, data);
    char *text = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    struct MHD_Response *resp = MHD_create_response_from_buffer(text ? strlen(text) : 0, text ? text : "",
                                                                MHD_RESPMEM_MUST_COPY);
    free(text);
    if (!resp)
        return MHD_NO;
    char after[16];
    snprintf(after, sizeof after, "%d", retry_s > 0 ? retry_s : 1);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, after);
    if (tl_request_id)
        MHD_add_response_header(resp, "X-Request-ID", tl_request_id);
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A draining server takes no new sessions; existing ones are served until the grace period ends. */
static enum MHD_Result refuse_new_session(struct MHD_Connection *c, const json_t *id)
{
    return unavailable(c, id, "Server is draining: new sessions are refused; retry on another instance", NULL, 1);
}

/* The stateless revision's HTTP status for a JSON-RPC error answer (streamable-http: 400 for header, capability and
 * version errors, 404 for unknown methods; other errors travel in a 200). */
static unsigned modern_status(int code)
{
    switch (code) {
    case BW_RPC_METHOD_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case BW_RPC_HEADER_MISMATCH:
    case BW_RPC_MISSING_CAPABILITY:
    case BW_RPC_UNSUPPORTED_VERSION:
        return MHD_HTTP_BAD_REQUEST;
    default:
        return MHD_HTTP_OK;
    }
}

static void add_common_headers(struct MHD_Response *resp, hreq *r)
{
    if (r->new_session && r->hs)
        MHD_add_response_header(resp, "Mcp-Session-Id", r->hs->id);
    MHD_add_response_header(resp, "X-Request-ID", r->request_id);
}

/* Answers with the stream's state: JSON body, SSE stream, or wait (suspend) for the first message. */
static enum MHD_Result reply_stream(struct MHD_Connection *c, hreq *r)
{
    hstream *st = r->stream;
    if (r->new_session && bw_session_revision(r->hs->session) == BW_REV_UNKNOWN)
        r->new_session = false; /* initialize failed: no session to name (it is closed on completion) */
    pthread_mutex_lock(&st->mu);
    if (st->mode == HS_PENDING && st->done) {
        pthread_mutex_unlock(&st->mu);
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_SERVER_OVERLOADED,
                         "The session ended before the request was answered");
    }
    if (st->mode == HS_PENDING && !st->cut) {
        st->suspended = true;
        MHD_suspend_connection(c);
        pthread_mutex_unlock(&st->mu);
        return MHD_YES;
    }
    struct MHD_Response *resp;
    bool sse = st->mode != HS_JSON;
    if (sse) {
        hwriter *w = hwriter_new(st, c);
        resp = w ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, hstream_read, w, hwriter_free)
                 : NULL;
        if (w && !resp)
            hwriter_free(w);
    } else {
        resp = MHD_create_response_from_buffer(st->json_len, st->json, MHD_RESPMEM_MUST_COPY);
    }
    pthread_mutex_unlock(&st->mu);
    if (!resp)
        return MHD_NO;
    if (sse) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, no-transform");
        MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    }
    add_common_headers(resp, r);
    unsigned status = !sse && r->hs->modern ? modern_status(atomic_load(&r->hs->rpc_error)) : MHD_HTTP_OK;
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void attach(hreq *r, hstream *st, struct MHD_Connection *c)
{
    hstream_attach(st, c);
    r->stream = st;
}

/* ---- request helpers ---- */

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static bool is_request(const json_t *m)
{
    return json_is_object(m) && json_object_get(m, "method") && bw_rpc_valid_id(json_object_get(m, "id"));
}

static bool has_requests(const json_t *msg)
{
    if (!json_is_array(msg))
        return is_request(msg);
    size_t i;
    json_t *el;
    json_array_foreach(msg, i, el)
        if (is_request(el))
            return true;
    return false;
}

static bool is_initialize(const json_t *msg)
{
    const char *m = json_string_value(json_object_get(msg, "method"));
    return is_request(msg) && m && strcmp(m, "initialize") == 0;
}

/* Parses the body; on failure answers 400 with the JSON-RPC error and returns NULL. */
static json_t *parse_body(struct MHD_Connection *c, hreq *r, enum MHD_Result *rc)
{
    int code = 0;
    char why[200];
    json_t *msg = bw_rpc_decode(r->body.data ? r->body.data : "", r->body.len, H.srv->limits.max_depth, &code, why,
                                sizeof why);
    if (!msg)
        *rc = rpc_error(c, MHD_HTTP_BAD_REQUEST, code, why);
    return msg;
}

/* Refuses with 400 what the protocol core could only answer with an id-less error (which no stream would carry):
 * non-messages, invalid messages, batches outside 2025-03-26 sessions, batches with invalid elements. */
static bool valid_shape(struct MHD_Connection *c, const json_t *msg, bw_revision rev, enum MHD_Result *rc)
{
    const json_t *id = NULL;
    const char *why = NULL;
    char text[160];
    if (json_is_object(msg)) {
        if (bw_rpc_classify(msg, &id, &why) != BW_MSG_INVALID)
            return true;
    } else if (!json_is_array(msg)) {
        why = "Invalid Request: a message must be a JSON object";
    } else if (rev != BW_REV_2025_03_26) {
        snprintf(text, sizeof text, "Invalid Request: JSON-RPC batches are not supported in protocol revision %s",
                 rev ? bw_revision_str(rev) : "(none negotiated)");
        why = text;
    } else if (json_array_size(msg) == 0) {
        why = "Invalid Request: empty batch";
    } else {
        size_t i;
        json_t *el;
        json_array_foreach(msg, i, el) {
            if (bw_rpc_classify(el, &id, &why) == BW_MSG_INVALID) {
                snprintf(text, sizeof text, "Invalid Request: batch element %zu: %s", i, why);
                why = text;
                break;
            }
            why = NULL;
        }
        if (!why)
            return true;
        id = NULL;
    }
    json_t *err = bw_rpc_error(id, BW_RPC_INVALID_REQUEST, why, NULL);
    char *body = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    *rc = respond(c, MHD_HTTP_BAD_REQUEST, "application/json", body ? body : "", body ? strlen(body) : 0);
    free(body);
    return false;
}

/* ---- Streamable HTTP: /mcp ---- */

static bool version_ok(struct MHD_Connection *c, enum MHD_Result *rc)
{
    const char *ver = header(c, "MCP-Protocol-Version");
    if (!ver || bw_revision_parse(ver))
        return true;
    *rc = rpc_error(c, MHD_HTTP_BAD_REQUEST, BW_RPC_INVALID_REQUEST, "Bad Request: unsupported MCP-Protocol-Version");
    return false;
}

static hsession *session_from_header(struct MHD_Connection *c, enum MHD_Result *rc)
{
    if (!version_ok(c, rc))
        return NULL;
    const char *sid = header(c, "Mcp-Session-Id");
    if (!sid) {
        *rc = rpc_error(c, MHD_HTTP_BAD_REQUEST, BW_RPC_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
        return NULL;
    }
    hsession *hs = hsessions_find(sid);
    if (!hs)
        *rc = rpc_error(c, MHD_HTTP_NOT_FOUND, BW_RPC_SESSION_NOT_FOUND, "Session not found");
    return hs;
}

static hsession *session_for_post(struct MHD_Connection *c, hreq *r, const json_t *msg, enum MHD_Result *rc)
{
    if (H.o.stateless) {
        /* Stateless sessions live in the table too (never found by id), so shutdown can end their streams. */
        hsession *hs = hsession_new(H.srv, false, true);
        if (!hs || !hsessions_add(hs, SIZE_MAX)) {
            hsession_unref(hs);
            *rc = rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
            return NULL;
        }
        if (!is_initialize(msg))
            bw_session_assume(hs->session, bw_revision_parse(header(c, "MCP-Protocol-Version")));
        r->owns_session = true;
        return hs;
    }
    if (is_initialize(msg) && bw_server_draining(H.srv)) {
        *rc = refuse_new_session(c, json_object_get(msg, "id"));
        return NULL;
    }
    if (is_initialize(msg)) {
        hsession *hs = hsession_new(H.srv, false, false);
        if (!hs || !hsessions_add(hs, H.o.max_sessions)) {
            hsession_unref(hs);
            char why[128];
            snprintf(why, sizeof why, "Server busy: the limit of %zu sessions is reached; retry later",
                     H.o.max_sessions);
            *rc = rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_SERVER_OVERLOADED, why);
            return NULL;
        }
        r->new_session = true;
        return hs;
    }
    return session_from_header(c, rc);
}

static enum MHD_Result check_post_headers(struct MHD_Connection *c, hreq *r, bool *ok)
{
    *ok = false;
    if (r->too_large) {
        char why[96];
        snprintf(why, sizeof why, "Request body exceeds the limit of %zu bytes", H.srv->limits.max_message_bytes);
        return rpc_error(c, MHD_HTTP_CONTENT_TOO_LARGE, BW_RPC_INVALID_REQUEST, why);
    }
    const char *accept = header(c, MHD_HTTP_HEADER_ACCEPT);
    if (!http_accepts(accept, "application/json") || !http_accepts(accept, "text/event-stream"))
        return rpc_error(c, MHD_HTTP_NOT_ACCEPTABLE, BW_RPC_INVALID_REQUEST,
                         "Not Acceptable: Accept must list both application/json and text/event-stream");
    if (!http_is_json_content_type(header(c, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return rpc_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, BW_RPC_INVALID_REQUEST,
                         "Unsupported Media Type: Content-Type must be application/json");
    *ok = true;
    return MHD_YES;
}

/* A legacy-era POST may name only a legacy revision in its header. */
static bool legacy_version_ok(struct MHD_Connection *c, enum MHD_Result *rc)
{
    const char *ver = header(c, "MCP-Protocol-Version");
    if (!ver || bw_revision_parse(ver))
        return true;
    char why[200];
    snprintf(why, sizeof why, "Bad Request: unsupported MCP-Protocol-Version %.40s (supported: 2025-11-25, "
                              "2025-06-18, 2025-03-26, 2024-11-05 in a session; 2026-07-28 with the request's _meta)",
             ver);
    *rc = rpc_error(c, MHD_HTTP_BAD_REQUEST, BW_RPC_INVALID_REQUEST, why);
    return false;
}

static const char *header_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* The SEP-2243 routing headers of a modern request must agree with its body. Replies and returns false if not. */
static bool modern_headers_ok(struct MHD_Connection *c, const json_t *msg, enum MHD_Result *rc)
{
    const json_t *id = json_object_get(msg, "id");
    const char *method = json_string_value(json_object_get(msg, "method"));
    const json_t *params = json_object_get(msg, "params");
    char why[300];
    if (!header(c, "MCP-Protocol-Version")) {
        *rc = rpc_error_id(c, MHD_HTTP_BAD_REQUEST, id, BW_RPC_HEADER_MISMATCH,
                           "Header mismatch: a 2026-07-28 request needs the MCP-Protocol-Version header", NULL);
        return false;
    }
    bw_entry *tool = NULL;
    if (!strcmp(method, "tools/call") && json_is_string(json_object_get(params, "name")))
        tool = bw_registry_get(&H.srv->reg, BW_KIND_TOOL, json_string_value(json_object_get(params, "name")));
    bool ok = bw_mcp_headers_check(method, params, tool ? json_object_get(tool->listing, "inputSchema") : NULL,
                                   header_of, c, why, sizeof why);
    bw_entry_unref(tool);
    if (!ok) /* the checker's message already reads "Header mismatch: ..." */
        *rc = rpc_error_id(c, MHD_HTTP_BAD_REQUEST, id, BW_RPC_HEADER_MISMATCH, why, NULL);
    return ok;
}

/* A tools/call while the server-wide in-flight cap is reached: 503 + Retry-After before any work is queued (the
 * policy layer enforces the cap itself too; this answers at the transport level, as load balancers expect).
 * Returns true when it answered. */
static bool overloaded(struct MHD_Connection *c, const json_t *msg, enum MHD_Result *rc)
{
    const char *method = json_string_value(json_object_get(msg, "method"));
    int retry_s = 1;
    if (!is_request(msg) || !method || strcmp(method, "tools/call") || !bw_policy_overloaded(H.srv, &retry_s))
        return false;
    bw_obs_request_refused(H.srv, method, BW_RPC_SERVER_OVERLOADED, BW_POLICY_OVERLOADED_MESSAGE);
    *rc = unavailable(c, json_object_get(msg, "id"), BW_POLICY_OVERLOADED_MESSAGE,
                      json_pack("{s:i}", "retryAfterMs", retry_s * 1000), retry_s);
    return true;
}

/* Hands a message to the session with what the observers want to know about it (request id, trace headers, peer). */
static void receive(struct MHD_Connection *c, hreq *r, hsession *hs, const json_t *msg)
{
    char addr[BW_REMOTE_ADDR_MAX] = "";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        http_format_addr(ci->client_addr, addr, sizeof addr);
    bw_obs_ingress in = {
        .request_id = r->request_id,
        .traceparent = header(c, "traceparent"),
        .tracestate = header(c, "tracestate"),
        .remote_addr = addr[0] ? addr : NULL,
        .user_agent = header(c, MHD_HTTP_HEADER_USER_AGENT),
        .session_id = hs->stateless ? NULL : hs->id,
    };
    bw_obs_ingress_enter(&in);
    bw_session_receive_json(hs->session, msg);
    bw_obs_ingress_leave();
}

/* One stateless-era request: its own short-lived session and stream; the era gate already passed. */
static enum MHD_Result post_modern(struct MHD_Connection *c, hreq *r, json_t *msg)
{
    enum MHD_Result rc;
    if (!modern_headers_ok(c, msg, &rc) || overloaded(c, msg, &rc))
        return rc;
    hsession *hs = hsession_new(H.srv, false, true);
    if (!hs || !hsessions_add(hs, SIZE_MAX)) {
        hsession_unref(hs);
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
    }
    hs->modern = true;
    r->hs = hs;
    r->owns_session = true;
    hstream *st = hsession_open_post(hs, msg, false);
    if (!st)
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
    hstream_bound(st, BW_MODERN_STREAM_MAX_UNSENT);
    attach(r, st, c);
    hs->session->header_version = header(c, "MCP-Protocol-Version");
    receive(c, r, hs, msg);
    hs->session->header_version = NULL;
    return reply_stream(c, r);
}

/* Sorts a POST into its era (protocol/era.h). Returns true to continue on the legacy path; otherwise *rc is the
 * answer (a modern request served, an envelope error, or a modern notification accepted). */
static bool route_era(struct MHD_Connection *c, hreq *r, json_t *msg, enum MHD_Result *rc)
{
    bw_envelope env;
    json_t *data = NULL;
    char why[300];
    const char *ver = header(c, "MCP-Protocol-Version");
    int code = bw_era_classify(msg, ver, &env, why, sizeof why, &data);
    if (!code && !env.rev)
        return true;
    if (!is_request(msg)) {
        /* The stateless revision defines no client notifications over HTTP: accept and drop. */
        json_decref(data);
        *rc = respond(c, MHD_HTTP_ACCEPTED, NULL, "", 0);
        return false;
    }
    if (code) {
        *rc = rpc_error_id(c, MHD_HTTP_BAD_REQUEST, json_object_get(msg, "id"), code, why, data);
        return false;
    }
    *rc = post_modern(c, r, msg);
    return false;
}

static enum MHD_Result post_mcp(struct MHD_Connection *c, hreq *r)
{
    bool ok;
    enum MHD_Result rc = check_post_headers(c, r, &ok);
    if (!ok)
        return rc;
    json_t *msg = parse_body(c, r, &rc);
    if (!msg)
        return rc;
    if (!route_era(c, r, msg, &rc) || !legacy_version_ok(c, &rc)) {
        json_decref(msg);
        return rc;
    }
    hsession *hs = session_for_post(c, r, msg, &rc);
    if (!hs) {
        json_decref(msg);
        return rc;
    }
    r->hs = hs;
    if (!valid_shape(c, msg, bw_session_revision(hs->session), &rc) || overloaded(c, msg, &rc)) {
        json_decref(msg);
        return rc;
    }
    if (!has_requests(msg)) {
        receive(c, r, hs, msg);
        json_decref(msg);
        return respond(c, MHD_HTTP_ACCEPTED, NULL, "", 0);
    }
    hstream *st = hsession_open_post(hs, msg, bw_session_revision(hs->session) >= BW_REV_2025_11_25);
    if (!st) {
        json_decref(msg);
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
    }
    attach(r, st, c);
    receive(c, r, hs, msg);
    json_decref(msg);
    return reply_stream(c, r);
}

static enum MHD_Result get_mcp(struct MHD_Connection *c, hreq *r)
{
    enum MHD_Result rc = MHD_NO;
    if (H.o.stateless)
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
    if (!http_accepts(header(c, MHD_HTTP_HEADER_ACCEPT), "text/event-stream"))
        return rpc_error(c, MHD_HTTP_NOT_ACCEPTABLE, BW_RPC_INVALID_REQUEST,
                         "Not Acceptable: Accept must list text/event-stream");
    hsession *hs = session_from_header(c, &rc);
    if (!hs)
        return rc;
    r->hs = hs;
    const char *last = header(c, "Last-Event-ID");
    uint64_t seq = 0;
    hstream *st = last ? hsession_find_event_stream(hs, last, &seq) : NULL;
    if (st) {
        /* Resumption: replay what this stream sent after `seq`, then carry on live. */
        attach(r, st, c);
        hstream_resume_from(st, seq);
        return reply_stream(c, r);
    }
    bool priming = bw_session_revision(hs->session) >= BW_REV_2025_11_25;
    st = hsession_open_standalone(hs, priming);
    if (!st)
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
    attach(r, st, c);
    if (priming)
        hstream_push(st, "", 0, BW_OUT_NOTIFICATION); /* the priming event: an id and empty data */
    return reply_stream(c, r);
}

static enum MHD_Result delete_mcp(struct MHD_Connection *c, hreq *r)
{
    (void)r;
    enum MHD_Result rc = MHD_NO;
    if (H.o.stateless)
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
    hsession *hs = session_from_header(c, &rc);
    if (!hs)
        return rc;
    hsession_close(hs);
    hsession_unref(hs);
    return respond(c, MHD_HTTP_OK, NULL, "", 0);
}

/* ---- legacy HTTP+SSE (2024-11-05) ---- */

static enum MHD_Result get_sse(struct MHD_Connection *c, hreq *r)
{
    if (bw_server_draining(H.srv))
        return refuse_new_session(c, NULL);
    hsession *hs = hsession_new(H.srv, true, false);
    if (!hs || !hsessions_add(hs, H.o.max_sessions)) {
        hsession_unref(hs);
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_SERVER_OVERLOADED, "Server busy: session limit reached");
    }
    r->hs = hs;
    r->owns_session = true;
    hstream *st = hsession_open_standalone(hs, false);
    if (!st)
        return rpc_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, BW_RPC_INTERNAL_ERROR, "Out of memory");
    attach(r, st, c);
    char endpoint[128];
    int n = snprintf(endpoint, sizeof endpoint, "event: endpoint\ndata: /messages?sessionId=%s\n\n", hs->id);
    hstream_push_raw(st, endpoint, (size_t)n);
    pthread_mutex_lock(&st->mu);
    st->mode = HS_SSE;
    pthread_mutex_unlock(&st->mu);
    return reply_stream(c, r);
}

static enum MHD_Result post_messages(struct MHD_Connection *c, hreq *r)
{
    hsession *hs = hsessions_find(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sessionId"));
    if (!hs || !hs->legacy) {
        hsession_unref(hs);
        return rpc_error(c, MHD_HTTP_NOT_FOUND, BW_RPC_SESSION_NOT_FOUND, "Session not found");
    }
    r->hs = hs;
    if (r->too_large)
        return rpc_error(c, MHD_HTTP_CONTENT_TOO_LARGE, BW_RPC_INVALID_REQUEST, "Request body too large");
    enum MHD_Result rc;
    json_t *msg = parse_body(c, r, &rc);
    if (!msg)
        return rc;
    receive(c, r, hs, msg); /* answers travel on the /sse stream */
    json_decref(msg);
    return respond(c, MHD_HTTP_ACCEPTED, "text/plain", "Accepted", 8);
}

/* ---- routing ---- */

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, hreq *r)
{
    bool post = !strcmp(method, MHD_HTTP_METHOD_POST), get = !strcmp(method, MHD_HTTP_METHOD_GET);
    if (!strcmp(url, "/mcp")) {
        if (post)
            return post_mcp(c, r);
        if (get)
            return get_mcp(c, r);
        if (!strcmp(method, MHD_HTTP_METHOD_DELETE))
            return delete_mcp(c, r);
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
    }
    if (!strcmp(url, "/sse") && !H.o.stateless)
        return get ? get_sse(c, r) : respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
    if (!strcmp(url, "/messages") && !H.o.stateless)
        return post ? post_messages(c, r) : respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
    return respond(c, MHD_HTTP_NOT_FOUND, "text/plain", "Not Found", 9);
}

/* A declared body so large that reading it to the end (so the client sees our 413 rather than a reset) is not
 * worth it: answer at once. Smaller excess is read and dropped. */
static bool body_far_too_large(struct MHD_Connection *c)
{
    const char *len = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return len && strtoull(len, NULL, 10) / 16 > H.srv->limits.max_message_bytes;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
    (void)cls;
    hreq *r = *req_cls;
    tl_request_id = r ? r->request_id : NULL;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        tl_request_id = r->request_id;
        bw_buf_init(&r->body, H.srv->limits.max_message_bytes);
        const char *given = header(c, "X-Request-ID");
        if (bw_obs_request_id_valid(given))
            snprintf(r->request_id, sizeof r->request_id, "%s", given);
        else
            bw_obs_request_id_new(r->request_id);
        *req_cls = r;
        hconns_head_done(c);
        r->head_too_large = http_header_bytes(c) > BW_HTTP_MAX_HEADER_BYTES;
        if (!body_far_too_large(c))
            return MHD_YES;
        r->too_large = true; /* answer now rather than read gigabytes we would throw away */
    }
    if (*upload_size) {
        if (!r->too_large && bw_buf_append(&r->body, upload, *upload_size) != BW_OK)
            r->too_large = true;
        if (r->too_large)
            r->dropped += *upload_size;
        *upload_size = 0;
        /* Reading the excess lets the client see our 413; past 16x the limit it is not worth it. */
        if (r->dropped / 16 <= H.srv->limits.max_message_bytes)
            return MHD_YES;
        char why[96];
        snprintf(why, sizeof why, "Request body exceeds the limit of %zu bytes", H.srv->limits.max_message_bytes);
        return rpc_error(c, MHD_HTTP_CONTENT_TOO_LARGE, BW_RPC_INVALID_REQUEST, why);
    }
    if (r->stream)
        return reply_stream(c, r); /* resumed: the stream has something to say */
    if (r->head_too_large)
        return rpc_error(c, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, BW_RPC_INVALID_REQUEST,
                         "Request header fields too large (limit 32768 bytes)");
    if (!header(c, MHD_HTTP_HEADER_HOST) && !strcmp(version, MHD_HTTP_VERSION_1_1))
        return rpc_error(c, MHD_HTTP_BAD_REQUEST, BW_RPC_INVALID_REQUEST, "Bad Request: HTTP/1.1 needs a Host header");
    if (!http_host_allowed(header(c, MHD_HTTP_HEADER_HOST), H.o.allowed_hosts, H.loopback))
        return rpc_error(c, MHD_HTTP_FORBIDDEN, BW_RPC_INVALID_REQUEST, "Forbidden: Host or Origin not allowed");
    /* Probes send no Origin, and must keep answering while the server drains. */
    if (http_is_health_path(url))
        return http_health(c, H.srv, url, method);
    /* Scrapers and the status page send no Origin either (the page and its event stream are same-origin); the
     * pages set no CORS headers, so another origin cannot read them. */
    if (http_is_admin_path(url))
        return http_admin(c, H.srv, url, method);
    if (!http_origin_allowed(header(c, MHD_HTTP_HEADER_ORIGIN), H.o.allowed_origins, H.loopback))
        return rpc_error(c, MHD_HTTP_FORBIDDEN, BW_RPC_INVALID_REQUEST, "Forbidden: Host or Origin not allowed");
    if (atomic_load(&H.stopping))
        return unavailable(c, NULL, "Server is shutting down", NULL, 1);
    return route(c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    hreq *r = *req_cls;
    if (!r)
        return;
    hconns_request_done(c);
    if (r->stream) {
        pthread_mutex_lock(&r->stream->mu);
        if (r->stream->conn == c) {
            /* A client that goes away does not cancel anything: what follows stays in the replay store. */
            r->stream->conn = NULL;
            r->stream->suspended = false;
            bw_buf_reset(&r->stream->out);
        }
        pthread_mutex_unlock(&r->stream->mu);
        hstream_unref(r->stream);
    }
    if (r->hs && (r->owns_session || (r->new_session && bw_session_revision(r->hs->session) == BW_REV_UNKNOWN)))
        hsession_close(r->hs);
    hsession_unref(r->hs);
    bw_buf_free(&r->body);
    free(r);
    *req_cls = NULL;
}

/* ---- the control loop ---- */

static void keepalive_session(hsession *hs, void *arg)
{
    int64_t now = *(int64_t *)arg;
    pthread_mutex_lock(&hs->mu);
    for (size_t i = 0; i < hs->n_streams; i++)
        hstream_keepalive(hs->streams[i], now, H.o.keepalive_ms);
    if (hs->standalone)
        hstream_keepalive(hs->standalone, now, H.o.keepalive_ms);
    pthread_mutex_unlock(&hs->mu);
}

static void tick(void)
{
    int64_t now = bw_clock_ms();
    hconns_enforce(now, H.o.connection_timeout_s * 1000);
    hsessions_expire(now, H.o.session_idle_ms);
    hsessions_each(keepalive_session, &now);
}

/* Serves until bw_http_stop; readiness turns to "draining" the moment it is seen. */
static void wait_for_stop(void)
{
    struct pollfd pfd = {.fd = H.stop_pipe[0], .events = POLLIN};
    for (;;) {
        int n = poll(&pfd, 1, 1000);
        if (n > 0) {
            bw_server_begin_drain(H.srv);
            return;
        }
        if (n == 0)
            tick();
    }
}

static int count_busy(void)
{
    int busy = 0;
    pthread_mutex_lock(&H.srv->sessions_mu);
    for (bw_session *s = H.srv->sessions; s; s = s->next)
        busy += bw_session_inflight(s);
    pthread_mutex_unlock(&H.srv->sessions_mu);
    return busy;
}

static void collect_each(hsession *hs, void *arg)
{
    hsession **list = arg;
    hsession_ref(hs);
    hs->next_expired = *list;
    *list = hs;
}

/* Every live session, each with a reference (linked through next_expired); taken under the table lock, used outside
 * it, since cancelling and closing call back into the table. */
static hsession *collect_sessions(void)
{
    hsession *list = NULL;
    hsessions_each(collect_each, &list);
    return list;
}

static void wait_idle(int64_t until_ms)
{
    while (count_busy() > 0 && bw_clock_ms() < until_ms)
        usleep(10 * 1000);
}

/* Tells the session's open event streams when to reconnect (to another instance) before they end. */
static void hint_retry(hsession *hs, int retry_ms)
{
    pthread_mutex_lock(&hs->mu);
    for (size_t i = 0; i < hs->n_streams; i++)
        hstream_retry_hint(hs->streams[i], retry_ms);
    if (hs->standalone)
        hstream_retry_hint(hs->standalone, retry_ms);
    pthread_mutex_unlock(&hs->mu);
}

/* Past the grace period: every call still running is cancelled and answered with the shutdown error (dispatch), and
 * given a bounded moment to be written. */
static void cancel_running(hsession *list)
{
    int busy = count_busy();
    if (busy == 0)
        return;
    bw_log_msg(BW_LL_WARN, "grace period of %d ms over; cancelling %d request%s still running",
               H.srv->limits.shutdown_grace_ms, busy, busy == 1 ? "" : "s");
    for (hsession *hs = list; hs; hs = hs->next_expired)
        bw_session_cancel_all(hs->session, true);
    wait_idle(bw_clock_ms() + 2000);
}

/* Graceful stop. Readiness already says "draining" and new sessions are refused; requests on existing sessions are
 * served until every call finished or the grace period ends. Then new requests get 503, running calls are cancelled
 * and answered, and every session ends, its event streams with a retry hint. */
static void drain(void)
{
    bw_listen_close_all(H.srv); /* listen streams end with their completion result */
    wait_idle(bw_clock_ms() + H.srv->limits.shutdown_grace_ms);
    atomic_store(&H.stopping, true);
    atomic_store(&H.srv->shutting_down, true);
    hsession *list = collect_sessions();
    cancel_running(list);
    while (list) {
        hsession *next = list->next_expired;
        hint_retry(list, 1000);
        hsession_close(list);
        hsession_unref(list);
        list = next;
    }
    /* Streams were finished and their connections resumed; give the polling threads a moment to end them. */
    usleep(200 * 1000);
}

/* ---- start and stop ---- */

static bw_status fill_options(const bw_http_options *in)
{
    H.o = in ? *in : (bw_http_options){0};
    if (!H.o.host)
        H.o.host = "127.0.0.1";
    if (!H.o.max_sessions)
        H.o.max_sessions = 10000;
    if (H.o.session_idle_ms <= 0)
        H.o.session_idle_ms = 30 * 60 * 1000;
    if (H.o.connection_timeout_s <= 0)
        H.o.connection_timeout_s = 30;
    if (!H.o.max_connections)
        H.o.max_connections = 1024;
    if (H.o.keepalive_ms <= 0)
        H.o.keepalive_ms = 15000;
    if (H.o.threads <= 0)
        H.o.threads = 2;
    if (!H.o.tls_cert_pem != !H.o.tls_key_pem) {
        bw_log_msg(BW_LL_ERROR, "HTTPS needs both a certificate and a key");
        return BW_E_INVALID_ARG;
    }
    return BW_OK;
}

/* Parses the bind address; sets H.loopback. */
static bool bind_address(struct sockaddr_storage *ss, socklen_t *len, unsigned *flags)
{
    char host[64];
    const char *h = H.o.host;
    size_t n = strlen(h);
    if (n >= sizeof host)
        return false;
    if (h[0] == '[' && n > 2 && h[n - 1] == ']') { /* "[::1]" */
        memcpy(host, h + 1, n - 2);
        host[n - 2] = '\0';
    } else {
        memcpy(host, h, n + 1);
    }
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(H.o.port);
        *len = sizeof *v4;
        H.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(H.o.port);
        *len = sizeof *v6;
        *flags |= MHD_USE_IPv6;
        H.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return true;
    }
    return false;
}

static struct MHD_Daemon *start_daemon(void)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    /* poll, not epoll: under connection overload libmicrohttpd 0.9.75's epoll mode keeps closed sockets until their
     * timeout and stops serving meanwhile; poll recovers at once and is as fast at our connection counts. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (!bind_address(&ss, &sslen, &flags)) {
        bw_log_msg(BW_LL_ERROR, "cannot use listen address '%s' (want an IPv4/IPv6 literal or localhost)", H.o.host);
        return NULL;
    }
    /* HTTPS: libmicrohttpd (GnuTLS) loads the PEM pair at start; the options ride in an array so that plain HTTP
     * passes none. */
    struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    if (H.o.tls_cert_pem) {
        flags |= MHD_USE_TLS;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)H.o.tls_key_pem};
        tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)H.o.tls_cert_pem};
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, H.o.port, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, (void *)"http",
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, hconns_notify, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)H.o.connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT, H.o.max_connections,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)H.o.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BW_HTTP_CONN_MEMORY,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!d && H.o.tls_cert_pem)
        bw_log_msg(BW_LL_ERROR, "cannot serve HTTPS on %s:%u (is the certificate/key pair valid and does it match?)",
                   H.o.host, (unsigned)H.o.port);
    else if (!d)
        bw_log_msg(BW_LL_ERROR, "cannot listen on %s:%u: %s", H.o.host, (unsigned)H.o.port, strerror(errno));
    return d;
}

static void announce(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : H.o.port;
    char url[128];
    bool v6 = strchr(H.o.host, ':') != NULL && H.o.host[0] != '[';
    snprintf(url, sizeof url, "%s://%s%s%s:%u/mcp", H.o.tls_cert_pem ? "https" : "http", v6 ? "[" : "", H.o.host,
             v6 ? "]" : "", port);
    if (H.o.on_ready)
        H.o.on_ready(url, H.o.user);
}

bw_status bw_serve_http(bw_server *srv, const bw_http_options *opts)
{
    if (!srv)
        return BW_E_INVALID_ARG;
    signal(SIGPIPE, SIG_IGN);
    H.srv = srv;
    atomic_store(&H.stopping, false);
    char why[300];
    if (!bw_mhd_load(why, sizeof why)) {
        bw_log_msg(BW_LL_ERROR, "%s", why);
        return BW_E_IO;
    }
    bw_status st = fill_options(opts);
    if (st == BW_OK && H.stop_pipe[0] < 0 && pipe2(H.stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        st = BW_E_IO;
    if (st == BW_OK)
        st = bw_server_start_pool(srv);
    if (st == BW_OK && !hsessions_init(16384))
        st = BW_E_NOMEM;
    if (st)
        return st;
    struct MHD_Daemon *d = start_daemon();
    if (!d) {
        hsessions_destroy();
        return BW_E_IO;
    }
    announce(d);
    wait_for_stop();
    drain();
    MHD_stop_daemon(d);
    /* Workers may still hold sessions; join them before the table goes. */
    bw_tasks_cancel_running(srv);
    bw_workpool_free(srv->pool);
    srv->pool = NULL;
    hsessions_destroy();
    return BW_OK;
}

bw_status bw_http_parse_listen(const char *spec, char *host_out, size_t hostlen, uint16_t *port)
{
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (!colon || colon == spec || !host_out || !port)
        return BW_E_INVALID_ARG;
    size_t n = (size_t)(colon - spec);
    if (n >= hostlen || (strchr(spec, ']') && strchr(spec, ']') > colon))
        return BW_E_INVALID_ARG;
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || !colon[1] || *end || p > 65535)
        return BW_E_INVALID_ARG;
    memcpy(host_out, spec, n);
    host_out[n] = '\0';
    *port = (uint16_t)p;
    return BW_OK;
}
