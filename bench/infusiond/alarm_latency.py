#!/usr/bin/env python3
"""alarm_latency.py EHRSIM_LOG DB - pump alarm -> PCD-04 at the alarm manager, from the records.

EHRSIM_LOG is the --log of the ehrsim listener that infusiond sends PCD-04 to (one JSON line per
message; t_ms is when ehrsim received it). DB is infusiond's SQLite file (read only). For every
PCD-04 with alert phase "start" (the alarm raised), the alert id (doc_msg.c: PUMPKEY.SEQ, the
pump id itself when it is plain) names the pump's alarm record; its wall_ms (the pump's clock
when the alarm was raised) and received_ms (when infusiond took the MQTT message) come from the
events table. Reported, in ms: end to end t_ms - wall_ms, and its two legs: pump -> infusiond
(received_ms - wall_ms, includes the broker) and infusiond -> ehrsim (t_ms - received_ms: commit,
outbox, MLLP). Other phases (update, end) name the raised record too, not their own, so they are
counted only. Prints the figures; with --json FILE writes them; exit 1 with none matched.
"""
import argparse
import json
import sqlite3
import sys

from latency_stats import summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("db")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    rec = {}
    for pump_id, seq, wall_ms, received_ms in db.execute(
            "SELECT pump_id, seq, wall_ms, received_ms FROM events WHERE type = 'alarm'"):
        rec["%s.%d" % (pump_id, seq)] = (wall_ms, received_ms)
    db.close()

    phases = {}
    e2e, leg_in, leg_out = [], [], []
    unmatched = 0
    seen = set()
    duplicates = 0
    with open(a.log) as f:
        for line in f:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get("dir") != "in" or "alert_phase" not in o:
                continue
            phase = o.get("alert_phase")
            phases[phase] = phases.get(phase, 0) + 1
            if phase != "start":
                continue
            aid = o.get("alert_id", "")
            if aid in seen:
                duplicates += 1  # a resend after a lost ACK: the first arrival counts
                continue
            seen.add(aid)
            r = rec.get(aid)
            if r is None:
                unmatched += 1
                continue
            wall, received = r
            e2e.append(o["t_ms"] - wall)
            leg_in.append(received - wall)
            leg_out.append(o["t_ms"] - received)
    out = {"pcd04_by_phase": phases, "raised_unmatched": unmatched,
           "raised_duplicates": duplicates, "alarm_records_in_db": len(rec),
           "end_to_end": summary(e2e), "pump_to_infusiond": summary(leg_in),
           "infusiond_to_ehrsim": summary(leg_out)}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)

    def fmt(s):
        if s["n"] == 0:
            return "none"
        return "p50 %d ms, p90 %d ms, p99 %d ms, max %d ms (n %d)" % (
            s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"], s["n"])
    print("  PCD-04 received by phase: %s; raised alarms matched to their record: %d "
          "(unmatched %d, resent %d)" % (
              ", ".join("%s %d" % kv for kv in sorted(phases.items())), len(e2e), unmatched,
              duplicates))
    print("  pump alarm -> PCD-04 at ehrsim: %s" % fmt(out["end_to_end"]))
    print("    of which pump -> infusiond (MQTT): %s" % fmt(out["pump_to_infusiond"]))
    print("    of which infusiond -> ehrsim (commit, outbox, MLLP): %s"
          % fmt(out["infusiond_to_ehrsim"]))
    return 0 if e2e else 1


if __name__ == "__main__":
    sys.exit(main())
