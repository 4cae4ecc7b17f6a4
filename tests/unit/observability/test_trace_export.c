/* Unit tests for the span side of tracing (trace_span.c, otlp_json.c, trace_export.c):
 *   - the OTLP/HTTP JSON of a span tree: hex ids, parentSpanId, kind, times as strings, typed attributes, status;
 *     attributes replaced by key, values cut at a character boundary, the attribute cap counted;
 *   - a tracer exporting to an in-process collector (a loopback socket thread that records every POST): batches
 *     arrive with the configured headers, every span once, in batches of at most batch_size;
 *   - sampling by ratio is decided by the trace id (0 never, 1 always, 0.5 about half);
 *   - option checks (bad endpoint, protocol, ratio, header lines);
 *   - tracers swapped (and turned off) while threads keep creating and ending spans: under ASan this proves a
 *     swapped-out tracer is never used after it was freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bulwark.h"
#include "observability/trace_internal.h"
#include "protocol/server_internal.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *attr(const json_t *span, const char *key)
{
    const json_t *attrs = json_object_get(span, "attributes");
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        const json_t *a = json_array_get(attrs, i);
        if (!strcmp(json_string_value(json_object_get(a, "key")), key))
            return json_object_get(a, "value");
    }
    return NULL;
}

static json_t *spans_of(json_t *req)
{
    json_t *rs = json_array_get(json_object_get(req, "resourceSpans"), 0);
    return json_object_get(json_array_get(json_object_get(rs, "scopeSpans"), 0), "spans");
}

/* ---- encoding ---- */

static void test_encode_tree(void **state)
{
    (void)state;
    bw_trace_ctx remote;
    assert_true(bw_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &remote));
    bw_span *root = bw_span_start(NULL, &remote, NULL, "tools/call get_weather", BW_SPAN_SERVER);
    assert_non_null(root);
    bw_span_set_str(root, "mcp.method.name", "tools/call");
    bw_span_set_int(root, "client.port", 51234);
    bw_span_set_bool(root, "bulwark.cache.hit", false);
    bw_span_set_str(root, "k", "first");
    bw_span_set_str(root, "k", "second"); /* replaces */
    bw_span_set_error(root, "timeout", "Tool get_weather timed out");
    bw_span *child = bw_span_child(root, "SELECT main", BW_SPAN_CLIENT);
    assert_non_null(child);
    bw_span_set_str(child, "db.query.text", "SELECT * FROM t WHERE id = ?");
    root->end_ns = root->start_ns + 1500;
    child->end_ns = child->start_ns + 700;
    bw_span *both[] = {child, root};
    bw_otlp_resource res = {.service_name = "svc", .service_version = "1.2.3"};
    char *body = bw_otlp_json_encode(&res, both, 2);
    assert_non_null(body);
    json_t *req = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(req);
    json_t *rattrs = json_object_get(json_object_get(json_array_get(json_object_get(req, "resourceSpans"), 0),
                                                     "resource"), "attributes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(rattrs, 0), "value"),
                                                          "stringValue")), "svc");
    json_t *spans = spans_of(req);
    assert_int_equal(json_array_size(spans), 2);
    json_t *c = json_array_get(spans, 0), *r = json_array_get(spans, 1);
    assert_string_equal(json_string_value(json_object_get(r, "traceId")), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(json_string_value(json_object_get(r, "parentSpanId")), "00f067aa0ba902b7");
    assert_string_equal(json_string_value(json_object_get(c, "traceId")), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(json_string_value(json_object_get(c, "parentSpanId")),
                        json_string_value(json_object_get(r, "spanId")));
    assert_int_equal(strlen(json_string_value(json_object_get(r, "spanId"))), 16);
    assert_int_equal(json_integer_value(json_object_get(r, "kind")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "kind")), 3);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "tools/call get_weather");
    long long start = atoll(json_string_value(json_object_get(r, "startTimeUnixNano")));
    long long end = atoll(json_string_value(json_object_get(r, "endTimeUnixNano")));
    assert_int_equal(end - start, 1500);
    assert_true(start > 1600000000LL * 1000000000LL); /* Unix time in nanoseconds */
    assert_string_equal(json_string_value(json_object_get(attr(r, "client.port"), "intValue")), "51234");
    assert_true(json_is_false(json_object_get(attr(r, "bulwark.cache.hit"), "boolValue")));
    assert_string_equal(json_string_value(json_object_get(attr(r, "k"), "stringValue")), "second");
    assert_string_equal(json_string_value(json_object_get(attr(r, "error.type"), "stringValue")), "timeout");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "status"), "code")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "status"), "message")),
                        "Tool get_weather timed out");
    assert_string_equal(json_string_value(json_object_get(attr(c, "db.query.text"), "stringValue")),
                        "SELECT * FROM t WHERE id = ?");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "status"), "code")), 0);
    json_decref(req);
    bw_span_free(child);
    bw_span_free(root);
}

