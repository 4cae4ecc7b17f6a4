/* The protocol revisions Bulwark serves and the behaviours that differ between them. Thread-safe (constant data). */
#ifndef BW_PROTOCOL_REVISION_H
#define BW_PROTOCOL_REVISION_H

#include <stdbool.h>

typedef enum bw_revision {
    BW_REV_UNKNOWN = 0,
    BW_REV_2024_11_05,
    BW_REV_2025_03_26,
    BW_REV_2025_06_18,
    BW_REV_2025_11_25,
    BW_REV_2026_07_28, /* the first stateless ("modern") revision: per-request _meta, no initialize */
} bw_revision;

#define BW_REV_NEWEST_LEGACY BW_REV_2025_11_25
#define BW_REV_NEWEST BW_REV_2026_07_28

/* Parses "2025-06-18" etc.; BW_REV_UNKNOWN for anything not served in the session-based era. */
bw_revision bw_revision_parse(const char *s);
/* Parses a modern (per-request) revision: "2026-07-28"; BW_REV_UNKNOWN otherwise. */
bw_revision bw_revision_parse_modern(const char *s);
/* true for revisions of the stateless era (2026-07-28 on). */
bool bw_revision_is_modern(bw_revision r);
/* true when the string names a modern revision we may not serve: any "YYYY-MM-DD" from 2026-07-28 on. */
bool bw_revision_looks_modern(const char *s);
/* The modern revisions served, newest first, as a new JSON array of strings. */
#include <jansson.h>
json_t *bw_revision_modern_list(void);
const char *bw_revision_str(bw_revision r);
/* JSON-RPC batches are allowed only in 2025-03-26 sessions. */
bool bw_revision_allows_batch(bw_revision r);
/* The completions capability exists from 2025-03-26 on. */
bool bw_revision_has_completions(bw_revision r);
/* title on tools/resources/prompts, outputSchema/structuredContent, resource_link: 2025-06-18 on. */
bool bw_revision_has_titles(bw_revision r);
/* icons, Implementation.description/websiteUrl: 2025-11-25 on. */
bool bw_revision_has_icons(bw_revision r);

#endif
