/* One place that turns a provider's failure into a client-visible tool error. */
#include "providers/tool_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

bw_status bw_tool_fail(bw_call *call, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bw_buf clean;
    bw_buf_init(&clean, sizeof msg * 3);
    bw_status st = bw_utf8_sanitize(msg, strlen(msg), &clean);
    if (st == BW_OK)
        st = bw_result_set_error(bw_call_result(call), clean.data ? clean.data : "");
    bw_buf_free(&clean);
    return st;
}
