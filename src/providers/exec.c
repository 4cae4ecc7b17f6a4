/* The exec provider: compiles a tool's `exec` section (program, argv templates, environment) and runs calls,
 * mapping the program's end to a tool result. Spawning and supervision: exec_run.c; argv: exec_argv.c. */
#include "providers/exec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/call.h"
#include "bulwark/policy.h"
#include "core/utf8.h"
#include "observability/trace.h"
#include "providers/exec_argv.h"
#include "providers/exec_run.h"
#include "providers/template.h"
#include "providers/tool_error.h"

#define EXCERPT_BYTES 1024
#define DEADLINE_GRACE_MS 20 /* SIGKILL comes at most this long after the call's deadline, whatever kill_grace_ms
                              * says: the deadline's promise (an answer within 100 ms) outranks a graceful exit */
#define EX_TEMPFAIL 75       /* sysexits.h: "temporary failure, try again later": the default transient code */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

typedef struct exec_tool {
    json_t *cfg;           /* own copy of the section: args point into it */
    const char *path;      /* resolved program (owned by the build context) */
    const char *arg0;      /* argv[0]: the configured name */
    const json_t *args;    /* array of templates */
    const char *cwd;       /* owned by the build context */
    char **envp;           /* "NAME=value", NULL-terminated; fixed when the configuration is loaded */
    size_t n_env;          /* entries in envp */
    bool own_trace_env;    /* envp sets TRACEPARENT itself: the call's context is not added */
    const char *stdin_arg; /* argument written to stdin, or NULL */
    int64_t timeout_ms;
    int kill_grace_ms;
    size_t max_output_bytes;
    bool json_output;
    bool transient[256];   /* exit codes that mean "try again later" (transient_exit_codes) */
} exec_tool;

/* ---------------------------------------------------------------- calls */

/* A JSON string of bytes from the program: invalid UTF-8 becomes U+FFFD. NULL on allocation failure. */
static json_t *text_json(const bw_buf *b)
{
    bw_buf clean;
    bw_buf_init(&clean, b->len * 3 + 1);
    json_t *s = NULL;
    if (bw_utf8_sanitize(b->data ? b->data : "", b->len, &clean) == BW_OK)
        s = json_stringn_nocheck(clean.data ? clean.data : "", clean.len);
    bw_buf_free(&clean);
    return s;
}

/* "<head>: <the last 1 KiB of the stream, trailing whitespace trimmed>" as an isError result. Error messages
 * come last in a program's output, so the tail is kept. */
static bw_status fail_with_tail(bw_call *call, const char *head, const bw_buf *stream)
{
    size_t n = stream->len;
    while (n && strchr(" \t\r\n", stream->data[n - 1]))
        n--;
    size_t start = n > EXCERPT_BYTES ? n - EXCERPT_BYTES : 0;
    while (start < n && ((unsigned char)stream->data[start] & 0xC0) == 0x80)
        start++; /* do not begin inside a character */
    bw_buf msg;
    bw_buf_init(&msg, strlen(head) + 8 + 3 * EXCERPT_BYTES);
    bw_status st = bw_buf_append(&msg, head, strlen(head));
    if (st == BW_OK && n)
        st = bw_buf_append(&msg, start ? ": \xE2\x80\xA6" : ": ", start ? 5 : 2);
    if (st == BW_OK && n)
        st = bw_utf8_sanitize(stream->data + start, n - start, &msg);
    if (st == BW_OK)
        st = bw_result_set_error(bw_call_result(call), msg.data);
    bw_buf_free(&msg);
    return st;
}

