/* The Bulwark server object: identity, limits and the registries of tools, resources and prompts.
 *
 * Lifecycle: bw_server_new → register everything → serve (e.g. bw_serve_stdio) → bw_server_free.
 * Registration is meant to happen before serving; registering while serving is allowed and thread-safe (lists
 * are copied-on-write under the server's lock) and sends list_changed notifications to sessions that can take them.
 * Capabilities are derived from what is registered: `tools` when a tool exists, `resources` (with subscribe)
 * when a resource or template exists, `prompts` when a prompt exists, `completions` when a completion handler is
 * set; `logging` always. */
#ifndef BULWARK_SERVER_H
#define BULWARK_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_server bw_server;
typedef struct bw_session bw_session;
typedef struct bw_call bw_call;

/* Server identity as sent in serverInfo. Strings are copied by bw_server_new; NULL fields are omitted. */
typedef struct bw_server_info {
    const char *name;          /* required */
    const char *version;       /* required */
    const char *title;         /* 2025-06-18+ */
    const char *description;   /* 2025-11-25+ */
    const char *website_url;   /* 2025-11-25+ */
    const char *instructions;  /* InitializeResult.instructions */
} bw_server_info;

/* Bounds on every input and queue. Zero in a field means "use the default" (shown in brackets). */
typedef struct bw_limits {
    size_t max_message_bytes;      /* one JSON-RPC message [4 MiB] */
    int max_depth;                 /* JSON nesting depth [64] */
    int page_size;                 /* items per list page [50] */
    int workers;                   /* worker threads that run handlers [4] */
    int queue_depth;               /* requests queued for workers before -32000 "server overloaded" [1024] */
    int max_in_flight;             /* requests in flight per session [256] */
    int request_timeout_ms;        /* default deadline of a call (bulwark/policy.h: a tool policy may override) [30000] */
    int client_request_timeout_ms; /* default wait for a server->client request [60000] */
    int shutdown_grace_ms;         /* time in-flight work gets after EOF/SIGTERM [5000] */
} bw_limits;

/* Creates a server. Returns NULL if info->name or info->version is missing or on allocation failure.
 * The caller owns the result and frees it with bw_server_free after serving ended. */
BW_EXPORT bw_server *bw_server_new(const bw_server_info *info);
/* Frees the server and everything registered. NULL is a no-op. Must not be called while a transport serves it. */
BW_EXPORT void bw_server_free(bw_server *srv);
/* Replaces the limits (zero fields take defaults). Call before serving. Not thread-safe against serving. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_limits(bw_server *srv, const bw_limits *limits);
/* The limits in force (defaults filled in). */
BW_EXPORT bw_limits bw_server_limits(const bw_server *srv);

/* ---- tools ---- */

/* Runs a tool. `args` is the validated arguments object (borrowed, never NULL: {} when the client sent none),
 * with schema defaults applied. Build the answer with bw_call_result()/bw_result_* (see call.h).
 * Return BW_OK for a normal result, BW_E_TOOL (or call bw_result_set_error) for a failure the model should see
 * (isError:true), BW_INPUT_REQUIRED when bw_call_client_request said so, any other status for a JSON-RPC error.
 * Runs on a worker thread; may block (it has a deadline: bw_call_deadline_ms). */
typedef bw_status (*bw_tool_fn)(bw_call *call, const json_t *args, void *user);

typedef struct bw_tool_def {
    const char *name;          /* required; 1-128 chars of [A-Za-z0-9_.-] */
    const char *title;         /* optional (2025-06-18+) */
    const char *description;   /* optional but strongly advised */
    const json_t *input_schema;  /* borrowed and deep-copied; NULL means {"type":"object"} */
    const json_t *output_schema; /* borrowed and deep-copied; NULL means none */
    const json_t *annotations;   /* borrowed and deep-copied; e.g. {"readOnlyHint":true} */
    const json_t *icons;         /* borrowed and deep-copied; sent to 2025-11-25 clients only */
    const json_t *meta;          /* borrowed and deep-copied; the tool's _meta */
    bw_tool_fn handler;        /* required */
    void *user;                /* passed to handler; not owned */
    unsigned flags;            /* BW_TOOL_* */
    /* The reliability policy (bulwark/policy.h; copied, strings too). NULL: the server's default policy. */
    const struct bw_tool_policy *policy;
    /* The dependency the tool calls (circuit breaker and shared bulkhead key), e.g. "db:main" or
     * "https://api.example.com:443"; copied. NULL: none (no breaker), unless the policy names one. */
    const char *dependency;
} bw_tool_def;

/* The handler never blocks: it computes its answer from its arguments (and memory) in microseconds, without
 * I/O, sleeping or waiting for the client. Such a tool runs on the transport's reading thread and skips the hand-off
 * to the worker pool — the fastest path. A non-blocking handler must not call bw_call_sleep or
 * bw_call_client_request (they fail at once with BW_E_INVALID_ARG), and must stay short: while it runs, that
 * session reads nothing else (not even ping or cancellation). Use it for pure functions only. */
#define BW_TOOL_NONBLOCKING 0x1u

/* The tool may run as a task (tasks extension, 2026-07-28): when the client declares the extension, the call is
 * answered at once with a task handle and the handler runs on; otherwise it runs as a normal call. */
#define BW_TOOL_TASK_OPTIONAL 0x2u
/* The tool runs only as a task: a client without the tasks extension gets error -32021. */
#define BW_TOOL_TASK_REQUIRED 0x4u
/* With a TASK flag: the task does not begin before the handler; the handler begins it with bw_call_task_begin
 * (e.g. after asking the client for input on the original request). */
