/* PLACEHOLDER while the provider is being written (replaced before the declarative-config issue is resolved). */
#include "providers/sql.h"

bw_status bw_sql_tool_build(bw_build *b, const json_t *tool, const json_t *section, bw_tool_def *def)
{
    (void)tool;
    (void)def;
    bw_build_error(b, section, "the sql provider is not available in this build yet");
    return BW_E_UNSUPPORTED;
}

bw_sql_db *bw_sql_db_open(bw_build *b, const char *name, const json_t *cfg)
{
    bw_build_error(b, cfg, "database '%s': the sql provider is not available in this build yet", name);
    return NULL;
}

void bw_sql_db_free(bw_sql_db *db)
{
    (void)db;
}
