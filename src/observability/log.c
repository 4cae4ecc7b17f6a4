/* PLACEHOLDER (lead): replaced by the logging implementation. */
#include "observability/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bw_logcfg { int unused; };
int bw_loglevel_parse(const char *name) { (void)name; return BW_LL_INFO; }
void bw_log_set_format(bw_log_format f) { (void)f; }
bw_log_format bw_log_get_format(void) { return BW_LOG_FORMAT_TEXT; }
void bw_log_set_level(bw_loglevel lvl) { (void)lvl; }
void bw_log_override(int format, int level) { (void)format; (void)level; }
bool bw_log_enabled(bw_loglevel lvl) { return lvl >= BW_LL_WARN; }
void bw_log_msg(bw_loglevel lvl, const char *fmt, ...)
{
    (void)lvl;
    va_list ap;
    va_start(ap, fmt);
    fputs("bulwark: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
void bw_log_event(bw_loglevel lvl, const char *msg, const bw_log_fields *f) { (void)lvl; (void)msg; (void)f; }
struct bw_logcfg *bw_logcfg_new(void) { return calloc(1, sizeof(struct bw_logcfg)); }
void bw_logcfg_free(struct bw_logcfg *c) { free(c); }
void bw_log_call_begin(struct bw_call *call) { (void)call; }
void bw_log_call_end(struct bw_call *call, const bw_obs_outcome *o) { (void)call; (void)o; }
json_t *bw_redact(bw_server *srv, const json_t *v) { (void)srv; return json_deep_copy(v); }
bw_status bw_server_set_logging(bw_server *srv, const bw_logging_options *opts, char *err, size_t errlen) { (void)srv; (void)opts; (void)err; (void)errlen; return BW_OK; }
bw_status bw_server_set_tool_logging(bw_server *srv, const char *tool, bool arguments, bool results) { (void)srv; (void)tool; (void)arguments; (void)results; return BW_OK; }
