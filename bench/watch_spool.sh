#!/usr/bin/env bash
# watch_spool.sh -- what the on-disk spool costs when every event is an
# alert: EVENTS exec events (default 100,000), dedup off, sent as syslog
# over TCP to a discarding receiver on loopback (on core 1; the watcher on
# core 0), without a spool, with --spool (fdatasync at most every 200 ms,
# the default) and with --spool-sync 0 (fdatasync per alert). Prints the
# best of RUNS (default 3) wall and CPU times and alerts/s for each.
#
#   bench/watch_spool.sh [KUBEHARDEN] [EVENTS] [RUNS]   (defaults: build-rel/kubeharden, 100000, 3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
events=${2:-100000}
runs=${3:-3}
[ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
tmp=$(mktemp -d)
rpid=
trap 'kill "$rpid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/discard.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def serve(c):
    while c.recv(1 << 20): pass
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
taskset -c 1 python3 "$tmp/discard.py" "$port" &
rpid=$!
python3 - "$events" > "$tmp/audit.log" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"id-%d","stage":"ResponseComplete",'
          '"verb":"create","user":{"username":"user-%d"},"sourceIPs":["10.0.0.1"],"objectRef":'
          '{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},'
          '"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}' % (i, i))
PY
printf 'watch:\n  dedup: {window: 0}\n' > "$tmp/cfg.yaml"
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
run() { # label options...
    local label=$1 best= best_cpu=
    shift
    for _ in $(seq "$runs"); do
        rm -rf "$tmp/spool"
        /usr/bin/time -f '%e %U %S' -o "$tmp/time" taskset -c 0 "$bin" watch --config "$tmp/cfg.yaml" \
            --fail-on never --sink "syslog+tcp://127.0.0.1:$port" "$@" "$tmp/audit.log" 2> "$tmp/err"
        read -r secs user sys < "$tmp/time"
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$secs; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
    done
    awk -v l="$label" -v n="$events" -v s="$best" -v c="$best_cpu" 'BEGIN {
        printf "%-28s wall %.2f s (%.0f alerts/s), CPU %.2f s (%.0f alerts/s)\n", l, s, n / s, c, n / c }'
}
echo "$events alerts (every event one), syslog over TCP to a discarding receiver:"
run "no spool"
run "--spool (sync every 200 ms)" --spool "$tmp/spool"
run "--spool --spool-sync 0" --spool "$tmp/spool" --spool-sync 0
