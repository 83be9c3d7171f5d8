#!/usr/bin/env bash
# watch_syslog.sh -- kubeharden watch sends its alerts to a real rsyslogd,
# started here on loopback with its own configuration: RFC 5424 over UDP and
# over TCP with octet counting. rsyslog parses each message (pmrfc5424) and
# writes its fields; every alert must arrive once per transport with its
# MSGID (the rule), structured data (id, rule, count) and the alert JSON as
# the message. Skips (77) without rsyslogd; bounded in time; stops rsyslogd.
set -u
. "$(dirname "$0")/lib/check.bash"
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || { echo "skip: rsyslogd not installed (Debian package rsyslog)"; exit 77; }

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
free_tcp_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
udp=$(free_udp_port)
tcp=$(free_tcp_port)
mkdir -p "$tmp/work"
cat > "$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp/work")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string"
         string="%inputname% v=%protocol-version% app=%app-name% msgid=%msgid% sd=%structured-data% msg=%msg%\n")
input(type="imudp" address="127.0.0.1" port="$udp")
input(type="imtcp" address="127.0.0.1" port="$tcp")
*.* action(type="omfile" file="$tmp/received.log" template="fields")
EOF
"$rsyslogd" -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslogd.pid" 2> "$tmp/rsyslogd.err" &
rpid=$!
trap 'kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rm -rf "$tmp"' EXIT
# Wait (at most 10 s) until the TCP input listens.
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$tcp") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$tcp") 2>/dev/null || { echo "FAIL: rsyslogd did not start"; cat "$tmp/rsyslogd.err"; exit 1; }

events=$src/tests/fixtures/audit/mixed.jsonl   # 3 alerts and one malformed line
timeout 30 "$bin" watch --fail-on never --sink "syslog+udp://127.0.0.1:$udp" \
    --sink "syslog+tcp://127.0.0.1:$tcp" --sink "file:$tmp/alerts.jsonl" "$events" \
    > "$tmp/out" 2> "$tmp/err"
check "a malformed line makes the exit status 2, after every alert was sent" 2 $?
contains "the malformed line is named file:line:col" "$tmp/err" "mixed.jsonl:3:47: error: unexpected end of JSON input"

# rsyslog writes asynchronously: wait (at most 10 s) for the six messages.
for _ in $(seq 100); do
    [ "$(wc -l < "$tmp/received.log" 2>/dev/null || echo 0)" -ge 6 ] && break
    sleep 0.1
done
check "three alerts over UDP" 3 "$(grep -c '^imudp ' "$tmp/received.log")"
check "three alerts over TCP" 3 "$(grep -c '^imtcp ' "$tmp/received.log")"
check "three alerts in the JSON-lines file" 3 "$(wc -l < "$tmp/alerts.jsonl")"
contains "RFC 5424 version and app name" "$tmp/received.log" "v=1 app=kubeharden msgid=audit.pod-exec"
contains "MSGID is the rule" "$tmp/received.log" "msgid=audit.secret-enumeration"
contains "structured data carries the rule and count" "$tmp/received.log" 'rule="audit.privileged-pod" count="1" severity="high"]'
# Each received message is the alert JSON, with the same id as in the file
# and in the structured data.
python3 - "$tmp/received.log" "$tmp/alerts.jsonl" > "$tmp/ids" <<'EOF'
import json, re, sys
file_ids = sorted(json.loads(l)["id"] for l in open(sys.argv[2]))
for transport in ("imudp", "imtcp"):
    ids = []
    for line in open(sys.argv[1]):
        if not line.startswith(transport + " "):
            continue
        sd = re.search(r'sd=\[kubeharden@32473 id="([0-9a-f]{16})"', line).group(1)
        alert = json.loads(line.split(" msg=", 1)[1])
        assert alert["id"] == sd, (alert["id"], sd)
        assert alert["auditID"] in ("a1", "a2", "a3")
        ids.append(sd)
    print(transport, "same ids" if sorted(ids) == file_ids else "different ids %s %s" % (ids, file_ids))
EOF
check "the JSON messages parse" 0 $?
contains "UDP alerts have the ids of the file's" "$tmp/ids" "imudp same ids"
contains "TCP alerts have the ids of the file's" "$tmp/ids" "imtcp same ids"

# A collector that is not there: the alert is reported as not delivered,
# detection goes on and the file sink still gets it.
kill "$rpid"; wait "$rpid" 2>/dev/null
timeout 30 "$bin" watch --fail-on never --sink "syslog+tcp://127.0.0.1:$tcp" \
    --sink "file:$tmp/alerts2.jsonl" "$events" > /dev/null 2> "$tmp/err2"
contains "an unreachable TCP collector is reported" "$tmp/err2" "not delivered"
check "the other sink still gets every alert" 3 "$(wc -l < "$tmp/alerts2.jsonl")"

timeout 10 "$bin" watch --sink "syslog+udp://nowhere" "$events" > /dev/null 2> "$tmp/err3"
check "a bad syslog address is a usage error" 2 $?
contains "the bad address is named" "$tmp/err3" "bad syslog address 'nowhere' (use HOST:PORT)"
exit $((fails > 0))
