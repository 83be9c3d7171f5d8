#!/usr/bin/env bash
# serve_tls.sh -- the webhook's TLS: fail-fast start-up (every bad flag
# value or unreadable certificate stops it, naming the value); TLS 1.1
# refused, 1.2 and 1.3 served, --tls-min-version VersionTLS13 refuses 1.2;
# no CBC or non-forward-secret suite; mTLS with --client-ca-file (no
# certificate, a certificate from another CA, or a server-only certificate:
# the handshake fails; the right one: 200); the certificate reloaded
# without a restart when its files change (a new serial seen by
# openssl s_client), and a broken replacement keeps the old one serving.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
tls=(--tls-cert-file server.crt --tls-private-key-file server.key)

# Fail fast: exit 2 with the bad value named, before listening.
bad_start() { # description needle args...
    local what=$1 needle=$2; shift 2
    timeout 10 "$bin" serve --secure-port "$(free_port)" "$@" > out 2>&1
    check "$what: exit 2" 2 $?
    contains "$what: names the value" out "$needle"
}
bad_start "no certificate flags" "--tls-cert-file" --secure-port 1
bad_start "missing certificate file" "'nope.crt'" --tls-cert-file nope.crt --tls-private-key-file server.key
bad_start "key that does not match" "cannot be used" --tls-cert-file server.crt --tls-private-key-file client.key
echo garbage > garbage.pem
bad_start "certificate file that is not PEM" "'garbage.pem'" --tls-cert-file garbage.pem --tls-private-key-file server.key
bad_start "client CA that is not PEM" "'garbage.pem'" "${tls[@]}" --client-ca-file garbage.pem
bad_start "TLS 1.1 as minimum" "'VersionTLS11'" "${tls[@]}" --tls-min-version VersionTLS11
bad_start "port out of range" "'70000'" "${tls[@]}" --secure-port 70000
bad_start "bind address that is a name" "'localhost'" "${tls[@]}" --bind-address localhost
bad_start "duration without unit" "'30'" "${tls[@]}" --read-timeout 30
bad_start "read timeout below a second" "'500ms'" "${tls[@]}" --read-timeout 500ms
bad_start "negative request timeout" "'-1s'" "${tls[@]}" --request-timeout -1s
bad_start "grace period with a bad unit" "'5d'" "${tls[@]}" --shutdown-grace-period 5d
bad_start "zero in-flight bound" "'0'" "${tls[@]}" --max-in-flight 0
bad_start "body limit that is not a number" "'3MiB'" "${tls[@]}" --max-body-bytes 3MiB
bad_start "missing config file" "nope.yaml" "${tls[@]}" --config nope.yaml
bad_start "bad kube version" "'1.30'" "${tls[@]}" --kube-version 1.30
"$bin" serve "${tls[@]}" --bind-address 127.0.0.1 --secure-port "$(free_port)" extra > out 2>&1
check "a positional argument: exit 2" 2 $?

# Versions and ciphers.
cp server.crt live.crt; cp server.key live.key
start_server log --tls-cert-file live.crt --tls-private-key-file live.key || exit 1
curl -sS --cacert ca.crt --tls-max 1.1 -o /dev/null "$url/healthz" 2>/dev/null
check "TLS 1.1 refused" 35 $?
code=$(curl -sS --cacert ca.crt --tls-max 1.2 -o /dev/null -w '%{http_code}' "$url/healthz")
check "TLS 1.2 served" 200 "$code"
code=$(curl -sS --cacert ca.crt --tlsv1.3 -o /dev/null -w '%{http_code}' "$url/healthz")
check "TLS 1.3 served" 200 "$code"
echo | timeout 5 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher 'AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA' > out 2>&1
contains "no CBC or RSA key exchange suite" out 'Cipher is (NONE)'
echo | timeout 5 openssl s_client -connect "127.0.0.1:$port" -tls1_2 > out 2>&1
contains "TLS 1.2 negotiates an AEAD ECDHE suite" out 'Cipher is ECDHE-ECDSA-AES'

# Reload: a new certificate and key replace the files (as cert-manager does).
serial() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$port" 2>/dev/null | openssl x509 -noout -serial; }
before=$(serial)
new_cert live server.ext
after=""
for i in $(seq 1 40); do
    after=$(serial)
    [ -n "$after" ] && [ "$after" != "$before" ] && break
    sleep 0.1
done
if [ -n "$before" ] && [ "$after" = "$(openssl x509 -in live.crt -noout -serial)" ]; then
    echo "ok: certificate reloaded without a restart ($before -> $after)"
else echo "FAIL: reload: before '$before', after '$after'"; fails=$((fails + 1)); fi
contains "the reload is logged" log '"msg":"certificate reloaded"'
echo garbage > live.crt
sleep 1.5
code=$(curl -sS --cacert ca.crt -o /dev/null -w '%{http_code}' "$url/healthz")
check "a broken replacement keeps the previous certificate serving" 200 "$code"
check "with the same serial" "$after" "$(serial)"
contains "the failed reload is logged" log 'certificate reload failed'
stop_server
check "exit 0 after reloads" 0 "$stop_status"

# TLS 1.3 only.
start_server log13 "${tls[@]}" --tls-min-version VersionTLS13 || exit 1
curl -sS --cacert ca.crt --tls-max 1.2 -o /dev/null "$url/healthz" 2>/dev/null
check "VersionTLS13 refuses TLS 1.2" 35 $?
stop_server

# mTLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=stranger -keyout other.key -out other.crt 2>/dev/null
client_cert=1 start_server logm "${tls[@]}" --client-ca-file ca.crt || exit 1
code=$(curl -sS --cacert ca.crt --cert client.crt --key client.key -o /dev/null -w '%{http_code}' "$url/healthz")
check "mTLS: the API server's client certificate gets 200" 200 "$code"
review good.json admission.k8s.io/v1 uid-m CREATE "$good_pod"
check "mTLS: a review is judged" 200 "$(post /validate/restricted good.json --cert client.crt --key client.key)"
for v in 1.2 1.3; do
    code=$(curl -sS --cacert ca.crt --tls-max $v -o /dev/null -w '%{http_code}' "$url/healthz" 2>/dev/null)
    check "mTLS (TLS $v): no client certificate, no answer" 000 "$code"
    code=$(curl -sS --cacert ca.crt --tls-max $v --cert other.crt --key other.key -o /dev/null -w '%{http_code}' "$url/healthz" 2>/dev/null)
    check "mTLS (TLS $v): a certificate from another CA, no answer" 000 "$code"
    code=$(curl -sS --cacert ca.crt --tls-max $v --cert server.crt --key server.key -o /dev/null -w '%{http_code}' "$url/healthz" 2>/dev/null)
    check "mTLS (TLS $v): a serverAuth-only certificate, no answer" 000 "$code"
done
stop_server
check "mTLS server: exit 0" 0 "$stop_status"
[ $fails -eq 0 ]
