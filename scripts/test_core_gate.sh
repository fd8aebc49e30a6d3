#!/bin/sh
# test_core_gate.sh CC - the link gate must fail on a planted forbidden import (exit 1) and on a
# missing archive (exit 2), and pass a clean one: a gate that cannot fail proves nothing.
set -u
cc=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int puts(const char *s);\nint leak(void) { return puts("x"); }\n' > "$tmp/bad.c"
printf 'int clean(int x) { return x + 1; }\n' > "$tmp/good.c"
"$cc" -c "$tmp/bad.c" -o "$tmp/bad.o" && ar rcs "$tmp/libbad.a" "$tmp/bad.o" || exit 3
"$cc" -c "$tmp/good.c" -o "$tmp/good.o" && ar rcs "$tmp/libgood.a" "$tmp/good.o" || exit 3
sh "$here/check_core_imports.sh" "$tmp/libbad.a" >/dev/null 2>&1; bad=$?
sh "$here/check_core_imports.sh" "$tmp/missing.a" >/dev/null 2>&1; missing=$?
sh "$here/check_core_imports.sh" "$tmp/libgood.a" >/dev/null 2>&1; good=$?
echo "planted puts -> $bad (want 1), missing -> $missing (want 2), clean -> $good (want 0)"
[ "$bad" -eq 1 ] && [ "$missing" -eq 2 ] && [ "$good" -eq 0 ]
