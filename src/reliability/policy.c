/* The orchestrator every tools/call passes through:
 *
 *   deadline → server-wide in-flight cap → tool bulkhead → dependency bulkhead → idempotency record → fresh cache →
 *   breaker → attempts (retried with backoff) → outcome (success: cache; failure: timeout text, stale, fallback) →
 *   idempotency record completed → everything released (one cleanup path).
 *
 * Each step either lets the call go on or answers it. Nothing here blocks a non-blocking tool (run on the transport's
 * reader): no bulkhead queueing, no backoff sleeps, no SQLite. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "observability/log.h"
#include "observability/trace.h"
#include "protocol/server_internal.h"
#include "reliability/backoff.h"
#include "reliability/policy.h"
#include "reliability/policy_run.h"

#define MIN_ATTEMPT_MS 10             /* a retry is not worth starting with less time than this left */
#define DEADLINE_SLACK_MS 25          /* a timeout this close to the deadline is the deadline's */
#define OVERLOAD_BULKHEAD_FMT "Server overloaded: tool %s is at its concurrency limit"

/* Counts calls whose statistics entry could not be allocated, so the hot path never checks for NULL. */
static bw_tool_stats lost_stats;
/* The policy of an entry registered without bw_server_add_tool (none should be): one plain attempt. */
static const bw_policy bare_policy = {.p = {.retry = {.max_attempts = 1}}};

/* ---- tracing: a "policy" span around the whole run, one "attempt" span per handler run ---- */

static const char *failure_name(bw_failure f)
{
    switch (f) {
    case BW_FAILURE_NONE:
        return "ok";
    case BW_FAILURE_TIMEOUT:
        return "timeout";
    case BW_FAILURE_CONNECTION:
        return "connection";
    case BW_FAILURE_UNAVAILABLE:
        return "unavailable";
    case BW_FAILURE_CONFLICT:
        return "conflict";
    default:
        return "permanent";
    }
}

/* Starts the policy span (a child of the request span; NULL when the request is not recorded) and makes it the
 * span providers and attempts parent to. */
static void trace_begin(bw_policy_call *r)
{
    bw_call *c = r->call;
    r->span = bw_span_child(bw_call_span(c), "policy", BW_SPAN_INTERNAL);
    if (!r->span)
        return;
    bw_span_set_str(r->span, "gen_ai.tool.name", r->tool->key);
    bw_span_set_int(r->span, "bulwark.deadline_ms", r->deadline - c->started_ms);
    bw_span_set_int(r->span, "bulwark.retry.max_attempts", r->pol->p.retry.max_attempts);
    if (r->dep) {
        bw_span_set_str(r->span, "bulwark.dependency", r->pol->dependency);
        bw_span_set_str(r->span, "bulwark.breaker.state",
                        bw_breaker_state_name(bw_breaker_state_at(r->dep->breaker, bw_clock_ms())));
    }
    c->obs.active = r->span;
}

/* Ends the policy span with what the run came to; active goes back to what it was before the run. */
static void trace_end(bw_policy_call *r, bw_span *before)
{
    bw_call *c = r->call;
    c->obs.active = before;
    if (!r->span)
        return;
    bw_span_set_int(r->span, "bulwark.attempts", r->attempts);
    bool failed = c->reply_error || bw_policy_answer_is_tool_error(c);
    if (r->settled)
        bw_span_set_bool(r->span, "bulwark.settled", true);
    else if (failed)
        bw_span_set_error(r->span,
                          c->obs.error_type         ? c->obs.error_type
                          : r->failure != BW_FAILURE_NONE ? failure_name(r->failure)
                          : c->reply_error          ? "error"
                                                    : "tool_error",
                          NULL);
    bw_span_end(r->span);
    r->span = NULL;
}

/* ---- setup ---- */

/* The call's deadline: the policy's (else the server's request timeout, already set), lowered by the client's
 * params._meta["io.bulwark/timeoutMs"]. A task's deadline is its lifetime and is left alone. */
static void set_deadline(bw_policy_call *r)
{
    bw_call *c = r->call;
    if (!c->task) {
        if (r->pol->p.deadline_ms > 0)
            c->deadline_ms = c->started_ms + r->pol->p.deadline_ms;
        const json_t *t = json_object_get(json_object_get(c->params, "_meta"), "io.bulwark/timeoutMs");
        json_int_t ms = json_is_integer(t) ? json_integer_value(t) : 0;
        if (ms > 0 && ms < c->deadline_ms - c->started_ms)
            c->deadline_ms = c->started_ms + ms;
    }
    r->deadline = c->deadline_ms;
}

