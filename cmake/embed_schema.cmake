# Embeds the configuration schema fragments of src/config/schema as C strings: root.json and one entry per other
# <name>.json, which the loader (src/config/config_schema.c) places under $defs/<name>. Kept as separate texts so
# key order survives (docs/config.md lists keys in the order they are written).
# Usage: cmake -DDIR=<schema dir> -DOUT=<file.c> -P embed_schema.cmake
file(GLOB fragments ${DIR}/*.json)
list(SORT fragments)
set(out "/* Generated from src/config/schema by cmake/embed_schema.cmake. Do not edit. */\n#include <stddef.h>\n\n")
string(APPEND out "typedef struct bw_schema_fragment { const char *name; const char *json; } bw_schema_fragment;\n")
string(APPEND out "extern const bw_schema_fragment bw_config_schema_fragments[];\n")
string(APPEND out "const bw_schema_fragment bw_config_schema_fragments[] = {\n")
foreach(f ${fragments})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} body)
  string(REPLACE "\\" "\\\\" body "${body}")
  string(REPLACE "\"" "\\\"" body "${body}")
  string(REPLACE "\n" "\\n\"\n     \"" body "${body}")
  string(APPEND out "    {\"${name}\",\n     \"${body}\"},\n")
endforeach()
string(APPEND out "    {NULL, NULL},\n};\n")
file(WRITE ${OUT} "${out}")
