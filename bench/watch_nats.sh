#!/usr/bin/env bash
# watch_nats.sh -- throughput of `kubeharden watch --nats`: EVENTS events
# (default 200,000, bench/watch_gen.py, about 1.4 KB each) published into a
# JetStream stream on a nats-server started here on loopback, then read by
# WATCHERS watchers (default 1) in one consumer group, each message
# acknowledged after its alerts went to a file sink. Prints the wall time
# until the stream is read through (and until all is acknowledged), events/s, and
# the CPU time (user + sys) of the watchers and of nats-server.
#
#   bench/watch_nats.sh [KUBEHARDEN] [EVENTS] [WATCHERS]   (defaults: build-rel/kubeharden, 200000, 1)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
events=${2:-200000}
watchers=${3:-1}
[ -x "$bin" ] || { echo "no binary at $bin (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
natsd=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$natsd" ] || { echo "needs nats-server (Debian package nats-server)" >&2; exit 2; }
ctl="python3 $here/tests/fixtures/nats/natsctl.py"
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
"$natsd" -js -a 127.0.0.1 -p "$port" -sd "$tmp/js" > "$tmp/natsd.log" 2>&1 &
npid=$!
pids+=("$npid")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
python3 "$here/bench/watch_gen.py" "$events" 1 > "$tmp/audit.log"
$ctl "$addr" stream-create BENCH bench.audit
$ctl "$addr" publish-fast bench.audit "$tmp/audit.log"
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # clock ticks
n0=$(cpu "$npid")
start=$(date +%s.%N)
wpids=()
for i in $(seq "$watchers"); do
    "$bin" watch --no-config --fail-on never --nats "nats://$addr" --nats-subject bench.audit \
        --nats-stream BENCH --nats-consumer bench --sink "file:$tmp/alerts-$i.jsonl" \
        2> "$tmp/watch-$i.err" &
    wpids+=("$!")
    pids+=("$!")
done
# Read through: every message handed to a watcher (pending 0). All acked
# comes later: events folded by dedup wait for their count to go out (at
# most half the ack wait, 15 s by default, once the stream is quiet).
until $ctl "$addr" consumer-info BENCH bench 2>/dev/null | grep -q '^pending 0 '; do
    sleep 0.05
done
end=$(date +%s.%N)
until $ctl "$addr" consumer-info BENCH bench 2>/dev/null | grep -q '^pending 0 ack_pending 0 '; do
    sleep 0.1
done
acked=$(date +%s.%N)
wcpu=0
for p in "${wpids[@]}"; do wcpu=$((wcpu + $(cpu "$p"))); done
ncpu=$(($(cpu "$npid") - n0))
hz=$(getconf CLK_TCK)
awk -v e="$events" -v s="$start" -v t="$end" -v a="$acked" -v w="$wcpu" -v n="$ncpu" -v hz="$hz" -v k="$watchers" 'BEGIN {
    printf "%d events, %d watcher(s): read through in %.2f s wall, %.0f events/s (all acked after %.2f s); CPU: watchers %.2f s, nats-server %.2f s\n",
        e, k, t - s, e / (t - s), a - s, w / hz, n / hz }'
cat "$tmp"/alerts-*.jsonl | wc -l | awk '{ print $1 " alerts" }'
