#!/usr/bin/env bash
# bench/run.sh -- the scan benchmark: throughput, peak RSS and start-up of
# `kubeharden scan`, next to a bare libyaml event parse of the same bytes.
#
# Builds a Release tree in build-bench/ (unless KH_BIN names a kubeharden
# binary), generates bench/out/gen-100000.yaml and a ~200 MB file with
# kh-bench-gen, then prints one Markdown report with PASS/FAIL per target.
# Usage: bench/run.sh    (see bench/README.md for the variables below)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KH_BUILD_DIR:-$ROOT/build-bench}
OUT=$ROOT/bench/out
CORPUS=${KH_CORPUS:-$ROOT/../shared/corpus}
N=${KH_BENCH_N:-100000}                  # resources in the generated file
BIG_MB=${KH_BENCH_BIG_MB:-200}           # size of the RSS-target file, in 10^6 bytes
RUNS=${KH_BENCH_RUNS:-3}                 # best of this many timed runs
STARTUP_RUNS=${KH_BENCH_STARTUP_RUNS:-200}
SEED=${KH_BENCH_SEED:-1}
SCAN_FLAGS=(scan -o json --fail-on critical --no-config)

die() { echo "run.sh: $*" >&2; exit 1; }
now_ns() { date +%s%N; }

# ------------------------------------------------------------------ build
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null ||
    die "cmake configure failed"
if [[ -z "${KH_BIN:-}" ]]; then
    cmake --build "$BUILD" -j2 >/dev/null || die "build failed (cmake --build $BUILD)"
    KH_BIN=$BUILD/kubeharden
else
    cmake --build "$BUILD" -j2 --target kh-bench-gen kh-bench-yaml >/dev/null ||
        die "building the bench tools failed"
fi
GEN=$BUILD/bench/kh-bench-gen
YAMLP=$BUILD/bench/kh-bench-yaml
[[ -x "$KH_BIN" ]] || die "no kubeharden binary at $KH_BIN"
[[ -d "$CORPUS" ]] || die "no corpus at $CORPUS (set KH_CORPUS)"
CORPUS=$(cd "$CORPUS" && pwd)

# ------------------------------------------------------------------ inputs
mkdir -p "$OUT"
# (Re)generate $2 with $1 resources when missing or older than the generator.
generate() {
    if [[ ! -s "$2" || "$GEN" -nt "$2" ]]; then
        "$GEN" "$1" "$SEED" > "$2.tmp" && mv "$2.tmp" "$2"
    fi
}
GEN_FILE=$OUT/gen-$N.yaml
generate "$N" "$GEN_FILE"
gen_bytes=$(stat -c %s "$GEN_FILE")
# Enough resources for BIG_MB at the generator's average document size.
N_BIG=$(awk -v mb="$BIG_MB" -v n="$N" -v b="$gen_bytes" 'BEGIN { printf "%d", mb * 1e6 * n / b + 1 }')
BIG_FILE=$OUT/gen-$N_BIG.yaml
generate "$N_BIG" "$BIG_FILE"
TINY_FILE=$OUT/tiny.yaml
generate 1 "$TINY_FILE"

# --------------------------------------------------------------- measuring
# measure KIND CMD...: best wall time (s) of RUNS runs and the largest peak
# RSS (KiB) seen, into M_SECS and M_RSS. KIND "scan" accepts exit codes 0-2
# (1: findings at --fail-on, 2: malformed input in the corpus); others only 0.
measure() {
    local kind=$1; shift
    local best="" rss=0 i t0 t1 rc r
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now_ns)
        rc=0
        /usr/bin/time -f %M -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || rc=$?
        t1=$(now_ns)
        if ((rc != 0)) && ! [[ $kind == scan && $rc -le 2 ]]; then
            head -20 "$OUT/stderr.txt" >&2
            die "'$*' exited with status $rc"
        fi
        r=$(tail -n 1 "$OUT/time.txt")
        if ((r > rss)); then rss=$r; fi
        if [[ -z "$best" ]] || ((t1 - t0 < best)); then best=$((t1 - t0)); fi
    done
    M_SECS=$(awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }')
    M_RSS=$rss
}

# The scanner's own count of objects, from the JSON summary (written last).
count_objects() {
    "$KH_BIN" "${SCAN_FLAGS[@]}" "$1" 2>/dev/null | tail -c 4096 |
        grep -o '"objects": *[0-9]*' | tail -n 1 | grep -o '[0-9]*$' || true
}

# Bytes the scanner reads under a path, as kh-bench-yaml reports them.
input_bytes() {
    "$YAMLP" "$1" 2>/dev/null | grep -o 'bytes=[0-9]*' | cut -d= -f2
}

pass() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }

ROWS=()
VERDICTS=()
# bench_row LABEL PATH RESOURCES: one row of the throughput table.
bench_row() {
    local label=$1 path=$2 res=$3 bytes
    bytes=$(input_bytes "$path")
    measure scan "$KH_BIN" "${SCAN_FLAGS[@]}" "$path"
    local s_secs=$M_SECS s_rss=$M_RSS
    measure yaml "$YAMLP" "$path"
    local y_secs=$M_SECS
    ROWS+=("$(awk -v l="$label" -v b="$bytes" -v n="$res" -v ss="$s_secs" -v sr="$s_rss" \
        -v ys="$y_secs" 'BEGIN {
            smb = b / 1e6 / ss; ymb = b / 1e6 / ys
            printf "| %s | %d | %d | %.3f | %.1f | %.0f | %.1f | %.3f | %.1f | %.2f |",
                   l, b, n, ss, smb, n / ss, sr / 1024, ys, ymb, smb / ymb }')")
    local ratio
    ratio=$(awk -v ss="$s_secs" -v ys="$y_secs" 'BEGIN { printf "%.2f", ys / ss }')
    VERDICTS+=("$(pass "$ratio >= 0.7") scan/libyaml throughput on $label: $ratio (target >= 0.70)")
    LAST_RSS=$s_rss
    LAST_BYTES=$bytes
}

