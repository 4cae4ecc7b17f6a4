#include "protocol/revision.h"

#include <string.h>

#include "bulwark/bulwark.h"

static const char *const names[] = {
    [BW_REV_UNKNOWN] = "",
    [BW_REV_2024_11_05] = "2024-11-05",
    [BW_REV_2025_03_26] = "2025-03-26",
    [BW_REV_2025_06_18] = "2025-06-18",
    [BW_REV_2025_11_25] = "2025-11-25",
    [BW_REV_2026_07_28] = "2026-07-28",
};

static const char *const supported_newest_first[] = {
    "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
};

bw_revision bw_revision_parse(const char *s)
{
    if (!s)
        return BW_REV_UNKNOWN;
    for (int r = BW_REV_2024_11_05; r <= BW_REV_2025_11_25; r++)
        if (strcmp(s, names[r]) == 0)
            return (bw_revision)r;
    return BW_REV_UNKNOWN;
}

bw_revision bw_revision_parse_modern(const char *s)
{
    return s && strcmp(s, names[BW_REV_2026_07_28]) == 0 ? BW_REV_2026_07_28 : BW_REV_UNKNOWN;
}

bool bw_revision_is_modern(bw_revision r) { return r >= BW_REV_2026_07_28; }

bool bw_revision_looks_modern(const char *s)
{
    /* Dates compare as strings; anything dated from the first stateless revision on belongs to that era. */
    return s && strlen(s) == 10 && s[4] == '-' && s[7] == '-' && strcmp(s, names[BW_REV_2026_07_28]) >= 0;
}

json_t *bw_revision_modern_list(void)
{
    return json_pack("[s]", names[BW_REV_2026_07_28]);
}

const char *bw_revision_str(bw_revision r)
{
    return (r > BW_REV_UNKNOWN && r <= BW_REV_NEWEST) ? names[r] : "";
}

bool bw_revision_allows_batch(bw_revision r) { return r == BW_REV_2025_03_26; }
bool bw_revision_has_completions(bw_revision r) { return r >= BW_REV_2025_03_26; }
bool bw_revision_has_titles(bw_revision r) { return r >= BW_REV_2025_06_18; }
bool bw_revision_has_icons(bw_revision r) { return r >= BW_REV_2025_11_25; }

const char *const *bw_supported_revisions(void)
{
    return supported_newest_first;
}

const char *bw_version(void)
{
    return BW_VERSION;
}
