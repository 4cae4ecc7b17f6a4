/* Spans: fixed-size objects with their text inline (one allocation per span), attributes, status, and the hand-over
 * to the tracer at the end. Every function accepts a NULL span (not sampled) and then does nothing. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "observability/trace_internal.h"

#define NO_TEXT 0xffff

static int64_t unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Copies s (cut to max bytes at a character boundary, and to the room left) into the span's text; the offset, or
 * NO_TEXT when not even the terminating NUL fits. */
static uint16_t put_text(bw_span *s, const char *str, size_t max)
{
    size_t room = BW_SPAN_TEXT - s->used;
    if (room == 0)
        return NO_TEXT;
    size_t n = strlen(str);
    if (max > room - 1)
        max = room - 1;
    if (n > max)
        n = bw_utf8_prefix(str, n, max);
    uint16_t off = s->used;
    memcpy(s->text + off, str, n);
    s->text[off + n] = '\0';
    s->used = (uint16_t)(s->used + n + 1);
    return off;
}

bw_span *bw_span_start(struct bw_tracer *t, const bw_trace_ctx *parent, const uint8_t *trace_id_or_null,
                       const char *name, bw_span_kind kind)
{
    bw_span *s = malloc(sizeof *s);
    if (!s) {
        bw_tracer_unref(t);
        return NULL;
    }
    memset(s, 0, offsetof(bw_span, attrs)); /* attrs and text are written before they are read */
    s->tracer = t;
    if (parent && parent->valid) {
        memcpy(s->trace_id, parent->trace_id, 16);
        memcpy(s->parent_id, parent->span_id, 8);
        s->has_parent = true;
    } else if (trace_id_or_null) {
        memcpy(s->trace_id, trace_id_or_null, 16);
    } else {
        bw_trace_new_trace_id(s->trace_id);
    }
    bw_trace_new_span_id(s->span_id);
    s->flags = BW_TRACE_FLAG_SAMPLED;
    s->kind = (uint8_t)kind;
    s->status_msg = NO_TEXT;
    s->name = put_text(s, name ? name : "span", 256);
    s->start_ns = unix_ns();
    return s;
}

void bw_span_free(bw_span *s)
{
    free(s);
}

bw_span *bw_span_child(bw_span *parent, const char *name, bw_span_kind kind)
{
    if (!parent)
        return NULL;
    bw_trace_ctx ctx;
    bw_span_context(parent, &ctx);
    bw_tracer_ref(parent->tracer);
    return bw_span_start(parent->tracer, &ctx, NULL, name, kind);
}

/* The attribute slot for key: the existing one (a later value replaces an earlier one) or a new one (*fresh set);
 * NULL when the span is full. */
static bw_span_attr *slot(bw_span *s, const char *key, bool *fresh)
{
    *fresh = false;
    for (uint16_t i = 0; i < s->n_attrs; i++)
        if (!strcmp(s->text + s->attrs[i].key, key))
            return &s->attrs[i];
    uint16_t off = s->n_attrs < BW_SPAN_MAX_ATTRS ? put_text(s, key, 128) : NO_TEXT;
    if (off == NO_TEXT) {
        s->dropped_attrs++;
        return NULL;
    }
    bw_span_attr *a = &s->attrs[s->n_attrs++];
    a->key = off;
    *fresh = true;
    return a;
}

void bw_span_set_str(bw_span *s, const char *key, const char *value)
{
    bool fresh;
    bw_span_attr *a = s && key && value ? slot(s, key, &fresh) : NULL;
    if (!a)
        return;
    uint16_t off = put_text(s, value, BW_SPAN_VALUE_MAX);
    if (off != NO_TEXT) {
        a->type = BW_ATTR_STR;
        a->v.s = off;
    } else if (fresh) { /* no room for the value: forget the key rather than send an empty string */
        s->used = a->key;
        s->n_attrs--;
        s->dropped_attrs++;
    }
}

void bw_span_set_int(bw_span *s, const char *key, int64_t value)
{
    bool fresh;
    bw_span_attr *a = s && key ? slot(s, key, &fresh) : NULL;
    if (a) {
        a->type = BW_ATTR_INT;
        a->v.i = value;
    }
}

void bw_span_set_bool(bw_span *s, const char *key, bool value)
{
    bool fresh;
    bw_span_attr *a = s && key ? slot(s, key, &fresh) : NULL;
    if (a) {
        a->type = BW_ATTR_BOOL;
        a->v.b = value;
    }
}

void bw_span_set_error(bw_span *s, const char *error_type, const char *message)
{
    if (!s)
        return;
    s->status = BW_STATUS_ERROR;
    if (message && s->status_msg == NO_TEXT)
        s->status_msg = put_text(s, message, 512);
    bw_span_set_str(s, "error.type", error_type ? error_type : "_OTHER");
}

bool bw_span_context(const bw_span *s, bw_trace_ctx *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return false;
    memcpy(out->trace_id, s->trace_id, 16);
    memcpy(out->span_id, s->span_id, 8);
    out->flags = s->flags;
    out->valid = true;
    return true;
}

void bw_span_end(bw_span *s)
{
    if (!s)
        return;
    s->end_ns = unix_ns();
    if (s->end_ns < s->start_ns) /* the wall clock stepped back meanwhile */
        s->end_ns = s->start_ns;
    struct bw_tracer *t = s->tracer;
    bw_tracer_submit(t, s); /* the span is the queue's (or freed) from here on */
    bw_tracer_unref(t);
}
