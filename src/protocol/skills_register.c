/* bw_server_add_skill: build the skill, serve each file as an ordinary resource, then publish the skill to the
 * extension's methods. A skill is published only once all its files are readable, and a failure leaves nothing
 * registered. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/errf.h"
#include "protocol/server_internal.h"
#include "protocol/skills_internal.h"

/* resources/read of a skill file: the copied bytes, as text or as a base64 blob. */
static bw_status read_part(bw_call *call, const char *uri, const json_t *vars, void *user)
{
    (void)vars;
    const bw_skill_part *p = user;
    if (p->text)
        return bw_result_add_contents(bw_call_result(call), bw_resource_text(uri, p->mime, (const char *)p->data));
    /* EVP_EncodeBlock writes 4 characters per 3 bytes, unwrapped, and a NUL; the length fits an int (<= 16 MiB). */
    char *b64 = malloc((p->len + 2) / 3 * 4 + 1);
    if (!b64)
        return BW_E_NOMEM;
    EVP_EncodeBlock((unsigned char *)b64, p->data, (int)p->len);
    bw_status st = bw_result_add_contents(bw_call_result(call), bw_resource_blob(uri, p->mime, b64));
    free(b64);
    return st;
}

static bw_status add_part(bw_server *srv, bw_skill_part *p)
{
    json_t *l = p->listing;
    bw_resource_def def = {
        .uri = p->uri,
        .name = json_string_value(json_object_get(l, "name")),
        .description = json_string_value(json_object_get(l, "description")),
        .mime_type = p->mime,
        .size = (int64_t)p->len,
        .handler = read_part,
        .user = p,
    };
    return bw_server_add_resource(srv, &def);
}

/* Unregisters parts [0, n). A part may already be gone (the application removed it): nothing to undo then. */
static void remove_parts(bw_server *srv, const bw_skill *sk, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bw_status st = bw_server_remove_resource(srv, sk->parts[i].uri);
        (void)st;
    }
}

/* Registers every part as a resource; on failure removes the ones added and reports how many were visible. */
static bw_status add_parts(bw_server *srv, bw_skill *sk, size_t *added, char *err, size_t errlen)
{
    bw_status st = BW_OK;
    for (*added = 0; *added < sk->n_parts; ++*added) {
        if ((st = add_part(srv, &sk->parts[*added])) != BW_OK)
            break;
    }
    if (st == BW_E_EXISTS)
        bw_fail(st, err, errlen, "a resource %s is registered already", sk->parts[*added].uri);
    else if (st)
        bw_fail(st, err, errlen, "registering %s failed: %s", sk->parts[*added].uri, bw_status_str(st));
    if (st)
        remove_parts(srv, sk, *added);
    return st;
}

/* The first of sk's URIs some resource already has, or NULL. Checked up front so that the usual conflict fails
 * before any part is visible (add_parts still catches one registered concurrently). */
static const char *taken_uri(bw_server *srv, const bw_skill *sk)
{
    for (size_t i = 0; i < sk->n_parts; i++) {
        bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_RESOURCE, sk->parts[i].uri);
        bool found = e != NULL;
        bw_entry_unref(e);
        if (found)
            return sk->parts[i].uri;
    }
    return NULL;
}

/* With the catalog's registrations serialized: the name check, the resources, publishing. Sets *adopted when the
 * catalog owns sk afterwards (the caller frees it otherwise). */
static bw_status add_locked(bw_server *srv, struct bw_skills *cat, bw_skill *sk, bool *adopted, char *err,
                            size_t errlen)
{
    *adopted = false;
    if (bw_skills_has(cat, sk->uri))
        return bw_fail(BW_E_EXISTS, err, errlen, "a skill named \"%s\" is registered already", sk->name);
    const char *taken = taken_uri(srv, sk);
    if (taken)
        return bw_fail(BW_E_EXISTS, err, errlen, "a resource %s is registered already", taken);
    if (bw_skills_adopt(cat, sk))
        return bw_fail(BW_E_NOMEM, err, errlen, "out of memory");
    *adopted = true;
    size_t added = 0;
    bw_status st = add_parts(srv, sk, &added, err, errlen);
    if (st && added == 0) {
        /* Nobody can have seen a part: hand the skill back to be freed. */
        bw_skills_unadopt(cat);
        *adopted = false;
    } else if (!st && (st = bw_skills_publish(cat, sk)) != BW_OK) {
        bw_fail(st, err, errlen, "out of memory");
        remove_parts(srv, sk, sk->n_parts);
    }
    /* Otherwise, on failure, a reader may still hold a part that was briefly registered: the catalog keeps the
     * unpublished skill's bytes until the server is freed. */
    return st;
}

bw_status bw_server_add_skill(bw_server *srv, const bw_skill_def *def, char *err, size_t errlen)
{
    if (!srv)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "no server");
    bw_skill *sk = NULL;
    bw_status st = bw_skill_build(def, &sk, err, errlen);
    if (st)
        return st;
    struct bw_skills *cat = bw_skills_of(srv, true);
    if (!cat) {
        bw_skill_free(sk);
        return bw_fail(BW_E_NOMEM, err, errlen, "out of memory");
    }
    bool adopted = false;
    bw_skills_lock_adds(cat);
    st = add_locked(srv, cat, sk, &adopted, err, errlen);
    bw_skills_unlock_adds(cat);
    if (!adopted)
        bw_skill_free(sk);
    return st;
}
