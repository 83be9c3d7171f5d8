#!/usr/bin/env bash
# bench/netpol.sh -- the NetworkPolicy matrix benchmark: builds a Release
# tree in build-bench/ (or KH_BUILD_DIR), then for each shape (apps x
# replicas, policies) times the model and the whole matrix in process
# (kh-bench-netpol) and `kubeharden netpol matrix` end to end on the same
# dump. Target (issue 10): 5,000 pods and 1,000 policies under a second.
# Usage: bench/netpol.sh   (KH_NETPOL_RUNS, default 5)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KH_BUILD_DIR:-$ROOT/build-bench}
OUT=$ROOT/bench/out
RUNS=${KH_NETPOL_RUNS:-5}
mkdir -p "$OUT"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target kubeharden kh-bench-netpol >/dev/null
BENCH=$BUILD/bench/kh-bench-netpol
BIN=$BUILD/kubeharden

echo "## NetworkPolicy matrix"
echo
for shape in "1000 5 1000" "5000 1 1000" "2000 1 500"; do
    set -- $shape
    echo "### $1 apps x $2 replicas, $3 policies"
    echo '```'
    "$BENCH" "$1" "$2" "$3" "$RUNS"
    dump=$OUT/netpol-$1-$2-$3.yaml
    "$BENCH" --write "$1" "$2" "$3" > "$dump"
    best=
    for _ in $(seq "$RUNS"); do
        s=$(date +%s%N)
        "$BIN" netpol matrix -o csv "$dump" > /dev/null
        t=$(( ($(date +%s%N) - s) / 1000000 ))
        if [[ -z "$best" || $t -lt $best ]]; then best=$t; fi
    done
    verdict=PASS
    [[ $best -lt 1000 ]] || verdict=FAIL
    echo "end to end: kubeharden netpol matrix -o csv: best ${best} ms of $RUNS ($verdict: < 1000 ms)"
    echo '```'
    echo
done
