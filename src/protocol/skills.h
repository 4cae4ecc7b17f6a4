/* The skills extension (io.modelcontextprotocol/skills, SEP-2640): contract with the protocol core.
 *
 * The server's catalog (srv->skills) is created by the first bw_server_add_skill and freed by bw_server_free with
 * bw_skills_free. The method handlers below answer from it; they run on any thread. */
#ifndef BW_PROTOCOL_SKILLS_H
#define BW_PROTOCOL_SKILLS_H

#include <jansson.h>

#include "protocol/call_internal.h"

struct bw_skills;

/* skills/list {cursor?} → {skills:[entry...], nextCursor?} with cache hints; an entry is never split across pages. */
void bw_m_skills_list(bw_call *call);
/* skills/get {uri} → {skill: entry} with cache hints; -32602 when uri is not the SKILL.md of a served skill. */
void bw_m_skills_get(bw_call *call);
/* resources/directory/read {uri, cursor?} → {resources:[direct children...], nextCursor?}; -32602 when uri is not
 * a skill directory (skill://<name> or a subdirectory, written without a trailing slash). */
void bw_m_directory_read(bw_call *call);
/* A new {"directoryRead":true} when a skill is registered, else NULL. Thread-safe. */
json_t *bw_skills_capability(bw_server *srv);
/* Frees the catalog and every skill's bytes. NULL is a no-op. Only once nothing serves the server any more. */
void bw_skills_free(struct bw_skills *s);

#endif
