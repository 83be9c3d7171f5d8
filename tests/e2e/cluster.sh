#!/usr/bin/env bash
# cluster.sh -- `kubeharden scan --cluster` against a test API server
# (tests/fixtures/apiserver/apiserver.py) over HTTPS with a CA made here:
# bearer-token, client-certificate and exec-plugin authentication, kubeconfig
# merging from KUBECONFIG, in-cluster configuration, tls-server-name,
# pagination, an expired continue token (with and without the server's
# inconsistent-continuation token), 429 with Retry-After, 401, 403, a down
# aggregated API, and what each request carried.
. "$(dirname "$0")/lib/check.bash"
command -v python3 >/dev/null && command -v openssl >/dev/null || exit 77
srv=$src/tests/fixtures/apiserver
pids=()
# libcurl honours these; the test servers are on localhost and the proxy test names its own
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# --- a CA, the server's certificate (names only: no IP SAN) and a client's
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=kubernetes-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=kube-apiserver 2>/dev/null
printf 'subjectAltName=DNS:localhost,DNS:apiserver.internal\nextendedKeyUsage=serverAuth\n' > srv.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 \
    -extfile srv.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout user.key -out user.csr \
    -subj "/O=auditors/CN=kh-auditor" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > user.ext
openssl x509 -req -in user.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out user.crt -days 2 \
    -extfile user.ext 2>/dev/null
[ -s user.crt ] && [ -s srv.crt ] || { echo "FAIL: openssl could not make the certificates"; exit 1; }

start() { # name server-options... : start a server; sets $port
    local name=$1; shift
    rm -f "$name.port"; : > "$name.log"
    python3 "$srv/apiserver.py" --cert srv.crt --key srv.key --client-ca ca.crt \
        --objects "$srv/objects.json" --port-file "$name.port" --log "$name.log" "$@" &
    pids+=($!)
    for _ in $(seq 600); do [ -f "$name.port" ] && break; sleep 0.05; done
    port=$(cat "$name.port")
}

kubeconfig() { # file server user-yaml [cluster-extra-yaml]
    cat > "$1" <<EOF
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: test
  cluster:
    server: $2
    certificate-authority: $tmp/ca.crt
${4:-}
contexts:
- name: test
  context: {cluster: test, user: u, namespace: shop}
users:
- name: u
  user:
$3
EOF
}

requests() { # log field value: how many requests had field == value
    python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if str(r.get(sys.argv[2]))==sys.argv[3]: n+=1
print(n)' "$@"
}

# --- bearer token: what the scan finds and what it sent
start main --token s3cr3t --pods 1200 --fail-group metrics.k8s.io/v1beta1
kubeconfig token.yaml "https://localhost:$port" "    token: s3cr3t"
"$bin" scan --cluster --kubeconfig token.yaml --no-config -o json > out.json 2> err.txt
check "token: scan exits 1 with findings" 1 $?
contains "token: a finding names the object's API path" out.json \
    '"file": "/apis/apps/v1/namespaces/shop/deployments/web"'
contains "token: the field path is the object's own" out.json \
    '"path": "spec.template.spec.containers[0].securityContext.privileged"'
contains "token: cluster-scoped objects have cluster paths" out.json \
    '"file": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-admin"'
contains "token: a pod from a later page" out.json \
    '"file": "/api/v1/namespaces/load-5/pods/pod-01195"'
objects=$(python3 -c 'import json;print(json.load(open("out.json"))["summary"]["objects"])')
check "token: every object scanned once (1200 pods, 10 others, 1 token secret)" 1211 "$objects"
check "token: every request carried the token" "$(wc -l < main.log)" \
    "$(requests main.log authorization 'Bearer s3cr3t')"
check "token: Accept is JSON (all but the secrets' metadata list)" "$(($(wc -l < main.log) - 1))" \
    "$(requests main.log accept application/json)"
contains "token: the User-Agent names kubeharden" main.log '"userAgent": "kubeharden/'
python3 - main.log > secrets.txt <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/api/v1/secrets":
        print(r["query"], r["accept"])
PY
check "token: secrets listed once" 1 "$(wc -l < secrets.txt)"
contains "token: secrets as metadata only, legacy tokens only" secrets.txt \
    "limit=500&fieldSelector=type%3Dkubernetes.io%2Fservice-account-token application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
