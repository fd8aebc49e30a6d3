#!/bin/sh
# test_demo.sh - scripts/demo (what `make demo` runs) works from a build tree and exits 0.
. "$(dirname "$0")/lib.sh"

if [ -z "$BUILD" ]; then
    echo "usage: $0 INFUSIONCTL REPO_ROOT SHARED_DIR BUILD_DIR" >&2
    exit 2
fi
# Run from another directory: the demo must find its files by itself.
run "demo" 0 sh -c 'cd / && sh "$0/scripts/demo" "$1"' "$ROOT" "$BUILD"
out_has "demo: validates" \
    "valid: GENERAL-HOSPITAL-EXAMPLE version 2026.03-example: 4 care areas, 15 entries"
out_has "demo: shows a care area" "Entries in Adult Critical Care (ADULT_ICU)"
out_has "demo: an accept" "ACCEPTED: norEPINEPHrine 16 mg/250 mL in Adult Critical Care"
out_has "demo: a soft alert" "SOFT ALERT (confirm with a reason to proceed): bolus dose 90 units/kg"
out_has "demo: a hard stop" "HARD STOP: dose 90 mcg/kg/min is above the hard maximum 80 mcg/kg/min"
out_has "demo: an invalid program" \
    "NOT ACCEPTED (invalid program): weight is required for a dose in mcg/kg/min"
out_has "demo: a titration" "is more than +200% above the current 4 milliunits/min"
out_has "demo: a PCA" "HARD STOP: lockout interval 4 min is below the hard minimum 5 min"
out_has "demo: the batch" '{"outcome": "ACCEPT", "limit": "no_ders"'
out_has "demo: the end" "demo: done"
is_empty "demo (stderr)" "$ERR"
# The demo reads nothing outside the repository.
if grep -n -e 'shared' "$ROOT/scripts/demo" >/dev/null; then
    fail "scripts/demo refers to the shared directory"
else
    pass
fi
run "demo without a build dir" 2 sh "$ROOT/scripts/demo"
run "demo with a wrong build dir" 2 sh "$ROOT/scripts/demo" "$TMP/nowhere"

finish
