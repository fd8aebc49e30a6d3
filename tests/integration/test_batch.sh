#!/bin/sh
# test_batch.sh - infusionctl ders check --batch: results per line, in order, errors in place.
. "$(dirname "$0")/lib.sh"
need_shared

batch_check() { # NAME INPUT: the results in $OUT must match INPUT (check_batch.py)
    if python3 "$HERE/check_batch.py" "$2" "$OUT" >"$TMP/py" 2>&1; then
        pass
    else
        fail "$1"
        sed 's/^/    check_batch| /' "$TMP/py" | tail -n 20
    fi
}

# Every line of the shared sample: outcome, limit and rate as expected.
run "sample programs" 0 "$CTL" ders check --library "$SAMPLE" --batch "$SAMPLE_PROGRAMS"
batch_check "sample programs" "$SAMPLE_PROGRAMS"
is_empty "sample programs (stderr)" "$ERR"
# --json is accepted (batch output is always JSON) and changes nothing.
cp "$OUT" "$TMP/plain"
run "sample programs --json" 0 "$CTL" ders check --library "$SAMPLE" --batch "$SAMPLE_PROGRAMS" \
    --json
if cmp -s "$OUT" "$TMP/plain"; then pass; else fail "--json changes the batch output"; fi

# Our own example programs against our own example library.
run "example programs" 0 "$CTL" ders check --library "$EXAMPLE" --batch "$EXAMPLE_PROGRAMS"
batch_check "example programs" "$EXAMPLE_PROGRAMS"
# Every outcome appears in the examples.
py_check "example programs: every outcome" '
import json, sys
seen = {json.loads(l)["outcome"] for l in open(sys.argv[1])}
want = {"ACCEPT", "SOFT_LOW", "SOFT_HIGH", "HARD_LOW", "HARD_HIGH", "REJECT_INVALID"}
assert seen == want, seen
'

# Bare program objects (no "program" key) work too.
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    print(json.dumps(json.loads(line)["program"]))
' "$SAMPLE_PROGRAMS" >"$TMP/bare.jsonl"
run "bare programs" 0 "$CTL" ders check --library "$SAMPLE" --batch "$TMP/bare.jsonl"
if python3 -c '
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
assert got == ref, "bare and wrapped programs differ"
' "$OUT" "$TMP/plain" >"$TMP/py" 2>&1; then pass; else fail "bare programs"; cat "$TMP/py"; fi

# Malformed lines in the middle: an {"error": "line N: ..."} each, and the rest continues.
mixed="$TMP/mixed.jsonl"
{
    sed -n '1,10p' "$SAMPLE_PROGRAMS"
    echo '{"program": {"care_area": "ADULT_ICU", "mode": "continuous", "dose": 5,'
    echo '[1, 2, 3]'
    echo '{"program": 5}'
    echo '{"care_area": "ADULT_ICU", "mode": "warp", "rate_ml_h": 10}'
    echo '{"care_area": "ADULT_ICU", "mode": "basic", "rate_ml_h": "fast"}'
    echo '{"care_area": "ADULT_ICU", "mode": "basic", "rate_ml_h": 10, "colour": "red"}'
    echo '{"care_area": "ADULT_ICU", "mode": "basic", "rate_ml_h": 10, "rate_ml_h": 900}'
    echo '{"care_area": "ADULT_ICU", "mode": "basic"} trailing'
    echo 'null'
    echo
    printf '   \t \r\n'
    sed -n '11,53p' "$SAMPLE_PROGRAMS"
} >"$mixed"
run "malformed lines" 0 "$CTL" ders check --library "$SAMPLE" --batch "$mixed"
batch_check "malformed lines" "$mixed"
line_is "malformed line: not JSON, with the column" 11 \
    "$(sed -n 11p "$OUT" | grep -F '{"error": "line 11: not JSON (column ')"
py_check "malformed lines: 10 + 9 errors + 43 results, blank lines silent" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 62, len(rows)
errors = [r["error"] for r in rows if "error" in r]
assert [e.split(":")[0] for e in errors] == ["line %d" % n for n in range(11, 20)], errors
'

# stdin with "--batch -".
run "batch from stdin" 0 sh -c '"$0" ders check --library "$1" --batch - <"$2"' "$CTL" \
    "$SAMPLE" "$SAMPLE_PROGRAMS"
batch_check "batch from stdin" "$SAMPLE_PROGRAMS"

# Lines of any length: a program padded to 3 MB, and a 3 MB line of garbage.
python3 -c '
import sys
pad = " " * (3 * 1024 * 1024)
print("{\"care_area\": \"ADULT_ICU\",%s \"mode\": \"basic\", \"rate_ml_h\": 10}" % pad)
print("x" * (3 * 1024 * 1024))
print("{\"care_area\": \"ADULT_ICU\", \"mode\": \"basic\", \"rate_ml_h\": 20}")
' >"$TMP/long.jsonl"
run "long lines" 0 "$CTL" ders check --library "$SAMPLE" --batch "$TMP/long.jsonl"
py_check "long lines" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
assert rows[0]["outcome"] == "ACCEPT" and rows[0]["rate_ml_h"] == 10, rows[0]
assert rows[1]["error"].startswith("line 2: "), rows[1]
assert rows[2]["outcome"] == "ACCEPT" and rows[2]["rate_ml_h"] == 20, rows[2]
'
# A last line without a newline is still judged; an empty file gives no output.
printf '{"care_area": "ADULT_ICU", "mode": "basic", "rate_ml_h": 12}' >"$TMP/nonl.jsonl"
run "last line without newline" 0 "$CTL" ders check --library "$SAMPLE" --batch "$TMP/nonl.jsonl"
out_has "last line without newline" '"rate_ml_h": 12,'
: >"$TMP/empty.jsonl"
run "empty batch" 0 "$CTL" ders check --library "$SAMPLE" --batch "$TMP/empty.jsonl"
is_empty "empty batch" "$OUT"

# Results are flushed one by one (a pump or a server may wait for each).
if python3 "$HERE/check_stream.py" "$CTL" "$SAMPLE" "$SAMPLE_PROGRAMS" >"$TMP/py" 2>&1; then
    pass
else
    fail "results stream line by line"
    cat "$TMP/py"
fi

finish