check "token: pods read in 3 pages of 500" 3 "$(requests main.log path /api/v1/pods)"
contains "token: pages ask limit=500" main.log '"query": "limit=500"'
contains "token: the next page sends the continue token" main.log '"query": "limit=500&continue='
contains "token: the down aggregated API is a warning" err.txt \
    'skipping API group metrics.k8s.io/v1beta1: GET /apis/metrics.k8s.io/v1beta1: 503 Service Unavailable: the server is currently unable to handle the request'
check "token: the down group was retried once" 2 \
    "$(requests main.log path /apis/metrics.k8s.io/v1beta1)"

# --- -o policyreport: a PolicyReport per namespace, a ClusterPolicyReport
SOURCE_DATE_EPOCH=1796050800 "$bin" scan --cluster --kubeconfig token.yaml --no-config \
    --kinds Deployment,ClusterRoleBinding,Pod -n shop -o policyreport > pr.json 2> err.txt
check "policyreport: exit 1" 1 $?
python3 - pr.json > pr.txt <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "List"
for r in d["items"]:
    assert r["apiVersion"] == "wgpolicyk8s.io/v1alpha2"
    s = r["summary"]
    assert s["fail"] + s["skip"] + s["error"] == len(r["results"])
    for x in r["results"]:
        assert x["result"] in ("pass", "fail", "warn", "error", "skip")
        assert x.get("severity", "info") in ("critical", "high", "medium", "low", "info")
        assert x["timestamp"] == {"seconds": 1796050800, "nanos": 0}
        for res in x.get("resources", []):
            print(r["kind"], r["metadata"].get("namespace", "-"), x["policy"], res["kind"],
                  res["name"], x["properties"].get("location"))
PY
check "policyreport: valid reports" 0 $?
contains "policyreport: the shop report names the deployment, at its API path" pr.txt \
    "PolicyReport shop pss.baseline.privileged Deployment web /apis/apps/v1/namespaces/shop/deployments/web"
lacks "policyreport: -n reads no cluster-scoped kind" pr.txt "ClusterPolicyReport"

# --- --apply: the PolicyReports, server-side applied
"$bin" scan --cluster --kubeconfig token.yaml --no-config --kinds Deployment,ClusterRole,ClusterRoleBinding \
    --apply > out.txt 2> err.txt
check "apply: the scan's own exit status" 1 $?
contains "apply: the text report still on stdout" out.txt "/apis/apps/v1/namespaces/shop/deployments/web"
contains "apply: says how many" err.txt "applied 2 PolicyReports to https://localhost:$port"
python3 - main.log > apply.txt <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["method"] == "PATCH":
        print(r["path"], r["query"], r["contentType"], r["status"])
PY
contains "apply: the namespace's PolicyReport" apply.txt \
    "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/kubeharden fieldManager=kubeharden&force=true application/apply-patch+yaml 201"
contains "apply: the ClusterPolicyReport" apply.txt \
    "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/kubeharden fieldManager=kubeharden&force=true application/apply-patch+yaml 201"
"$bin" scan --cluster --kubeconfig token.yaml --no-config --kinds Deployment --apply \
    > out.txt 2> err.txt
contains "apply: a second run updates (200)" main.log '"method": "PATCH", "path": "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/kubeharden", "query": "fieldManager=kubeharden&force=true", "authorization": "Bearer s3cr3t"'
"$bin" scan --no-config --apply "$srv/objects.json" > out.txt 2> err.txt
check "apply: needs --cluster" 2 $?

# --- proxy-url: every request tunnels through the proxy the cluster names
rm -f proxy.port; : > proxy.log
python3 "$srv/proxy.py" --port-file proxy.port --log proxy.log &
pids+=($!)
for _ in $(seq 600); do [ -f proxy.port ] && break; sleep 0.05; done
kubeconfig proxied.yaml "https://localhost:$port" "    token: s3cr3t" \
    "    proxy-url: http://127.0.0.1:$(cat proxy.port)"
"$bin" scan --cluster --kubeconfig proxied.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "proxy-url: the scan runs through the proxy" 1 $?
contains "proxy-url: the proxy tunnelled to the server" proxy.log "localhost:$port"

