# Embeds one file as a C byte array (NUL-terminated; the NUL is not counted in <NAME>_len), e.g. the status page
# src/observability/status_page.html → bw_status_page / bw_status_page_len. A byte array rather than a string
# literal: no escaping, no compiler limit on string length, any content.
# Usage: cmake -DIN=<file> -DOUT=<file.c> -DNAME=<symbol> -DHEADER=<header to include> -P embed_file.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR len "${nhex} / 2")
# 16 bytes (32 hex digits) a line, then each byte as 0xNN,
string(REGEX REPLACE "(................................)" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(src ${IN} NAME)
set(out "/* Generated from ${src} by cmake/embed_file.cmake. Do not edit. */\n#include <stddef.h>\n")
if(HEADER)
  string(APPEND out "\n#include \"${HEADER}\"\n")
endif()
string(APPEND out "\nconst unsigned char ${NAME}[] = {\n${bytes}0x00};\nconst size_t ${NAME}_len = ${len};\n")
file(WRITE ${OUT} "${out}")
