#!/usr/bin/env bash
# watch_flat.sh -- memory of `kubeharden watch` over a long log: GB gigabytes
# (default 5) of audit events streamed through a pipe into `watch -` with the
# default rules, never written to disk: bench/watch_gen.py makes 100,000
# events (about 140 MB) once, and the pipe repeats them (the events' times
# repeat too: dedup and windows see the same subjects again). The watcher's
# resident memory (VmRSS) is sampled every second; prints it a tenth of the
# way in, at the end, its range in between and its peak (VmHWM), with the
# run's throughput by wall time and by the watcher's own CPU time.
#
#   bench/watch_flat.sh [KUBEHARDEN] [GB]   (defaults: build-rel/kubeharden, 5)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
gb=${2:-5}
[ -x "$bin" ] || { echo "no binary at $bin (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/bench/watch_gen.py" 100000 1 > "$tmp/audit.log"
bytes=$(stat -c %s "$tmp/audit.log")
copies=$(( (gb * 1000000000 + bytes - 1) / bytes ))
start=$(date +%s.%N)
for _ in $(seq "$copies"); do cat "$tmp/audit.log"; done |
    taskset -c 0 "$bin" watch --no-config --fail-on never --sink "file:$tmp/alerts.jsonl" - \
        > /dev/null &
pid=$!
: > "$tmp/rss"
ticks=$(getconf CLK_TCK)
while kill -0 "$pid" 2>/dev/null; do
    # VmRSS and VmHWM in kB, and the CPU seconds (utime + stime) so far
    { awk '/^VmRSS:|^VmHWM:/ { printf "%s ", $2 }' "/proc/$pid/status" &&
      awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$pid/stat"; } \
        >> "$tmp/rss" 2>/dev/null || true
    sleep 1
done
wait "$pid"
end=$(date +%s.%N)
# Start: the sample a tenth of the way in, once the first events are read.
awk -v n="$copies" -v b="$bytes" -v s="$start" -v e="$end" '
    NF == 3 { rss[++k] = $1; hwm = $2; cpu = $3 }
    END {
        w = int(k / 10) + 1; lo = hi = rss[w]
        for (i = w; i <= k; i++) { if (rss[i] < lo) lo = rss[i]; if (rss[i] > hi) hi = rss[i] }
        printf "%d copies of 100,000 events (%.1f million, %.2f GB) in %.1f s: %.0f events/s\n",
               n, n / 10, n * b / 1e9, e - s, n * 100000 / (e - s)
        printf "watcher CPU time (user + sys) %.1f s by the last sample: %.0f events/s\n",
               cpu, n * 100000 / cpu
        printf "VmRSS at sample %d of %d (one a second): %.1f MB, at the last: %.1f MB, " \
               "from there on %.1f-%.1f MB; peak (VmHWM) %.1f MB\n",
               w, k, rss[w] / 1024, rss[k] / 1024, lo / 1024, hi / 1024, hwm / 1024
    }' "$tmp/rss"
