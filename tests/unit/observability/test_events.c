/* Unit tests for the event bus (src/observability/events_*.c): a subscriber's stream starts with a retry hint and
 * hello/health/stats; published events arrive framed once with increasing ids; type filters; a full queue drops the
 * oldest and says how many before the next event, in order; the subscriber limit; reads park the connection through
 * the waker and a publish wakes it; shutdown drains, hints and ends (and refuses newcomers); nothing leaks without
 * subscribers or with a malformed type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/server.h"
#include "observability/events.h"

static bw_server *server(void)
{
    bw_server_info info = {.name = "unit-events", .version = "9.9.9"};
    bw_server *srv = bw_server_new(&info);
    assert_non_null(srv);
    return srv;
}

/* Everything queued on s (reads until one returns <= 0), NUL-terminated; *last gets that last return value. */
static char *drain(bw_events_sub *s, ssize_t *last)
{
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap + 1);
    assert_non_null(out);
    ssize_t r;
    /* small reads, so frames split across reads are exercised too */
    while (n < cap && (r = bw_events_sub_read(s, out + n, n + 7 < cap ? 7 : cap - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    if (last)
        *last = r;
    return out;
}

static int count(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

static void test_parse_types(void **state)
{
    (void)state;
    unsigned m = 0;
    assert_true(bw_events_parse_types(NULL, &m));
    assert_int_equal(m, BW_EVT_ALL);
    assert_true(bw_events_parse_types("call,health", &m));
    assert_int_equal(m, BW_EVT_CALL | BW_EVT_HEALTH);
    assert_true(bw_events_parse_types("audit", &m));
    assert_int_equal(m, BW_EVT_AUDIT);
    assert_false(bw_events_parse_types("call,bogus", &m));
    assert_false(bw_events_parse_types(",", &m));
    char longlist[400];
    memset(longlist, 'a', sizeof longlist - 1);
    longlist[sizeof longlist - 1] = '\0';
    assert_false(bw_events_parse_types(longlist, &m));
}

static void test_greeting_then_published_events(void **state)
{
    (void)state;
    bw_server *srv = server();
    bw_events_publish(srv, "call", json_pack("{s:i}", "lost", 1)); /* nobody listens: dropped at once, no leak */
    bw_events_sub *s = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &s), BW_OK);
    assert_int_equal(bw_events_subscribers(srv), 1);
    ssize_t last = 0;
    char *text = drain(s, &last);
    assert_int_equal(last, 0); /* nothing more queued: no waker, so no park */
    assert_memory_equal(text, "retry: 2000\n\n", 13);
    const char *hello = strstr(text, "event: hello\ndata: {\"type\":\"hello\"");
    const char *health = strstr(text, "event: health\n");
    const char *stats = strstr(text, "event: stats\n");
    assert_non_null(hello);
    assert_non_null(health);
    assert_non_null(stats);
    assert_true(hello < health && health < stats);
    assert_non_null(strstr(text, "\"server\":\"unit-events\",\"version\":\"9.9.9\""));
    assert_null(strstr(text, "lost"));
    free(text);

    bw_events_publish(srv, "call", json_pack("{s:i}", "n", 1));
    bw_events_publish(srv, "custom_thing", NULL);
    text = drain(s, NULL);
    unsigned long id1 = 0, id2 = 0;
    assert_int_equal(sscanf(text, "id: %lu\nevent: call\n", &id1), 1);
    const char *second = strstr(text, "\n\nid: ");
    assert_non_null(second);
    assert_int_equal(sscanf(second + 2, "id: %lu\nevent: custom_thing\n", &id2), 1);
    assert_true(id2 == id1 + 1);
    assert_non_null(strstr(text, "\"data\":{\"n\":1}}\n\n"));
    assert_non_null(strstr(text, "\"type\":\"custom_thing\""));
    assert_non_null(strstr(text, "\"data\":null}\n\n"));
    free(text);

    bw_events_publish(srv, "bad type\nevent: x", json_pack("{s:i}", "n", 2)); /* not a word: refused */
    bw_events_publish(srv, "", NULL);
    text = drain(s, NULL);
    assert_string_equal(text, "");
    free(text);
    bw_events_unsubscribe(s);
    assert_int_equal(bw_events_subscribers(srv), 0);
    bw_server_free(srv);
}

static void test_type_filter(void **state)
{
    (void)state;
    bw_server *srv = server();
    bw_events_sub *s = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_CALL, NULL, NULL, &s), BW_OK);
    char *text = drain(s, NULL);
    assert_non_null(strstr(text, "event: hello"));
    assert_null(strstr(text, "event: stats"));
    assert_null(strstr(text, "event: health"));
    free(text);
    bw_events_publish(srv, "stats", json_object());
    bw_events_publish(srv, "audit", json_object());
    bw_events_publish(srv, "call", json_pack("{s:s}", "k", "v"));
    text = drain(s, NULL);
    assert_int_equal(count(text, "event: "), 1);
    assert_non_null(strstr(text, "event: call\n"));
    free(text);
    bw_events_unsubscribe(s);
    bw_server_free(srv);
}