# --- text output: the API path heads each object
"$bin" scan --cluster --kubeconfig token.yaml --no-config --kinds Deployment -n shop > out.txt 2>&1
check "kinds: exit 1" 1 $?
contains "kinds: the deployment's API path" out.txt "/apis/apps/v1/namespaces/shop/deployments/web"
lacks "kinds: no pod read" out.txt "/pods/"
contains "kinds: -n lists inside the namespace" main.log '"path": "/apis/apps/v1/namespaces/shop/deployments"'

# --- queries over the cluster: ha, netpol, and the areas' check (scan --area)
"$bin" ha simulate --cluster --kubeconfig token.yaml --lose node=node-1 > out.txt 2> err.txt
check "ha simulate --cluster: no outage" 0 $?
contains "ha simulate --cluster: the node from the pods" out.txt "Losing node=node-1: 1 of 1 node, 1 ready pod"
"$bin" netpol can-reach shop/deployment/web shop/deployment/api 443 --cluster \
    --kubeconfig token.yaml > out.txt 2> err.txt
check "netpol can-reach --cluster: reachable" 0 $?
contains "netpol can-reach --cluster: the answer" out.txt \
    "yes: shop/Deployment/web can reach shop/Deployment/api on TCP 443"
"$bin" rbac who-can list secrets -n shop --cluster --kubeconfig token.yaml > out.txt 2> err.txt
check "rbac who-can --cluster: answered" 0 $?
contains "rbac who-can --cluster: the role's rule at its API path" out.txt \
    "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles/reader Role/shop/reader rules[0]"
"$bin" rbac graph --cluster --kubeconfig token.yaml > out.txt 2> err.txt
check "rbac graph --cluster: drawn" 0 $?
contains "rbac graph --cluster: the group bound to everything" out.txt '[label="group:ops"]'
"$bin" rbac check --cluster --kubeconfig token.yaml --no-config > out.txt 2> err.txt
check "rbac check --cluster: findings" 1 $?
contains "rbac check --cluster: the binding at its API path" out.txt \
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-admin"
"$bin" netpol matrix --cluster --kubeconfig token.yaml some/path > out.txt 2> err.txt
check "netpol matrix: --cluster and a path" 2 $?
contains "netpol matrix: says why" err.txt "--cluster reads the cluster, not files"

# --- Secrets: the token secret's metadata, as the Secret it is, and nothing more
"$bin" scan --cluster --kubeconfig token.yaml --no-config --kinds Secret -o json > out.json 2> err.txt
check "secret: read" 0 $?
objects=$(python3 -c 'import json;print(json.load(open("out.json"))["summary"]["objects"])')
check "secret: only the service-account token secret" 1 "$objects"
"$bin" rbac paths --cluster --kubeconfig token.yaml -o json > out.json 2> err.txt
check "secret: rbac paths reads it too" 0 $?

# --- 401: a wrong token, with the Status message
kubeconfig bad.yaml "https://localhost:$port" "    token: wrong"
"$bin" scan --cluster --kubeconfig bad.yaml --no-config > out.txt 2> err.txt
check "401: exit 2" 2 $?
contains "401: the server's Status message" err.txt "GET /api/v1: 401 Unauthorized: Unauthorized"

# --- client certificate (inline data) and tls-server-name
b64() { base64 -w0 "$1"; }
kubeconfig cert.yaml "https://127.0.0.1:$port" \
"    client-certificate-data: $(b64 user.crt)
    client-key-data: $(b64 user.key)" "    tls-server-name: apiserver.internal"
: > main.log
"$bin" scan --cluster --kubeconfig cert.yaml --no-config --kinds Deployment -o json > out.json 2> err.txt
check "cert: exit 1" 1 $?
check "cert: every request presented the client certificate" "$(wc -l < main.log)" \
    "$(requests main.log cn kh-auditor)"
contains "cert: Host names the server, not tls-server-name" main.log "\"host\": \"127.0.0.1:$port\""
sed -i '/tls-server-name/d' cert.yaml
"$bin" scan --cluster --kubeconfig cert.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "cert: without tls-server-name 127.0.0.1 is not in the certificate" 2 $?

# --- client certificate from files, relative to the kubeconfig
mkdir -p conf/pki && cp user.crt user.key conf/pki/
kubeconfig conf/kc.yaml "https://localhost:$port" \
"    client-certificate: pki/user.crt
    client-key: pki/user.key"
