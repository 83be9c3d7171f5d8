#!/usr/bin/env bash
# probe_etcd.sh -- `kubeharden probe` against Debian's etcd on loopback,
# three ways: plain HTTP (no TLS, no client certificates), TLS without
# client-certificate auth, and TLS with --client-cert-auth (certificates
# made here with openssl). A key is written first (with a client
# certificate where one is needed), so a working read shows a count. The
# first two must give probe.etcd-no-client-cert with the count, the third
# must not (the probe sees "a client certificate is required"), and the
# key written is still there, unchanged, afterwards (the probe's one POST
# is a read). The test stops each etcd itself; every wait is bounded.
set -u
. "$(dirname "$0")/lib/check.bash"
command -v etcd > /dev/null && command -v openssl > /dev/null && command -v curl > /dev/null ||
    { echo "skip: etcd, openssl or curl not installed (scripts/deps.sh installs etcd-server)"; exit 77; }

pid=
stop() { [ -n "$pid" ] && kill "$pid" 2> /dev/null && { timeout 10 tail --pid="$pid" -f /dev/null; kill -9 "$pid" 2> /dev/null; }; pid=; }
trap 'stop; rm -rf "$tmp"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # URL CURL-ARGS...: up to 15 s for /health
    local url=$1; shift
    for _ in $(seq 150); do
        curl -fsS --max-time 1 "$@" "$url/health" > /dev/null 2>&1 && return 0
        kill -0 "$pid" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=etcd-ca \
    -keyout ca.key -out ca.crt 2> /dev/null
for who in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -keyout $who.key -out $who.csr 2> /dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > $who.ext
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile $who.ext -out $who.crt 2> /dev/null
done
unset "${!ETCD_@}"

# run NAME SCHEME EXTRA-ETCD-FLAGS...: start etcd with its client port in $cp
run() {
    local name=$1 scheme=$2; shift 2
    cp=$(free_port); local pp; pp=$(free_port)
    etcd --name "$name" --data-dir "$tmp/$name.etcd" \
        --listen-client-urls "$scheme://127.0.0.1:$cp" --advertise-client-urls "$scheme://127.0.0.1:$cp" \
        --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
        --initial-cluster "$name=http://127.0.0.1:$pp" "$@" > "$name.log" 2>&1 &
    pid=$!
}
# put KEY through the v3 gateway, with CURL-ARGS (certificates); then probe
put() { local url=$1 k=$2; shift 2
    curl -fsS --max-time 5 "$@" -X POST "$url/v3/kv/put" \
        -d "{\"key\":\"$(printf %s "$k" | base64)\",\"value\":\"$(printf v | base64)\"}" > /dev/null; }
count() { local url=$1; shift
    curl -fsS --max-time 5 "$@" -X POST "$url/v3/kv/range" -d '{"key":"AA==","range_end":"AA==","count_only":true}'; }

# --- plain HTTP
run plain http
wait_up "http://127.0.0.1:$cp" || { echo "FAIL: etcd did not come up"; cat plain.log; exit 1; }
put "http://127.0.0.1:$cp" /registry/secrets/default/a
timeout 30 "$bin" probe -o json "127.0.0.1:$cp" > plain.json
check "plain etcd: exit 1" 1 $?
timeout 30 "$bin" probe --no-color "127.0.0.1:$cp" > plain.txt
cat plain.txt
contains "plain etcd: a key read without a certificate" plain.txt \
    "probe.etcd-no-client-cert  etcd serves a key read without a client certificate: POST /v3/kv/range: HTTP/1.1 200 OK (count 1: the keys are readable) over plain HTTP"
contains "plain etcd: plain HTTP" plain.txt "probe.plain-http"
contains "plain etcd: known by /version" plain.txt "(etcdserver 3."
contains "plain etcd: metrics open" plain.txt "probe.anonymous-metrics"
count "http://127.0.0.1:$cp" > after.json
contains "plain etcd: the key is still the only one (the probe wrote nothing)" after.json '"count":"1"'
stop

# --- TLS, no client-certificate auth
run tls https --cert-file server.crt --key-file server.key
wait_up "https://127.0.0.1:$cp" --cacert ca.crt || { echo "FAIL: etcd did not come up"; cat tls.log; exit 1; }
put "https://127.0.0.1:$cp" /registry/secrets/default/a --cacert ca.crt
put "https://127.0.0.1:$cp" /registry/secrets/default/b --cacert ca.crt
timeout 30 "$bin" probe --no-color "127.0.0.1:$cp" > tls.txt
check "TLS etcd without client-cert auth: exit 1" 1 $?
cat tls.txt
contains "TLS etcd: a key read without a certificate" tls.txt \
    "(count 2: the keys are readable) over TLS without a client certificate"
contains "TLS etcd: the certificate is described" tls.txt "issuer 'CN=etcd-ca'"
contains "TLS etcd: SANs" tls.txt "SANs IP:127.0.0.1,DNS:localhost"
lacks "TLS etcd: not plain" tls.txt "probe.plain-http"
lacks "TLS etcd: Go's default minimum is TLS 1.2" tls.txt "probe.tls-old-version"
stop

# --- TLS with client-certificate auth
run strong https --cert-file server.crt --key-file server.key --client-cert-auth --trusted-ca-file ca.crt
certs=(--cacert ca.crt --cert client.crt --key client.key)
wait_up "https://127.0.0.1:$cp" "${certs[@]}" || { echo "FAIL: etcd did not come up"; cat strong.log; exit 1; }
put "https://127.0.0.1:$cp" /registry/secrets/default/a "${certs[@]}"
timeout 30 "$bin" probe --no-color "127.0.0.1:$cp" > strong.txt
check "etcd with client-cert auth: nothing above info, exit 0" 0 $?
cat strong.txt
lacks "strong etcd: no key read" strong.txt "probe.etcd-no-client-cert"
contains "strong etcd: the probe sees a client certificate is required" strong.txt \
    "a client certificate is required"
count "https://127.0.0.1:$cp" "${certs[@]}" > after.json
contains "strong etcd: the key is unchanged" after.json '"count":"1"'
stop
[ $fails -eq 0 ]
