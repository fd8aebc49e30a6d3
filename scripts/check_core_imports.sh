#!/bin/sh
# check_core_imports.sh ARCHIVE - the safety core may import no symbol beyond mem* (style.md 4.6).
# Symbols one member defines for another are internal; whatever is left must come from outside.
# Exit 0 clean, 1 forbidden import, 2 nm failed (a missing file must not pass).
undef=$(nm -u --format=just-symbols "$1") || exit 2
defined=$(nm --defined-only --format=just-symbols "$1") || exit 2
bad=$(printf '%s\n' "$undef" | sort -u | grep -v -x -F "$(printf '%s\n' "$defined" | sort -u)" |
      grep -v -E '^(memcpy|memset|memmove|memcmp)?$')
if [ -n "$bad" ]; then
    printf 'forbidden imports in %s:\n%s\n' "$1" "$bad"
    exit 1
fi
echo "core imports: only mem* ($1)"
