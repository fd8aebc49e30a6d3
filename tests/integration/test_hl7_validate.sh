#!/bin/sh
# test_hl7_validate.sh - infusionctl hl7 validate: IHE PCD conformance problems and exit statuses
# (0 no errors, 1 errors, 2 unusable input), profile guessing from MSH-9, several messages in one
# file (blank-line separated and MLLP framed), the shared public samples.
. "$(dirname "$0")/lib.sh"

PCD="$ROOT/tests/data/hl7/pcd"
HL7="$SHARED/data/hl7"

run "help" 0 "$CTL" hl7 validate --help
out_has "help" "usage: infusionctl hl7 validate FILE"
out_has "help: profiles" "pcd-01, pcd-03, pcd-04, pcd-05, pcd-10"
run "hl7 --help lists validate as available" 0 "$CTL" hl7 --help
out_has "hl7 --help" "validate FILE"
if grep -F 'validate' "$OUT" | grep -q -F 'not yet available'; then
    fail "hl7 --help: validate is marked not available"
else
    pass
fi

# Valid messages of every profile: exit 0, the profile guessed from MSH-9.
for f in pcd03_ok_dopamine_dose_rate:pcd-03 pcd01_ok_pump_status:pcd-01 \
    pcd10_ok_delivery_start:pcd-10 pcd04_ok_occlusion_start:pcd-04 pcd05_ok_accepted:pcd-05 \
    ack_o15_ok_ca:ack rrg_o16_ok_ar_9010:rrg-o16; do
    name=${f%%:*}
    prof=${f#*:}
    run "valid $name" 0 "$CTL" hl7 validate "$PCD/$name.hl7"
    out_has "valid $name: profile" "$prof, 0 errors"
done

# Errors: exit 1, one line per problem with location, HL7 code and PIV code.
run "XO with VTBI" 1 "$CTL" hl7 validate "$PCD/pcd03_bad_xo_with_vtbi.hl7"
out_has "XO with VTBI: RXG-5 PIV 9004" "RXG-5"
out_has "XO with VTBI: PIV code" "PIV=9004"
run "weight missing" 1 "$CTL" hl7 validate "$PCD/pcd03_bad_weight_missing.hl7"
out_has "weight missing: 9019" "PIV=9019"
run "duplicate OBX-4" 1 "$CTL" hl7 validate "$PCD/pcd01_bad_duplicate_obx4.hl7"
out_has "duplicate OBX-4" "0357=205"
run "two alerts" 1 "$CTL" hl7 validate "$PCD/pcd04_bad_two_alerts.hl7"
out_has "two alerts" "a second alert in one message"

# Warnings alone do not fail: the legacy forms of the TF's examples.
run "legacy forms" 0 "$CTL" hl7 validate "$PCD/pcd03_ok_legacy_forms.hl7"
out_has "legacy forms: warning" "warning OBX-18.3"

# --profile overrides the guess: an ORU^R42 checked as PCD-01 is wrong.
run "explicit profile mismatch" 1 "$CTL" hl7 validate "$PCD/pcd10_ok_delivery_start.hl7" --profile pcd-01
out_has "explicit profile mismatch" "MSH-9 is not ORU^R01"
run "explicit profile match" 0 "$CTL" hl7 validate --profile pcd-10 "$PCD/pcd10_ok_delivery_start.hl7"

# Usage errors and unusable input: exit 2.
run "no FILE" 2 "$CTL" hl7 validate
run "unknown profile" 2 "$CTL" hl7 validate "$PCD/pcd01_ok_pump_status.hl7" --profile pcd-99
err_has "unknown profile" "unknown profile pcd-99"
run "missing file" 2 "$CTL" hl7 validate "$TMP/nope.hl7"
: >"$TMP/empty.hl7"
run "empty file" 2 "$CTL" hl7 validate "$TMP/empty.hl7"

# Several messages in one file: blank-line separated, then MLLP framed; one bad one -> exit 1.
{
    cat "$PCD/pcd03_ok_dopamine_dose_rate.hl7"
    printf '\n'
    cat "$PCD/pcd01_ok_pump_status.hl7"
} >"$TMP/two.hl7"
run "two valid messages" 0 "$CTL" hl7 validate "$TMP/two.hl7"
out_has "two valid messages" "2 messages: 0 with errors"
{
    printf '\013'; cat "$PCD/pcd04_ok_occlusion_start.hl7"; printf '\034\015'
    printf '\013'; cat "$PCD/pcd03_bad_orc2_empty.hl7"; printf '\034\015'
} >"$TMP/framed.hl7"
run "MLLP framed, one bad" 1 "$CTL" hl7 validate "$TMP/framed.hl7"
out_has "MLLP framed" "2 messages: 1 with errors"
out_has "MLLP framed: the bad one" "ORC-2"

# The shared public samples (skipped when the shared folder is not there).
if [ -d "$HL7" ]; then
    run "TF saline example" 1 "$CTL" hl7 validate "$HL7/pcd03_ihetf_ex2_saline_rgv_o15.hl7"
    out_has "TF saline example: ORC-9" "ORC-9"
    out_has "TF saline example: legacy pump id accepted" "deprecated pump id form"
    run "TF ACK with empty MSA-2" 1 "$CTL" hl7 validate "$HL7/pcd03_ihetf_ex2_ack_o15_CA_msa2_empty.hl7"
    out_has "TF ACK with empty MSA-2" "MSA-2 is empty (required: the control id being acknowledged)"
    run "IPEC delivery start" 0 "$CTL" hl7 validate "$HL7/pcd10_ihetf_ipec_delivery_start.hl7"
    run "occlusion alarm" 0 "$CTL" hl7 validate "$HL7/pcd04_ihetf_pump_occlusion_start.joined.hl7"
    out_has "occlusion alarm: legacy OBX-8" "deprecated"
    run "Philips monitor without offsets" 1 "$CTL" hl7 validate "$HL7/pcd01_ihetf_philips_physio_monitor.hl7"
    out_has "Philips: OBR-7" "has no UTC offset"
    run "nHapi hang input" 1 "$CTL" hl7 validate "$HL7/robust_fuzz_nhapi_hang1.hl7"
    out_has "nHapi hang input" "malformed"
    run "ADT is not PCD" 2 "$CTL" hl7 validate "$HL7/robust_hapi_adt_a03_repetitions.hl7"
    out_has "ADT is not PCD" "not an IHE PCD message"
fi

finish
