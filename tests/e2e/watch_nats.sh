#!/usr/bin/env bash
# watch_nats.sh -- kubeharden watch over NATS JetStream, against a real
# nats-server (Debian's, started here on loopback with -js):
#  * two watchers in one consumer group (--nats-consumer) share a stream.
#    One also sends to a syslog collector that is down, so it may not
#    acknowledge what it detects; it is killed (SIGKILL) in the middle of
#    the stream. JetStream gives its messages to the other watcher, whose
#    output alone has an alert for every event that should alert (the same
#    alert ids as the killed one's), and in the end the consumer has
#    nothing pending or unacknowledged;
#  * with --spool an alert on disk is safe: a watcher whose collector is
#    down acknowledges at once, is killed, and the next run with its spool
#    sends its alerts to the collector;
#  * the nats:// sink: alerts land in a JetStream stream with the alert id
#    as Nats-Msg-Id, so a second run with the same events adds nothing;
#  * nats-server restarted under a --follow watcher with the nats sink and
#    a --nats watcher: the sink queues and resends what came meanwhile,
#    the input reconnects and reads what is published after, and its
#    /metrics (--metrics-listen) counts them under source="nats".
# The events are published by tests/fixtures/nats/natsctl.py (its own
# client of the NATS text protocol). Skips (77) without nats-server; every
# wait is bounded; the server and the watchers are stopped on exit.
set -u
. "$(dirname "$0")/lib/check.bash"
natsd=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$natsd" ] || { echo "skip: nats-server not installed (Debian package nats-server)"; exit 77; }
ctl="python3 $src/tests/fixtures/nats/natsctl.py"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
npid= apid= bpid= fpid= cpid=
trap 'kill -9 $apid $bpid $fpid $cpid $spid 2>/dev/null; kill $npid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
start_nats() {
    "$natsd" -js -a 127.0.0.1 -p "$port" -sd "$tmp/js" >> natsd.log 2>&1 &
    npid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    echo "FAIL: nats-server did not start"; cat natsd.log; return 1
}
stop_nats() {
    kill -TERM "$npid"
    for _ in $(seq 100); do kill -0 "$npid" 2>/dev/null || break; sleep 0.1; done
    wait "$npid" 2>/dev/null
}
start_nats || exit 1
wait_for() { # command value: wait at most 30 s for $(command) >= value
    for _ in $(seq 300); do [ "$($1)" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
ev() { # auditID user verb subresource code
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"%s","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"%s"},"responseStatus":{"code":%s},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}' "$1" "$3" "$2" "$4" "$5"
}
printf 'watch:\n  dedup: {window: 0}\n' > cfg.yaml

# ---------------------------------------------------------------- input
# 300 messages: an exec into a pod (alerts) or a plain get (does not);
# every 50th is an EventList of two execs.
: > first.jsonl; : > second.jsonl; : > want
for i in $(seq 1 300); do
    f=first.jsonl; [ "$i" -gt 150 ] && f=second.jsonl
    if [ $((i % 50)) = 0 ]; then
        printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[%s,%s]}\n' \
            "$(ev "a$i-1" "u$i" create exec 101)" "$(ev "a$i-2" "v$i" create exec 101)" >> "$f"
        printf 'a%s-1\na%s-2\n' "$i" "$i" >> want
    elif [ $((i % 3)) = 0 ]; then
        printf '%s\n' "$(ev "a$i" "u$i" get "" 200)" >> "$f"
    else
        printf '%s\n' "$(ev "a$i" "u$i" create exec 101)" >> "$f"
        echo "a$i" >> want
    fi
done
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
watcher() { # output-file [sink]
    exec "$bin" watch --nats "nats://$addr" --nats-subject audit.events --nats-stream AUDIT \
        --nats-consumer grp --nats-ack-wait 2 --config cfg.yaml --fail-on never \
        --rule audit.pod-exec --sink "file:$tmp/$1" ${2:+--sink "$2"}
}
watcher a.jsonl "syslog+tcp://127.0.0.1:$dead" 2> a.err &
apid=$!
watcher b.jsonl 2> b.err &
bpid=$!
$ctl "$addr" wait-stream AUDIT
check "a watcher creates the stream" 0 $?
$ctl "$addr" publish audit.events first.jsonl 5 &
ppid=$!
a_alerts() { cat a.jsonl 2>/dev/null | wc -l; }
wait_for a_alerts 10; check "the watcher to be killed alerts while events come" 0 $?
{ kill -9 "$apid"; wait "$apid"; } 2>/dev/null
apid=
wait "$ppid"; check "the first half is published" 0 $?
$ctl "$addr" publish audit.events second.jsonl
check "the second half is published" 0 $?
acked() { # the consumer has nothing pending or unacknowledged: 1
    $ctl "$addr" consumer-info AUDIT grp | grep -q '^pending 0 ack_pending 0 ' && echo 1 || echo 0
}
wait_for acked 1; check "every message is acknowledged" 0 $?
$ctl "$addr" consumer-info AUDIT grp
kill -TERM "$bpid"
for _ in $(seq 100); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
wait "$bpid"
check "the surviving watcher stops with status 0" 0 $?
bpid=
python3 - a.jsonl b.jsonl want > verdict <<'PY'
import json, sys
ids = {}
got = []
for name in sys.argv[1:3]:
    for line in open(name):
        if not line.endswith("\n"):
            continue  # the killed watcher's last, cut-off write
        a = json.loads(line)
        got.append(a["auditID"])
        ids.setdefault(a["auditID"], set()).add(a["id"])
want = set(open(sys.argv[3]).read().split())
print("every event alerted" if want <= set(got) else "missing %s" % sorted(want - set(got)))
b = {json.loads(l)["auditID"] for l in open(sys.argv[2])}
print("the survivor alerted every event" if want <= b else "survivor misses %s" % sorted(want - b))
a = {json.loads(l)["auditID"] for l in open(sys.argv[1]) if l.endswith("\n")}
print("events of the killed watcher came again" if a & b else "no event came twice")
print("no other alert" if set(got) <= want else "extra %s" % sorted(set(got) - want))
print("one id per event" if all(len(v) == 1 for v in ids.values()) else "ids differ")
print("want %d alerts %d duplicates %d" % (len(want), len(got), len(got) - len(set(got))))
PY
contains "no event lost" verdict "every event alerted"
contains "the killed watcher acknowledged nothing its down collector had not taken" \
    verdict "the survivor alerted every event"
contains "the killed watcher's unacknowledged events went to the other" verdict \
    "events of the killed watcher came again"
contains "no alert for a plain get" verdict "no other alert"
contains "duplicates only with the same alert id" verdict "one id per event"
cat verdict
check "the killed watcher had alerted" 1 "$([ -s a.jsonl ] && echo 1 || echo 0)"
check "the other watcher shared the stream" 1 "$([ -s b.jsonl ] && echo 1 || echo 0)"
lacks "no message went unacknowledged for a sink" b.err "not acknowledged"

# --spool: an alert on disk is safe, so a watcher whose collector is down
# acknowledges at once; killed, it leaves its alerts in the spool, and the
# next run with that spool sends them when the collector is there.
for i in 1 2 3 4 5; do printf '%s\n' "$(ev "p$i" "p$i" create exec 101)"; done > spooled.jsonl
mkdir sp
"$bin" watch --nats "nats://$addr" --nats-subject audit.spooled --nats-stream SPOOLED \
    --nats-consumer sp --config cfg.yaml --fail-on never --rule audit.pod-exec --spool sp \
    --sink "syslog+tcp://127.0.0.1:$dead" 2> sp.err &
apid=$!
$ctl "$addr" wait-stream SPOOLED
$ctl "$addr" publish audit.spooled spooled.jsonl
spooled_acked() {
    $ctl "$addr" consumer-info SPOOLED sp | grep -q '^pending 0 ack_pending 0 ' && echo 1 || echo 0
}
wait_for spooled_acked 1; check "with --spool, acknowledged though the collector is down" 0 $?
{ kill -9 "$apid"; wait "$apid"; } 2>/dev/null
apid=
python3 - "$dead" > collector.out 2>&1 <<'PY' &
# a syslog collector for one run: what its connections bring, for 20 s at most
import re, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
open("collector.ready", "w").close()
data, until = b"", time.time() + 20
while data.count(b"kubeharden@32473") < 5 and time.time() < until:
    s.settimeout(max(until - time.time(), 0.1))
    try:
        c, _ = s.accept()
        c.settimeout(5)
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
print(" ".join(sorted(set(re.findall(r'"auditID":"(p\d)"', data.decode())))))
PY
cpid=$!
for _ in $(seq 100); do [ -e collector.ready ] && break; sleep 0.1; done
: > empty.jsonl
"$bin" watch --config cfg.yaml --fail-on never --spool sp --sink "syslog+tcp://127.0.0.1:$dead" \
    empty.jsonl 2> sp2.err
check "the next run with the spool" 0 $?
wait "$cpid"
cpid=
check "sends the killed watcher's five alerts" "p1 p2 p3 p4 p5" "$(cat collector.out)"

# ----------------------------------------------------------------- sink
$ctl "$addr" stream-create ALERTS alerts.kh
check "the alerts stream is created" 0 $?
for i in 1 2 3 4 5; do printf '%s\n' "$(ev "s$i" "w$i" create exec 101)"; done > five.jsonl
sink() {
    "$bin" watch --config cfg.yaml --fail-on never --rule audit.pod-exec \
        --sink "nats://$addr/alerts.kh" --sink "file:$tmp/$1" five.jsonl 2> "$1.err"
}
sink run1.jsonl; check "a run with the nats sink" 0 $?
sink run2.jsonl; check "the same events again" 0 $?
$ctl "$addr" stream-read ALERTS > stored
check "five alerts stored, the second run's dropped as duplicates" 5 "$(wc -l < stored)"
python3 - stored run1.jsonl > sverdict <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1])]
ok = all(json.loads(body)["id"] == msgid for msgid, body in rows)
print("Nats-Msg-Id is the alert id" if ok else "header and id differ")
want = {json.loads(l)["id"] for l in open(sys.argv[2])}
print("the stored ids are the ids detected" if {m for m, _ in rows} == want else "ids differ")
PY
contains "each stored alert carries its id as Nats-Msg-Id" sverdict "Nats-Msg-Id is the alert id"
contains "and they are the alerts detected" sverdict "the stored ids are the ids detected"
lacks "nothing was lost" run2.jsonl.err "not delivered"
"$bin" watch --config cfg.yaml --sink "nats://$addr" five.jsonl 2> nosubject.err
check "a nats sink without a subject is a usage error" 2 $?
contains "and says what to write" nosubject.err "nats://HOST:PORT/SUBJECT"

