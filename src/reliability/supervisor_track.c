/* JSON-RPC bookkeeping of the stdio relay (see supervisor_track.h). */
#include "reliability/supervisor_track.h"

#include <stdlib.h>
#include <string.h>

#include "reliability/supervisor_log.h"

bw_status bw_sup_track_init(bw_sup_track *t)
{
    *t = (bw_sup_track){.pending = json_object()};
    return t->pending ? BW_OK : BW_E_NOMEM;
}

void bw_sup_track_free(bw_sup_track *t)
{
    json_decref(t->pending);
    json_decref(t->init_req);
    *t = (bw_sup_track){0};
}

/* A JSON-RPC id worth tracking: a string or an integer (null ids cannot be answered by id). */
static bool trackable_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

static void note_client_message(bw_sup_track *t, json_t *m, json_t *ids)
{
    const char *method = json_string_value(json_object_get(m, "method"));
    json_t *id = json_object_get(m, "id");
    if (!method)
        return; /* a response to a server->client request: nothing waits on the child for it */
    if (!strcmp(method, "notifications/initialized"))
        t->initialized = true;
    if (!trackable_id(id))
        return;
    if (!strcmp(method, "initialize")) {
        json_decref(t->init_req);
        t->init_req = json_deep_copy(m);
        t->init_confirmed = false;
    }
    if (json_array_append(ids, id))
        bw_sup_warn("out of memory: a request will not be answered if the server dies");
}

json_t *bw_sup_track_client_line(bw_sup_track *t, const char *line, size_t len)
{
    json_t *doc = json_loadb(line, len, JSON_DECODE_ANY, NULL);
    json_t *ids = doc ? json_array() : NULL;
    if (ids && json_is_object(doc)) {
        note_client_message(t, doc, ids);
    } else if (ids && json_is_array(doc)) { /* a batch (2025-03-26) */
        size_t i;
        json_t *m;
        json_array_foreach(doc, i, m)
            if (json_is_object(m))
                note_client_message(t, m, ids);
    }
    json_decref(doc);
    if (ids && !json_array_size(ids)) {
        json_decref(ids);
        ids = NULL;
    }
    return ids;
}

void bw_sup_track_sent(bw_sup_track *t, const json_t *ids)
{
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        if (json_object_size(t->pending) >= BW_SUP_MAX_PENDING) {
            if (!t->overflow_logged)
                bw_sup_warn("more than %d requests in flight: the excess is not answered if the server dies",
                            BW_SUP_MAX_PENDING);
            t->overflow_logged = true;
            return;
        }
        char *key = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!key || json_object_set(t->pending, key, id))
            bw_sup_warn("out of memory: a request will not be answered if the server dies");
        free(key);
    }
}

/* Settles one response; true when it answers the replayed initialize. */
static bool settle(bw_sup_track *t, json_t *m)
{
    json_t *id = json_object_get(m, "id");
    if (json_object_get(m, "method") || !trackable_id(id))
        return false; /* a request or notification from the server, or an id-less error */
    if (json_is_string(id) && !strcmp(json_string_value(id), BW_SUP_REINIT_ID)) {
        const char *why = json_string_value(json_object_get(json_object_get(m, "error"), "message"));
        if (json_object_get(m, "error"))
            bw_sup_warn("the restarted server rejected the replayed initialize: %s", why ? why : "(no message)");
        return true;
    }
    char *key = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
    if (key)
        json_object_del(t->pending, key); /* -1 when unknown: a reply to a request of an earlier child, relayed */
    free(key);
    if (t->init_req && json_equal(id, json_object_get(t->init_req, "id")) && json_object_get(m, "result"))
        t->init_confirmed = true;
    return false;
}

bool bw_sup_track_child_line(bw_sup_track *t, const char *line, size_t len)
{
    json_t *doc = json_loadb(line, len, JSON_DECODE_ANY, NULL);
    bool swallow = false;
    if (json_is_object(doc)) {
        swallow = settle(t, doc);
    } else if (json_is_array(doc)) {
        size_t i;
        json_t *m;
        json_array_foreach(doc, i, m)
            if (json_is_object(m))
                (void)settle(t, m); /* the replayed initialize is never batched */
    }
    json_decref(doc);
    return swallow;
}

static bw_status append_error(bw_buf *out, json_t *id)
{
    json_t *msg = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", -32000,
                            "message", "server restarted");
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    bw_status st = text ? bw_buf_append(out, text, strlen(text)) : BW_E_NOMEM;
    if (!st)
        st = bw_buf_append(out, "\n", 1);
    free(text);
    return st;
}

bw_status bw_sup_track_fail_pending(bw_sup_track *t, bw_buf *out)
{
    bw_status st = BW_OK;
    const char *key;
    json_t *id;
    json_object_foreach(t->pending, key, id) {
        (void)key;
        if (!st)
            st = append_error(out, id);
    }
    json_object_clear(t->pending);
    return st;
}

static char *join_lines(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 3);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    s[la] = '\n';
    memcpy(s + la + 1, b, lb);
    s[la + 1 + lb] = lb ? '\n' : '\0';
    s[la + 2 + lb] = '\0';
    return s;
}

char *bw_sup_track_reinit(const bw_sup_track *t)
{
    if (!t->init_req || !t->init_confirmed)
        return NULL;
    json_t *req = json_deep_copy(t->init_req);
    char *init = NULL;
    if (req && !json_object_set_new(req, "id", json_string(BW_SUP_REINIT_ID)))
        init = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *lines = init ? join_lines(init, t->initialized ? "{\"jsonrpc\":\"2.0\",\"method\":"
                                                           "\"notifications/initialized\"}" : "")
                       : NULL;
    free(init);
    return lines;
}