static bw_status json_success(bw_call *call, const bw_exec_outcome *o)
{
    json_error_t je;
    json_t *v = json_loadb(o->out.data ? o->out.data : "", o->out.len, JSON_DECODE_ANY, &je);
    if (!v) {
        bw_call_set_failure(call, BW_FAILURE_PERMANENT);
        return bw_tool_fail(call, "stdout is not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *structured = json_is_object(v) ? json_incref(v) : json_pack("{s:O}", "result", v);
    bw_result *r = bw_call_result(call);
    bw_status st = text && structured ? bw_result_add_text(r, text) : BW_E_NOMEM;
    if (st == BW_OK)
        st = bw_result_set_structured(r, structured);
    else
        json_decref(structured);
    free(text);
    json_decref(v);
    return st;
}

static bw_status text_success(bw_call *call, const bw_exec_outcome *o)
{
    json_t *out = text_json(&o->out), *err = text_json(&o->err);
    bw_result *r = bw_call_result(call);
    bw_status st = out && err ? bw_result_add_text(r, json_string_value(out)) : BW_E_NOMEM;
    if (st == BW_OK)
        st = bw_result_set_structured(r, json_pack("{s:i,s:O,s:O}", "exit_code", 0, "stdout", out, "stderr", err));
    json_decref(out);
    json_decref(err);
    return st;
}

/* What kind of failure the program's end is, for the reliability policy (bulwark/policy.h). */
static bw_failure failure_of(bw_call *call, const exec_tool *t, const bw_exec_outcome *o)
{
    switch (o->end) {
    case BW_EXEC_TIMED_OUT:
        return BW_FAILURE_TIMEOUT;
    case BW_EXEC_CANCELLED: /* past the deadline; a client's cancellation is nobody's fault */
        return bw_call_remaining_ms(call) == 0 ? BW_FAILURE_TIMEOUT : BW_FAILURE_NONE;
    case BW_EXEC_EXITED:
        if (o->code == 0)
            return BW_FAILURE_NONE;
        return o->code > 0 && o->code < 256 && t->transient[o->code] ? BW_FAILURE_UNAVAILABLE
                                                                     : BW_FAILURE_PERMANENT;
    default:
        return BW_FAILURE_PERMANENT;
    }
}

static bw_status map_outcome(bw_call *call, const exec_tool *t, int64_t timeout_ms, const bw_exec_outcome *o)
{
    char head[128];
    switch (o->end) {
    case BW_EXEC_SPAWN_FAILED:
        return bw_tool_fail(call, "could not start %s: %s", t->path,
                    strerrordesc_np(o->code) ? strerrordesc_np(o->code) : "unknown error");
    case BW_EXEC_TIMED_OUT:
        return bw_tool_fail(call, "timed out after %lld ms", (long long)timeout_ms);
    case BW_EXEC_CANCELLED:
        if (bw_call_remaining_ms(call) == 0)
            return bw_tool_fail(call, "timed out after %lld ms (the call's deadline)", (long long)timeout_ms);
        return bw_tool_fail(call, "cancelled");
    case BW_EXEC_TOO_MUCH_OUTPUT:
        return bw_tool_fail(call, "%s larger than %zu bytes (max_output_bytes): the program was killed", o->stream,
                    t->max_output_bytes);
    case BW_EXEC_SIGNALED:
        snprintf(head, sizeof head, "killed by signal %d (SIG%s)", o->code,
                 sigabbrev_np(o->code) ? sigabbrev_np(o->code) : "?");
        return fail_with_tail(call, head, &o->err);
    case BW_EXEC_EXITED:
        break;
    }
    if (o->code < 0)
        return bw_tool_fail(call, "the program's exit status is unknown (it was reaped outside the exec provider)");
    if (o->code != 0) {
        snprintf(head, sizeof head, "exit status %d", o->code);
        return fail_with_tail(call, head, o->err.len ? &o->err : &o->out);
    }
    return t->json_output ? json_success(call, o) : text_success(call, o);
}

static bool call_cancelled(void *call)
{
    return bw_call_cancelled(call);
}

/* The program's span (NULL when the call is not recorded): process.* attributes of the OpenTelemetry conventions.
 * The arguments are not recorded (they carry the call's argument values). */
static bw_span *program_span(bw_call *call, const exec_tool *t)
{
    const char *slash = strrchr(t->path, '/');
    const char *base = slash ? slash + 1 : t->path;
    char name[300];
    snprintf(name, sizeof name, "exec %s", base);
    bw_span *s = bw_span_child(bw_call_span(call), name, BW_SPAN_INTERNAL);
    bw_span_set_str(s, "process.executable.name", base);
    bw_span_set_str(s, "process.executable.path", t->path);
    return s;
}

/* The environment of one run: the tool's, plus TRACEPARENT (and TRACESTATE) naming the program's span — the
 * OpenTelemetry environment-variable carriers, so a traced program continues the trace — unless the tool's env sets
 * TRACEPARENT itself. Without a recorded span the caller's context (or this request's own, not sampled) is passed,
 * as for HTTP tools. Returns t->envp when nothing is added; else a malloc'ed array whose added strings live in vars
 * (free the array only). NULL on allocation failure. */
static char **run_envp(bw_call *call, const exec_tool *t, bw_span *span, char vars[2][BW_TRACESTATE_MAX + 16])
{
    char tp[BW_TRACEPARENT_LEN + 1];
    const char *state = NULL;
    if (t->own_trace_env || !bw_span_traceparent(call, span, tp, &state))
        return t->envp;
    char **envp = malloc((t->n_env + 3) * sizeof *envp);
    if (!envp)
        return NULL;
    memcpy(envp, t->envp, t->n_env * sizeof *envp);
    size_t n = t->n_env;
    snprintf(vars[0], sizeof vars[0], "TRACEPARENT=%s", tp);
    envp[n++] = vars[0];
    if (state && *state && snprintf(vars[1], sizeof vars[1], "TRACESTATE=%s", state) < (int)sizeof vars[1])
        envp[n++] = vars[1];
    envp[n] = NULL;
    return envp;
}

static void program_span_end(bw_span *s, const bw_exec_outcome *o, bw_failure kind)
{
    if (!s)
        return;
    char code[16];
    switch (o->end) {
    case BW_EXEC_EXITED:
        if (o->code >= 0)
            bw_span_set_int(s, "process.exit.code", o->code);
        snprintf(code, sizeof code, "%d", o->code);
        if (o->code != 0)
            bw_span_set_error(s, code, NULL);
        break;
    case BW_EXEC_SIGNALED:
        snprintf(code, sizeof code, "SIG%s", sigabbrev_np(o->code) ? sigabbrev_np(o->code) : "?");
        bw_span_set_error(s, code, NULL);
        break;
    case BW_EXEC_TIMED_OUT:
        bw_span_set_error(s, "timeout", NULL);
        break;
    case BW_EXEC_CANCELLED:
        bw_span_set_error(s, kind == BW_FAILURE_TIMEOUT ? "timeout" : "cancelled", NULL);
        break;
    case BW_EXEC_TOO_MUCH_OUTPUT:
        bw_span_set_error(s, "output_too_large", o->stream);
        break;
    case BW_EXEC_SPAWN_FAILED:
        bw_span_set_error(s, "spawn_failed", strerrordesc_np(o->code));
        break;
    }
    bw_span_end(s);
}

/* The stdin argument: strings as they are, other values as compact JSON; missing or null: no stdin. */
static bw_status stdin_text(const exec_tool *t, const json_t *args, char **owned, const char **data, size_t *len)
{
    const json_t *v = t->stdin_arg ? json_object_get(args, t->stdin_arg) : NULL;
    *owned = NULL;
    *data = NULL;
    *len = 0;
    if (!v || json_is_null(v))
        return BW_OK;
    if (json_is_string(v)) {
        *data = json_string_value(v);
        *len = json_string_length(v);
        return BW_OK;
    }
    *owned = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!*owned)
        return BW_E_NOMEM;
    *data = *owned;
    *len = strlen(*owned);
    return BW_OK;
}

static bw_status exec_handler(bw_call *call, const json_t *args, void *user)
{
    const exec_tool *t = user;
    char err[256];
    bw_argv argv;
    bw_status st = bw_argv_render(t->arg0, t->args, args, &argv, err, sizeof err);
    if (st == BW_E_INVALID_ARG || st == BW_E_LIMIT) {
        bw_call_set_failure(call, BW_FAILURE_PERMANENT);
        return bw_tool_fail(call, "%s", err);
    }
    if (st != BW_OK)
        return st;
    /* Read now, not at build time: the reliability policy may have lowered this attempt's deadline. */
    int64_t left = bw_call_remaining_ms(call);
    int64_t timeout_ms = left < t->timeout_ms ? left : t->timeout_ms;
    char *owned = NULL;
    bw_exec_spec spec = {.path = t->path, .argv = argv.v, .envp = t->envp, .cwd = t->cwd, .timeout_ms = timeout_ms,
                         .kill_grace_ms = t->kill_grace_ms, .max_output_bytes = t->max_output_bytes};
    /* SIGKILL no later than just after the call's deadline, whichever timeout sends SIGTERM. */
    if (timeout_ms > 0 && spec.kill_grace_ms > left - timeout_ms + DEADLINE_GRACE_MS)
        spec.kill_grace_ms = (int)(left - timeout_ms + DEADLINE_GRACE_MS);
    st = stdin_text(t, args, &owned, &spec.stdin_data, &spec.stdin_len);
    if (st == BW_OK && timeout_ms <= 0) {
        bw_call_set_failure(call, BW_FAILURE_TIMEOUT);
        st = bw_tool_fail(call, "not started: the call's deadline has passed");
    } else if (st == BW_OK) {
        bw_exec_outcome o;
        bw_exec_outcome_init(&o, t->max_output_bytes);
        bw_span *span = program_span(call, t);
        char vars[2][BW_TRACESTATE_MAX + 16];
        char **envp = run_envp(call, t, span, vars);
        spec.envp = envp ? envp : t->envp; /* no memory for the copy: run without the trace context */
        bw_exec_run(&spec, call_cancelled, call, &o);
        if (envp != t->envp)
            free(envp);
        bw_failure kind = failure_of(call, t, &o);
        program_span_end(span, &o, kind);
        if (kind != BW_FAILURE_NONE)
            bw_call_set_failure(call, kind);
        st = map_outcome(call, t, timeout_ms, &o);
        bw_exec_outcome_free(&o);
    }
    free(owned);
    bw_argv_free(&argv);
    return st;
}

/* ---------------------------------------------------------------- building */

static bool is_regular_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A bare name is looked up in bulwark's PATH now, once; relative PATH entries are skipped (they would depend on
 * the working directory). The result is owned by the build context. */
