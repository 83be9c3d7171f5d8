#!/usr/bin/env bash
# serve_slowloris.sh -- slow clients cannot exhaust the webhook. libmicrohttpd's
# own timeout restarts on every byte, so a client sending a header byte now
# and then would hold its connection for ever; the server closes it at an
# absolute deadline instead: TLS handshake and first request line within
# --request-timeout of the accept, headers and body within --request-timeout
# of the request line, the next request line within --read-timeout of the
# last answer. And one address holds at most --max-connections-per-ip
# connections, so the API server, coming from another, is still answered
# while they are held. Bounded: 40 slow connections, about 15 s in all.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
tls=(--tls-cert-file server.crt --tls-private-key-file server.key)
review good.json admission.k8s.io/v1 uid-slow CREATE "$good_pod"

# slow.py PORT N KIND SECONDS: N connections from 127.0.0.1 that each send a
# byte every 0.3 s (never idle long enough for --read-timeout); prints how
# many the server accepted and, per connection, after how many seconds it
# was closed ("open" if still open at the end). KIND: tcp (a TLS handshake
# that never ends), tls (handshake done, nothing sent: a request line that
# never comes), header (request line sent, headers dribbled), keepalive
# (one review answered, then the next request line dribbled).
cat > slow.py <<'PY'
import socket, ssl, sys, time
port, n, kind, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
ctx = ssl.create_default_context(cafile="ca.crt")
body = open("good.json", "rb").read()
conns, refused = [], 0
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if kind != "tcp":
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        if kind == "header":
            s.sendall(b"POST /validate/restricted HTTP/1.1\r\nHost: x\r\n")
        if kind == "keepalive":
            s.sendall(b"POST /validate/restricted HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            got = b""
            while b'"uid":"uid-slow"' not in got:
                got += s.recv(65536)
        conns.append([s, time.monotonic(), None])
    except (OSError, ssl.SSLError):
        refused += 1
print("accepted", len(conns), "refused", refused, flush=True)
drip = b"\x16\x03\x01\x02" if kind == "tcp" else b"X-Slow: 1\r\n" if kind == "header" else b"POST /validate/restricted HTTP/1.1\r\n"
end = time.monotonic() + secs
k = 0
while time.monotonic() < end and any(c[2] is None for c in conns):
    for c in conns:
        if c[2] is not None:
            continue
        try:
            c[0].setblocking(False)
            try:
                if c[0].recv(1) == b"":
                    raise OSError("closed")
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            c[0].setblocking(True)
            c[0].send(drip[k % len(drip):k % len(drip) + 1])
        except (OSError, ssl.SSLError):
            c[2] = time.monotonic() - c[1]
    k += 1
    time.sleep(0.3)
for c in conns:
    print("closed %.1f" % c[2] if c[2] is not None else "open")
PY

# 1. One address holds at most --max-connections-per-ip: 40 slow clients
# from 127.0.0.1, 32 held (of 64), and a review from 127.0.0.2 is answered
# while they are.
start_server log "${tls[@]}" --max-connections 64 --request-timeout 30s || exit 1
python3 slow.py "$port" 40 header 6 > held.out 2>&1 &
slow=$!
sleep 2.5
code=$(post /validate/restricted good.json --interface 127.0.0.2)
check "a review from another address is answered while one address holds its share" 200 "$code"
contains "that review is allowed" resp '"uid":"uid-slow","allowed":true'
curl -sS --cacert ca.crt --interface 127.0.0.2 -o metrics "$url/metrics"
contains "the slow address holds half of --max-connections (and the scrape one)" metrics 'kubeharden_http_open_connections 33'
wait $slow
open=$(grep -c '^open$' held.out)
check "--request-timeout 30s: the slow ones were still open after 6 s" 32 "$open"
stop_server

# 2. Absolute deadlines (--request-timeout 2s, --read-timeout 3s): every
# kind of slow client is closed at its deadline although it never pauses.
start_server log2 "${tls[@]}" --request-timeout 2s --read-timeout 3s || exit 1
slows=()
for kind in tcp tls header keepalive; do
    python3 slow.py "$port" 10 $kind 8 > $kind.out 2>&1 &
    slows+=($!)
done
sleep 1
check "a review is answered while 40 slow connections are open" 200 "$(post /validate/restricted good.json)"
wait "${slows[@]}"
for kind in tcp tls header; do
    python3 - "$kind" <<'PY'
import sys
kind = sys.argv[1]
lines = open(kind + ".out").read().split("\n")
times = [float(l.split()[1]) for l in lines if l.startswith("closed")]
assert lines[0].startswith("accepted 10"), lines
assert len(times) == 10 and all(1.9 < t < 3.5 for t in times), (kind, times)
PY
    check "$kind: all 10 closed between 2 s and 3.5 s (--request-timeout)" 0 $?
done
python3 - <<'PY'
lines = open("keepalive.out").read().split("\n")
times = [float(l.split()[1]) for l in lines if l.startswith("closed")]
assert lines[0].startswith("accepted 10"), lines
assert len(times) == 10 and all(2.9 < t < 4.5 for t in times), times
PY
check "keepalive: next request line dribbled, all 10 closed at 3-4.5 s (--read-timeout)" 0 $?
contains "the closes are logged" log2 '"msg":"request timeout: slow connections closed"'
check "and the server still answers" 200 "$(post /validate/restricted good.json)"
curl -sS --cacert ca.crt -o metrics "$url/metrics"
python3 - <<'PY'
import re
m = re.search(r'kubeharden_http_rejected_requests_total\{reason="timeout"\} (\d+)', open("metrics").read())
assert m and int(m.group(1)) == 40, m and m.group(1)
PY
check "the 40 closes are counted as timeouts" 0 $?
stop_server
check "exit 0" 0 "$stop_status"

# 3. The bound is checked at start.
"$bin" serve "${tls[@]}" --max-connections 10 --max-connections-per-ip 11 2> err.txt
check "--max-connections-per-ip above --max-connections: exit 2" 2 $?
contains "the bad value is named" err.txt "invalid --max-connections-per-ip '11'"
[ $fails -eq 0 ]
