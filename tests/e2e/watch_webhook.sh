#!/usr/bin/env bash
# watch_webhook.sh -- kubeharden watch --listen: the API server's audit
# webhook backend POSTs EventList batches to /audit over HTTPS (mutual TLS
# here, as an API server with a client certificate); each batch is judged
# before it is answered 200, a malformed batch is answered 400 with its
# position, other paths are 404, /healthz works, /metrics has the
# watcher's counters (events, errors, alerts by rule and severity, folded
# alerts, per-sink deliveries and breaker state), and SIGTERM stops it with
# the folded alerts flushed. Bounded in time; the server is stopped on exit.
set -u
. "$(dirname "$0")/lib/check.bash"
. "$(dirname "$0")/lib/serve.bash"
gen_certs || { echo "FAIL: openssl"; exit 1; }

ev() { # auditID user second
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:%02d.000000Z"}' "$1" "$2" "$3"
}
printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[%s,%s,%s]}' \
    "$(ev b1 alice 1)" "$(ev b2 bob 2)" "$(ev b3 alice 3)" > batch.json
printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' > bad.json

port=$(free_port)
url=https://127.0.0.1:$port
client_cert=1
"$bin" watch --listen "127.0.0.1:$port" --tls-cert-file server.crt --tls-private-key-file server.key \
    --client-ca-file ca.crt --sink "file:$tmp/alerts.jsonl" --fail-on never 2> log &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do
    curl -s --cacert ca.crt --cert client.crt --key client.key -o /dev/null "$url/healthz" && break
    kill -0 "$pid" 2>/dev/null || { echo "FAIL: watch --listen exited:"; cat log; exit 1; }
    sleep 0.1
done

check "a batch is answered 200" 200 "$(post /audit batch.json --cert client.crt --key client.key)"
check "the answer is {}" "{}" "$(cat resp)"
check "two alerts at once: alice's and bob's (alice's second exec is folded)" 2 "$(wc -l < alerts.jsonl)"
contains "the alert names the webhook request" alerts.jsonl '"file":"<webhook request'
check "a malformed batch is answered 400" 400 "$(post /audit bad.json --cert client.crt --key client.key)"
contains "with the position" resp "unexpected end of JSON input"
curl -s --cacert ca.crt --cert client.crt --key client.key "$url/metrics" > metrics
contains "/metrics counts the events" metrics 'kubeharden_watch_events_total{source="webhook"} 3'
contains "the bad batch" metrics "kubeharden_watch_errors_total 1"
contains "alerts by rule and severity" metrics 'kubeharden_watch_alerts_total{rule="audit.pod-exec",severity="medium"} 2'
contains "folded alerts" metrics "kubeharden_watch_alerts_folded_total 1"
contains "deliveries per sink" metrics "kubeharden_watch_sink_delivered_total{sink=\"file:$tmp/alerts.jsonl\"} 2"
contains "breaker state per sink" metrics "kubeharden_watch_sink_breaker_open{sink=\"file:$tmp/alerts.jsonl\"} 0"
contains "and the server's own metrics" metrics "kubeharden_"
if command -v promtool > /dev/null; then
    promtool check metrics < metrics > promtool.out 2>&1
    check "promtool accepts the exposition" 0 $?
fi
check "another path is 404" 404 "$(post /nothing batch.json --cert client.crt --key client.key)"
check "without a client certificate the handshake fails" 000 "$(post /audit batch.json 2>/dev/null)"
stop_server
check "SIGTERM stops it with status 0" 0 "$stop_status"
check "alice's folded exec is flushed on exit" 3 "$(wc -l < alerts.jsonl)"
contains "with its count" alerts.jsonl '"count":1,"subject":"user alice","auditID":"b3"'

"$bin" watch --listen 127.0.0.1:0x 2> err
check "a bad --listen is a usage error" 2 $?
"$bin" watch --listen 8443 2> err
check "--listen needs a certificate" 2 $?
contains "and says so" err "--listen needs --tls-cert-file and --tls-private-key-file"
exit $((fails > 0))
