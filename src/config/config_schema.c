/* Assembling the embedded schema fragments into one document. */
#include "config/config_schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static json_t *parse_fragment(const bw_schema_fragment *f, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(f->json, 0, &je);
    if (!j)
        snprintf(err, errlen, "schema fragment %s.json: %s at line %d", f->name, je.text, je.line);
    else if (!json_is_object(j)) {
        snprintf(err, errlen, "schema fragment %s.json is not an object", f->name);
        json_decref(j);
        j = NULL;
    }
    return j;
}

json_t *bw_config_schema_json(char *err, size_t errlen)
{
    json_t *root = NULL, *defs = json_object();
    bool ok = defs != NULL;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    for (const bw_schema_fragment *f = bw_config_schema_fragments; ok && f->name; f++) {
        json_t *j = parse_fragment(f, err, errlen);
        if (!j)
            ok = false;
        else if (!strcmp(f->name, "root"))
            root = j;
        else if (json_object_set_new(defs, f->name, j) != 0) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    if (ok && !root) {
        snprintf(err, errlen, "schema fragment root.json is missing");
        ok = false;
    }
    if (!ok) {
        json_decref(root);
        json_decref(defs);
        return NULL;
    }
    /* set_new takes defs over even when it fails. */
    if (json_object_set_new(root, "$defs", defs) != 0) {
        snprintf(err, errlen, "out of memory");
        json_decref(root);
        return NULL;
    }
    return root;
}