static void run_init(bw_policy_call *r, bw_call *call, bw_entry *tool, json_t *args)
{
    *r = (bw_policy_call){.call = call, .tool = tool, .args = args, .rel = call->srv->rel};
    r->pol = tool->policy ? tool->policy : &bare_policy;
    r->ts = bw_rel_tool_stats(r->rel, tool->key);
    if (!r->ts)
        r->ts = &lost_stats;
    r->cache = atomic_load(&r->rel->cache);
    r->dep = r->pol->dependency ? bw_rel_dep(r->rel, r->pol->dependency) : NULL;
    set_deadline(r);
}

/* ---- admission ---- */

/* Answers a failed bulkhead acquisition; a call cancelled while queued gets no answer. */
static void refused(bw_policy_call *r, bw_status st)
{
    if (atomic_load(&r->call->cancelled)) {
        r->settled = true;
        return;
    }
    if (st == BW_E_TIMEOUT && bw_clock_ms_passed(r->deadline)) {
        bw_policy_reply_timeout(r);
        atomic_fetch_add_explicit(&r->ts->timeouts, 1, memory_order_relaxed);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, OVERLOAD_BULKHEAD_FMT, r->tool->key);
    bw_span_set_bool(r->span, "bulwark.bulkhead.rejected", true);
    bw_policy_reply_overloaded(r, msg);
    BW_POLICY_COUNT(r, rejections);
}

static bool call_cancelled(void *call)
{
    return bw_call_cancelled(call);
}

static bool acquire(bw_policy_call *r, bw_bulkhead *b, bool *held)
{
    if (!b)
        return true;
    /* A non-blocking tool runs on the reader: it takes a free slot or is refused, never queued. */
    int64_t until = r->call->on_reader ? bw_clock_ms() : r->deadline;
    atomic_fetch_add_explicit(&r->ts->queued, 1, memory_order_relaxed);
    bw_status st = bw_bulkhead_acquire(b, until, call_cancelled, r->call);
    atomic_fetch_sub_explicit(&r->ts->queued, 1, memory_order_relaxed);
    *held = st == BW_OK;
    if (st != BW_OK)
        refused(r, st);
    return *held;
}

static bool admit(bw_policy_call *r)
{
    int max = atomic_load_explicit(&r->rel->max_in_flight, memory_order_relaxed);
    int now = atomic_fetch_add(&r->rel->in_flight, 1) + 1;
    r->in_flight = true;
    if (max > 0 && now > max) {
        bw_policy_reply_overloaded(r, BW_POLICY_OVERLOADED_MESSAGE);
        BW_POLICY_COUNT(r, rejections);
        return false;
    }
    return acquire(r, r->pol->bulkhead, &r->tool_slot) && (!r->dep || acquire(r, r->dep->bulkhead, &r->dep_slot));
}

/* ---- cache and breaker ---- */

/* Answers from a fresh cache entry. true when it did. */
static bool cache_fresh(bw_policy_call *r)
{
    if (!r->pol->cacheable || r->pol->p.cache.ttl_ms <= 0)
        return false;
    int64_t age = 0;
    json_t *hit = bw_result_cache_get(r->cache, r->tool->key, r->args, bw_clock_ms(), BW_CACHE_FRESH, &age);
    bw_span_set_bool(r->span, "bulwark.cache.hit", hit != NULL);
    if (!hit) {
        BW_POLICY_COUNT(r, cache_misses);
        return false;
    }
    BW_POLICY_COUNT(r, cache_hits);
    r->fresh = json_deep_copy(hit); /* an idempotency record stores the result without the cache mark */
    bw_call_reply(r->call, hit);
    bw_policy_meta_set(r->call, "io.bulwark/cache", json_pack("{s:I}", "ageMs", (json_int_t)age));
    return true;
}

/* true to go on. An open breaker answers with a stale result, the fallback, or the fail-fast error. */
static bool breaker_admits(bw_policy_call *r)
{
    int64_t retry_after = 0;
    if (!r->dep || (r->breaker_admitted = bw_breaker_allow(r->dep->breaker, bw_clock_ms(), &retry_after)))
        return true;
    BW_POLICY_COUNT(r, rejections);
    bw_span_set_bool(r->span, "bulwark.breaker.rejected", true);
    char reason[600];
    snprintf(reason, sizeof reason, "%s is failing (circuit open)", r->pol->dependency);
    if (!bw_policy_serve_stale(r, reason) && !bw_policy_fallback(r))
        bw_policy_reply_open(r, retry_after);
    return false;
}

/* ---- attempts ---- */

static bw_failure failure_of(const bw_call *c, bw_status st)
{
    if (st == BW_OK && c->reply_result && !json_is_true(json_object_get(c->reply_result, "isError")))
        return BW_FAILURE_NONE;
    if (c->failure > BW_FAILURE_NONE && c->failure <= BW_FAILURE_PERMANENT)
        return (bw_failure)c->failure;
    switch (st) {
    case BW_E_TIMEOUT:
        return BW_FAILURE_TIMEOUT;
    case BW_E_IO:
        return BW_FAILURE_CONNECTION;
    case BW_E_OVERLOADED:
        return BW_FAILURE_UNAVAILABLE;
    default:
        return BW_FAILURE_PERMANENT;
    }
}

