#!/bin/sh
# test_ders.sh - infusionctl ders check, one program from flags: human output and --json.
. "$(dirname "$0")/lib.sh"
need_shared

check() { "$CTL" ders check --library "$SAMPLE" "$@"; }
echeck() { "$CTL" ders check --library "$EXAMPLE" "$@"; }

# ---- human output: first line names the outcome and the reason ------------------------------
run "hard stop" 0 check --care-area MED_SURG --entry MS-HEP --mode continuous --dose 180 \
    --dose-unit units/kg/h --weight-kg 80
line_is "hard stop" 1 "HARD STOP: dose 180 units/kg/h is above the hard maximum 40 units/kg/h for heparin 25,000 units/500 mL in Medical-Surgical"
line_is "hard stop: figures" 2 "rate 288 mL/h, volume —, duration —"
is_empty "hard stop (stderr)" "$ERR"

run "soft alert" 0 check --care-area ADULT_ICU --entry AICU-NTG --mode continuous --dose 300 \
    --dose-unit mcg/min
line_is "soft alert" 1 "SOFT ALERT (confirm with a reason to proceed): dose 300 mcg/min is above the soft maximum 200 mcg/min for nitroglycerin 50 mg/250 mL (glass) in Adult ICU"
line_is "soft alert: figures" 2 "rate 90 mL/h, volume —, duration —"
line_is "soft alert: advisory" 3 "advisory: Non-PVC tubing."

run "soft low" 0 check --care-area ADULT_ICU --entry AICU-MIL --mode continuous --dose 0.1 \
    --dose-unit mcg/kg/min --weight-kg 70
line_is "soft low" 1 "SOFT ALERT (confirm with a reason to proceed): dose 0.1 mcg/kg/min is below the soft minimum 0.125 mcg/kg/min for milrinone 20 mg/100 mL in Adult ICU"

run "accept" 0 check --care-area ADULT_ICU --entry AICU-DOPA --mode continuous --dose 5 \
    --dose-unit mcg/kg/min --weight-kg 80
line_is "accept" 1 "ACCEPTED: DOPamine 400 mg/250 mL in Adult ICU"
line_is "accept: figures" 2 "rate 15 mL/h, volume —, duration —"

run "accept basic" 0 check --care-area ADULT_ICU --mode basic --rate-ml-h 150
line_is "accept basic" 1 "ACCEPTED without dose limits (basic infusion, no drug library protection)"
line_is "accept basic: figures" 2 "rate 150 mL/h, volume —, duration —"

run "basic above its maximum" 0 check --care-area MED_SURG --mode basic --rate-ml-h 300
line_is "basic above its maximum" 1 "HARD STOP: rate 300 mL/h is above the basic infusion maximum 250 mL/h for a basic infusion in Medical-Surgical"

run "titration" 0 check --care-area ADULT_ICU --entry AICU-DOPA --mode continuous --dose 12 \
    --dose-unit mcg/kg/min --weight-kg 80 --current-dose 5
line_is "titration" 1 "SOFT ALERT (confirm with a reason to proceed): dose 12 mcg/kg/min is more than +100% above the current 5 mcg/kg/min (limit 10) for DOPamine 400 mg/250 mL in Adult ICU"
line_is "titration: figures" 2 "rate 36 mL/h, volume —, duration —"

run "titration, exact at the bound (0.7 -> 1.05 at +50%)" 0 check --care-area PEDIATRICS \
    --entry PED-VASO --mode continuous --dose 1.05 --dose-unit milliunits/kg/min \
    --weight-kg 20 --current-dose 0.7
line_is "titration, exact at the bound" 1 "ACCEPTED: vasopressin 20 units/100 mL in Pediatrics (ward and PICU)"

run "other violations listed" 0 check --care-area ADULT_ICU --entry AICU-AMIO-LOAD \
    --mode intermittent --dose 150 --dose-unit mg --duration-min 8