: > main.log
(cd / && "$bin" scan --cluster --kubeconfig "$tmp/conf/kc.yaml" --no-config --kinds Role,RoleBinding) > out.txt 2> err.txt
check "cert files: resolved against the kubeconfig's directory" 1 $?
contains "cert files: the role binding" out.txt "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/reader"

# --- exec plugin: a script printing an ExecCredential, cached until it expires
cat > plugin.sh <<'EOF'
#!/bin/sh
echo run >> "$PLUGIN_RUNS"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_RUNS.info"
printf '%s\n' "$@" > "$PLUGIN_RUNS.args"
cat <<JSON
{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},
 "status":{"token":"$PLUGIN_TOKEN","expirationTimestamp":"2099-01-01T00:00:00Z"}}
JSON
EOF
chmod +x plugin.sh
kubeconfig exec.yaml "https://localhost:$port" \
"    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [--cluster, test]
      env:
      - {name: PLUGIN_TOKEN, value: s3cr3t}
      - {name: PLUGIN_RUNS, value: $tmp/runs}
      interactiveMode: Never
      provideClusterInfo: true"
: > main.log
"$bin" scan --cluster --kubeconfig exec.yaml --no-config --kinds Deployment,Pod > out.txt 2> err.txt
check "exec: exit 1" 1 $?
check "exec: the plugin ran once for all requests" 1 "$(wc -l < runs)"
check "exec: its token was sent" "$(wc -l < main.log)" "$(requests main.log authorization 'Bearer s3cr3t')"
contains "exec: KUBERNETES_EXEC_INFO says non-interactive" runs.info '"interactive":false'
contains "exec: and carries the cluster" runs.info "\"server\":\"https://localhost:$port\""
contains "exec: args passed" runs.args "--cluster"
# an expired credential is fetched again before the next request; a 401 for
# a plugin's credential runs the plugin again once
cat > rotplugin.sh <<'EOF'
#!/bin/sh
echo run >> "$PLUGIN_RUNS"
n=$(wc -l < "$PLUGIN_RUNS")
token=s3cr3t; [ "$n" -eq 1 ] && [ -n "$FIRST_WRONG" ] && token=stale
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"%s","expirationTimestamp":"%s"}}\n' \
    "$token" "$EXPIRES"
EOF
chmod +x rotplugin.sh
for mode in expired stale; do
    rm -f "runs-$mode"
    expires=2099-01-01T00:00:00Z; first=""
    [ $mode = expired ] && expires=2001-01-01T00:00:00Z
    [ $mode = stale ] && first=1
    kubeconfig "rot-$mode.yaml" "https://localhost:$port" \
"    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./rotplugin.sh
      interactiveMode: Never
      env:
      - {name: PLUGIN_RUNS, value: $tmp/runs-$mode}
      - {name: EXPIRES, value: '$expires'}
      - {name: FIRST_WRONG, value: '$first'}"
    : > main.log
    "$bin" scan --cluster --kubeconfig "rot-$mode.yaml" --no-config --kinds Deployment > out.txt 2> err.txt
    check "exec ($mode): scan exit 1" 1 $?
    if [ $mode = expired ]; then
        check "exec (expired): the plugin ran before every request" "$(wc -l < main.log)" \
            "$(wc -l < runs-expired)"
    else
        check "exec (stale): one 401, then the plugin ran again" "1 2" \
            "$(requests main.log status 401) $(wc -l < runs-stale)"
    fi
done
# a plugin that answers with a client certificate instead of a token
cat > certplugin.sh <<EOF
#!/bin/sh
python3 -c 'import json; print(json.dumps({"kind": "ExecCredential",
  "apiVersion": "client.authentication.k8s.io/v1beta1",
  "status": {"clientCertificateData": open("$tmp/user.crt").read(),
             "clientKeyData": open("$tmp/user.key").read()}}))'
EOF
chmod +x certplugin.sh
kubeconfig execcert.yaml "https://localhost:$port" \
"    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: $tmp/certplugin.sh"
: > main.log
"$bin" scan --cluster --kubeconfig execcert.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "exec cert: exit 1" 1 $?
check "exec cert: every request presented the plugin's certificate" "$(wc -l < main.log)" \
    "$(requests main.log cn kh-auditor)"
