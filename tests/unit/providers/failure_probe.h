/* What a provider tells the reliability policy, seen from a provider unit test: a probe wraps a built tool's handler
 * and records, after every call, the failure kind the provider reported (bw_call_set_failure, read from the call's
 * insides), and keeps the dependency the provider named at build time (bw_tool_def.dependency).
 * Header-only (each tests/unit/.../test_*.c is its own program); include after <cmocka.h>. Calls in these tests
 * run one at a time, so the probes need no locking beyond the atomic. */
#ifndef BW_TEST_FAILURE_PROBE_H
#define BW_TEST_FAILURE_PROBE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/policy.h"
#include "bulwark/server.h"
#include "protocol/call_internal.h"

#define PROBE_MAX 32

typedef struct probe {
    char tool[128];
    char dependency[256]; /* "" when the provider named none */
    bw_tool_fn fn;
    void *user;
    atomic_int failure;   /* of the last call; -1 before the first */
} probe;

static probe probes[PROBE_MAX];
static int n_probes;

static inline bw_status probe_handler(bw_call *call, const json_t *args, void *user)
{
    probe *p = user;
    call->failure = BW_FAILURE_NONE;
    bw_status st = p->fn(call, args, p->user);
    atomic_store(&p->failure, call->failure);
    return st;
}

/* One attempt per call, and no dependency (so no circuit breaker): the provider's own behaviour is under test,
 * not the reliability policy's retries and fail-fast answers. */
static const bw_tool_policy probe_policy = {.retry = {.max_attempts = 1, .mode = BW_RETRY_NEVER}};

/* Puts a probe between the server and the handler of a built def (call before bw_server_add_tool); the tool
 * runs under probe_policy. */
static inline void probe_wrap(bw_tool_def *def)
{
    assert_true(n_probes < PROBE_MAX);
    probe *p = &probes[n_probes++];
    snprintf(p->tool, sizeof p->tool, "%s", def->name);
    snprintf(p->dependency, sizeof p->dependency, "%s", def->dependency ? def->dependency : "");
    p->fn = def->handler;
    p->user = def->user;
    atomic_store(&p->failure, -1);
    def->handler = probe_handler;
    def->user = p;
    def->dependency = NULL;
    def->policy = &probe_policy;
}

static inline probe *probe_of(const char *tool)
{
    for (int i = 0; i < n_probes; i++)
        if (!strcmp(probes[i].tool, tool))
            return &probes[i];
    fail_msg("no probe for tool %s", tool);
    return NULL;
}

/* The failure kind the last call of the tool reported. */
static inline int probe_failure(const char *tool)
{
    return atomic_load(&probe_of(tool)->failure);
}

static inline const char *probe_dependency(const char *tool)
{
    return probe_of(tool)->dependency;
}

#ifdef BW_TEST_PROVIDER_TOOL_H
/* support_build_tool (../support/provider_tool.h) with a probe on the built tool. */
static inline bw_status probe_build_tool(bw_build *b, bw_server *srv, support_build_fn build, const char *section,
                                         const char *entry_fmt, const char *token, const char *value)
{
    return support_build_tool_adjusted(b, srv, build, section, entry_fmt, token, value, probe_wrap);
}
#endif

/* Forgets every probe (between tests: a test's tools die with its server). */
static inline void probe_reset(void)
{
    n_probes = 0;
}

#endif
