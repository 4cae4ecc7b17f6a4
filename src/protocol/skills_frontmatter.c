/* SKILL.md frontmatter: find the "---" block, parse its YAML with the configuration's safe reader (no anchors,
 * aliases or tags; bounded depth) and check the fields the Agent Skills specification requires. The block is found
 * the way the conformance suite and hosts find it, so the JSON we publish is what they parse from the file. */
#include <stdio.h>
#include <string.h>

#include "config/yaml.h"
#include "protocol/skills_internal.h"

bool bw_skill_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > BW_SKILL_NAME_MAX || name[0] == '-' || name[n - 1] == '-' || strstr(name, "--"))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
            return false;
    return true;
}

/* Length of the line break at p (LF or CRLF), or 0. */
static size_t line_break(const char *p, const char *end)
{
    if (p < end && *p == '\n')
        return 1;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
        return 2;
    return 0;
}

/* true when the line at p is a closing delimiter: "---", then spaces or tabs, then a line break or the end. */
static bool closing_line(const char *p, const char *end)
{
    if (end - p < 3 || memcmp(p, "---", 3) != 0)
        return false;
    for (p += 3; p < end && (*p == ' ' || *p == '\t'); p++)
        ;
    return p == end || line_break(p, end) > 0;
}

/* Finds the YAML between the delimiter lines (into body and body_len). false when SKILL.md has no frontmatter block. */
static bool find_block(const char *text, size_t len, const char **body, size_t *body_len)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (end - p < 3 || memcmp(p, "---", 3) != 0)
        return false;
    size_t br = line_break(p + 3, end);
    if (!br)
        return false;
    const char *start = p + 3 + br;
    /* The closing line must follow a line break after the start (an empty block still has one blank line). */
    for (const char *nl = memchr(start, '\n', (size_t)(end - start)); nl;
         nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1))) {
        if (closing_line(nl + 1, end)) {
            const char *stop = nl > start && nl[-1] == '\r' ? nl - 1 : nl;
            *body = start;
            *body_len = (size_t)(stop - start);
            return true;
        }
    }
    return false;
}

/* Characters (code points) in a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool check_fields(const json_t *fm, char *why, size_t whylen)
{
    const char *name = json_string_value(json_object_get(fm, "name"));
    const char *desc = json_string_value(json_object_get(fm, "description"));
    if (!name) {
        snprintf(why, whylen, "SKILL.md frontmatter needs a string \"name\"");
        return false;
    }
    if (!bw_skill_name_valid(name)) {
        snprintf(why, whylen,
                 "invalid skill name \"%.80s\": use 1-%d characters of a-z 0-9 and '-', without a leading, trailing "
                 "or double hyphen",
                 name, BW_SKILL_NAME_MAX);
        return false;
    }
    if (!desc || !*desc || utf8_chars(desc) > BW_SKILL_DESCRIPTION_MAX) {
        snprintf(why, whylen, "SKILL.md frontmatter needs a \"description\" string of 1-%d characters",
                 BW_SKILL_DESCRIPTION_MAX);
        return false;
    }
    return true;
}

static json_t *parse_yaml(const char *body, size_t len, char *why, size_t whylen)
{
    bw_diag *diag = bw_diag_new();
    bw_cfg_pos *pos = bw_cfg_pos_new();
    json_t *fm = diag && pos ? bw_yaml_parse(body, len, "SKILL.md frontmatter", pos, diag) : NULL;
    if (!fm)
        snprintf(why, whylen, "%s",
                 diag && bw_diag_count(diag) ? bw_diag_text(diag, 0) : "out of memory parsing SKILL.md frontmatter");
    else if (!json_is_object(fm)) {
        snprintf(why, whylen, "SKILL.md frontmatter must be a YAML mapping");
        json_decref(fm);
        fm = NULL;
    }
    bw_cfg_pos_free(pos);
    bw_diag_free(diag);
    return fm;
}

json_t *bw_skill_frontmatter(const char *text, size_t len, char *why, size_t whylen)
{
    const char *body = NULL;
    size_t body_len = 0;
    if (!find_block(text, len, &body, &body_len)) {
        snprintf(why, whylen, "SKILL.md must start with a YAML frontmatter block between two \"---\" lines");
        return NULL;
    }
    size_t blank = 0;
    while (blank < body_len && strchr(" \t\r\n", body[blank]) && body[blank] != '\0')
        blank++;
    if (blank == body_len) {
        /* (the YAML reader would call it an empty configuration) */
        snprintf(why, whylen, "SKILL.md frontmatter is empty: it needs a name and a description");
        return NULL;
    }
    json_t *fm = parse_yaml(body, body_len, why, whylen);
    if (fm && !check_fields(fm, why, whylen)) {
        json_decref(fm);
        return NULL;
    }
    return fm;
}
