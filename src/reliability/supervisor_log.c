#include "reliability/supervisor_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static bool quiet_mode;

void bw_sup_log_quiet(bool quiet)
{
    quiet_mode = quiet;
}

BW_PRINTF(1, 0) static void emit(const char *fmt, va_list ap)
{
    char line[1024];
    int head = snprintf(line, sizeof line, "bulwark supervise: ");
    int n = vsnprintf(line + head, sizeof line - (size_t)head - 1, fmt, ap);
    size_t len = (size_t)head + (n < 0 ? 0 : (size_t)n);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: still one line */
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* a log line that cannot be written is not worth failing the supervision for */
}

void bw_sup_info(const char *fmt, ...)
{
    if (quiet_mode)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void bw_sup_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}
