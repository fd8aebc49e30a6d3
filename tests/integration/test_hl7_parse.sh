#!/bin/sh
# test_hl7_parse.sh - infusionctl hl7 parse: listing, --json tree, several messages per file
# (blank lines, MLLP frames, back-to-back MSH), malformed messages (exit 1, position named),
# unusable input (exit 2), and the hl7 dispatcher's help.
. "$(dirname "$0")/lib.sh"

DATA="$SHARED/data/hl7"
PCD01="$DATA/pcd01_ihetf_philips_physio_monitor.hl7"
HANG="$DATA/robust_fuzz_nhapi_hang1.hl7"
FIX="$ROOT/tests/data/hl7/parse"

# ---- dispatcher ---------------------------------------------------------------------------------
run "hl7 --help" 0 "$CTL" hl7 --help
out_has "hl7 --help parse" "parse FILE"
out_has "hl7 --help validate" "validate"
out_has "hl7 --help send" "send"
out_has "hl7 --help listen" "listen"
run "hl7 unknown" 2 "$CTL" hl7 frobnicate
err_has "hl7 unknown" "unknown command"
run "hl7 alone" 2 "$CTL" hl7
run "main help lists hl7" 0 "$CTL" --help
out_has "main help lists hl7" "hl7 parse"
run "parse --help" 0 "$CTL" hl7 parse --help
out_has "parse --help" "exit status"
run "parse without file" 2 "$CTL" hl7 parse
run "parse bad flag" 2 "$CTL" hl7 parse --nope "$FIX/term_cr.hl7"

# ---- one message, listing -----------------------------------------------------------------------
run "parse term_cr" 0 "$CTL" hl7 parse "$FIX/term_cr.hl7"
line_is "parse term_cr header" 1 "message 1: ORU^R01^ORU_R01 MSG0001, 4 segments"
line_is "parse term_cr MSH" 2 "MSH"
line_is "parse term_cr MSH-1" 3 "  MSH-1: |"
line_is "parse term_cr MSH-2" 4 "  MSH-2: ^~\\&"
line_is "parse term_cr MSH-3" 5 "  MSH-3: SND"
out_has "parse term_cr components" "  MSH-9.2: R01"
out_has "parse term_cr repetitions" "  PID-3(2).1: 67890"
out_has "parse term_cr name" "  PID-5.1: Hon"
out_has "parse term_cr null" '  PID-5.3: "" (null)'
out_lacks "parse term_cr no empty PID-5.4" "PID-5.4"
out_has "parse term_cr summary" "1 message, 0 malformed"
is_empty "parse term_cr stderr" "$ERR"
for t in crlf lf none_final mixed; do
    run "parse term_$t" 0 "$CTL" hl7 parse "$FIX/term_$t.hl7"
    out_has "parse term_$t name" "  PID-5.1: Hon"
    out_has "parse term_$t OBX" "  OBX-5: 15.4"
done
run "parse escapes" 0 "$CTL" hl7 parse "$FIX/escape_back_to_back.hl7"
out_has "parse escapes decoded" "  ERR-1: ^^^NONEXISTING"
out_has "parse escapes decoded 2" "  ERR-2: ^^^&1.2.3.4&ISO"
out_has "parse escapes decoded 3" "  ERR-3: a|b~c\\d"
run "parse hex" 0 "$CTL" hl7 parse "$FIX/escape_hex.hl7"
out_has "parse hex CR LF shown escaped" "  NTE-3: line1\\x0D\\x0Aline2"
run "parse formatting" 0 "$CTL" hl7 parse "$FIX/escape_formatting_kept.hl7"
out_has "parse formatting kept" "\\H\\Alert\\N\\ line\\.br\\next"
run "parse subcomponents" 0 "$CTL" hl7 parse "$FIX/custom_delimiters.hl7"
out_has "parse custom delimiters" "  PID-3(1).4.2: B"
out_has "parse custom escape" "  PID-5.2: John@Jr"
if [ -f "$PCD01" ]; then
    run "parse shared PCD-01" 0 "$CTL" hl7 parse "$PCD01"
    out_has "parse shared PCD-01" "  PID-5.1: Hon"
    out_has "parse shared PCD-01 null" '  PID-5.3: "" (null)'
    out_has "parse shared PCD-01 OBX" "  OBX-5: 117"
fi

# ---- --json -------------------------------------------------------------------------------------
run "parse --json" 0 "$CTL" hl7 parse --json "$FIX/null_vs_empty.hl7"
py_check "parse --json tree" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["usable"] is True and d["parsed"] == 1 and d["malformed"] == 0, d
m = d["messages"][0]
assert m["ok"] is True and m["index"] == 1 and m["offset"] == 0, m
segs = m["segments"]
assert [s["id"] for s in segs] == ["MSH", "PID"], segs
msh = segs[0]["fields"]
assert msh[0] == [[["|"]]] and msh[1] == [[["^~\\&"]]] and msh[2] == [[["SND"]]], msh[:3]
assert msh[8] == [[["ORU"], ["R01"], ["ORU_R01"]]], msh[8]
pid = segs[1]["fields"]
assert pid[0] == [[["1"]]], pid[0]
assert pid[1] == [[[None]]], pid[1]          # "" is null
assert pid[2] == [], pid[2]                  # empty field: no repetition
assert pid[3] == [[["Hon"], [None], [""], [""], [None]]], pid[3]
assert pid[4] == [[[None]], [[""]]], pid[4]  # ""~ : null, then an empty repetition
assert pid[5] == [[["a", None, "b"]]], pid[5]
'
run "parse --json escapes and binary" 0 "$CTL" hl7 parse --json "$FIX/binary_bytes.hl7"
py_check "parse --json binary" '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["messages"][0]["segments"][1]["fields"]
assert f[2] == [[["a\u0000b\u0001\ufffd\u007f\u000bc"]]], f[2]
assert f[3] == [[["\u00e9t\u00e9"]]], f[3]
'