# mean_ms CMD...: mean wall time of one run in milliseconds over STARTUP_RUNS.
mean_ms() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N -i --warmup 10 --runs "$STARTUP_RUNS" --export-json "$OUT/hf.json" \
            "$(printf '%q ' "$@")" >/dev/null 2>&1 || die "hyperfine failed on '$*'"
        python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["mean"] * 1e3))' \
            "$OUT/hf.json"
    else
        local i t0 t1
        t0=$(now_ns)
        for ((i = 0; i < STARTUP_RUNS; i++)); do "$@" >/dev/null 2>&1 || true; done
        t1=$(now_ns)
        awk -v ns=$((t1 - t0)) -v n="$STARTUP_RUNS" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
    fi
}

# ------------------------------------------------------------------- run
corpus_objects=$(count_objects "$CORPUS")
gen_objects=$(count_objects "$GEN_FILE")
[[ "$gen_objects" == "$N" ]] ||
    echo "run.sh: warning: the scanner counted ${gen_objects:-?} objects in $GEN_FILE, expected $N" >&2

bench_row "corpus" "$CORPUS" "${corpus_objects:-0}"
bench_row "generated, $N resources" "$GEN_FILE" "$N"
bench_row "generated, $N_BIG resources" "$BIG_FILE" "$N_BIG"
all_rss_mib=$(awk -v r="$LAST_RSS" 'BEGIN { printf "%.1f", r / 1024 }')
# The memory target: per-object rules only (bench/per-object-rules.yaml
# disables the cluster-wide rules, which keep what they read of their kinds).
measure scan "$KH_BIN" scan -o json --fail-on critical --config "$ROOT/bench/per-object-rules.yaml" "$BIG_FILE"
big_rss=$M_RSS
big_mb=$(awk -v b="$LAST_BYTES" 'BEGIN { printf "%.0f", b / 1e6 }')
big_rss_mib=$(awk -v r="$big_rss" 'BEGIN { printf "%.1f", r / 1024 }')
VERDICTS+=("$(pass "$big_rss < 64 * 1024") peak RSS scanning $big_mb MB with no cluster-wide rule keeping objects: $big_rss_mib MiB (target < 64 MiB); with every rule: $all_rss_mib MiB")

startup_version=$(mean_ms "$KH_BIN" --version)
startup_scan=$(mean_ms "$KH_BIN" "${SCAN_FLAGS[@]}" "$TINY_FILE")
timer=$(command -v hyperfine >/dev/null && echo "hyperfine -N" || echo "shell loop")
VERDICTS+=("$(pass "$startup_version < 5") start-up, kubeharden --version: $startup_version ms (target < 5 ms)")
VERDICTS+=("$(pass "$startup_scan < 5") start-up, kubeharden scan of a one-resource file: $startup_scan ms (target < 5 ms)")

# ---------------------------------------------------------------- report
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
if git -C "$ROOT" status --porcelain 2>/dev/null | grep -q .; then dirty="+changes"; fi
echo "## kubeharden scan benchmark"
echo
echo "$(date -u +%Y-%m-%d), commit $commit$dirty, $("$KH_BIN" --version 2>/dev/null | head -n 1)," \
     "libyaml $(pkg-config --modversion yaml-0.1 2>/dev/null || echo '?'), $(nproc) x $cpu."
echo "Scan: \`kubeharden ${SCAN_FLAGS[*]} PATH > /dev/null\`; libyaml: \`kh-bench-yaml PATH\`"
echo "(bare event parse). Best of $RUNS runs, wall time; MB = 10^6 bytes; RSS = peak resident set."
echo
echo "| input | bytes | resources | scan s | scan MB/s | scan resources/s | scan peak RSS MiB | libyaml s | libyaml MB/s | scan/libyaml |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Start-up, mean of $STARTUP_RUNS runs ($timer): \`kubeharden --version\` $startup_version ms;" \
     "\`kubeharden scan\` of a one-resource file $startup_scan ms."
echo
echo "Targets:"
echo
for v in "${VERDICTS[@]}"; do echo "- $v"; done
rm -f "$OUT/time.txt" "$OUT/stderr.txt" "$OUT/hf.json"

# ------------------------------------------------------------- analyses
# The benchmarks of the analyses, each its own report section with its own
# targets (bench/README.md): rbac, rbac who-can, netpol, ha, node, probe, and
# a served cluster.
# KH_BENCH_ANALYSES=0 skips them.
if [[ "${KH_BENCH_ANALYSES:-1}" != 0 ]]; then
    for script in rbac.sh rbac_query.sh netpol.sh ha.sh; do
        echo
        KH_BUILD_DIR=$BUILD bash "$ROOT/bench/$script"
    done
    echo
    bash "$ROOT/bench/node.sh" "$KH_BIN" "$STARTUP_RUNS"
    echo
    bash "$ROOT/bench/probe.sh" "$KH_BIN" 10
    echo
    bash "$ROOT/bench/cluster.sh" "$BUILD"
fi