# -------------------------------------------------------------- restart
: > follow.log
"$bin" watch --follow --poll-interval 20 --config cfg.yaml --fail-on never --rule audit.pod-exec \
    --sink "nats://$addr/alerts.kh" --sink "file:$tmp/follow.jsonl" follow.log 2> follow.err &
fpid=$!
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" watch --nats "nats://$addr" --nats-subject audit.later --nats-stream LATER \
    --config cfg.yaml --fail-on never --rule audit.pod-exec --sink "file:$tmp/later.alerts" \
    --metrics-listen "127.0.0.1:$mport" 2> later.err &
cpid=$!
$ctl "$addr" wait-stream LATER; check "the second input's stream is created" 0 $?
stored() { $ctl "$addr" stream-read ALERTS 2>/dev/null | wc -l; }
lines() { cat "$1" 2>/dev/null | wc -l; }
for i in 1 2 3; do printf '%s\n' "$(ev "f$i" "x$i" create exec 101)" >> follow.log; done
wait_for stored 8; check "alerts go to the stream while nats-server runs" 0 $?
stop_nats
for i in 4 5 6; do printf '%s\n' "$(ev "f$i" "x$i" create exec 101)" >> follow.log; done
followed() { lines follow.jsonl; }
wait_for followed 6; check "detection goes on while nats-server is down" 0 $?
start_nats || exit 1
wait_for stored 11; check "what came meanwhile reaches the stream once it is back" 0 $?
for i in 1 2 3 4 5; do printf '%s\n' "$(ev "l$i" "y$i" create exec 101)"; done > later.events
$ctl "$addr" publish audit.later later.events; check "events published after the restart" 0 $?
later_alerts() { lines later.alerts; }
wait_for later_alerts 5; check "the --nats watcher reconnects and reads them" 0 $?
curl -s "http://127.0.0.1:$mport/metrics" > metrics
contains "its events are counted under source nats" metrics 'kubeharden_watch_events_total{source="nats"} 5'
kill -TERM "$fpid" "$cpid"
for _ in $(seq 100); do kill -0 "$fpid" 2>/dev/null || kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
wait "$fpid"; check "the follower stops with status 0" 0 $?
wait "$cpid"; check "the --nats watcher stops with status 0" 0 $?
fpid= cpid=
contains "the sink's outage is reported" follow.err "failing"
contains "and its recovery" follow.err "back after"
lacks "the sink lost nothing" follow.err "not delivered"
contains "the input's outage is reported" later.err "retrying with backoff"
contains "and its recovery" later.err "back after"

