/* Typed prompt arguments. Prompt arguments always arrive as strings; a declared type says what the string must
 * spell exactly, and an enum which strings are allowed. Pure and thread-safe. */
#ifndef BW_PROVIDERS_PROMPTS_ARGS_H
#define BW_PROVIDERS_PROMPTS_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum bw_parg_type { BW_PARG_STRING, BW_PARG_INTEGER, BW_PARG_NUMBER, BW_PARG_BOOLEAN } bw_parg_type;

typedef struct bw_parg {
    const char *name;          /* borrowed from the prompt's configuration */
    bw_parg_type type;
    const json_t *enum_values; /* array of strings, or NULL */
    bool required;
} bw_parg;

/* The type named by the configuration ("string" when absent or unknown: the schema only allows the four). */
bw_parg_type bw_parg_type_of(const char *name);

/* true when value spells the type exactly: integer -?[0-9]+ within 64 bits; number a finite decimal number
 * (-?digits[.digits][e[+-]digits], no hex, inf or nan, no spaces); boolean "true" or "false"; string anything. */
bool bw_parg_type_ok(bw_parg_type type, const char *value);

/* Checks one value against its type and enum; false with a reason in err ("argument \"n\" must be an integer"). */
bool bw_parg_check(const bw_parg *arg, const char *value, char *err, size_t errlen);

#endif
