/* Exact parsing of typed prompt argument strings. */
#include "providers/prompts_args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bw_parg_type bw_parg_type_of(const char *name)
{
    if (name && strcmp(name, "integer") == 0)
        return BW_PARG_INTEGER;
    if (name && strcmp(name, "number") == 0)
        return BW_PARG_NUMBER;
    if (name && strcmp(name, "boolean") == 0)
        return BW_PARG_BOOLEAN;
    return BW_PARG_STRING;
}

/* Skips -?digits+ and returns the position after it, or NULL when there are no digits. */
static const char *digits(const char *p, bool sign)
{
    if (sign && *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

static bool integer_ok(const char *v)
{
    const char *end = digits(v, true);
    if (!end || *end)
        return false;
    errno = 0;
    (void)strtoll(v, NULL, 10);
    return errno != ERANGE;
}

/* The grammar is checked by hand first: strtod alone would also take hex, "inf", "nan" and leading spaces. */
static bool number_ok(const char *v)
{
    const char *p = digits(v, true);
    if (p && *p == '.')
        p = digits(p + 1, false);
    if (p && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        p = digits(p, false);
    }
    return p && !*p && isfinite(strtod(v, NULL));
}

bool bw_parg_type_ok(bw_parg_type type, const char *value)
{
    switch (type) {
    case BW_PARG_INTEGER:
        return integer_ok(value);
    case BW_PARG_NUMBER:
        return number_ok(value);
    case BW_PARG_BOOLEAN:
        return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
    case BW_PARG_STRING:
        return true;
    }
    return false;
}

static const char *type_words(bw_parg_type type)
{
    switch (type) {
    case BW_PARG_INTEGER:
        return "an integer";
    case BW_PARG_NUMBER:
        return "a number";
    case BW_PARG_BOOLEAN:
        return "true or false";
    case BW_PARG_STRING:
        break;
    }
    return "a string";
}

static bool in_enum(const json_t *values, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        if (strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

/* "a, b, c" (as much as fits). */
static void list_values(const json_t *values, char *out, size_t outlen)
{
    size_t used = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(values, i, v) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", json_string_value(v));
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}

bool bw_parg_check(const bw_parg *arg, const char *value, char *err, size_t errlen)
{
    if (!bw_parg_type_ok(arg->type, value)) {
        snprintf(err, errlen, "argument \"%s\" must be %s", arg->name, type_words(arg->type));
        return false;
    }
    if (arg->enum_values && !in_enum(arg->enum_values, value)) {
        char allowed[160];
        list_values(arg->enum_values, allowed, sizeof allowed);
        snprintf(err, errlen, "argument \"%s\" must be one of: %s", arg->name, allowed);
        return false;
    }
    return true;
}
