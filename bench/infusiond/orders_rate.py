#!/usr/bin/env python3
"""orders_rate.py LABEL SUMMARY_JSON LOG_JSONL ORDERS - one ehrsim order run as a figure line.

Rate = ACK^O15 with CA/AA / (last matched ACK - first order sent), both taken from ehrsim's
--log (t_ms of the "out" pcd-03 lines and of the "ack" lines matched to an order), so the
start-up and the --until-idle wait at the end are not counted. Latency p50/p99 are ehrsim's own
(--summary-json latency_ms.ack_o15). Prints the line; prints the rate alone on stdout's last
line for the caller; exit 1 when the run is unusable (no summary, no ACK).
"""
import json
import sys


def main():
    label, summary_path, log_path, n_orders = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    try:
        summ = json.load(open(summary_path))
    except (OSError, ValueError) as e:
        print("  %-16s no summary (%s)" % (label, e), file=sys.stderr)
        return 1
    first_out = None
    last_ack = None
    with open(log_path) as f:
        for line in f:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            d = o.get("dir")
            if d == "out" and o.get("type") == "pcd-03":
                if first_out is None or o["t_ms"] < first_out:
                    first_out = o["t_ms"]
            elif d == "ack" and o.get("match") == "order":
                if last_ack is None or o["t_ms"] > last_ack:
                    last_ack = o["t_ms"]
    orders = summ["orders"]
    codes = orders.get("ack_o15", {})
    ok = codes.get("CA", 0) + codes.get("AA", 0)
    lat = summ["latency_ms"]["ack_o15"]
    if first_out is None or last_ack is None or last_ack <= first_out or ok == 0:
        print("  %-16s unusable run: sent %s, ACK^O15 %s" % (label, orders.get("sent"), codes),
              file=sys.stderr)
        return 1
    rate = ok / ((last_ack - first_out) / 1000.0)
    missing = n_orders - ok
    print("  %-16s %8.0f orders/s ACKed  (%d of %d in %.2f s; ACK^O15 %s; p50 %.2f ms, "
          "p99 %.2f ms, max %.2f ms)%s"
          % (label, rate, ok, n_orders, (last_ack - first_out) / 1000.0,
             ",".join("%s %d" % kv for kv in sorted(codes.items())), lat["p50"], lat["p99"],
             lat["max"], "" if missing == 0 else "  WARNING: %d orders without CA/AA" % missing),
          file=sys.stderr)
    print("%.0f" % rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
