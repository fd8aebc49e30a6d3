#!/bin/sh
# test_infusiond_resilience.sh - nothing lost, nothing documented twice, under load and failures:
#   - kill -9 of infusiond at random moments while pumps report and orders arrive, then restart;
#   - the broker killed and restarted: pumps reconnect and resend;
#   - the EHR listener down for a while: the outbox keeps the messages and drains them in order.
# Afterwards: every pump's events are stored with no gap and no duplicate, every outbox message was
# acknowledged, each documented message reached the EHR under one MSH-10 only, in the outbox's
# order per destination.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
. "$(dirname "$0")/infusiond_lib.sh"
need_broker
sys_binaries
# OI_RESILIENCE_OUTAGE_S: how long the EHR stays down (CI keeps it short; the property is the
# same for minutes).
OUTAGE_S=${OI_RESILIENCE_OUTAGE_S:-15}

broker_start || exit 1
ehr_start || exit 1
srv_start --pcd01-period-s 5 || exit 1
fleet_start fleet --count 12 --care-areas ADULT_ICU,GENERAL_WARD --pump-prefix SIM- \
    --patients MRN- --auto-confirm --confirm-delay-s 1 --fault-rate 400 --fault-clear-s 4 \
    --resend-s 2 --heartbeat-s 2 --seed 11 --stats-s 0
wait_for "pumps online" "$TMP/srv.1.log" "pump SIM-0012 online" 1 30 || exit 1
"$EHRSIM" --server "127.0.0.1:$MLLP_PORT" --pump-prefix SIM- --pump-count 12 --patients MRN- \
    --library "$EXAMPLE" --care-areas ADULT_ICU,GENERAL_WARD --generate 100000 --rate 4 \
    --hard-ratio 0.1 --seed 5 --quiet >"$TMP/orders.out" 2>"$TMP/orders.err" &
ORDERS_PID=$!
PIDS="$PIDS $ORDERS_PID"

rand() { # a whole number in [$1, $2]
    python3 -c 'import random, sys; print(random.randint(int(sys.argv[1]), int(sys.argv[2])))' "$1" "$2"
}

# kill -9 at random moments, three times.
for k in 1 2 3; do
    sleep "$(rand 2 5)"
    kill -9 "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    sleep 0.5
    srv_start --pcd01-period-s 5 || exit 1
done
wait_for "events after the restarts" "$TMP/srv.$SRV_N.log" "online" 1 30

# The broker goes away and comes back.
sleep 3
broker_kill
sleep 1
broker_start || exit 1
wait_for "infusiond reconnects to the broker" "$TMP/srv.$SRV_N.log" "connected to 127.0.0.1:$BROKER_PORT" 1 30

# The EHR goes away; messages pile up in the outbox; it comes back.
sleep 2
kill "$EHR_PID" 2>/dev/null
wait "$EHR_PID" 2>/dev/null
sleep "$OUTAGE_S"
pending=$(sql "select count(*) from outbox where acked_ms is null")
[ "$pending" -gt 0 ] && pass || fail "no message waited in the outbox while the EHR was down"
ehr_start || exit 1

# Let the load stop and everything settle: orders first, then the pumps.
kill "$ORDERS_PID" 2>/dev/null
wait "$ORDERS_PID" 2>/dev/null
sleep 8
kill "$FLEET_PID" 2>/dev/null
wait "$FLEET_PID" 2>/dev/null
i=0
while [ "$(sql "select count(*) from outbox where acked_ms is null")" != 0 ] && [ $i -lt 600 ]; do
    i=$((i + 1))
    sleep 0.1
done

cat "$TMP/ehr.jsonl" "$TMP/ehr.2.jsonl" >"$TMP/ehr.all.jsonl" 2>/dev/null
python3 - "$TMP/db" "$TMP/ehr.all.jsonl" "$TMP/fleet.log" >"$TMP/check" 2>&1 <<'EOF'
import json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
problems = []
# 1. events: per pump, seqs 1..max with no gap (unique (pump_id, seq) rules out duplicates).
for pump, n, lo, hi in db.execute("select pump_id, count(*), min(seq), max(seq) from events group by pump_id"):
    if lo != 1 or hi != n:
        problems.append("%s: %d events stored with seqs %d..%d (a gap: an event was lost)" % (pump, n, lo, hi))
stored = db.execute("select count(*) from events").fetchone()[0]
last = open(sys.argv[3]).read().strip().splitlines()[-1]
m = re.search(r"events (\d+) made, (\d+) sent, (\d+) acked, (\d+) unacked, (\d+) dropped", last)
if not m:
    problems.append("no final statistics line from pumpd: %r" % last)
else:
    made, sent, acked, unacked, dropped = map(int, m.groups())
    if dropped:
        problems.append("pumpd dropped %d events" % dropped)
    # Acknowledged means committed: all of them must be in the store.
    if stored < acked:
        problems.append("pumps had %d events acknowledged but the store has %d" % (acked, stored))
    if stored > made:
        problems.append("the store has %d events but the pumps made %d" % (stored, made))
    print("events: made %d, acked %d, unacked at stop %d, stored %d" % (made, acked, unacked, stored))
# 2. the outbox drained.
pending = db.execute("select count(*) from outbox where acked_ms is null").fetchone()[0]
if pending:
    problems.append("%d outbox messages never acknowledged" % pending)
# 3. at the EHR: one MSH-10 per documented message, in the outbox's order per destination.
recv = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
recv = [r for r in recv if r.get("dir", "in") == "in" and r.get("control_id")]
first_seen = []
seen = set()
for r in recv:
    if r["control_id"] not in seen:
        seen.add(r["control_id"])
        first_seen.append(r["control_id"])
rows = db.execute("select id, dest, control_id, kind from outbox order by id").fetchall()
ids = {c for _, _, c, _ in rows}
extra = seen - ids
if extra:
    problems.append("%d messages at the EHR that the outbox never held, e.g. %s" % (len(extra), sorted(extra)[:3]))
missing = ids - seen
if missing:
    problems.append("%d outbox messages never reached the EHR, e.g. %s" % (len(missing), sorted(missing)[:3]))
# All destinations point at the same listener here, one sender each: order holds per destination.
pos = {c: i for i, c in enumerate(first_seen)}
for dest in sorted({d for _, d, _, _ in rows}):
    order = [c for _, d, c, _ in rows if d == dest and c in pos]
    arrived = sorted(order, key=lambda c: pos[c])
    if order != arrived:
        k = next(i for i in range(len(order)) if order[i] != arrived[i])
        problems.append("%s: message %s arrived out of outbox order (expected %s)" % (dest, arrived[k], order[k]))
pcd10 = [r for r in recv if r.get("type") == "pcd-10"]
invalid = [r for r in recv if r.get("valid") is False]
if invalid:
    problems.append("%d invalid messages at the EHR" % len(invalid))
if not pcd10:
    problems.append("no PCD-10 documented at all")
print("outbox: %d messages (%s), %d received at the EHR (%d distinct MSH-10)" % (
    len(rows), ", ".join("%s %d" % (k, sum(1 for r in rows if r[3] == k)) for k in sorted({r[3] for r in rows})),
    len(recv), len(seen)))
for p in problems:
    print("PROBLEM: " + p)
EOF
cat "$TMP/check"
if grep -q PROBLEM "$TMP/check"; then
    fail "resilience: $(grep PROBLEM "$TMP/check" | head -5 | tr '\n' ' ')"
else
    pass
fi
grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP"/srv.*.log && fail "sanitizer report in infusiond's log" || pass

echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
