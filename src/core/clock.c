#include "core/clock.h"

#include <stdio.h>
#include <string.h>

#include "bulwark/call.h"

int64_t bw_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bw_now_ms(void)
{
    return bw_clock_ms();
}

int64_t bw_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bw_rfc3339_ms(int64_t wall_ms, char out[BW_RFC3339_MS_LEN + 1])
{
    static _Thread_local int64_t cached_sec = INT64_MIN;
    static _Thread_local char cached[64]; /* "YYYY-MM-DDTHH:MM:SS" (room for what the compiler cannot rule out) */
    int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
    if (ms < 0) { /* floor, so that times before the epoch count forward within their second */
        sec--;
        ms += 1000;
    }
    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            memset(&tm, 0, sizeof tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = sec;
    }
    memcpy(out, cached, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

struct timespec bw_clock_abs(int64_t deadline_ms)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    return ts;
}