# ---- several messages in one file -------------------------------------------------------------
GOOD=$(cat "$FIX/term_cr.hl7")
{ printf '%s\r\n' "$GOOD"; printf '\r\n'; cat "$FIX/escape_unterminated.hl7"; printf '\n\n'; cat "$FIX/term_lf.hl7"; } >"$TMP/three.hl7"
run "parse three blank-separated" 1 "$CTL" hl7 parse "$TMP/three.hl7"
out_has "three: first" "message 1: ORU^R01^ORU_R01 MSG0001"
out_has "three: second malformed" "message 2: malformed: segment 2 (NTE), field 3, byte "
out_has "three: third" "message 3: ORU^R01^ORU_R01 MSG0001"
out_has "three: summary" "3 messages, 1 malformed"
run "parse three --json" 1 "$CTL" hl7 parse --json "$TMP/three.hl7"
py_check "three --json" '
import json, sys
d = json.load(open(sys.argv[1]))
ms = d["messages"]
assert len(ms) == 3 and d["parsed"] == 2 and d["malformed"] == 1, d
e = ms[1]["error"]
assert ms[1]["ok"] is False and e["segment"] == 2 and e["segment_id"] == "NTE" and e["field"] == 3, e
raw = open(sys.argv[2], "rb").read()
assert raw[e["file_offset"]:e["file_offset"] + 3] == b"\\E ", raw[e["file_offset"]:e["file_offset"] + 8]
assert raw[ms[1]["offset"] + e["offset"]] == ord("\\")
' "$TMP/three.hl7"
# back to back: a line starting with MSH begins the next message
{ cat "$FIX/term_cr.hl7"; cat "$FIX/term_cr.hl7"; } >"$TMP/b2b.hl7"
run "parse back-to-back MSH" 0 "$CTL" hl7 parse "$TMP/b2b.hl7"
out_has "back-to-back" "2 messages, 0 malformed"
# MLLP frames with junk between them
{ printf 'junk'; printf '\013'; cat "$FIX/term_cr.hl7"; printf '\034\r\r\n'; printf '\013'; cat "$FIX/msh2_five_chars.hl7"; printf '\034\r'; } >"$TMP/framed.hl7"
run "parse MLLP frames" 0 "$CTL" hl7 parse "$TMP/framed.hl7"
out_has "framed: two" "2 messages, 0 malformed"
out_has "framed: truncation char" "  NTE-3: Dose #1 of 2 \\ done"
run "parse MLLP frames --json" 0 "$CTL" hl7 parse --json "$TMP/framed.hl7"
py_check "framed --json offsets" '
import json, sys
d = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
for m in d["messages"]:
    assert raw[m["offset"]:m["offset"] + 3] == b"MSH", m["offset"]
' "$TMP/framed.hl7"

# ---- malformed single messages (exit 1) ---------------------------------------------------------
run "parse hang1" 1 "$CTL" hl7 parse "$FIX/msh2_caret_only.hl7"
out_has "hang1" "message 1: malformed: segment 1 (MSH), field 2, byte 4"
if [ -f "$HANG" ]; then
    run "parse shared hang1" 1 "$CTL" hl7 parse "$HANG"
    out_has "shared hang1" "field 2"
fi
run "parse as-printed" 1 "$CTL" hl7 parse "$FIX/hard_wrapped_asprinted.hl7"
out_has "as-printed names segment 4" "segment 4, field 0, byte "
# blank lines separate messages in a file (inside one message the library skips them)
run "parse empty lines split" 1 "$CTL" hl7 parse "$FIX/term_empty_lines.hl7"
out_has "empty lines split" "4 messages, 3 malformed"
run "parse second MSH in frame" 1 "$CTL" hl7 parse "$FIX/no_msh.hl7"
out_has "no MSH" "does not start with an MSH segment"

# ---- unusable input (exit 2) ----------------------------------------------------------------------
run "parse missing file" 2 "$CTL" hl7 parse "$TMP/nope.hl7"
err_has "missing file" "nope.hl7"
: >"$TMP/empty.hl7"
run "parse empty file" 2 "$CTL" hl7 parse "$TMP/empty.hl7"
err_has "empty file" "no HL7 message"
printf '\r\n  \n\n' >"$TMP/blank.hl7"
run "parse blank file" 2 "$CTL" hl7 parse "$TMP/blank.hl7"
run "parse blank file --json" 2 "$CTL" hl7 parse --json "$TMP/blank.hl7"
py_check "blank --json" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["usable"] is False and d["messages"] == [], d
'
finish
