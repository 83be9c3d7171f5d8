#!/usr/bin/env bash
# watch.sh -- throughput of `kubeharden watch` over a generated audit log:
# EVENTS events (default 1,000,000, about 1.4 KB each: bench/watch_gen.py)
# read from a file with the default rules, one core. Prints events/s, MB/s,
# peak RSS and the alerts per rule; the best of RUNS runs (default 3), by
# wall time and by CPU time (user + sys: what the watcher itself spent, which
# other jobs on a shared machine do not inflate). bench/watch_flat.sh is the
# memory run over 5 GB.
#
#   bench/watch.sh [KUBEHARDEN] [EVENTS] [RUNS]   (defaults: build-rel/kubeharden, 1000000, 3)
# WATCH_ARGS adds options, e.g. another sink and a spool (docs/watch.md, "Delivery").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
events=${2:-1000000}
runs=${3:-3}
[ -x "$bin" ] || { echo "no binary at $bin (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/bench/watch_gen.py" "$events" 1 > "$tmp/audit.log"
bytes=$(stat -c %s "$tmp/audit.log")
cat "$tmp/audit.log" > /dev/null # in the page cache, as a log being written is
best=
best_cpu=
for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" taskset -c 0 "$bin" watch --no-config \
        --fail-on never --sink "file:$tmp/alerts.jsonl" ${WATCH_ARGS:-} "$tmp/audit.log" > /dev/null
    read -r secs rss_kb user sys < "$tmp/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$secs; best_rss=$rss_kb
    fi
    if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
        best_cpu=$cpu
    fi
    mv "$tmp/alerts.jsonl" "$tmp/alerts.last"
done
awk -v n="$events" -v b="$bytes" -v s="$best" -v r="$best_rss" -v c="$best_cpu" 'BEGIN {
    printf "events %d, %.0f bytes/event, %.1f MB\n", n, b / n, b / 1e6
    printf "best of runs: %.2f s, %.0f events/s, %.0f MB/s, peak RSS %.1f MB\n", s, n / s, b / 1e6 / s, r / 1024
    printf "best CPU time (user + sys): %.2f s, %.0f events/s, %.0f MB/s\n", c, n / c, b / 1e6 / c
}'
echo "alerts by rule (count of alerts, events they stand for):"
python3 - "$tmp/alerts.last" <<'PY'
import collections, json, sys
alerts, events = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    a = json.loads(line)
    alerts[a["rule"]] += 1
    events[a["rule"]] += a["count"]
for rule in sorted(alerts):
    print("  %-32s %6d %8d" % (rule, alerts[rule], events[rule]))
PY
