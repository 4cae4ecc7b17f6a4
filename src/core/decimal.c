/* Exact comparison of decimal text with an integer: digits are accumulated into 64 bits, never into a double. */
#include <stdint.h>

#include "core/decimal.h"

/* Exponents are clamped here: any larger one makes a nonzero value overflow or lose its integer part anyway. */
#define EXP_CLAMP 100000LL

/* Exact decimal accumulator: significant digits in acc, zeros after them held back in `zeros` until a nonzero
 * digit (or the end) shows whether they are significant. */
typedef struct dec {
    uint64_t acc;
    long long zeros;
    bool overflow;
} dec;

static bool mul_add(uint64_t *acc, unsigned digit)
{
    if (*acc > (UINT64_MAX - digit) / 10)
        return false;
    *acc = *acc * 10 + digit;
    return true;
}

static void dec_digit(dec *d, unsigned digit)
{
    if (d->overflow)
        return;
    if (digit == 0) {
        if (d->acc)
            d->zeros++; /* leading zeros carry no value */
        return;
    }
    for (; d->zeros > 0; d->zeros--)
        if (!mul_add(&d->acc, 0)) {
            d->overflow = true;
            return;
        }
    if (!mul_add(&d->acc, digit))
        d->overflow = true;
}

/* Feeds s[*i..) digits into d; returns how many there were. */
static size_t dec_digits(dec *d, const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
        dec_digit(d, (unsigned)(s[*i] - '0'));
    return *i - start;
}

/* Parses an optional exponent part ("e", sign, digits) at s[*i..); false when malformed. */
static bool exponent(const char *s, size_t n, size_t *i, long long *e)
{
    *e = 0;
    if (*i == n || (s[*i] != 'e' && s[*i] != 'E'))
        return true;
    (*i)++;
    bool neg = *i < n && s[*i] == '-';
    if (*i < n && (s[*i] == '-' || s[*i] == '+'))
        (*i)++;
    size_t start = *i;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        long long next = *e * 10 + (s[*i] - '0');
        *e = next > EXP_CLAMP ? EXP_CLAMP : next;
    }
    if (neg)
        *e = -*e;
    return *i > start;
}

bool bw_decimal_equals_int(const char *s, size_t n, long long v)
{
    dec d = {0};
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    i += neg;
    if (!dec_digits(&d, s, n, &i))
        return false;
    size_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        if (!(frac = dec_digits(&d, s, n, &i)))
            return false;
    }
    long long e;
    if (!exponent(s, n, &i, &e) || i != n)
        return false;
    /* A significand beyond 64 bits ends in a nonzero digit, so scaled up it exceeds every long long and scaled
     * down it is not an integer. */
    if (d.overflow)
        return false;
    if (d.acc == 0)
        return v == 0;
    long long scale = d.zeros + e - (long long)frac;
    if (scale < 0)
        return false; /* the last significant digit is a nonzero fraction digit */
    for (; scale > 0; scale--)
        if (!mul_add(&d.acc, 0))
            return false; /* beyond 64 bits */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return d.acc == mag && neg == (v < 0);
}
