#!/bin/sh
# test_cli.sh - infusionctl's command line: help, version, usage errors and exit statuses.
. "$(dirname "$0")/lib.sh"

# Every --help / -h exits 0 and prints usage on stdout, nothing on stderr.
for args in "--help" "-h" "help" "library --help" "library -h" "library validate --help" \
    "library show --help" "library show -h" "ders --help" "ders -h" "ders check --help" \
    "ders check -h" "ders check --library x --help"; do
    # shellcheck disable=SC2086
    run "help: $args" 0 "$CTL" $args
    out_has "help: $args" "usage: infusionctl"
    is_empty "help: $args (stderr)" "$ERR"
done
run "help names the subcommands" 0 "$CTL" --help
out_has "help: library validate" "library validate FILE"
out_has "help: ders check" "ders check"
run "ders check --help lists the flags" 0 "$CTL" ders check --help
for flag in --library --care-area --entry --mode --dose --dose-unit --rate-ml-h --weight-kg \
    --bsa-m2 --duration-min --vtbi-ml --current-dose --conc-amount --conc-unit \
    --conc-volume-ml --pca-dose --lockout-min --basal --four-hour-limit --json --batch; do
    out_has "ders check --help: $flag" "$flag"
done

run "--version" 0 "$CTL" --version
out_has "--version" "infusionctl "

# Usage errors: exit 2, usage on stderr, nothing on stdout.
run "no arguments" 2 "$CTL"
err_has "no arguments" "usage: infusionctl"
is_empty "no arguments (stdout)" "$OUT"
run "unknown command" 2 "$CTL" frobnicate
err_has "unknown command" "unknown command frobnicate"
err_has "unknown command" "usage: infusionctl"
is_empty "unknown command (stdout)" "$OUT"
run "library without subcommand" 2 "$CTL" library
run "unknown library subcommand" 2 "$CTL" library sign "$EXAMPLE"
err_has "unknown library subcommand" "unknown library subcommand sign"
run "ders without subcommand" 2 "$CTL" ders
run "unknown ders subcommand" 2 "$CTL" ders judge
run "validate without FILE" 2 "$CTL" library validate
run "validate with two FILEs" 2 "$CTL" library validate "$EXAMPLE" "$EXAMPLE"
run "validate unknown flag" 2 "$CTL" library validate "$EXAMPLE" --strict
err_has "validate unknown flag" "unknown option --strict"
run "validate --json=value" 2 "$CTL" library validate "$EXAMPLE" --json=yes
run "show without FILE" 2 "$CTL" library show
run "show --care-area missing its argument" 2 "$CTL" library show "$EXAMPLE" --care-area
err_has "show --care-area missing its argument" "needs an argument"

CHECK="ders check --library $EXAMPLE --care-area ADULT_ICU --entry GH-ICU-PROP --mode continuous"
# shellcheck disable=SC2086
run "check unknown flag" 2 "$CTL" $CHECK --dose 20 --dose-unit mcg/kg/min --weight 70
err_has "check unknown flag" "unknown option --weight"
is_empty "check unknown flag (stdout)" "$OUT"
# shellcheck disable=SC2086
run "check flag missing its argument" 2 "$CTL" $CHECK --dose-unit mcg/kg/min --dose
err_has "check flag missing its argument" "--dose"
# shellcheck disable=SC2086
run "check flag given twice" 2 "$CTL" $CHECK --dose 20 --dose 200 --dose-unit mcg/kg/min
err_has "check flag given twice" "twice"
# shellcheck disable=SC2086
run "check positional argument" 2 "$CTL" $CHECK --dose 20 --dose-unit mcg/kg/min extra
run "check without --library" 2 "$CTL" ders check --care-area ADULT_ICU --mode basic \
    --rate-ml-h 10
err_has "check without --library" "--library"
run "check without --care-area" 2 "$CTL" ders check --library "$EXAMPLE" --mode basic \
    --rate-ml-h 10
run "check without --mode" 2 "$CTL" ders check --library "$EXAMPLE" --care-area ADULT_ICU \
    --rate-ml-h 10
run "check unknown mode" 2 "$CTL" ders check --library "$EXAMPLE" --care-area ADULT_ICU \
    --mode warp --rate-ml-h 10
err_has "check unknown mode" "warp"
run "--batch with program flags" 2 "$CTL" ders check --library "$EXAMPLE" \
    --batch "$EXAMPLE_PROGRAMS" --care-area ADULT_ICU
run "--batch missing file" 2 "$CTL" ders check --library "$EXAMPLE" --batch "$TMP/none.jsonl"
err_has "--batch missing file" "none.jsonl"

# The library must be usable and valid before any program is judged.
run "check with a missing library" 2 "$CTL" ders check --library "$TMP/none.json" \
    --care-area ADULT_ICU --mode basic --rate-ml-h 10
err_has "check with a missing library" "none.json"
is_empty "check with a missing library (stdout)" "$OUT"
run "check with an invalid library" 2 "$CTL" ders check \
    --library "$HERE/data/invalid-library.json" --care-area WARD --mode basic --rate-ml-h 10
err_has "check with an invalid library: problems on stderr" \
    "care_areas[0].entries[1].dose_limits: soft_max 40 is above hard_max 30"
is_empty "check with an invalid library (stdout)" "$OUT"

# A value that looks like a flag is still the flag's argument ("--dose -5" is a dose of -5).
# shellcheck disable=SC2086
run "negative number as an argument" 0 "$CTL" $CHECK --dose -5 --dose-unit mcg/kg/min \
    --weight-kg 70
out_has "negative number as an argument" "NOT ACCEPTED (invalid program): dose"
# --flag=value works like --flag value.
run "--flag=value" 0 "$CTL" ders check --library="$EXAMPLE" --care-area=ADULT_ICU \
    --entry=GH-ICU-PROP --mode=continuous --dose=90 --dose-unit=mcg/kg/min --weight-kg=70
line_is "--flag=value" 1 "HARD STOP: dose 90 mcg/kg/min is above the hard maximum 80 mcg/kg/min for propofol 1,000 mg/100 mL in Adult Critical Care"

# Output errors are not successes.
if [ -w /dev/full ]; then
    run "write error is reported" 2 sh -c '"$0" library validate "$1" >/dev/full' "$CTL" \
        "$EXAMPLE"
    err_has "write error is reported" "error writing"
fi

finish