static const char *search_path(bw_build *b, const char *name)
{
    const char *env = getenv("PATH");
    char *dirs = strdup(env && *env ? env : DEFAULT_PATH);
    const char *found = NULL;
    char *save = NULL;
    for (char *dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char candidate[4096];
        if (dir[0] != '/' || snprintf(candidate, sizeof candidate, "%s/%s", dir, name) >= (int)sizeof candidate)
            continue;
        if (is_regular_executable(candidate))
            found = bw_build_path(b, candidate);
    }
    free(dirs);
    return found;
}

static const char *resolve_command(bw_build *b, const json_t *node)
{
    const char *cmd = json_string_value(node);
    if (!strchr(cmd, '/')) {
        const char *found = search_path(b, cmd);
        if (!found)
            bw_build_error(b, node, "command '%s' was not found in PATH (or is not executable)", cmd);
        return found;
    }
    const char *path = bw_build_path(b, cmd);
    if (!path) {
        bw_build_error(b, node, "out of memory");
        return NULL;
    }
    if (!is_regular_executable(path)) {
        bw_build_error(b, node, "command '%s': %s (%s)", cmd,
                       access(path, F_OK) != 0 ? "no such file" : "not an executable regular file", path);
        return NULL;
    }
    return path;
}

static const char *resolve_cwd(bw_build *b, const json_t *node)
{
    const char *path = bw_build_path(b, node ? json_string_value(node) : ".");
    struct stat st;
    if (!path) {
        bw_build_error(b, node, "out of memory");
        return NULL;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || access(path, X_OK) != 0) {
        bw_build_error(b, node, "cwd '%s' is not an accessible directory (%s)", node ? json_string_value(node) : ".",
                       path);
        return NULL;
    }
    return path;
}

