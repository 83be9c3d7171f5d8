#!/usr/bin/env bash
# node.sh -- time `kubeharden node` on the full control-plane fixture
# (tests/fixtures/node/controlplane-bad: four static pods, etcd, kubelet
# with its configuration, kube-proxy, containerd, PKI, sockets; the
# most findings). Target: under 50 ms a run.
#
#   bench/node.sh [KUBEHARDEN] [RUNS]     (defaults: build-rel/kubeharden, 200)
#
# Each run is a whole process (start, audit, JSON report to /dev/null),
# timed with date +%s%N; prints min, median, p95, max and mean in ms.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
runs=${2:-200}
[ -x "$bin" ] || { echo "no binary at $bin (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$here/tests/fixtures/node/prepare.sh" "$here/tests/fixtures/node/controlplane-bad" "$tmp/node"
"$bin" node --root "$tmp/node" -o json > "$tmp/out.json" || [ $? -eq 1 ]
echo "fixture: $(grep -c '"ruleId"' "$tmp/out.json") findings, $(find "$tmp/node" -type f | wc -l) files"
for _ in 1 2 3 4 5; do "$bin" node --root "$tmp/node" -o json > /dev/null || true; done  # warm
for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$bin" node --root "$tmp/node" -o json > /dev/null || true
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
done | sort -n | awk -v runs="$runs" '
    { us[NR] = $1; sum += $1 }
    END {
        printf "kubeharden node, full control-plane fixture, %d runs: min %.2f ms, median %.2f ms, p95 %.2f ms, max %.2f ms, mean %.2f ms (target < 50 ms)\n",
            runs, us[1] / 1000, us[int((NR + 1) / 2)] / 1000, us[int(NR * 0.95)] / 1000, us[NR] / 1000, sum / NR / 1000
    }'
