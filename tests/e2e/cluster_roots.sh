#!/usr/bin/env bash
# cluster_roots.sh -- the roots the API client trusts. With a CA in the
# kubeconfig (a file or inline data) that CA is the only root, as client-go
# builds RootCAs from it alone: libcurl's built-in directory of public CAs
# (/etc/ssl/certs on Debian) is never read, so no public CA can vouch for
# the API server. Checked with strace on the files the scan opens; a
# kubeconfig without a CA is the control that shows the directory would be
# seen (and that the test CA is then not trusted).
. "$(dirname "$0")/lib/check.bash"
command -v python3 >/dev/null && command -v openssl >/dev/null &&
    command -v strace >/dev/null || exit 77
[ -d /etc/ssl/certs ] || exit 77
srv=$src/tests/fixtures/apiserver
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=kubernetes-test-ca -addext subjectAltName=DNS:localhost 2>/dev/null
[ -s ca.crt ] || { echo "FAIL: openssl could not make the certificate"; exit 1; }
python3 "$srv/apiserver.py" --cert ca.crt --key ca.key --objects "$srv/objects.json" \
    --port-file port --log server.log --token t &
pid=$!
for _ in $(seq 100); do [ -f port ] && break; sleep 0.05; done
port=$(cat port)

kubeconfig() { # file cluster-fields
    cat > "$1" <<EOC
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://localhost:$port", $2}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
EOC
}

traced() { # label kubeconfig: scan under strace; sets $rc
    # LeakSanitizer cannot run under ptrace (the sanitizer builds): the
    # other tests check leaks.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -e trace=open,openat -o "$1.trace" "$bin" scan --cluster --kubeconfig "$2" \
        --no-config --kinds Namespace -o json > "$1.json" 2> "$1.err"
    rc=$?
}

kubeconfig file.yaml "certificate-authority: $tmp/ca.crt"
traced file file.yaml
check "certificate-authority: the scan runs" 0 $rc
lacks "certificate-authority: /etc/ssl/certs is not read" file.trace /etc/ssl/certs
contains "certificate-authority: the CA file is read" file.trace "$tmp/ca.crt"

kubeconfig data.yaml "certificate-authority-data: $(base64 -w0 ca.crt)"
traced data data.yaml
check "certificate-authority-data: the scan runs" 0 $rc
lacks "certificate-authority-data: /etc/ssl/certs is not read" data.trace /etc/ssl/certs

kubeconfig none.yaml "tls-server-name: localhost"
traced none none.yaml
check "no CA: the test CA is not a system root, so the scan fails" 2 $rc
contains "no CA: the system roots are read" none.trace /etc/ssl/certs
contains "no CA: the failure names the certificate" none.err certificate

[ "$fails" -eq 0 ]
