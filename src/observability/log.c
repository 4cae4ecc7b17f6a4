/* The process-wide log settings (level, format, the command line's overrides) and the plain and event lines. The
 * per-server part (lifecycle levels, per-tool logging, the redaction list) is in log_call.c. */
#include "observability/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "observability/log_line.h"

static atomic_int level = BW_LL_INFO;
static atomic_int format = BW_LOG_FORMAT_JSON;
/* Set by bw_log_override: a configuration then leaves that setting alone. */
static atomic_bool level_pinned, format_pinned;

int bw_loglevel_parse(const char *name)
{
    static const struct {
        const char *name;
        bw_loglevel lvl;
    } names[] = {{"debug", BW_LL_DEBUG}, {"info", BW_LL_INFO}, {"warn", BW_LL_WARN}, {"warning", BW_LL_WARN},
                 {"error", BW_LL_ERROR}, {"off", BW_LL_OFF}};
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (!strcasecmp(name, names[i].name))
            return (int)names[i].lvl;
    return -1;
}

void bw_log_set_format(bw_log_format f)
{
    atomic_store(&format, f == BW_LOG_FORMAT_TEXT ? BW_LOG_FORMAT_TEXT : BW_LOG_FORMAT_JSON);
}

bw_log_format bw_log_get_format(void)
{
    return (bw_log_format)atomic_load_explicit(&format, memory_order_relaxed);
}

void bw_log_set_level(bw_loglevel lvl)
{
    if ((int)lvl >= BW_LL_DEBUG && lvl <= BW_LL_OFF)
        atomic_store(&level, (int)lvl);
}

bw_loglevel bw_log_get_level(void)
{
    return (bw_loglevel)atomic_load_explicit(&level, memory_order_relaxed);
}

void bw_log_override(int f, int lvl)
{
    if (f >= 0) {
        bw_log_set_format((bw_log_format)f);
        atomic_store(&format_pinned, true);
    }
    if (lvl >= 0 && lvl <= BW_LL_OFF) {
        bw_log_set_level((bw_loglevel)lvl);
        atomic_store(&level_pinned, true);
    }
}

void bw_log_configure(bw_log_format f, bw_loglevel lvl)
{
    if (!atomic_load(&format_pinned))
        bw_log_set_format(f);
    if (!atomic_load(&level_pinned))
        bw_log_set_level(lvl);
}

bool bw_log_enabled(bw_loglevel lvl)
{
    return lvl < BW_LL_OFF && (int)lvl >= atomic_load_explicit(&level, memory_order_relaxed);
}

void bw_log_msg(bw_loglevel lvl, const char *fmt, ...)
{
    if (!bw_log_enabled(lvl))
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bw_logline l;
    bw_logline_begin(&l, lvl, msg);
    bw_logline_end(&l);
}

static void fields(bw_logline *l, const bw_log_fields *f)
{
    bw_logline_str(l, "request_id", f->request_id);
    bw_logline_str(l, "session_id", f->session_id);
    bw_logline_str(l, "trace_id", f->trace_id);
    bw_logline_str(l, "method", f->method);
    bw_logline_str(l, "tool", f->tool);
    if (f->duration_ms > 0)
        bw_logline_num(l, "duration_ms", f->duration_ms, 3);
    bw_logline_str(l, "outcome", f->outcome);
    bw_logline_str(l, "error_type", f->error_type);
    bw_logline_str(l, "error", f->error);
    bw_logline_object(l, f->extra);
}

void bw_log_event(bw_loglevel lvl, const char *msg, const bw_log_fields *f)
{
    if (!bw_log_enabled(lvl))
        return;
    bw_logline l;
    bw_logline_begin(&l, lvl, msg);
    if (f)
        fields(&l, f);
    bw_logline_end(&l);
}

void bw_log_announce(const char *msg, const char *key, const char *value)
{
    if (atomic_load_explicit(&level, memory_order_relaxed) >= BW_LL_OFF)
        return;
    bw_logline l;
    bw_logline_begin(&l, BW_LL_INFO, msg);
    if (key)
        bw_logline_str(&l, key, value);
    bw_logline_end(&l);
}
