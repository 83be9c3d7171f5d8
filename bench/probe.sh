#!/usr/bin/env bash
# probe.sh -- time `kubeharden probe` over 256 loopback ports (target:
# under 2 s). One Python process listens on OPEN of them (half TLS, answering
# as an anonymous kubelet does; half plain HTTP, as the read-only port does;
# default 32); the other ports of the range are closed. Each run probes the
# whole range with --ports and the default concurrency (32) and timeout;
# prints min, median and max over RUNS, and the same for the range with
# nothing listening.
#
#   bench/probe.sh [KUBEHARDEN] [RUNS] [OPEN]   (defaults: build-rel/kubeharden, 10, 32)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build-rel/kubeharden}
runs=${2:-10}
open=${3:-32}
[ -x "$bin" ] || { echo "no binary at $bin (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
bin=$(realpath "$bin")
command -v python3 > /dev/null && command -v openssl > /dev/null || { echo "needs python3 and openssl" >&2; exit 2; }
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2> /dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench \
    -keyout k.pem -out c.pem 2> /dev/null

cat > serve.py <<'PY'
# serve.py OPEN READYFILE: OPEN listeners spread over a free 256-port range
import http.server, json, os, random, socket, ssl, sys, threading
n, ready = int(sys.argv[1]), sys.argv[2]
PODS = json.dumps({"kind": "PodList", "apiVersion": "v1", "items": []}).encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        p = self.path.split("?")[0]
        code, body = (200, PODS) if p == "/pods" else (200, b"# TYPE up gauge\nup 1\n") if p == "/metrics" \
            else (400, b"you must specify at least 1 of stdin, stdout, stderr") if p.startswith("/exec/") \
            else (404, b"404 page not found")
        self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("c.pem", "k.pem")
for _ in range(50):
    base = random.randrange(20000, 29000)
    ports = sorted(random.sample(range(base, base + 256), n))
    servers = []
    try:
        for i, p in enumerate(ports):
            s = S(("127.0.0.1", p), H)
            if i % 2 == 0:
                s.socket = ctx.wrap_socket(s.socket, server_side=True)
            servers.append(s)
        break
    except OSError:
        for s in servers: s.server_close()
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
open(ready + ".tmp", "w").write("%d %d\n" % (base, base + 255))
os.rename(ready + ".tmp", ready)
threading.Event().wait()
PY
python3 serve.py "$open" ready &
spid=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
read -r lo hi < ready
range="$lo-$hi"

time_runs() { # LABEL PORTS
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        "$bin" probe -o json --ports "$2" 127.0.0.1 > out.json || true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 ))
    done | sort -n | awk -v runs="$runs" -v label="$1" '
        { us[NR] = $1 }
        END { printf "%s, %d runs: min %.1f ms, median %.1f ms, max %.1f ms (target < 2000 ms)\n",
              label, runs, us[1] / 1000, us[int((NR + 1) / 2)] / 1000, us[NR] / 1000 }'
}
"$bin" probe -o json --ports "$range" 127.0.0.1 > out.json || true
python3 - out.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [f["ruleId"] for f in d["findings"]]
print("one run: %d findings, %d open ports, %d anonymous kubelets, %d read-only ports"
      % (len(ids), ids.count("probe.open-port"), ids.count("probe.anonymous-kubelet"), ids.count("probe.kubelet-readonly-port")))
PY
time_runs "kubeharden probe, 256 loopback ports ($open open: $((open - open / 2)) TLS, $((open / 2)) plain)" "$range"
kill "$spid"; wait "$spid" 2> /dev/null || true; spid=
time_runs "kubeharden probe, 256 loopback ports (none open)" "$range"