static void test_attribute_bounds(void **state)
{
    (void)state;
    bw_span *s = bw_span_start(NULL, NULL, NULL, "bounds", BW_SPAN_INTERNAL);
    assert_non_null(s);
    char key[32];
    for (int i = 0; i < BW_SPAN_MAX_ATTRS + 5; i++) {
        snprintf(key, sizeof key, "a%d", i);
        bw_span_set_int(s, key, i);
    }
    assert_int_equal(s->n_attrs, BW_SPAN_MAX_ATTRS);
    assert_int_equal(s->dropped_attrs, 5);
    bw_span_free(s);
    /* A long value is cut at BW_SPAN_VALUE_MAX bytes, never inside a character ("é" is 2 bytes). */
    s = bw_span_start(NULL, NULL, NULL, "long", BW_SPAN_INTERNAL);
    char *v = malloc(3001);
    for (int i = 0; i < 3000; i += 2)
        memcpy(v + i, "\xc3\xa9", 2);
    v[3000] = '\0';
    bw_span_set_str(s, "x", v);
    s->end_ns = s->start_ns;
    bw_otlp_resource res = {.service_name = "svc"};
    char *body = bw_otlp_json_encode(&res, &s, 1);
    json_t *req = json_loads(body, 0, NULL);
    assert_non_null(req); /* valid UTF-8 all the way */
    const char *got = json_string_value(json_object_get(attr(json_array_get(spans_of(req), 0), "x"), "stringValue"));
    assert_int_equal(strlen(got), BW_SPAN_VALUE_MAX);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(spans_of(req), 0), "droppedAttributesCount")), 0);
    json_decref(req);
    free(body);
    free(v);
    bw_span_free(s);
}

/* ---- an in-process collector ---- */

typedef struct collector {
    int fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t mu;
    json_t *bodies;   /* every POST body, parsed */
    char last_headers[2048];
    int status;       /* answered status */
    atomic_int stop;
} collector;

/* Reads one HTTP/1.1 request (headers and a Content-Length body) from fd; the body (malloc'd) or NULL at EOF. */
static char *read_request(int fd, char *headers, size_t hlen)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    while (!end && n < cap) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got <= 0) {
            free(buf);
            return NULL;
        }
        n += (size_t)got;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) {
        free(buf);
        return NULL;
    }
    size_t head = (size_t)(end - buf) + 4;
    snprintf(headers, hlen, "%.*s", (int)head, buf);
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t want = cl ? (size_t)atol(cl + 15) : 0;
    while (n - head < want && n < cap) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[head + want < n ? head + want : n] = '\0';
    memmove(buf, buf + head, want + 1);
    return buf;
}

static void *collector_main(void *arg)
{
    collector *c = arg;
    while (!atomic_load(&c->stop)) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int conn = accept(c->fd, NULL, NULL);
        if (conn < 0)
            continue;
        char headers[2048];
        for (char *body; (body = read_request(conn, headers, sizeof headers)) != NULL; free(body)) {
            pthread_mutex_lock(&c->mu);
            json_array_append_new(c->bodies, json_loads(body, 0, NULL));
            snprintf(c->last_headers, sizeof c->last_headers, "%s", headers);
            pthread_mutex_unlock(&c->mu);
            char resp[128];
            int len = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\n{}", c->status);
            if (write(conn, resp, (size_t)len) != len)
                break;
        }
        close(conn);
    }
    return NULL;
}

