#!/usr/bin/env bash
# watch_syslog_tls.sh -- syslog over TLS (RFC 5425: octet counting inside a
# TLS stream) to a real rsyslogd with the gtls stream driver (Debian
# packages rsyslog and rsyslog-gnutls), started on loopback with a
# certificate made here: alerts arrive when the collector's certificate
# chains to the CA given with ?ca= and names the host; with another CA the
# handshake fails, which is reported, and the alerts are kept (--spool).
# Skips (77) without them; bounded in time; stops rsyslogd itself.
set -u
. "$(dirname "$0")/lib/check.bash"
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || { echo "skip: rsyslogd not installed (Debian package rsyslog)"; exit 77; }
compgen -G '/usr/lib/*/rsyslog/lmnsd_gtls.so' > /dev/null || compgen -G '/usr/lib/rsyslog/lmnsd_gtls.so' > /dev/null ||
    { echo "skip: rsyslog's gtls driver not installed (Debian package rsyslog-gnutls)"; exit 77; }
. "$(dirname "$0")/lib/serve.bash"   # gen_certs, free_port; its trap cleans up
gen_certs || { echo "FAIL: openssl"; exit 1; }
tcp=$(free_port)
mkdir -p work
cat > rsyslog.conf <<EOF2
global(workDirectory="$tmp/work" DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="$tmp/ca.crt"
       DefaultNetstreamDriverCertFile="$tmp/server.crt"
       DefaultNetstreamDriverKeyFile="$tmp/server.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")
template(name="fields" type="string" string="msgid=%msgid% sd=%structured-data% msg=%msg%\n")
input(type="imtcp" address="127.0.0.1" port="$tcp")
*.* action(type="omfile" file="$tmp/received.log" template="fields")
EOF2
"$rsyslogd" -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslogd.pid" 2> rsyslogd.err &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tcp") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.1/$tcp") 2>/dev/null || { echo "FAIL: rsyslogd did not start"; cat rsyslogd.err; exit 1; }

events=$src/tests/fixtures/audit/mixed.jsonl   # 3 alerts and one malformed line
timeout 30 "$bin" watch --fail-on never --sink "syslog+tls://127.0.0.1:$tcp?ca=$tmp/ca.crt" \
    --sink "file:$tmp/alerts.jsonl" "$events" > /dev/null 2> err
for _ in $(seq 100); do [ "$(wc -l < received.log 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
check "three alerts over TLS" 3 "$(wc -l < received.log)"
contains "parsed as RFC 5424 by rsyslog" received.log "msgid=audit.pod-exec sd=[kubeharden@32473 id="
lacks "no delivery error" err "not delivered"

# A collector whose certificate does not chain to the CA we trust.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
    -keyout other.key -out other.crt 2>/dev/null
mkdir spool
timeout 30 "$bin" watch --fail-on never --spool spool \
    --sink "syslog+tls://127.0.0.1:$tcp?ca=$tmp/other.crt" "$events" > /dev/null 2> err2
contains "an untrusted collector is reported" err2 "TLS with '127.0.0.1:$tcp' failed"
contains "and its alerts are kept" err2 "3 alerts kept in"
check "nothing more reached rsyslog" 3 "$(wc -l < received.log)"
"$bin" watch --sink "syslog+tls://127.0.0.1:$tcp?cafile=x" "$events" 2> err3
check "an unknown TLS option is a usage error" 2 $?
contains "named" err3 "bad syslog TLS option 'cafile=x' (use ?ca=FILE)"
exit $((fails > 0))