line_is "other violations: decisive first" 1 "SOFT ALERT (confirm with a reason to proceed): dose rate 18.75 mg/min is above the soft maximum 15 mg/min for amiodarone 150 mg/100 mL (load) in Adult ICU"
line_is "other violations: then the rest" 2 "also soft alert: duration 8 min is below the soft minimum 10 min"
line_is "other violations: figures" 3 "rate 750 mL/h, volume 100 mL, duration 8 min"

run "volume over the container" 0 check --care-area NICU --entry NICU-CAFF --mode intermittent \
    --dose 27.5 --dose-unit mg/kg --weight-kg 4 --duration-min 30
out_has "volume over the container" "HARD STOP: "

run "figures rounded half up to 2 decimals" 0 check --care-area MED_SURG --entry MS-PIPTZ \
    --mode intermittent --dose 4.5 --dose-unit g --duration-min 360
line_is "figures rounded" 2 "rate 16.67 mL/h, volume 100 mL, duration 360 min"

run "PCA" 0 check --care-area MED_SURG --entry MS-FENT-PCA --mode pca --pca-dose 80 \
    --lockout-min 10
line_is "PCA" 1 "HARD STOP: PCA dose 80 mcg is above the hard maximum 60 mcg for fentaNYL PCA 500 mcg/50 mL in Medical-Surgical"
line_is "PCA: no rate" 2 "rate —, volume —, duration —"

# ---- invalid programs: judged (exit 0), NOT ACCEPTED with the reason in words ---------------
run "weight missing" 0 check --care-area ADULT_ICU --entry AICU-KET --mode continuous --dose 1 \
    --dose-unit mg/kg/h
line_is "weight missing" 1 "NOT ACCEPTED (invalid program): weight is required for a dose in mg/kg/h"
run "unit mismatch" 0 check --care-area ADULT_ICU --entry AICU-MIDAZ --mode continuous \
    --dose 5 --dose-unit mg/h --weight-kg 80
out_has "unit mismatch: names the entry's unit" "NOT ACCEPTED (invalid program): dose unit mg/h does not match mg/kg/h"
run "unknown unit" 0 check --care-area ADULT_ICU --entry AICU-MIDAZ --mode continuous \
    --dose 5 --dose-unit ug/kg/h --weight-kg 80
out_has "unknown unit" "NOT ACCEPTED (invalid program): "
run "rate below the care area minimum" 0 check --care-area NICU --entry NICU-DOPA \
    --mode continuous --dose 2.5 --dose-unit mcg/kg/min --weight-kg 0.5
line_is "rate below minimum" 1 "NOT ACCEPTED (invalid program): the computed rate 0.09375 mL/h is below the minimum rate 0.1 mL/h of Neonatal ICU (the pump cannot run that slowly)"
line_is "rate below minimum: figures" 2 "rate 0.09 mL/h, volume —, duration —"
run "entry of another care area" 0 check --care-area MED_SURG --entry AICU-NTG \
    --mode continuous --dose 50 --dose-unit mcg/min
line_is "entry of another care area" 1 "NOT ACCEPTED (invalid program): drug entry \"AICU-NTG\" (nitroglycerin 50 mg/250 mL (glass)) belongs to Adult ICU, not to Medical-Surgical"
run "unknown entry" 0 check --care-area ADULT_ICU --entry AICU-EPI --mode continuous \
    --dose 5 --dose-unit mcg/min
out_has "unknown entry: names the id and the care area" "\"AICU-EPI\" is not in this drug library for Adult ICU"
run "unknown care area" 0 check --care-area CARDIAC_ICU --entry AICU-DOPA --mode continuous \
    --dose 5 --dose-unit mcg/kg/min --weight-kg 80
out_has "unknown care area" "care area \"CARDIAC_ICU\" is not in this drug library"
run "basic not allowed" 0 check --care-area NICU --mode basic --rate-ml-h 2
line_is "basic not allowed" 1 "NOT ACCEPTED (invalid program): basic infusions (without a drug entry) are not allowed in Neonatal ICU"
run "both duration and rate" 0 check --care-area MED_SURG --entry MS-CEFAZ --mode intermittent \
    --dose 2 --dose-unit g --duration-min 30 --rate-ml-h 200
out_has "both duration and rate" "not both"

