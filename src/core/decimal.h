/* Exact numeric comparison of decimal text (e.g. an HTTP header) with an integer (e.g. a JSON body value), for
 * checks where two parties must agree on a number: no floating point, so no rounding can make different numbers
 * equal. Pure function; thread-safe; no allocation. */
#ifndef BW_CORE_DECIMAL_H
#define BW_CORE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

/* true when s[0..n) is a number in JSON syntax, except that leading zeros are allowed ("-"? digits ("." digits)?
 * ([eE] [+-]? digits)?), whose value is exactly v: "42", "042", "42.0", "4.2e1" and "4200E-2" equal 42;
 * "42.0000000000000001", "4.2", "+42", "0x2A", "42." and "" do not. */
bool bw_decimal_equals_int(const char *s, size_t n, long long v);

#endif
