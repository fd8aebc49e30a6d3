#!/bin/sh
# check_core_analyzer.sh GCC REPO [FILE...] - run gcc's static analyser (-fanalyzer, style.md
# 4.13) over the freestanding core with warnings as errors. Exit 0 clean, 1 findings, 2 usage.
# Without FILE arguments it analyses every core/*.c. Each file is compiled alone, as the core
# target compiles it (freestanding, no hosted headers); the object is thrown away.
set -u
cc=${1:-}
repo=${2:-}
if [ -z "$cc" ] || [ ! -d "$repo/core" ]; then
    echo "usage: check_core_analyzer.sh GCC REPO [FILE...]" >&2
    exit 2
fi
shift 2
[ $# -gt 0 ] || set -- "$repo"/core/*.c
inc=$("$cc" -print-file-name=include)
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT
status=0
for f in "$@"; do
    if ! "$cc" -std=c11 -O2 -fanalyzer -Werror -ffreestanding -nostdinc -isystem "$inc" \
            -I"$repo/include" -I"$repo/core" -c "$f" -o "$out"; then
        echo "analyser finding in $f" >&2
        status=1
    fi
done
exit $status