# Unusable numbers and non-positive values: REJECT_INVALID (input), never a usage error.
for d in nan NaN inf -inf Infinity 1e999 abc "" 0 -0 -5 0.0 1e-999 12345678901234567890 "5 "; do
    run "dose [$d]" 0 check --care-area MED_SURG --entry MS-HEP --mode continuous --dose "$d" \
        --dose-unit units/kg/h --weight-kg 80
    out_has "dose [$d]: human" "NOT ACCEPTED (invalid program): dose "
    run "dose [$d] --json" 0 check --care-area MED_SURG --entry MS-HEP --mode continuous \
        --dose "$d" --dose-unit units/kg/h --weight-kg 80 --json
    py_check "dose [$d] --json" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "REJECT_INVALID" and d["limit"] == "input", d
assert d["input"] == "dose" and d["reason"].startswith("dose "), d
v = d["violations"][0]
assert v["limit"] == "input" and v["outcome"] == "REJECT_INVALID", v
'
done
run "weight nan" 0 check --care-area ADULT_ICU --entry AICU-DOPA --mode continuous --dose 5 \
    --dose-unit mcg/kg/min --weight-kg nan
line_is "weight nan" 1 "NOT ACCEPTED (invalid program): weight is not a usable number (not a finite decimal number, or too many digits to judge exactly)"
run "weight zero" 0 check --care-area ADULT_ICU --entry AICU-DOPA --mode continuous --dose 5 \
    --dose-unit mcg/kg/min --weight-kg 0
line_is "weight zero" 1 "NOT ACCEPTED (invalid program): weight must be above zero (given: 0)"

# ---- --json ---------------------------------------------------------------------------------
run "json soft high" 0 check --care-area ADULT_ICU --entry AICU-NTG --mode continuous \
    --dose 300 --dose-unit mcg/min --json
line_is "json soft high: exact text" 1 '{"outcome": "SOFT_HIGH", "limit": "dose", "violations": [{"limit": "dose", "outcome": "SOFT_HIGH", "value": 300, "bound": 200, "unit": "mcg/min"}], "rate_ml_h": 90, "volume_ml": null, "duration_min": null}'
run "json accept" 0 check --care-area ADULT_ICU --entry AICU-DOPA --mode continuous --dose 5 \
    --dose-unit mcg/kg/min --weight-kg 80 --json
line_is "json accept: exact text" 1 '{"outcome": "ACCEPT", "limit": null, "violations": [], "rate_ml_h": 15, "volume_ml": null, "duration_min": null}'
run "json basic" 0 check --care-area ADULT_ICU --mode basic --rate-ml-h 150 --json
py_check "json basic: no_ders" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "ACCEPT" and d["limit"] == "no_ders" and d["rate_ml_h"] == 150, d
'
run "json invalid: rate below minimum" 0 check --care-area NICU --entry NICU-DOPA \
    --mode continuous --dose 2.5 --dose-unit mcg/kg/min --weight-kg 0.5 --json
line_is "json rate below minimum: exact, full precision" 1 '{"outcome": "REJECT_INVALID", "limit": "input", "reason": "the computed rate 0.09375 mL/h is below the minimum rate 0.1 mL/h of Neonatal ICU (the pump cannot run that slowly)", "input": "rate_ml_h", "violations": [{"limit": "input", "outcome": "REJECT_INVALID", "value": 0.09375, "bound": 0.1, "unit": "mL/h"}], "rate_ml_h": 0.09375, "volume_ml": null, "duration_min": null}'
run "json invalid: weight missing" 0 check --care-area ADULT_ICU --entry AICU-KET \
    --mode continuous --dose 1 --dose-unit mg/kg/h --json
py_check "json invalid: weight missing" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "REJECT_INVALID" and d["limit"] == "input", d
assert d["reason"] == "weight is required for a dose in mg/kg/h", d
assert d["input"] == "weight_kg", d
assert d["violations"][0] == {"limit": "input", "outcome": "REJECT_INVALID", "value": None,
                              "bound": None, "unit": None}, d
