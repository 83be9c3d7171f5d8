#!/usr/bin/env bash
# watch_syslog_restart.sh -- the SIEM goes away in the middle of a stream:
# kubeharden watch --follow sends to a real rsyslogd over TCP (octet
# counting); rsyslogd is stopped, events keep coming, rsyslogd is started
# again on the same port, more events come, then the watcher is stopped.
# Every alert must reach rsyslog (queued while it was down, retried with
# backoff, oldest first), any duplicate with the same id. With --spool,
# what a down collector did not take is kept at exit and sent first by the
# next run. Skips (77)
# without rsyslogd; every wait is bounded; rsyslogd is stopped on exit.
set -u
. "$(dirname "$0")/lib/check.bash"
. "$(dirname "$0")/lib/rsyslog.bash"
wpid=
trap 'kill "$rpid" "$wpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
received() { grep -o 'id="[0-9a-f]*"' received.log 2>/dev/null | sort -u | wc -l; }
wait_for() { # command value: wait at most 15 s for $(command) >= value
    for _ in $(seq 150); do [ "$($1)" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
sent() { wc -l < all.jsonl; }
ev() { # auditID user
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}\n' "$1" "$2"
}
printf 'watch:\n  dedup: {window: 0}\n' > cfg.yaml
start_rsyslog || exit 1
: > audit.log
"$bin" watch --follow --poll-interval 20 --config cfg.yaml --fail-on never \
    --sink "syslog+tcp://127.0.0.1:$tcp" --sink "file:$tmp/all.jsonl" audit.log 2> werr &
wpid=$!
for i in 1 2 3 4 5; do ev "a$i" "u$i" >> audit.log; done
wait_for received 5; check "five alerts while rsyslog runs" 0 $?
stop_rsyslog
for i in 6 7 8 9 10; do ev "a$i" "u$i" >> audit.log; sleep 0.05; done
wait_for sent 10; check "detection goes on while rsyslog is down" 0 $?
start_rsyslog || exit 1
# No event now: the queue is retried while the watcher waits for input.
wait_for received 10; check "queued alerts go out while no event comes" 0 $?
for i in 11 12 13 14 15; do ev "a$i" "u$i" >> audit.log; sleep 0.2; done
wait_for sent 15; check "all fifteen detected" 0 $?
wait_for received 15; check "and sent" 0 $?
kill -TERM "$wpid"
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
wait "$wpid"
check "the watcher stops with status 0" 0 $?
python3 - received.log all.jsonl > ids <<'PY'
import json, re, sys
got = re.findall(r'id="([0-9a-f]{16})" rule="([^"]*)" count="(\d+)"', open(sys.argv[1]).read())
want = {json.loads(l)["id"] for l in open(sys.argv[2])}
ids = [g[0] for g in got]
print("ids match" if set(ids) == want else "ids differ: missing %s" % (want - set(ids)))
print("duplicates %d" % (len(ids) - len(set(ids))))
PY
contains "the ids received are the ids detected" ids "ids match"
cat ids
contains "the outage was reported" werr "failing"
contains "and the recovery" werr "back after"
lacks "nothing was lost" werr "not delivered"

# --spool: what a down collector did not take is kept at exit (no 10 s
# wait) and sent first by the next run.
stop_rsyslog
mkdir spool
for i in 16 17 18; do ev "a$i" "u$i"; done > three.jsonl
SECONDS=0
"$bin" watch --config cfg.yaml --fail-on never --spool spool --sink "syslog+tcp://127.0.0.1:$tcp" \
    --sink "file:$tmp/three.alerts" three.jsonl 2> serr
check "with a spool, exit is not delayed by the down collector" 1 "$([ "$SECONDS" -lt 5 ] && echo 1 || echo 0)"
contains "the kept alerts are counted" serr "3 alerts kept in"
check "one spool file" 1 "$(ls spool | wc -l)"
start_rsyslog || exit 1
: > empty.jsonl
"$bin" watch --config cfg.yaml --fail-on never --spool spool --sink "syslog+tcp://127.0.0.1:$tcp" \
    empty.jsonl 2> serr2
contains "the next run sends the spool first" serr2 "3 alerts from the spool to deliver first"
wait_for received 18; check "the spooled alerts reach rsyslog" 0 $?
python3 - received.log three.alerts > ids2 <<'PY'
import json, re, sys
got = set(re.findall(r'id="([0-9a-f]{16})"', open(sys.argv[1]).read()))
want = {json.loads(l)["id"] for l in open(sys.argv[2])}
print("spooled ids received" if want <= got else "missing %s" % (want - got))
PY
contains "with the ids detected" ids2 "spooled ids received"
check "the spool is emptied" 0 "$(ls spool | wc -l)"
exit $((fails > 0))
