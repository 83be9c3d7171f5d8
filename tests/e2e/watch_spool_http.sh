#!/usr/bin/env bash
# watch_spool_http.sh -- the spool's bound, the breaker and the metrics of
# a watcher reading a file, against a Python HTTP receiver on loopback that
# answers 503 while it is "down". kubeharden watch --follow --spool
# --spool-max-bytes 20K --metrics-listen reads 50 events while the
# receiver is down: /metrics (plain HTTP, checked by promtool) shows the
# events by source, the lag, the alerts, the breaker half-open once the
# backoff has passed (the poll interval is long, so no probe is made), the
# spool's records and bytes under the bound, and the oldest alerts dropped
# past it, counted and reported on stderr. The watcher is killed -9; the
# next run, the receiver up, delivers exactly the alerts that were not
# dropped, oldest first, with their ids. Last, watch --listen: an alert
# queued while the receiver is down goes out once it is back with no
# further batch, and its /metrics has the same series. Bounded in time.
set -u
. "$(dirname "$0")/lib/check.bash"
command -v python3 > /dev/null || { echo "skip: python3 missing"; exit 77; }
promtool=$(command -v promtool || true)
cat > recv.py <<'PY'
import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        down = os.path.exists("down")
        if not down:
            with open("got.log", "a") as f:
                f.write(json.loads(body)["id"] + "\n")
        self.send_response(503 if down else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("port", "w").write(str(s.server_address[1]))
s.serve_forever()
PY
touch down
python3 recv.py &
rpid=$!
wpid=
trap 'kill "$rpid" 2>/dev/null; kill -9 "$wpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
port=$(cat port)
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sink="http://127.0.0.1:$port/hook"
ev() { # auditID user
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}\n' "$1" "$2"
}
for i in $(seq 1 50); do ev "a$i" "u$i"; done > audit.log
printf 'watch:\n  dedup: {window: 0}\n' > cfg.yaml
"$bin" watch --follow --poll-interval 60000 --config cfg.yaml --fail-on never --spool spool \
    --spool-max-bytes 20K --metrics-listen "127.0.0.1:$mport" \
    --sink "$sink" --sink "file:$tmp/all.jsonl" audit.log 2> werr &
wpid=$!
for _ in $(seq 150); do [ "$(cat all.jsonl 2>/dev/null | wc -l)" -ge 50 ] && break; sleep 0.1; done
check "50 alerts detected while the receiver is down" 50 "$(wc -l < all.jsonl)"
sleep 1 # past the first backoff (at most 150 ms): the breaker is half-open
curl -sf "http://127.0.0.1:$mport/healthz" > health; check "/healthz answers" 0 $?
contains "ok" health "ok"
curl -sf "http://127.0.0.1:$mport/metrics" > metrics; check "/metrics answers" 0 $?
curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$mport/nothing" > code
contains "another path is 404" code "404"
contains "events by source" metrics 'kubeharden_watch_events_total{source="file"} 50'
contains "other sources are zero" metrics 'kubeharden_watch_events_total{source="webhook"} 0'
contains "bytes behind the file's end" metrics "kubeharden_watch_file_behind_bytes 0"
contains "the last event's stageTimestamp" metrics "kubeharden_watch_last_event_timestamp_seconds 1796032800.000000"
contains "lag" metrics "kubeharden_watch_lag_seconds "
contains "alerts by rule and severity" metrics 'kubeharden_watch_alerts_total{rule="audit.pod-exec",severity="medium"} 50'
# /metrics names the sink without its path (a webhook URL can be its secret).
shown=$(sed -n 's/^kubeharden_watch_spool_max_bytes{sink="\(http[^"]*\)"} .*/\1/p' metrics)
printf '%s\n' "$shown" > sinkname
contains "the sink is named by host and fingerprint" sinkname "http://127.0.0.1:$port/...#"
lacks "not by its path" metrics "/hook"
contains "the breaker is half-open" metrics "kubeharden_watch_sink_breaker_state{sink=\"$shown\"} 2"
contains "the file sink's breaker is closed" metrics "kubeharden_watch_sink_breaker_state{sink=\"file:$tmp/all.jsonl\"} 0"
contains "the spool's bound" metrics "kubeharden_watch_spool_max_bytes{sink=\"$shown\"} 20480"
python3 - metrics "$shown" > spooled <<'PY'
import re, sys
m = dict((k, float(v)) for k, v in re.findall(r'^(\S+) (\S+)$', open(sys.argv[1]).read(), re.M))
l = '{sink="%s"}' % sys.argv[2]
rec, dropped = m["kubeharden_watch_spool_records" + l], m["kubeharden_watch_spool_dropped_total" + l]
b = m["kubeharden_watch_spool_bytes" + l]
print("records+dropped=%d" % (rec + dropped))
print("dropped>0 %s" % (dropped > 0))
print("bytes<=bound %s" % (0 < b <= 20480))
print("sink dropped %s" % (m["kubeharden_watch_sink_dropped_total" + l] == dropped))
print("queue %s" % (m["kubeharden_watch_sink_queue" + l] == rec))
print("failed attempts %s" % (m["kubeharden_watch_sink_failed_attempts_total" + l] >= 1))
open("dropped", "w").write("%d" % dropped)
PY
contains "every alert is in the spool or counted as dropped" spooled "records+dropped=50"
contains "the bound dropped some" spooled "dropped>0 True"
contains "the spool stays under its bound" spooled "bytes<=bound True"
contains "sink drops count spool drops" spooled "sink dropped True"
contains "the queue is the spool" spooled "queue True"
contains "failed attempts are counted" spooled "failed attempts True"
dropped=$(cat dropped)
contains "drops are reported on stderr" werr "oldest alerts dropped"
if [ -n "$promtool" ]; then
    "$promtool" check metrics < metrics > lint 2>&1
    check "promtool check metrics accepts the exposition" 0 $?
    cat lint