/* The attempt's span: a child of the policy span, made the active span while the handler runs. */
static bw_span *attempt_span(bw_policy_call *r, int64_t until, int64_t now)
{
    bw_span *s = bw_span_child(r->span, "attempt", BW_SPAN_INTERNAL);
    bw_span_set_int(s, "bulwark.attempt", r->attempts);
    if (r->attempts > 1)
        bw_span_set_int(s, "bulwark.retry.delay_ms", r->delay_ms);
    bw_span_set_int(s, "bulwark.attempt.timeout_ms", until - now);
    if (s)
        r->call->obs.active = s;
    return s;
}

static void attempt_end(bw_policy_call *r, bw_span *s)
{
    r->call->obs.active = r->span;
    if (!s)
        return;
    if (r->settled)
        bw_span_set_bool(s, "bulwark.settled", true);
    else
        bw_span_set_str(s, "bulwark.outcome", failure_name(r->failure));
    if (!r->settled && r->failure != BW_FAILURE_NONE)
        bw_span_set_error(s, failure_name(r->failure), NULL);
    bw_span_end(s);
}

/* One handler run with its own deadline inside the call's: the providers read call->deadline_ms, so lowering it for
 * the attempt makes them give up in time. */
static void attempt(bw_policy_call *r)
{
    bw_call *c = r->call;
    int64_t until = r->deadline, now = bw_clock_ms();
    int per_attempt = r->pol->p.retry.attempt_timeout_ms;
    if (per_attempt > 0 && now + per_attempt < until)
        until = now + per_attempt;
    r->attempts++;
    c->deadline_ms = until;
    bw_span *span = attempt_span(r, until, now);
    r->st = ((bw_tool_fn)r->tool->handler)(c, r->args, r->tool->user);
    c->deadline_ms = r->deadline;
    if (bw_tool_settled(c, r->tool, r->args, r->st)) {
        r->settled = true;
        attempt_end(r, span);
        return;
    }
    bw_tool_answer(c, r->tool, r->st);
    r->failure = failure_of(c, r->st);
    /* An answer after the call's deadline is too late whatever it says; one after the attempt's is a timeout
     * unless it is a success worth keeping. */
    if (bw_clock_ms_passed(r->deadline) || (r->failure != BW_FAILURE_NONE && bw_clock_ms_passed(until)))
        r->failure = BW_FAILURE_TIMEOUT;
    attempt_end(r, span);
}

static bool retryable(bw_failure f)
{
    return f == BW_FAILURE_TIMEOUT || f == BW_FAILURE_CONNECTION || f == BW_FAILURE_UNAVAILABLE ||
           f == BW_FAILURE_CONFLICT;
}

/* Waits the jittered backoff before another attempt. false when there is no time for one after the wait, or the
 * call was cancelled meanwhile. */
static bool backoff(bw_policy_call *r)
{
    const bw_retry_policy *p = &r->pol->p.retry;
    int64_t delay = bw_backoff_delay_ms(r->attempts, p->base_delay_ms, p->max_delay_ms);
    if (bw_clock_ms() + delay + MIN_ATTEMPT_MS > r->deadline)
        return false;
    r->delay_ms = delay;
    if (delay > 0 && bw_call_sleep(r->call, (int)delay) != BW_OK) {
        r->settled = atomic_load(&r->call->cancelled);
        return false;
    }
    return true;
}

static bool may_retry(const bw_policy_call *r)
{
    return r->pol->retry_eligible && !r->call->on_reader && r->attempts < r->pol->p.retry.max_attempts &&
           retryable(r->failure) && !atomic_load(&r->call->cancelled);
}

static void run_attempts(bw_policy_call *r)
{
    for (;;) {
        attempt(r);
        if (r->settled || r->failure == BW_FAILURE_NONE || !may_retry(r) || !backoff(r))
            return;
        BW_POLICY_COUNT(r, retries);
        bw_policy_reset_call(r->call);
    }
}

/* ---- outcome ---- */

static void succeeded(bw_policy_call *r)
{
    if (r->pol->cacheable || r->idem)
        r->fresh = json_deep_copy(r->call->reply_result);
    if (r->pol->cacheable && r->fresh)
        (void)bw_result_cache_put(r->cache, r->tool->key, r->args, r->fresh, bw_clock_ms(), r->pol->p.cache.ttl_ms,
                                  r->pol->p.cache.max_stale_ms);
}

static void mark_attempts(bw_policy_call *r)
{
    if (r->attempts > 1)
        bw_policy_meta_set(r->call, "io.bulwark/attempts", json_integer(r->attempts));
}