#define BW_TOOL_TASK_MANUAL 0x8u

/* Registers a tool. Schemas are compiled now: an invalid schema fails with BW_E_INVALID_ARG and a reason in
 * `err` (may be NULL; errlen bytes, NUL-terminated). BW_E_EXISTS for a duplicate name. Thread-safe. */
BW_EXPORT BW_NODISCARD bw_status bw_server_add_tool(bw_server *srv, const bw_tool_def *def, char *err,
                                                     size_t errlen);
/* Removes a tool by name; BW_E_NOT_FOUND if absent. In-flight calls finish normally. Thread-safe. */
BW_EXPORT BW_NODISCARD bw_status bw_server_remove_tool(bw_server *srv, const char *name);

/* ---- resources ---- */

/* Reads a resource. `uri` is what the client asked for; `vars` holds the URI template's variables as strings
 * when the match came from a template, else NULL (both borrowed). Add contents with bw_result_add_contents.
 * Return BW_E_NOT_FOUND for -32002 "Resource not found". Runs on a worker thread. */
typedef bw_status (*bw_resource_fn)(bw_call *call, const char *uri, const json_t *vars, void *user);

typedef struct bw_resource_def {
    const char *uri;           /* a concrete URI, or an RFC 6570 level-1 template ("test://t/{id}/data") */
    bool is_template;          /* true: listed by resources/templates/list and matched on read */
    const char *name;          /* required */
    const char *title;
    const char *description;
    const char *mime_type;
    int64_t size;              /* bytes, or -1 when unknown (0 is taken as unknown too) */
    const json_t *annotations; /* borrowed, deep-copied */
    const json_t *icons;       /* borrowed, deep-copied */
    bw_resource_fn handler;    /* required */
    void *user;
    /* Cache hint for reads of this resource (2026-07-28 ttlMs/cacheScope): "public" or "private", or NULL for the
     * server's resources/read hint (bw_server_set_cache_hint). */
    const char *cache_scope;
    int64_t cache_ttl_ms;      /* >= 0; used when cache_scope is set */
} bw_resource_def;

BW_EXPORT BW_NODISCARD bw_status bw_server_add_resource(bw_server *srv, const bw_resource_def *def);
BW_EXPORT BW_NODISCARD bw_status bw_server_remove_resource(bw_server *srv, const char *uri);

/* ---- prompts ---- */

/* Renders a prompt. `args` is an object of string values (borrowed, never NULL); required arguments were checked.
 * Add messages with bw_result_add_message. */
typedef bw_status (*bw_prompt_fn)(bw_call *call, const json_t *args, void *user);

typedef struct bw_prompt_arg {
    const char *name;
    const char *title;
    const char *description;
    bool required;
} bw_prompt_arg;

typedef struct bw_prompt_def {
    const char *name;          /* required */
    const char *title;
    const char *description;
    const bw_prompt_arg *args; /* array of n_args; copied */
    size_t n_args;
    const json_t *icons;
    bw_prompt_fn handler;      /* required */
    void *user;
} bw_prompt_def;

BW_EXPORT BW_NODISCARD bw_status bw_server_add_prompt(bw_server *srv, const bw_prompt_def *def);
BW_EXPORT BW_NODISCARD bw_status bw_server_remove_prompt(bw_server *srv, const char *name);

/* ---- completion ---- */

/* Completes an argument. `ref` is {"type":"ref/prompt","name":...} or {"type":"ref/resource","uri":...};
 * `context_args` is the client's already-resolved arguments object or NULL. Add values with
 * bw_result_add_completion. The library has already checked that the prompt/template exists (-32602 if not). */
typedef bw_status (*bw_complete_fn)(bw_call *call, const json_t *ref, const char *arg_name, const char *arg_value,
                                    const json_t *context_args, void *user);
BW_EXPORT void bw_server_set_completion(bw_server *srv, bw_complete_fn fn, void *user);

/* ---- the stateless revision (2026-07-28) ---- */

/* Sets the cache hint (ttlMs >= 0, cacheScope public or private) sent with the results of `method`: "server/discover",
 * "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read", "skills/list",
 * "skills/get". Default: ttlMs 0, private. BW_E_INVALID_ARG for another method or a negative TTL. Call before serving. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_cache_hint(bw_server *srv, const char *method, int64_t ttl_ms,
                                                          bool public_scope);
/* Keys that seal requestState (multi round-trip requests): `keys` is a NULL-terminated list of one or two keys —
 * the current key (seals and opens) then optionally the previous one (still opens, for rotation) — each 32 bytes
 * written as 64 hex characters or base64/base64url. Every replica given the same keys can resume any other's
 * requests. NULL keys: a random per-process key (the default; state then only resumes on this process).
 * ttl_ms: how long a state stays valid [600000]. BW_E_INVALID_ARG with a reason in err (the key text is never
 * echoed). Call before serving. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_state_keys(bw_server *srv, const char *const *keys, int ttl_ms,
                                                          char *err, size_t errlen);

/* ---- notifications from the application ---- */

/* Tells every session that resources/updated for `uri` happened; only sessions subscribed to it are notified.
 * Thread-safe; never blocks on a slow client (messages are queued on the transport, which bounds them). */
BW_EXPORT void bw_server_notify_resource_updated(bw_server *srv, const char *uri);
/* Sends notifications/{tools,resources,prompts}/list_changed to every initialized session. Thread-safe.
 * Registration and removal call these by themselves. */
BW_EXPORT void bw_server_notify_list_changed(bw_server *srv, const char *kind /* "tools"|"resources"|"prompts" */);

#ifdef __cplusplus
}
#endif
#endif
