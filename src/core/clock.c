#include "core/clock.h"

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

struct timespec bw_clock_abs(int64_t deadline_ms)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    return ts;
}
