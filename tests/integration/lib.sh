# lib.sh - helpers shared by the integration tests (POSIX sh); sourced by every test_*.sh.
#
# Each test script is run by CTest as:  sh test_X.sh INFUSIONCTL REPO_ROOT SHARED_DIR [BUILD_DIR]
# It prints one "FAIL: ..." line per failed check, then "N passed, M failed", and exits non-zero
# when any check failed (77, which CTest reports as skipped, when the shared sample data it
# needs is not there).
set -u

if [ $# -lt 3 ]; then
    echo "usage: $0 INFUSIONCTL REPO_ROOT SHARED_DIR [BUILD_DIR]" >&2
    exit 2
fi
CTL=$1
ROOT=$2
SHARED=$3
BUILD=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
EXAMPLE="$ROOT/examples/general-hospital.json"
EXAMPLE_PROGRAMS="$ROOT/examples/programs.jsonl"
SAMPLE="$SHARED/data/druglib/sample-library.json"
SAMPLE_PROGRAMS="$SHARED/data/druglib/sample-programs.jsonl"

if [ ! -x "$CTL" ]; then
    echo "FAIL: $CTL is not an executable"
    exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oi-it.XXXXXX") || exit 1
# A script that starts background servers adds each one's PID to PIDS: on exit they are
# stopped by PID and $TMP is removed (KEEP_TMP=DIR keeps a copy of it there, for debugging).
PIDS=""
cleanup() {
    [ -n "${KEEP_TMP:-}" ] && { cp -r "$TMP" "$KEEP_TMP" 2>/dev/null; }
    for p in $PIDS; do
        kill "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
OUT="$TMP/out"
ERR="$TMP/err"
n_pass=0
n_fail=0

pass() { n_pass=$((n_pass + 1)); }
fail() { n_fail=$((n_fail + 1)); printf 'FAIL: %s\n' "$*"; }
show_io() {
    sed 's/^/    stdout| /' "$OUT" | head -n 15
    sed 's/^/    stderr| /' "$ERR" | head -n 15
}

# run NAME STATUS CMD...: run CMD with stdout in $OUT and stderr in $ERR; the exit status must be
# STATUS, and no sanitizer may have reported anything (a leak can exit 1 like a real result).
run() {
    _name=$1
    _want=$2
    shift 2
    "$@" >"$OUT" 2>"$ERR"
    _got=$?
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$ERR"; then
        fail "$_name: sanitizer report"
        show_io
        return 1
    fi
    if [ "$_got" -ne "$_want" ]; then
        fail "$_name: exit status $_got, expected $_want"
        show_io
        return 1
    fi
    pass
    return 0
}

# Fixed-string checks on the last run's output.
has_in() {
    if grep -F -q -e "$3" "$2"; then
        pass
    else
        fail "$1: '$3' not found"
        show_io
    fi
}
out_has() { has_in "$1" "$OUT" "$2"; }
err_has() { has_in "$1" "$ERR" "$2"; }
out_lacks() {
    if grep -F -q -e "$2" "$OUT"; then
        fail "$1: unexpected '$2'"
        show_io
    else
        pass
    fi
}
# line_is NAME N TEXT: line N of stdout is exactly TEXT.
line_is() {
    _line=$(sed -n "${2}p" "$OUT")
    if [ "$_line" = "$3" ]; then
        pass
    else
        fail "$1: line $2 is '$_line', expected '$3'"
    fi
}
is_empty() {
    if [ -s "$2" ]; then
        fail "$1: $2 is not empty"
        show_io
    else
        pass
    fi
}
# py_check NAME CODE [ARG...]: python3 -c CODE with the last run's stdout file as argv[1]; the
# check passes when the script exits 0 (use assert). $OUT is left untouched.
py_check() {
    _name=$1
    _code=$2
    shift 2
    if python3 -c "$_code" "$OUT" "$@" >"$TMP/py" 2>&1; then
        pass
    else
        fail "$_name"
        sed 's/^/    python| /' "$TMP/py" | tail -n 5
        show_io
    fi
}
need_shared() {
    if [ ! -f "$SAMPLE" ] || [ ! -f "$SAMPLE_PROGRAMS" ]; then
        echo "SKIP: shared sample data not found under $SHARED"
        exit 77
    fi
}
finish() {
    printf '%d passed, %d failed\n' "$n_pass" "$n_fail"
    [ "$n_fail" -eq 0 ]
}
