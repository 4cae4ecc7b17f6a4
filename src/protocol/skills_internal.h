/* The skills extension's insides: one skill's files and manifest (skills_build.c, skills_file.c,
 * skills_frontmatter.c) and the server's catalog of skills (skills_catalog.c).
 *
 * A built skill is immutable: every JSON object in it is shared read-only with replies (jansson's reference counts
 * are atomic), and its parts are never moved, so a resource handler may keep a pointer to one for the catalog's
 * life. */
#ifndef BW_PROTOCOL_SKILLS_INTERNAL_H
#define BW_PROTOCOL_SKILLS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/skills.h"
#include "protocol/skills.h"

#define BW_SKILL_NAME_MAX 64
#define BW_SKILL_DESCRIPTION_MAX 1024
#define BW_SKILL_PATH_MAX 1024
#define BW_SKILL_SEGMENT_MAX 255
/* "sha256:" + 64 hex digits + NUL */
#define BW_SKILL_DIGEST_LEN 72
#define BW_SKILL_SCHEME "skill://"
#define BW_SKILL_MD "SKILL.md"
#define BW_MIME_DIRECTORY "inode/directory"

/* One file of a skill, as served. */
typedef struct bw_skill_part {
    char *path;          /* relative to the skill root */
    char *uri;           /* skill://<name>/<path> */
    char *mime;
    unsigned char *data; /* len bytes plus a NUL (so text parts are C strings) */
    size_t len;
    bool text;           /* served as text (a textual type and valid UTF-8 without NUL), else as a base64 blob */
    json_t *listing;     /* its Resource object {uri, name, description?, mimeType, size?} */
} bw_skill_part;

typedef struct bw_skill {
    char *name;           /* frontmatter name */
    char *uri;            /* skill://<name>/SKILL.md */
    json_t *frontmatter;  /* the SKILL.md frontmatter as JSON (an object with name and description) */
    json_t *entry;        /* {uri, frontmatter, resources:[{uri, digest, size}...]} */
    json_t *dirs;         /* directory URI (skill://<name>, skill://<name>/sub, ...) → array of child Resources */
    bw_skill_part *parts; /* sorted by path */
    size_t n_parts;
} bw_skill;

/* ---- skills_file.c: one file's rules ---- */

/* true when `path` is an acceptable relative file path (see bw_skill_file.path); else a reason in why. */
bool bw_skill_path_valid(const char *path, char *why, size_t whylen);
/* The MIME type for a file name by its extension; application/octet-stream when unknown. Static string. */
const char *bw_skill_mime_for(const char *path);
/* true for MIME types whose content is text (text/ *, JSON, YAML, XML, TOML, SVG, shell/JavaScript). */
bool bw_skill_mime_textual(const char *mime);
/* Writes "sha256:<64 lowercase hex>" of data[0..len) into out. false only if libcrypto fails. */
bool bw_skill_digest(const void *data, size_t len, char out[BW_SKILL_DIGEST_LEN]);

/* ---- skills_frontmatter.c ---- */

/* true for a skill name: 1-64 of a-z 0-9 '-', no leading, trailing or double hyphen. */
bool bw_skill_name_valid(const char *name);
/* Parses the frontmatter of SKILL.md (text[0..len), UTF-8): an optional BOM, a "---" line, YAML, a "---" line
 * (trailing spaces/tabs allowed, LF or CRLF). Returns the YAML mapping as a new JSON object whose name and
 * description were checked, or NULL with a reason in why. */
json_t *bw_skill_frontmatter(const char *text, size_t len, char *why, size_t whylen);

/* ---- skills_build.c ---- */

/* Validates and copies a definition into a new skill (digests, manifest entry, directory listings).
 * BW_E_INVALID_ARG / BW_E_LIMIT with a reason in err, BW_E_NOMEM. */
BW_NODISCARD bw_status bw_skill_build(const bw_skill_def *def, bw_skill **out, char *err, size_t errlen);
void bw_skill_free(bw_skill *sk);

/* ---- skills_catalog.c: the server's catalog (thread-safe) ---- */

/* The server's catalog; created on first use when `create` (NULL then only on allocation failure). */
struct bw_skills *bw_skills_of(bw_server *srv, bool create);
/* Serializes registrations on one catalog (between the duplicate check and publishing). */
void bw_skills_lock_adds(struct bw_skills *cat);
void bw_skills_unlock_adds(struct bw_skills *cat);
/* true when a skill with SKILL.md URI `uri` is published. */
bool bw_skills_has(struct bw_skills *cat, const char *uri);
/* Takes ownership of sk for the catalog's life (its parts may then be handed to resource handlers), without
 * publishing it. BW_E_NOMEM (sk is then still the caller's). */
BW_NODISCARD bw_status bw_skills_adopt(struct bw_skills *cat, bw_skill *sk);
/* Gives back the skill adopted last, which was never published and whose parts no handler can have seen. */
bw_skill *bw_skills_unadopt(struct bw_skills *cat);
/* Makes an adopted skill visible to skills/list, skills/get and resources/directory/read. BW_E_NOMEM. */
BW_NODISCARD bw_status bw_skills_publish(struct bw_skills *cat, bw_skill *sk);
/* Number of published skills. */
size_t bw_skills_count(struct bw_skills *cat);
/* Appends new references to published entries [offset, offset+limit) to arr; returns the total. */
size_t bw_skills_page(struct bw_skills *cat, size_t offset, size_t limit, json_t *arr);
/* A new reference to the entry whose uri is `uri`, or NULL. */
json_t *bw_skills_entry(struct bw_skills *cat, const char *uri);
/* A new reference to the children array of directory `uri`, or NULL when it is not a published directory. */
json_t *bw_skills_directory(struct bw_skills *cat, const char *uri);

#endif
