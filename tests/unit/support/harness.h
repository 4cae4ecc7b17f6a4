/* In-process MCP client for unit tests of providers: one session on a server (no transport), initialized with
 * protocol 2025-11-25, and a blocking request helper that returns the response message. Header-only (static
 * functions) because each tests/unit/.../test_*.c file is its own program.
 *
 *   bw_server *srv = ...; register tools ...; assert_int_equal(bw_server_start_pool(srv), BW_OK);
 *   harness *h = harness_new(srv);
 *   json_t *resp = harness_request(h, "tools/call", json_pack("{s:s,s:{}}", "name", "t", "arguments"));
 *   ... json_object_get(resp, "result") ...
 *   json_decref(resp); harness_free(h); bw_server_free(srv);
 */
#ifndef BW_TEST_HARNESS_H
#define BW_TEST_HARNESS_H

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "core/sync.h"
#include "protocol/server_internal.h"
#include "protocol/session.h"

#define HARNESS_WAIT_MS 30000

typedef struct harness {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t *responses; /* array of response messages not yet taken */
    json_t *notifications; /* array of notifications, in order */
    bw_session *session;
    int next_id;
} harness;

static inline void harness_sink(void *ctx, const char *raw, size_t len, const json_t *related_id, bw_out_kind kind)
{
    (void)related_id;
    (void)kind;
    harness *h = ctx;
    json_t *msg = json_loadb(raw, len, 0, NULL);
    if (!msg)
        return;
    pthread_mutex_lock(&h->mu);
    json_array_append_new(json_object_get(msg, "id") && !json_object_get(msg, "method") ? h->responses
                                                                                          : h->notifications,
                          msg);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Sends a request and waits for its response; returns the whole response message (caller owns), or NULL on
 * timeout. params is stolen (may be NULL). */
static inline json_t *harness_request(harness *h, const char *method, json_t *params)
{
    int id = ++h->next_id;
    json_t *req = json_pack("{s:s,s:i,s:s}", "jsonrpc", "2.0", "id", id, "method", method);
    if (params)
        json_object_set_new(req, "params", params);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    bw_session_receive(h->session, text, strlen(text));
    free(text);
    int64_t until = bw_now_ms() + HARNESS_WAIT_MS;
    json_t *found = NULL;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        size_t i;
        json_t *m;
        json_array_foreach(h->responses, i, m)
        {
            if (json_integer_value(json_object_get(m, "id")) == id) {
                found = json_incref(m);
                json_array_remove(h->responses, i);
                break;
            }
        }
        if (found || bw_cond_wait_until(&h->cv, &h->mu, until) != 0)
            break;
    }
    pthread_mutex_unlock(&h->mu);
    return found;
}

/* Shorthand: tools/call name with arguments (stolen); returns the response message. */
static inline json_t *harness_call_tool(harness *h, const char *name, json_t *arguments)
{
    json_t *params = json_pack("{s:s}", "name", name);
    json_object_set_new(params, "arguments", arguments ? arguments : json_object());
    return harness_request(h, "tools/call", params);
}

/* The first text block of a tools/call result (borrowed from resp), or NULL. */
static inline const char *harness_text(const json_t *resp)
{
    json_t *content = json_object_get(json_object_get(resp, "result"), "content");
    return json_string_value(json_object_get(json_array_get(content, 0), "text"));
}

static inline harness *harness_new(bw_server *srv)
{
    harness *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    bw_cond_init_monotonic(&h->cv);
    h->responses = json_array();
    h->notifications = json_array();
    h->session = bw_session_new(srv, harness_sink, h);
    json_t *init = harness_request(
        h, "initialize",
        json_pack("{s:s,s:{},s:{s:s,s:s}}", "protocolVersion", "2025-11-25", "capabilities", "clientInfo", "name",
                  "harness", "version", "1.0.0"));
    if (!init || !json_object_get(init, "result"))
        fprintf(stderr, "harness: initialize failed\n");
    json_decref(init);
    const char *note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    bw_session_receive(h->session, note, strlen(note));
    return h;
}

/* Waits for the session to go idle, then frees it. Free the server afterwards. */
static inline void harness_free(harness *h)
{
    if (!h)
        return;
    bw_session_wait_idle(h->session, bw_now_ms() + HARNESS_WAIT_MS);
    bw_session_unref(h->session);
    json_decref(h->responses);
    json_decref(h->notifications);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

#endif
