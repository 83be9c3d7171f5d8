# rsyslog.bash -- shared by the scripts that stop and start a real rsyslogd
# as the SIEM (after check.bash): skips (77) without it, picks a free TCP
# port ($tcp), writes rsyslog.conf (imtcp on loopback; each message's
# structured data, one per line, to received.log), and defines
# start_rsyslog (waits until it listens; sets $rpid) and stop_rsyslog.
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || { echo "skip: rsyslogd not installed (Debian package rsyslog)"; exit 77; }
tcp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p work
cat > rsyslog.conf <<EOF2
global(workDirectory="$tmp/work")
module(load="imtcp")
template(name="msg" type="string" string="%structured-data%\n")
input(type="imtcp" address="127.0.0.1" port="$tcp")
*.* action(type="omfile" file="$tmp/received.log" template="msg")
EOF2
rpid=
start_rsyslog() {
    "$rsyslogd" -n -f rsyslog.conf -i "$tmp/rsyslogd.pid" 2>> rsyslogd.err &
    rpid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$tcp") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "FAIL: rsyslogd did not start"; cat rsyslogd.err; return 1
}
stop_rsyslog() {
    kill -TERM "$rpid"
    for _ in $(seq 100); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    wait "$rpid" 2>/dev/null
}
