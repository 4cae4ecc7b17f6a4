#include "protocol/revision.h"

#include <string.h>

#include "bulwark/bulwark.h"

static const char *const names[] = {
    [BW_REV_UNKNOWN] = "",
    [BW_REV_2024_11_05] = "2024-11-05",
    [BW_REV_2025_03_26] = "2025-03-26",
    [BW_REV_2025_06_18] = "2025-06-18",
    [BW_REV_2025_11_25] = "2025-11-25",
};

static const char *const supported_newest_first[] = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
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

const char *bw_revision_str(bw_revision r)
{
    return (r > BW_REV_UNKNOWN && r <= BW_REV_2025_11_25) ? names[r] : "";
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
