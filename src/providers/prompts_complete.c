/* The completion table of the prompts provider, one per build context. */
#include "providers/prompts_complete.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwark/call.h"

#define MAX_VALUES 100 /* the protocol's cap on one completion answer */

typedef struct table {
    const bw_build *b;
    json_t *map; /* {prompt: {argument: [values]}} */
    struct table *next;
} table;

/* Building runs on one thread, but separate servers (tests, reloads) may build at once: the list that finds a
 * build's table is shared, so it has a lock. It is touched only while building, never per request. */
static pthread_mutex_t tables_mu = PTHREAD_MUTEX_INITIALIZER;
static table *tables;

static void table_free(void *p)
{
    table *t = p;
    pthread_mutex_lock(&tables_mu);
    for (table **at = &tables; *at; at = &(*at)->next) {
        if (*at == t) {
            *at = t->next;
            break;
        }
    }
    pthread_mutex_unlock(&tables_mu);
    json_decref(t->map);
    free(t);
}

static bw_status complete(bw_call *call, const json_t *ref, const char *arg_name, const char *arg_value,
                          const json_t *context_args, void *user)
{
    (void)context_args;
    const table *t = user;
    const char *type = json_string_value(json_object_get(ref, "type"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    if (!type || strcmp(type, "ref/prompt") != 0 || !name)
        return BW_OK;
    const json_t *values = json_object_get(json_object_get(t->map, name), arg_name);
    size_t prefix = strlen(arg_value), i, matched = 0;
    json_t *v;
    bw_result *r = bw_call_result(call);
    json_array_foreach(values, i, v) {
        const char *s = json_string_value(v);
        if (strncasecmp(s, arg_value, prefix) != 0)
            continue;
        if (matched++ < MAX_VALUES && bw_result_add_completion(r, s) != BW_OK)
            return BW_E_NOMEM;
    }
    return values ? bw_result_set_completion_total(r, (int64_t)matched, matched > MAX_VALUES) : BW_OK;
}

/* The build's table, created and installed on first use. */
static table *table_for(bw_build *b)
{
    pthread_mutex_lock(&tables_mu);
    table *t = tables;
    while (t && t->b != b)
        t = t->next;
    pthread_mutex_unlock(&tables_mu);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t || !(t->map = json_object())) {
        free(t);
        return NULL;
    }
    t->b = b;
    pthread_mutex_lock(&tables_mu);
    t->next = tables;
    tables = t;
    pthread_mutex_unlock(&tables_mu);
    if (bw_build_own(b, table_free, t) != BW_OK)
        return NULL;
    bw_server_set_completion(bw_build_server(b), complete, t);
    return t;
}

bw_status bw_prompts_complete_add(bw_build *b, const char *prompt, const char *arg, const json_t *values)
{
    table *t = table_for(b);
    if (!t)
        return BW_E_NOMEM;
    json_t *args = json_object_get(t->map, prompt);
    if (!args && json_object_set_new(t->map, prompt, args = json_object()) != 0)
        return BW_E_NOMEM;
    json_t *copy = json_deep_copy(values);
    return copy && json_object_set_new(args, arg, copy) == 0 ? BW_OK : BW_E_NOMEM;
}
