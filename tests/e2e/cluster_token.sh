#!/usr/bin/env bash
# cluster_token.sh -- a bearer token file that rotates during a scan: the
# test API server refreshes a projected service-account token after the
# first page of pods (the kubelet's atomic writer: a new timestamped
# directory, then the `..data` symlink swapped) and from then on accepts
# only the new token, so every later request must carry it. In-cluster and
# through a kubeconfig's tokenFile; an empty token file is an error.
. "$(dirname "$0")/lib/check.bash"
command -v python3 >/dev/null && command -v openssl >/dev/null || exit 77
srv=$src/tests/fixtures/apiserver
pids=()
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=kubernetes-test-ca -addext subjectAltName=DNS:localhost 2>/dev/null
[ -s ca.crt ] || { echo "FAIL: openssl could not make the certificate"; exit 1; }

start() { # name server-options... : start a server; sets $port
    local name=$1; shift
    rm -f "$name.port"; : > "$name.log"
    python3 "$srv/apiserver.py" --cert ca.crt --key ca.key --objects "$srv/objects.json" \
        --port-file "$name.port" --log "$name.log" "$@" &
    pids+=($!)
    for _ in $(seq 600); do [ -f "$name.port" ] && break; sleep 0.05; done
    port=$(cat "$name.port")
}

projected() { # dir token: a projected service-account volume as the kubelet writes it
    rm -rf "$1"; mkdir -p "$1/..2026_11_30_10_00_00.1"
    printf '%s\n' "$2" > "$1/..2026_11_30_10_00_00.1/token"
    cp ca.crt "$1/..2026_11_30_10_00_00.1/ca.crt"
    printf shop > "$1/..2026_11_30_10_00_00.1/namespace"
    ln -s ..2026_11_30_10_00_00.1 "$1/..data"
    for f in token ca.crt namespace; do ln -s "..data/$f" "$1/$f"; done
}

tokens() { # log: the Authorization of each pods list, in order
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["path"]=="/api/v1/pods": print(r["authorization"], r["status"])' "$1"
}

# --- in-cluster: the pod's own projected token rotates after the first page
projected sa old-token
start ic --token old-token --pods 1200 --rotate-token "$tmp/sa" new-token 1
env -u KUBECONFIG HOME="$tmp/nohome" KUBERNETES_SERVICE_HOST=localhost \
    KUBERNETES_SERVICE_PORT=$port KUBEHARDEN_SERVICEACCOUNT_DIR="$tmp/sa" \
    "$bin" scan --cluster --no-config --kinds Pod -o json > out.json 2> err.txt
check "in-cluster rotation: the scan ends with findings, no error" 1 $?
check "in-cluster rotation: the new token is in the file" new-token "$(cat sa/token)"
tokens ic.log > pods.txt
printf 'Bearer old-token 200\nBearer new-token 200\nBearer new-token 200\n' > want.txt
check "in-cluster rotation: page 1 with the old token, pages 2 and 3 with the new" 0 \
    "$(cmp -s pods.txt want.txt; echo $?)"
[ "$(cmp -s pods.txt want.txt; echo $?)" = 0 ] || cat pods.txt
check "in-cluster rotation: no request refused" 0 "$(grep -c '"status": 401' ic.log)"
objects=$(python3 -c 'import json;print(json.load(open("out.json"))["summary"]["objects"])')
check "in-cluster rotation: every pod scanned (1200 and 1)" 1201 "$objects"
lacks "in-cluster rotation: no warning" err.txt "warning"

# --- a kubeconfig's tokenFile (relative) on the same kind of volume
projected conf/sa first
cat > conf/kc.yaml <<EOF
apiVersion: v1
kind: Config
current-context: t
clusters: [{name: t, cluster: {server: "https://localhost:PORT", certificate-authority: $tmp/ca.crt}}]
contexts: [{name: t, context: {cluster: t, user: u}}]
users: [{name: u, user: {tokenFile: sa/token, token: inline-ignored}}]
EOF
start kc --token first --pods 1200 --rotate-token "$tmp/conf/sa" second 2
sed -i "s/PORT/$port/" conf/kc.yaml
"$bin" scan --cluster --kubeconfig conf/kc.yaml --no-config --kinds Pod -o json \
    > out.json 2> err.txt
check "tokenFile rotation: the scan ends with findings, no error" 1 $?
tokens kc.log > pods.txt
printf 'Bearer first 200\nBearer first 200\nBearer second 200\n' > want.txt
check "tokenFile rotation: pages 1 and 2 with the first token, page 3 with the second" 0 \
    "$(cmp -s pods.txt want.txt; echo $?)"
[ "$(cmp -s pods.txt want.txt; echo $?)" = 0 ] || cat pods.txt

# --- an empty token file is an error, as client-go's "read empty token"
: > empty-token
sed "s#sa/token#$tmp/empty-token#" conf/kc.yaml > conf/empty.yaml
"$bin" scan --cluster --kubeconfig conf/empty.yaml --no-config --kinds Pod > out.txt 2> err.txt
check "empty token file: exit 2" 2 $?
contains "empty token file: said" err.txt "read empty token from file '$tmp/empty-token'"

[ "$fails" -eq 0 ]
