#!/bin/sh
# test_core_analyzer_gate.sh GCC REPO - the analyser gate must fail on a planted defect (a NULL
# dereference on one path), or it proves nothing when it passes on the real core.
set -u
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
cat > "$dir/planted.c" <<'C'
int planted(int x);
int planted(int x)
{
    static int y = 1;
    int *p = (int *)0;
    if (x > 0) {
        p = &y;
    }
    return *p;
}
C
sh "$(dirname "$0")/check_core_analyzer.sh" "$1" "$2" "$dir/planted.c" 2>/dev/null
rc=$?
if [ "$rc" -ne 1 ]; then
    echo "FAIL: the analyser gate passed a planted NULL dereference (exit $rc)"
    exit 1
fi
echo "ok: the analyser gate fails on a planted NULL dereference"
