#!/bin/sh
# test_library.sh - infusionctl library validate | show: valid, invalid and unusable files.
. "$(dirname "$0")/lib.sh"

INVALID="$HERE/data/invalid-library.json"

# ---- validate: valid ------------------------------------------------------------------------
run "validate example" 0 "$CTL" library validate "$EXAMPLE"
line_is "validate example" 1 \
    "valid: GENERAL-HOSPITAL-EXAMPLE version 2026.03-example: 4 care areas, 15 entries"
is_empty "validate example (stderr)" "$ERR"
run "validate example --json" 0 "$CTL" library validate "$EXAMPLE" --json
py_check "validate example --json fields" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["problems"] == [] and d["usable"] is True, d
assert d["library_id"] == "GENERAL-HOSPITAL-EXAMPLE" and d["care_areas"] == 4, d
assert d["entries"] == 15 and d["problem_count"] == 0, d
'
if [ -f "$SAMPLE" ]; then
    run "validate shared sample" 0 "$CTL" library validate "$SAMPLE"
    line_is "validate shared sample" 1 \
        "valid: RIVERSIDE-COMMUNITY version 2026.02-sample: 5 care areas, 36 entries"
fi

# ---- validate: invalid (exit 1, every problem as "path: message", then a count) -------------
run "validate invalid" 1 "$CTL" library validate "$INVALID"
line_is "invalid: weight order" 1 \
    "care_areas[0].patient_weight_kg: soft_min 50 is above soft_max 40"
out_has "invalid: unknown unit" "care_areas[0].entries[0].dosing_unit: "
out_has "invalid: unknown unit named" "ug/kg/min"
line_is "invalid: dose limits order" 3 \
    "care_areas[0].entries[1].dose_limits: soft_max 40 is above hard_max 30"
out_has "invalid: duplicate id" "care_areas[0].entries[2].id: "
out_has "invalid: pca without pca" "care_areas[0].entries[3]: "
out_has "invalid: unknown key" "care_areas[0].entries[4]: "
out_has "invalid: unknown key named" "dose_limit"
line_is "invalid: count" 7 "invalid: 6 problems in $INVALID"
run "validate invalid --json" 1 "$CTL" library validate "$INVALID" --json
py_check "validate invalid --json fields" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["usable"] is True and d["problem_count"] == 6, d
paths = [p["path"] for p in d["problems"]]
assert paths == ["care_areas[0].patient_weight_kg", "care_areas[0].entries[0].dosing_unit",
                 "care_areas[0].entries[1].dose_limits", "care_areas[0].entries[2].id",
                 "care_areas[0].entries[3]", "care_areas[0].entries[4]"], paths
assert all(p["message"] for p in d["problems"]), d
'

# ---- validate: unusable input (exit 2) ------------------------------------------------------
run "validate missing file" 2 "$CTL" library validate "$TMP/no-such.json"
err_has "validate missing file" "no-such.json"
is_empty "validate missing file (stdout)" "$OUT"
run "validate missing file --json" 2 "$CTL" library validate "$TMP/no-such.json" --json
py_check "validate missing file --json fields" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["usable"] is False and len(d["problems"]) == 1, d
'

printf '{"format": "openinfusion-druglib",\n  "care_areas": [ oops ]\n}\n' >"$TMP/syntax.json"
run "validate not JSON" 2 "$CTL" library validate "$TMP/syntax.json"
err_has "validate not JSON: line and column" "line 2, column"
run "validate not JSON --json" 2 "$CTL" library validate "$TMP/syntax.json" --json
out_has "validate not JSON --json: line and column" "line 2, column"
: >"$TMP/empty.json"
run "validate empty file" 2 "$CTL" library validate "$TMP/empty.json"
printf '[1, 2, 3]\n' >"$TMP/array.json"
run "validate a JSON array" 1 "$CTL" library validate "$TMP/array.json"
run "validate a directory" 2 "$CTL" library validate "$TMP"

# A 100 MB file is refused before it is parsed, quickly and cleanly; the file is removed after.
big="$TMP/big.json"
{
    printf '{"x-pad": "'
    dd if=/dev/zero bs=1048576 count=100 2>/dev/null | tr '\000' 'a'
    printf '"}\n'
} >"$big"
run "validate 100 MB file" 2 "$CTL" library validate "$big"
err_has "validate 100 MB file: says why" "bytes"
rm -f "$big"