typedef struct name_check {
    bw_build *b;
    const json_t *node;
    const json_t *props;
    bool ok;
} name_check;

static bool check_declared(const char *name, void *ctx)
{
    name_check *c = ctx;
    if (!json_object_get(c->props, name)) {
        bw_build_error(c->b, c->node, "{{%s}} names no property of the tool's input_schema", name);
        c->ok = false;
    }
    return true;
}

static bool check_args(bw_build *b, const json_t *args, const json_t *props)
{
    size_t i;
    json_t *tpl;
    char err[200];
    bool ok = true;
    json_array_foreach(args, i, tpl)
    {
        name_check c = {b, tpl, props, true};
        if (bw_tpl_scan(json_string_value(tpl), check_declared, &c, err, sizeof err) != BW_OK) {
            bw_build_error(b, tpl, "args[%zu]: %s", i, err);
            ok = false;
        }
        ok = ok && c.ok;
    }
    return ok;
}

static bool is_env_name(const char *s)
{
    if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static bool check_env(bw_build *b, const json_t *env)
{
    const char *name;
    json_t *v;
    bool ok = true;
    json_object_foreach((json_t *)env, name, v)
    {
        if (!is_env_name(name)) {
            bw_build_error(b, v, "env: '%s' is not a variable name (expected letters, digits and '_')", name);
            ok = false;
        }
    }
    return ok;
}

static bool check_stdin(bw_build *b, const json_t *node, const json_t *props)
{
    if (node && !json_object_get(props, json_string_value(node))) {
        bw_build_error(b, node, "stdin: '%s' is not a property of the tool's input_schema", json_string_value(node));
        return false;
    }
    return true;
}

static void free_envp(char **envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        free(envp[i]);
    free(envp);
}

static bool push_env(char **envp, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    envp[*n] = malloc(len);
    if (!envp[*n])
        return false;
    snprintf(envp[(*n)++], len, "%s=%s", name, value);
    return true;
}

/* The program's whole environment, fixed now: env_allow names copied from bulwark's environment (when set and
 * not overridden by env), then env. NULL on allocation failure. */
static char **build_envp(const json_t *allow, const json_t *env)
{
    static const char *const default_allow[] = {"PATH", "LANG", "LC_ALL", "TZ"};
    size_t n_allow = allow ? json_array_size(allow) : sizeof default_allow / sizeof *default_allow;
    char **envp = calloc(n_allow + json_object_size(env) + 1, sizeof *envp);
    size_t n = 0;
    for (size_t i = 0; envp && i < n_allow; i++) {
        const char *name = allow ? json_string_value(json_array_get(allow, i)) : default_allow[i];
        const char *value = getenv(name);
        if (value && !json_object_get(env, name) && !push_env(envp, &n, name, value))
            return free_envp(envp), NULL;
    }
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)env, name, v)
    {
        if (envp && !push_env(envp, &n, name, json_string_value(v)))
            return free_envp(envp), NULL;
    }
    return envp;
}

