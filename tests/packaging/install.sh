#!/usr/bin/env bash
# Installs this build into a temporary prefix and builds the README's C example against it with pkg-config,
# shared and static, then runs it over stdio: what a team embedding libbulwark does first.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
awk '/^```c$/ {on=1; next} on && /^```$/ {exit} on {print}' "$src/README.md" > "$tmp/demo.c"
cc -std=c17 -Wall -Wextra -Werror "$tmp/demo.c" $(pkg-config --cflags --libs bulwark) -o "$tmp/demo-shared"
cc -std=c17 -Wall -Wextra -Werror "$tmp/demo.c" $(pkg-config --cflags bulwark) "$tmp/prefix/lib/libbulwark.a" \
   $(pkg-config --libs jansson libpcre2-8 libmicrohttpd libcrypto yaml-0.1 sqlite3 libpq libcurl) -lpthread -lm -o "$tmp/demo-static"  # static libbulwark, shared system libraries
input='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"from the README"}}}'
want='{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"from the README"}]}}'
for bin in demo-shared demo-static; do
  got=$(printf '%s\n' "$input" | LD_LIBRARY_PATH="$tmp/prefix/lib" timeout 20 "$tmp/$bin" | tail -1)
  if [[ $got != "$want" ]]; then
    echo "FAIL $bin: got $got" >&2
    exit 1
  fi
  echo "ok $bin"
done
test -f "$tmp/prefix/include/bulwark/bulwark.h" && test -x "$tmp/prefix/bin/bulwark" && echo "ok headers and binaries installed"