static void collector_start(collector *c)
{
    memset(c, 0, sizeof *c);
    c->status = 200;
    c->bodies = json_array();
    pthread_mutex_init(&c->mu, NULL);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(c->fd, 16), 0);
    socklen_t alen = sizeof a;
    getsockname(c->fd, (struct sockaddr *)&a, &alen);
    c->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&c->thread, NULL, collector_main, c), 0);
}

static void collector_stop(collector *c)
{
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    close(c->fd);
    json_decref(c->bodies);
    pthread_mutex_destroy(&c->mu);
}

static size_t collected_spans(collector *c, size_t *batches, size_t *largest)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    *largest = 0;
    *batches = json_array_size(c->bodies);
    for (size_t i = 0; i < *batches; i++) {
        size_t k = json_array_size(spans_of(json_array_get(c->bodies, i)));
        n += k;
        if (k > *largest)
            *largest = k;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

static bw_server *new_server(void)
{
    bw_server_info info = {.name = "trace-test", .version = "9.9.9"};
    bw_server *srv = bw_server_new(&info);
    assert_non_null(srv);
    return srv;
}

/* One ended span of the server's current tracer (none when tracing is off or the request is not sampled). */
static void one_span(bw_server *srv, const char *name)
{
    struct bw_tracer *t = bw_tracer_acquire(srv->obs);
    if (!t)
        return;
    bw_span *s = bw_span_start(t, NULL, NULL, name, BW_SPAN_SERVER);
    bw_span_set_str(s, "n", name);
    bw_span *c = bw_span_child(s, "child", BW_SPAN_INTERNAL);
    bw_span_end(c);
    bw_span_end(s);
}

static void test_export_batches(void **state)
{
    (void)state;
    collector col;
    collector_start(&col);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/traces", col.port);
    const char *headers[] = {"X-Api-Key: sekrit", NULL};
    bw_tracing_options o = {.endpoint = url, .sampling_ratio = 1.0, .batch_size = 8, .flush_interval_ms = 50,
                            .headers = headers};
    bw_server *srv = new_server();
    char err[200];
    assert_int_equal(bw_server_set_tracing(srv, &o, err, sizeof err), BW_OK);
    for (int i = 0; i < 50; i++)
        one_span(srv, "s"); /* 100 spans */
    size_t batches = 0, largest = 0, got = 0;
    for (int i = 0; i < 200 && (got = collected_spans(&col, &batches, &largest)) < 100; i++)
        sleep_ms(10);
    assert_int_equal(got, 100);
    assert_true(largest <= 8);
    assert_true(batches >= 13);
    pthread_mutex_lock(&col.mu);
    assert_non_null(strcasestr(col.last_headers, "X-Api-Key: sekrit"));
    assert_non_null(strcasestr(col.last_headers, "Content-Type: application/json"));
    assert_non_null(strstr(col.last_headers, "POST /v1/traces HTTP/1.1"));
    json_t *first = json_array_get(col.bodies, 0);
    json_t *res = json_object_get(json_array_get(json_object_get(first, "resourceSpans"), 0), "resource");
    json_t *a0 = json_array_get(json_object_get(res, "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a0, "value"), "stringValue")),
                        "trace-test"); /* service.name defaults to the server's name */
    pthread_mutex_unlock(&col.mu);
    /* Spans still queued at shutdown are flushed. */
    for (int i = 0; i < 3; i++)
        one_span(srv, "late");
    bw_server_free(srv);
    assert_int_equal(collected_spans(&col, &batches, &largest), 106);
    collector_stop(&col);
}

static void test_sampling_ratio(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    char err[200];
    for (int r = 0; r < 3; r++) {
        double ratio = r == 0 ? 0.0 : r == 1 ? 1.0 : 0.5;
        bw_tracing_options o = {.endpoint = "http://127.0.0.1:9/v1/traces", .sampling_ratio = ratio};
        assert_int_equal(bw_server_set_tracing(srv, &o, err, sizeof err), BW_OK);
        struct bw_tracer *t = bw_tracer_acquire(srv->obs);
        assert_non_null(t);
        int yes = 0;
        uint8_t id[16];
        for (int i = 0; i < 4000; i++) {
            bw_trace_new_trace_id(id);
            bool a = bw_tracer_samples(t, id);
            assert_true(a == bw_tracer_samples(t, id)); /* decided by the id alone */
            yes += a;
        }
        bw_tracer_unref(t);
        if (r == 0)
            assert_int_equal(yes, 0);
        else if (r == 1)
            assert_int_equal(yes, 4000);
        else
            assert_true(yes > 1700 && yes < 2300);
    }
    bw_server_free(srv);
}

static void test_option_checks(void **state)
{
    (void)state;
    char err[200];
    const char *bad_header[] = {"NoColon", NULL};
    const char *crlf[] = {"X-A: b\r\nX-Injected: 1", NULL};
    const char *reserved[] = {"content-type: text/plain", NULL};
    const bw_tracing_options bad[] = {
        {.endpoint = "ftp://127.0.0.1/x", .sampling_ratio = 1},
        {.endpoint = "not a url", .sampling_ratio = 1},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .protocol = "grpc", .sampling_ratio = 1},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = 1.5},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = -0.1},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = 1, .queue_size = -1},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = 1, .headers = bad_header},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = 1, .headers = crlf},
        {.endpoint = "http://127.0.0.1:4318/v1/traces", .sampling_ratio = 1, .headers = reserved},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(bw_tracing_options_check(&bad[i], err, sizeof err), BW_E_INVALID_ARG);
        assert_true(err[0] != '\0');
    }
    bw_tracing_options off = {0};
    assert_int_equal(bw_tracing_options_check(&off, err, sizeof err), BW_OK);
    bw_tracing_options good = {.endpoint = "https://collector.example/v1/traces", .protocol = "json",
                               .sampling_ratio = 0.25};
    assert_int_equal(bw_tracing_options_check(&good, err, sizeof err), BW_OK);
}

