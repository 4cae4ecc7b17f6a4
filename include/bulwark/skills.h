/* Publishing Agent Skills over MCP: the skills extension (io.modelcontextprotocol/skills, SEP-2640).
 *
 * A skill is a directory of files with a SKILL.md at its root, which starts with a YAML frontmatter block naming and
 * describing the skill (https://agentskills.io/specification). Registering one makes every file a resource at
 * skill://<name>/<path>, readable with resources/read and listed by resources/list by any client; 2026-07-28 clients
 * also get the extension's methods: skills/list and skills/get (each skill's frontmatter and the sha256 digest and
 * size of every file) and resources/directory/read (the children of skill://<name> and of each subdirectory).
 * The extension is declared in server/discover (with directoryRead) once a skill is registered.
 *
 * Skills are immutable once registered: the bytes are copied, digested and never re-read. Registration is
 * thread-safe and may happen while serving; there is no removal (and a skill's files must not be removed with
 * bw_server_remove_resource: the skill would still list them). See docs/skills.md. */
#ifndef BULWARK_SKILLS_H
#define BULWARK_SKILLS_H

#include <stddef.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most files in one skill and most bytes over all of them (the limits the extension tells servers to respect). */
#define BW_SKILL_MAX_FILES 512
#define BW_SKILL_MAX_BYTES (16u << 20)

typedef struct bw_skill_file {
    /* Relative to the skill root, '/'-separated: "SKILL.md", "references/FORMS.md". Segments are 1-255 bytes of
     * A-Z a-z 0-9 . _ - ~ + , = @ and are not "." or ".."; no leading, trailing or double '/'. */
    const char *path;
    const void *data; /* len bytes, copied (may be NULL when len is 0) */
    size_t len;
    /* NULL: from the extension (.md text/markdown, .txt text/plain, .sh text/x-shellscript, .py text/x-python,
     * .json application/json, .yaml/.yml application/yaml, .png image/png, ...; otherwise
     * application/octet-stream). Files of a textual type that are valid UTF-8 without NUL bytes are served as
     * text, everything else as a base64 blob. */
    const char *mime_type;
} bw_skill_file;

typedef struct bw_skill_def {
    const bw_skill_file *files; /* n_files entries, SKILL.md among them; copied */
    size_t n_files;
} bw_skill_def;

/* Registers a skill. SKILL.md is required and must be UTF-8 that starts with a "---" line, then the YAML
 * frontmatter (a mapping; no anchors, aliases or tags), then a "---" line. The frontmatter needs a `name` of 1-64
 * characters of a-z 0-9 '-' without a leading, trailing or double hyphen, and a `description` of 1-1024
 * characters; every other field is kept and sent verbatim (as JSON) in skills/list. The skill's URI root is
 * skill://<name>/; SKILL.md is listed with the frontmatter's name and description and text/markdown.
 * Errors (with a reason in `err`, errlen bytes, NUL-terminated; err may be NULL):
 *   BW_E_INVALID_ARG  a bad path, a duplicate path, a path that is both a file and a directory, no SKILL.md, bad
 *                     frontmatter;
 *   BW_E_LIMIT        more than BW_SKILL_MAX_FILES files or BW_SKILL_MAX_BYTES bytes;
 *   BW_E_EXISTS       a skill with that name, or a resource at one of its URIs, is registered already;
 *   BW_E_NOMEM.
 * On failure nothing stays registered. Thread-safe. */
BW_EXPORT BW_NODISCARD bw_status bw_server_add_skill(bw_server *srv, const bw_skill_def *def, char *err,
                                                      size_t errlen);

/* Registers the skill whose root is the directory `dir` (which may itself be a symbolic link): every regular file
 * below it, with paths relative to it. Symbolic links below `dir` are never followed (neither the files nor the
 * directories they name are taken); entries that are neither regular files nor directories, and hidden entries
 * (names starting with '.', such as .git), are skipped. Bounded while reading: BW_E_LIMIT past BW_SKILL_MAX_FILES files, BW_SKILL_MAX_BYTES bytes or 32
 * directory levels. BW_E_IO (with the path and errno text in err) when the directory or a file cannot be read;
 * otherwise as bw_server_add_skill. Reads the files on the calling thread. Thread-safe. */
BW_EXPORT BW_NODISCARD bw_status bw_server_add_skill_dir(bw_server *srv, const char *dir, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
