#!/usr/bin/env bash
# serve_load.sh -- the webhook under pressure: beyond --max-in-flight a
# review is refused at once with 429 and Retry-After (a slow upload holds
# the one slot); a client slower than --request-timeout is dropped and the
# server stays up; SIGTERM under load (parallel curl loops from before it until after the exit) stops
# accepting, turns /readyz to 503 on a kept-alive connection, finishes the
# review in progress, and every request that was sent gets its answer
# (clients see 200 or, after the stop, connection refused; never an empty
# or cut reply).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
tls=(--tls-cert-file server.crt --tls-private-key-file server.key)
review good.json admission.k8s.io/v1 uid-load CREATE "$good_pod"
# The same review padded with trailing spaces: about 1 s at 2000 bytes/s.
{ cat good.json; head -c 2000 /dev/zero | tr '\0' ' '; } > slow.json

# --request-timeout 3s: the first slow upload (~1 s) is judged, the second
# (16 KB at 2000 B/s, ~8 s) is dropped at 3 s.
{ cat good.json; head -c 16000 /dev/zero | tr '\0' ' '; } > slower.json
start_server log "${tls[@]}" --max-in-flight 1 --request-timeout 3s || exit 1
post /validate/restricted slow.json --limit-rate 2000 > slow.code &
slow=$!
# Wait until the slow upload holds the slot (on a busy machine its TLS
# handshake alone can take longer than any fixed sleep).
for i in $(seq 1 100); do
    curl -sS --cacert ca.crt "$url/metrics" 2>/dev/null |
        grep -q '^kubeharden_http_in_flight_requests 1$' && break
    sleep 0.05
done
code=$(curl -sS --cacert ca.crt -H 'Content-Type: application/json' --data-binary @good.json \
    -D headers -o resp -w '%{http_code}' "$url/validate/restricted")
check "over --max-in-flight: 429 at once" 429 "$code"
contains "429 says why" resp 'too many reviews in flight'
contains "429 has Retry-After" headers 'Retry-After: 1'
wait $slow
check "the slow review holding the slot is judged" 200 "$(cat slow.code)"
check "afterwards the slot is free: 200" 200 "$(post /validate/restricted good.json)"
check "a client slower than --request-timeout is dropped unanswered" 000 \
    "$(post /validate/restricted slower.json --limit-rate 2000 2>/dev/null)"
contains "the drop is logged" log 'request timeout'
curl -sS --cacert ca.crt -o metrics "$url/metrics"
contains "the rejection is counted" metrics 'kubeharden_http_rejected_requests_total{reason="in_flight"} 1'
contains "the timeout is counted" metrics 'kubeharden_http_rejected_requests_total{reason="timeout"} 1'
stop_server
check "exit 0" 0 "$stop_status"

# Graceful shutdown under load.
start_server log2 "${tls[@]}" --shutdown-grace-period 5s || exit 1
{ cat good.json; head -c 6000 /dev/zero | tr '\0' ' '; } > slow2.json
loop() { # n: curl (a new connection each time) until the server has stopped
    local end=$((SECONDS + 15)) out
    while [ ! -e stopped ] && [ $SECONDS -lt $end ]; do
        out=$(curl -s --cacert ca.crt -H 'Content-Type: application/json' \
            --data-binary @good.json -o /dev/null -w '%{http_code}' "$url/validate/restricted")
        echo "$? $out" >> "loop$1"
    done
}
loops=()
for n in 1 2 3 4; do loop $n & loops+=($!); done
# A review in progress when SIGTERM comes (~3 s of upload, within the 5 s
# grace, so the drain lasts long enough on a loaded machine), and a kept-alive
# connection that asks /readyz before and after.
post /validate/restricted slow2.json --limit-rate 2000 > slow2.code &
slow=$!
python3 - "$port" > ready.out 2>&1 <<'PY' &
import http.client, os, ssl, sys, time
ctx = ssl.create_default_context(cafile="ca.crt")
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=5)
c.request("GET", "/readyz"); r = c.getresponse(); r.read(); print("before", r.status)
sys.stdout.flush(); open("asked", "w").close()
while not os.path.exists("termed"): time.sleep(0.02)
time.sleep(0.1)
c.request("GET", "/readyz"); r = c.getresponse(); r.read()
print("after", r.status, r.getheader("Connection"))
PY
ready=$!
for i in $(seq 1 50); do [ -e asked ] && break; sleep 0.1; done
sleep 0.3
kill -TERM "$pid"; touch termed
wait $slow $ready
stop_server
sleep 0.3; touch stopped
wait "${loops[@]}"
check "exit 0 after draining" 0 "$stop_status"
check "the review in progress at SIGTERM is answered" 200 "$(cat slow2.code)"
contains "readyz was 200 before" ready.out "before 200"
contains "readyz is 503 while draining, closing the connection" ready.out "after 503 close"
cat loop* > outcomes
answered=$(grep -c ' 200$' outcomes)
lost=$(grep -v -e ' 200$' -e '^7 000$' outcomes | sort | uniq -c)
if [ "$answered" -gt 10 ] && [ -z "$lost" ]; then
    echo "ok: under load, $answered answered, the rest refused at connect ($(grep -c '^7 ' outcomes))"
else
    echo "FAIL: under load: $answered answered; other outcomes (curl status, http code):"; echo "$lost"
    fails=$((fails + 1))
fi
contains "nothing left unfinished" log2 '"msg":"stopped","unfinished":0'
[ $fails -eq 0 ]