sed -i 's/interactiveMode: Never/interactiveMode: Always/' exec.yaml
"$bin" scan --cluster --kubeconfig exec.yaml --no-config --kinds Pod < /dev/null > out.txt 2> err.txt
check "exec: Always without a terminal fails" 2 $?
contains "exec: and says why" err.txt "exec plugin cannot support interactive mode"
sed -i '/interactiveMode/d' exec.yaml
"$bin" scan --cluster --kubeconfig exec.yaml --no-config --kinds Pod > out.txt 2> err.txt
contains "exec: v1 without interactiveMode is refused" err.txt "interactiveMode must be specified"
sed -i 's#client.authentication.k8s.io/v1$#client.authentication.k8s.io/v1beta1#' exec.yaml
"$bin" scan --cluster --kubeconfig exec.yaml --no-config --kinds Pod > out.txt 2> err.txt
contains "exec: plugin answering v1 to a v1beta1 config is refused" err.txt \
    "exec plugin is configured to use API version 'client.authentication.k8s.io/v1beta1', plugin returned version 'client.authentication.k8s.io/v1'"

# --- KUBECONFIG with two files: contexts from one, cluster and user from another
cat > a.yaml <<EOF
apiVersion: v1
kind: Config
current-context: merged
contexts:
- name: merged
  context: {cluster: c2, user: u2}
EOF
mkdir -p other && cp ca.crt other/ca.crt
cat > other/b.yaml <<EOF
apiVersion: v1
kind: Config
current-context: nowhere
clusters:
- name: c2
  cluster: {server: "https://localhost:$port", certificate-authority: ca.crt}
users:
- name: u2
  user: {token: s3cr3t}
EOF
KUBECONFIG="$tmp/missing.yaml:$tmp/a.yaml:$tmp/other/b.yaml" \
    "$bin" scan --cluster --no-config --kinds Deployment > out.txt 2> err.txt
check "KUBECONFIG: merged files reach the cluster" 1 $?
contains "KUBECONFIG: the deployment" out.txt "/apis/apps/v1/namespaces/shop/deployments/web"
KUBECONFIG="$tmp/a.yaml:$tmp/other/b.yaml" \
    "$bin" scan --cluster --no-config --context nope > out.txt 2> err.txt
contains "--context: an unknown context is named" err.txt "context 'nope' was not found"

# --- in-cluster: the service account directory and KUBERNETES_SERVICE_*
mkdir -p sa && cp ca.crt sa/ca.crt && printf 's3cr3t\n' > sa/token && printf shop > sa/namespace
env -u KUBECONFIG HOME="$tmp/nohome" KUBERNETES_SERVICE_HOST=localhost KUBERNETES_SERVICE_PORT=$port \
    KUBEHARDEN_SERVICEACCOUNT_DIR="$tmp/sa" \
    "$bin" scan --cluster --no-config --kinds ClusterRole,ClusterRoleBinding > out.txt 2> err.txt
check "in-cluster: reads with the service account" 1 $?
contains "in-cluster: the cluster role binding" out.txt "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-admin"
env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST HOME="$tmp/nohome" \
    "$bin" scan --cluster --no-config > out.txt 2> err.txt
check "no configuration at all: exit 2" 2 $?
contains "no configuration at all: says so" err.txt "no configuration has been provided"

# --- insecure-skip-tls-verify: works, loudly
cat > insecure.yaml <<EOF
apiVersion: v1
kind: Config
current-context: i
clusters:
- {name: i, cluster: {server: "https://127.0.0.1:$port", insecure-skip-tls-verify: true}}
contexts:
- {name: i, context: {cluster: i, user: i}}
users:
- {name: i, user: {token: s3cr3t}}
EOF
"$bin" scan --cluster --kubeconfig insecure.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "insecure: the scan runs" 1 $?
contains "insecure: a loud warning" err.txt "WARNING: insecure-skip-tls-verify is set"

# --- 403 on one kind, 429 with Retry-After on another
start rbac --token s3cr3t --forbid roles --forbid secrets --throttle deployments --no-report-crd
kubeconfig token2.yaml "https://localhost:$port" "    token: s3cr3t"
"$bin" scan --cluster --kubeconfig token2.yaml --no-config --kinds Role,Deployment,Namespace \
    > out.txt 2> err.txt
check "403: the scan goes on and exits 2" 2 $?
contains "403: the Status names the missing permission" out.txt \
    'roles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:audit:kubeharden" cannot list resource "roles" in API group "rbac.authorization.k8s.io" at the cluster scope'
