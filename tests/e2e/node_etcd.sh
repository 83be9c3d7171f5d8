#!/usr/bin/env bash
# node_etcd.sh -- `kubeharden node` on this machine (root /) finds a real
# etcd through /proc and judges it: Debian's etcd started on loopback first
# with weak flags (plain HTTP, no client certificates), then with strong ones
# (TLS, --client-cert-auth, peer TLS; certificates made here with openssl).
# Findings are matched to our etcd by its pid, so other processes on the
# machine (another test's etcd) do not matter. The test stops its etcd
# itself and every wait is bounded. Skipped when etcd or openssl is missing.
set -u
. "$(dirname "$0")/lib/check.bash"
command -v etcd > /dev/null && command -v openssl > /dev/null && command -v curl > /dev/null ||
    { echo "skip: etcd, openssl or curl not installed (scripts/deps.sh installs etcd-server)"; exit 77; }

pid=
stop() { [ -n "$pid" ] && kill "$pid" 2> /dev/null && { timeout 10 tail --pid="$pid" -f /dev/null; kill -9 "$pid" 2> /dev/null; }; pid=; }
trap 'stop; rm -rf "$tmp"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL CURL-ARGS...: up to 15 s for etcd's /health
wait_up() {
    local url=$1; shift
    for _ in $(seq 150); do
        curl -fsS --max-time 1 "$@" "$url/health" > /dev/null 2>&1 && return 0
        kill -0 "$pid" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}

# audit NAME: run kubeharden node on / with PASS results, keep this etcd's
# (by its pid, or its data directory $tmp/NAME.etcd)
audit() {
    timeout 60 "$bin" node --show-pass -o json > "$1.json"
    python3 - "$1.json" "$pid" "$tmp/$1.etcd" > "$1.txt" <<'PY'
import json, sys
pid, data = sys.argv[2], sys.argv[3]
for f in json.load(open(sys.argv[1]))["findings"]:
    mine = f["file"] in ("/proc/%s/cmdline" % pid, "/proc/%s/environ" % pid, data) or \
           "(pid %s)" % pid in f["message"]
    if mine:
        print(f["ruleId"], f["message"].split(" (expected")[0])
PY
}

unset "${!ETCD_@}"
cp=$(free_port); pp=$(free_port)

# --- weak: plain HTTP on loopback, no client certificates
etcd --name weak --data-dir "$tmp/weak.etcd" \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "weak=http://127.0.0.1:$pp" > weak.log 2>&1 &
pid=$!
if ! wait_up "http://127.0.0.1:$cp"; then
    echo "FAIL: weak etcd did not come up"; cat weak.log; exit 1
fi
audit weak
cat weak.txt
contains "weak: found through /proc, no TLS" weak.txt "cis.2.1 FAIL: --cert-file not set"
contains "weak: no client certificates" weak.txt "cis.2.2 FAIL: --client-cert-auth not set (default 'false')"
contains "weak: no peer TLS" weak.txt "cis.2.4 FAIL: --peer-cert-file not set"
contains "weak: auto-tls off passes" weak.txt "cis.2.3 PASS: --auto-tls not set (default 'false')"
contains "weak: its listener is mapped to it, on loopback" weak.txt \
    "node.listener.etcd-client-exposed PASS: listening: tcp 127.0.0.1:$cp by etcd (pid $pid); --client-cert-auth not set"
contains "weak: data dir 700 (etcd makes it so)" weak.txt "cis.1.1.11 PASS: mode as expected"
stop

# --- strong: TLS for clients and peers, client certificates required
cd "$tmp" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=etcd-ca \
    -keyout ca.key -out ca.crt 2> /dev/null
for who in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -keyout $who.key -out $who.csr 2> /dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > $who.ext
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile $who.ext -out $who.crt 2> /dev/null
done
chmod 600 ./*.key
# As root, run it as Debian's etcd user, so its data directory is etcd:etcd (CIS 1.1.12).
as=()
if [ "$(id -u)" -eq 0 ] && id etcd > /dev/null 2>&1; then
    mkdir -m 700 strong.etcd && chmod 755 "$tmp" &&
        chown etcd: strong.etcd server.key server.crt ca.crt && as=(runuser -u etcd --)
fi
cp=$(free_port); pp=$(free_port)
"${as[@]}" etcd --name strong --data-dir "$tmp/strong.etcd" \
    --listen-client-urls "https://127.0.0.1:$cp" --advertise-client-urls "https://127.0.0.1:$cp" \
    --listen-peer-urls "https://127.0.0.1:$pp" --initial-advertise-peer-urls "https://127.0.0.1:$pp" \
    --initial-cluster "strong=https://127.0.0.1:$pp" \
    --cert-file server.crt --key-file server.key --client-cert-auth --trusted-ca-file ca.crt \
    --peer-cert-file server.crt --peer-key-file server.key --peer-client-cert-auth \
    --peer-trusted-ca-file ca.crt > strong.log 2>&1 &
pid=$!
if [ ${#as[@]} -gt 0 ]; then   # runuser waits for etcd as its child: audit etcd's pid
    runner=$pid
    for _ in $(seq 50); do pid=$(pgrep -P "$runner" -x etcd) && break; sleep 0.1; done
    [ -n "$pid" ] || { echo "FAIL: no etcd under runuser"; kill "$runner"; exit 1; }
fi
if ! wait_up "https://127.0.0.1:$cp" --cacert ca.crt --cert client.crt --key client.key; then
    echo "FAIL: strong etcd did not come up"; cat strong.log; exit 1
fi
# It really refuses a client without a certificate:
curl -fsS --max-time 2 --cacert ca.crt "https://127.0.0.1:$cp/health" > /dev/null 2>&1
check "strong etcd refuses a client without a certificate" 1 $(( $? != 0 ))
audit strong
cat strong.txt
for id in 2.1 2.2 2.3 2.4 2.5 2.6 2.7; do
    contains "strong: cis.$id passes" strong.txt "cis.$id PASS"
done
if [ ${#as[@]} -gt 0 ]; then
    lacks "strong: nothing fails" strong.txt "FAIL"
    contains "strong: data dir owned by etcd" strong.txt "cis.1.1.12 PASS"
else
    grep -v '^cis.1.1.12 ' strong.txt > strong-no-owner.txt
    lacks "strong: nothing fails (owner not checked: not root)" strong-no-owner.txt "FAIL"
fi
contains "strong: bare boolean flag read as true" strong.txt "cis.2.2 PASS: --client-cert-auth=true"
contains "strong: listener judged with client-cert auth" strong.txt \
    "node.listener.etcd-client-exposed PASS: listening: tcp 127.0.0.1:$cp by etcd (pid $pid); --client-cert-auth true"
stop
[ $fails -eq 0 ]
