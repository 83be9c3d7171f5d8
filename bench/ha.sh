#!/usr/bin/env bash
# bench/ha.sh -- the failure-simulation benchmark (issue 11): builds a
# Release tree in build-bench/ (or KH_BUILD_DIR), writes a dump of
# KH_HA_NODES nodes (default 5,000) over KH_HA_ZONES zones (3) with
# KH_HA_PODS pods (100,000), then
#   - kh-bench-ha: load, model, and every single-node and single-zone loss
#     ranked in process (best and median of KH_HA_RUNS, default 5), peak RSS;
#   - end to end: `kubeharden ha simulate --worst -o json DUMP`, wall time
#     and peak RSS (/usr/bin/time).
# Targets: every single loss simulated in under a second; memory under 300 MB.
# Usage: bench/ha.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KH_BUILD_DIR:-$ROOT/build-bench}
OUT=$ROOT/bench/out
NODES=${KH_HA_NODES:-5000}
PODS=${KH_HA_PODS:-100000}
ZONES=${KH_HA_ZONES:-3}
RUNS=${KH_HA_RUNS:-5}
mkdir -p "$OUT"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target kubeharden kh-bench-ha >/dev/null
BENCH=$BUILD/bench/kh-bench-ha
BIN=${KH_BIN:-$BUILD/kubeharden}
dump=$OUT/ha-$NODES-$PODS-$ZONES.yaml
"$BENCH" --write "$NODES" "$PODS" "$ZONES" > "$dump"

echo "## Failure simulation: $NODES nodes, $ZONES zones, $PODS pods ($(($(stat -c %s "$dump") / 1000000)) MB of YAML)"
echo
echo '```'
"$BENCH" "$dump" "$RUNS"
/usr/bin/time -f "%e %M" -o "$OUT/ha.time" "$BIN" ha simulate --worst -o json "$dump" > /dev/null || true
read -r wall rss < <(tail -n 1 "$OUT/ha.time")
echo "end to end: kubeharden ha simulate --worst -o json: ${wall} s wall, peak RSS $((rss / 1024)) MiB"
echo '```'
