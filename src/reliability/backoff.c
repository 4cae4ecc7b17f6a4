#include "reliability/backoff.h"

#include <stdbool.h>
#include <sys/random.h>

#include "core/clock.h"

/* Per-thread generator state: no lock and no shared cache line between the threads that retry at once. */
static _Thread_local uint64_t rng_state;
static _Thread_local bool rng_seeded;

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, full period, good enough for jitter. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Seeds from the kernel; if getrandom is unavailable (seccomp, very old kernel) the time and the address of this
 * thread's state still differ between threads and runs, which is all jitter needs (it is not a secret). */
static uint64_t next_random(void)
{
    if (!rng_seeded) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
            seed = (uint64_t)bw_clock_ms() ^ (uint64_t)(uintptr_t)&rng_state;
        rng_state = seed;
        rng_seeded = true;
    }
    return splitmix64(&rng_state);
}

int64_t bw_backoff_cap_ms(int n, int base_ms, int max_ms)
{
    if (n < 1 || base_ms <= 0 || max_ms <= 0)
        return 0;
    /* Doubling stops as soon as the cap reaches max_ms (at most 31 steps for an int), so it cannot overflow
     * whatever n is. */
    int64_t cap = base_ms;
    for (int i = 1; i < n && cap < max_ms; i++)
        cap *= 2;
    return cap < max_ms ? cap : max_ms;
}

int64_t bw_backoff_delay_ms(int n, int base_ms, int max_ms)
{
    int64_t cap = bw_backoff_cap_ms(n, base_ms, max_ms);
    if (cap <= 0)
        return 0;
    /* cap + 1 <= 2^31: the modulo bias over 64 random bits is below 2^-32. */
    return (int64_t)(next_random() % (uint64_t)(cap + 1));
}
