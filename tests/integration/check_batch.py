"""check_batch.py INPUT.jsonl RESULTS.jsonl - compare infusionctl batch results with the input.

Walks INPUT line by line, as infusionctl does: a blank line has no result; a line that is a
JSON object with an "expect" member (sample-programs.jsonl format) must have a result whose
outcome and limit equal the expectation and whose rate_ml_h is within 0.005 of it (unless the
expectation is null); any other line must have {"error": "line N: ..."} with N its line number.
Results must come in input order, one per line, and there must be no extra ones.
Exit 0 when everything matches, 1 otherwise (every mismatch is printed).
"""
import json
import sys


def expected_results(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and "expect" in obj:
                yield n, obj["expect"]
            else:
                yield n, None


def check_one(n, expect, result):
    if expect is None:
        err = result.get("error")
        if not isinstance(err, str) or not err.startswith("line %d: " % n):
            return "line %d: expected an error object, got %r" % (n, result)
        return None
    problems = []
    for key in ("outcome", "limit"):
        if result.get(key) != expect[key]:
            problems.append("%s %r, expected %r" % (key, result.get(key), expect[key]))
    want = expect.get("rate_ml_h")
    got = result.get("rate_ml_h")
    if want is not None and (not isinstance(got, (int, float)) or abs(got - want) > 0.005 + 1e-9):
        problems.append("rate_ml_h %r, expected %r" % (got, want))
    for key in ("violations", "volume_ml", "duration_min"):
        if key not in result:
            problems.append("no %s" % key)
    if problems:
        return "line %d: %s" % (n, "; ".join(problems))
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with open(sys.argv[2], encoding="utf-8") as f:
        results = f.read().splitlines()
    failures = []
    count = 0
    for i, (n, expect) in enumerate(expected_results(sys.argv[1])):
        count += 1
        if i >= len(results):
            failures.append("line %d: no result (only %d results)" % (n, len(results)))
            break
        try:
            result = json.loads(results[i])
        except ValueError:
            failures.append("result %d is not JSON: %r" % (i + 1, results[i]))
            continue
        if not isinstance(result, dict):
            failures.append("result %d is not an object" % (i + 1))
            continue
        problem = check_one(n, expect, result)
        if problem:
            failures.append(problem)
    if len(results) != count:
        failures.append("%d results for %d non-blank lines" % (len(results), count))
    for problem in failures:
        print(problem)
    print("%d lines checked, %d problems" % (count, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
