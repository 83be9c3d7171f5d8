#!/usr/bin/env bash
# watch_nats_tls.sh -- kubeharden watch and a nats-server that requires TLS
# (--tls, a certificate for 127.0.0.1 made here): the --nats input and the
# nats:// sink trust the CA given with ?ca=FILE and check that the
# certificate names the host; with another CA the input stops at once
# (exit 2, the verification failure named) and the sink reports its
# failure. Skips (77) without nats-server or openssl; bounded in time.
set -u
. "$(dirname "$0")/lib/check.bash"
natsd=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$natsd" ] || { echo "skip: nats-server not installed (Debian package nats-server)"; exit 77; }
. "$(dirname "$0")/lib/serve.bash"   # gen_certs, free_port; its trap kills $pids
gen_certs || { echo "FAIL: openssl"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
    -keyout other.key -out other.crt 2>/dev/null
ctl="python3 $src/tests/fixtures/nats/natsctl.py"
export NATS_CA=$tmp/ca.crt
port=$(free_port)
addr=127.0.0.1:$port
"$natsd" -js -a 127.0.0.1 -p "$port" -sd "$tmp/js" --tls --tlscert server.crt --tlskey server.key \
    > natsd.log 2>&1 &
pids+=("$!")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
wait_for() { # command value: wait at most 30 s for $(command) >= value
    for _ in $(seq 300); do [ "$($1)" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
ev() { # auditID user
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00.000000Z"}\n' "$1" "$2"
}
printf 'watch:\n  dedup: {window: 0}\n' > cfg.yaml
for i in 1 2 3 4 5; do ev "t$i" "u$i"; done > five.jsonl

"$bin" watch --nats "nats://$addr?ca=$tmp/ca.crt" --nats-subject audit.tls --nats-stream TLS \
    --config cfg.yaml --fail-on never --rule audit.pod-exec --sink "file:$tmp/in.jsonl" 2> in.err &
wpid=$!
pids+=("$wpid")
$ctl "$addr" wait-stream TLS; check "the input connects over TLS and creates its stream" 0 $?
$ctl "$addr" publish audit.tls five.jsonl; check "events published over TLS" 0 $?
got() { cat in.jsonl 2>/dev/null | wc -l; }
wait_for got 5; check "each is judged" 0 $?
kill -TERM "$wpid"; wait "$wpid"; check "the input stops with status 0" 0 $?

$ctl "$addr" stream-create ALERTS alerts.tls
"$bin" watch --config cfg.yaml --fail-on never --rule audit.pod-exec \
    --sink "nats://$addr/alerts.tls?ca=$tmp/ca.crt" five.jsonl 2> sink.err
check "a run with the nats sink over TLS" 0 $?
check "its alerts are in the stream" 5 "$($ctl "$addr" stream-read ALERTS | wc -l)"
lacks "nothing was lost" sink.err "not delivered"

timeout 20 "$bin" watch --nats "nats://$addr?ca=$tmp/other.crt" --config cfg.yaml 2> other.err
check "another CA: the input stops at once" 2 $?
contains "naming the verification failure" other.err "certificate verification"
timeout 30 "$bin" watch --config cfg.yaml --fail-on never --rule audit.pod-exec --spool spool \
    --sink "nats://$addr/alerts.tls?ca=$tmp/other.crt" five.jsonl 2> other-sink.err
check "another CA: the sink run still ends" 0 $?
contains "the sink reports the failed handshake" other-sink.err "TLS handshake failed"
check "and nothing more reached the stream" 5 "$($ctl "$addr" stream-read ALERTS | wc -l)"
exit $((fails > 0))
