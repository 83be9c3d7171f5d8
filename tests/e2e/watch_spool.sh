#!/usr/bin/env bash
# watch_spool.sh -- a watcher killed with SIGKILL while its SIEM is down
# loses no alert: kubeharden watch --follow --spool sends to a real
# rsyslogd over TCP; rsyslogd is stopped, events keep coming (their alerts
# go to the on-disk spool before any attempt), the watcher is killed -9,
# rsyslogd comes back, a new watcher on the same spool (reading another,
# new log, so nothing is detected twice) sends what the dead one held,
# oldest first, then its own. Every alert the first watcher detected
# reaches rsyslog with the id it was detected with; a duplicate only with
# the same id. The second part kills the watcher -9 at a random moment in
# the middle of a stream of 3,000 alerts while rsyslog is up: again every
# alert arrives. Skips (77) without rsyslogd; every wait is bounded.
set -u
. "$(dirname "$0")/lib/check.bash"
. "$(dirname "$0")/lib/rsyslog.bash"
wpid=
trap 'kill "$rpid" 2>/dev/null; kill -9 "$wpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_for() { # command value: wait at most 20 s for $(command) >= value
    for _ in $(seq 200); do [ "$($1)" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
lines() { cat "$@" 2>/dev/null | wc -l; }
detected() { lines all.jsonl; }
detected_burst() { lines burst.jsonl; }
ev() { # auditID user
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}\n' "$1" "$2"
}
# every id detected (file sinks given) was received; duplicates only as ids
verify() { # detected-files...
    python3 - received.log "$@" <<'PY'
import json, re, sys
got = re.findall(r'id="([0-9a-f]{16})"', open(sys.argv[1]).read())
want = set()
for f in sys.argv[2:]:
    want |= {json.loads(l)["id"] for l in open(f)}
missing = want - set(got)
print("all %d detected alerts received" % len(want) if not missing else "missing %d: %s" % (len(missing), sorted(missing)[:5]))
print("unknown ids %d" % len(set(got) - want))
PY
}
printf 'watch:\n  dedup: {window: 0}\n' > cfg.yaml
sink="syslog+tcp://127.0.0.1:$tcp"
start_rsyslog || exit 1
: > audit.log
# The syslog sink comes first: an alert in all.jsonl was handed to it before.
"$bin" watch --follow --poll-interval 20 --config cfg.yaml --fail-on never --spool spool \
    --sink "$sink" --sink "file:$tmp/all.jsonl" audit.log 2> werr &
wpid=$!
for i in 1 2 3 4 5; do ev "a$i" "u$i" >> audit.log; done
wait_for "lines received.log" 5; check "five alerts while rsyslog runs" 0 $?
stop_rsyslog
for i in $(seq 6 40); do ev "a$i" "u$i" >> audit.log; done
wait_for detected 40; check "detection goes on while rsyslog is down" 0 $?
kill -9 "$wpid"; wait "$wpid" 2>/dev/null
check "the watcher was killed (SIGKILL)" 137 "$(kill -0 "$wpid" 2>/dev/null || echo 137)"
check "one spool directory for the sink" 1 "$(ls spool | wc -l)"
check "its segments hold what was not delivered" 1 "$(ls spool/*/*.seg | wc -l | awk '{print ($1 >= 1)}')"
contains "the outage was reported before the kill" werr "failing"
start_rsyslog || exit 1
: > new.log
"$bin" watch --follow --poll-interval 20 --config cfg.yaml --fail-on never --spool spool \
    --sink "$sink" --sink "file:$tmp/new.jsonl" new.log 2> werr2 &
wpid=$!
for i in 41 42 43; do ev "a$i" "u$i" >> new.log; done
wait_for "lines received.log" 43; check "the spooled alerts and the new ones arrive" 0 $?
# The 35 it could not send, and perhaps some of the 5 it sent just before
# the kill (the read position is written every 200 ms): same ids.
held=$(sed -n 's/.*: \([0-9]*\) alerts from the spool to deliver first/\1/p' werr2)
check "the restarted watcher found what the killed one held (35, at most 40)" 1 \
    "$([ "${held:-0}" -ge 35 ] && [ "$held" -le 40 ] && echo 1 || echo 0)"
kill -TERM "$wpid"; wait "$wpid"; check "the second watcher stops with status 0" 0 $?
verify all.jsonl new.jsonl > ids
contains "every alert detected before the kill was received with its id" ids "all 43 detected alerts received"
contains "no alert under another id" ids "unknown ids 0"
python3 - received.log <<'PY' > order
import re, sys
ids = re.findall(r'id="([0-9a-f]{16})"', open(sys.argv[1]).read())
print("duplicates %d" % (len(ids) - len(set(ids))))
PY
cat order
check "the spool is emptied once delivered" 0 "$(ls spool | wc -l)"
lacks "nothing lost" werr2 "not delivered"

# Part two: SIGKILL in the middle of a stream of 3000 alerts while rsyslog
# is up (alerts between written to the spool and sent, or sent but not yet
# marked delivered): every alert still arrives, perhaps twice. An alert
# may also reach rsyslog before the file sink (second) wrote it: the ids
# a full run gives are the ones allowed.
for i in $(seq 1000 3999); do ev "b$i" "v$i"; done > burst.log
"$bin" watch --config cfg.yaml --fail-on never --sink "file:$tmp/ref.jsonl" burst.log
: > stream.log
"$bin" watch --follow --poll-interval 20 --config cfg.yaml --fail-on never --spool spool \
    --sink "$sink" --sink "file:$tmp/burst.jsonl" stream.log 2> werr3 &
wpid=$!
sleep 0.3
# The stream arrives in 30 blocks over about 1.5 s, so the kill lands in
# its middle however fast the watcher reads.
(for c in $(seq 0 29); do
    sed -n "$((c * 100 + 1)),$((c * 100 + 100))p" burst.log >> stream.log
    sleep 0.05
done) &
apid=$!
at=$((RANDOM % 1500 + 100))
wait_for detected_burst "$at"
kill -9 "$wpid"; wait "$wpid" 2>/dev/null
wait "$apid"
n=$(lines burst.jsonl)
echo "killed after $n of 3000 alerts were detected (aimed at $at), $(lines received.log) received"
check "killed in the middle of the stream" 1 "$([ "$n" -gt 0 ] && [ "$n" -lt 3000 ] && echo 1 || echo 0)"
: > empty.log
"$bin" watch --config cfg.yaml --fail-on never --spool spool --sink "$sink" empty.log 2> werr4
check "the next run exits 0" 0 $?
cat werr4
complete() { verify all.jsonl new.jsonl burst.jsonl | grep -c "^all"; }
wait_for complete 1
verify all.jsonl new.jsonl burst.jsonl > ids3
contains "every alert handed to the sink before the SIGKILL arrived" ids3 "all $((43 + n)) detected alerts received"
verify all.jsonl new.jsonl ref.jsonl > ids4
contains "with the ids a full run gives" ids4 "unknown ids 0"
check "the spool is emptied again" 0 "$(ls spool | wc -l)"
exit $((fails > 0))