contains "429: the deployments were read after the retry" out.txt \
    "/apis/apps/v1/namespaces/shop/deployments/web"
check "429: one 429, then one 200" "2" "$(requests rbac.log path /apis/apps/v1/deployments)"
check "429: the 429 was logged" 1 "$(requests rbac.log status 429)"
"$bin" scan --cluster --kubeconfig token2.yaml --no-config > out.txt 2> err.txt
contains "403 on Secrets (default kinds): a warning" err.txt \
    "warning: Secrets not read (GET /api/v1/secrets?limit=500&fieldSelector=type%3Dkubernetes.io%2Fservice-account-token: 403 Forbidden: secrets is forbidden"
lacks "403 on Secrets (default kinds): not an input error" out.txt "/api/v1/secrets"
"$bin" scan --cluster --kubeconfig token2.yaml --no-config --kinds Namespace,Deployment --apply \
    > out.txt 2> err.txt
check "apply without the PolicyReport CRDs: exit 2" 2 $?
contains "apply without the PolicyReport CRDs: the server's 404" err.txt \
    "PATCH /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/kubeharden?fieldManager=kubeharden&force=true: 404 Not Found: the server could not find the requested resource"

# --- 5xx without Retry-After: backoff, then success; a server that keeps
# failing opens the breaker and the remaining kinds are not even asked for
start flaky --token s3cr3t --flaky deployments
kubeconfig flaky.yaml "https://localhost:$port" "    token: s3cr3t"
"$bin" scan --cluster --kubeconfig flaky.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "503: read after two retries" 1 $?
check "503: two 503 then a 200" 3 "$(requests flaky.log path /apis/apps/v1/deployments)"
start down --token s3cr3t --fail-lists 500
kubeconfig down.yaml "https://localhost:$port" "    token: s3cr3t"
"$bin" scan --cluster --kubeconfig down.yaml --no-config --kinds Pod,Deployment,Role,Namespace \
    > out.txt 2> err.txt
check "500: exit 2" 2 $?
contains "500: the Status message" out.txt \
    "GET /api/v1/pods?limit=500: 500 Internal Server Error: Internal error occurred: etcdserver: request timed out"
check "500: the breaker opened after 10 failed attempts" 10 "$(requests down.log status 500)"
contains "500: later kinds are not sent" out.txt "not sent: the API server failed 10 requests in a row"

# --- a token file, relative to the kubeconfig
printf 's3cr3t\n' > conf/token
kubeconfig conf/tf.yaml "https://localhost:$port" "    tokenFile: token"
start tf --token s3cr3t
kubeconfig conf/tf.yaml "https://localhost:$port" "    tokenFile: token"
"$bin" scan --cluster --kubeconfig conf/tf.yaml --no-config --kinds Deployment > out.txt 2> err.txt
check "tokenFile: read relative to the kubeconfig, trimmed" 1 $?
check "tokenFile: sent" "$(wc -l < tf.log)" "$(requests tf.log authorization 'Bearer s3cr3t')"

# --- an expired continue token: the server's inconsistent token, then a restart
for mode in token restart; do
    extra=(); [ $mode = restart ] && extra=(--expire-no-token)
    start "exp-$mode" --token s3cr3t --pods 1200 --expire-page 1 "${extra[@]}"
    kubeconfig exp.yaml "https://localhost:$port" "    token: s3cr3t"
    "$bin" scan --cluster --kubeconfig exp.yaml --no-config --kinds Pod -o json > out.json 2> err.txt
    check "410 ($mode): exit 1" 1 $?
    check "410 ($mode): one 410" 1 "$(requests exp-$mode.log status 410)"
    n=$(python3 -c 'import json;d=json.load(open("out.json"))
print(len({f["file"] for f in d["findings"] if f["ruleId"]=="pss.baseline.privileged"}))')
    check "410 ($mode): every privileged pod reported once (600 + kube-proxy)" 601 "$n"
    objects=$(python3 -c 'import json;print(json.load(open("out.json"))["summary"]["objects"])')
    check "410 ($mode): 1201 pods scanned, none twice" 1201 "$objects"
    contains "410 ($mode): a warning says the list expired" err.txt "the list expired after 1 pages"
done

[ "$fails" -eq 0 ]
