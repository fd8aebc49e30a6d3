#!/usr/bin/env python3
"""mqtt_latency.py SECONDS [--json FILE] - the broker leg, as a baseline beside the SSE figure.

Reads `mosquitto_sub -v` output (topic, space, payload; one message a line) on stdin, stamps
each line when it is read and, for state snapshots (topic ending /state, payload wall_ms), takes
receive time - wall_ms: what a plain MQTT subscriber on the same broker sees of the same pump
messages. mosquitto_sub flushes every message, and the stamp is taken before parsing.
Reads for SECONDS, prints one line; exit 0.
"""
import json
import select
import sys
import time

from latency_stats import summary


def main():
    seconds = float(sys.argv[1])
    out_json = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--json" else None
    t_end = time.time() + seconds
    lat = []
    stdin = sys.stdin.buffer
    buf = b""
    while time.time() < t_end:
        r, _, _ = select.select([stdin], [], [], 0.5)
        if not r:
            continue
        chunk = stdin.raw.read(1 << 20)
        t_ms = time.time() * 1000.0
        if not chunk:
            break
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            topic, _, payload = line.partition(b" ")
            if not topic.endswith(b"/state"):
                continue
            try:
                wall = json.loads(payload).get("wall_ms")
            except ValueError:
                continue
            if isinstance(wall, int) and wall > 0:
                lat.append(t_ms - wall)
    out = summary(lat)
    if out_json:
        with open(out_json, "w") as f:
            json.dump(out, f, indent=2)

    def fmt(v):
        return "-" if v is None else "%.1f" % v
    print("mqtt (baseline: mosquitto_sub on the state topics): %d states; latency ms p50 %s "
          "p90 %s p99 %s max %s" % (out["n"], fmt(out["p50_ms"]), fmt(out["p90_ms"]),
                                     fmt(out["p99_ms"]), fmt(out["max_ms"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