static void test_full_queue_drops_oldest_and_says_so(void **state)
{
    (void)state;
    bw_server *srv = server();
    bw_events_options o = bw_events_defaults();
    o.queue_events = 16;
    bw_events_configure(srv, &o);
    bw_events_sub *s = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_CALL, NULL, NULL, &s), BW_OK);
    free(drain(s, NULL));
    for (int i = 0; i < 40; i++)
        bw_events_publish(srv, "call", json_pack("{s:i}", "i", i));
    assert_int_equal(bw_events_dropped_total(srv), 24);
    char *text = drain(s, NULL);
    assert_memory_equal(text, "event: dropped\ndata: {\"dropped\":24,\"dropped_total\":24}\n\n", 56);
    assert_int_equal(count(text, "event: call\n"), 16);
    /* the 16 newest, in order */
    const char *p = text;
    for (int i = 24; i < 40; i++) {
        char want[32];
        snprintf(want, sizeof want, "{\"i\":%d}}", i);
        const char *q = strstr(p, want);
        assert_non_null(q);
        p = q;
    }
    free(text);
    bw_events_unsubscribe(s);
    bw_server_free(srv);
}

static void test_subscriber_limit(void **state)
{
    (void)state;
    bw_server *srv = server();
    bw_events_options o = bw_events_defaults();
    o.max_subscribers = 2;
    bw_events_configure(srv, &o);
    bw_events_sub *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &a), BW_OK);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &b), BW_OK);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &c), BW_E_LIMIT);
    assert_null(c);
    bw_events_unsubscribe(a);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &c), BW_OK);
    o.enabled = false;
    bw_events_configure(srv, &o);
    assert_false(bw_events_enabled(srv));
    bw_events_unsubscribe(b);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &a), BW_E_CANCELLED);
    bw_events_unsubscribe(c);
    bw_server_free(srv);
}

typedef struct fake_conn {
    int suspended, resumed;
} fake_conn;

static void fake_suspend(void *conn)
{
    ((fake_conn *)conn)->suspended++;
}

static void fake_resume(void *conn)
{
    ((fake_conn *)conn)->resumed++;
}

static const bw_events_waker fake_waker = {.suspend = fake_suspend, .resume = fake_resume};

static void test_park_and_wake(void **state)
{
    (void)state;
    bw_server *srv = server();
    fake_conn conn = {0};
    bw_events_sub *s = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_CALL, &fake_waker, &conn, &s), BW_OK);
    free(drain(s, NULL));
    assert_int_equal(conn.suspended, 1); /* the empty read parked it */
    assert_int_equal(conn.resumed, 0);
    bw_events_publish(srv, "call", json_object());
    bw_events_publish(srv, "call", json_object());
    assert_int_equal(conn.resumed, 1); /* woken once: the second publish found it awake */
    free(drain(s, NULL));
    assert_int_equal(conn.suspended, 2);
    bw_events_unsubscribe(s); /* the connection is gone: never touched again */
    bw_events_publish(srv, "call", json_object());
    assert_int_equal(conn.resumed, 1);
    bw_server_free(srv);
}

static bool match_conn(void *conn, void *arg)
{
    return conn == arg;
}

static void test_shutdown_ends_streams(void **state)
{
    (void)state;
    bw_server *srv = server();
    fake_conn ca = {0}, cb = {0};
    bw_events_sub *a = NULL, *b = NULL, *late = NULL;
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_CALL, &fake_waker, &ca, &a), BW_OK);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_CALL, &fake_waker, &cb, &b), BW_OK);
    free(drain(a, NULL));
    free(drain(b, NULL));
    /* one daemon stopping: only its streams end */
    assert_int_equal(bw_events_end_streams(srv, match_conn, &ca), 1);
    assert_int_equal(ca.resumed, 1);
    assert_int_equal(cb.resumed, 0);
    bw_events_publish(srv, "call", json_object()); /* after the end: not queued on a */
    ssize_t last = 0;
    char *text = drain(a, &last);
    assert_string_equal(text, "retry: 1000\n\n");
    assert_int_equal(last, -1);
    assert_int_equal(ca.suspended, 1); /* never parked again once ended */
    free(text);
    /* server shutdown: the rest end after what is queued; newcomers are refused */
    bw_events_shutdown(srv);
    text = drain(b, &last);
    assert_non_null(strstr(text, "event: call\n"));
    assert_non_null(strstr(text, "\n\nretry: 1000\n\n"));
    assert_int_equal(last, -1);
    free(text);
    assert_int_equal(bw_events_subscribe(srv, BW_EVT_ALL, NULL, NULL, &late), BW_E_CANCELLED);
    bw_events_unsubscribe(a);
    /* b is left subscribed: freeing the server detaches it; the transport's unsubscribe afterwards is safe */
    bw_server_free(srv);
    bw_events_unsubscribe(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_types),
        cmocka_unit_test(test_greeting_then_published_events),
        cmocka_unit_test(test_type_filter),
        cmocka_unit_test(test_full_queue_drops_oldest_and_says_so),
        cmocka_unit_test(test_subscriber_limit),
        cmocka_unit_test(test_park_and_wake),
        cmocka_unit_test(test_shutdown_ends_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
