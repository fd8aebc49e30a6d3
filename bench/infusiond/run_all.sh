#!/bin/sh
# run_all.sh BUILD_DIR - the infusiond benchmarks at the sizes `make bench` runs (scripts/bench):
# orders/s beside the MLLP baseline, the ingest steps up to 10,000 pumps (30 s each), alarm
# latency over 300 alarms. Figures and commands: docs/performance.md, section "infusiond".
set -eu
build=$1
here=$(dirname "$0")
cmake --build "$build" --target infusiond pumpd ehrsim infusionctl >/dev/null
echo "== infusiond orders: PCD-03 orders/s, durably committed, beside an MLLP ACK server with no store"
sh "$here/run_orders.sh" "$build" --orders 20000
echo "== infusiond ingest: pump event -> SSE p99 by fleet size (steps stop at p99 >= 100 ms)"
sh "$here/run_ingest.sh" "$build" --seconds 30
echo "== infusiond alarm latency: pump alarm -> PCD-04 at the alarm manager"
sh "$here/run_alarm_latency.sh" "$build"
