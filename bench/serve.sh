#!/usr/bin/env bash
# bench/serve.sh -- the admission webhook under wrk: realistic Pod and
# Deployment AdmissionReviews over kept-alive TLS (bench/serve.lua), at the
# highest rate wrk reaches and at about 2,000 reviews/s; prints
# throughput, p50/p99/p99.9 latency and the server's peak RSS (VmHWM).
# Client and server share the machine. Builds a Release tree in
# build-bench/ unless KH_BIN names a kubeharden binary.
# Variables: KH_BENCH_SECONDS (10), KH_BENCH_CONNECTIONS (32), KH_BENCH_THREADS (wrk, 1),
# KH_SERVE_THREADS (server, one per CPU).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${KH_BENCH_SECONDS:-10}
CONNS=${KH_BENCH_CONNECTIONS:-32}
WTHREADS=${KH_BENCH_THREADS:-1}
die() { echo "serve.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
if [[ -z "${KH_BIN:-}" ]]; then
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$ROOT/build-bench" -j2 --target kubeharden >/dev/null
    KH_BIN=$ROOT/build-bench/kubeharden
fi
tmp=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill -KILL $server 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout tls.key -out tls.crt 2>/dev/null

# A Pod as the API server sends it (defaults filled in, managedFields), and a Deployment.
cat > pod.json <<'J'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0f6c3b9e-3c5e-4e0e-9c1a-2b7f5d6e8a01","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},"name":"shop-web-7d9f8b6c5-x2x9k","namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"7a1e","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"shop-web-7d9f8b6c5-x2x9k","generateName":"shop-web-7d9f8b6c5-","namespace":"shop","labels":{"app.kubernetes.io/name":"shop-web","pod-template-hash":"7d9f8b6c5"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-30T10:00:00Z"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"shop-web-7d9f8b6c5","uid":"5b2c","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:pod-template-hash":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}]},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"fsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"}},"initContainers":[{"name":"migrate","image":"registry.example/shop/migrate@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","command":["/migrate","--wait"],"resources":{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"containers":[{"name":"web","image":"registry.example/shop/web@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"shop-db","key":"password"}}}],"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"httpGet":{"path":"/readyz","port":"http","scheme":"HTTP"},"periodSeconds":5,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},"volumeMounts":[{"name":"tmp","mountPath":"/tmp"},{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}],"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},{"name":"metrics","image":"registry.example/shop/exporter:0.9.1","ports":[{"containerPort":9100,"protocol":"TCP"}],"resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"memory":"32Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}},"imagePullPolicy":"IfNotPresent"}],"volumes":[{"name":"tmp","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}},{"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"shop-web","nodeName":"","schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"Burstable"}},"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}
J
cat > deployment.json <<'J'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"c2d1a3f0-8b7e-4b1e-a6a0-6c3f1e9d2b44","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"name":"billing","namespace":"billing","operation":"CREATE","userInfo":{"username":"ci-deployer","groups":["system:authenticated"]},"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"billing","namespace":"billing","labels":{"app":"billing"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"billing"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"template":{"metadata":{"labels":{"app":"billing"}},"spec":{"containers":[{"name":"api","image":"registry.example/billing/api:2.3.0","ports":[{"containerPort":8443}],"env":[{"name":"MODE","value":"prod"}],"resources":{"requests":{"cpu":"500m","memory":"512Mi"}},"securityContext":{"runAsUser":0}},{"name":"sidecar","image":"registry.example/mesh/proxy:1.20","securityContext":{"capabilities":{"add":["NET_ADMIN"]}}}],"hostNetwork":false,"volumes":[{"name":"cache","emptyDir":{}}]}}}},"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}
J

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$KH_BIN" serve --tls-cert-file tls.crt --tls-private-key-file tls.key --bind-address 127.0.0.1 \
    --secure-port "$port" ${KH_SERVE_THREADS:+--threads $KH_SERVE_THREADS} 2> server.log &
server=$!
for i in $(seq 1 50); do curl -sk -o /dev/null "https://127.0.0.1:$port/healthz" && break; sleep 0.1; done
for f in pod deployment; do
    code=$(curl -sk -H 'Content-Type: application/json' --data-binary @$f.json -o resp -w '%{http_code}' \
        "https://127.0.0.1:$port/validate/restricted")
    [ "$code" = 200 ] || die "the $f review got $code: $(cat resp)"
done

run() { # title, then extra environment for the Lua script
    local title=$1; shift
    echo "== $title"
    env KH_REVIEWS="$tmp" "$@" wrk -t"$WTHREADS" -c"$CONNS" -d"${SECS}s" --latency \
        -s "$ROOT/bench/serve.lua" "https://127.0.0.1:$port" | grep -E 'Requests/sec|p50|requests|Latency  '
}
echo "kubeharden serve under wrk: $CONNS connections, ${SECS}s, $(nproc) CPUs shared by client and server"
run "highest rate (no delay)"
# About 2,000/s: each of 22 connections waits 10 ms on average between requests (wrk's
# delay()), a request taking about 1 ms of its own, so 22 x 1000/11 = 2,000/s offered.
# Poisson arrivals first (the target's run), then the same rate in lockstep bursts.
CONNS=22 run "about 2,000 reviews/s, Poisson: 22 connections, exponential waits of mean 10 ms" \
    KH_RATE_DELAY_MS=10 KH_RATE_POISSON=1
CONNS=22 run "about 2,000 reviews/s in lockstep: 22 connections, each waiting 10 ms" KH_RATE_DELAY_MS=10
echo "== server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
kill -TERM $server; wait $server || true
server=""
grep -c '"msg":"review"' server.log | sed 's/^/reviews logged: /'
