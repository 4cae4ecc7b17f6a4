/* Building one provider tool from a JSON tool entry in a provider unit test, as the config builder would (the
 * provider compiles the section, then the tool is registered on the server). Header-only (static inline) because
 * every tests/unit/.../test_*.c is its own program; include after <cmocka.h>. */
#ifndef BW_TEST_PROVIDER_TOOL_H
#define BW_TEST_PROVIDER_TOOL_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/server.h"
#include "config/build.h"

typedef bw_status (*support_build_fn)(bw_build *b, const json_t *tool, const json_t *section, bw_tool_def *def);

/* Parses test JSON; a typo in a test fails the test with the parser's reason. Caller owns the result. */
static inline json_t *support_parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

/* Builds the tool entry entry_fmt (the first occurrence of `token`, when given, replaced by `value`) with
 * build(b, entry, entry[section], &def), lets adjust (may be NULL) change the definition, and registers it on srv.
 * Returns the provider's status; a registration failure fails the test. */
static inline bw_status support_build_tool_adjusted(bw_build *b, bw_server *srv, support_build_fn build,
                                                    const char *section, const char *entry_fmt, const char *token,
                                                    const char *value, void (*adjust)(bw_tool_def *def))
{
    char text[8192];
    const char *at = token ? strstr(entry_fmt, token) : NULL;
    if (at)
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - entry_fmt), entry_fmt, value, at + strlen(token));
    else
        snprintf(text, sizeof text, "%s", entry_fmt);
    json_t *tool = support_parse(text);
    bw_tool_def def = {.name = json_string_value(json_object_get(tool, "name")),
                       .input_schema = json_object_get(tool, "input_schema")};
    bw_status st = build(b, tool, json_object_get(tool, section), &def);
    if (st == BW_OK) {
        char err[256];
        if (adjust)
            adjust(&def);
        st = bw_server_add_tool(srv, &def, err, sizeof err);
        if (st != BW_OK)
            fail_msg("add_tool: %s", err);
    }
    json_decref(tool);
    return st;
}

/* support_build_tool_adjusted without an adjustment. */
static inline bw_status support_build_tool(bw_build *b, bw_server *srv, support_build_fn build, const char *section,
                                           const char *entry_fmt, const char *token, const char *value)
{
    return support_build_tool_adjusted(b, srv, build, section, entry_fmt, token, value, NULL);
}

#endif