/* ---- swapping under load ---- */

typedef struct load {
    bw_server *srv;
    atomic_bool stop;
    atomic_long made;
} load;

static void *span_loop(void *arg)
{
    load *l = arg;
    while (!atomic_load(&l->stop)) {
        one_span(l->srv, "load");
        atomic_fetch_add(&l->made, 1);
    }
    return NULL;
}

static void test_swap_under_load(void **state)
{
    (void)state;
    load l = {.srv = new_server()};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, span_loop, &l), 0);
    char err[200];
    for (int i = 0; i < 40; i++) {
        /* A closed port: exports fail fast; a different ratio each time makes every call a real swap. */
        bw_tracing_options o = {.endpoint = "http://127.0.0.1:9/v1/traces", .sampling_ratio = (i % 10) / 10.0 + 0.05,
                                .queue_size = 64, .batch_size = 16, .flush_interval_ms = 10, .export_timeout_ms = 200};
        bw_tracing_options off = {0};
        assert_int_equal(bw_server_set_tracing(l.srv, i % 7 == 6 ? &off : &o, err, sizeof err), BW_OK);
        sleep_ms(5);
    }
    /* The same options again keep the running tracer (a reload that changed nothing). */
    bw_tracing_options same = {.endpoint = "http://127.0.0.1:9/v1/traces", .sampling_ratio = 1, .export_timeout_ms = 200};
    assert_int_equal(bw_server_set_tracing(l.srv, &same, err, sizeof err), BW_OK);
    struct bw_tracer *t1 = bw_tracer_acquire(l.srv->obs);
    assert_int_equal(bw_server_set_tracing(l.srv, &same, err, sizeof err), BW_OK);
    struct bw_tracer *t2 = bw_tracer_acquire(l.srv->obs);
    assert_ptr_equal(t1, t2);
    bw_tracer_unref(t1);
    bw_tracer_unref(t2);
    atomic_store(&l.stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_true(atomic_load(&l.made) > 100);
    bw_server_free(l.srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_tree),      cmocka_unit_test(test_attribute_bounds),
        cmocka_unit_test(test_export_batches),   cmocka_unit_test(test_sampling_ratio),
        cmocka_unit_test(test_option_checks),    cmocka_unit_test(test_swap_under_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