static void outcome(bw_policy_call *r)
{
    if (r->failure == BW_FAILURE_NONE) {
        succeeded(r); /* cached as the tool answered it, before the policy's marks */
        mark_attempts(r);
        return;
    }
    /* A provider's own timer, set from the time left, may fire a hair before the deadline: that is the deadline. */
    bool timed_out = bw_clock_ms_passed(r->deadline) ||
                     (r->failure == BW_FAILURE_TIMEOUT && r->deadline - bw_clock_ms() <= DEADLINE_SLACK_MS);
    if (timed_out) {
        bw_policy_reply_timeout(r);
        BW_POLICY_COUNT(r, timeouts);
        bw_span_set_bool(r->span, "bulwark.timeout", true);
    }
    mark_attempts(r);
    if (!bw_policy_answer_is_tool_error(r->call))
        return; /* a JSON-RPC error (bad params, a bug) is answered as it is */
    if (bw_policy_serve_stale(r, timed_out ? "the call timed out" : "the tool failed")) {
        bw_span_set_bool(r->span, "bulwark.stale", true);
        return;
    }
    /* No time is left for a fallback after the deadline. */
    if (!timed_out && bw_policy_fallback(r))
        bw_span_set_bool(r->span, "bulwark.fallback", true);
}

/* ---- cleanup ---- */

static void release_breaker(bw_policy_call *r)
{
    if (!r->breaker_admitted)
        return;
    bool fault = r->failure == BW_FAILURE_TIMEOUT || r->failure == BW_FAILURE_CONNECTION ||
                 r->failure == BW_FAILURE_UNAVAILABLE;
    /* Cancelled or settled calls say nothing about the dependency. */
    if (r->settled)
        bw_breaker_release(r->dep->breaker);
    else
        bw_breaker_record(r->dep->breaker, bw_clock_ms(), !fault);
}

static void count_answer(bw_policy_call *r)
{
    bw_call *c = r->call;
    if (c->reply_error || bw_policy_answer_is_tool_error(c))
        BW_POLICY_COUNT(r, errors);
    else if (c->reply_result)
        BW_POLICY_COUNT(r, ok);
}

/* One warn-level log line per slow call, with the request's ids so it can be found next to its trace. */
static void note_slow(bw_policy_call *r)
{
    bw_call *c = r->call;
    int64_t took = bw_clock_ms() - c->started_ms;
    int64_t threshold = r->pol->p.slow_ms > 0 ? r->pol->p.slow_ms : (r->deadline - c->started_ms) * 4 / 5;
    if (took <= threshold)
        return;
    BW_POLICY_COUNT(r, slow);
    bw_span_set_bool(r->span, "bulwark.slow", true);
    if (!bw_log_enabled(BW_LL_WARN))
        return;
    char trace_id[33] = "";
    if (c->obs.ctx.valid)
        bw_trace_id_hex(&c->obs.ctx, trace_id);
    json_t *extra = json_pack("{s:I,s:I}", "threshold_ms", (json_int_t)threshold, "attempts", (json_int_t)r->attempts);
    bw_log_fields f = {.request_id = c->obs.request_id[0] ? c->obs.request_id : NULL,
                       .session_id = c->obs.session_id[0] ? c->obs.session_id : NULL,
                       .trace_id = trace_id[0] ? trace_id : NULL, .tool = r->tool->key, .method = "tools/call",
                       .duration_ms = (double)took, .extra = extra};
    bw_log_event(BW_LL_WARN, "slow_call", &f);
    json_decref(extra);
}

static void finish(bw_policy_call *r)
{
    release_breaker(r);
    bw_policy_idem_finish(r);
    if (r->dep_slot)
        bw_bulkhead_release(r->dep->bulkhead);
    if (r->tool_slot)
        bw_bulkhead_release(r->pol->bulkhead);
    if (r->running)
        atomic_fetch_sub_explicit(&r->ts->running, 1, memory_order_relaxed);
    if (r->in_flight)
        atomic_fetch_sub(&r->rel->in_flight, 1);
    count_answer(r);
    note_slow(r);
    json_decref(r->fresh);
    free(r->idem_key);
}

bw_status bw_policy_run(bw_call *call, bw_entry *tool, json_t *args)
{
    bw_policy_call r;
    bw_span *active_before = call->obs.active;
    run_init(&r, call, tool, args);
    trace_begin(&r);
    BW_POLICY_COUNT(&r, calls);
    if (admit(&r) && !bw_policy_idem_begin(&r) && !cache_fresh(&r) && breaker_admits(&r)) {
        r.running = true;
        atomic_fetch_add_explicit(&r.ts->running, 1, memory_order_relaxed);
        run_attempts(&r);
        if (!r.settled)
            outcome(&r);
    }
    finish(&r);
    trace_end(&r, active_before);
    return r.st;
}
