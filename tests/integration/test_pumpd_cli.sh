#!/bin/sh
# test_pumpd_cli.sh - pumpd's command line: help at every level, version, usage errors, exit 2.
# Run as: sh test_pumpd_cli.sh PUMPD REPO_ROOT SHARED_DIR [BUILD_DIR]
. "$(dirname "$0")/lib.sh"
PUMPD=$CTL
SC="$ROOT/tests/data/scenarios"

for args in "--help" "-h" "help" "run --help" "run -h" "fleet --help" "fleet -h" "panel --help" \
    "log --help" "run --scenario x --help"; do
    # shellcheck disable=SC2086
    run "help: $args" 0 "$PUMPD" $args
    out_has "help: $args" "usage: pumpd"
    is_empty "help: $args (stderr)" "$ERR"
done
run "help names the commands" 0 "$PUMPD" --help
for c in "run --scenario" "fleet --count" "panel --library" "log --data-dir"; do
    out_has "help lists $c" "$c"
done
run "run --help lists the flags" 0 "$PUMPD" run --help
for flag in --scenario --realtime --speed --events-jsonl --data-dir --seed; do
    out_has "run --help: $flag" "$flag"
done
run "--version" 0 "$PUMPD" --version
out_has "--version" "pumpd "

run "no arguments" 2 "$PUMPD"
err_has "no arguments" "usage: pumpd"
run "unknown command" 2 "$PUMPD" dance
err_has "unknown command" "unknown command dance"
run "run without --scenario" 2 "$PUMPD" run
err_has "run without --scenario" "--scenario"
run "run unknown flag" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" --fast
err_has "run unknown flag" "unknown option --fast"
run "run flag twice" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" --scenario x
err_has "run flag twice" "twice"
run "run --realtime and --speed" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" --realtime \
    --speed 2
run "run --speed 0" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" --speed 0
err_has "run --speed 0" "--speed"
run "run --speed abc" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" --speed abc
run "run positional" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" extra
run "run missing scenario file" 2 "$PUMPD" run --scenario "$TMP/none.json"
err_has "run missing scenario file" "none.json"
is_empty "run missing scenario file (stdout)" "$OUT"
run "run unwritable events file" 2 "$PUMPD" run --scenario "$SC/mode-basic.json" \
    --events-jsonl "$TMP/no/such/dir/ev.jsonl"
run "fleet without --count" 2 "$PUMPD" fleet --scenario-mix "$SC"
run "fleet --count 0" 2 "$PUMPD" fleet --count 0 --scenario-mix "$SC"
run "fleet --duration -1" 2 "$PUMPD" fleet --count 1 --scenario-mix "$SC" --duration -1
err_has "fleet --duration -1" "--duration"
run "fleet empty directory" 2 "$PUMPD" fleet --count 1 --scenario-mix "$TMP"
err_has "fleet empty directory" "no *.json"
run "fleet with a bad scenario" 2 "$PUMPD" fleet --count 1 --scenario-mix "$SC/bad"
run "panel without a library" 2 "$PUMPD" panel
run "panel with a broken library" 2 "$PUMPD" panel \
    --library "$ROOT/tests/data/druglib/broken/duplicate-area-id.json"
err_has "panel with a broken library" "not a valid drug library"
run "log without --data-dir" 2 "$PUMPD" log
run "log of a missing directory" 2 "$PUMPD" log --data-dir "$TMP/nodir"
err_has "log of a missing directory" "no such data directory"
[ ! -e "$TMP/nodir" ] && pass || fail "log created the directory it was asked to read"
finish
