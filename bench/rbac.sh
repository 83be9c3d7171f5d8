#!/usr/bin/env bash
# bench/rbac.sh -- the RBAC benchmark: a generated dump of 10,000 Roles,
# ClusterRoles and bindings and 50,000 pods (bench/rbac_gen.py), scanned with
# every rbac.* rule (risk rules and every subject's shortest escalation
# path), with the analysis timed apart from reading the YAML
# (bench/rbac_time.c) and the peak RSS of the whole scan.
#
# Usage: bench/rbac.sh   Variables: KH_BUILD_DIR (default build-bench, a
# Release tree it configures and builds), KH_BENCH_RUNS (3, best kept),
# KH_BENCH_SEED (1), KH_RBAC_PODS (50000), KH_RBAC_OBJECTS (10000).
# Prints a Markdown report ending with PASS or FAIL for each target:
# the analysis under 1 s and the scan's peak RSS under 200 MB.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KH_BUILD_DIR:-$ROOT/build-bench}
OUT=$ROOT/bench/out
RUNS=${KH_BENCH_RUNS:-3}
SEED=${KH_BENCH_SEED:-1}
PODS=${KH_RBAC_PODS:-50000}
OBJECTS=${KH_RBAC_OBJECTS:-10000}

die() { echo "rbac.sh: $*" >&2; exit 1; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null ||
    die "cmake configure failed"
cmake --build "$BUILD" -j2 >/dev/null || die "build failed (cmake --build $BUILD)"
KH_BIN=$BUILD/kubeharden
LIB=$BUILD/libkubeharden.a
TIMER=$BUILD/kh-bench-rbac-time
[[ -x "$KH_BIN" && -f "$LIB" ]] || die "no kubeharden binary or library in $BUILD"
# The timer reads internal headers, so it is built against the static library.
if [[ ! -x "$TIMER" || "$LIB" -nt "$TIMER" || "$ROOT/bench/rbac_time.c" -nt "$TIMER" ]]; then
    ${CC:-cc} -O2 -std=c11 -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/rbac_time.c" "$LIB" \
        -lyaml -lm -lpthread -o "$TIMER" || die "building the timer failed"
fi

mkdir -p "$OUT"
DUMP=$OUT/rbac-$OBJECTS-$PODS.yaml
if [[ ! -s "$DUMP" || "$ROOT/bench/rbac_gen.py" -nt "$DUMP" ]]; then
    python3 "$ROOT/bench/rbac_gen.py" --rbac "$OBJECTS" --pods "$PODS" --seed "$SEED" \
        > "$DUMP.tmp" && mv "$DUMP.tmp" "$DUMP"
fi

# best KIND CMD...: best wall time and largest peak RSS (KiB) of RUNS runs.
best() {
    local best_s= max_kb=0 s kb
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -o "$OUT/rbac.time" -f "%e %M" "$@" >/dev/null 2>&1 || true
        read -r s kb < <(tail -1 "$OUT/rbac.time")
        [[ -z "$best_s" ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }' && best_s=$s
        ((kb > max_kb)) && max_kb=$kb
    done
    echo "$best_s $max_kb"
}

read -r scan_s scan_kb < <(best "$KH_BIN" scan --no-config --area rbac -o json "$DUMP")
read -r parse_s parse_kb < <(best "$KH_BIN" scan --no-config --rule workload.default-namespace -o json "$DUMP")
# The timer's phases, best CPU seconds of RUNS runs per phase.
phases=$(for ((i = 0; i < RUNS; i++)); do "$TIMER" "$DUMP" ns-0; done |
    awk '{ if (!($1 in b) || $2 < b[$1]) { b[$1] = $2; c[$1] = $3 } }
         END { for (k in b) print k, b[k], c[k] }')
phase() { awk -v k="$1" '$1 == k { print $2 }' <<<"$phases"; }
count() { awk -v k="$1" '$1 == k { print $3 }' <<<"$phases"; }
analysis=$(phase all-rules)
mb=$(awk -v b="$(stat -c %s "$DUMP")" 'BEGIN { printf "%.1f", b / 1e6 }')
rss_mib=$(awk -v k="$scan_kb" 'BEGIN { printf "%.0f", k / 1024 }')

cat <<EOF
# RBAC benchmark

Input: \`$(basename "$DUMP")\`, $mb MB: $OBJECTS Roles, ClusterRoles, RoleBindings and
ClusterRoleBindings, $PODS pods, with namespaces, service accounts and token secrets
(\`bench/rbac_gen.py --seed $SEED\`). Best of $RUNS runs; CPU seconds for the phases.

| measurement | result |
|---|---|
| \`scan --area rbac -o json\`, wall | $scan_s s |
| same, peak RSS | $rss_mib MiB |
| reading the same file with one per-object rule (no object kept), wall | $parse_s s |
| loading the dump into a kh_cluster (read, keep, index), CPU | $(phase load) s |
| the authorizer model alone (analysis/rbac.c), CPU | $(phase authorizer-model) s |
| risk model: authorizer model, capabilities, escalation graph and every shortest path (first rule), CPU | $(phase model+graph+first-rule) s |
| all $(count all-rules) findings of every rbac.* rule, model included, CPU | $analysis s |
| a second graph and its paths for --to 'get secrets -n ns-0', CPU | $(phase to-target-graph+paths) s |

EOF
pass() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' && echo PASS || echo FAIL; }
echo "- analysis (every rbac.* rule and every shortest path, after loading) < 1 s: $(pass "$analysis" 1) ($analysis s)"
echo "- peak RSS of the scan < 200 MB: $(pass "$scan_kb" $((200 * 1000 * 1000 / 1024))) ($rss_mib MiB)"