# ---------------------------------------------------------------- storm
# 8,000 execs by one user: dedup (default window 60 s) folds all but the
# first, and a folded event is acknowledged only once its count goes out.
# Held events once filled the 1,000-message ack window and stopped the
# pulls until half the ack wait (15 s) had passed, 1,000 events at a time;
# now the counts go out every 5,000 held, so the stream is read through.
for i in $(seq 1 8000); do printf '%s\n' "$(ev "s$i" mallory create exec 101)"; done > storm.jsonl
printf 'watch:\n  dedup: {window: 600}\n' > storm.yaml
"$bin" watch --nats "nats://$addr" --nats-subject audit.storm --nats-stream STORM \
    --nats-consumer st --config storm.yaml --fail-on never --rule audit.pod-exec \
    --sink "file:$tmp/storm.out" 2> storm.err &
spid=$!
$ctl "$addr" wait-stream STORM
$ctl "$addr" publish-fast audit.storm storm.jsonl
storm_read() {
    $ctl "$addr" consumer-info STORM st | grep -q '^pending 0 ' && echo 1 || echo 0
}
for _ in $(seq 100); do [ "$(storm_read)" = 1 ] && break; sleep 0.1; done
check "a storm of folded events is read through within 10 s" 1 "$(storm_read)"
$ctl "$addr" consumer-info STORM st
kill -TERM "$spid"; wait "$spid"; check "and the watcher stops with status 0" 0 $?
spid=
python3 - storm.out > storm.sum <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
print("alerts %d events %d" % (len(alerts), sum(a["count"] for a in alerts)))
PY
cat storm.sum
contains "few alerts stand for all 8,000 events" storm.sum "events 8000"
check "and they are few" 1 "$(awk '{ print ($2 <= 5) }' storm.sum)"

# ------------------------------------------------------------ credentials
aport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$natsd" -js -a 127.0.0.1 -p "$aport" -sd "$tmp/jsauth" --user alice --pass 's3cret' >> natsd.log 2>&1 &
apid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$aport") 2>/dev/null && break; sleep 0.1; done
timeout 10 "$bin" watch --nats "nats://alice:wrong@127.0.0.1:$aport" --config cfg.yaml 2> auth.err
check "wrong credentials are a usage error at once" 2 $?
contains "and the server's word is shown" auth.err "Authorization Violation"
"$bin" watch --nats "nats://alice:s3cret@127.0.0.1:$aport" --config cfg.yaml 2> auth2.err &
cpid=$!
for _ in $(seq 100); do grep -q "created JetStream stream" auth2.err && break; sleep 0.1; done
contains "the right ones connect and set the stream up" auth2.err "created JetStream stream 'KUBERNETES_AUDIT'"
kill -TERM "$cpid"; wait "$cpid"; check "and it stops with status 0" 0 $?
cpid=
exit $((fails > 0))