else
    echo "skip: promtool not installed (Debian package prometheus)"
fi
kill -9 "$wpid"; wait "$wpid" 2>/dev/null; wpid=
rm down
: > empty.log
"$bin" watch --config cfg.yaml --fail-on never --spool spool --sink "$sink" empty.log 2> werr2
check "the next run, receiver up, exits 0" 0 $?
contains "it sends what the killed watcher kept" werr2 "$((50 - dropped)) alerts from the spool to deliver first"
python3 - all.jsonl got.log "$dropped" > order <<'PY'
import json, sys
want = [json.loads(l)["id"] for l in open(sys.argv[1])][int(sys.argv[3]):]
got = [l.strip() for l in open(sys.argv[2])]
print("the newest %d, in order" % len(want) if got == want else "got %s" % got)
PY
contains "exactly the alerts not dropped arrive, oldest first" order "the newest $((50 - dropped)), in order"
check "the spool is emptied" 0 "$(ls spool | wc -l)"

# --listen: an alert queued while the receiver is down goes out once it is
# back even if no batch comes after (the sinks are polled), and /metrics
# there has the same series (webhook source, spool, breaker).
if command -v openssl > /dev/null; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2> /dev/null
    touch down
    : > got.log
    lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" watch --listen "127.0.0.1:$lport" --tls-cert-file cert.pem --tls-private-key-file key.pem \
        --config cfg.yaml --fail-on never --spool spool --sink "$sink" 2> lerr &
    wpid=$!
    for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$lport/healthz" && break; sleep 0.1; done
    printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[%s]}' "$(ev w1 walter)" > batch.json
    curl -sk -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary @batch.json \
        "https://127.0.0.1:$lport/audit" > code
    contains "the batch is answered 200" code 200
    sleep 0.5
    curl -sk "https://127.0.0.1:$lport/metrics" > lmetrics
    contains "--listen counts webhook events" lmetrics 'kubeharden_watch_events_total{source="webhook"} 1'
    contains "and shows the alert in the spool" lmetrics "kubeharden_watch_spool_records{sink=\"$shown\"} 1"
    contains "and the breaker not closed" lmetrics "kubeharden_watch_sink_breaker_state{sink=\"$shown\"} "
    lacks "(closed)" lmetrics "kubeharden_watch_sink_breaker_state{sink=\"$shown\"} 0"
    rm down
    for _ in $(seq 50); do [ -s got.log ] && break; sleep 0.1; done
    check "with no batch after, the queued alert arrives once the receiver is back" 1 "$(wc -l < got.log)"
    kill -TERM "$wpid"; wait "$wpid"; check "watch --listen stops with status 0" 0 $?
    wpid=
    check "its spool is emptied" 0 "$(ls spool | wc -l)"
else
    echo "skip: openssl missing for the --listen part"
fi
exit $((fails > 0))