static void exec_tool_free(void *p)
{
    exec_tool *t = p;
    free_envp(t->envp);
    json_decref(t->cfg);
    free(t);
}

static json_int_t int_or(const json_t *obj, const char *key, json_int_t dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* Fills t from its own copy of the (validated) section; defaults are those of src/config/schema/exec.json. */
static bool compile(exec_tool *t)
{
    const json_t *c = t->cfg;
    const json_t *output = json_object_get(c, "output");
    t->arg0 = json_string_value(json_object_get(c, "command"));
    t->args = json_object_get(c, "args");
    t->stdin_arg = json_string_value(json_object_get(c, "stdin"));
    t->timeout_ms = int_or(c, "timeout_ms", 30000);
    t->kill_grace_ms = (int)int_or(c, "kill_grace_ms", 2000);
    t->max_output_bytes = (size_t)int_or(c, "max_output_bytes", 1048576);
    t->json_output = output && !strcmp(json_string_value(output), "json");
    const json_t *transient = json_object_get(c, "transient_exit_codes");
    size_t i;
    const json_t *code;
    if (!transient)
        t->transient[EX_TEMPFAIL] = true;
    json_array_foreach(transient, i, code)
        t->transient[json_integer_value(code) & 0xFF] = true; /* the schema bounds it to 1..255 */
    t->envp = build_envp(json_object_get(c, "env_allow"), json_object_get(c, "env"));
    for (t->n_env = 0; t->envp && t->envp[t->n_env]; t->n_env++)
        if (!strncmp(t->envp[t->n_env], "TRACEPARENT=", 12))
            t->own_trace_env = true;
    return t->envp != NULL;
}

static bool check_section(bw_build *b, const json_t *exec, const json_t *props, const char **path, const char **cwd)
{
    *path = resolve_command(b, json_object_get(exec, "command"));
    *cwd = resolve_cwd(b, json_object_get(exec, "cwd"));
    bool ok = *path && *cwd;
    ok = check_args(b, json_object_get(exec, "args"), props) && ok;
    ok = check_env(b, json_object_get(exec, "env")) && ok;
    ok = check_stdin(b, json_object_get(exec, "stdin"), props) && ok;
    return ok;
}

bw_status bw_exec_tool_build(bw_build *b, const json_t *tool, const json_t *exec, bw_tool_def *def)
{
    const json_t *props = json_object_get(json_object_get(tool, "input_schema"), "properties");
    const char *path, *cwd;
    if (!check_section(b, exec, props, &path, &cwd))
        return BW_E_INVALID_ARG;
    exec_tool *t = calloc(1, sizeof *t);
    if (t)
        t->cfg = json_deep_copy(exec);
    if (!t || !t->cfg || !compile(t)) {
        if (t)
            exec_tool_free(t);
        bw_build_error(b, exec, "out of memory");
        return BW_E_NOMEM;
    }
    t->path = path;
    t->cwd = cwd;
    if (strchr(t->arg0, '/')) /* argv[0] is the name as configured for a PATH lookup, else the full path */
        t->arg0 = path;
    if (bw_build_own(b, exec_tool_free, t) != BW_OK) {
        bw_build_error(b, exec, "out of memory");
        return BW_E_NOMEM;
    }
    def->handler = exec_handler;
    def->user = t;
    return BW_OK;
}
