#!/usr/bin/env bash
# watch_http.sh -- kubeharden watch's HTTP sinks against a Python HTTP
# server on loopback: the generic webhook gets each alert's JSON as a POST,
# the Slack-compatible sink gets {"text": ...} naming the rule, user and
# alert id; a receiver answering 500 is reported, its alerts queued and
# retried with backoff (oldest first) until exit, then counted as not
# delivered, while the other sinks still get every alert. Bounded in time.
set -u
. "$(dirname "$0")/lib/check.bash"
command -v python3 > /dev/null || { echo "skip: python3 missing"; exit 77; }
cat > recv.py <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(self.path.strip("/") + ".log", "ab") as f:
            f.write(self.headers["Content-Type"].encode() + b" " + body + b"\n")
        self.send_response(500 if self.path == "/fail" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("port", "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 recv.py &
rpid=$!
trap 'kill "$rpid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
port=$(cat port)
events=$src/tests/fixtures/audit/mixed.jsonl   # 3 alerts and one malformed line
timeout 30 "$bin" watch --fail-on never --sink "http://127.0.0.1:$port/hook" \
    --sink "slack+http://127.0.0.1:$port/slack" --sink "http://127.0.0.1:$port/fail" \
    --sink "file:$tmp/alerts.jsonl" "$events" > /dev/null 2> err
check "three alerts posted to the webhook" 3 "$(wc -l < hook.log)"
check "three posted to the Slack sink" 3 "$(wc -l < slack.log)"
contains "as JSON" hook.log "application/json {\"id\":"
python3 - hook.log alerts.jsonl > same <<'PY'
import json, sys
posted = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1])]
written = [json.loads(l) for l in open(sys.argv[2])]
print("same" if posted == written else "different")
PY
contains "the webhook gets the alert JSON of the file sink" same "same"
contains "Slack text names severity, rule and message" slack.log '{"text":"[medium] audit.pod-exec: '"'"'alice'"'"' ran exec into pod shop/web-1 (user alice, create pods/shop/web-1, auditID a1, alert '
# A webhook URL can be its own secret: messages name the sink by host and a
# fingerprint, never by its path.
contains "a receiver answering 500 is reported" err "' failing (the receiver answered 500): queuing alerts, retrying with backoff"
contains "naming the sink without its path" err "sink 'http://127.0.0.1:$port/...#"
lacks "the path is never shown" err "/fail"
contains "what it never took is counted at exit (after at most 10 s of retries)" err "': 3 alerts not delivered"
posts=$(wc -l < fail.log)
check "it was retried with backoff (more than 3, far fewer than 10 s of busy retries)" 1 "$([ "$posts" -gt 3 ] && [ "$posts" -lt 40 ] && echo 1 || echo 0)"
python3 - fail.log > order <<'PY'
import json, sys
ids = [json.loads(l.split(" ", 1)[1])["id"] for l in open(sys.argv[1])]
# The queue keeps its order: the oldest undelivered alert is always retried first.
print("first retried first" if all(i == ids[1] for i in ids[1:]) or ids[0] == ids[1] else "out of order %s" % ids)
PY
contains "the queue is retried oldest first" order "first retried first"
check "the file sink got every alert" 3 "$(wc -l < alerts.jsonl)"
"$bin" watch --sink "ftp://x" "$events" 2> err2
check "an unknown sink scheme is a usage error" 2 $?
contains "naming the sink" err2 "unknown sink 'ftp://x'"
exit $((fails > 0))
