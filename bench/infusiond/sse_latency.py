#!/usr/bin/env python3
"""sse_latency.py - pump event -> server-sent event latency, measured at an SSE client.

    python3 sse_latency.py --port P --seconds S [--warmup W] [--json FILE]

Connects to infusiond's GET /api/v1/stream on 127.0.0.1:P and, for every `pump` event (a state
snapshot: data.state.wall_ms is when the pump built it) and every `alarm` event with step
"raised" (data.alarm.raised_wall_ms is the pump's record time), takes receive time - that wall
time. Events of the first W seconds (default 0) are counted but not measured, then S seconds are
measured. Other alarm steps carry only the raise time, so they are counted, not measured.

The receive time is taken right after recv() returns, before any parsing, so the client's own
parsing does not add to the figure; a client delayed by a busy CPU does (the figure is then an
upper bound). Pumps and server share this machine's clock (CLOCK_REALTIME), so no skew.
Prints one line and writes the figures as JSON with --json.
"""
import argparse
import json
import re
import socket
import sys
import time

WALL = re.compile(rb'"wall_ms":(\d+)')          # the state's own key ("since_wall_ms" differs)
RAISED = re.compile(rb'"raised_wall_ms":(\d+)')

from latency_stats import summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--warmup", type=float, default=0.0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    sock = socket.create_connection(("127.0.0.1", a.port), timeout=30)
    # HTTP/1.0: the server streams the body as is (no chunked framing to undo).
    sock.sendall(b"GET /api/v1/stream HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                 b"Accept: text/event-stream\r\n\r\n")
    sock.settimeout(1.0)
    buf = b""
    header_done = False
    t_connect = time.time()
    t_measure = t_connect + a.warmup
    t_end = t_measure + a.seconds
    lat = {"pump": [], "alarm": []}
    counts = {"pump": 0, "alarm": 0, "alarm_other_steps": 0, "snapshot": 0, "bytes": 0,
              "pump_without_wall": 0, "checked_against_json": 0, "check_mismatches": 0}
    snapshot_pumps = 0
    closed = False
    # The server drops a client that leaves more than 1 MiB unread, so the loop only looks for
    # the two numbers it needs (a 10,000-pump fleet streams ~4 MB/s); the first 200 pump events
    # are also parsed as JSON to check that the quick look reads the same value.
    while True:
        now = time.time()
        if now >= t_end:
            break
        try:
            chunk = sock.recv(1 << 22)
        except socket.timeout:
            continue
        t_ms = time.time() * 1000.0
        if not chunk:
            closed = True
            break
        counts["bytes"] += len(chunk)
        buf += chunk
        if not header_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            status = buf.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" ":
                print("sse_latency: stream refused: %s" % status.decode(errors="replace"),
                      file=sys.stderr)
                return 1
            buf = buf[end + 4:]
            header_done = True
        measuring = t_ms >= t_measure * 1000.0
        blocks = buf.split(b"\n\n")
        buf = blocks.pop()
        for block in blocks:
            if block.startswith(b"event: pump\n"):
                counts["pump"] += 1
                if not measuring:
                    continue
                m = WALL.search(block)
                if m is None:
                    counts["pump_without_wall"] += 1
                    continue
                wall = int(m.group(1))
                if counts["checked_against_json"] < 200:
                    counts["checked_against_json"] += 1
                    data = json.loads(block.split(b"\ndata: ", 1)[1])
                    if (data.get("state") or {}).get("wall_ms") != wall:
                        counts["check_mismatches"] += 1
                lat["pump"].append(t_ms - wall)
            elif block.startswith(b"event: alarm\n"):
                if b'"step":"raised"' not in block:
                    counts["alarm_other_steps"] += 1
                    continue
                counts["alarm"] += 1
                m = RAISED.search(block)
                if measuring and m is not None and int(m.group(1)) > 0:
                    lat["alarm"].append(t_ms - int(m.group(1)))
            elif block.startswith(b"event: snapshot\n"):
                counts["snapshot"] += 1
                snapshot_pumps = block.count(b'"first_seen_ms":')
    sock.close()
    out = {
        "seconds": a.seconds,
        "warmup": a.warmup,
        "closed_early": closed,
        "snapshot_pumps": snapshot_pumps,
        "counts": counts,
        "pump": summary(lat["pump"]),
        "alarm_raised": summary(lat["alarm"]),
        "all": summary(lat["pump"] + lat["alarm"]),
    }
    out["events_per_s"] = round(out["all"]["n"] / a.seconds, 1) if a.seconds > 0 else None
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)

    def fmt(v):
        return "-" if v is None else "%.1f" % v

    s = out["all"]
    print("sse: %d events measured (%d pump, %d alarm raised) in %.0f s, %s/s; latency ms "
          "p50 %s p90 %s p99 %s max %s%s"
          % (s["n"], out["pump"]["n"], out["alarm_raised"]["n"], a.seconds,
             out["events_per_s"], fmt(s["p50_ms"]), fmt(s["p90_ms"]), fmt(s["p99_ms"]),
             fmt(s["max_ms"]), " (stream closed early)" if closed else ""))
    if counts["check_mismatches"]:
        print("sse_latency: the quick look read another wall_ms than JSON in %d of %d events"
              % (counts["check_mismatches"], counts["checked_against_json"]), file=sys.stderr)
        return 3
    return 2 if closed else 0


if __name__ == "__main__":
    sys.exit(main())