assert d["rate_ml_h"] is None, d
'
run "json invalid: entry" 0 check --care-area MED_SURG --entry AICU-NTG --mode continuous \
    --dose 50 --dose-unit mcg/min --json
py_check "json invalid: entry" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "REJECT_INVALID" and d["limit"] == "entry", d
assert d["violations"][0]["limit"] == "entry", d
assert "AICU-NTG" in d["reason"] and "Medical-Surgical" in d["reason"], d
'
run "json invalid: zero dose" 0 check --care-area MED_SURG --entry MS-HEP --mode continuous \
    --dose 0 --dose-unit units/kg/h --weight-kg 80 --json
py_check "json invalid: zero dose value" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["violations"][0] == {"limit": "input", "outcome": "REJECT_INVALID", "value": 0,
                              "bound": None, "unit": "units/kg/h"}, d
'
# Full precision, never through a double: 15 mmol/250 mL makes thirds.
run "json exact figures" 0 check --care-area MED_SURG --entry MS-KPHOS --mode intermittent \
    --dose 10 --dose-unit mmol --duration-min 240 --json
out_has "json exact: rate to 12 decimals" '"rate_ml_h": 41.666666666667'
out_has "json exact: volume to 12 decimals" '"volume_ml": 166.666666666667'
run "human figures of the same" 0 check --care-area MED_SURG --entry MS-KPHOS \
    --mode intermittent --dose 10 --dose-unit mmol --duration-min 240
line_is "human figures of the same" 2 "rate 41.67 mL/h, volume 166.67 mL, duration 240 min"
# Decimal inputs stay exact: 0.1 + 0.2 style values print as typed.
run "json exact decimals" 0 check --care-area ADULT_ICU --entry AICU-MIL --mode continuous \
    --dose 0.3 --dose-unit mcg/kg/min --weight-kg 70.1 --json
out_has "json exact decimals: rate" '"rate_ml_h": 6.309'
run "json several violations" 0 check --care-area NICU --entry NICU-DOPA --mode continuous \
    --dose 20 --dose-unit mcg/kg/min --weight-kg 7
py_check "human several violations" '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines[0].startswith("HARD STOP: rate 10.5 mL/h is above the drug"), lines
assert "also soft alert: weight 7 kg is above the soft maximum 6 kg" in lines, lines
assert "also soft alert: dose 20 mcg/kg/min is above the soft maximum 15 mcg/kg/min" in lines, lines
'

# ---- the example library ----------------------------------------------------------------------
run "example: custom concentration" 0 echeck --care-area GENERAL_WARD --entry GH-WARD-VANC \
    --mode intermittent --dose 15 --dose-unit mg/kg --weight-kg 80 --duration-min 120 \
    --conc-amount 1250 --conc-unit mg --conc-volume-ml 250
line_is "example: custom concentration" 1 "ACCEPTED: vancomycin (pharmacy-prepared, custom volume) in General Medical Ward"
line_is "example: custom concentration figures" 2 "rate 120 mL/h, volume 240 mL, duration 120 min"
run "example: custom concentration missing" 0 echeck --care-area GENERAL_WARD \
    --entry GH-WARD-VANC --mode intermittent --dose 15 --dose-unit mg/kg --weight-kg 80 \
    --duration-min 120
out_has "example: custom concentration missing" "a concentration is required"
run "example: concentration unit missing" 0 echeck --care-area GENERAL_WARD \
    --entry GH-WARD-VANC --mode intermittent --dose 15 --dose-unit mg/kg --weight-kg 80 \
    --duration-min 120 --conc-amount 1250 --conc-volume-ml 250
out_has "example: concentration unit missing" "NOT ACCEPTED (invalid program): "
run "example: fluid titration" 0 echeck --care-area PEDIATRICS --entry GH-PED-D5 --mode fluid \
    --dose 70 --dose-unit mL/h --current-dose 40
line_is "example: fluid titration" 1 "SOFT ALERT (confirm with a reason to proceed): rate 70 mL/h is more than +50% above the current 40 mL/h (limit 60) for dextrose 5% 500 mL in Children's Ward"

finish