# Deep nesting: refused as unusable JSON, never a stack overflow.
python3 -c 'print("[" * 100000)' >"$TMP/deep.json"
run "validate 100000-deep arrays" 2 "$CTL" library validate "$TMP/deep.json"
err_has "validate 100000-deep arrays: position" "column"
python3 -c 'print("{\"a\":" * 100000)' >"$TMP/deep-obj.json"
run "validate 100000-deep objects" 2 "$CTL" library validate "$TMP/deep-obj.json"
# Moderate nesting inside an ignored "x-" key of a valid library is still a valid library.
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["x-deep"] = json.loads("[" * 500 + "]" * 500)
json.dump(d, open(sys.argv[2], "w"))
' "$EXAMPLE" "$TMP/deep-x.json"
run "validate 500-deep x- key" 0 "$CTL" library validate "$TMP/deep-x.json"

# ---- show -----------------------------------------------------------------------------------
run "show example" 0 "$CTL" library show "$EXAMPLE"
is_empty "show example (stderr)" "$ERR"
out_has "show: header" "Drug library GENERAL-HOSPITAL-EXAMPLE version 2026.03-example"
for id in ADULT_ICU GENERAL_WARD PEDIATRICS LABOR_DELIVERY GH-ICU-NOREPI GH-ICU-PROP \
    GH-ICU-HEP GH-ICU-INS GH-ICU-KCL GH-ICU-LR GH-WARD-VANC GH-WARD-CEFTRI GH-WARD-MORPH-PCA \
    GH-WARD-NS GH-PED-MORPH GH-PED-PARA GH-PED-D5 GH-LD-OXY GH-LD-MAG; do
    out_has "show: $id" "$id"
done
out_has "show: care area limits" "30 / 40 – 180 / 350"
out_has "show: dose limits with an absent bound" "— / 5 – 50 / 80"
out_has "show: basic infusion not allowed" "not allowed"
out_has "show: basic infusion max" "allowed, max 500 mL/h"
out_has "show: standard concentration" "16 mg/250 mL"
out_has "show: custom concentration" "custom, — / — – 5 / 10 mg/mL"
out_has "show: PCA dose limits" "— / 0.5 – 2 / 3"
out_has "show: high alert" "HIGH ALERT"
out_has "show: bolus" "continuous + bolus units/kg"
# Columns line up: every row of each entries table has its mode where the MODE header is.
py_check "show: aligned columns" '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
modes = ("continuous", "intermittent", "pca", "fluid")
tables = 0
for i, line in enumerate(lines):
    if line.strip().startswith("ENTRY ") and "MODE" in line:
        col = line.index("MODE")
        tables += 1
        for row in lines[i + 1:]:
            if not row.strip():
                break
            assert row[col:].startswith(modes), (row, col)
            assert row == row.rstrip(), "trailing spaces: %r" % row
assert tables == 4, tables
'

run "show one care area" 0 "$CTL" library show "$EXAMPLE" --care-area PEDIATRICS
out_has "show one care area: its entries" "GH-PED-PARA"
out_has "show one care area: its name" "Entries in Children's Ward (PEDIATRICS)"
out_lacks "show one care area: no other area" "ADULT_ICU"
out_lacks "show one care area: no other entries" "GH-ICU-PROP"
run "show unknown care area" 2 "$CTL" library show "$EXAMPLE" --care-area CARDIAC
err_has "show unknown care area" "CARDIAC"
err_has "show unknown care area: lists the known ones" "ADULT_ICU, GENERAL_WARD"
is_empty "show unknown care area (stdout)" "$OUT"
run "show invalid library" 2 "$CTL" library show "$INVALID"
err_has "show invalid library" "soft_max 40 is above hard_max 30"
run "show missing file" 2 "$CTL" library show "$TMP/no-such.json"
if [ -f "$SAMPLE" ]; then
    run "show shared sample, NICU" 0 "$CTL" library show "$SAMPLE" --care-area NICU
    out_has "show shared sample, NICU" "NICU-CAFF"
fi

finish
